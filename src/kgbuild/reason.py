"""OWL 2 RL reasoning: the facts the ontology lets a reasoner add to the built graph.

``infer`` runs owlrl's OWL 2 RL closure (without axiomatic triples or datatype axioms) on a copy
of the graph and keeps only what the closure added, cleaned of the noise a rule reasoner
produces and no user asks for: literals in subject position, ``x owl:sameAs x``, statements about
the terms of the RDF, RDFS, OWL and XSD vocabularies themselves, and the typing of literals
(``"..." a xsd:string``). The result is a set of triples, the same on every run.
"""

from __future__ import annotations

from collections.abc import Iterable

import owlrl
from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from kgbuild.namespaces import OWL, RDF, RDFS, XSD, bind_prefixes

__all__ = ["closure", "infer"]

# Namespaces whose terms are never the subject of a kept inference.
_VOCABULARIES = (str(RDF), str(RDFS), str(OWL), str(XSD))


def _keep(triple: tuple[Node, Node, Node]) -> bool:
    s, p, o = triple
    if isinstance(s, Literal) or isinstance(p, Literal):
        return False
    if p == OWL.sameAs and s == o:
        return False
    if isinstance(s, URIRef) and str(s).startswith(_VOCABULARIES):
        return False
    # Typing a literal (owlrl does it through a proxy or on literal subjects): never useful.
    return not (p == RDF.type and isinstance(o, URIRef) and str(o).startswith(str(XSD)))


def infer(graph: Graph) -> Graph:
    """The triples the OWL 2 RL closure of ``graph`` adds to it, cleaned (see the module doc).

    ``graph`` is not modified.
    """
    expanded = Graph()
    for triple in graph:
        expanded.add(triple)
    owlrl.DeductiveClosure(
        owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False
    ).expand(expanded)
    inferred = bind_prefixes(Graph())
    _add_all(inferred, (t for t in expanded if t not in graph and _keep(t)))
    return inferred


def closure(graph: Graph) -> Graph:
    """``graph`` together with ``infer(graph)``, as a new graph."""
    result = bind_prefixes(Graph())
    _add_all(result, graph)
    _add_all(result, infer(graph))
    return result


def _add_all(graph: Graph, triples: Iterable[tuple[Node, Node, Node]]) -> None:
    for triple in triples:
        graph.add(triple)
