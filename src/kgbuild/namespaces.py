"""Namespaces: the one place in the code where the project namespaces are set."""

from __future__ import annotations

from rdflib import Graph, Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

KG = Namespace("https://w3id.org/kgbuild/ontology#")
# IRI of the ontology itself (its owl:Ontology header).
KG_ONTOLOGY = "https://w3id.org/kgbuild/ontology"
# Base IRI of every data node; data files use ids relative to it.
ID_BASE = "https://w3id.org/kgbuild/id/"
ID = Namespace(ID_BASE)

SEM = Namespace("http://semanticweb.cs.vu.nl/2009/11/sem/")
TIME = Namespace("http://www.w3.org/2006/time#")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
SF = Namespace("http://www.opengis.net/ont/sf#")
ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = Namespace("https://schema.org/")
UNIT = Namespace("http://qudt.org/vocab/unit/")
VANN = Namespace("http://purl.org/vocab/vann/")

__all__ = [
    "DCTERMS",
    "GEO",
    "ID",
    "ID_BASE",
    "KG",
    "KG_ONTOLOGY",
    "ORG",
    "OWL",
    "PREFIXES",
    "PROV",
    "RDF",
    "RDFS",
    "SCHEMA",
    "SEM",
    "SF",
    "SKOS",
    "TIME",
    "UNIT",
    "VANN",
    "XSD",
    "bind_prefixes",
    "qname",
]

# Prefix -> namespace IRI. Serialisation and summaries use exactly this table, so output never
# depends on which prefixes rdflib or the input files happened to bind.
PREFIXES: dict[str, str] = {
    "dcterms": str(DCTERMS),
    "geo": str(GEO),
    "id": ID_BASE,
    "kg": str(KG),
    "org": str(ORG),
    "owl": str(OWL),
    "prov": str(PROV),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "schema": str(SCHEMA),
    "sem": str(SEM),
    "sf": str(SF),
    "skos": str(SKOS),
    "time": str(TIME),
    "unit": str(UNIT),
    "vann": str(VANN),
    "xsd": str(XSD),
}


def bind_prefixes(graph: Graph) -> Graph:
    """Bind the project prefixes on ``graph`` (in sorted order, replacing other bindings)."""
    for prefix, namespace in sorted(PREFIXES.items()):
        graph.bind(prefix, Namespace(namespace), override=True, replace=True)
    return graph


def qname(iri: str) -> str:
    """Shorten ``iri`` to ``prefix:local`` with the project prefixes, else return ``<iri>``."""
    best = ""
    for namespace in PREFIXES.values():
        if iri.startswith(namespace) and len(namespace) > len(best):
            best = namespace
    if best:
        prefix = next(p for p, ns in PREFIXES.items() if ns == best)
        return f"{prefix}:{iri[len(best) :]}"
    return f"<{iri}>"
