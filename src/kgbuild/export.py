"""The export stage: the checked, reasoned graph as Turtle, N-Triples, JSON-LD and TriG, with a
VoID / DCAT description of the dataset. Every output is deterministic (same inputs, same bytes,
whatever the process or its hash seed)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic, to_canonical_graph
from rdflib.namespace import DCAT, VOID

from kgbuild.errors import InputError, display_path
from kgbuild.namespaces import DCTERMS, ID_BASE, KG, KG_ONTOLOGY, OWL, PREFIXES, RDF, XSD
from kgbuild.serialize import serialize_turtle

__all__ = [
    "DATASET",
    "EXPORT_FORMATS",
    "GRAPH_BASE",
    "ExportResult",
    "endpoint_description",
    "export_graphs",
    "serialize_jsonld",
    "serialize_ntriples",
    "serialize_trig",
    "void_graph",
]

GRAPH_BASE = "https://w3id.org/kgbuild/graph/"
GRAPH = Namespace(GRAPH_BASE)
ONTOLOGY_GRAPH = GRAPH.ontology
DATA_GRAPH = GRAPH.data
INFERRED_GRAPH = GRAPH.inferred
VOID_GRAPH = GRAPH.void
DATASET = URIRef("https://w3id.org/kgbuild/dataset")
DCAT_VERSION = URIRef(str(DCAT) + "version")  # DCAT 3; rdflib's DCAT namespace predates it

# Format name -> file name. "all" writes every one of them.
EXPORT_FORMATS: dict[str, str] = {
    "turtle": "kg.ttl",
    "ntriples": "kg.nt",
    "jsonld": "kg.jsonld",
    "trig": "kg.trig",
}
VOID_FILE = "void.ttl"
MEDIA_TYPES = {
    "kg.ttl": "text/turtle",
    "kg.nt": "application/n-triples",
    "kg.jsonld": "application/ld+json",
    "kg.trig": "application/trig",
    "inferred.ttl": "text/turtle",
    "kg-closure.ttl": "text/turtle",
}

EXPORT_PREFIXES: dict[str, str] = {**PREFIXES, "dcat": str(DCAT), "void": str(VOID)}

HEADER = (
    "# kgbuild {version}: {what}\n"
    "# Generated file: edit the sources and run `kgbuild build` instead of editing this.\n"
)


@dataclass
class ExportResult:
    graphs: dict[URIRef, Graph]  # named graph -> its triples (the VoID graph included)
    outputs: tuple[Path, ...]  # every file written (or, from export_files, to write)
    counts: dict[URIRef, int] = field(default_factory=dict)  # named graph -> triples
    files: list[tuple[Path, bytes]] = field(default_factory=list)  # path -> content


def _local_id(iri: URIRef) -> str:
    text = str(iri)
    return text[len(ID_BASE) :] if text.startswith(ID_BASE) else text


def _with_blank_closure(source: Graph, subjects: Iterable[URIRef], into: Graph) -> None:
    """Copy the triples of ``subjects`` and of the blank nodes they reach into ``into``."""
    todo: list[Any] = list(subjects)
    seen: set[Any] = set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for p, o in source.predicate_objects(node):
            into.add((node, p, o))
            if isinstance(o, BNode):
                todo.append(o)


def export_graphs(ontology: Graph, merged: Graph, inferred: Graph) -> dict[URIRef, Graph]:
    """The named graphs of the TriG export (without the VoID graph): the ontology, the
    asserted data (``merged`` minus the ontology), the inferred triples, and one graph per
    source document holding the data nodes that cite its passages (``kg:statedIn`` a passage
    that is ``kg:inDocument`` the document), each with the blank nodes it reaches. Nodes that
    cite only background knowledge (``kg:backgroundSource``) are in the data graph alone."""
    data = Graph()
    for triple in merged:
        if triple not in ontology:
            data.add(triple)
    graphs: dict[URIRef, Graph] = {
        ONTOLOGY_GRAPH: ontology,
        DATA_GRAPH: data,
        INFERRED_GRAPH: inferred,
    }
    citing: dict[URIRef, set[URIRef]] = {}
    for node, passage in data.subject_objects(KG.statedIn):
        for document in data.objects(passage, KG.inDocument):
            if isinstance(node, URIRef) and isinstance(document, URIRef):
                citing.setdefault(document, set()).add(node)
    for document in sorted(citing):
        graph = Graph()
        _with_blank_closure(data, sorted(citing[document]), graph)
        graphs[GRAPH[_local_id(document)]] = graph
    return graphs


def void_graph(
    ontology: Graph,
    merged: Graph,
    counts: Mapping[URIRef, int],
    files: Iterable[str],
    endpoint: str | None = None,
) -> Graph:
    """The VoID / DCAT description of the dataset: title, version, license, sources, the
    triple count of the whole graph (ontology + data) and of each named graph, the files and
    (when given) the SPARQL endpoint. No timestamps, so it is deterministic."""
    from kgbuild import __version__

    g = Graph()
    d = DATASET
    g.add((d, RDF.type, VOID.Dataset))
    g.add((d, RDF.type, DCAT.Dataset))
    g.add((d, DCTERMS.title, Literal("kgbuild knowledge graph of the Lachin report", lang="en")))
    header = URIRef(KG_ONTOLOGY)
    for title in ontology.objects(header, DCTERMS.title):
        g.add((d, DCTERMS.description, Literal(f"Built with the ontology: {title}", lang="en")))
    g.add((d, DCAT_VERSION, Literal(__version__)))
    g.add((d, OWL.versionInfo, Literal(__version__)))
    for license_ in ontology.objects(header, DCTERMS.license):
        g.add((d, DCTERMS.license, license_))
    for document in merged.subjects(RDF.type, KG.SourceDocument):
        g.add((d, DCTERMS.source, document))
    g.add((d, VOID.triples, Literal(len(merged), datatype=XSD.integer)))
    g.add((d, VOID.vocabulary, URIRef(str(KG))))
    g.add((d, VOID.uriSpace, Literal(ID_BASE)))
    for name, count in counts.items():
        g.add((d, VOID.subset, name))
        g.add((name, RDF.type, VOID.Dataset))
        g.add((name, VOID.triples, Literal(count, datatype=XSD.integer)))
    for filename in files:
        dist = BNode()
        g.add((d, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(filename)))
        g.add((dist, DCAT.mediaType, Literal(MEDIA_TYPES.get(filename, "text/turtle"))))
    if endpoint:
        g += endpoint_description(endpoint)
    return g


def endpoint_description(endpoint: str) -> Graph:
    """The triples that say the dataset is served at the SPARQL endpoint ``endpoint``."""
    g = Graph()
    service = URIRef(endpoint)
    g.add((DATASET, VOID.sparqlEndpoint, service))
    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, DCAT.endpointURL, service))
    g.add((service, DCAT.servesDataset, DATASET))
    return g


def serialize_ntriples(graph: Graph) -> bytes:
    """N-Triples, one line per triple, lines sorted bytewise; blank nodes get canonical labels."""
    canonical = to_canonical_graph(graph)
    text = canonical.serialize(format="nt", encoding="utf-8")
    lines = sorted({line for line in text.splitlines() if line.strip()})
    return b"".join(line + b"\n" for line in lines)


def _sort_json(value: Any, in_list: bool = False) -> Any:
    if isinstance(value, dict):
        return {k: _sort_json(v, in_list=(k == "@list")) for k, v in sorted(value.items())}
    if isinstance(value, list):
        items = [_sort_json(v) for v in value]
        if in_list:
            return items  # RDF list order is meaning
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return value


def _graph_sort_key(node: Any) -> tuple[bool, str, str]:
    ident = ""
    if isinstance(node, dict):
        ident = str(node.get("@id", node.get("id", "")))
    return (ident.startswith("_:"), ident, json.dumps(node, sort_keys=True, ensure_ascii=False))


def _relativize(value: Any, path: str) -> Any:
    if isinstance(value, dict):
        return {k: v if k == "@context" else _relativize(v, path) for k, v in value.items()}
    if isinstance(value, list):
        return [_relativize(v, path) for v in value]
    if isinstance(value, str) and value.startswith(path) and len(value) > len(path):
        return value[len(path) :]
    return value


def _parses_to(doc: Any, graph: Graph) -> bool:
    parsed = Graph()
    parsed.parse(data=json.dumps(doc), format="json-ld")
    return isomorphic(parsed, graph)


def serialize_jsonld(graph: Graph, context: Mapping[str, Any]) -> bytes:
    """Compacted JSON-LD with ``context`` (the object of data/context.jsonld, passed in, never
    fetched); keys, nodes and values sorted, blank nodes labelled canonically."""
    canonical = Graph()
    canonical += to_canonical_graph(graph)
    text = canonical.serialize(format="json-ld", context=dict(context), auto_compact=True)
    doc = json.loads(text)
    # rdflib compacts IRIs under @base to '/kgbuild/id/place/x'; 'place/x' reads better and
    # means the same. Kept only if the document still parses back to the same graph.
    relative = _relativize(doc, urlsplit(ID_BASE).path)
    if _parses_to(relative, graph):
        doc = relative
    body = doc.get("@graph")
    if isinstance(body, list):
        doc["@graph"] = sorted((_sort_json(n) for n in body), key=_graph_sort_key)
    doc.pop("@context", None)
    ordered: dict[str, Any] = {"@context": dict(context)}  # as in the file, in its order
    ordered.update(_sort_json(doc))
    return (json.dumps(ordered, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def serialize_trig(graphs: Mapping[URIRef, Graph], header: str) -> bytes:
    """TriG of named graphs, each written by the deterministic Turtle writer."""
    directives: set[str] = set()
    blocks: list[str] = []
    for name in sorted(graphs, key=str):
        text = serialize_turtle(graphs[name], prefixes=EXPORT_PREFIXES, header="").decode("utf-8")
        body_lines = []
        for line in text.splitlines():
            if line.startswith(("@prefix ", "@base ")):
                directives.add(line)
            else:
                body_lines.append(line)
        body = "\n".join(body_lines).strip("\n")
        indented = "\n".join(("    " + line) if line else "" for line in body.splitlines())
        blocks.append(f"<{name}> {{\n{indented}\n}}" if body else f"<{name}> {{ }}")
    base = sorted(d for d in directives if d.startswith("@base "))
    prefixes = sorted(d for d in directives if d.startswith("@prefix "))
    head = header.rstrip("\n") + "\n" + "\n".join(base + prefixes)
    return (head + "\n\n" + "\n\n".join(blocks) + "\n").encode("utf-8")


def _read_context(data_dir: Path) -> dict[str, Any]:
    path = data_dir / "context.jsonld"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"cannot read the JSON-LD context '{display_path(path)}': {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("@context"), dict):
        raise InputError(f"'{display_path(path)}' has no '@context' object")
    return doc["@context"]


def export_files(
    ontology: Graph,
    merged: Graph,
    inferred: Graph,
    data_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    formats: Iterable[str] = tuple(EXPORT_FORMATS),
    endpoint: str | None = None,
    also_written: Iterable[str] = (),
) -> ExportResult:
    """Serialise the chosen formats (names of EXPORT_FORMATS) and ``void.ttl`` in memory; the
    result's ``files`` are for the caller to write. ``also_written`` names further files of the
    same output directory that the dataset description lists as distributions."""
    from kgbuild import __version__

    chosen = [f for f in EXPORT_FORMATS if f in set(formats)]
    graphs = export_graphs(ontology, merged, inferred)
    counts = {name: len(g) for name, g in graphs.items()}
    filenames = [EXPORT_FORMATS[f] for f in chosen] + list(also_written)
    void = void_graph(ontology, merged, counts, filenames, endpoint)
    out = Path(out_dir)
    files: list[tuple[Path, bytes]] = []
    for fmt in chosen:
        if fmt == "turtle":
            data = serialize_turtle(merged)
        elif fmt == "ntriples":
            data = serialize_ntriples(merged)
        elif fmt == "jsonld":
            data = serialize_jsonld(merged, _read_context(Path(data_dir)))
        else:
            data = serialize_trig(
                {**graphs, VOID_GRAPH: void},
                HEADER.format(version=__version__, what="the dataset as named graphs (TriG)"),
            )
        files.append((out / EXPORT_FORMATS[fmt], data))
    files.append(
        (
            out / VOID_FILE,
            serialize_turtle(
                void,
                prefixes=EXPORT_PREFIXES,
                header=HEADER.format(version=__version__, what="VoID / DCAT dataset description"),
            ),
        )
    )
    outputs = tuple(path for path, _ in files)
    return ExportResult({**graphs, VOID_GRAPH: void}, outputs, counts, files)
