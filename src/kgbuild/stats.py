"""Summaries of a built graph: triples, data nodes per class, events and sources."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from rdflib import Graph, URIRef

from kgbuild.namespaces import ID_BASE, KG, RDF, RDFS, qname

__all__ = ["Summary", "format_summary", "summarize"]


@dataclass(frozen=True)
class Summary:
    total_triples: int
    ontology_triples: int  # triples whose subject is not a data node
    data_triples: int  # triples whose subject is a data node (an IRI under ID_BASE)
    data_nodes: int
    events: int
    source_documents: int
    passages: int
    background_sources: int
    nodes_per_class: tuple[tuple[str, int], ...]  # (class as kg:Name, count), sorted by name


def _is_data(node: object) -> bool:
    return isinstance(node, URIRef) and node.startswith(ID_BASE)


def summarize(graph: Graph) -> Summary:
    """Count what is in ``graph`` (ontology and data merged, or data alone).

    Works the same on the in-memory build result and on a re-parsed kg.ttl, since data
    triples are told apart by their subject's namespace rather than by where they came from.
    """
    data_triples = sum(1 for s in graph.subjects() if _is_data(s))
    data_nodes = {s for s in graph.subjects(unique=True) if _is_data(s)}
    types: dict[URIRef, set[URIRef]] = {}
    per_class: Counter[str] = Counter()
    for s, o in graph.subject_objects(RDF.type):
        if _is_data(s) and isinstance(o, URIRef):
            types.setdefault(s, set()).add(o)  # type: ignore[arg-type]
            per_class[qname(str(o))] += 1
    # Event classes: kg:Event and everything rdfs:subClassOf* it, as the ontology says.
    event_classes = set(graph.transitive_subjects(RDFS.subClassOf, KG.Event))
    events = sum(1 for ts in types.values() if ts & event_classes)

    def count(cls: URIRef) -> int:
        return sum(1 for ts in types.values() if cls in ts)

    return Summary(
        total_triples=len(graph),
        ontology_triples=len(graph) - data_triples,
        data_triples=data_triples,
        data_nodes=len(data_nodes),
        events=events,
        source_documents=count(KG.SourceDocument),
        passages=count(KG.Passage),
        background_sources=count(KG.BackgroundSource),
        nodes_per_class=tuple(sorted(per_class.items())),
    )


def format_summary(summary: Summary) -> str:
    """A short aligned text table of ``summary``."""
    rows: list[tuple[str, int | None]] = [
        ("Triples", summary.total_triples),
        ("  ontology", summary.ontology_triples),
        ("  data", summary.data_triples),
        ("Data nodes", summary.data_nodes),
        ("Events", summary.events),
        ("Sources", None),
        ("  source documents", summary.source_documents),
        ("  passages", summary.passages),
        ("  background sources", summary.background_sources),
        ("Data nodes per class", None),
    ]
    rows.extend((f"  {name}", n) for name, n in summary.nodes_per_class)
    if not summary.nodes_per_class:
        rows.append(("  (none)", None))
    label_width = max(len(label) for label, _ in rows)
    number_width = max(len(f"{n:,}") for _, n in rows if n is not None)
    lines = []
    for label, n in rows:
        if n is None:
            lines.append(label)
        else:
            lines.append(f"{label:<{label_width}}  {n:>{number_width},}")
    return "\n".join(lines)
