"""The report's key facts, checked with SPARQL on the built dist/kg.ttl, plus provenance rules."""

import json
import re
from datetime import date
from pathlib import Path

import pytest
import rdflib
from rdflib import OWL, RDF, XSD, BNode, Literal, URIRef

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
def kg(kg_graph) -> rdflib.Graph:
    return kg_graph


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


def sources(graph: rdflib.Graph, s: str, p: URIRef, o) -> set[tuple]:
    """(report, paragraph, authority) of each passage the triple rests on, and (background
    record,) of each background record: the attestations of its reified statement where it has
    one, else those of its subject (the rule docs/modelling.md, "Statement-level provenance",
    describes)."""
    subject = URIRef(ID_BASE + s)
    obj = o if isinstance(o, (Literal, URIRef)) else URIRef(ID_BASE + o)
    reified = [
        st
        for st in graph.subjects(RDF.subject, subject)
        if (st, RDF.predicate, p) in graph and (st, RDF.object, obj) in graph
    ]
    assert (subject, p, obj) in graph, (s, p, o)
    holder = reified[0] if reified else subject
    found = set()
    for attestation in graph.objects(holder, KG.attestedBy):
        passage = graph.value(attestation, KG.statedIn)
        if passage is None:
            record = graph.value(attestation, KG.backgroundSource)
            found.add((str(record).removeprefix(ID_BASE),))
            continue
        report = str(graph.value(passage, KG.inDocument)).removeprefix(ID_BASE)
        paragraph = int(graph.value(passage, KG.paragraphNumber))
        authority = graph.value(attestation, KG.accordingTo)
        found.add((report, paragraph, str(authority).removeprefix(ID_BASE) if authority else None))
    return found


SEED_REPORT = "source/000-lachin-report"
AGREEMENT = "agreement/trilateral-statement-2020-11-10"


def test_agreement_signatories_in_office_and_parties(kg):
    rows = select(
        kg,
        """
        SELECT ?person ?office WHERE {
          id:agreement/trilateral-statement-2020-11-10 kg:hasSignature ?s .
          ?s kg:signer/rdfs:label ?person ; kg:inOffice/rdfs:label ?office .
        } ORDER BY ?person
        """,
    )
    assert [(str(p), str(o)) for p, o in rows] == [
        ("Ilham Aliyev", "President of Azerbaijan"),
        ("Nikol Pashinyan", "Prime Minister of Armenia"),
        ("Vladimir Putin", "President of Russia"),
    ]
    parties = select(
        kg,
        """SELECT ?name WHERE {
             id:agreement/trilateral-statement-2020-11-10 kg:agreementParty/rdfs:label ?name }""",
    )
    assert sorted(str(p) for (p,) in parties) == ["Armenia", "Azerbaijan", "Russia"]


def test_the_signing_day_stays_disputed_with_both_sides_sourced(kg):
    days = select(
        kg, "SELECT ?d { id:agreement/trilateral-statement-2020-11-10 kg:signedOn/kg:date ?d }"
    )
    assert sorted(d.toPython() for (d,) in days) == [date(2020, 11, 9), date(2020, 11, 10)]
    ninth = {r[0] for r in sources(kg, AGREEMENT, KG.signedOn, "time/2020-11-09") if len(r) == 3}
    tenth = {r[0] for r in sources(kg, AGREEMENT, KG.signedOn, "time/2020-11-10") if len(r) == 3}
    assert {"source/001-tass", "source/004-tass-southchinaherald", "source/007-jamnews"} <= ninth
    assert {SEED_REPORT, "source/002-jamnews", "source/005-azernews"} <= tenth
    assert not ninth & tenth
    sides = select(
        kg,
        """SELECT ?day { id:disagreement/statement-signing-day kg:hasSide ?side .
             ?side rdf:predicate kg:signedOn ; rdf:object/kg:date ?day }""",
    )
    assert sorted(d.toPython() for (d,) in sides) == [date(2020, 11, 9), date(2020, 11, 10)]


def test_corridor_width_is_five_kilometres_per_the_agreement(kg):
    rows = select(
        kg,
        """SELECT ?q ?value ?unit WHERE {
             id:place/lachin-corridor kg:width ?q . ?q kg:numericValue ?value ; kg:unit ?unit }""",
    )
    assert len(rows) == 1
    quantity, value, unit = rows[0]
    assert value.toPython() == 5
    assert unit == URIRef("http://qudt.org/vocab/unit/KiloM")
    assert (quantity, KG.valueQualifier, None) not in kg  # a bare figure: no "exactly"
    q = str(quantity).removeprefix(ID_BASE)
    assert (SEED_REPORT, 12, AGREEMENT) in sources(kg, q, KG.numericValue, value)


