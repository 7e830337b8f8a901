"""The query machinery (kgbuild.query, kgbuild.reason): headers, the dataset and its inferred
facts, parameters, read-only checks, timeouts, both engines and the W3C result formats.

The real repository is built once per session (``built_repo``) and reasoned on once."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.query import Result

from kgbuild.errors import InputError, KgbuildError
from kgbuild.names import index_names, name_key
from kgbuild.namespaces import ID, KG, OWL, RDF, RDFS, XSD
from kgbuild.query import (
    Dataset,
    QueryFailed,
    QueryParam,
    QueryResult,
    StoredQuery,
    check_read_only,
    format_results,
    load_dataset,
    load_queries,
    parse_query_file,
    resolve_param,
    run_query,
)
from kgbuild.reason import infer

REPO = Path(__file__).resolve().parents[1]
ENGINES = ("rdflib", "oxigraph")
PREFIXES = """
PREFIX kg: <https://w3id.org/kgbuild/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX id: <https://w3id.org/kgbuild/id/>
"""
# Three times every triple: billions of rows on both engines.
CROSS_PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
INJECTIONS = [
    'Berdzor" } ; DROP ALL ; {',
    "} ; DROP ALL ; {",
    "<x> } ; DROP ALL ; { ?s ?p ?o",
    "'; DELETE WHERE { ?s ?p ?o } #",
    '" . ?s ?p ?o . FILTER("1"="1',
    "\\u0022 } INSERT DATA { <a:b> <a:c> <a:d> } #",
]


@pytest.fixture(scope="session")
def inferred(built_repo) -> Dataset:
    return load_dataset(built_repo, inferred=True)


@pytest.fixture(scope="session")
def asserted(built_repo) -> Dataset:
    return load_dataset(built_repo, inferred=False)


@pytest.fixture(scope="session")
def stored() -> dict[str, StoredQuery]:
    return load_queries(REPO / "queries")


def iri_param(name: str = "node") -> QueryParam:
    return QueryParam(name=name, type="iri", required=True)


# ------------------------------------------------------------------ headers

FULL_HEADER = """\
#+ summary: Who controlled a territory on a given date?
#+ description: >-
#+   Longer text,
#+   on two lines.
#+ params:
#+   - name: territory
#+     type: iri
#+     required: true
#+     example: Kalbajar District
#+     description: the territory, by name or IRI
#+   - name: day
#+     type: date
#+     required: false
#+     example: 2020-11-24
#+ inferred: true     # needs the closure
#+ ordered: true
#+ tags: [control, time]

# an ordinary comment
SELECT ?territory ?day WHERE { ?territory ?p ?day } ORDER BY ?day
"""


def test_header_is_parsed_into_a_stored_query():
    query = parse_query_file(FULL_HEADER, "control", Path("queries/control.rq"))
    assert query.name == "control"
    assert query.summary == "Who controlled a territory on a given date?"
    assert query.description == "Longer text, on two lines."
    assert query.params == [
        QueryParam("territory", "iri", True, "Kalbajar District", "the territory, by name or IRI"),
        QueryParam("day", "date", False, "2020-11-24", ""),
    ]
    assert query.inferred is True and query.ordered is True
    assert query.tags == ["control", "time"]
    assert query.text == FULL_HEADER  # the header lines are SPARQL comments; the text is kept


def test_a_query_without_header_has_defaults():
    query = parse_query_file("SELECT * WHERE { ?s ?p ?o }", "adhoc")
    assert (query.summary, query.params, query.inferred, query.ordered, query.tags) == (
        "",
        [],
        False,
        False,
        [],
    )


def test_param_defaults_are_iri_and_required():
    query = parse_query_file("#+ params:\n#+   - name: x\nSELECT ?x {}", "q")
    assert query.params == [QueryParam("x", "iri", True, None, "")]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("#+ summary: [unclosed\n", "not valid YAML"),
        ("#+ - a list\n", "YAML mapping"),
        ("#+ summery: typo\n", "unknown key 'summery'"),
        ("#+ params: {name: x}\n", "'params' must be a list"),
        ("#+ params:\n#+   - name: x\n#+     type: place\n", "type 'place'"),
        ("#+ params:\n#+   - name: x\n#+   - name: x\n", "declared twice"),
        ("#+ params:\n#+   - name: not-a-var\n", "not a SPARQL variable name"),
        ("#+ params:\n#+   - name: x\n#+     colour: red\n", "unknown key 'colour'"),
        ("#+ params:\n#+   - name: x\n#+     required: maybe\n", "'required'"),
        ("#+ inferred: sometimes\n", "'inferred' must be true or false"),
    ],
)
def test_a_malformed_header_is_an_input_error_with_its_line(header, message):
    text = "# a comment first\n" + header + "SELECT * {}"
    with pytest.raises(InputError) as info:
        parse_query_file(text, "bad", Path("queries/bad.rq"))
    assert message in str(info.value)
    assert str(info.value).startswith("queries/bad.rq:2: query header: ")


def test_load_queries_reads_every_stored_query(stored):
    assert list(stored) == sorted(p.stem for p in (REPO / "queries").glob("*.rq"))
    control = stored["control-at"]
    assert control.path == REPO / "queries" / "control-at.rq"
    assert control.summary and control.ordered
    assert [(p.name, p.type, p.required) for p in control.params][0] == (
        "territory",
        "iri",
        True,
    )
    assert all(
        p.type in {"iri", "date", "string", "integer"} for q in stored.values() for p in q.params
    )


def test_load_queries_of_a_missing_directory(tmp_path):
    with pytest.raises(InputError, match="query directory .* not found"):
        load_queries(tmp_path / "nowhere")


# ------------------------------------------------------------------ the dataset and reasoning


def test_load_dataset_without_a_build(tmp_path):
    with pytest.raises(InputError, match="run `kgbuild build` first"):
        load_dataset(tmp_path)


def test_load_dataset_of_a_file_from_an_older_kgbuild(tmp_path):
    (tmp_path / "kg.ttl").write_text("@prefix broken", encoding="utf-8")
    with pytest.raises(InputError, match="holds no manifest.json"):
        load_dataset(tmp_path)


def count(dataset: Dataset) -> int:
    """The triples of the dataset's default graph, as the Oxigraph engine sees them."""
    result = run_query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", dataset, engine="oxigraph")
    return int(result.rows[0]["n"])


