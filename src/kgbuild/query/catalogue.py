"""The catalogue of stored queries: ``queries/NAME.rq`` files, the YAML of their ``#+`` header
(summary, parameters, flags), and how ``kgbuild queries`` lists and describes them.

A stored query starts with a grlc-style header: lines starting with ``#+ `` (SPARQL comments)
that together are YAML::

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
"""

from __future__ import annotations

import dataclasses
import os
import re
import shlex
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kgbuild.errors import InputError, display_path

PARAM_TYPES = ("iri", "date", "string", "integer")
HEADER_PREFIX = "#+ "


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
