"""The report's key facts, checked with SPARQL on the built dist/kg.ttl, plus provenance rules."""

import hashlib
import json
import re
from datetime import date
from pathlib import Path

import pytest
import rdflib
from rdflib import OWL, RDF, BNode, Literal, URIRef

from kgbuild.namespaces import DCTERMS, GEO, ID_BASE, KG, VANN

REPO = Path(__file__).resolve().parents[1]
SEED = REPO.parent / "shared" / "seeds" / "000_f54e1857ce89ca29.txt"

PREFIXES = f"""
PREFIX kg: <{KG}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
"""


@pytest.fixture(scope="module")
def kg(built_repo) -> rdflib.Graph:
    return rdflib.Graph().parse(built_repo / "kg.ttl", format="turtle")


def select(graph: rdflib.Graph, query: str) -> list[tuple]:
    # Data IRIs hold a slash, which a SPARQL prefixed name cannot; expand `id:kind/slug` here.
    query = re.sub(r"\bid:([\w/-]+)", lambda m: f"<{ID_BASE}{m.group(1)}>", query)
    return [tuple(row) for row in graph.query(PREFIXES + query)]


def data_subjects(graph: rdflib.Graph) -> set[URIRef]:
    return {s for s in graph.subjects() if isinstance(s, URIRef) and str(s).startswith(ID_BASE)}


def test_three_handovers_with_dates_order_and_sides(kg):
    rows = select(
        kg,
        """
        SELECT ?territory ?date ?order ?giver ?receiver WHERE {
          ?h a kg:TerritoryHandover ; kg:territory ?t ; kg:hasTime/kg:date ?date ;
             kg:handoverOrder ?order ; kg:handedOverBy ?g ; kg:handedOverTo ?r ;
             kg:underAgreement id:agreement/trilateral-statement-2020-11-10 .
          ?t rdfs:label ?territory . ?g rdfs:label ?giver . ?r rdfs:label ?receiver .
        } ORDER BY ?order
        """,
    )
    assert [(str(t), d.toPython(), int(o), str(g), str(r)) for t, d, o, g, r in rows] == [
        ("Aghdam District", date(2020, 11, 20), 1, "Armenia", "Azerbaijan"),
        ("Kalbajar District", date(2020, 11, 25), 2, "Armenia", "Azerbaijan"),
        ("Lachin District", date(2020, 12, 1), 3, "Armenia", "Azerbaijan"),
    ]


def test_agreement_signatories_in_office_and_parties(kg):
    rows = select(
        kg,
        """
        SELECT ?person ?office ?date WHERE {
          id:agreement/trilateral-statement-2020-11-10 kg:hasSignature ?s ;
              kg:signedOn/kg:date ?date .
          ?s kg:signer/rdfs:label ?person ; kg:inOffice/rdfs:label ?office .
        } ORDER BY ?person
        """,
    )
    assert [(str(p), str(o), d.toPython()) for p, o, d in rows] == [
        ("Ilham Aliyev", "President of Azerbaijan", date(2020, 11, 10)),
        ("Nikol Pashinyan", "Prime Minister of Armenia", date(2020, 11, 10)),
        ("Vladimir Putin", "President of Russia", date(2020, 11, 10)),
    ]
    parties = select(
        kg,
        """SELECT ?name WHERE {
             id:agreement/trilateral-statement-2020-11-10 kg:hasParty/rdfs:label ?name }""",
    )
    assert sorted(str(p) for (p,) in parties) == ["Armenia", "Azerbaijan", "Russia"]