def ground(graph: Graph) -> set:
    """The triples without blank nodes (kg.ttl and kg-closure.ttl are parsed apart, so their
    blank nodes differ)."""
    return {t for t in graph if not any(isinstance(term, BNode) for term in t)}


def test_the_inferred_dataset_is_the_asserted_one_plus_the_inferences(inferred, asserted):
    assert inferred.inferred and not asserted.inferred
    assert len(inferred.graph) > len(asserted.graph)
    assert ground(asserted.graph) <= ground(inferred.graph)
    assert count(inferred) == len(inferred.graph)
    assert count(asserted) == len(asserted.graph)


@pytest.fixture(scope="module")
def inferences(asserted) -> Graph:
    return infer(asserted.graph)


def test_infer_returns_only_new_clean_triples_deterministically(asserted, inferred, inferences):
    graph = asserted.graph
    first = inferences
    # The dataset's inferences were computed in another call: the same triples.
    assert set(first) == ground(inferred.graph) - ground(graph)
    assert len(first) > 1000
    assert not set(first) & set(graph)
    vocabularies = (str(RDF), str(RDFS), str(OWL), str(XSD))
    for s, p, o in first:
        assert not isinstance(s, Literal)
        assert not (p == OWL.sameAs and s == o)
        assert not (isinstance(s, URIRef) and str(s).startswith(vocabularies)), (s, p, o)
        assert not (p == RDF.type and str(o).startswith(str(XSD))), (s, p, o)
    # A sub-property (kg:territory of kg:occurredIn) and the property chain occurredIn o partOf.
    assert (ID["event/handover-lachin"], KG.occurredIn, ID["place/lachin-district"]) in first
    assert (ID["event/handover-lachin"], KG.occurredIn, ID["country/azerbaijan"]) in first
    # The input is left alone.
    assert len(graph) == count(asserted)


def test_the_closure_is_the_graph_and_its_inferences(asserted, inferred, inferences):
    assert ground(inferred.graph) == ground(asserted.graph) | set(inferences)
    assert len(inferred.graph) == len(asserted.graph) + len(inferences)


# ------------------------------------------------------------------ parameters

BERDZOR = ID["place/berdzor-lachin"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Berdzor", BERDZOR),
        ("berdzor", BERDZOR),
        ("BERDZOR", BERDZOR),
        ("  Berdzor ", BERDZOR),
        ("Kashatagh", ID["place/lachin-district"]),  # the district's Armenian name
        ("Բերձոր", BERDZOR),
        ("Лачин", BERDZOR),
        ("Laçın", BERDZOR),
        ("Berdzor / Lachin", BERDZOR),
        ("berdzor / lachin", BERDZOR),
        ("<https://w3id.org/kgbuild/id/place/berdzor-lachin>", BERDZOR),
        ("https://w3id.org/kgbuild/id/place/berdzor-lachin", BERDZOR),
        ("<place/berdzor-lachin>", BERDZOR),
        ("id:place/berdzor-lachin", BERDZOR),
        ("place/berdzor-lachin", BERDZOR),
        ("Khankendi", ID["place/khankendi-stepanakert"]),
        ("stepanakert", ID["place/khankendi-stepanakert"]),
        ("Khankendi / Stepanakert", ID["place/khankendi-stepanakert"]),
        ("Lachin District", ID["place/lachin-district"]),
        ("lachin region", ID["place/lachin-district"]),
        ("id:place/lachin-district", ID["place/lachin-district"]),
        ("kg:Completed", KG.Completed),
        ("completed", KG.Completed),
        ("Azerbaijan", ID["country/azerbaijan"]),
    ],
)
def test_an_iri_parameter_resolves_by_iri_prefixed_name_label_or_place_name(
    asserted, value, expected
):
    assert resolve_param(iri_param("place"), value, asserted) == expected


