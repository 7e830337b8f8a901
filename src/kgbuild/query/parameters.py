"""Parameters: a value as the user wrote it turned into an RDF term (an IRI, a name, a date, an
integer or a string), checked against the query's declared parameters, and bound into the query
text as an escaped ``VALUES`` block (``with_values``) where an engine needs it in the text.

Values are bound, never pasted into the query text, so no value can change what the query does:
rdflib gets them as ``initBindings``, Oxigraph (and a remote endpoint) as a ``VALUES`` block of
escaped terms.
"""

from __future__ import annotations

import difflib
import re
from datetime import date

from rdflib import Literal, URIRef
from rdflib.term import Node

from kgbuild.errors import InputError, excerpt
from kgbuild.names import name_key
from kgbuild.namespaces import ID_BASE, PREFIXES, XSD
from kgbuild.query.catalogue import QueryParam, StoredQuery
from kgbuild.query.dataset import NodeIndex
from kgbuild.query.guard import one_line
from kgbuild.query.results import RELATIVE_IRI_RE, compact_iri
from kgbuild.serialize import ntriples_term
from kgbuild.sparql_text import parse_error, uses_service

_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INTEGER_RE = re.compile(r"[+-]?[0-9]+")
_ABSOLUTE_IRI_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:(?://)?[^\s<>\"{}|^`\\]+")
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


# N-Triples escapes: no value can close the string or IRI it is written in.
_ESCAPES = {
    ord("\\"): "\\\\",
    ord('"'): '\\"',
    ord("\n"): "\\n",
    ord("\r"): "\\r",
    ord("\t"): "\\t",
}


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
    return ntriples_term(term, _ESCAPES)


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
        return one_line(exc)
    return None
