"""The ontology in modules: each file of ontology/ is an owl:Ontology that imports the core, and
every kg: term says which module defines it."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from conftest import ROOT
from kgbuild.namespaces import KG, KG_ONTOLOGY
from kgbuild.ontology import load_ontology

ONTOLOGY = ROOT / "ontology"
CORE = URIRef(KG_ONTOLOGY)


def parse(path: Path) -> Graph:
    return Graph().parse(path, format="turtle")


def test_each_file_is_an_ontology_that_imports_the_core() -> None:
    files = sorted(ONTOLOGY.glob("*.ttl"))
    assert {f.name for f in files} >= {
        "core.ttl",
        "actors.ttl",
        "places.ttl",
        "agreements.ttl",
        "events.ttl",
        "disjointness.ttl",
        "align-sem.ttl",
        "align-prov.ttl",
        "align-time.ttl",
        "align-geosparql.ttl",
        "align-org.ttl",
        "align-schema.ttl",
        "deprecated.ttl",
    }
    for path in files:
        graph = parse(path)
        (header,) = graph.subjects(RDF.type, OWL.Ontology)
        assert graph.value(header, OWL.versionIRI) is not None, path.name
        assert graph.value(header, DCTERMS.created) is not None, path.name
        assert graph.value(header, DCTERMS.modified) is not None, path.name
        if header != CORE and path.name != "alignments.ttl":
            assert (header, OWL.imports, CORE) in graph, path.name
    core = parse(ONTOLOGY / "core.ttl")
    assert core.value(CORE, OWL.versionIRI) == URIRef(KG_ONTOLOGY + "/0.3.0")
    assert core.value(CORE, OWL.priorVersion) == URIRef(KG_ONTOLOGY + "/0.2.0")


def test_renamed_terms_stay_deprecated_and_point_at_their_replacement(real_build) -> None:
    """Organisation is spelt alike in its family, and no two properties read as near-homonyms;
    the old IRIs keep a definition that names the new one, and nothing in the graph uses them."""
    whole = load_ontology(ONTOLOGY)
    replaced = {
        KG.subOrganizationOf: KG.subOrganisationOf,
        KG.heldBy: KG.expectedBy,
        KG.heldByPerson: KG.postHolder,
        KG.hasParty: KG.agreementParty,
    }
    deprecated = set(whole.subjects(OWL.deprecated, None))
    assert deprecated == set(replaced)
    for old, new in replaced.items():
        assert whole.value(old, DCTERMS.isReplacedBy) == new
        assert (new, RDF.type, OWL.ObjectProperty) in whole
        assert (new, OWL.deprecated, None) not in whole
    assert whole.value(KG.holdsPost, OWL.inverseOf) == KG.postHolder
    used = {p for _, p, _ in real_build.triples} | {o for _, _, o in real_build.triples}
    assert not deprecated & used
    kg_terms = {t for t in whole.all_nodes() if str(t).startswith(str(KG))} - deprecated
    assert [t for t in kg_terms if "Organization" in t] == []
    assert {KG.Organisation, KG.CommunityOrganisation, KG.subOrganisationOf} <= kg_terms


def test_every_kg_term_is_defined_by_its_module() -> None:
    for path in sorted(ONTOLOGY.glob("*.ttl")):
        graph = parse(path)
        (header,) = graph.subjects(RDF.type, OWL.Ontology)
        for term in set(graph.subjects(RDF.type, None)):
            if isinstance(term, URIRef) and term.startswith(str(KG)):
                assert graph.value(term, RDFS.isDefinedBy) == header, (path.name, term)


def test_alignments_and_cross_module_disjointness_live_in_their_own_modules() -> None:
    """Leaving out align-org.ttl leaves kg:Post unaligned to org:Post; the modules proper make
    no claim about other vocabularies."""
    external = (
        "http://semanticweb.cs.vu.nl/2009/11/sem/",
        "http://www.w3.org/ns/prov#",
        "http://www.w3.org/2006/time#",
        "http://www.opengis.net/ont/geosparql#",
        "http://www.w3.org/ns/org#",
        "https://schema.org/",
    )
    for name in ("core", "actors", "places", "agreements", "events"):
        graph = parse(ONTOLOGY / f"{name}.ttl")
        for p in (RDFS.subClassOf, RDFS.subPropertyOf):
            assert not [o for o in graph.objects(None, p) if str(o).startswith(external)], name
        assert (None, RDF.type, OWL.AllDisjointClasses) not in graph, name
    whole = load_ontology(ONTOLOGY)
    assert (KG.Post, RDFS.subClassOf, URIRef("http://www.w3.org/ns/org#Post")) in whole
    assert len(list(whole.subjects(RDF.type, OWL.AllDisjointClasses))) == 2


def _one_edit_apart(a: str, b: str) -> bool:
    """True when one letter added, dropped or changed turns ``a`` into ``b``."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def test_no_two_terms_are_a_letter_apart() -> None:
    """kg:hasPart and kg:hasParty were; a reader of a query cannot tell such terms apart."""
    whole = load_ontology(ONTOLOGY)
    names = sorted(
        str(term)[len(str(KG)) :].lower()
        for kind in (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.Class)
        for term in whole.subjects(RDF.type, kind)
        if str(term).startswith(str(KG)) and (term, OWL.deprecated, None) not in whole
    )
    assert len(names) > 150
    close = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :] if _one_edit_apart(a, b)]
    assert close == []
    assert _one_edit_apart("haspart", "hasparty") and not _one_edit_apart("partof", "hasparty")
