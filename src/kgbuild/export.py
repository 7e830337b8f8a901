"""The export formats: the graph as N-Triples, JSON-LD and TriG, and the VoID / DCAT description
of the dataset. Every output is deterministic (same inputs, same bytes, whatever the process or
its hash seed), and every function works on plain triples, so a large graph is never copied into
another rdflib graph on the way out."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, VOID
from rdflib.term import Node

from kgbuild.dist_files import (
    CLOSURE_FILE,
    EXPORT_FORMATS,
    INFERRED_FILE,
    JSONLD_FILE,
    KG_FILE,
    NTRIPLES_FILE,
    TRIG_FILE,
    VOID_FILE,
)
from kgbuild.load import Context
from kgbuild.namespaces import DCTERMS, ID_BASE, KG, KG_ONTOLOGY, OWL, PREFIXES, RDF, XSD
from kgbuild.serialize import Triple, ntriples_term, relative_id, turtle_parts

__all__ = [
    "DATASET",
    "DATA_GRAPH",
    "EXPORT_FORMATS",
    "GRAPH_BASE",
    "INFERRED_GRAPH",
    "ONTOLOGY_GRAPH",
    "VOID_FILE",
    "VOID_GRAPH",
    "ExportResult",
    "endpoint_description",
    "export_graphs",
    "jsonld_chunks",
    "ntriples_lines",
    "serialize_jsonld",
    "serialize_ntriples",
    "serialize_trig",
    "trig_chunks",
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

MEDIA_TYPES = {
    KG_FILE: "text/turtle",
    NTRIPLES_FILE: "application/n-triples",
    JSONLD_FILE: "application/ld+json",
    TRIG_FILE: "application/trig",
    INFERRED_FILE: "text/turtle",
    CLOSURE_FILE: "text/turtle",
}

EXPORT_PREFIXES: dict[str, str] = {**PREFIXES, "dcat": str(DCAT), "void": str(VOID)}

HEADER = (
    "# kgbuild {version}: {what}\n"
    "# Generated file: edit the sources and run `kgbuild build` instead of editing this.\n"
)


@dataclass
class ExportResult:
    graphs: dict[URIRef, list[Triple]]  # named graph -> its triples (the VoID graph included)
    outputs: tuple[Path, ...]  # every file written
    counts: dict[URIRef, int] = field(default_factory=dict)  # named graph -> triples


def _local_id(iri: URIRef) -> str:
    text = str(iri)
    return text[len(ID_BASE) :] if text.startswith(ID_BASE) else text


# --------------------------------------------------------------------------------------------
# Named graphs and the dataset description


def export_graphs(
    ontology: Iterable[Triple], data: Iterable[Triple], inferred: Iterable[Triple]
) -> dict[URIRef, list[Triple]]:
    """The named graphs of the TriG export (without the VoID graph): the ontology, the asserted
    data, the inferred triples, and one graph per source document holding the triples its
    passages state: a triple is in a document's graph when one of its attestations cites a
    passage of that document (the attestations of its reified statement where it has one,
    else those of its subject). ``GRAPH ?report { s p o }`` then asks who states a triple in
    any store, and a triple several reports state is in each of their graphs. Triples that
    rest on background knowledge alone are in the data graph only."""
    data = list(data)
    graphs: dict[URIRef, list[Triple]] = {
        ONTOLOGY_GRAPH: list(ontology),
        DATA_GRAPH: data,
        INFERRED_GRAPH: list(inferred),
    }
    document_of: dict[Node, Node] = {}  # passage -> its document
    passage_of: dict[Node, Node] = {}  # attestation -> the passage it cites
    defaults: dict[Node, list[Node]] = defaultdict(list)  # node -> its own attestations
    reified: dict[Node, dict[Node, Node]] = defaultdict(dict)  # statement -> rdf:s/p/o
    attested: dict[Node, list[Node]] = defaultdict(list)  # statement -> its attestations
    for s, p, o in data:
        if p == KG.inDocument:
            document_of[s] = o
        elif p == KG.statedIn:
            passage_of[s] = o  # kept for attestations only (data nodes are not looked up)
        elif p == KG.attestedBy:
            defaults[s].append(o)
        elif p in (RDF.subject, RDF.predicate, RDF.object):
            reified[s][p] = o
    for statement in reified:
        attested[statement] = defaults.pop(statement, [])
    by_triple = {
        (r[RDF.subject], r[RDF.predicate], r[RDF.object]): attested[statement]
        for statement, r in reified.items()
        if len(r) == 3
    }
    stated: dict[Node, list[Triple]] = defaultdict(list)
    for triple in data:
        subject, predicate, _ = triple
        if predicate in _PROVENANCE or subject in reified:
            continue
        attestations = by_triple.get(triple, defaults.get(subject, ()))
        documents = {document_of.get(passage_of.get(a)) for a in attestations}
        for document in documents - {None}:
            stated[document].append(triple)
    for document in sorted(d for d in stated if isinstance(d, URIRef)):
        graphs[GRAPH[_local_id(document)]] = stated[document]
    return graphs


# What records the sources of statements: never itself stated by a report.
_PROVENANCE = frozenset({KG.attestedBy, KG.statedIn, KG.backgroundSource})


def void_graph(
    ontology: Graph,
    source_documents: Iterable[URIRef],
    triples: int,
    counts: Mapping[URIRef, int],
    files: Iterable[str],
    endpoint: str | None = None,
) -> Graph:
    """The VoID / DCAT description of the dataset: title, version, license, sources, the
    number of ``triples`` of the whole graph (ontology + data) and of each named graph, the
    files and (when given) the SPARQL endpoint. No timestamps, so it is deterministic."""
    from kgbuild import __version__

    g = Graph()
    d = DATASET
    g.add((d, RDF.type, VOID.Dataset))
    g.add((d, RDF.type, DCAT.Dataset))
    g.add(
        (
            d,
            DCTERMS.title,
            Literal(
                "kgbuild knowledge graph of the reporting on the aftermath of the "
                "2020 Nagorno-Karabakh war",
                lang="en",
            ),
        )
    )
    header = URIRef(KG_ONTOLOGY)
    for title in ontology.objects(header, DCTERMS.title):
        g.add((d, DCTERMS.description, Literal(f"Built with the ontology: {title}", lang="en")))
    g.add((d, DCAT_VERSION, Literal(__version__)))
    g.add((d, OWL.versionInfo, Literal(__version__)))
    for license_ in ontology.objects(header, DCTERMS.license):
        g.add((d, DCTERMS.license, license_))
    for document in source_documents:
        g.add((d, DCTERMS.source, document))
    g.add((d, VOID.triples, Literal(triples, datatype=XSD.integer)))
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


# --------------------------------------------------------------------------------------------
# N-Triples and TriG


def serialize_ntriples(triples: Iterable[Triple]) -> bytes:
    """N-Triples, one line per triple, lines sorted bytewise. Blank nodes keep their labels,
    which are content-derived: the ontology, the only source of blank nodes, is canonicalised
    when it is read."""
    return b"".join(ntriples_lines(triples))


def ntriples_lines(triples: Iterable[Triple]) -> list[bytes]:
    """The lines of ``serialize_ntriples``, sorted, each once."""
    texts: dict[Node, str] = {}

    def term(node: Node) -> str:
        text = texts.get(node)
        if text is None:
            text = texts[node] = ntriples_term(node)
        return text

    lines = {f"{term(s)} {term(p)} {term(o)} .\n".encode() for s, p, o in triples}
    return sorted(lines)


def serialize_trig(graphs: Mapping[URIRef, Iterable[Triple]], header: str) -> bytes:
    """TriG of named graphs, each written by the deterministic Turtle writer."""
    return "".join(trig_chunks(graphs, header)).encode("utf-8")


def trig_chunks(graphs: Mapping[URIRef, Iterable[Triple]], header: str) -> Iterator[str]:
    """``serialize_trig``'s text in pieces: the head, then one statement at a time."""
    directives: set[str] = set()
    bodies: list[tuple[URIRef, list[str]]] = []
    for name in sorted(graphs, key=str):
        head, body = turtle_parts(graphs[name], prefixes=EXPORT_PREFIXES, header="")
        directives.update(line for line in head.split("\n") if line)
        bodies.append((name, body))
    base = sorted(d for d in directives if d.startswith("@base "))
    prefixes = sorted(d for d in directives if d.startswith("@prefix "))
    yield header.rstrip("\n") + "\n" + "\n".join(base + prefixes) + "\n\n"
    for n, (name, body) in enumerate(bodies):
        separator = "\n\n" if n else ""
        if not body:
            yield f"{separator}<{name}> {{ }}"
            continue
        yield f"{separator}<{name}> {{\n"
        for i, block in enumerate(body):
            # Split at newlines only: a literal may hold other line separators (U+2028).
            indented = "\n".join(("    " + line) if line else "" for line in block.split("\n"))
            yield indented if i == 0 else "\n\n" + indented
        yield "\n}"
    yield "\n"


