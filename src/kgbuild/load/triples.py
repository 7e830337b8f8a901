"""From checked records to triples: the JSON-LD to RDF step (pyoxigraph's processor, the
context passed inline, nothing fetched), and ``load_data``, the whole of loading: check the
records, attest their sources (provenance.py), convert them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, URIRef
from rdflib.term import Node

from kgbuild.errors import DataErrors, KgbuildError
from kgbuild.load.context import Context
from kgbuild.load.records import check_data
from kgbuild.provenance import plan_records
from kgbuild.terms import from_oxigraph_triples

Triple = tuple[Node, Node, Node]


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