def test_corridor_width_is_five_kilometres_per_the_agreement(kg):
    rows = select(
        kg,
        """
        SELECT ?value ?unit ?authority ?n WHERE {
          id:place/lachin-corridor kg:width ?q .
          ?q kg:numericValue ?value ; kg:unit ?unit ; kg:accordingTo ?authority ;
             kg:statedIn/kg:paragraphNumber ?n .
        }
        """,
    )
    assert len(rows) == 1
    value, unit, authority, paragraph = rows[0]
    assert value.toPython() == 5
    assert unit == URIRef("http://qudt.org/vocab/unit/KiloM")
    assert authority == URIRef(ID_BASE + "agreement/trilateral-statement-2020-11-10")
    assert int(paragraph) == 12


def test_refugee_count_is_attributed_to_the_russian_ministry_of_defence(kg):
    rows = select(
        kg,
        """
        SELECT ?count ?qualifier ?asof ?authority ?n WHERE {
          ?event a kg:PopulationReturn ; kg:reportedCount ?q .
          ?q kg:countValue ?count ; kg:valueQualifier ?qualifier ; kg:asOf/kg:date ?asof ;
             kg:accordingTo/rdfs:label ?authority ; kg:statedIn/kg:paragraphNumber ?n .
        }
        """,
    )
    assert len(rows) == 1
    count, qualifier, as_of, authority, paragraph = rows[0]
    assert count == Literal(25000)
    assert qualifier == KG.MoreThan
    assert as_of.toPython() == date(2020, 11, 30)
    assert str(authority) == "Ministry of Defence of Russia"
    assert int(paragraph) == 14


CONTROL_AT = (REPO / "queries" / "control-at.rq").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("territory", "day", "expected"),
    [
        ("place/kalbajar-district", "2020-11-24", ["Armenian armed forces"]),
        ("place/kalbajar-district", "2020-11-25", ["Azerbaijan"]),
        ("place/kalbajar-district", "1993-03-31", []),
        ("place/aghdam-district", "2020-11-19", ["Armenian armed forces"]),
        ("place/aghdam-district", "2020-11-20", ["Azerbaijan"]),
        ("place/lachin-district", "2020-11-30", ["Armenian armed forces"]),
        ("place/lachin-district", "2020-12-01", ["Azerbaijan"]),
        ("place/lachin-corridor", "2020-12-01", ["Russian peacekeeping forces"]),
    ],
)
def test_who_controlled_a_district_on_a_day(kg, territory, day, expected):
    rows = kg.query(
        CONTROL_AT,
        initBindings={
            "territory": URIRef(ID_BASE + territory),
            "date": Literal(day, datatype=rdflib.XSD.date),
        },
    )
    assert [str(r.controllerLabel) for r in rows] == expected


def test_vague_times_keep_bounds_and_precision(kg):
    rows = select(
        kg,
        """
        SELECT ?earliest ?latest ?precision WHERE {
          id:event/withdrawal-from-lachin kg:hasTime ?t .
          ?t a kg:VagueTime ; kg:earliest ?earliest ; kg:latest ?latest ; kg:precision ?precision .
        }
        """,
    )
    assert [(e.toPython(), la.toPython(), p) for e, la, p in rows] == [
        (date(2020, 11, 25), date(2020, 11, 29), KG.PrecisionDayRange)
    ]
    for earliest, latest in select(kg, "SELECT ?e ?l { ?t kg:earliest ?e ; kg:latest ?l }"):
        assert earliest.toPython() <= latest.toPython()


def test_attributed_statements_name_their_authority(kg):
    rows = select(
        kg,
        """
        SELECT ?node ?authority WHERE {
          ?node kg:accordingTo/rdfs:label ?authority .
          FILTER(?node IN (id:event/flag-removal-lachin, id:event/supply-route-change,
                           id:quantity/full-demining-duration))
        }
        """,
    )
    assert sorted((str(n).removeprefix(ID_BASE), str(a)) for n, a in rows) == [
        ("event/flag-removal-lachin", "Unnamed Azerbaijani sources"),
        ("event/supply-route-change", "Ministry of Defence of Azerbaijan"),
        ("quantity/full-demining-duration", "Azerbaijan National Agency for Mine Action (ANAMA)"),
    ]


