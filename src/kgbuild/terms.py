"""RDF terms between rdflib and pyoxigraph: the loader, the store of dist/, the query engines and
the endpoint all cross this border, and must cross it the same way."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from kgbuild.namespaces import XSD

__all__ = [
    "from_oxigraph_term",
    "from_oxigraph_triples",
    "term_from_parts",
    "term_parts",
    "to_oxigraph_term",
]

_XSD_STRING = str(XSD.string)


def to_oxigraph_term(term: Node) -> Any:
    """The pyoxigraph term for an rdflib term (the inverse of ``from_oxigraph_term``)."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot convert {term!r}")


def from_oxigraph_term(term: Any) -> Node:
    """The rdflib term for a pyoxigraph term; an xsd:string literal becomes a plain literal, as
    rdflib's parsers make it."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    raise TypeError(f"unsupported term: {term!r}")


def from_oxigraph_triples(
    quads: Iterable[Any], cache: dict[str, Node] | None = None
) -> Iterator[tuple[Node, Node, Node]]:
    """The (subject, predicate, object) of each quad or triple as rdflib terms; each distinct
    term is converted once and shared (in ``cache``, when several calls should share them),
    which saves time and memory on large graphs."""
    cache = {} if cache is None else cache

    def convert(term: Any) -> Node:
        key = str(term)  # the N-Triples form, unique per term
        node = cache.get(key)
        if node is None:
            node = cache[key] = from_oxigraph_term(term)
        return node

    for quad in quads:
        yield convert(quad.subject), convert(quad.predicate), convert(quad.object)


def term_parts(term: Node) -> tuple[str, str, str]:
    """An rdflib term as plain text (kind, value, extra): kind is "iri", "bnode" or "literal";
    extra is "@" and the language, or the datatype IRI, or "". The form dist/index.sqlite stores
    terms in and query workers send them back in (plain strings are quick to copy)."""
    if isinstance(term, URIRef):
        return "iri", str(term), ""
    if isinstance(term, BNode):
        return "bnode", str(term), ""
    if isinstance(term, Literal):
        if term.language:
            return "literal", str(term), "@" + term.language
        return "literal", str(term), str(term.datatype or "")
    raise TypeError(f"cannot convert {term!r}")


def term_from_parts(kind: str, value: str, extra: str) -> Node:
    """The rdflib term of ``term_parts`` (its inverse)."""
    if kind == "iri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    if extra.startswith("@"):
        return Literal(value, lang=extra[1:])
    return Literal(value, datatype=URIRef(extra) if extra else None)
