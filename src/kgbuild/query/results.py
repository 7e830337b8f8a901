"""What a query gives back (``QueryResult``) and how it is written: the W3C SPARQL 1.1 Query
Results JSON, CSV and TSV formats by pyoxigraph's writer, and ``table``, aligned columns for a
terminal, by hand (``compact_iri`` writes IRIs as kg.ttl does; long cells are cut).

One writer for every source: rows from rdflib, from Oxigraph and from a remote endpoint all
reach it as rdflib terms, so the same rows give the same bytes whichever engine found them.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from kgbuild.errors import InputError, KgbuildError, excerpt, first_line
from kgbuild.namespaces import ID_BASE, PREFIXES, XSD
from kgbuild.terms import to_oxigraph_term

FORMATS = ("table", "csv", "tsv", "json")
RELATIVE_IRI_RE = re.compile(r"[^\s<>\"{}|^`\\:]+")


@dataclass
class QueryResult:
    variables: list[str]
    rows: list[dict[str, Node]]  # unbound variables are absent
    ordered: bool = False
    boolean: bool | None = None  # the answer of an ASK query (then variables and rows are empty)


def format_results(result: QueryResult, fmt: str = "table") -> str:
    """``result`` as text: ``json``, ``csv`` and ``tsv`` are the W3C SPARQL 1.1 Query Results
    JSON, CSV and TSV formats as pyoxigraph writes them; ``table`` is aligned columns for a
    terminal. Ends with a line end (CRLF in CSV, as its rows end).
    """
    if fmt == "table":
        return _table(result)
    if fmt not in _W3C_FORMATS:
        raise InputError(f"unknown format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}")
    try:
        solutions = ox.parse_query_results(_solutions_json(result), ox.QueryResultsFormat.JSON)
        text = solutions.serialize(format=_W3C_FORMATS[fmt]).decode("utf-8")
    except SyntaxError as exc:  # a term RDF does not allow (rdflib's IRI() lets "a b" through)
        raise KgbuildError(
            f"cannot write the result as {fmt}: {_invalid_term(result) or first_line(exc)}",
            hint="use --format table, or make the query give valid IRIs and language tags",
        ) from None
    if not text.endswith("\n"):  # a JSON document or an ASK answer in CSV or TSV
        text += "\r\n" if fmt == "csv" else "\n"
    return text


_W3C_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}


def _solutions_json(result: QueryResult) -> bytes:
    """The rows of ``result`` in the shape pyoxigraph reads back as solutions (it has no
    constructor for them): W3C JSON made by ``json.dumps``, which pyoxigraph parses, checking
    every term, before its own writer writes the format asked for."""
    if result.boolean is not None:
        return b'{"head":{},"boolean":true}' if result.boolean else b'{"head":{},"boolean":false}'
    variables = list(result.variables)
    seen: dict[Node, dict[str, str]] = {}  # a term met again is converted once

    def term(node: Node) -> dict[str, str]:
        converted = seen.get(node)
        if converted is None:
            converted = seen[node] = _json_term(node)
        return converted

    bindings = [{v: term(row[v]) for v in variables if v in row} for row in result.rows]
    doc: dict[str, Any] = {"head": {"vars": variables}, "results": {"bindings": bindings}}
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def _invalid_term(result: QueryResult) -> str | None:
    """Which value of ``result`` is no valid RDF term, to name it in the error."""
    for row in result.rows:
        for name, node in row.items():
            if isinstance(node, BNode):  # relabelled when invalid: see _bnode_label
                continue
            try:
                to_oxigraph_term(node)
            except ValueError as exc:
                return f"?{name} = {excerpt(str(node))!r} is not valid ({first_line(exc)})"
    return None


def _json_term(term: Node) -> dict[str, str]:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": _bnode_label(str(term))}
    if isinstance(term, Literal):
        out = {"type": "literal", "value": str(term)}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype is not None and term.datatype != XSD.string:
            out["datatype"] = str(term.datatype)
        return out
    raise TypeError(f"cannot write {term!r}")


def _bnode_label(label: str) -> str:
    """``label``, or for one the formats cannot hold (an endpoint's ``nodeID://b1``), a label
    made of its hex digits: a label names a blank node within one result only."""
    try:
        ox.BlankNode(label)
    except ValueError:
        return "x" + label.encode("utf-8").hex()
    return label


# -- the table

MAX_CELL = 72  # a longer value is cut with an ellipsis; csv, tsv and json give it whole
# Datatypes whose values read unambiguously without a ^^type suffix.
_PLAIN_DATATYPES = {
    str(XSD[t])
    for t in (
        *("string", "boolean", "date", "dateTime", "dateTimeStamp", "time", "gYear"),
        *("gYearMonth", "integer", "decimal", "double", "float", "long", "int", "short"),
        *("byte", "positiveInteger", "nonNegativeInteger", "negativeInteger"),
        *("nonPositiveInteger", "unsignedLong", "unsignedInt"),
    )
} | {"http://www.opengis.net/ont/geosparql#wktLiteral"}
_TABLE_ESCAPES = {ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"}


# Longest namespace first, so the first that matches is the best; the data namespace is written
# as relative IRIs instead.
_TABLE_NAMESPACES = sorted(
    ((ns, p) for p, ns in PREFIXES.items() if ns != ID_BASE), key=lambda item: -len(item[0])
)
assert not any(ns.startswith(ID_BASE) or ID_BASE.startswith(ns) for ns, _ in _TABLE_NAMESPACES)
_LOCAL_NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def compact_iri(iri: str) -> str:
    """``iri`` as the table writes it: ``kg:partOf``, ``<place/x>`` or ``<https://...>``."""
    # Data IRIs first, the most common: no other namespace begins with the data namespace.
    if iri.startswith(ID_BASE) and RELATIVE_IRI_RE.fullmatch(iri[len(ID_BASE) :]):
        return f"<{iri[len(ID_BASE) :]}>"
    for namespace, prefix in _TABLE_NAMESPACES:
        if iri.startswith(namespace):
            local = iri[len(namespace) :]
            if _LOCAL_NAME_RE.fullmatch(local) and not local.endswith("."):
                return f"{prefix}:{local}"
            break
    return f"<{iri}>"


def _table_term(term: Node, show_lang: bool) -> str:
    if isinstance(term, URIRef):
        return compact_iri(str(term))
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        text = str(term).translate(_TABLE_ESCAPES)
        if term.language and show_lang:
            return f"{text}@{term.language}"
        if term.datatype is not None and str(term.datatype) not in _PLAIN_DATATYPES:
            return f"{text}^^{compact_iri(str(term.datatype))}"
        return text
    return str(term)


def _width(text: str) -> int:
    if text.isascii():
        return len(text)
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )


def _cut(text: str) -> str:
    if len(text) <= MAX_CELL // 2 or _width(text) <= MAX_CELL:
        return text
    out = ""
    for c in text:
        if _width(out + c) > MAX_CELL - 1:
            break
        out += c
    return out + "…"


def _table(result: QueryResult) -> str:
    if result.boolean is not None:
        return ("true" if result.boolean else "false") + "\n"
    variables = result.variables
    # Language tags are shown in a column whose literals are in more than one language.
    languages: dict[str, set[str | None]] = defaultdict(set)
    for row in result.rows:
        for v, term in row.items():
            if isinstance(term, Literal):
                languages[v].add(term.language)
    show = {v: len(languages[v]) > 1 for v in variables}
    texts: dict[tuple[Node, bool], str] = {}  # a term shown again is written once

    def cell(term: Node, show_lang: bool) -> str:
        key = (term, show_lang)
        text = texts.get(key)
        if text is None:
            text = texts[key] = _cut(_table_term(term, show_lang))
        return text

    cells = [[cell(row[v], show[v]) if v in row else "" for v in variables] for row in result.rows]
    cell_widths = [[_width(text) for text in row] for row in cells]
    widths = [max([_width(v), *(row[i] for row in cell_widths)]) for i, v in enumerate(variables)]

    def line(values: list[str], value_widths: list[int] | None = None) -> str:
        sizes = value_widths or [_width(value) for value in values]
        padded = [value + " " * (widths[i] - sizes[i]) for i, value in enumerate(values)]
        return "  ".join(padded).rstrip()

    lines = [line(variables), line(["-" * w for w in widths])]
    lines.extend(line(r, w) for r, w in zip(cells, cell_widths, strict=True))
    n = len(result.rows)
    lines.append(f"{n} row{'s' if n != 1 else ''}")
    return "\n".join(lines) + "\n"
