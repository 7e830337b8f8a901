"""Stored and ad-hoc SPARQL queries over the built graph, read-only and offline.

A stored query is a file ``queries/NAME.rq`` that starts with a grlc-style header: lines
starting with ``#+ `` (SPARQL comments) that together are YAML::

    #+ summary: Who controlled a territory on a given date?
    #+ params:
    #+   - name: territory
    #+     type: iri            # iri | date | string | integer
    #+     required: true
    #+     example: Kalbajar District
    #+     description: the territory, by name or IRI
    #+ inferred: false         # true when the query needs the inferred (OWL 2 RL) facts
    #+ ordered: true           # the query has ORDER BY
    #+ tags: [control, time]

A parameter binds the SPARQL variable of the same name. Values are bound, never pasted into the
query text, so no value can change what the query does: rdflib gets them as ``initBindings``,
Oxigraph (and a remote endpoint) as a ``VALUES`` block of escaped terms (``with_values``).
Before a query runs it is parsed and refused if it is an update, uses ``SERVICE`` or names
graphs to load with ``FROM`` / ``FROM NAMED``: a query reads the built graph and nothing else.
It runs in a forked worker process that is stopped at the deadline (``timeout``).
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import difflib
import io
import json
import multiprocessing
import os
import re
import shlex
import signal
import sys
import textwrap
import time
import traceback
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph as ox
import yaml
from rdflib import BNode, Graph, Literal, URIRef, Variable
from rdflib.term import Node

from kgbuild.dist import ASSERTED_GRAPH, CLOSURE_FILE, KG_FILE, Build, open_build
from kgbuild.errors import InputError, KgbuildError, display_path, excerpt
from kgbuild.names import name_key
from kgbuild.namespaces import ID_BASE, PREFIXES, XSD
from kgbuild.serialize import ntriples_term
from kgbuild.sparql_text import (
    MAX_NESTING,
    inspect_query,
    parse_error,
    refusal,
    uses_service,
)
from kgbuild.terms import from_oxigraph_term, to_oxigraph_term

__all__ = [
    "from_oxigraph_term",
    "to_oxigraph_term",
    "ENGINES",
    "FORMATS",
    "PARAM_TYPES",
    "Dataset",
    "QueryFailed",
    "QueryParam",
    "NodeIndex",
    "QueryResult",
    "StoredQuery",
    "bind_params",
    "can_supervise",
    "RELATIVE_IRI_RE",
    "check_read_only",
    "check_params",
    "compact_iri",
    "format_query_detail",
    "format_query_list",
    "format_results",
    "load_dataset",
    "load_queries",
    "parse_header",
    "parse_query_file",
    "read_query_file",
    "resolve_node",
    "resolve_param",
    "run_query",
    "run_supervised",
    "sparql_term",
    "with_values",
]

PARAM_TYPES = ("iri", "date", "string", "integer")
FORMATS = ("table", "csv", "tsv", "json")
ENGINES = ("rdflib", "oxigraph")
DEFAULT_TIMEOUT = 30.0
HEADER_PREFIX = "#+ "


class QueryFailed(KgbuildError):
    """A well-formed query that failed while running: stopped at the timeout, or an engine error."""

    exit_code = 1


# ---------------------------------------------------------------------------- stored queries


@dataclass(frozen=True)
class QueryParam:
    name: str
    type: str = "iri"
    required: bool = True
    example: str | None = None
    description: str = ""


@dataclass(frozen=True)
class StoredQuery:
    name: str
    path: Path | None
    text: str
    summary: str = ""
    description: str = ""
    params: list[QueryParam] = field(default_factory=list)
    inferred: bool = False
    # Enumerates the triples of nodes and reads a node's own attestations as covering each of
    # them: meant for the asserted graph, where no inferred triple is mistaken for a stated one.
    asserted_only: bool = False
    ordered: bool = False
    tags: list[str] = field(default_factory=list)

    def param(self, name: str) -> QueryParam | None:
        return next((p for p in self.params if p.name == name), None)

    @property
    def where(self) -> str:
        """How error messages name the query."""
        return f"query '{self.name}'" if self.path is not None else "the query"


_HEADER_KEYS = {"summary", "description", "params", "inferred", "asserted-only", "ordered", "tags"}
_PARAM_KEYS = {"name", "type", "required", "example", "description"}
_VARNAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_header(text: str, path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The YAML of the ``#+ `` lines of ``text`` (an empty dict when there are none).

    Raises InputError, located at the header's first line, when the header is not a YAML
    mapping of the known keys or a parameter is malformed.
    """
    lines: list[str] = []
    first: int | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(HEADER_PREFIX) or line.rstrip() == HEADER_PREFIX.rstrip():
            first = first or number
            lines.append(line[len(HEADER_PREFIX) :])
    if not lines:
        return {}

    def fail(message: str) -> InputError:
        return InputError(
            f"query header: {message}", path, first, hint="see `kgbuild queries --help`"
        )

    try:
        meta = yaml.safe_load("\n".join(lines))
    except yaml.YAMLError as exc:
        raise fail(f"not valid YAML ({' '.join(str(exc).split())})") from exc
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise fail("the #+ lines must form a YAML mapping (summary:, params:, ...)")
    unknown = sorted(set(map(str, meta)) - _HEADER_KEYS)
    if unknown:
        raise fail(f"unknown key {unknown[0]!r}; the keys are {', '.join(sorted(_HEADER_KEYS))}")
    params = meta.get("params") or []
    if not isinstance(params, list):
        raise fail("'params' must be a list of {name, type, required, example, description}")
    seen: set[str] = set()
    for param in params:
        if not isinstance(param, dict) or "name" not in param:
            raise fail(f"parameter {param!r} must be a mapping with a 'name'")
        extra = sorted(set(map(str, param)) - _PARAM_KEYS)
        if extra:
            raise fail(f"unknown key {extra[0]!r} in parameter {param['name']!r}")
        name = str(param["name"])
        if not _VARNAME_RE.fullmatch(name):
            raise fail(f"parameter name {name!r} is not a SPARQL variable name")
        if name in seen:
            raise fail(f"parameter {name!r} is declared twice")
        seen.add(name)
        if param.get("type", "iri") not in PARAM_TYPES:
            raise fail(
                f"parameter {name!r} has type {param.get('type')!r}; "
                f"use one of {', '.join(PARAM_TYPES)}"
            )
        if not isinstance(param.get("required", True), bool):
            raise fail(f"'required' of parameter {name!r} must be true or false")
    for key in ("inferred", "asserted-only", "ordered"):
        if key in meta and not isinstance(meta[key], bool):
            raise fail(f"{key!r} must be true or false")
    return meta