# --------------------------------------------------------------------------------------------
# JSON-LD


class _NeedLabels(Exception):
    """Some blank node is shared or on a cycle, so it cannot be written as a nested object."""


class _JsonLdWriter:
    """Compacts triples with the project context, the way the data files are written: ``id``
    relative to the context's @base, ``type`` and @vocab values as terms, each property under
    its term when the value has the term's kind (reference, vocabulary term, datatype,
    language, language map), else under the property's compact IRI with an expanded value.
    Blank nodes are nested objects (RDF lists as ``@list``) or, where one is shared, labelled.

    Written for this project's context, whose term kinds ``load.Context`` classifies; the tests
    parse the output back with rdflib and with pyoxigraph and require the same graph."""

    def __init__(self, triples: Iterable[Triple], context: Context, labelled: bool) -> None:
        self.context = context
        self.labelled = labelled
        self.index: dict[Node, dict[Node, set[Node]]] = defaultdict(lambda: defaultdict(set))
        refs: dict[Node, int] = defaultdict(int)
        for s, p, o in triples:
            self.index[s][p].add(o)
            if isinstance(o, BNode):
                refs[o] += 1
        self.refs = refs
        self.term_of = {term.iri: term for term in context.properties.values()}
        self.name_of = {iri: name for name, iri in sorted(context.names.items(), reverse=True)}
        self.prefixes = sorted(
            ((ns, prefix) for prefix, ns in context.prefixes.items()),
            key=lambda item: (-len(item[0]), item[1]),
        )
        self.visiting: set[Node] = set()

    # -- IRIs

    def compact_iri(self, iri: str, vocab: bool) -> str:
        if vocab and iri in self.name_of:
            return self.name_of[iri]
        if not vocab:
            relative = relative_id(iri, self.context.base)
            if relative is not None:
                return relative
        for namespace, prefix in self.prefixes:
            local = iri[len(namespace) :]
            if iri.startswith(namespace) and local and not local.startswith("//"):
                return f"{prefix}:{local}"
        return iri

    def node_id(self, node: Node) -> str:
        if isinstance(node, BNode):
            return f"_:{node}"
        return self.compact_iri(str(node), vocab=False)

    # -- values

    def expanded_value(self, node: Node) -> Any:
        if isinstance(node, Literal):
            value: dict[str, Any] = {"@value": str(node)}
            if node.language:
                value["@language"] = node.language
            elif node.datatype is not None and node.datatype != XSD.string:
                value["@type"] = self.compact_iri(str(node.datatype), vocab=True)
            return value
        if isinstance(node, BNode) and not self.labelled:
            members = self.rdf_list(node)
            if members is not None:
                return {"@list": [self.expanded_value(m) for m in members]}
            return self.node_object(node, nested=True)
        return {"@id": self.node_id(node)}

    def term_value(self, term: Any, node: Node) -> Any:
        """The compact value of ``node`` under ``term``, or None when its kind does not fit."""
        kind = term.kind
        if isinstance(node, Literal):
            if (
                kind == "typed"
                and node.datatype is not None
                and str(node.datatype) == (term.datatype)
            ):
                return str(node)
            if kind == "plain" and not node.language and node.datatype in (None, XSD.string):
                return str(node)
            language = (node.language or "").lower()
            if kind == "language" and language and language == (term.language or "").lower():
                return str(node)
            return None
        if isinstance(node, URIRef):
            if kind == "reference":
                return self.compact_iri(str(node), vocab=False)
            if kind == "vocab":
                return self.compact_iri(str(node), vocab=True)
            return None
        if kind == "reference" and not self.labelled and self.rdf_list(node) is None:
            return self.node_object(node, nested=True)
        return None

    # -- nodes

    def rdf_list(self, node: Node) -> list[Node] | None:
        """The members of the well-formed list at blank node ``node``, each link used once."""
        members: list[Node] = []
        seen: set[Node] = set()
        while node != RDF.nil:
            predicates = self.index.get(node, {})
            if (
                not isinstance(node, BNode)
                or node in seen
                or self.refs.get(node, 0) != 1
                or set(predicates) != {RDF.first, RDF.rest}
                or any(len(objects) != 1 for objects in predicates.values())
            ):
                return None
            seen.add(node)
            members.append(next(iter(predicates[RDF.first])))
            node = next(iter(predicates[RDF.rest]))
        return members

    def node_object(self, node: Node, nested: bool = False) -> dict[str, Any]:
        if nested:
            if self.refs.get(node, 0) != 1 or node in self.visiting:
                raise _NeedLabels
            self.visiting.add(node)
        out: dict[str, Any] = {}
        if not isinstance(node, BNode) or self.labelled:
            out["id"] = self.node_id(node)
        values: dict[str, list[Any]] = defaultdict(list)
        language_maps: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for predicate, objects in self.index.get(node, {}).items():
            if predicate == RDF.type:
                for o in objects:
                    if isinstance(o, URIRef):
                        values["type"].append(self.compact_iri(str(o), vocab=True))
                    else:
                        values[self.compact_iri(str(RDF.type), vocab=True)].append(
                            self.expanded_value(o)
                        )
                continue
            term = self.term_of.get(str(predicate))
            for o in objects:
                if term is not None and term.kind == "language-map":
                    if isinstance(o, Literal) and o.language:
                        language_maps[term.name][o.language].append(str(o))
                        continue
                elif term is not None:
                    compact = self.term_value(term, o)
                    if compact is not None:
                        values[term.name].append(compact)
                        continue
                values[self.compact_iri(str(predicate), vocab=True)].append(self.expanded_value(o))
        for name, by_language in language_maps.items():
            values[name].append(
                {tag: _one_or_many(sorted(texts)) for tag, texts in sorted(by_language.items())}
            )
        for key in sorted(values):
            items = sorted(values[key], key=_json_key)
            out[key] = _one_or_many(items)
        if nested:
            self.visiting.discard(node)
        return dict(sorted(out.items()))

    def document(self, context_object: Mapping[str, Any]) -> dict[str, Any]:
        nodes = []
        for subject in self.index:
            if isinstance(subject, BNode) and not self.labelled:
                if self.refs.get(subject, 0) != 0:
                    continue  # written where it is used
                nodes.append(self.node_object(subject))
            else:
                nodes.append(self.node_object(subject))
        # Every blank node must have been written exactly once.
        if not self.labelled:
            self._check_all_written()
        nodes.sort(key=_graph_sort_key)
        return {"@context": dict(context_object), "@graph": nodes}

    def _check_all_written(self) -> None:
        reachable: set[Node] = set()
        todo = [s for s in self.index if not isinstance(s, BNode) or self.refs.get(s, 0) == 0]
        while todo:
            node = todo.pop()
            for objects in self.index.get(node, {}).values():
                for o in objects:
                    if isinstance(o, BNode) and o not in reachable:
                        reachable.add(o)
                        todo.append(o)
        for subject in self.index:
            if (
                isinstance(subject, BNode)
                and self.refs.get(subject, 0)
                and subject not in reachable
            ):
                raise _NeedLabels  # reachable only through a cycle


