"""Load the YAML-LD data files: check them against the shared context and the ontology, then
turn them into an RDF graph with rdflib's JSON-LD parser.

Every ``data/**/*.yaml`` file is a mapping ``{"@context": context.jsonld, "@graph": [...]}``.
Scalars are kept as strings (no YAML implicit typing: the context's datatypes type them) and
every mapping and sequence remembers its line numbers, so errors point at ``file:line``.
Content problems are collected over all files and raised together as DataErrors.
Nothing here ever touches the network: remote contexts are refused, never fetched.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import yaml
from rdflib import BNode, Graph, URIRef
from rdflib.term import Node
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from kgbuild.errors import (
    EXCERPT_CHARS,
    DataError,
    DataErrors,
    InputError,
    KgbuildError,
    display_path,
    excerpt,
    first_line,
)
from kgbuild.namespaces import GEO, ID_BASE, KG, OWL, RDF, RDFS, XSD, qname
from kgbuild.provenance import ATTESTATION_KEYS, SOURCE_ENTRY_KEYS, plan_records
from kgbuild.terms import from_oxigraph_triples

Triple = tuple[Node, Node, Node]

__all__ = [
    "CONTEXT_FILE",
    "MAX_FILE_BYTES",
    "MAX_TOTAL_BYTES",
    "Context",
    "CheckedData",
    "LoadedData",
    "PropertyTerm",
    "check_data",
    "data_files",
    "load_context",
    "load_data",
    "read_records",
    "to_quads",
    "to_triples",
]

CONTEXT_FILE = "context.jsonld"
# Larger files are refused up front, before anything is read. A whole build takes about 4 s of
# CPU and 130 MB of memory per MiB of YAML (benchmarks/bench.py), so these keep a build within
# about two minutes and five gigabytes; one file is read whole into memory, hence its own limit.
MAX_FILE_BYTES = 8 * 1024 * 1024  # per data file
MAX_TOTAL_BYTES = 32 * 1024 * 1024  # all data files together
# Nested node objects deeper than this are refused (JSON-LD processors recurse).
MAX_NESTING = 32
# Undefined references get close-match suggestions only up to this many, to stay fast.
MAX_SUGGESTED_REFERENCES = 100
# Absolute IRIs in data must use one of these schemes; anything else with a colon is most
# likely a typo such as 'place:lachin' for 'place/lachin'.
ABSOLUTE_SCHEMES = frozenset({"http", "https", "urn", "mailto", "tag"})
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: fast
_YAML_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_KEYWORD_ALIASES = {"id": "@id", "type": "@type"}
_CONTEXT_KEYWORDS = frozenset({"@version", "@base", "@protected"})
_GEN_DELIMS = (":", "/", "?", "#", "[", "]", "@")

_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(.*)", re.S)
# Relative ids: path segments of IRI-safe characters; no '.'/'..' segments, no empty ones,
# no query or fragment, no ':' in the first segment (it would read as a scheme).
_SEGMENT = r"[\w.~+@!$&'()*,;=:-]+"
_RELATIVE_ID_RE = re.compile(rf"[\w.~+@!$&'()*,;=-]+(?:/{_SEGMENT})*")
_IRI_BAD_CHARS_RE = re.compile(r"[\s<>\"{}|\\^`]")
_LANG_TAG_RE = re.compile(
    r"[A-Za-z]{2,3}(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|\d{3}))?"
    r"(?:-(?:[A-Za-z0-9]{5,8}|\d[A-Za-z0-9]{3}))*(?:-[A-WYZa-wyz0-9](?:-[A-Za-z0-9]{2,8})+)*"
    r"(?:-x(?:-[A-Za-z0-9]{1,8})+)?|x(?:-[A-Za-z0-9]{1,8})+"
)


# --------------------------------------------------------------------------------------------
# YAML with line numbers


class YMap(dict):
    """A YAML mapping (keys are strings) with the 1-based line of itself and of each key."""

    __slots__ = ("line", "key_lines")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[str, int] = {}


class YSeq(list):
    """A YAML sequence with the 1-based line of itself and of each item."""

    __slots__ = ("line", "item_lines")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, max(0, offset)) + 1


class _MapFrame:
    """A mapping being filled from events: alternately a key, then its value."""

    __slots__ = ("container", "key", "key_line", "expecting_key", "skip_value")

    def __init__(self, container: YMap) -> None:
        self.container = container
        self.key: str | None = None
        self.key_line = 0
        self.expecting_key = True
        self.skip_value = False  # a duplicate or invalid key: drop its value


def _compose(text: str, path: Path, errors: list[DataError]) -> Any:
    """Build YMap/YSeq/str/None from the YAML event stream of ``text``.

    Working from events (not yaml.compose) keeps memory low: no node objects with marks are
    kept. Plain null scalars ('', '~', 'null') become None; every other scalar stays a string.
    Duplicate keys are reported in ``errors`` (the first value is kept).
    """
    root: Any = None
    have_root = False
    documents = 0
    stack: list[_MapFrame | YSeq] = []

    def add(value: Any, line: int) -> None:
        nonlocal root, have_root
        if not stack:
            root, have_root = value, True
            return
        frame = stack[-1]
        if isinstance(frame, YSeq):
            frame.append(value)
            frame.item_lines.append(line)
            return
        container = frame.container
        if not frame.expecting_key:
            frame.expecting_key = True
            if not frame.skip_value:
                container[frame.key] = value
                container.key_lines[frame.key] = frame.key_line  # type: ignore[index]
            return
        frame.expecting_key = False
        frame.skip_value = True
        if not isinstance(value, str):
            errors.append(
                DataError(
                    "a mapping key must be plain text",
                    path,
                    line,
                    "write keys such as 'label' or 'partOf'",
                )
            )
        elif value in container:
            errors.append(
                DataError(
                    f"duplicate key '{excerpt(value)}' "
                    f"(first at line {container.key_lines[value]})",
                    path,
                    line,
                    "YAML would silently keep only the last value: merge the values into "
                    "one list or remove one",
                )
            )
        else:
            frame.skip_value = False
        frame.key, frame.key_line = value, line

    try:
        for event in yaml.parse(text, Loader=_YAML_LOADER):
            cls = type(event)
            if cls is ScalarEvent:
                line = event.start_mark.line + 1
                value = event.value
                if not event.style and value in _YAML_NULLS:
                    value = None
                add(value, line)
            elif cls is MappingStartEvent:
                mapping = YMap(event.start_mark.line + 1)
                add(mapping, mapping.line)
                stack.append(_MapFrame(mapping))
            elif cls is SequenceStartEvent:
                sequence = YSeq(event.start_mark.line + 1)
                add(sequence, sequence.line)
                stack.append(sequence)
            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                stack.pop()
            elif cls is AliasEvent:
                raise InputError(
                    f"YAML alias '*{event.anchor}' is not supported",
                    path,
                    event.start_mark.line + 1,
                    "write the value out in full",
                )
            elif cls is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise InputError(
                        "more than one YAML document in the file",
                        path,
                        event.start_mark.line + 1,
                        "a data file holds one document: remove the '---' separator",
                    )
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            problem = f"{problem} ({exc.context})"
        raise InputError(
            f"YAML syntax error: {problem}",
            path,
            mark.line + 1 if mark is not None else None,
            "fix the YAML syntax",
        ) from exc
    except yaml.reader.ReaderError as exc:
        # libyaml counts bytes of the UTF-8 encoding; the pure-Python reader counts characters.
        raw = text.encode("utf-8") if _YAML_LOADER is not yaml.SafeLoader else None
        if raw is not None:
            line = raw.count(b"\n", 0, exc.position) + 1
            char = raw[exc.position : exc.position + 4].decode("utf-8", "ignore")[:1]
        else:
            line = _line_at(text, exc.position)
            char = text[exc.position : exc.position + 1]
        what = f"the character U+{ord(char):04X}" if char else "the character"
        raise InputError(f"YAML syntax error: {exc.reason}", path, line, f"remove {what}") from exc
    except yaml.YAMLError as exc:  # any other libyaml complaint
        raise InputError(
            f"YAML error: {first_line(exc)}", path, None, "fix the YAML syntax"
        ) from exc
    if not have_root:
        raise InputError(
            "empty file",
            path,
            None,
            'write a mapping with "@context": context.jsonld and "@graph": [...] or delete it',
        )
    return root


# --------------------------------------------------------------------------------------------
# The shared JSON-LD context


@dataclass(frozen=True)
class PropertyTerm:
    """A property term of the context and the kind of value it takes.

    kind is one of: "reference" (@type @id), "vocab" (@type @vocab), "typed" (a datatype),
    "plain" (a plain string), "language" (@language), "language-map" (@container @language).
    """

    name: str
    iri: str
    kind: str
    datatype: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class Context:
    """The classified terms of ``context.jsonld``."""

    path: Path
    raw: dict[str, Any]  # the "@context" object, passed unchanged to the JSON-LD parser
    base: str
    prefixes: dict[str, str]  # prefix -> namespace IRI
    names: dict[str, str]  # class/individual/unit name term -> IRI
    properties: dict[str, PropertyTerm]


def _context_error(path: Path, text: str, term: str | None, message: str, hint: str) -> InputError:
    line = None
    if term is not None:
        match = re.search(rf'"{re.escape(term)}"\s*:', text)
        if match:
            line = _line_at(text, match.start())
    return InputError(message, path, line, hint)


def load_context(data_dir: str | os.PathLike[str]) -> Context:
    """Read and classify ``data_dir/context.jsonld``. Raises InputError if missing or invalid."""
    path = Path(data_dir) / CONTEXT_FILE
    _check_inside(path, Path(data_dir), Path(data_dir).resolve())
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError as exc:
        raise InputError(
            f"missing {CONTEXT_FILE}",
            path,
            None,
            "the data directory must hold the shared JSON-LD context",
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {CONTEXT_FILE}: {first_line(exc)}", path) from exc
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON: {exc.msg}", path, exc.lineno, "fix the JSON syntax"
        ) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("@context"), dict):
        raise InputError(
            'the file must be a JSON object whose "@context" is an object of term definitions',
            path,
            1,
            "kgbuild never fetches remote contexts",
        )
    raw: dict[str, Any] = doc["@context"]

    def fail(
        term: str | None, message: str, hint: str = "kgbuild supports simple term definitions"
    ) -> InputError:
        return _context_error(path, text, term, message, hint)

    def expand(value: str, depth: int = 0) -> str:
        match = _SCHEME_RE.fullmatch(value)
        if match and depth < 10:
            prefix, rest = match.groups()
            target = raw.get(prefix)
            if isinstance(target, str) and not target.startswith("@") and not rest.startswith("//"):
                return expand(target, depth + 1) + rest
        return value

    base = raw.get("@base", ID_BASE)
    if base != ID_BASE:
        raise fail(
            "@base", f"@base is '{excerpt(base)}'", f"kgbuild data ids live under '{ID_BASE}'"
        )
    prefixes: dict[str, str] = {}
    names: dict[str, str] = {}
    properties: dict[str, PropertyTerm] = {}
    for term, value in raw.items():
        if term.startswith("@"):
            if term not in _CONTEXT_KEYWORDS:
                raise fail(term, f"unsupported context keyword '{excerpt(term)}'")
            continue
        if isinstance(value, str):
            if value.startswith("@"):
                if _KEYWORD_ALIASES.get(term) != value:
                    raise fail(
                        term,
                        f"unsupported keyword alias '{excerpt(term)}': '{excerpt(value)}'",
                        "only 'id' (@id) and 'type' (@type) are aliases",
                    )
                continue
            iri = expand(value)
            if iri.endswith(_GEN_DELIMS):
                prefixes[term] = iri
            else:
                names[term] = iri
            continue
        if not isinstance(value, dict) or not isinstance(value.get("@id"), str):
            raise fail(term, f"term '{excerpt(term)}' must be a string or an object with \"@id\"")
        extra = set(value) - {"@id", "@type", "@language", "@container"}
        if extra:
            raise fail(term, f"term '{excerpt(term)}' uses unsupported {', '.join(sorted(extra))}")
        iri = expand(value["@id"])
        if "@container" in value:
            if value["@container"] != "@language" or len(value) != 2:
                raise fail(
                    term,
                    f"term '{excerpt(term)}' has an unsupported @container",
                    'only "@container": "@language" is supported',
                )
            properties[term] = PropertyTerm(term, iri, "language-map")
        elif "@language" in value:
            if "@type" in value or not isinstance(value["@language"], str):
                raise fail(term, f"term '{excerpt(term)}' has an invalid @language")
            properties[term] = PropertyTerm(term, iri, "language", language=value["@language"])
        elif "@type" in value:
            kind_of = value["@type"]
            if kind_of == "@id":
                properties[term] = PropertyTerm(term, iri, "reference")
            elif kind_of == "@vocab":
                properties[term] = PropertyTerm(term, iri, "vocab")
            elif isinstance(kind_of, str) and not kind_of.startswith("@"):
                properties[term] = PropertyTerm(term, iri, "typed", datatype=expand(kind_of))
            else:
                raise fail(term, f"term '{excerpt(term)}' has an unsupported @type")
        else:
            properties[term] = PropertyTerm(term, iri, "plain")
    for alias in _KEYWORD_ALIASES:
        if alias not in raw:
            raise fail(
                None,
                f"the context does not define '{excerpt(alias)}'",
                f'add "{alias}": "{_KEYWORD_ALIASES[alias]}"',
            )
    return Context(path, raw, ID_BASE, prefixes, names, properties)


# --------------------------------------------------------------------------------------------
# Lexical forms of typed literals. Each check returns None when valid, else (detail, hint).
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


_LEXICAL_CHECKS = {
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


# --------------------------------------------------------------------------------------------
# Checking node objects


def _did_you_mean(word: str, candidates: Any, n: int = 3) -> str:
    """' (did you mean 'x'?)' with the closest candidates, or '' if none is close."""
    scored = []
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(word)
    for candidate in candidates:
        matcher.set_seq1(candidate)
        if matcher.real_quick_ratio() >= 0.6 and matcher.quick_ratio() >= 0.6:
            ratio = matcher.ratio()
            if ratio >= 0.6:
                scored.append((ratio, candidate))
    if not scored:
        lowered = {c.lower(): c for c in candidates}
        if word.lower() not in lowered:
            return ""
        scored = [(1.0, lowered[word.lower()])]
    scored.sort(key=lambda x: (-x[0], x[1]))
    # Only the near-best: a clear winner is not diluted by weaker guesses.
    best = scored[0][0]
    matches = [c for ratio, c in scored[:n] if ratio >= best - 0.1]
    quoted = [f"'{excerpt(m)}'" for m in matches]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return f" (did you mean {listed}?)"


def _cites_sources(record: YMap) -> bool:
    """Whether a record cites sources of its own."""
    return any(key in record for key in ("statedIn", "backgroundSource", "sources"))


def _describe(value: Any) -> str:
    if isinstance(value, YMap):
        return "a mapping"
    if isinstance(value, YSeq):
        return "a list"
    if value is None:
        return "nothing"
    return f"the text '{excerpt(value)}'"


@dataclass
class _Reference:
    iri: str
    raw: str
    term: str
    owner: str
    path: Path
    line: int


class _Checker:
    """Checks node objects of all files, collecting errors, definitions and references."""

    def __init__(self, context: Context, ontology: Graph) -> None:
        self.ctx = context
        self.classes = {
            str(s)
            for cls in (OWL.Class, RDFS.Class)
            for s in ontology.subjects(RDF.type, cls)
            if isinstance(s, URIRef)
        }
        self.declared = {str(s) for s in ontology.subjects(RDF.type, None) if isinstance(s, URIRef)}
        self.class_terms = sorted(n for n, iri in context.names.items() if iri in self.classes)
        self.key_terms = sorted([*context.properties, "id", "type", "extend", "sources", "sides"])
        self.errors: list[DataError] = []
        self.defined: dict[str, tuple[Path, int]] = {}
        self.references: list[_Reference] = []

    def error(self, path: Path, line: int | None, message: str, hint: str | None = None) -> None:
        self.errors.append(DataError(message, path, line, hint))

    # -- IRIs

    def resolve(self, raw: str) -> tuple[str | None, str | None]:
        """Resolve an id or reference string to an IRI: (iri, None) or (None, hint)."""
        if not raw.strip():
            return None, "write an id such as 'place/lachin-district'"
        if raw != raw.strip():
            return None, "remove the surrounding spaces"
        if raw.startswith("_:"):
            return None, "blank nodes are not allowed: give the node an id"
        match = _SCHEME_RE.fullmatch(raw)
        if match:
            prefix, rest = match.groups()
            if prefix in self.ctx.prefixes and not rest.startswith("//"):
                iri = self.ctx.prefixes[prefix] + rest
            elif prefix.lower() in ABSOLUTE_SCHEMES:
                iri = raw
            else:
                known = ", ".join(sorted(self.ctx.prefixes))
                return None, (
                    f"'{excerpt(prefix)}:' is not a prefix of the context ({known}) nor a "
                    f"known IRI scheme; a relative id has no ':' before its first '/', "
                    f"e.g. '{excerpt(prefix)}/{excerpt(rest)}'"
                )
            if _IRI_BAD_CHARS_RE.search(iri):
                return None, 'an IRI cannot contain spaces or any of <>"{}|\\^`'
            return iri, None
        if not _RELATIVE_ID_RE.fullmatch(raw) or any(s in (".", "..") for s in raw.split("/")):
            return None, (
                "write a relative id of letters, digits and - _ . ~ separated by '/', "
                "e.g. 'place/lachin-district'"
            )
        return self.ctx.base + raw, None

    # -- nodes

    def check_graph(self, graph: YSeq, path: Path) -> None:
        for node, line in zip(graph, graph.item_lines, strict=True):
            self.check_node(node, path, line, None, 0)

    def check_node(
        self, node: Any, path: Path, line: int, parent: tuple[str, str] | None, depth: int
    ) -> None:
        """Check one node object; ``parent`` is (property term, owner id) for nested nodes."""
        where = f" in '{parent[0]}' of node '{parent[1]}'" if parent else ""
        if not isinstance(node, YMap):
            self.error(
                path,
                line,
                f"expected a node object (a mapping with 'id'){where}, found {_describe(node)}",
                "write '- id: ...' followed by 'type' and properties",
            )
            return
        if depth > MAX_NESTING:
            self.error(
                path,
                node.line,
                f"node objects nested more than {MAX_NESTING} deep",
                "give nested nodes their own top-level records and refer to their ids",
            )
            return
        if parent is None and "extend" in node:
            self.check_extension(node, path, depth)
            return
        raw_id = node.get("id")
        iri = None
        if "id" not in node:
            owner = "(node without id)"
            if parent:
                self.error(
                    path,
                    node.line,
                    f"nested node{where} has no 'id'",
                    "blank nodes are not allowed: give it an id such as 'name/lachin-az'",
                )
            else:
                self.error(
                    path,
                    node.line,
                    "node without 'id'",
                    "give every node an id such as 'place/lachin-district'",
                )
        else:
            owner = excerpt(raw_id) if isinstance(raw_id, str) else "(invalid id)"
            id_line = node.key_lines["id"]
            if not isinstance(raw_id, str):
                self.error(
                    path,
                    id_line,
                    f"'id' must be text, found {_describe(raw_id)}",
                    "write an id such as 'place/lachin-district'",
                )
            else:
                iri, hint = self.resolve(raw_id)
                if iri is None:
                    self.error(path, id_line, f"invalid id '{excerpt(raw_id)}'", hint)
                elif not iri.startswith(self.ctx.base):
                    self.error(
                        path,
                        id_line,
                        f"id '{excerpt(raw_id)}' is outside the data namespace {self.ctx.base}",
                        "write a relative id such as 'place/lachin-district'",
                    )
                    iri = None
                else:
                    # Hand rdflib absolute IRIs: it then resolves nothing itself (faster, and
                    # the graph cannot disagree with the checks made here).
                    node["id"] = iri
        if len(node) == 1 and "id" in node:
            if parent and iri is not None:
                # A mapping with only an id is a node reference in JSON-LD.
                self.references.append(
                    _Reference(iri, raw_id, parent[0], parent[1], path, node.key_lines["id"])
                )
            elif not parent:
                self.error(
                    path,
                    node.line,
                    f"node '{owner}' has nothing but an id",
                    "add its type and properties, or remove it",
                )
            return
        if iri is not None:
            first = self.defined.get(iri)
            if first is not None:
                self.error(
                    path,
                    node.key_lines["id"],
                    f"duplicate id '{excerpt(raw_id)}' (first defined at {_where(*first)})",
                    "give each node its own id, or merge the two records",
                )
            else:
                self.defined[iri] = (path, node.line)
        self.check_keys(node, path, owner, depth)

    def check_extension(self, node: YMap, path: Path, depth: int) -> None:
        """A record that states more about a node defined elsewhere."""
        raw = node["extend"]
        owner = f"extend {excerpt(raw)}" if isinstance(raw, str) else "(extension)"
        line = node.key_lines["extend"]
        if "id" in node:
            self.error(
                path,
                node.key_lines["id"],
                "a record has either 'id' (it defines a node) or 'extend' (it adds to a node "
                "defined elsewhere), not both",
                "remove one of the two",
            )
            return
        iri = self.check_reference(raw, "extend", path, line, owner)
        if iri is None:
            return
        if not iri.startswith(self.ctx.base):
            found = f"found '{excerpt(raw)}'"
            self.error(path, line, f"'extend' must name a data node, {found}", "write its id")
            return
        node["extend"] = iri
        if len(node) == 1:
            self.error(
                path,
                node.line,
                f"record '{owner}' adds nothing",
                "add the properties it states, with their sources",
            )
        self.check_keys(node, path, owner, depth)
        self.check_extension_sourced(node, path, owner)

    def check_extension_sourced(self, node: YMap, path: Path, owner: str) -> None:
        """What an extension states rests on its own sources (the record's, a 'sources' entry's,
        or for a nested node, that node's own, as provenance.py attests it), never on the default
        of the node it extends, which cites what the defining record read."""
        if "statedIn" in node or "backgroundSource" in node:
            return
        entries = node.get("sources")
        entries = [e for e in entries if isinstance(e, YMap)] if isinstance(entries, YSeq) else []
        if any("for" not in e for e in entries):
            return
        covered: dict[str, set[str] | None] = {}  # key -> the values named, None for all
        for entry in entries:
            items = entry["for"] if isinstance(entry["for"], YSeq) else [entry["for"]]
            for item in items:
                if not isinstance(item, str):
                    continue
                key, eq, raw = item.partition("=")
                if not eq:
                    covered[key] = None
                elif covered.get(key, set()) is not None:
                    covered.setdefault(key, set()).update({raw, self.resolve(raw)[0] or raw})
        for key, value in node.items():
            if key in ("extend", "sources", "sides") or key in ATTESTATION_KEYS:
                continue
            named = covered.get(key, set())
            if named is None:
                continue
            values = value if isinstance(value, YSeq) else [value]
            unsourced = [
                v
                for v in values
                if not (isinstance(v, YMap) and _cites_sources(v))
                and (v.get("id") if isinstance(v, YMap) else v) not in named
            ]
            if unsourced:
                self.error(
                    path,
                    node.key_lines[key],
                    f"'{excerpt(key)}' in '{owner}' rests on no source: an extension does not "
                    "inherit the sources of the node it extends",
                    "give the record statedIn or backgroundSource, or a 'sources' entry "
                    f"'for: [{key}]'",
                )

    def check_keys(self, node: YMap, path: Path, owner: str, depth: int) -> None:
        for key, value in node.items():
            key_line = node.key_lines[key]
            if key in ("id", "extend"):
                continue
            if key == "type":
                self.check_type(value, path, key_line, owner)
                continue
            if key == "sources":
                self.check_sources(node, value, path, key_line, owner, depth)
                continue
            if key == "sides":
                self.check_sides(value, path, key_line, owner)
                continue
            term = self.ctx.properties.get(key)
            if term is None:
                self.unknown_key(key, path, key_line, owner)
            else:
                self.check_value(node, term, value, path, key_line, owner, depth)
        self.check_attribution(node, path, owner)

    # -- sources

    def check_attribution(self, entry: YMap, path: Path, owner: str) -> None:
        """accordingTo and attributionDetail qualify the passages of the same record or entry."""
        if "accordingTo" in entry and "statedIn" not in entry:
            self.error(
                path,
                entry.key_lines["accordingTo"],
                f"'accordingTo' in '{owner}' names who speaks in a passage, but no 'statedIn' "
                "passage is given beside it",
                "add the passage with statedIn, or move the attribution into a 'sources' entry",
            )
        if "attributionDetail" in entry and "accordingTo" not in entry:
            self.error(
                path,
                entry.key_lines["attributionDetail"],
                f"'attributionDetail' in '{owner}' refines an authority, but no 'accordingTo' "
                "is given beside it",
                "add accordingTo with the actor the passage quotes",
            )

    def check_sources(
        self, node: YMap, value: Any, path: Path, line: int, owner: str, depth: int
    ) -> None:
        hint = (
            "write a list of entries such as '- {statedIn: passage/001-p03, "
            "accordingTo: actor/x, for: [hasTime]}'"
        )
        if not isinstance(value, YSeq) or not value:
            self.error(
                path, line, f"'sources' of '{owner}' must be a non-empty list of entries", hint
            )
            return
        keys = {k for k in node if k not in ("id", "extend", "sources", "sides")}
        keys -= set(ATTESTATION_KEYS)
        for entry, entry_line in zip(value, value.item_lines, strict=True):
            if not isinstance(entry, YMap):
                self.error(
                    path,
                    entry_line,
                    f"an entry of 'sources' of '{owner}' must be a mapping, "
                    f"found {_describe(entry)}",
                    hint,
                )
                continue
            for key, item in entry.items():
                key_line = entry.key_lines[key]
                if key not in SOURCE_ENTRY_KEYS:
                    self.error(
                        path,
                        key_line,
                        f"unknown key '{excerpt(key)}' in a 'sources' entry of '{owner}'",
                        "an entry has statedIn (with accordingTo and attributionDetail) or "
                        "backgroundSource, and optionally for"
                        + _did_you_mean(key, SOURCE_ENTRY_KEYS),
                    )
                elif key == "for":
                    self.check_for(node, keys, item, path, key_line, owner)
                else:
                    self.check_value(
                        entry, self.ctx.properties[key], item, path, key_line, owner, depth
                    )
            has_passage, has_record = "statedIn" in entry, "backgroundSource" in entry
            if has_passage == has_record:
                self.error(
                    path,
                    entry_line,
                    f"a 'sources' entry of '{owner}' must cite either passages (statedIn) or "
                    "background records (backgroundSource)",
                    "split it into two entries"
                    if has_passage
                    else "add statedIn or backgroundSource",
                )
            self.check_attribution(entry, path, owner)

    def check_for(
        self, node: YMap, keys: set[str], value: Any, path: Path, line: int, owner: str
    ) -> None:
        for _, item, item_line in self.items(value, "for", path, line, owner):
            if not isinstance(item, str):
                self.error(
                    path,
                    item_line,
                    f"'for' in '{owner}' must list property keys, found {_describe(item)}",
                    "write e.g. 'for: [hasTime, partOf=country/azerbaijan]'",
                )
                continue
            key, eq, raw = item.partition("=")
            if key not in keys:
                self.error(
                    path,
                    item_line,
                    f"'for' in '{owner}' names '{excerpt(key)}', which the record does not state",
                    "name keys of the same record" + _did_you_mean(key, sorted(keys)),
                )
                continue
            if not eq:
                continue
            values = node[key] if isinstance(node[key], YSeq) else [node[key]]
            written = {v.get("id") if isinstance(v, YMap) else v for v in values}
            term = self.ctx.properties.get(key)
            resolved = raw
            if term is not None and term.kind == "reference":
                resolved = self.resolve(raw)[0] or raw
            if raw not in written and resolved not in written:
                self.error(
                    path,
                    item_line,
                    f"'for' in '{owner}' names '{excerpt(key)}={excerpt(raw)}', but "
                    f"'{excerpt(raw)}' is not a value of '{excerpt(key)}' in the record",
                    "name a value the record gives, or the key alone",
                )

    def check_sides(self, value: Any, path: Path, line: int, owner: str) -> None:
        hint = (
            "a side is a node id, or a triple written as [subject id, property key, value], "
            "e.g. [agreement/x, signedOn, time/2020-11-09]"
        )
        if not isinstance(value, YSeq) or not value:
            self.error(path, line, f"'sides' of '{owner}' must be a non-empty list", hint)
            return
        for index, item, item_line in zip(range(len(value)), value, value.item_lines, strict=True):
            if isinstance(item, str):
                iri = self.check_reference(item, "sides", path, item_line, owner)
                if iri is not None:
                    value[index] = iri
                continue
            if (
                not isinstance(item, YSeq)
                or len(item) != 3
                or not all(isinstance(x, str) for x in item)
            ):
                self.error(path, item_line, f"invalid side in '{owner}'", hint)
                continue
            subject, key, raw = item
            iri = self.check_reference(subject, "sides", path, item_line, owner)
            if iri is not None:
                item[0] = iri
            term = self.ctx.properties.get(key)
            if key != "type" and term is None:
                self.error(
                    path,
                    item_line,
                    f"unknown property '{excerpt(key)}' in a side of '{owner}'",
                    hint + _did_you_mean(key, self.key_terms),
                )
            elif key == "type" or term.kind == "vocab":
                self.check_vocab(raw, "sides", path, item_line, owner)
            elif term.kind == "reference":
                target = self.check_reference(raw, "sides", path, item_line, owner)
                if target is not None:
                    item[2] = target

    def unknown_key(self, key: str, path: Path, line: int, owner: str) -> None:
        message = f"unknown key '{excerpt(key)}' in node '{owner}'"
        if key.startswith("@"):
            alias = {v: k for k, v in _KEYWORD_ALIASES.items()}.get(key)
            hint = (
                f"write '{excerpt(alias)}'"
                if alias
                else "JSON-LD keywords are not used in kgbuild data: use 'id', 'type' and the "
                "property terms of the context"
            )
        elif key in self.ctx.names:
            hint = f"'{excerpt(key)}' names a class or an individual, not a property"
        elif key in self.ctx.prefixes:
            hint = f"'{excerpt(key)}' is a prefix, not a property"
        elif ":" in key:
            hint = "use the property terms of the context, not IRIs" + _did_you_mean(
                key.rsplit(":", 1)[-1], self.key_terms
            )
        else:
            hint = "the context does not define it" + _did_you_mean(key, self.key_terms)
        self.error(path, line, message, hint)

    def check_type(self, value: Any, path: Path, line: int, owner: str) -> None:
        for _, item, item_line in self.items(value, "type", path, line, owner):
            if not isinstance(item, str):
                self.error(
                    path,
                    item_line,
                    f"'type' of node '{owner}' must be a class name, found {_describe(item)}",
                    "write e.g. 'type: District'",
                )
                continue
            iri = self.ctx.names.get(item)
            if iri is None:
                if item in self.ctx.properties:
                    hint = f"'{excerpt(item)}' is a property, not a class"
                else:
                    hint = "the context defines no such class" + _did_you_mean(
                        item, self.class_terms
                    )
                self.error(
                    path, item_line, f"unknown type '{excerpt(item)}' in node '{owner}'", hint
                )
            elif iri not in self.classes:
                self.error(
                    path,
                    item_line,
                    f"type '{excerpt(item)}' of node '{owner}' is not a class of the ontology",
                    f"{qname(iri)} is not declared as owl:Class"
                    + _did_you_mean(item, self.class_terms),
                )

    def items(
        self, value: Any, key: str, path: Path, line: int, owner: str
    ) -> list[tuple[int | None, Any, int]]:
        """(index in the list or None, item, line) for a list or a single value, reporting
        empty items."""
        if isinstance(value, YSeq):
            triples = list(zip(range(len(value)), value, value.item_lines, strict=True))
            if not triples:
                self.error(
                    path,
                    line,
                    f"empty list for '{excerpt(key)}' in node '{owner}'",
                    "give a value or remove the key",
                )
        else:
            triples = [(None, value, line)]
        result = []
        for index, item, item_line in triples:
            if item is None or item == "":
                self.error(
                    path,
                    item_line,
                    f"empty value for '{excerpt(key)}' in node '{owner}'",
                    "give a value or remove the key",
                )
            elif isinstance(item, YSeq):
                self.error(
                    path,
                    item_line,
                    f"nested list in '{excerpt(key)}' of node '{owner}'",
                    "write one flat list",
                )
            else:
                result.append((index, item, item_line))
        return result

    def check_value(
        self,
        node: YMap,
        term: PropertyTerm,
        value: Any,
        path: Path,
        line: int,
        owner: str,
        depth: int,
    ) -> None:
        name, kind = term.name, term.kind
        if kind == "language-map":
            self.check_language_map(term, value, path, line, owner)
            return
        for index, item, item_line in self.items(value, name, path, line, owner):
            if kind == "reference":
                if isinstance(item, YMap):
                    self.check_node(item, path, item_line, (name, owner), depth + 1)
                    continue
                iri = self.check_reference(item, name, path, item_line, owner)
                if iri is not None:  # absolute for rdflib, as for ids
                    if index is None:
                        node[name] = iri
                    else:
                        value[index] = iri
                continue
            if not isinstance(item, str):
                expected = "a term such as 'StatusOpen'" if kind == "vocab" else "text"
                self.error(
                    path,
                    item_line,
                    f"'{name}' of node '{owner}' must be {expected}, found {_describe(item)}",
                )
            elif kind == "vocab":
                self.check_vocab(item, name, path, item_line, owner)
            elif kind == "typed":
                check = _LEXICAL_CHECKS.get(term.datatype or "")
                problem = check(item) if check else None
                if problem is not None:
                    detail, hint = problem
                    message = (
                        f"invalid {qname(term.datatype or '')} '{excerpt(item)}' for '{name}' "
                        f"in node '{owner}'"
                    )
                    self.error(path, item_line, f"{message}: {detail}" if detail else message, hint)
            elif not item.strip():
                self.error(
                    path,
                    item_line,
                    f"blank text for '{name}' in node '{owner}'",
                    "give a value or remove the key",
                )

    def check_reference(
        self, item: Any, name: str, path: Path, line: int, owner: str
    ) -> str | None:
        """Resolve and record one reference; returns its IRI, or None if it is invalid."""
        if not isinstance(item, str):
            self.error(
                path,
                line,
                f"'{name}' of node '{owner}' must be an id or a node object, "
                f"found {_describe(item)}",
            )
            return None
        iri, hint = self.resolve(item)
        if iri is None:
            self.error(
                path,
                line,
                f"invalid reference '{excerpt(item)}' in '{name}' of node '{owner}'",
                hint,
            )
        elif iri.startswith(str(KG)):
            if iri not in self.declared:
                self.error(
                    path,
                    line,
                    f"reference '{excerpt(item)}' in '{name}' of node '{owner}' is not "
                    "declared in the ontology",
                    f"{qname(iri)} has no rdf:type there",
                )
        elif iri.startswith(self.ctx.base):
            self.references.append(_Reference(iri, item, name, owner, path, line))
        return iri

    def check_vocab(self, item: str, name: str, path: Path, line: int, owner: str) -> None:
        iri = self.ctx.names.get(item)
        if iri is None:
            hint = "the context defines no such term" + _did_you_mean(item, self.ctx.names)
            self.error(
                path, line, f"unknown term '{excerpt(item)}' in '{name}' of node '{owner}'", hint
            )
        elif iri.startswith(str(KG)) and iri not in self.declared:
            self.error(
                path,
                line,
                f"'{excerpt(item)}' in '{name}' of node '{owner}' is not declared in the ontology",
                f"declare {qname(iri)} in ontology/*.ttl or use another term",
            )

    def check_language_map(
        self, term: PropertyTerm, value: Any, path: Path, line: int, owner: str
    ) -> None:
        hint = "write a mapping of language tags to text, e.g. {az: Laçın, hy: Լաչին}"
        if not isinstance(value, YMap):
            self.error(
                path,
                line,
                f"'{term.name}' of node '{owner}' must be a mapping of "
                f"language tags, found {_describe(value)}",
                hint,
            )
            return
        if not value:
            self.error(path, line, f"empty mapping for '{term.name}' in node '{owner}'", hint)
        for tag, text in value.items():
            tag_line = value.key_lines[tag]
            if not _LANG_TAG_RE.fullmatch(tag):
                self.error(
                    path,
                    tag_line,
                    f"invalid language tag '{excerpt(tag)}' in '{term.name}' of node '{owner}'",
                    "use a BCP 47 tag such as 'az', 'hy', 'ru' or 'hy-Latn'",
                )
            label = f"{term.name}.{tag}"
            for _, item, item_line in self.items(text, label, path, tag_line, owner):
                if not isinstance(item, str):
                    self.error(
                        path,
                        item_line,
                        f"'{excerpt(label)}' of node '{owner}' must be text, "
                        f"found {_describe(item)}",
                    )

    # -- after all files

    def check_references(self) -> None:
        suggested = 0
        by_first_segment: dict[str, list[str]] | None = None
        base_len = len(self.ctx.base)
        for ref in self.references:
            if ref.iri in self.defined:
                continue
            hint = "no node in the data has this id"
            if suggested < MAX_SUGGESTED_REFERENCES:
                suggested += 1
                if by_first_segment is None:
                    by_first_segment = {}
                    for iri in self.defined:
                        rel = iri[base_len:]
                        by_first_segment.setdefault(rel.split("/", 1)[0], []).append(rel)
                rel = ref.iri[base_len:]
                candidates = by_first_segment.get(rel.split("/", 1)[0]) or [
                    r for group in by_first_segment.values() for r in group
                ]
                hint += _did_you_mean(rel, candidates)
            self.error(
                ref.path,
                ref.line,
                f"undefined reference '{excerpt(ref.raw)}' in '{ref.term}' of node '{ref.owner}'",
                hint,
            )


def _where(path: Path, line: int) -> str:
    return f"{display_path(path)}:{line}"


# --------------------------------------------------------------------------------------------
# Files


def data_files(data_dir: Path) -> list[Path]:
    """The data files under ``data_dir`` (``**/*.yaml``, hidden ones left out), sorted.

    InputError for anything else that would be skipped in silence or read from elsewhere: a
    symbolic link that leads out of ``data_dir`` or nowhere (refused before it is read), a
    ``.yml``, ``.json`` or other stray file."""
    real_dir = data_dir.resolve()
    files = []
    for root, dirs, names in os.walk(data_dir):  # symlinked directories are not entered
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for entry in [*(here / d for d in dirs), *(here / n for n in sorted(names))]:
            if entry.name.startswith(".") or entry.name.endswith("~"):
                continue  # hidden files and editor backups
            _check_inside(entry, data_dir, real_dir)
            if entry.is_dir():
                continue
            if not entry.is_file():  # a FIFO or device would block or never end
                raise InputError("not a regular file", entry, None, "remove it")
            rel = entry.relative_to(data_dir).as_posix()
            if entry.suffix == ".yaml":
                files.append(entry)
            elif rel != CONTEXT_FILE:
                _stray_file(entry)
    # A link to a data file of the directory is that file: read it once, by its own name.
    real_files = {f.resolve() for f in files if not f.is_symlink()}
    files = [f for f in files if not (f.is_symlink() and f.resolve() in real_files)]
    return sorted(files, key=lambda p: p.relative_to(data_dir).as_posix())


# Paths are quoted longer than values: the user needs all of one to find it.
_PATH_CHARS = 4 * EXCERPT_CHARS


def _check_inside(path: Path, data_dir: Path, real_dir: Path) -> None:
    """Refuse a symbolic link that leads nowhere or out of the data directory, without reading
    what it points at (a link to /etc/passwd must not end up quoted in an error)."""
    if not path.is_symlink():
        return
    target = os.readlink(path)
    real = path.resolve()
    if not real.exists():
        raise InputError(
            f"broken symbolic link to '{excerpt(target, _PATH_CHARS)}'",
            path,
            None,
            "remove the link or make it point at a file in the data directory",
        )
    if not real.is_relative_to(real_dir):
        raise InputError(
            f"symbolic link to '{excerpt(real.as_posix(), _PATH_CHARS)}', outside the data "
            f"directory '{excerpt(data_dir.as_posix(), _PATH_CHARS)}'",
            path,
            None,
            "kgbuild reads data files only inside the data directory: copy the file in "
            "or remove the link",
        )


def _stray_file(path: Path) -> None:
    if path.suffix == ".yml":
        raise InputError("kgbuild reads only *.yaml files", path, None, "rename it to .yaml")
    raise InputError(
        f"unexpected file: the data directory holds only *.yaml data files and {CONTEXT_FILE}",
        path,
        None,
        "rewrite a JSON or JSON-LD file as a .yaml data file, or move the file out of the "
        "data directory (or hide it with a leading '.')",
    )


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n:,} bytes"


def _too_big(path: Path, size: int) -> InputError:
    return InputError(
        f"file has {size:,} bytes, over the limit of {MAX_FILE_BYTES:,} bytes per data file",
        path,
        None,
        f"split it into several .yaml files of at most {_size(MAX_FILE_BYTES)} each",
    )


def _check_sizes(files: list[Path], data_dir: Path) -> None:
    """Refuse too large files, and too much data in all, before reading any of it."""
    total = 0
    for path in files:
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise InputError(f"cannot read file: {exc.strerror}", path) from exc
        if size > MAX_FILE_BYTES:
            raise _too_big(path, size)
        total += size
    if total > MAX_TOTAL_BYTES:
        raise InputError(
            f"the data files in '{data_dir.as_posix()}' have {total:,} bytes in all, over the "
            f"limit of {MAX_TOTAL_BYTES:,} bytes",
            hint=f"keep the data under {_size(MAX_TOTAL_BYTES)}: move some files to another "
            "--data directory and build it separately",
        )


def _read_yaml(path: Path, errors: list[DataError]) -> Any:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:  # it may have grown since _check_sizes
            raise _too_big(path, size)
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", path) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x})",
            path,
            data.count(b"\n", 0, exc.start) + 1,
            "save it as UTF-8",
        ) from exc
    del data
    return _compose(text, path, errors)


def _check_file(path: Path, checker: _Checker) -> YSeq:
    graph = _check_top_level(_read_yaml(path, checker.errors), path)
    checker.check_graph(graph, path)
    return graph


def read_records(path: Path) -> YSeq:
    """The records (``@graph``) of one data file, unchecked; InputError or DataErrors when the
    file cannot be read as a data file."""
    errors: list[DataError] = []
    records = _check_top_level(_read_yaml(path, errors), path)
    if errors:
        raise DataErrors(errors)
    return records


def _check_top_level(doc: Any, path: Path) -> YSeq:
    hint = 'a data file is a mapping with "@context": context.jsonld and "@graph": [nodes]'
    if not isinstance(doc, YMap):
        raise InputError(f"the file must be a mapping, found {_describe(doc)}", path, 1, hint)
    for key in doc:
        if key not in ("@context", "@graph"):
            raise InputError(
                f"unexpected top-level key '{excerpt(key)}'", path, doc.key_lines[key], hint
            )
    if "@context" not in doc:
        raise InputError('missing "@context"', path, doc.line, hint)
    context, context_line = doc["@context"], doc.key_lines["@context"]
    if isinstance(context, str) and context.lower().startswith(("http://", "https://")):
        raise InputError(
            f"remote @context '{excerpt(context)}' refused: kgbuild never fetches contexts over "
            "the network",
            path,
            context_line,
            f'write "@context": {CONTEXT_FILE} to use the shared context in the data directory',
        )
    if context != CONTEXT_FILE:
        what = (
            "an inline @context"
            if isinstance(context, YMap | YSeq)
            else f"@context '{excerpt(context)}'"
        )
        raise InputError(
            f"{what} is not allowed: all data files share one context",
            path,
            context_line,
            f'write "@context": {CONTEXT_FILE}',
        )
    if "@graph" not in doc:
        raise InputError('missing "@graph"', path, doc.line, hint)
    graph = doc["@graph"]
    if not isinstance(graph, YSeq):
        raise InputError(
            f'"@graph" must be a list of node objects, found {_describe(graph)}',
            path,
            doc.key_lines["@graph"],
            hint,
        )
    return graph


# --------------------------------------------------------------------------------------------
# Entry point


@dataclass
class LoadedData:
    """The asserted data triples and where each node was defined."""

    triples: list[Triple]
    locations: dict[URIRef, tuple[Path, int]]
    files: list[Path] = field(default_factory=list)
    context: Context | None = None
    _graph: Graph | None = field(default=None, repr=False)

    @property
    def graph(self) -> Graph:
        """The triples as an rdflib graph, made on first use (the build itself does not need
        one, and it costs more than the rest of loading on a large data set)."""
        if self._graph is None:
            graph = Graph()
            graph.addN((s, p, o, graph) for s, p, o in self.triples)
            self._graph = graph
        return self._graph


def load_data(data_dir: str | os.PathLike[str], ontology: Graph) -> LoadedData:
    """Load, check and convert every ``*.yaml`` file under ``data_dir``.

    Raises InputError for unreadable input and DataErrors listing every content problem.
    """
    checked = check_data(data_dir, ontology)
    flat, plan = plan_records(checked.records, checked.context)
    del checked.records[:]
    quads = to_quads(flat, checked.context)
    del flat
    _assert_closed((q[:3] for q in quads), checked.defined, checked.context.base)
    triples, provenance_locations, errors = plan.attest(quads)
    if errors:
        errors.sort(key=lambda e: (checked.order.get(e.path, -1), e.line or 0))
        raise DataErrors(errors)
    locations = {URIRef(iri): where for iri, where in checked.defined.items()}
    locations.update(provenance_locations)
    return LoadedData(triples, locations, checked.files, checked.context)


@dataclass
class CheckedData:
    """The records of every data file, checked, with their ids and references made absolute."""

    records: list[tuple[Any, Path]]  # (record, file)
    context: Context
    files: list[Path]
    defined: dict[str, tuple[Path, int]]  # node IRI -> where its record is
    order: dict[Path, int]  # file -> its position, to sort errors


def check_data(data_dir: str | os.PathLike[str], ontology: Graph) -> CheckedData:
    """Read and check every data file; raises InputError or DataErrors (see load_data)."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise InputError(
            f"data directory '{data_dir.as_posix()}' does not exist",
            hint="pass --data DIR with the YAML-LD data files",
        )
    context = load_context(data_dir)
    files = data_files(data_dir)
    if not files:
        raise InputError(
            f"no *.yaml data files in '{data_dir.as_posix()}'",
            hint="pass --data DIR with the YAML-LD data files",
        )
    _check_sizes(files, data_dir)
    checker = _Checker(context, ontology)
    records: list[tuple[Any, Path]] = []
    for path in files:
        records.extend((node, path) for node in _check_file(path, checker))
    checker.check_references()
    order = {p: i for i, p in enumerate(files)}
    if checker.errors:
        checker.errors.sort(key=lambda e: (order.get(e.path, -1), e.line or 0))
        raise DataErrors(checker.errors)
    return CheckedData(records, context, files, checker.defined, order)


_RECORD_GRAPH = "urn:kgbuild:record:"


# Node objects per JSON-LD document: parsing the data in parts keeps pyoxigraph's quads of one
# part in memory at a time, not a million of them.
_NODES_PER_DOCUMENT = 5_000


def to_quads(nodes: list[Any], context: Context) -> list[tuple[Node, Node, Node, int]]:
    """The triples of flat node objects under ``context``, each with the index of the node
    object that states it (one JSON-LD named graph per node object tells them apart)."""
    start = len(_RECORD_GRAPH)
    cache: dict[str, Node] = {}
    quads: list[tuple[Node, Node, Node, int]] = []
    for first in range(0, len(nodes), _NODES_PER_DOCUMENT):
        part = nodes[first : first + _NODES_PER_DOCUMENT]
        wrapped = [
            {"@id": f"{_RECORD_GRAPH}{first + i}", "@graph": [n]} for i, n in enumerate(part)
        ]
        document = json.dumps({"@context": context.raw, "@graph": wrapped}).encode("utf-8")
        try:
            parsed = list(ox.parse(document, format=ox.RdfFormat.JSON_LD, base_iri=context.base))
        except (SyntaxError, ValueError) as exc:
            raise KgbuildError(
                f"internal error: the checked records are not JSON-LD: {exc}"
            ) from exc
        del document
        indexes = [int(q.graph_name.value[start:]) for q in parsed]
        quads.extend(
            (s, p, o, i)
            for (s, p, o), i in zip(from_oxigraph_triples(parsed, cache), indexes, strict=True)
        )
    return quads


def to_triples(nodes: list[Any], context: Context) -> list[Triple]:
    """The triples of checked node objects under ``context``, by the W3C JSON-LD to RDF
    algorithm as pyoxigraph implements it (rdflib's JSON-LD parser is the reference in the
    tests, and is ten times slower). The context is passed inline: nothing is fetched."""
    document = json.dumps({"@context": context.raw, "@graph": nodes}).encode("utf-8")
    try:
        quads = ox.parse(document, format=ox.RdfFormat.JSON_LD, base_iri=context.base)
        # Each triple once, in a stable order: JSON-LD may state one twice.
        return list(dict.fromkeys(from_oxigraph_triples(quads)))
    except (SyntaxError, ValueError) as exc:
        raise KgbuildError(f"internal error: the checked records are not JSON-LD: {exc}") from exc


def _assert_closed(triples: Iterable[Triple], defined: dict[str, Any], base: str) -> None:
    """Guard against the checker and the JSON-LD processor resolving ids differently."""
    for triple in triples:
        for term in triple:
            if isinstance(term, BNode):
                raise KgbuildError(f"internal error: the data graph has a blank node {triple}")
        obj = triple[2]
        if isinstance(obj, URIRef) and obj.startswith(base) and str(obj) not in defined:
            raise KgbuildError(f"internal error: JSON-LD produced an undefined node <{obj}>")