def test_names_resolve_the_same_on_the_inferred_dataset(inferred):
    assert resolve_param(iri_param(), "Berdzor", inferred) == BERDZOR


def test_a_label_shared_by_two_nodes_is_ambiguous_and_lists_them(asserted):
    with pytest.raises(InputError) as info:
        resolve_param(iri_param("status"), "open", asserted)
    message = str(info.value)
    assert "the name 'open' is ambiguous" in message
    assert '"open" kg:QuestionOpen' in message and '"open" kg:StatusOpen' in message
    assert info.value.exit_code == 2


class GraphNames:
    """Names resolved against an rdflib graph (a NodeIndex), for small hand-made cases."""

    def __init__(self, graph: Graph) -> None:
        place_names = (
            (place, written)
            for place, name in graph.subject_objects(KG.hasName)
            for written in graph.objects(name, KG.nameString)
        )
        self.graph = graph
        self.names, self.labels = index_names(graph.subject_objects(RDFS.label), place_names)

    def name_index(self):
        return self.names

    def nodes_named(self, name):
        return self.names.get(name_key(name), set())

    def label(self, node):
        return self.labels.get(node, "")

    def has_node(self, iri):
        return (iri, None, None) in self.graph or (None, None, iri) in self.graph


def test_a_label_of_one_node_and_a_name_of_another_are_ambiguous():
    graph = Graph()
    a, b = ID["place/alpha-town"], ID["place/alpha-district"]
    graph.add((a, RDFS.label, Literal("Alpha", lang="en")))
    graph.add((b, RDFS.label, Literal("Alpha District", lang="en")))
    graph.add((b, KG.hasName, ID["name/alpha-az"]))
    graph.add((ID["name/alpha-az"], KG.nameString, Literal("alpha", lang="az")))
    dataset = GraphNames(graph)
    with pytest.raises(InputError) as info:
        resolve_param(iri_param("place"), "ALPHA", dataset)
    assert '"Alpha" <place/alpha-town>' in str(info.value)
    assert '"Alpha District" <place/alpha-district>' in str(info.value)
    assert resolve_param(iri_param("place"), "Alpha District", dataset) == b


@pytest.mark.parametrize(
    ("value", "message", "candidate"),
    [
        ("Berdzorr", "no node is named 'Berdzorr'", '"Berdzor / Lachin" <place/berdzor-lachin>'),
        ("Lachin Distrct", "no node is named", '"Lachin District" <place/lachin-district>'),
        ("Khankendy", "no node is named", "<place/khankendi-stepanakert>"),
        ("<place/lachin-distric>", "no node <place/lachin-distric>", "<place/lachin-district>"),
        ("id:place/berdzor", "no node <place/berdzor> in the graph", "<place/berdzor-lachin>"),
        ("kg:Complete", "no node kg:Complete", "kg:Completed"),
        ("place/berdzor", "no node <place/berdzor> in the graph", "<place/berdzor-lachin>"),
    ],
)
def test_an_unknown_name_or_iri_lists_candidates(asserted, value, message, candidate):
    with pytest.raises(InputError) as info:
        resolve_param(iri_param("place"), value, asserted)
    assert message in str(info.value)
    assert "did you mean" in str(info.value) and candidate in str(info.value)


def test_a_name_nothing_resembles_gets_a_hint(asserted):
    with pytest.raises(InputError, match="no node is named 'zzzqqq'; give a label"):
        resolve_param(iri_param("place"), "zzzqqq", asserted)


@pytest.mark.parametrize("value", INJECTIONS)
def test_an_injection_attempt_is_no_such_node(asserted, value):
    with pytest.raises(InputError, match="no node|not an IRI"):
        resolve_param(iri_param("place"), value, asserted)


@pytest.mark.parametrize("value", INJECTIONS)
def test_an_injection_attempt_as_a_string_is_plain_text(asserted, value):
    assert resolve_param(QueryParam("text", "string"), value, asserted) == Literal(value)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_bound_string_cannot_change_the_query(asserted, engine):
    query = parse_query_file(
        "#+ params:\n#+   - {name: text, type: string}\n"
        "SELECT ?text (STRLEN(?text) AS ?n) ?s WHERE { OPTIONAL { ?s rdfs:label ?text } }",
        "q",
    )
    query = StoredQuery(query.name, None, PREFIXES + query.text, params=query.params)
    before = len(asserted.graph), len(asserted.store)
    for value in INJECTIONS:
        result = run_query(query, asserted, {"text": value}, engine=engine)
        assert result.rows == [
            {"text": Literal(value), "n": Literal(len(value), datatype=XSD.integer)}
        ]
    assert (len(asserted.graph), len(asserted.store)) == before


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2020-11-24", "2020-11-24"), (" 2020-02-29 ", "2020-02-29"), ("1993-04-01", "1993-04-01")],
)
def test_a_date_parameter_is_an_xsd_date(asserted, value, expected):
    assert resolve_param(QueryParam("day", "date"), value, asserted) == Literal(
        expected, datatype=XSD.date
    )