def test_refugee_count_is_attributed_to_the_russian_ministry_of_defence(kg):
    q = "quantity/returned-refugees-2020-11-30"
    assert kg.value(URIRef(ID_BASE + q), KG.countValue) == Literal(25000)
    assert (URIRef(ID_BASE + q), KG.valueQualifier, KG.MoreThan) in kg
    mod = "actor/ministry-of-defence-russia"
    assert sources(kg, q, KG.countValue, Literal(25000)) == {(SEED_REPORT, 14, mod)}
    # The same ministry's count, reported again and again, is a series ordered by as-of day.
    rows = select(
        kg,
        """SELECT ?day ?n { id:series/people-returned-since-2020-11-14 kg:seriesMember ?m .
             ?m kg:asOf/kg:date ?day ; kg:countValue ?n } ORDER BY ?day""",
    )
    assert [(d.toPython().day, int(n)) for d, n in rows] == [
        (20, 4436),
        (25, 11000),
        (30, 25000),
        (1, 26000),
    ]


CONTROL_AT = (REPO / "queries" / "control-at.rq").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("territory", "day", "expected"),
    [
        # The first report also says, in another sentence, that Kalbajar came under the
        # Azerbaijani army during the war: both periods stay, in a disagreement.
        ("place/kalbajar-district", "2020-11-24", ["Armenian armed forces", "Azerbaijani army"]),
        ("place/kalbajar-district", "2020-11-25", ["Azerbaijan", "Azerbaijani army"]),
        ("place/kalbajar-district", "1993-03-31", []),
        ("place/aghdam-district", "2020-11-19", ["Armenian armed forces"]),
        ("place/aghdam-district", "2020-11-20", ["Azerbaijan"]),
        # The Armenian forces left a few days before the handover; no report says who held the
        # district in between.
        ("place/lachin-district", "2020-11-24", ["Armenian armed forces"]),
        ("place/lachin-district", "2020-11-30", []),
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


def test_each_statement_has_the_voice_of_its_own_paragraph(kg):
    """One node, several voices: what the report says itself is not credited to the ministry it
    quotes in another paragraph about the same node."""
    az_mod = "actor/ministry-of-defence-azerbaijan"
    change = "event/supply-route-change"
    assert sources(kg, change, KG.hasTime, "time/last-days-of-november-2020") == {
        (SEED_REPORT, 22, az_mod)
    }
    assert sources(kg, change, KG.previousRoute, "route/peacekeeper-supply-armenia") == {
        (SEED_REPORT, 25, None)
    }
    assert (SEED_REPORT, 24, None) in sources(
        kg, change, KG.newRoute, "route/peacekeeper-supply-north"
    )
    flag = sources(kg, "event/flag-removal-lachin", KG.removedObject, "flag/armenia")
    assert flag == {(SEED_REPORT, 18, "actor/azerbaijani-sources")}
    anama = sources(
        kg, "quantity/full-demining-duration", KG.maxValue, Literal("13", datatype=XSD.decimal)
    )
    assert anama == {(SEED_REPORT, 28, "actor/anama")}
    detail = select(
        kg,
        """SELECT ?d {
             id:quantity/full-demining-duration kg:attestedBy/kg:attributionDetail ?d }""",
    )
    assert [str(d) for (d,) in detail] == ["representatives of the agency"]


def test_a_triple_rests_on_background_knowledge_apart_from_the_report(kg):
    # Lachin District lies next to Nagorno-Karabakh (the report), in Azerbaijan (borders).
    district = "place/lachin-district"
    assert sources(kg, district, KG.adjacentTo, "place/nagorno-karabakh") >= {
        (SEED_REPORT, 1, None)
    }
    assert sources(kg, district, KG.partOf, "country/azerbaijan") == {
        ("background/administrative-divisions",)
    }
    # A name in another language: background toponymy; its English form: the report.
    assert sources(kg, "place/berdzor-lachin", KG.hasName, "name/berdzor-hy") == {
        ("background/toponymy",)
    }
    assert (SEED_REPORT, 15, None) in sources(
        kg, "place/berdzor-lachin", KG.hasName, "name/berdzor-en"
    )
    # The publication date of the first report, whose copy has no header.
    issued = kg.value(URIRef(ID_BASE + SEED_REPORT), DCTERMS.issued)
    assert sources(kg, SEED_REPORT, DCTERMS.issued, issued) == {("background/copy-000",)}


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
    points = select(kg, "SELECT ?x { ?x a <http://www.opengis.net/ont/sf#Point> }")
    assert len(points) > 30
    for (point,) in points:
        found = sources(
            kg,
            str(point).removeprefix(ID_BASE),
            RDF.type,
            URIRef("http://www.opengis.net/ont/sf#Point"),
        )
        assert found == {("background/gazetteer",)}, point
    wkt = select(kg, f"SELECT ?w {{ id:geometry/khankendi-stepanakert <{GEO.asWKT}> ?w }}")
    assert str(wkt[0][0]) == "POINT(46.7519 39.8153)"


def test_every_data_triple_rests_on_a_source(kg):
    """What the shapes check (S02), checked again the plain way: every triple of every data node
    but the sources themselves has attestations, its reified statement's or its subject's."""
    bookkeeping = {KG.attestedBy, KG.statedIn, KG.backgroundSource}
    exempt = {KG.Passage, KG.BackgroundSource, KG.Attestation, RDF.Statement}
    reified = {
        (kg.value(st, RDF.subject), kg.value(st, RDF.predicate), kg.value(st, RDF.object))
        for st in kg.subjects(RDF.type, RDF.Statement)
        if (st, KG.attestedBy, None) in kg
    }
    missing = []
    for node in data_subjects(kg):
        if set(kg.objects(node, RDF.type)) & exempt:
            continue
        has_default = (node, KG.attestedBy, None) in kg
        for p, o in kg.predicate_objects(node):
            if p not in bookkeeping and not has_default and (node, p, o) not in reified:
                missing.append((node, p, o))
    assert missing == []


def test_no_blank_nodes_in_the_data(kg):
    for s, _, o in kg:
        if isinstance(s, BNode) or isinstance(o, BNode):
            # Only OWL axioms (lists, disjointness) may use blank nodes.
            assert not str(s).startswith(ID_BASE)


def test_cited_passages_exist_and_belong_to_a_report(kg):
    passages = {p for (p,) in select(kg, "SELECT ?p { ?p a kg:Passage }")}
    assert len(passages) == 35 + 107  # the first report, and the twelve of the corpus
    cited = {p for (p,) in select(kg, "SELECT ?p { ?a a kg:Attestation ; kg:statedIn ?p }")}
    assert cited <= passages and len(cited) > 100
    numbers = select(
        kg, "SELECT ?p ?n ?d { ?p a kg:Passage ; kg:paragraphNumber ?n ; kg:inDocument ?d }"
    )
    assert len(numbers) == len(passages) and all(int(n) >= 1 for _, n, _ in numbers)


def test_first_report_fixes(kg, closure_graph):
    """What a new analyst found wrong in the first report's data, now in structure."""
    closure = closure_graph
    # Uniqueness claims name the route and its ends, and "only active" a status.
    rows = select(
        kg,
        """SELECT ?route ?status { id:claim/aghdam-shusha-only-active-road kg:uniqueRoute ?route ;
             kg:uniqueAmongStatus ?status }""",
    )
    assert rows == [(URIRef(ID_BASE + "route/aghdam-shusha-road"), KG.StatusOpen)]
    # The content of the residents' hope: who was expected to hold what.
    hope = URIRef(ID_BASE + "claim/corridor-residents-expectation")
    assert {str(o).removeprefix(ID_BASE) for o in kg.objects(hope, KG.expectedController)} == {
        "actor/armenian-authorities",
        "actor/russian-peacekeeping-forces",
    }
    # The scope of each demining estimate.
    settlements = kg.value(
        URIRef(ID_BASE + "quantity/settlement-demining-duration"), KG.figureScope
    )
    assert settlements == URIRef(ID_BASE + "place/returned-territories-settlements")
    # The town lies in the corridor (through the corridor settlements).
    town, corridor = (
        URIRef(ID_BASE + "place/berdzor-lachin"),
        URIRef(ID_BASE + "place/lachin-corridor"),
    )
    assert (town, KG.partOf, corridor) in closure
    # Lachin's Armenian control period ends when the forces left, not on the handover day.
    period = URIRef(ID_BASE + "period/lachin-armenian-forces")
    assert kg.value(period, KG.endedBy) == URIRef(ID_BASE + "event/withdrawal-from-lachin")
    # No state is made the owner of forces the report does not say are its own.
    forces = URIRef(ID_BASE + "actor/armenian-armed-forces")
    assert (forces, KG.subOrganisationOf, None) not in closure
    # Signatories are persons who signed for parties, not parties.
    assert not [
        p
        for p in closure.objects(URIRef(ID_BASE + AGREEMENT), KG.agreementParty)
        if (p, RDF.type, KG.Person) in closure
    ]
    # No precision the report does not give: no "exactly" on a bare figure.
    assert not list(kg.subjects(KG.valueQualifier, KG.Exactly))
    # A name on a node is its name: the highway the road belongs to is not.
    road = URIRef(ID_BASE + "route/sotk-kalbajar-road")
    names = {str(n) for n in kg.objects(road, KG.hasName / KG.nameString)}
    assert "Vardenis–Martakert road" not in names


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
          OPTIONAL { ?cls skos:closeMatch|skos:broadMatch|skos:relatedMatch ?a .
                     ?a skos:inScheme <https://w3id.org/kgbuild/concept/acled> ;
                        skos:notation ?acled }
          OPTIONAL { ?cls skos:closeMatch|skos:broadMatch|skos:relatedMatch ?c .
                     ?c skos:inScheme <https://w3id.org/kgbuild/concept/cameo> ;
                        skos:notation ?cameo }
        }
        """,
    )
    assert len(rows) >= 18
    assert [c for c, a, m in rows if a is None or m is None] == []
    assert all(re.match(r"^\d{3,4}$", str(m)) for _, _, m in rows)


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