def _one_or_many(items: list[Any]) -> Any:
    return items[0] if len(items) == 1 else items


def _json_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _graph_sort_key(node: dict[str, Any]) -> tuple[bool, str, str]:
    ident = str(node.get("id", ""))
    return (not ident or ident.startswith("_:"), ident, _json_key(node))


def serialize_jsonld(
    triples: Iterable[Triple], context: Context, context_object: Mapping[str, Any]
) -> bytes:
    """Compacted JSON-LD of ``triples`` with the project context (``context_object`` is written
    inline as the document's @context, never fetched; ``context`` is its classification).
    Nodes, keys and values are sorted, so the output is deterministic."""
    return "".join(jsonld_chunks(triples, context, context_object)).encode("utf-8")


def jsonld_chunks(
    triples: Iterable[Triple], context: Context, context_object: Mapping[str, Any]
) -> Iterator[str]:
    """``serialize_jsonld``'s text in pieces, one node object at a time: exactly what
    ``json.dumps(document, indent=2)`` writes, without the whole text in memory."""
    triples = list(triples)
    try:
        doc = _JsonLdWriter(triples, context, labelled=False).document(context_object)
    except _NeedLabels:
        doc = _JsonLdWriter(triples, context, labelled=True).document(context_object)
    del triples

    def dumped(value: Any, level: int) -> str:
        # JSON text holds newlines only between its tokens (strings escape them), so indenting
        # each line puts a value at any depth.
        return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + "  " * level)

    yield '{\n  "@context": ' + dumped(doc["@context"], 1) + ',\n  "@graph": '
    nodes = doc["@graph"]
    if not nodes:
        yield "[]\n}\n"
        return
    yield "[\n"
    for i, node in enumerate(nodes):
        yield ("    " if i == 0 else ",\n    ") + dumped(node, 2)
    yield "\n  ]\n}\n"