def parse_query_file(
    text: str, name: str, path: str | os.PathLike[str] | None = None
) -> StoredQuery:
    """A StoredQuery from the text of a query with (or, for ad-hoc queries, without) a header."""
    meta = parse_header(text, path)
    tags = meta.get("tags") or []
    return StoredQuery(
        name=name,
        path=Path(path) if path is not None else None,
        text=text,
        summary=" ".join(str(meta.get("summary") or "").split()),
        description=str(meta.get("description") or "").strip(),
        params=[
            QueryParam(
                name=str(p["name"]),
                type=str(p.get("type", "iri")),
                required=bool(p.get("required", True)),
                example=None if p.get("example") is None else str(p["example"]),
                description=" ".join(str(p.get("description") or "").split()),
            )
            for p in meta.get("params") or []
        ],
        inferred=bool(meta.get("inferred", False)),
        asserted_only=bool(meta.get("asserted-only", False)),
        ordered=bool(meta.get("ordered", False)),
        tags=[str(t) for t in (tags if isinstance(tags, list) else [tags])],
    )


def load_queries(queries_dir: str | os.PathLike[str] = "queries") -> dict[str, StoredQuery]:
    """The stored queries ``queries_dir/*.rq`` by name (the file name without ``.rq``), sorted."""
    directory = Path(queries_dir)
    if not directory.is_dir():
        raise InputError(
            f"query directory '{display_path(directory)}' not found",
            hint="run kgbuild from the repository root or give --queries DIR",
        )
    return {path.stem: _read_query(path) for path in sorted(directory.glob("*.rq"))}


def _read_query(path: Path) -> StoredQuery:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError("not UTF-8 text", path, hint="save the query as UTF-8") from exc
    except OSError as exc:
        raise InputError(f"cannot read the query: {exc.strerror or exc}", path) from exc
    return parse_query_file(text, path.stem, path)