def test_demining_duration_is_a_range_in_years(kg):
    rows = select(
        kg,
        """SELECT ?min ?max ?unit { id:quantity/full-demining-duration
             kg:minValue ?min ; kg:maxValue ?max ; kg:unit ?unit }""",
    )
    assert [(a.toPython(), b.toPython(), u) for a, b, u in rows] == [
        (10, 13, URIRef("http://qudt.org/vocab/unit/YR"))
    ]


def test_supply_route_legs_in_order(kg):
    rows = select(
        kg,
        """
        SELECT ?order ?from ?to ?mode ?escort WHERE {
          ?leg kg:legOf id:route/peacekeeper-supply-north ; kg:legOrder ?order ;
               kg:fromPlace/rdfs:label ?from ; kg:toPlace/rdfs:label ?to .
          OPTIONAL { ?leg kg:transportMode ?mode }
          OPTIONAL { ?leg kg:escortedBy/rdfs:label ?escort }
        } ORDER BY ?order
        """,
    )
    assert [int(r[0]) for r in rows] == [1, 2, 3]
    assert str(rows[0][1]) == "Dagestan"
    assert rows[1][3] == KG.ModeRail and str(rows[1][2]) == "Barda railway station"
    assert str(rows[2][2]) == "Khankendi / Stepanakert"
    assert str(rows[2][4]) == "Military police of the Azerbaijani Ministry of Defence"


def test_contested_places_keep_every_name_with_language(kg):
    rows = select(
        kg,
        """SELECT ?name { id:place/khankendi-stepanakert kg:hasName/kg:nameString ?name }""",
    )
    names = {(str(n), n.language) for (n,) in rows}
    assert {
        ("Khankendi", "en"),
        ("Stepanakert", "en"),
        ("Xankəndi", "az"),
        ("Ստեփանակերտ", "hy"),
    } <= names
    berdzor = select(kg, "SELECT ?n { id:place/berdzor-lachin kg:hasName/kg:nameString ?n }")
    assert {"Lachin", "Berdzor", "Laçın", "Բերձոր"} <= {str(n) for (n,) in berdzor}


def test_background_names_and_points_carry_their_own_source(kg):
    rows = select(
        kg,
        """
        SELECT ?x ?src WHERE {
          { ?x a kg:PlaceName ; kg:nameString ?n FILTER(lang(?n) != "en") }
          UNION { ?x a <http://www.opengis.net/ont/sf#Point> }
          OPTIONAL { ?x kg:backgroundSource ?src }
        }
        """,
    )
    assert rows, "expected names in other languages and points"
    assert all(src is not None for _, src in rows)
    wkt = select(kg, f"SELECT ?w {{ id:geometry/khankendi-stepanakert <{GEO.asWKT}> ?w }}")
    assert str(wkt[0][0]) == "POINT(46.7519 39.8153)"


def test_every_data_node_has_a_source(kg):
    source_free = {KG.SourceDocument, KG.BackgroundSource}
    missing = []
    for node in data_subjects(kg):
        types = set(kg.objects(node, RDF.type))
        if types & source_free:
            continue
        has_source = any(
            (node, p, None) in kg for p in (KG.statedIn, KG.backgroundSource, KG.inDocument)
        )
        if not has_source:
            missing.append(node)
    assert missing == []


def test_no_blank_nodes_in_the_data(kg):
    for s, _, o in kg:
        if isinstance(s, BNode) or isinstance(o, BNode):
            # Only OWL axioms (lists, disjointness) may use blank nodes.
            assert not str(s).startswith(ID_BASE)


def test_cited_paragraphs_exist(kg):
    numbers = [int(n) for (n,) in select(kg, "SELECT ?n { ?x kg:statedIn/kg:paragraphNumber ?n }")]
    assert numbers and min(numbers) >= 1 and max(numbers) <= 35
    passages = select(kg, "SELECT ?p { ?p a kg:Passage }")
    assert len(passages) == 35