@pytest.mark.parametrize(
    "value", ["2020-13-01", "2021-02-29", "24/11/2020", "2020-11-24T00:00", "2020-1-2", "", "x"]
)
def test_a_malformed_date_is_refused(asserted, value):
    with pytest.raises(InputError, match="is not a date; write a real day as YYYY-MM-DD"):
        resolve_param(QueryParam("day", "date"), value, asserted)


def test_integer_and_string_parameters(asserted):
    assert resolve_param(QueryParam("n", "integer"), "3", asserted) == Literal(3)
    assert resolve_param(QueryParam("n", "integer"), "-12", asserted) == Literal(-12)
    for bad in ("3.5", "three", "", "1e3"):
        with pytest.raises(InputError, match="is not an integer"):
            resolve_param(QueryParam("n", "integer"), bad, asserted)
    assert resolve_param(QueryParam("s", "string"), " a b ", asserted) == Literal(" a b ")


# ------------------------------------------------------------------ running


def test_missing_and_unknown_parameters(stored, asserted):
    control = stored["control-at"]
    with pytest.raises(InputError) as info:
        run_query(control, asserted, {"territory": "Kalbajar District"})
    assert "needs the parameter date" in str(info.value)
    assert "territory (iri, required), date (date, required)" in str(info.value)
    with pytest.raises(InputError, match="has no parameter 'day'; its parameters are"):
        run_query(control, asserted, {"territory": "Kalbajar District", "day": "2020-11-24"})
    with pytest.raises(InputError, match="declares no parameters"):
        run_query("SELECT * WHERE { ?s ?p ?o } LIMIT 1", asserted, {"x": "1"})


def test_an_optional_parameter_left_out_stays_unbound(stored, asserted):
    one = run_query(stored["place-names"], asserted, {"place": "Berdzor"})
    every = run_query(stored["place-names"], asserted, {})
    assert {r["place"] for r in one.rows} == {BERDZOR}
    assert len({r["place"] for r in every.rows}) > 5
    assert one.ordered


@pytest.mark.parametrize("engine", ENGINES)
def test_a_stored_query_with_parameters(stored, asserted, engine):
    result = run_query(
        stored["control-at"],
        asserted,
        {"territory": "Aghdam District", "date": "2020-11-19"},
        engine=engine,
    )
    assert result.variables[:3] == ["territory", "territoryLabel", "date"]
    assert [str(r["controllerLabel"]) for r in result.rows] == ["Armenian armed forces"]
    assert result.rows[0]["date"] == Literal("2020-11-19", datatype=XSD.date)


REFUSED = [
    ("INSERT DATA { <a:b> <a:c> <a:d> }", "SPARQL update (INSERT DATA)"),
    ("DELETE DATA { <a:b> <a:c> <a:d> }", "SPARQL update (DELETE DATA)"),
    ("DELETE WHERE { ?s ?p ?o }", "SPARQL update (DELETE WHERE)"),
    ("DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }", "SPARQL update (DELETE/INSERT)"),
    ("DROP ALL", "SPARQL update (DROP)"),
    ("DROP GRAPH <http://example.org/g>", "SPARQL update (DROP)"),
    ("CLEAR DEFAULT", "SPARQL update (CLEAR)"),
    ("CREATE GRAPH <http://example.org/g>", "SPARQL update (CREATE)"),
    ("LOAD <http://example.org/data.ttl>", "SPARQL update (LOAD)"),
    ("LOAD <file:///etc/passwd> INTO GRAPH <a:g>", "SPARQL update (LOAD)"),
    ("COPY DEFAULT TO <a:g>", "SPARQL update (COPY)"),
    ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", "uses SERVICE"),
    ("SELECT * WHERE { SERVICE SILENT ?x { ?s ?p ?o } }", "uses SERVICE"),
    (
        "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE <http://e.org/q> { ?s ?p ?o } } }",
        "uses SERVICE",
    ),
    (
        "SELECT * WHERE { { SELECT ?s WHERE { SERVICE <http://e.org/q> { ?s ?p ?o } } } }",
        "uses SERVICE",
    ),
    ("SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }", "has FROM or FROM NAMED"),
    ("SELECT * FROM NAMED <file:///etc/passwd> WHERE { ?s ?p ?o }", "has FROM or FROM NAMED"),
    ("ASK FROM <http://example.org/g> { ?s ?p ?o }", "has FROM or FROM NAMED"),
    ("CONSTRUCT WHERE { ?s ?p ?o }", "is a CONSTRUCT query"),
    ("DESCRIBE <a:b>", "is a DESCRIBE query"),
    ("SELECT * WHERE { ?s ?p", "is not valid SPARQL"),
    ("", "is empty"),
    ("# only a comment\n", "is empty"),
]