def read_query_file(path: str | os.PathLike[str]) -> StoredQuery:
    """An ad-hoc query from a file (``kgbuild query --file``); it may have a ``#+`` header."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"query file '{display_path(p)}' not found")
    query = _read_query(p)
    return dataclasses.replace(query, name=display_path(p))


def _param_signature(param: QueryParam) -> str:
    return f"{param.name}:{param.type}{'' if param.required else '?'}"


def format_query_list(queries: dict[str, StoredQuery]) -> str:
    """One entry per query: its name and summary, then its parameters (``name:type``, ``?``
    when optional) and whether it needs the inferred facts."""
    if not queries:
        return "no stored queries\n"
    width = max(len(name) for name in queries) + 2
    lines = []
    for name, query in queries.items():
        lines.append(f"{name:<{width}}{query.summary}".rstrip())
        details = ["params: " + (" ".join(_param_signature(p) for p in query.params) or "none")]
        if query.inferred:
            details.append("needs the inferred facts")
        lines.append(" " * width + "; ".join(details))
    return "\n".join(lines) + "\n"


def format_query_detail(query: StoredQuery) -> str:
    """A stored query in full, for ``kgbuild queries NAME``."""
    lines = [f"{query.name}: {query.summary}".rstrip()]
    if query.description:
        lines += ["", *textwrap.wrap(query.description, 88)]
    lines += ["", "Parameters:" if query.params else "Parameters: none"]
    for p in query.params:
        head = f"  {p.name} ({p.type}, {'required' if p.required else 'optional'})"
        lines.append(f"{head}: {p.description}" if p.description else head)
        if p.example is not None:
            lines.append(f"      example: {p.example}")
    lines += [
        "",
        f"Inferred facts: {'needed' if query.inferred else 'not needed'}",
        *(
            [
                "Graph: the asserted facts only (kg.ttl); on a closure it would also read the "
                "inferred triples as stated"
            ]
            if query.asserted_only
            else []
        ),
        f"Ordered: {'yes' if query.ordered else 'no'}",
        f"Tags: {', '.join(query.tags) or 'none'}",
    ]
    if query.path is not None:
        lines.append(f"File: {display_path(query.path)}")
    example = " ".join(
        f"--param {p.name}={shlex.quote(p.example)}"
        for p in query.params
        if p.required and p.example is not None
    )
    lines += ["", f"Run: kgbuild query {query.name} {example}".rstrip()]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- the dataset


class Dataset:
    """The graph a query runs on, as ``kgbuild build`` wrote it to dist/ (see ``dist.py``):
    kg-closure.ttl (the asserted and the inferred facts) or, with ``inferred=False``, kg.ttl.

    ``store`` is the build's Oxigraph store (the Oxigraph engine reads it); ``graph`` the same
    triples parsed by rdflib (the rdflib engine), made on first use. Names of nodes are looked up
    in the build's index, which holds the labels and place names of kg.ttl, so a name means the
    same node with or without the inferred facts.
    """

    def __init__(self, build: Build, inferred: bool = True) -> None:
        self.build = build
        self.inferred = inferred
        self.path = build.path(CLOSURE_FILE if inferred else KG_FILE)
        self._names: dict[str, set[URIRef]] | None = None

    @property
    def graph(self) -> Graph:
        return self.build.graph(self.inferred)

    @property
    def store(self) -> ox.Store:
        return self.build.store()

    @property
    def default_graph(self) -> list[Any] | None:
        """The store's graphs that make the default graph of a query: None for the store's
        default graph (the closure), else the graph of kg.ttl."""
        return None if self.inferred else [ox.NamedNode(ASSERTED_GRAPH)]

    def open_store(self) -> ox.Store:
        """A handle on the store of its own (for a forked worker: RocksDB handles must not
        cross a fork)."""
        return self.build.reopen_store()

    # -- names of nodes, for parameters given by name

    def name_index(self) -> dict[str, set[URIRef]]:
        """casefolded label or place name -> the nodes that have it."""
        if self._names is None:
            names: dict[str, set[URIRef]] = defaultdict(set)
            for key, node in self.build.index().names():
                names[key].add(node)
            self._names = dict(names)
        return self._names

    def nodes_named(self, name: str) -> set[URIRef]:
        return self.build.index().nodes_named(name_key(name))

    def label(self, node: URIRef) -> str:
        return self.build.index().label(node)

    def has_node(self, iri: URIRef) -> bool:
        term = f"<{iri}>"
        if any(c in str(iri) for c in '<>"{}|^`\\ '):
            return False
        ask = f"ASK {{ {{ {term} ?p ?o }} UNION {{ ?s ?p {term} }} UNION {{ ?s {term} ?o }} }}"
        return bool(self.store.query(ask, default_graph=self.default_graph))


class NodeIndex(Protocol):
    """What parameter names are resolved against: a local Dataset or a remote endpoint."""

    def name_index(self) -> dict[str, set[URIRef]]: ...

    def nodes_named(self, name: str) -> set[URIRef]: ...

    def label(self, node: URIRef) -> str: ...

    def has_node(self, iri: URIRef) -> bool: ...


def load_dataset(out_dir: str | os.PathLike[str] = "dist", inferred: bool = True) -> Dataset:
    """The build in ``out_dir`` as a Dataset, with its inferred facts when ``inferred``.

    Nothing is reasoned here: ``kgbuild build`` wrote the inferred facts. InputError when there
    is no usable build (none, incomplete, changed, or out of date with its inputs).
    """
    return Dataset(open_build(out_dir), inferred)


# ---------------------------------------------------------------------------- parameters

_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INTEGER_RE = re.compile(r"[+-]?[0-9]+")
_ABSOLUTE_IRI_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:(?://)?[^\s<>\"{}|^`\\]+")
RELATIVE_IRI_RE = re.compile(r"[^\s<>\"{}|^`\\:]+")
_PREFIXED_RE = re.compile(r"([A-Za-z][A-Za-z0-9_.-]*)?:([^\s<>\"{}|^`\\]*)")
_MAX_CANDIDATES = 8
# A parameter longer than this is no misspelt name: no close-match search (slow on long text).
_MAX_NAME_CHARS = 200


def resolve_param(param: QueryParam, value: str, dataset: NodeIndex) -> Node:
    """The RDF term ``value`` stands for, as a parameter of type ``param.type``.

    - ``iri``: ``<IRI>`` (absolute, or relative to the data base ``https://w3id.org/kgbuild/id/``
      as in kg.ttl: ``<place/x>``), a bare absolute IRI, a prefixed name (``kg:Completed``,
      ``id:place/x``), a data id as the YAML writes it (``place/x``) or a name: an
      ``rdfs:label`` or a place name (``kg:nameString``), matched
      whole and case-insensitively. The node must be in the graph.
    - ``date``: ``YYYY-MM-DD``, a real day, bound as ``xsd:date``.
    - ``integer``: decimal digits with an optional sign, bound as ``xsd:integer``.
    - ``string``: the text itself, a plain literal.

    InputError (exit 2) for a malformed value, an unknown IRI, or an unknown or ambiguous name;
    the message lists the candidates.
    """
    where = f"parameter '{excerpt(param.name)}'"
    if param.type == "string":
        return Literal(value)
    if param.type == "integer":
        text = value.strip()
        if not _INTEGER_RE.fullmatch(text):
            raise InputError(
                f"{where}: '{excerpt(value)}' is not an integer", hint="write digits, e.g. 3"
            )
        return Literal(int(text), datatype=XSD.integer)
    if param.type == "date":
        text = value.strip()
        try:
            if not _DATE_RE.fullmatch(text):
                raise ValueError
            date.fromisoformat(text)
        except ValueError:
            raise InputError(
                f"{where}: '{excerpt(value)}' is not a date", hint="write a real day as YYYY-MM-DD"
            ) from None
        return Literal(text, datatype=XSD.date)
    if param.type != "iri":
        raise InputError(f"{where}: unknown parameter type '{excerpt(param.type)}'")
    return resolve_node(where, value, dataset)


def resolve_node(where: str, value: str, dataset: NodeIndex) -> URIRef:
    text = value.strip()
    iri: str | None = None
    if text.startswith("<") and text.endswith(">"):
        inner = text[1:-1]
        if _ABSOLUTE_IRI_RE.fullmatch(inner) and ("://" in inner or inner.startswith("urn:")):
            iri = inner
        elif RELATIVE_IRI_RE.fullmatch(inner):
            iri = ID_BASE + inner
        else:
            raise InputError(
                f"{where}: '{excerpt(value)}' is not an IRI",
                hint="write <https://...>, <place/slug> (relative to the data base) or a name",
            )
    else:
        match = _PREFIXED_RE.fullmatch(text)
        if match and (match.group(1) or "") in PREFIXES and "://" not in text:
            iri = PREFIXES[match.group(1) or ""] + match.group(2)
        elif _ABSOLUTE_IRI_RE.fullmatch(text) and ("://" in text or text.startswith("urn:")):
            iri = text
        elif "/" in text and RELATIVE_IRI_RE.fullmatch(text) and not dataset.nodes_named(text):
            iri = ID_BASE + text  # a data id as the YAML writes it: place/x
    if iri is not None:
        node = URIRef(iri)
        if not dataset.has_node(node):
            raise InputError(
                f"{where}: no node {excerpt(compact_iri(iri))} in the graph",
                hint=_suggest(dataset, text, iri),
            )
        return node
    matches = dataset.nodes_named(text)
    if len(matches) == 1:
        return next(iter(matches))
    if matches:
        listed = _listed(dataset, sorted(matches))
        raise InputError(
            f"{where}: the name '{excerpt(value)}' is ambiguous, it names {len(matches)} nodes: "
            f"{listed}",
            hint="give the IRI instead",
        )
    raise InputError(
        f"{where}: no node is named '{excerpt(value)}'", hint=_suggest(dataset, text, None)
    )


def _listed(dataset: NodeIndex, nodes: list[URIRef]) -> str:
    """The first few candidates and how many more: a common name may match hundreds."""
    shown = "; ".join(_candidate(dataset, n) for n in nodes[:_MAX_CANDIDATES])
    more = len(nodes) - _MAX_CANDIDATES
    return f"{shown}; and {more} more" if more > 0 else shown


def _candidate(dataset: NodeIndex, node: URIRef) -> str:
    label = dataset.label(node)
    iri = excerpt(compact_iri(str(node)))
    return f'"{excerpt(label)}" {iri}' if label else iri


def _suggest(dataset: NodeIndex, text: str, iri: str | None) -> str:
    index = dataset.name_index()
    close: list[URIRef] = []
    if len(text) > _MAX_NAME_CHARS:
        pass
    elif iri is not None:
        nodes = sorted({n for ns in index.values() for n in ns})
        by_name = {compact_iri(str(n)): n for n in nodes}
        wanted = compact_iri(iri)
        close = [by_name[c] for c in difflib.get_close_matches(wanted, by_name, 5, 0.8)]
    else:
        for key in difflib.get_close_matches(name_key(text), index, _MAX_CANDIDATES, 0.7):
            close.extend(n for n in sorted(index[key]) if n not in close)
    if not close:
        return "give a label, a place name or an IRI of the graph (`kgbuild query place-names`)"
    return f"did you mean: {_listed(dataset, close)}"


# ---------------------------------------------------------------------------- safety checks


def check_read_only(text: str, where: str = "the query", remote: bool = False) -> str:
    """Parse ``text`` and return its form (``SELECT`` or ``ASK``); refuse everything else.

    InputError when it is not SPARQL, is an update, is a CONSTRUCT or DESCRIBE, uses SERVICE
    (a federated query would go to the network), or has FROM / FROM NAMED (queries read the
    built graph and nothing else). Nothing is run on the graph. A ``remote`` query (for a
    SPARQL endpoint) may use SERVICE and FROM: there they are the server's business, and FROM
    picks one of its graphs.

    Local queries are parsed by Oxigraph (in milliseconds); remote ones, which may hold SERVICE,
    by rdflib, whose parser runs nothing. A text nested deeper than ``MAX_NESTING`` is refused
    before either parser sees it: Oxigraph's would crash the process, rdflib's give up. The
    lexer's refusals are ``sparql_text.refusal``, the same guard as ``kgbuild serve``'s.
    """
    refused = refusal(text, allow_service=remote, allow_from=remote)  # shared with serve
    if refused is None:
        pass
    elif refused.reason == "nesting":
        raise InputError(
            f"{where} nests brackets or operators {refused.detail} levels deep, over the limit of "
            f"{MAX_NESTING}",
            hint="write it with fewer nested parentheses, braces and brackets",
        )
    elif refused.reason == "service":
        raise InputError(
            f"{where} uses SERVICE; queries run offline on the built graph only",
            hint="remove the SERVICE clause",
        )
    elif refused.reason == "from":
        raise InputError(
            f"{where} has FROM or FROM NAMED; queries run on the built graph only and load nothing",
            hint="remove the FROM clauses",
        )
    else:  # empty or an update: rdflib's update parser names the operations
        error = "syntax error" if uses_service(text) else parse_error(text) or "syntax error"
        _refuse_unparsable(text, where, error)
    info = inspect_query(text)
    if info.service:
        return _check_with_rdflib(text, where)
    if info.form is None:
        _refuse_unparsable(text, where, info.error or "syntax error")
    return _only_select_or_ask(info.form or "", where)


def _only_select_or_ask(form: str, where: str) -> str:
    if form in ("SELECT", "ASK"):
        return form
    raise InputError(f"{where} is a {form} query", hint="only SELECT and ASK queries are supported")


def _refuse_unparsable(text: str, where: str, error: str) -> None:
    operations = _update_operations(text)  # rdflib's parser: slow, but only on this path
    if operations == [] or not text.strip():
        raise InputError(f"{where} is empty", hint="write a SELECT or ASK query")
    if operations is not None:
        raise InputError(
            f"{where} is a SPARQL update ({', '.join(operations)}), refused: queries are read-only",
            hint="kgbuild runs SELECT and ASK queries and never changes the graph",
        )
    raise InputError(f"{where} is not valid SPARQL: {error}")


def _check_with_rdflib(text: str, where: str) -> str:
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        parsed = parseQuery(text)
    except RecursionError:  # pyparsing recurses per nesting level, even below MAX_NESTING
        raise InputError(
            f"{where} nests too deeply for rdflib's SPARQL parser",
            hint="write it with fewer nested parentheses, braces and brackets",
        ) from None
    except Exception as exc:
        _refuse_unparsable(text, where, _one_line(exc))
        raise  # not reached: _refuse_unparsable always raises
    name = getattr(parsed[1], "name", "")
    return _only_select_or_ask(name.removesuffix("Query").upper(), where)


_UPDATE_OPERATIONS = {
    "InsertData": "INSERT DATA",
    "DeleteData": "DELETE DATA",
    "DeleteWhere": "DELETE WHERE",
    "Modify": "DELETE/INSERT",
}


def _update_operations(text: str) -> list[str] | None:
    """The operations of ``text`` as a SPARQL update (``["DROP"]``), None if it is not one."""
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        update = parseUpdate(text)
    except Exception:
        return None
    names = []
    for request in update.get("request", None) or []:
        name = getattr(request, "name", "")
        name = _UPDATE_OPERATIONS.get(name, name.upper())
        if name and name not in names:
            names.append(name)
    return names


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


# ---------------------------------------------------------------------------- running


@dataclass
class QueryResult:
    variables: list[str]
    rows: list[dict[str, Node]]  # unbound variables are absent
    ordered: bool = False
    boolean: bool | None = None  # the answer of an ASK query (then variables and rows are empty)


def run_query(
    query: StoredQuery | str,
    dataset: Dataset,
    params: dict[str, str] | None = None,
    engine: str = "rdflib",
    timeout: float | None = DEFAULT_TIMEOUT,
) -> QueryResult:
    """Run a stored query (or the text of an ad-hoc one, which may carry a ``#+`` header) over
    ``dataset`` with ``params`` (name -> value as the user wrote it, see ``resolve_param``).

    Everything that can be checked before running is: the engine, the query (read-only, no
    SERVICE, no FROM), the parameters (all known, the required ones given, each value
    resolved); InputError otherwise. The query then runs in a forked worker process, stopped
    after ``timeout`` seconds (QueryFailed); ``None`` or ``0`` runs it in this process with no
    limit. Terms come back as rdflib terms, the same from both engines.
    """
    if isinstance(query, str):
        query = parse_query_file(query, "query")
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}", hint=f"use one of {', '.join(ENGINES)}")
    where = query.where
    form = check_read_only(query.text, where)
    bindings = bind_params(query, params or {}, dataset, where)
    if engine == "oxigraph":
        dataset.store  # noqa: B018 - (re)build the store before the worker forks, outside the timer
    else:
        dataset.graph  # noqa: B018 - parse before the fork, so a later query finds it parsed
    if timeout and _can_fork():
        outcome = _run_in_worker(engine, query.text, bindings, dataset, timeout, where)
    else:
        outcome = _execute(engine, query.text, bindings, dataset)
    if form == "ASK":
        return QueryResult([], [], query.ordered, bool(outcome))
    variables, rows = outcome
    return QueryResult(variables, rows, query.ordered)


def check_params(query: StoredQuery, params: dict[str, str], where: str | None = None) -> None:
    """InputError unless every name in ``params`` is a parameter of ``query`` and every
    required parameter is given (the values are checked by ``resolve_param``)."""
    where = where or query.where
    declared = {p.name for p in query.params}
    listing = ", ".join(
        f"{p.name} ({p.type}, {'required' if p.required else 'optional'})" for p in query.params
    )
    for name in params:
        if name not in declared:
            raise InputError(
                f"{where} has no parameter {name!r}",
                hint=f"its parameters are: {listing}"
                if listing
                else "it declares no parameters (an ad-hoc query declares them in a #+ header)",
            )
    missing = [p.name for p in query.params if p.required and p.name not in params]
    if missing:
        raise InputError(
            f"{where} needs the parameter{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
            hint=f"give --param NAME=VALUE; its parameters are: {listing}",
        )


def bind_params(
    query: StoredQuery, params: dict[str, str], dataset: NodeIndex, where: str | None = None
) -> dict[str, Node]:
    """The RDF term of each parameter in ``params``, checked (``check_params``) and resolved
    (``resolve_param``) against ``dataset``."""
    where = where or query.where
    check_params(query, params, where)
    declared = {p.name: p for p in query.params}
    return {
        name: resolve_param(declared[name], str(value), dataset) for name, value in params.items()
    }


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _execute(
    engine: str, text: str, bindings: dict[str, Node], dataset: Dataset, forked: bool = False
) -> Any:
    """The outcome of the query: True/False, or (variables, rows); packed (see ``_pack``) in a
    forked worker, which sends it to the parent."""
    if engine == "oxigraph":
        store = dataset.open_store() if forked else dataset.store
        result = _oxigraph_result(text, bindings, store, dataset.default_graph)
        if isinstance(result, bool):
            return result
        return _pack_oxigraph(result) if forked else _oxigraph_rows(result)
    outcome = _execute_rdflib(text, bindings, dataset.graph)
    return _pack(outcome) if forked else outcome


def _execute_rdflib(text: str, bindings: dict[str, Node], graph: Graph) -> Any:
    import rdflib.plugins.sparql as sparql

    sparql.SPARQL_LOAD_GRAPHS = False  # belt and braces: FROM is refused before this
    result = graph.query(text, initBindings={Variable(k): v for k, v in bindings.items()})
    if result.type == "ASK":
        return bool(result.askAnswer)
    variables = [str(v) for v in result.vars or []]
    rows = []
    for row in result:
        values = row.asdict()  # type: ignore[union-attr]
        rows.append({v: _norm(values[v]) for v in variables if values.get(v) is not None})
    return variables, rows


def sparql_term(term: Node) -> str:
    """``term`` in SPARQL syntax (as in N-Triples, which SPARQL reads), escaped so that no value
    can change the query around it; InputError for a blank node or an IRI that cannot be
    written without escapes (SPARQL would undo them before parsing)."""
    iris = [term] if isinstance(term, URIRef) else []
    if isinstance(term, Literal) and term.datatype is not None:
        iris.append(term.datatype)
    for iri in map(str, iris):
        if any(c in iri for c in '<>"{}|^`\\') or any(ord(c) <= 0x20 for c in iri):
            raise InputError(f"cannot send the IRI {iri!r} in a query")
    if not isinstance(term, (URIRef, Literal)):
        raise InputError(f"cannot send {term!r} as a parameter value")
    return _nt_term(term)


def _where_brace(text: str) -> int:
    """The index of the ``{`` that opens the query's WHERE clause: the first brace outside
    comments, strings and IRIs. -1 if there is none."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        if c in "'\"":
            quote_ = text[i : i + 3] if text[i : i + 3] in ("'''", '"""') else c
            i += len(quote_)
            while i < n and not text.startswith(quote_, i):
                i += 2 if text[i] == "\\" else 1
            i += len(quote_)
            continue
        if c == "<":
            end = i + 1
            while end < n and text[end] not in '<>"{}|^`\\' and ord(text[end]) > 0x20:
                end += 1
            # An IRI runs to its closing bracket; otherwise this is a less-than sign.
            i = end + 1 if end < n and text[end] == ">" else i + 1
            continue
        if c == "{":
            return i
        i += 1
    return -1


def with_values(text: str, bindings: dict[str, Node]) -> str:
    """The query ``text`` with ``bindings`` put in as an inline ``VALUES`` block at the start
    of its WHERE clause, so they are joined before every FILTER, BIND and OPTIONAL of that
    group sees them, and BIND and BOUND() too. The values are escaped terms; the result is
    parsed again to make sure it is still one valid query."""
    if not bindings:
        return text
    brace = _where_brace(text)
    if brace < 0:
        raise InputError("the query has no WHERE clause to bind its parameters in")
    names = sorted(bindings)
    block = (
        f"\n  VALUES ({' '.join('?' + n for n in names)}) "
        f"{{ ({' '.join(sparql_term(bindings[n]) for n in names)}) }}\n"
    )
    bound = text[: brace + 1] + block + text[brace + 1 :]
    # The rewrite must never produce a broken query (nor, with SERVICE, one run here).
    error = _parse_error_anywhere(bound)
    if error is not None:
        raise InputError(f"cannot bind the parameters into the query: {error}")
    return bound


def _parse_error_anywhere(text: str) -> str | None:
    if not uses_service(text):
        return parse_error(text)
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        parseQuery(text)
    except Exception as exc:
        return _one_line(exc)
    return None


def _oxigraph_result(
    text: str, bindings: dict[str, Node], store: ox.Store, default_graph: list[Any] | None = None
) -> Any:
    # A VALUES block rather than Oxigraph's substitutions, whose variables BIND and BOUND()
    # do not see; the same binding goes to remote endpoints, so every engine sees the same.
    # No named graphs: the rdflib engine has none either, so GRAPH finds nothing on both.
    result = store.query(with_values(text, bindings), default_graph=default_graph, named_graphs=[])
    return bool(result) if isinstance(result, ox.QueryBoolean) else result


def _oxigraph_rows(result: Any) -> tuple[list[str], list[dict[str, Node]]]:
    variables = [v.value for v in result.variables]
    columns = list(enumerate(variables))
    converted: dict[str, Node] = {}  # a term seen in an earlier row is converted once
    rows = []
    for solution in result:
        row = {}
        for i, v in columns:
            term = solution[i]
            if term is not None:
                key = str(term)
                node = converted.get(key)
                if node is None:
                    node = converted[key] = from_oxigraph_term(term)
                row[v] = node
        rows.append(row)
    return variables, rows


_XSD_STRING = str(XSD.string)


def _pack_oxigraph(result: Any) -> Any:
    """``_pack`` straight from Oxigraph's terms, without making rdflib terms on the way."""
    variables = [v.value for v in result.variables]
    width = range(len(variables))
    index: dict[str, int] = {}
    terms: list[tuple[str, str, str]] = []
    packed = []
    for solution in result:
        cells = []
        for i in width:
            term = solution[i]
            if term is None:
                cells.append(-1)
                continue
            key = str(term)
            n = index.get(key)
            if n is None:
                n = index[key] = len(terms)
                if isinstance(term, ox.NamedNode):
                    terms.append(("I", term.value, ""))
                elif isinstance(term, ox.BlankNode):
                    terms.append(("B", term.value, ""))
                else:
                    datatype = term.datatype.value
                    extra = f"@{term.language}" if term.language else datatype
                    terms.append(("L", term.value, "" if extra == _XSD_STRING else extra))
            cells.append(n)
        packed.append(cells)
    return variables, terms, packed


def _norm(term: Node) -> Node:
    """RDF 1.1: a simple literal is an xsd:string; both come back as a plain Literal."""
    if isinstance(term, Literal) and term.datatype == XSD.string and not term.language:
        return Literal(str(term))
    return term


def _pack(outcome: Any) -> Any:
    """A result made cheap to send between processes: each distinct term once, as plain text,
    and the rows as indexes into that list (rdflib terms pickle and unpickle slowly)."""
    if isinstance(outcome, bool):
        return outcome
    variables, rows = outcome
    index: dict[Node, int] = {}
    terms: list[tuple[str, str, str]] = []
    packed = []
    for row in rows:
        cells = []
        for v in variables:
            term = row.get(v)
            if term is None:
                cells.append(-1)
                continue
            i = index.get(term)
            if i is None:
                i = index[term] = len(terms)
                terms.append(_term_text(term))
            cells.append(i)
        packed.append(cells)
    return variables, terms, packed


def _unpack(message: Any) -> Any:
    if isinstance(message, bool):
        return message
    variables, texts, packed = message
    terms = [_text_term(*text) for text in texts]
    rows = [
        {v: terms[i] for v, i in zip(variables, cells, strict=True) if i >= 0} for cells in packed
    ]
    return variables, rows


def _term_text(term: Node) -> tuple[str, str, str]:
    if isinstance(term, URIRef):
        return "I", str(term), ""
    if isinstance(term, BNode):
        return "B", str(term), ""
    assert isinstance(term, Literal)
    return "L", str(term), "@" + term.language if term.language else str(term.datatype or "")


def _text_term(kind: str, value: str, extra: str) -> Node:
    if kind == "I":
        return URIRef(value)
    if kind == "B":
        return BNode(value)
    if extra.startswith("@"):
        return Literal(value, lang=extra[1:])
    return Literal(value, datatype=URIRef(extra) if extra else None)


def _worker(conn: Any, engine: str, text: str, bindings: dict[str, Node], dataset: Dataset) -> None:
    try:
        conn.send(("ok", _execute(engine, text, bindings, dataset, forked=True)))
    except BaseException as exc:  # report every failure to the parent, which raises it
        detail = _one_line(exc)
        if not isinstance(exc, Exception):
            detail = type(exc).__name__
        with contextlib.suppress(Exception):  # the parent then reports a worker that died
            conn.send(("error", f"{type(exc).__name__}: {detail}", traceback.format_exc()))
    finally:
        conn.close()


def _run_in_worker(
    engine: str,
    text: str,
    bindings: dict[str, Node],
    dataset: Dataset,
    timeout: float,
    where: str,
) -> Any:
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(
        target=_worker, args=(sender, engine, text, bindings, dataset), daemon=True
    )
    process.start()
    sender.close()
    try:
        # Receive while waiting: a large result would otherwise fill the pipe and block.
        if not receiver.poll(timeout):
            raise QueryFailed(
                f"{where} stopped after {timeout:g} s without finishing",
                hint="raise --timeout SECONDS or make the query narrower",
            )
        try:
            message = receiver.recv()
        except EOFError:
            process.join(1)
            raise QueryFailed(
                f"{where} failed: the worker process ended (exit code {process.exitcode}) "
                "without an answer",
                hint=f"try --engine {'rdflib' if engine == 'oxigraph' else 'oxigraph'}",
            ) from None
    finally:
        receiver.close()
        if process.is_alive():
            process.terminate()
            process.join(2)
            if process.is_alive():
                process.kill()
        process.join()
    if message[0] == "ok":
        return _unpack(message[1])
    raise QueryFailed(f"{where} failed on {engine}: {message[1]}")


def can_supervise() -> bool:
    """Whether ``run_supervised`` can be used: fork exists, and standard output and error are
    real files a child process can write to (not the in-memory streams of a test runner)."""
    if not _can_fork():
        return False
    try:
        sys.stdout.fileno()
        sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    return True


def run_supervised(
    work: Callable[[], None],
    timeout: float,
    where: str,
    report: Callable[[KgbuildError], None],
) -> int:
    """Run ``work`` in a forked child that writes its own output, and return its exit code: 0,
    the exit code of a KgbuildError it raised (after ``report`` printed it there), or 1 after
    printing why when it was stopped at ``timeout`` seconds or died. The command's whole work is
    bounded, not only the query, and no result is copied back between the processes."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: do the work, print, exit without running the parent's cleanup
        code = 0
        try:
            work()
        except KgbuildError as exc:
            report(exc)
            code = exc.exit_code
        except BaseException as exc:  # a bug: say so in one line, as the parent would
            code = 1
            with contextlib.suppress(Exception):
                report(QueryFailed(f"{where} failed: {type(exc).__name__}: {_one_line(exc)}"))
        finally:
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)
    deadline = time.monotonic() + timeout
    pause = 0.001
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            if code >= 0:
                return code
            if -code == signal.SIGSEGV:  # what Oxigraph's parser does when its stack runs out
                report(
                    QueryFailed(
                        f"{where} failed: the process answering it crashed (SIGSEGV), as "
                        "Oxigraph's parser does on a query nested too deeply or with too long "
                        "an expression",
                        hint="write the query flatter, or try --engine rdflib",
                    )
                )
                return 1
            report(
                QueryFailed(
                    f"{where} failed: the process answering it was killed by signal {-code}",
                    hint="narrow the query, or try --engine rdflib",
                )
            )
            return 1
        if time.monotonic() >= deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            report(
                QueryFailed(
                    f"{where} stopped after {timeout:g} s without finishing",
                    hint="raise --timeout SECONDS or make the query narrower",
                )
            )
            return 1
        time.sleep(pause)
        pause = min(pause * 2, 0.02)


# ---------------------------------------------------------------------------- output


def format_results(result: QueryResult, fmt: str = "table") -> str:
    """``result`` as text: ``json``, ``csv`` and ``tsv`` follow the W3C SPARQL 1.1 Query Results
    JSON, CSV and TSV formats; ``table`` is aligned columns for a terminal. Ends with a newline.
    """
    if fmt == "json":
        return _json(result)
    if fmt == "csv":
        return _csv(result)
    if fmt == "tsv":
        return _tsv(result)
    if fmt == "table":
        return _table(result)
    raise InputError(f"unknown format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}")


def _json_term(term: Node) -> dict[str, str]:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    if isinstance(term, Literal):
        out = {"type": "literal", "value": str(term)}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype is not None and term.datatype != XSD.string:
            out["datatype"] = str(term.datatype)
        return out
    raise TypeError(f"cannot write {term!r}")


def _json(result: QueryResult) -> str:
    if result.boolean is not None:
        doc: dict[str, Any] = {"head": {}, "boolean": result.boolean}
    else:
        doc = {
            "head": {"vars": list(result.variables)},
            "results": {
                "bindings": [
                    {v: _json_term(row[v]) for v in result.variables if v in row}
                    for row in result.rows
                ]
            },
        }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _csv(result: QueryResult) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if result.boolean is not None:
        writer.writerow(["true" if result.boolean else "false"])
        return out.getvalue()
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow([_csv_term(row[v]) if v in row else "" for v in result.variables])
    return out.getvalue()


def _csv_term(term: Node) -> str:
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


_TSV_ESCAPES = {
    ord("\\"): "\\\\",
    ord('"'): '\\"',
    ord("\n"): "\\n",
    ord("\r"): "\\r",
    ord("\t"): "\\t",
}


def _nt_term(term: Node) -> str:
    return ntriples_term(term, _TSV_ESCAPES)


def _tsv(result: QueryResult) -> str:
    if result.boolean is not None:
        return ("true" if result.boolean else "false") + "\n"
    lines = ["\t".join(f"?{v}" for v in result.variables)]
    for row in result.rows:
        lines.append("\t".join(_nt_term(row[v]) if v in row else "" for v in result.variables))
    return "\n".join(lines) + "\n"


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
