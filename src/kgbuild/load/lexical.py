"""Lexical forms of typed literals: whether a value of the data is a valid xsd:date,
xsd:integer, geo:wktLiteral point and so on, and if not, what is wrong and how to write it.
"""

from __future__ import annotations

import datetime as dt
import re

from kgbuild.namespaces import GEO, XSD

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

# Each check returns None when valid, else (detail, hint).
# Digits are ASCII only, as XSD requires (Python's \d and int() also take other scripts).
_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_DATETIME_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?", re.ASCII
)
_INTEGER_RE = re.compile(r"[+-]?\d+", re.ASCII)
_DECIMAL_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)
_DOUBLE_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?INF|NaN", re.ASCII)
_WKT_RE = re.compile(r"\s*(?:<([^<>\s]*)>\s*)?POINT\s*\(\s*(\S+)\s+(\S+)\s*\)\s*", re.I)

_DATE_HINT = "write the date as YYYY-MM-DD, e.g. 2020-11-20"
_DATETIME_HINT = (
    "write YYYY-MM-DDThh:mm:ss with an optional time zone, e.g. 2020-11-20T12:30:00+04:00"
)
_WKT_HINT = "write POINT(longitude latitude) in WGS84 degrees, e.g. POINT(46.55 39.6)"

Check = tuple[str | None, str] | None


def _check_date(v: str) -> Check:
    m = _DATE_RE.fullmatch(v)
    if not m:
        return None, _DATE_HINT
    try:
        dt.date(*(int(g) for g in m.groups()))
    except ValueError as exc:
        return str(exc), "write a real calendar date as YYYY-MM-DD"
    return None


def _check_datetime(v: str) -> Check:
    m = _DATETIME_RE.fullmatch(v)
    if not m:
        return None, _DATETIME_HINT
    try:
        dt.datetime(*(int(g) for g in m.groups()[:6]))
    except ValueError as exc:
        return str(exc), _DATETIME_HINT
    zone = m.group(8)
    if zone and zone != "Z" and (int(zone[1:3]) > 14 or int(zone[4:6]) > 59):
        return f"time zone {zone} is out of range", _DATETIME_HINT
    return None


def _check_integer(v: str) -> Check:
    return None if _INTEGER_RE.fullmatch(v) else (None, "write a whole number, e.g. 12")


def _check_positive(v: str) -> Check:
    if not _INTEGER_RE.fullmatch(v):
        return None, "write a whole number greater than 0, e.g. 3"
    return None if int(v) > 0 else ("must be greater than 0", "write a whole number such as 1")


def _check_non_negative(v: str) -> Check:
    if not _INTEGER_RE.fullmatch(v):
        return None, "write a whole number of 0 or more, e.g. 3"
    return None if int(v) >= 0 else ("must not be negative", "write 0 or more")


def _check_decimal(v: str) -> Check:
    if _DECIMAL_RE.fullmatch(v):
        return None
    return None, "write a decimal number with a '.' and no units or separators, e.g. 4.5"


def _check_double(v: str) -> Check:
    return None if _DOUBLE_RE.fullmatch(v) else (None, "write a number, e.g. 4.5 or 1.2E3")


def _check_boolean(v: str) -> Check:
    return None if v in ("true", "false", "1", "0") else (None, "write true or false")


def _check_gyear(v: str) -> Check:
    return None if re.fullmatch(r"-?[0-9]{4,}", v) else (None, "write a year such as 2020")


def _check_wkt(v: str) -> Check:
    m = _WKT_RE.fullmatch(v)
    if not m:
        return "only POINT geometries are supported", _WKT_HINT
    crs, lon, lat = m.groups()
    if crs is not None and crs != CRS84:
        # Other reference systems (e.g. EPSG:4326) put latitude first, a classic source of
        # swapped coordinates, so only the default CRS84 (longitude latitude) is accepted.
        return f"coordinate reference system <{crs}> is not supported", (
            f"leave it out (CRS84: longitude latitude) or write <{CRS84}>"
        )
    if not (_DECIMAL_RE.fullmatch(lon) and _DECIMAL_RE.fullmatch(lat)):
        return "coordinates must be decimal numbers", _WKT_HINT
    if not -180 <= float(lon) <= 180:
        return f"longitude {lon} is outside [-180, 180]", _WKT_HINT
    if not -90 <= float(lat) <= 90:
        return f"latitude {lat} is outside [-90, 90]", _WKT_HINT
    return None


LEXICAL_CHECKS = {
    str(XSD.date): _check_date,
    str(XSD.dateTime): _check_datetime,
    str(XSD.integer): _check_integer,
    str(XSD.int): _check_integer,
    str(XSD.long): _check_integer,
    str(XSD.positiveInteger): _check_positive,
    str(XSD.nonNegativeInteger): _check_non_negative,
    str(XSD.decimal): _check_decimal,
    str(XSD.double): _check_double,
    str(XSD.float): _check_double,
    str(XSD.boolean): _check_boolean,
    str(XSD.gYear): _check_gyear,
    str(GEO.wktLiteral): _check_wkt,
}
