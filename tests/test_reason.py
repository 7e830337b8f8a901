"""OWL 2 RL reasoning (kgbuild reason, and build): the inferences on the real data, the cleaned
inferred.ttl and kg-closure.ttl, and inconsistencies (the checks against owlrl are in
tests/test_reasoner.py, which computes owlrl's closure of the real data once).

The real closure is computed once per session (``real_build`` in conftest.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph
import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic

from kgbuild.build import CLOSURE_FILE, INFERRED_FILE, KG_FILE
from kgbuild.cli import cli
from kgbuild.errors import DataErrors
from kgbuild.namespaces import ID_BASE, KG, OWL, RDF, RDFS, XSD
from kgbuild.reason import Inconsistency, check_consistent, reason
from kgbuild.serialize import serialize_turtle

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "reason"
ID = Namespace(ID_BASE)
SEM = Namespace("http://semanticweb.cs.vu.nl/2009/11/sem/")
PROV = Namespace("http://www.w3.org/ns/prov#")


def graph_of(triples) -> Graph:
    graph = Graph()
    for triple in triples:
        graph.add(triple)
    return graph


@pytest.fixture(scope="module")
def full(real_build) -> Graph:
    return graph_of([*real_build.triples, *real_build.reasoning.inferred])


def objects(graph: Graph, s: URIRef, p: URIRef) -> set[URIRef]:
    return set(graph.objects(s, p))


def select(graph: Graph, query: str) -> set[tuple[str, ...]]:
    rows = graph.query(query, initNs={"kg": KG, "sem": SEM, "prov": PROV, "id": ID, "rdf": RDF})
    return {tuple(str(v) for v in row) for row in rows}


# -- the inferences, on the real data


def test_part_of_is_transitive(real_build, full):
    inferred = real_build.reasoning.inferred
    assert (ID["place/berdzor-lachin"], KG.partOf, ID["country/azerbaijan"]) in inferred
    assert (ID["place/berdzor-lachin"], KG.partOf, ID["country/azerbaijan"]) not in (
        real_build.graph
    )
    assert objects(full, ID["place/lachin-district"], KG.partOf) == {ID["country/azerbaijan"]}


def test_inverses(real_build, full):
    inferred = real_build.reasoning.inferred
    for s, o in real_build.graph.subject_objects(KG.controlledBy):
        assert (o, KG.controls, s) in full
    assert any(True for _ in real_build.graph.subject_objects(KG.controlledBy))
    assert (ID["place/lachin-district"], KG.hasPart, ID["place/berdzor-lachin"]) in inferred
    assert (ID["country/azerbaijan"], KG.hasPart, ID["place/berdzor-lachin"]) in inferred


def test_signatories_come_from_signatures_and_are_not_parties(real_build, full):
    graph = real_build.graph
    chain = {
        (a, person)
        for a, sig in graph.subject_objects(KG.hasSignature)
        for person in graph.objects(sig, KG.signer)
    }
    assert chain, "the data have signatures"
    assert set(full.subject_objects(KG.hasSignatory)) == chain
    assert not set(graph.subject_objects(KG.hasSignatory)), "all signatories are inferred"
    # A signatory signs for a party; the person is not a party.
    for a, person in chain:
        assert (a, KG.agreementParty, person) not in full
    parties = set(full.objects(ID["agreement/trilateral-statement-2020-11-10"], KG.agreementParty))
    assert parties == {ID["country/azerbaijan"], ID["country/armenia"], ID["country/russia"]}


def test_domains_and_ranges_type_nodes(real_build):
    inferred = real_build.reasoning.inferred
    # kg:occurredIn has domain kg:Event and range kg:Place.
    assert (ID["event/flag-removal-lachin"], RDF.type, KG.Event) in inferred
    assert (ID["place/berdzor-lachin"], RDF.type, KG.Place) in inferred
    asserted = real_build.graph
    for s, o in asserted.subject_objects(KG.occurredIn):
        assert (s, RDF.type, KG.Event) in asserted or (s, RDF.type, KG.Event) in inferred
        assert (o, RDF.type, KG.Place) in asserted or (o, RDF.type, KG.Place) in inferred


def test_events_are_in_every_enclosing_territory(real_build, full):
    # Asserted: the flag came down from the municipality building (kg:removedFrom, a
    # sub-property of kg:occurredIn, in the first report), in the town (blognews.am).
    flag = ID["event/flag-removal-lachin"]
    assert objects(real_build.graph, flag, KG.occurredIn) == {ID["place/berdzor-lachin"]}
    assert objects(real_build.graph, flag, KG.removedFrom) == {
        ID["place/lachin-municipality-building"]
    }
    # Inferred: every place enclosing them, the corridor included (the town lies in it).
    assert objects(full, flag, KG.occurredIn) == {
        ID["place/lachin-municipality-building"],
        ID["place/berdzor-lachin"],
        ID["place/lachin-district"],
        ID["place/lachin-corridor-settlements"],
        ID["place/lachin-corridor"],
        ID["country/azerbaijan"],
    }


def test_sem_and_prov_queries_see_the_events(real_build, full):
    asserted = real_build.graph
    events = {s for s in full.subjects(RDF.type, KG.Event)}
    assert len(events) == 67  # docs/command-line.md: Events 67
    sem_events = {URIRef(r[0]) for r in select(full, "SELECT ?e { ?e a sem:Event }")}
    prov_activities = {URIRef(r[0]) for r in select(full, "SELECT ?e { ?e a prov:Activity }")}
    assert sem_events == events
    assert events <= prov_activities
    assert not select(asserted, "SELECT ?e { ?e a sem:Event }")
    places = select(full, f"SELECT ?p {{ <{ID_BASE}event/flag-removal-lachin> sem:hasPlace ?p }}")
    assert {
        f"{ID_BASE}place/berdzor-lachin",
        f"{ID_BASE}place/lachin-district",
        f"{ID_BASE}country/azerbaijan",
    } <= {r[0] for r in places}
    # Attestations name the authorities; SEM users see them as sem:accordingTo.
    according = select(full, "SELECT ?x ?a { ?x sem:accordingTo ?a }")
    assert according == {(str(s), str(o)) for s, o in asserted.subject_objects(KG.accordingTo)}
    assert len(according) > 50


# -- the files


def test_inferred_is_clean(real_build):
    vocab = (str(RDF), str(RDFS), str(OWL), str(XSD))
    for s, p, o in real_build.reasoning.inferred:
        assert not isinstance(s, Literal)
        assert not (p == OWL.sameAs and s == o)
        assert not (isinstance(s, URIRef) and str(s).startswith(vocab))
        assert not (p == RDF.type and str(o).startswith(str(XSD)))
        assert "daml.org" not in str(s) + str(p) + str(o)  # owlrl's error records
    assert not set(real_build.triples) & set(real_build.reasoning.inferred)


_INTEGERS = {XSD.positiveInteger, XSD.nonNegativeInteger, XSD.integer}


def integers(graph: Graph) -> Graph:
    def norm(node):
        if isinstance(node, Literal) and node.datatype in _INTEGERS:
            return Literal(str(int(node)), datatype=XSD.integer)
        return node

    result = Graph()
    for s, p, o in graph:
        result.add((s, p, norm(o)))
    return result


def test_files_load_in_rdflib_and_oxigraph(real_build):
    out = real_build.output.parent
    assert [p.name for p in real_build.outputs][:3] == [KG_FILE, INFERRED_FILE, CLOSURE_FILE]
    expected = {
        INFERRED_FILE: graph_of(real_build.reasoning.inferred),
        CLOSURE_FILE: graph_of([*real_build.triples, *real_build.reasoning.inferred]),
    }
    for name, graph in expected.items():
        data = (out / name).read_bytes()
        parsed = Graph().parse(data=data, format="turtle")
        assert isomorphic(parsed, graph), name
        store = pyoxigraph.Store()
        store.load(data, format=pyoxigraph.RdfFormat.TURTLE)
        assert len(store) == len(graph), name
        back = Graph().parse(
            data=store.dump(
                format=pyoxigraph.RdfFormat.N_TRIPLES, from_graph=pyoxigraph.DefaultGraph()
            ),
            format="nt",
        )
        # Oxigraph's store keeps xsd:positiveInteger and the like as xsd:integer
        # (docs/stored-queries.md).
        assert isomorphic(integers(back), integers(graph)), name
        assert serialize_turtle(parsed, header="") == serialize_turtle(graph, header=""), (
            f"{name} is written deterministically"
        )


def test_reason_cli_on_the_real_repo(real_build, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["reason", "--out", str(out)], prog_name="kgbuild")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines[:5]] == [
        "Asserted",
        "Inferred",
        "Inferred,",
        "Reasoner",
        "Seconds",
    ]
    assert lines[3].endswith("kgbuild rules")
    assert lines[0].split()[-1] == f"{len(real_build.graph):,}"
    assert lines[2].split()[-1] == f"{len(real_build.reasoning.inferred):,}"
    assert sorted(p.name for p in out.iterdir()) == [INFERRED_FILE, CLOSURE_FILE]
    built = real_build.output.parent
    for name in (INFERRED_FILE, CLOSURE_FILE):
        assert (out / name).read_bytes() == (built / name).read_bytes()


# -- inconsistencies


@pytest.fixture(scope="module")
def broken(tmp_path_factory) -> Path:
    """A copy of the real data with the three inconsistent fixtures added."""
    root = tmp_path_factory.mktemp("broken")
    shutil.copytree(ROOT / "data", root / "data")
    for fixture in sorted(FIXTURES.glob("*.yaml")):
        shutil.copy(fixture, root / "data" / f"zz-{fixture.name}")
    return root


EXPECTED_ERRORS = [
    "data/zz-functional-literal.yaml:4: inconsistent: <fixture/day> has 2 values of the "
    'functional property kg:earliest: "2020-11-30"^^xsd:date, "2020-12-01"^^xsd:date; '
    "it can have only one; check the property and its sub-properties",
    "data/zz-disjoint-asserted.yaml:4: inconsistent: <fixture/event-and-place> is in disjoint "
    "classes kg:Event and kg:Place; a node can be in only one of them; check its type and the "
    "properties whose rdfs:domain or rdfs:range type it",
    "data/zz-disjoint-inferred.yaml:4: inconsistent: <fixture/place-with-a-place> is in "
    "disjoint classes kg:Event and kg:Place; a node can be in only one of them; check its type "
    "and the properties whose rdfs:domain or rdfs:range type it",
    "the graph is inconsistent: 3 problems",
]


@pytest.mark.parametrize("command", ["reason", "build"])
def test_inconsistency_is_reported_with_file_and_line(broken, command, monkeypatch):
    monkeypatch.chdir(broken)
    result = CliRunner().invoke(
        cli, [command, "--ontology", str(ROOT / "ontology")], prog_name="kgbuild"
    )
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [f"kgbuild: error: {e}" for e in EXPECTED_ERRORS]
    assert result.stdout == ""
    assert not (broken / "dist").exists(), "nothing is written"


def test_each_fixture_alone_is_inconsistent(broken, real_build):
    """Each fixture, added alone to the ontology, gives exactly its own problem, and the rule
    engine reports it as owlrl does."""
    from kgbuild.load import load_data

    data = load_data(broken / "data", real_build.ontology)
    for node in ("fixture/day", "fixture/event-and-place", "fixture/place-with-a-place"):
        triples = [*real_build.ontology, *(t for t in data.triples if t[0] == ID[node])]
        reasoning = reason(triples)
        assert reasoning.engine == "rules"
        assert [p.nodes for p in reasoning.problems] == [(ID[node],)], node
        assert reasoning.problems == reason(triples, engine="owlrl").problems
        with pytest.raises(Inconsistency):
            check_consistent(reasoning)


EX = Namespace("https://w3id.org/kgbuild/id/ex/")


def test_owl_nothing_and_owlrl_messages():
    graph = Graph()
    graph.add((EX.a, RDF.type, OWL.Nothing))
    graph.add((EX.b, OWL.sameAs, EX.c))
    graph.add((EX.b, OWL.differentFrom, EX.c))
    reasoning = reason(graph)
    messages = [p.message for p in reasoning.problems]
    assert "<ex/a> is a member of owl:Nothing" in messages
    assert any(
        m.startswith("owlrl: 'sameAs' and 'differentFrom' cannot be used") and "<ex/b>" in m
        for m in messages
    ), messages
    with pytest.raises(DataErrors) as info:
        check_consistent(reasoning, lambda n: (Path("data/x.yaml"), 7) if n == EX.a else None)
    assert info.value.lines()[0] == (
        "data/x.yaml:7: inconsistent: <ex/a> is a member of owl:Nothing; "
        "no node can be; check the class axioms it falls under"
    )


def test_functional_literals_same_value_is_no_conflict():
    graph = Graph()
    p = URIRef("https://w3id.org/kgbuild/ontology#order")
    graph.add((p, RDF.type, OWL.FunctionalProperty))
    graph.add((EX.a, p, Literal("3", datatype=XSD.integer)))
    graph.add((EX.a, p, Literal("03", datatype=XSD.integer)))
    assert reason(graph).problems == []
    graph.add((EX.a, p, Literal("4", datatype=XSD.integer)))
    assert [pr.nodes for pr in reason(graph).problems] == [(EX.a,)]
