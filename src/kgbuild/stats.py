"""Summaries of a built graph: triples, data nodes per class, events, sources and the
attestations and reified statements that say which source each triple rests on."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from rdflib import Graph, URIRef
from rdflib.term import Node

from kgbuild.namespaces import ID_BASE, KG, RDF, RDFS, qname

__all__ = ["Summary", "format_summary", "summarize", "summary_dict", "summary_from_dict"]

Triple = tuple[Node, Node, Node]


@dataclass(frozen=True)
class Summary:
    total_triples: int
    ontology_triples: int  # triples whose subject is not a data node
    data_triples: int  # triples whose subject is a data node (an IRI under ID_BASE)
    data_nodes: int  # data-namespace subjects but the attestations and reified statements
    events: int
    source_documents: int
    passages: int
    background_sources: int
    nodes_per_class: tuple[tuple[str, int], ...]  # (class as kg:Name, count), sorted by name
    attestations: int = 0  # one passage in one voice, or one background record
    reified_statements: int = 0  # triples with sources of their own (rdf:Statement)


def _is_data(node: object) -> bool:
    return isinstance(node, URIRef) and node.startswith(ID_BASE)


def summarize(triples: Graph | Iterable[Triple]) -> Summary:
    """Count what is in ``triples`` (ontology and data merged, or data alone).

    Data triples are told apart by their subject's namespace rather than by where they came
    from, so the count is the same on the build's triples and on a re-parsed kg.ttl.
    """
    total = data_triples = 0
    data_nodes: set[Node] = set()
    types: dict[Node, set[Node]] = defaultdict(set)
    subclasses: dict[Node, set[Node]] = defaultdict(set)  # class -> its direct subclasses
    for s, p, o in triples:
        total += 1
        if _is_data(s):
            data_triples += 1
            data_nodes.add(s)
            if p == RDF.type and isinstance(o, URIRef):
                types[s].add(o)
        elif p == RDFS.subClassOf:
            subclasses[o].add(s)
    # Attestations and reified statements carry the sources; they are counted apart.
    bookkeeping = {n for n, ts in types.items() if KG.Attestation in ts or RDF.Statement in ts}
    per_class: Counter[str] = Counter(
        qname(str(c)) for n, ts in types.items() if n not in bookkeeping for c in ts
    )
    # Event classes: kg:Event and everything rdfs:subClassOf* it, as the ontology says.
    event_classes: set[Node] = set()
    todo: list[Node] = [KG.Event]
    while todo:
        cls = todo.pop()
        if cls not in event_classes:
            event_classes.add(cls)
            todo.extend(subclasses.get(cls, ()))
    events = sum(1 for ts in types.values() if ts & event_classes)

    def count(cls: URIRef) -> int:
        return sum(1 for ts in types.values() if cls in ts)

    return Summary(
        total_triples=total,
        ontology_triples=total - data_triples,
        data_triples=data_triples,
        data_nodes=len(data_nodes - bookkeeping),
        events=events,
        source_documents=count(KG.SourceDocument),
        passages=count(KG.Passage),
        background_sources=count(KG.BackgroundSource),
        nodes_per_class=tuple(sorted(per_class.items())),
        attestations=count(KG.Attestation),
        reified_statements=count(RDF.Statement),
    )


def summary_dict(summary: Summary) -> dict[str, Any]:
    """The summary as JSON-ready data (for the build manifest)."""
    data = asdict(summary)
    data["nodes_per_class"] = dict(summary.nodes_per_class)
    return data


def summary_from_dict(data: dict[str, Any]) -> Summary:
    """The inverse of ``summary_dict``."""
    values = dict(data)
    values["nodes_per_class"] = tuple(sorted(values.get("nodes_per_class", {}).items()))
    return Summary(**values)


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
        ("Provenance", None),
        ("  attestations", summary.attestations),
        ("  reified statements", summary.reified_statements),
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