@pytest.mark.parametrize(("text", "message"), REFUSED)
def test_updates_service_from_and_other_forms_are_refused_before_running(text, message):
    with pytest.raises(InputError) as info:
        check_read_only(text)
    assert message in str(info.value)
    assert info.value.exit_code == 2


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("text", "message"), REFUSED[:12])
def test_run_query_refuses_and_leaves_the_graph_alone(asserted, engine, text, message):
    before = len(asserted.graph), len(asserted.store)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run_query(text, asserted, engine=engine)
    assert (len(asserted.graph), len(asserted.store)) == before


def test_an_unknown_engine(asserted):
    with pytest.raises(InputError, match="unknown engine 'jena'"):
        run_query("ASK {}", asserted, engine="jena")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_runaway_query_is_stopped_at_the_timeout(asserted, engine):
    start = time.monotonic()
    with pytest.raises(QueryFailed) as info:
        run_query(CROSS_PRODUCT, asserted, engine=engine, timeout=1)
    elapsed = time.monotonic() - start
    assert "stopped after 1 s without finishing" in str(info.value)
    assert "--timeout" in str(info.value)
    assert info.value.exit_code == 1
    assert elapsed < 5
    # The dataset still works afterwards.
    assert run_query("ASK { ?s ?p ?o }", asserted, engine=engine).boolean is True


def test_an_engine_error_in_the_worker_is_a_query_failure(asserted, monkeypatch):
    import kgbuild.query.running as query_module

    def boom(*args):
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(query_module, "_execute_rdflib", boom)  # inherited by the forked worker
    with pytest.raises(QueryFailed) as info:
        run_query("ASK {}", asserted)
    assert str(info.value) == "the query failed on rdflib: RuntimeError: engine exploded"
    assert info.value.exit_code == 1


def test_a_worker_that_dies_is_a_query_failure(asserted, monkeypatch):
    import os

    import kgbuild.query.running as query_module

    monkeypatch.setattr(query_module, "_execute_rdflib", lambda *args: os._exit(3))
    with pytest.raises(QueryFailed, match=r"worker process ended \(exit code 3\)"):
        run_query("ASK {}", asserted)


OCCURRED_IN_AZERBAIJAN = PREFIXES + (
    "SELECT ?event WHERE { ?event kg:occurredIn <https://w3id.org/kgbuild/id/country/azerbaijan> }"
    " ORDER BY ?event"
)


@pytest.mark.parametrize("engine", ENGINES)
def test_inferred_facts_answer_what_the_asserted_graph_cannot(inferred, asserted, engine):
    with_inference = run_query(OCCURRED_IN_AZERBAIJAN, inferred, engine=engine).rows
    without = run_query(OCCURRED_IN_AZERBAIJAN, asserted, engine=engine).rows
    assert len(with_inference) > len(without)
    assert {"event": ID["event/handover-lachin"]} in with_inference
    assert {"event": ID["event/handover-lachin"]} not in without


AD_HOC = [
    "SELECT DISTINCT ?place ?label WHERE { ?place kg:hasName ?n ; rdfs:label ?label } "
    "ORDER BY ?place",
    "SELECT ?place (STR(?label) AS ?plain) (LANG(?label) AS ?lang) WHERE "
    "{ ?place kg:hasName/kg:nameString ?label } ORDER BY ?place ?plain ?lang",
    "SELECT ?s ?date WHERE { ?s kg:date ?date } ORDER BY ?s",
    "SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class FILTER(STRSTARTS(STR(?class), "
    '"https://w3id.org/kgbuild/ontology#")) } GROUP BY ?class ORDER BY ?class',
    "SELECT ?e ?status WHERE { ?e kg:hasTime ?t OPTIONAL { ?e kg:eventStatus ?status } } "
    "ORDER BY ?e",
    "SELECT ?p ?o WHERE { <https://w3id.org/kgbuild/id/event/handover-lachin> ?p ?o "
    "FILTER(!isBlank(?o)) } ORDER BY ?p ?o",
    "SELECT ?x WHERE { VALUES ?x { 1 1.5 true 'text' 'text'@en } }",
]


@pytest.mark.parametrize("text", AD_HOC)
@pytest.mark.parametrize("inferred_facts", [False, True])
def test_both_engines_give_the_same_rows_for_ad_hoc_queries(
    inferred, asserted, text, inferred_facts
):
    dataset = inferred if inferred_facts else asserted
    a = run_query(PREFIXES + text, dataset, engine="rdflib")
    b = run_query(PREFIXES + text, dataset, engine="oxigraph")
    assert a.variables == b.variables
    assert a.rows, "the query should have rows"
    rows_a, rows_b = derived_integers_as_integers(a.rows), b.rows
    if "ORDER BY" in text:
        assert rows_a == rows_b
    else:
        assert sorted(map(repr, rows_a)) == sorted(map(repr, rows_b))


