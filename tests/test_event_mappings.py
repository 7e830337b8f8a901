"""The event classes are mapped to the ACLED and CAMEO codebooks with SKOS mapping properties to
concepts of this project's concept schemes, which a SPARQL query over the built graph can follow."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from conftest import ROOT
from kgbuild.namespaces import KG
from kgbuild.ontology import load_ontology
from kgbuild.validate import format_rows

ACLED = "https://w3id.org/kgbuild/concept/acled"
CAMEO = "https://w3id.org/kgbuild/concept/cameo"
MATCHES = (SKOS.closeMatch, SKOS.broadMatch, SKOS.relatedMatch)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return load_ontology(ROOT / "ontology")


def test_sparql_over_the_closure_finds_the_acled_concept_and_its_notation(closure_graph) -> None:
    closure = closure_graph
    rows = list(
        closure.query(
            """
            PREFIX kg: <https://w3id.org/kgbuild/ontology#>
            PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
            SELECT ?concept ?notation ?scheme WHERE {
              kg:TerritoryHandover skos:closeMatch ?concept .
              ?concept skos:inScheme ?scheme ; skos:notation ?notation .
            } ORDER BY ?notation
            """
        )
    )
    assert [(str(c), str(n), str(s)) for c, n, s in rows] == [
        (CAMEO + "/0874", "0874", CAMEO),
        (ACLED + "/non-violent-transfer-of-territory", "Non-violent transfer of territory", ACLED),
    ]


def test_the_build_warns_about_nothing_in_the_codebooks(real_build) -> None:
    warnings = format_rows(real_build.validation.warnings)
    assert warnings  # the real data have warnings; none of them about the mappings
    assert not [w for w in warnings if "concept" in w or "codebook" in w or "Match" in w]


def test_no_free_string_codebook_annotations_remain(ontology: Graph) -> None:
    for name in ("acledSubEventType", "cameoCode", "crosswalkNote"):
        assert (KG[name], None, None) not in ontology, name
        assert (None, KG[name], None) not in ontology, name


def test_every_event_class_maps_to_one_concept_of_each_scheme(ontology: Graph) -> None:
    events = set(ontology.transitive_subjects(RDFS.subClassOf, KG.Event)) - {KG.Event}
    assert len(events) >= 30
    for cls in events:
        concepts = [o for p in MATCHES for o in ontology.objects(cls, p)]
        schemes = sorted(str(ontology.value(c, SKOS.inScheme)) for c in concepts)
        assert schemes == [ACLED, CAMEO], cls


def test_every_mapped_concept_is_in_its_scheme_with_notation_and_label(ontology: Graph) -> None:
    mapped = {o for p in MATCHES for o in ontology.objects(None, p)}
    assert mapped
    for concept in mapped:
        assert (concept, RDF.type, SKOS.Concept) in ontology, concept
        scheme = ontology.value(concept, SKOS.inScheme)
        assert scheme in (URIRef(ACLED), URIRef(CAMEO)), concept
        assert str(concept).startswith(str(scheme) + "/"), concept
        assert (scheme, RDF.type, SKOS.ConceptScheme) in ontology
        assert ontology.value(concept, SKOS.notation) is not None, concept
        assert ontology.value(concept, SKOS.prefLabel).language == "en", concept
    cameo_190 = URIRef(CAMEO + "/190")
    assert ontology.value(cameo_190, SKOS.notation) == Literal("190")


def test_each_scheme_cites_a_background_record_that_exists() -> None:
    graph = load_ontology(ROOT / "ontology")
    text = (ROOT / "data" / "background.yaml").read_text(encoding="utf-8")
    for scheme in (ACLED, CAMEO):
        source = graph.value(URIRef(scheme), DCTERMS.source)
        assert source is not None, scheme
        record = str(source).removeprefix("https://w3id.org/kgbuild/id/")
        assert f"- id: {record}\n" in text, record


def test_properties_used_on_a_few_classes_name_them_instead_of_owl_thing(ontology: Graph) -> None:
    """A hard rdfs:domain owl:Thing says nothing: hasName and the figures name their classes
    with schema:domainIncludes, which the ontology lint rule S91 accepts as the domain."""
    includes = URIRef("https://schema.org/domainIncludes")
    expected = {
        KG.hasName: {KG.Place, KG.Person, KG.MilitaryUnit},
        KG.hasQuantity: {KG.Place, KG.Event, KG.Actor, KG.ControlPeriod, KG.Claim},
        KG.reportedFigure: {KG.Place, KG.Event, KG.Actor, KG.ControlPeriod, KG.Claim},
    }
    for prop, classes in expected.items():
        assert list(ontology.objects(prop, RDFS.domain)) == [], prop
        assert set(ontology.objects(prop, includes)) == classes, prop