@pytest.mark.skipif(not SEED.exists(), reason="the seed report is not beside the repository")
def test_passage_digests_match_the_report():
    lines = [line.strip() for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]
    text = (REPO / "data" / "sources.yaml").read_text(encoding="utf-8")
    digests = re.findall(r"textSha256: ([0-9a-f]{64})", text)
    assert digests == [hashlib.sha256(line.encode("utf-8")).hexdigest() for line in lines]


@pytest.mark.skipif(not SEED.exists(), reason="the seed report is not beside the repository")
def test_project_never_copies_eight_words_of_the_report():
    def words(text: str) -> list[str]:
        return re.findall(r"[a-z0-9]+", text.lower())

    seed_words = words(SEED.read_text(encoding="utf-8"))
    grams = {" ".join(seed_words[i : i + 8]) for i in range(len(seed_words) - 7)}
    copied = []
    # The project's own files; a local .venv or dist/ is not the project.
    paths = [REPO / "README.md"]
    for folder in ("ontology", "data", "src", "queries", "tests"):
        paths += sorted(p for p in (REPO / folder).rglob("*") if p.is_file())
    for path in paths:
        if path.suffix not in {".yaml", ".ttl", ".py", ".md", ".rq", ".jsonld"}:
            continue
        w = words(path.read_text(encoding="utf-8", errors="replace"))
        if any(" ".join(w[i : i + 8]) in grams for i in range(len(w) - 7)):
            copied.append(path.relative_to(REPO).as_posix())
    assert copied == []


def test_ontology_terms_have_label_and_definition(kg):
    rows = select(
        kg,
        """
        SELECT ?term WHERE {
          VALUES ?kind { owl:Class owl:ObjectProperty owl:DatatypeProperty owl:AnnotationProperty }
          ?term a ?kind .
          FILTER(STRSTARTS(STR(?term), STR(kg:)))
          FILTER NOT EXISTS { ?term rdfs:label ?l . ?term skos:definition ?d }
        }
        """,
    )
    assert rows == []


def test_every_event_class_has_acled_and_cameo_crosswalk(kg):
    rows = select(
        kg,
        """
        SELECT ?cls ?acled ?cameo WHERE {
          ?cls rdfs:subClassOf+ kg:Event .
          OPTIONAL { ?cls kg:acledSubEventType ?acled }
          OPTIONAL { ?cls kg:cameoCode ?cameo }
        }
        """,
    )
    assert len(rows) >= 18
    assert [c for c, a, m in rows if a is None or m is None] == []
    assert all(re.match(r"^\d{2,4}: ", str(m)) for _, _, m in rows)


def test_ontology_header(kg):
    onto = URIRef("https://w3id.org/kgbuild/ontology")
    for p in (DCTERMS.title, DCTERMS.description, DCTERMS.license, OWL.versionIRI, OWL.versionInfo):
        assert kg.value(onto, p) is not None, p
    assert str(kg.value(onto, VANN.preferredNamespacePrefix)) == "kg"
    assert str(kg.value(onto, VANN.preferredNamespaceUri)) == str(KG)


def test_namespace_is_the_same_in_code_and_context():
    context = json.loads((REPO / "data" / "context.jsonld").read_text(encoding="utf-8"))["@context"]
    assert context["kg"] == str(KG)
    assert context["@base"] == ID_BASE


def test_every_context_term_is_declared_in_the_ontology(kg):
    context = json.loads((REPO / "data" / "context.jsonld").read_text(encoding="utf-8"))["@context"]
    undeclared = []
    for term, definition in context.items():
        iri = definition["@id"] if isinstance(definition, dict) else definition
        if not isinstance(iri, str) or not iri.startswith("kg:"):
            continue
        if (URIRef(str(KG) + iri[3:]), RDF.type, None) not in kg:
            undeclared.append(term)
    assert undeclared == []