def derived_integers_as_integers(rows):
    """Oxigraph's store keeps xsd:positiveInteger (and the other types derived from xsd:integer)
    as xsd:integer; rdflib keeps the datatype of kg.ttl."""
    derived = {XSD.positiveInteger, XSD.nonNegativeInteger, XSD.negativeInteger, XSD.int}
    return [
        {
            k: Literal(str(v), datatype=XSD.integer)
            if isinstance(v, Literal) and v.datatype in derived
            else v
            for k, v in row.items()
        }
        for row in rows
    ]


def test_oxigraph_stores_derived_integer_types_as_xsd_integer(asserted):
    """A known difference of the engines (pyoxigraph 0.5): compare paragraph numbers and orders
    as numbers, or cast them with xsd:integer() in the query, as the stored queries do."""
    text = (
        PREFIXES
        + "SELECT ?n WHERE { <https://w3id.org/kgbuild/id/passage/000-p01> kg:paragraphNumber ?n }"
    )
    a = run_query(text, asserted, engine="rdflib").rows
    b = run_query(text, asserted, engine="oxigraph").rows
    assert a == [{"n": Literal("1", datatype=XSD.positiveInteger)}]
    assert b == [{"n": Literal("1", datatype=XSD.integer)}]
    cast = text.replace("SELECT ?n", "SELECT (xsd:integer(?m) AS ?n)").replace("?n }", "?m }")
    cast = "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\n" + cast
    assert (
        run_query(cast, asserted, engine="rdflib").rows
        == run_query(cast, asserted, engine="oxigraph").rows
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_terms_come_back_as_rdflib_terms(asserted, engine):
    text = PREFIXES + (
        "SELECT ?iri ?plain ?typed ?en ?count ?b ?unbound WHERE {"
        " BIND(<https://w3id.org/kgbuild/id/place/berdzor-lachin> AS ?iri) BIND(STR('x') AS ?plain)"
        " BIND('x'^^<http://www.w3.org/2001/XMLSchema#string> AS ?typed)"
        " BIND('x'@en AS ?en) BIND(1 + 2 AS ?count)"
        " { SELECT ?b WHERE { ?c ?p ?b FILTER(isBlank(?b)) } LIMIT 1 } }"
    )
    (row,) = run_query(text, asserted, engine=engine).rows
    assert row["iri"] == BERDZOR and isinstance(row["iri"], URIRef)
    assert row["plain"] == Literal("x") and row["plain"].datatype is None
    assert row["typed"] == Literal("x") and row["typed"].datatype is None
    assert row["en"] == Literal("x", lang="en")
    assert row["count"] == Literal("3", datatype=XSD.integer)
    assert isinstance(row["b"], BNode)
    assert "unbound" not in row


@pytest.mark.parametrize("engine", ENGINES)
def test_ask(asserted, engine):
    yes = run_query(
        PREFIXES + "ASK { <https://w3id.org/kgbuild/id/place/berdzor-lachin> a kg:City }",
        asserted,
        engine=engine,
    )
    no = run_query(
        PREFIXES + "ASK { <https://w3id.org/kgbuild/id/place/berdzor-lachin> a kg:Event }",
        asserted,
        engine=engine,
    )
    assert (yes.boolean, no.boolean) == (True, False)
    assert yes.variables == [] and yes.rows == []


def test_without_a_timeout_the_query_runs_in_process(asserted):
    result = run_query(PREFIXES + "ASK { ?s kg:hasName ?n }", asserted, timeout=None)
    assert result.boolean is True


# ------------------------------------------------------------------ formats

SAMPLE = QueryResult(
    variables=["s", "label", "n", "when", "b", "note", "missing"],
    rows=[
        {
            "s": ID["place/berdzor-lachin"],
            "label": Literal("Berdzor / Lachin", lang="en"),
            "n": Literal(15, datatype=XSD.integer),
            "when": Literal("2020-12-01", datatype=XSD.date),
            "b": BNode("b0"),
            "note": Literal('says "hi", then\nleaves\tnow'),
        },
        {
            "s": KG.Completed,
            "label": Literal("Բերձոր", lang="hy"),
            "note": Literal("odd", datatype=URIRef("http://example.org/dt")),
        },
    ],
    ordered=True,
)


def test_json_is_the_w3c_format():
    doc = json.loads(format_results(SAMPLE, "json"))
    assert doc["head"] == {"vars": SAMPLE.variables}
    first, second = doc["results"]["bindings"]
    assert first["s"] == {
        "type": "uri",
        "value": "https://w3id.org/kgbuild/id/place/berdzor-lachin",
    }
    assert first["label"] == {"type": "literal", "value": "Berdzor / Lachin", "xml:lang": "en"}
    assert first["n"] == {
        "type": "literal",
        "value": "15",
        "datatype": "http://www.w3.org/2001/XMLSchema#integer",
    }
    assert first["b"] == {"type": "bnode", "value": "b0"}
    assert first["note"] == {"type": "literal", "value": 'says "hi", then\nleaves\tnow'}
    assert "missing" not in first and set(second) == {"s", "label", "note"}
    assert second["note"]["datatype"] == "http://example.org/dt"
    # rdflib's parser of the W3C format reads it back to the same rows.
    parsed = Result.parse(io.StringIO(format_results(SAMPLE, "json")), format="json")
    assert [{str(k): v for k, v in b.items()} for b in parsed.bindings] == SAMPLE.rows


def test_json_of_ask_and_of_no_rows():
    assert json.loads(format_results(QueryResult([], [], boolean=True), "json")) == {
        "head": {},
        "boolean": True,
    }
    assert json.loads(format_results(QueryResult(["x"], []), "json")) == {
        "head": {"vars": ["x"]},
        "results": {"bindings": []},
    }


def test_json_keeps_non_ascii_on_one_line():
    text = format_results(SAMPLE, "json")
    assert "Բերձոր" in text and text.endswith("}\n") and text.count("\n") == 1


def test_the_w3c_formats_are_the_bytes_pyoxigraph_writes():
    # pyoxigraph's writer, not one of kgbuild's: what it reads back it writes again alike
    # (it has no CSV reader: the CSV must be what it writes from the same rows as JSON).
    json_text = format_results(SAMPLE, "json")
    tsv_text = format_results(SAMPLE, "tsv")
    formats = ox.QueryResultsFormat

    def rewritten(text: str, read: ox.QueryResultsFormat, write: ox.QueryResultsFormat) -> str:
        solutions = ox.parse_query_results(text.encode("utf-8"), read)
        return solutions.serialize(format=write).decode("utf-8")

    assert rewritten(json_text, formats.JSON, formats.JSON) + "\n" == json_text
    assert rewritten(tsv_text, formats.TSV, formats.TSV) == tsv_text
    assert rewritten(json_text, formats.JSON, formats.CSV) == format_results(SAMPLE, "csv")
    assert rewritten(json_text, formats.JSON, formats.TSV) == tsv_text


def test_ask_answers_end_with_the_line_end_of_their_format():
    for answer, word in ((True, "true"), (False, "false")):
        result = QueryResult([], [], boolean=answer)
        assert format_results(result, "csv") == f"{word}\r\n"
        assert format_results(result, "tsv") == f"{word}\n"
        assert format_results(result, "json") == f'{{"head":{{}},"boolean":{word}}}\n'


def test_a_blank_node_label_the_formats_cannot_hold_is_replaced_alike_everywhere():
    # Virtuoso names blank nodes nodeID://b10006: not a label of SPARQL results.
    node = BNode("nodeID://b10006")
    result = QueryResult(["a", "b"], [{"a": node, "b": BNode("b1")}, {"a": node}])
    doc = json.loads(format_results(result, "json"))
    first, second = doc["results"]["bindings"]
    assert first["a"] == second["a"] == {"type": "bnode", "value": "x" + b"nodeID://b10006".hex()}
    assert first["b"] == {"type": "bnode", "value": "b1"}  # a valid label is kept
    rows = format_results(result, "tsv").splitlines()[1:]
    assert rows == [f"_:x{b'nodeID://b10006'.hex()}\t_:b1", f"_:x{b'nodeID://b10006'.hex()}\t"]


def test_a_term_rdf_does_not_allow_is_named_in_one_error():
    result = QueryResult(["x"], [{"x": URIRef("https://example.org/a b")}])
    for fmt in ("json", "csv", "tsv"):
        with pytest.raises(KgbuildError) as info:
            format_results(result, fmt)
        assert str(info.value).startswith(
            f"cannot write the result as {fmt}: ?x = 'https://example.org/a b' is not valid"
        )
        assert info.value.exit_code == 1
    assert "<https://example.org/a b>" in format_results(result, "table")


def test_csv_is_the_w3c_format():
    text = format_results(SAMPLE, "csv")
    assert text.count("\r\n") == 3 and text.endswith("\r\n")  # and one "\n" inside a value
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == SAMPLE.variables
    assert rows[1] == [
        "https://w3id.org/kgbuild/id/place/berdzor-lachin",
        "Berdzor / Lachin",
        "15",
        "2020-12-01",
        "_:b0",
        'says "hi", then\nleaves\tnow',
        "",
    ]
    assert rows[2] == [
        "https://w3id.org/kgbuild/ontology#Completed",
        "Բերձոր",
        "",
        "",
        "",
        "odd",
        "",
    ]
    assert text.startswith("s,label,n,when,b,note,missing\r\n")
    assert '"says ""hi"", then\nleaves\tnow"' in text  # RFC 4180 quoting


def test_tsv_is_the_w3c_format():
    text = format_results(SAMPLE, "tsv")
    lines = text.split("\n")
    assert lines[0] == "?s\t?label\t?n\t?when\t?b\t?note\t?missing"
    assert lines[1].split("\t") == [
        "<https://w3id.org/kgbuild/id/place/berdzor-lachin>",
        '"Berdzor / Lachin"@en',
        "15",  # an xsd:integer in its Turtle short form, as the TSV format allows
        '"2020-12-01"^^<http://www.w3.org/2001/XMLSchema#date>',
        "_:b0",
        '"says \\"hi\\", then\\nleaves\\tnow"',
        "",
    ]
    assert lines[2].split("\t")[5] == '"odd"^^<http://example.org/dt>'
    assert len(lines) == 4 and lines[3] == ""  # every line ends with a newline
    parsed = Result.parse(io.StringIO(text), format="tsv")
    rows = [{str(k): v for k, v in b.items() if v is not None} for b in parsed.bindings]
    assert [{k: v for k, v in r.items() if k != "b"} for r in rows] == [
        {k: v for k, v in r.items() if k != "b"} for r in SAMPLE.rows
    ]


def test_table_is_compact_and_aligned():
    text = format_results(SAMPLE, "table")
    lines = text.rstrip("\n").split("\n")
    assert lines[0].split() == SAMPLE.variables
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[2].startswith("<place/berdzor-lachin>  Berdzor / Lachin@en  15  2020-12-01")
    assert "\\n" in lines[2] and "\t" not in lines[2]  # one line per row
    assert lines[3].startswith("kg:Completed")
    assert "Բերձոր@hy" in lines[3]  # two languages in the column: tags shown
    assert "odd^^<http://example.org/dt>" in lines[3]
    assert lines[-1] == "2 rows"
    # Columns start at the same offsets on every line.
    start = lines[0].index("label")
    assert lines[2][start - 2 : start] == "  " and lines[3][start:].startswith("Բերձոր")


def test_table_hides_a_single_language_and_plain_datatypes():
    result = QueryResult(
        ["label", "day"],
        [{"label": Literal("Lachin", lang="en"), "day": Literal("2020-12-01", datatype=XSD.date)}],
    )
    assert format_results(result, "table").splitlines()[2] == "Lachin  2020-12-01"


def test_table_cuts_long_values():
    result = QueryResult(["text"], [{"text": Literal("x" * 500)}])
    line = format_results(result, "table").splitlines()[2]
    assert line.endswith("…") and len(line) <= 72


def test_table_of_ask_and_of_no_rows():
    assert format_results(QueryResult([], [], boolean=False), "table") == "false\n"
    assert format_results(QueryResult(["x", "y"], []), "table").splitlines()[-1] == "0 rows"


def test_unknown_format():
    with pytest.raises(InputError, match="unknown format 'xml'"):
        format_results(SAMPLE, "xml")


@pytest.mark.parametrize("fmt", ["json", "csv", "tsv", "table"])
def test_real_results_in_every_format_are_the_same_for_both_engines(stored, inferred, fmt):
    params = {"place": "Lachin District"}
    texts = {
        engine: format_results(run_query(stored["events-in"], inferred, params, engine=engine), fmt)
        for engine in ENGINES
    }
    assert texts["rdflib"] == texts["oxigraph"]
    assert "Handover of Lachin District to Azerbaijan" in texts["rdflib"]


# ------------------------------------------------------------------ the supervised child


def test_run_supervised_returns_the_exit_code_of_the_work(capfd):
    from kgbuild.query import run_supervised

    reported: list[str] = []

    def ok() -> None:
        print("answered in the child")

    def refuse() -> None:
        raise InputError("no such thing", hint="try another")

    assert run_supervised(ok, 10, "the query", lambda e: reported.append(str(e))) == 0
    assert capfd.readouterr().out == "answered in the child\n"

    # The child reports its own error, on its own stderr: the list is the parent's.
    def report_to_stderr(exc) -> None:
        print(f"kgbuild: error: {exc}", file=sys.stderr)

    assert run_supervised(refuse, 10, "the query", report_to_stderr) == 2
    assert capfd.readouterr().err == "kgbuild: error: no such thing; try another\n"
    assert reported == []


def test_run_supervised_stops_the_work_at_the_deadline_and_reports_a_death():
    from kgbuild.query import run_supervised

    reported: list[str] = []
    start = time.monotonic()
    code = run_supervised(
        lambda: time.sleep(30), 0.5, "the query", lambda e: reported.append(str(e))
    )
    assert code == 1 and time.monotonic() - start < 10
    assert reported == [
        "the query stopped after 0.5 s without finishing; raise --timeout SECONDS or make the "
        "query narrower"
    ]
    reported.clear()
    assert (
        run_supervised(
            lambda: os.kill(os.getpid(), signal.SIGSEGV),
            10,
            "the query",
            lambda e: reported.append(str(e)),
        )
        == 1
    )
    assert reported[0].startswith(
        "the query failed: the process answering it crashed (SIGSEGV), as Oxigraph's parser does"
    )
