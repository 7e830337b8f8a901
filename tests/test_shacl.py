"""kgbuild.shacl, the fast SHACL engine, against pySHACL, the reference.

Every test runs both engines on the same graphs and asserts the same report: sh:conforms,
isomorphic report graphs and the same results as (focus, path, value, shape, component,
severity, messages). pySHACL runs as kgbuild.validate runs it (no inference, advanced,
warnings and infos allowed).

- the real data (ontology + data) with all the shapes;
- every fixture of tests/shapes/ on the small base graph of tests/test_shapes.py (the ontology
  and the real records the fixtures refer to), restricted to the fixture's node shape, and the
  outcome its first line states, with both engines;
- small hand-written graphs for each supported constraint component and their edge cases;
- constructs the engine does not implement: ``unsupported`` names them, ``validate`` refuses.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections import Counter
from collections.abc import Iterator

import pyshacl
import pytest
from rdflib import BNode, Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from kgbuild import shacl
from kgbuild.validate import each_sparql_text_parsed_once
from test_shapes import (
    EXPECTED_WARNINGS,
    FixtureWorld,
    fixture_problem,
    fixture_world,
    results_of_fixture,
    shapes_to_run,
)

PREFIXES = """\
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
"""


# --------------------------------------------------------------------------------------------
# Running both engines


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """pySHACL and rdflib log and print about ill-typed literals and errors."""
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        logging.disable(previous)


def reference(
    graph: Graph, shapes: Graph, use_shapes: list[Node] | None = None
) -> tuple[bool, Graph]:
    """pySHACL's (conforms, report), with the options of kgbuild.validate.validate_graph."""
    options = {"use_shapes": use_shapes} if use_shapes else {}
    with quiet(), each_sparql_text_parsed_once():
        conforms, report, _ = pyshacl.validate(
            graph,
            shacl_graph=shapes,
            inference="none",
            advanced=True,
            allow_warnings=True,
            allow_infos=True,
            abort_on_first=False,
            meta_shacl=False,
            inplace=True,
            **options,
        )
    assert isinstance(report, Graph), report
    return conforms, report


def path_key(report: Graph, node: Node | None) -> object:
    """A result path that does not depend on blank node labels."""
    if not isinstance(node, BNode):
        return node
    if (node, RDF.first, None) in report:
        return tuple(path_key(report, i) for i in report.items(node))
    return tuple(
        sorted((str(p), str(path_key(report, o))) for p, o in report.predicate_objects(node))
    )


def result_rows(report: Graph) -> Counter:
    """(focus, path, value, shape, component, severity, messages) of each result."""
    rows: Counter = Counter()
    for r in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(r, SH.focusNode)
        value = report.value(r, SH.value)
        rows[
            (
                "_:blank" if isinstance(focus, BNode) else focus,
                path_key(report, report.value(r, SH.resultPath)),
                "_:blank" if isinstance(value, BNode) else value,
                report.value(r, SH.sourceShape),
                report.value(r, SH.sourceConstraintComponent),
                report.value(r, SH.resultSeverity),
                frozenset(report.objects(r, SH.resultMessage)),
            )
        ] += 1
    return rows


def assert_same(
    graph: Graph, shapes: Graph, shape_iris: list[Node] | None = None
) -> tuple[bool, Graph]:
    """Both engines give the same report; returns the fast engine's."""
    assert shacl.unsupported(shapes) == []
    expected_conforms, expected = reference(graph, shapes, shape_iris)
    conforms, report = shacl.validate(graph, shapes, shape_iris)
    assert conforms == expected_conforms
    assert set(result_rows(report)) == set(result_rows(expected))
    assert result_rows(report) == result_rows(expected)
    assert isomorphic(report, expected), "same results, but the report graphs differ"
    return conforms, report


def parse(text: str) -> Graph:
    return Graph().parse(data=PREFIXES + text, format="turtle")


def check(shapes_ttl: str, data_ttl: str) -> tuple[bool, Graph]:
    """Both engines on small Turtle graphs: the report of the fast engine."""
    with quiet():
        data, shapes = parse(data_ttl), parse(shapes_ttl)
    return assert_same(data, shapes)


def results_by_component(report: Graph) -> Counter:
    return Counter(
        str(report.value(r, SH.sourceConstraintComponent)).rsplit("#", 1)[-1]
        for r in report.subjects(RDF.type, SH.ValidationResult)
    )


# --------------------------------------------------------------------------------------------
# The real data and the fixtures


def test_real_data_same_report(world: FixtureWorld):
    graph = Graph()
    graph += world.real_graph
    graph += world.ontology
    conforms, report = assert_same(graph, world.shapes)
    assert conforms
    assert results_by_component(report) == {"MinCountConstraintComponent": len(EXPECTED_WARNINGS)}
    # The build hands the engine the triples and a graph of the blank-node statements only.
    blank_rooted = Graph()
    for prefix, namespace in graph.namespaces():
        blank_rooted.bind(prefix, namespace)
    blank_rooted += [t for t in graph if isinstance(t[0], BNode)]
    from_triples = shacl.validate(blank_rooted, world.shapes, triples=list(graph))
    assert from_triples[0] == conforms
    assert isomorphic(from_triples[1], report)


@pytest.fixture(scope="module")
def world() -> FixtureWorld:
    return fixture_world()


def test_fixtures_same_report_and_stated_outcome(world: FixtureWorld):
    """Each fixture on the small base graph, with its node shape(s): the same report from both
    engines, and the outcome its first line states from both."""
    done: set[tuple] = set()
    problems = []
    for fixture in world.fixtures:
        if fixture.error:
            continue  # tests/test_shapes.py reports it
        run = shapes_to_run(world.shapes, fixture.shape)
        key = (frozenset(fixture.triples), tuple(run))
        if key in done:  # a node shape's fixture often repeats a property shape's
            continue
        done.add(key)
        with world.with_fixture(fixture) as graph:
            expected_conforms, expected = reference(graph, world.shapes, run)
            conforms, report = world.fast(run)
        if conforms != expected_conforms or result_rows(report) != result_rows(expected):
            problems.append(f"{fixture.path.name}: the reports differ")
        elif not isomorphic(report, expected):
            problems.append(f"{fixture.path.name}: the report graphs differ")
        for engine, found in (("pySHACL", expected), ("fast engine", report)):
            problem = fixture_problem(world, fixture, results_of_fixture(found))
            if problem:
                problems.append(f"{engine}: {problem}")
    assert problems == []
    assert len(done) > 100


# --------------------------------------------------------------------------------------------
# Constraint components, one by one


def test_class_literal_untyped_blank_and_subclass():
    shapes = """
        ex:S a sh:NodeShape ; sh:targetClass ex:Thing ; sh:property ex:P .
        ex:P a sh:PropertyShape ; sh:path ex:p ; sh:class ex:Animal .
        ex:Q a sh:NodeShape ; sh:targetNode ex:a, ex:b ; sh:class ex:Dog, ex:Cat .
    """
    data = """
        ex:Dog rdfs:subClassOf ex:Mammal . ex:Mammal rdfs:subClassOf ex:Animal .
        ex:a a ex:Thing ; ex:p ex:rex, "Rex", ex:nobody, [ a ex:Dog ], [ ex:q 1 ], 5 .
        ex:rex a ex:Dog .
        ex:b a ex:Thing ; ex:p ex:rex .
    """
    _, report = check(shapes, data)
    assert results_by_component(report) == {"ClassConstraintComponent": 8}


def test_class_without_message_and_cyclic_hierarchy():
    shapes = """
        ex:S a sh:NodeShape ; sh:targetClass ex:A ; sh:class ex:C .
        ex:T a sh:NodeShape ; sh:targetClass ex:B ; sh:message "T fails"@en, "T échoue"@fr ;
            sh:class ex:Missing .
    """
    data = """
        ex:A rdfs:subClassOf ex:B . ex:B rdfs:subClassOf ex:A . ex:C rdfs:subClassOf ex:C .
        ex:x a ex:A . ex:y a ex:B . ex:z a ex:C .
    """
    check(shapes, data)


def test_datatype_ill_typed_and_special_datatypes():
    shapes = """
        ex:S a sh:NodeShape ; sh:targetClass ex:T ;
            sh:property ex:int, ex:pos, ex:str, ex:lang, ex:date, ex:lit, ex:dec, ex:dt .
        ex:int a sh:PropertyShape ; sh:path ex:int ; sh:datatype xsd:integer .
        ex:pos a sh:PropertyShape ; sh:path ex:pos ; sh:datatype xsd:positiveInteger .
        ex:str a sh:PropertyShape ; sh:path ex:str ; sh:datatype xsd:string .
        ex:lang a sh:PropertyShape ; sh:path ex:lang ; sh:datatype rdf:langString .
        ex:date a sh:PropertyShape ; sh:path ex:date ; sh:datatype xsd:date .
        ex:lit a sh:PropertyShape ; sh:path ex:lit ; sh:datatype rdfs:Literal .
        ex:dec a sh:PropertyShape ; sh:path ex:dec ; sh:datatype xsd:decimal .
        ex:dt a sh:PropertyShape ; sh:path ex:dt ; sh:datatype xsd:dateTime .
    """
    data = """
        ex:x a ex:T ;
            ex:int 1, "x"^^xsd:integer, "1.5"^^xsd:decimal, ex:iri, "2" ;
            ex:pos 3, "0"^^xsd:positiveInteger, "-4"^^xsd:positiveInteger,
                "a"^^xsd:positiveInteger ;
            ex:str "s", "s"^^xsd:string, "s"@en, 4 ;
            ex:lang "l"@en, "l", [ ex:q 1 ] ;
            ex:date "2020-01-01"^^xsd:date, "2020-02-30"^^xsd:date,
                "2020-01-01T00:00:00"^^xsd:dateTime ;
            ex:lit "a", 1, "b"@de, ex:iri ;
            ex:dec 1.5, 2, "1e3"^^xsd:decimal ;
            ex:dt "2020-01-01T10:00:00Z"^^xsd:dateTime, "2020-01-01"^^xsd:dateTime .
    """
    _, report = check(shapes, data)
    assert results_by_component(report)["DatatypeConstraintComponent"] >= 10


def test_node_kind_of_every_kind():
    kinds = ["IRI", "BlankNode", "Literal", "BlankNodeOrIRI", "BlankNodeOrLiteral", "IRIOrLiteral"]
    shapes = "\n".join(
        f"ex:S{k} a sh:NodeShape ; sh:targetObjectsOf ex:p ; sh:nodeKind sh:{k} ." for k in kinds
    )
    data = 'ex:x ex:p ex:y, [ ex:q ex:y ], "lit", 3 .'
    check(shapes, data)


def test_in_with_iris_literals_and_a_generic_message():
    shapes = """
        ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:p ; sh:property ex:P .
        ex:P a sh:PropertyShape ; sh:path ex:p ; sh:in ( ex:a "b" 1 "c"@en ) .
        ex:Q a sh:NodeShape ; sh:targetObjectsOf ex:p ; sh:in ( ex:a ) ; sh:message "not a" .
    """
    data = 'ex:x ex:p ex:a, "b", "1", 1, "c"@en, "c", ex:z, 1.0 .'
    check(shapes, data)


def test_min_and_max_count_missing_values_inverse_and_alternative_paths():
    shapes = """
        ex:S a sh:NodeShape ; sh:targetClass ex:T ; sh:property ex:A, ex:B, ex:C, ex:D .
        ex:A a sh:PropertyShape ; sh:path ex:p ; sh:minCount 1 ; sh:maxCount 1 .
        ex:B a sh:PropertyShape ; sh:path [ sh:inversePath ex:p ] ; sh:minCount 1 ; sh:maxCount 1 .
        ex:C a sh:PropertyShape ; sh:path [ sh:alternativePath ( ex:q [ sh:inversePath ex:p ] ) ] ;
            sh:minCount 2 ; sh:maxCount 2 .
        ex:D a sh:PropertyShape ; sh:path ex:never ; sh:minCount 0 ; sh:maxCount 0 .
    """
    data = """
        ex:x a ex:T ; ex:p ex:y, ex:z . ex:y a ex:T ; ex:p ex:x . ex:z a ex:T ; ex:q 1, 2, 3 .
        ex:w a ex:T .
    """
    _, report = check(shapes, data)
    assert {"MinCountConstraintComponent", "MaxCountConstraintComponent"} <= set(
        results_by_component(report)
    )


def test_value_ranges_with_incomparable_values():
    shapes = """
        ex:S a sh:NodeShape ; sh:targetClass ex:T ; sh:property ex:A, ex:B, ex:C, ex:D, ex:E .
        ex:A a sh:PropertyShape ; sh:path ex:a ; sh:minExclusive 0 .
        ex:B a sh:PropertyShape ; sh:path ex:b ; sh:minInclusive 0, 1.5 .
        ex:C a sh:PropertyShape ; sh:path ex:c ; sh:maxExclusive "2020-01-01"^^xsd:date .
        ex:D a sh:PropertyShape ; sh:path ex:d ; sh:maxInclusive "m" .
        ex:E a sh:PropertyShape ; sh:path ex:e ;
            sh:minExclusive "2020-01-01T00:00:00Z"^^xsd:dateTime .
    """
    data = """
        ex:x a ex:T ;
            ex:a 1, 0, -1, 0.5, "1", ex:iri, [ ex:q 1 ], "x"^^xsd:integer, "2020-01-01"^^xsd:date,
                 true, 1e0 ;
            ex:b 1, 2, 0, "a" ;
            ex:c "2019-12-31"^^xsd:date, "2020-01-01"^^xsd:date, "2020-01-02"^^xsd:date, 1,
                 "2019-12-31T00:00:00"^^xsd:dateTime ;
            ex:d "a", "z", "m"@en, 1 ;
            ex:e "2020-01-01T00:00:01Z"^^xsd:dateTime, "2020-01-01T00:00:00"^^xsd:dateTime,
                 "2019-01-01T00:00:00+02:00"^^xsd:dateTime .
    """
    check(shapes, data)


def test_string_lengths_and_patterns():
    shapes = """
        ex:S a sh:NodeShape ; sh:targetClass ex:T ; sh:property ex:A, ex:B, ex:C, ex:D .
        ex:A a sh:PropertyShape ; sh:path ex:a ; sh:minLength 3 .
        ex:B a sh:PropertyShape ; sh:path ex:b ; sh:maxLength 3 .
        ex:C a sh:PropertyShape ; sh:path ex:c ; sh:pattern "^ab" ; sh:flags "i" .
        ex:D a sh:PropertyShape ; sh:path ex:d ; sh:pattern "[0-9]", "^1" .
    """
    data = """
        ex:x a ex:T ; ex:a "ab", "abc", 12, 1234, ex:i, [ ex:q 1 ] ;
            ex:b "ab", "abcd"@en, 1234, ex:long-iri, [ ex:q 1 ] ;
            ex:c "ABc", "xab", 1, ex:ab, [ ex:q 1 ] ;
            ex:d "1", "21", "x", 10 .
    """
    check(shapes, data)


def test_language_in_and_unique_lang():
    shapes = """
        ex:S a sh:NodeShape ; sh:targetClass ex:T ; sh:property ex:A, ex:B, ex:C .
        ex:A a sh:PropertyShape ; sh:path ex:a ; sh:languageIn ( "en" "fr" ) ; sh:uniqueLang true .
        ex:B a sh:PropertyShape ; sh:path ex:b ; sh:uniqueLang false .
        ex:C a sh:PropertyShape ; sh:path ex:c ; sh:languageIn ( "*" ) .
    """
    data = """
        ex:x a ex:T ; ex:a "a"@en, "b"@EN, "c"@en-GB, "d"@fr, "e"@de, "f", ex:i, "g"@de ;
            ex:b "a"@en, "b"@en ; ex:c "a"@xx, "b" .
        ex:y a ex:T ; ex:a "a"@en, "b"@fr .
    """
    _, report = check(shapes, data)
    assert results_by_component(report)["UniqueLangConstraintComponent"] == 2


def test_disjoint_and_less_than_pairs():
    shapes = """
        ex:S a sh:NodeShape ; sh:targetClass ex:T ; sh:property ex:A, ex:B, ex:C .
        ex:A a sh:PropertyShape ; sh:path ex:a ; sh:disjoint ex:b, ex:c .
        ex:B a sh:PropertyShape ; sh:path ex:start ; sh:lessThanOrEquals ex:end .
        ex:C a sh:PropertyShape ; sh:path ex:low ; sh:lessThan ex:high .
    """
    data = """
        ex:x a ex:T ; ex:a ex:v, ex:w, 1 ; ex:b ex:v, 1 ; ex:c ex:w ;
            ex:start "2020-01-02"^^xsd:date, "2020-01-01"^^xsd:date, 5, "s" ;
            ex:end "2020-01-01"^^xsd:date, "2020-01-03"^^xsd:date, "t" ;
            ex:low 1, 2, "a", ex:iri ; ex:high 2, "b", ex:iri2 .
        ex:y a ex:T ; ex:start 1 ; ex:low 3 .
    """
    _, report = check(shapes, data)
    counts = results_by_component(report)
    assert counts["DisjointConstraintComponent"] == 3
    assert counts["LessThanOrEqualsConstraintComponent"] >= 3


def test_less_than_on_a_blank_node_fails_in_both_engines():
    shapes = parse(
        "ex:S a sh:PropertyShape ; sh:targetNode ex:x ; sh:path ex:a ; sh:lessThan ex:b ."
    )
    data = parse("ex:x ex:a [ ex:q 1 ] ; ex:b 2 .")
    with quiet(), pytest.raises(Exception, match="BlankNode"):
        pyshacl.validate(data, shacl_graph=shapes, advanced=True, inplace=True)
    with pytest.raises(shacl.ShaclRuntimeError, match="BlankNode"):
        shacl.validate(data, shapes)


# --------------------------------------------------------------------------------------------
# Targets, severities, messages, reports


def test_targets_of_every_kind():
    shapes = """
        ex:C1 a rdfs:Class, sh:NodeShape ; sh:nodeKind sh:BlankNode .
        ex:C2 a owl:Class, sh:NodeShape ; sh:nodeKind sh:Literal .
        ex:S1 a sh:NodeShape ; sh:targetNode ex:nowhere, "lit", ex:x ; sh:nodeKind sh:BlankNode .
        ex:S2 a sh:NodeShape ; sh:targetSubjectsOf ex:p ; sh:targetObjectsOf ex:p ;
            sh:nodeKind sh:Literal .
        ex:S3 a sh:NodeShape ; sh:targetClass ex:Top ; sh:nodeKind sh:Literal .
        ex:S4 sh:targetClass ex:Top ; sh:property [ sh:path ex:p ; sh:minCount 3 ] .
    """
    data = """
        ex:Sub rdfs:subClassOf ex:Top . ex:Sub2 rdfs:subClassOf ex:Sub .
        ex:x a ex:C1, ex:Sub2 ; ex:p ex:y, "v" . ex:z a ex:C2, ex:Top .
    """
    check(shapes, data)


def test_severities_and_a_warning_shape_with_a_violating_property_shape():
    shapes = """
        ex:W a sh:NodeShape ; sh:targetClass ex:T ; sh:severity sh:Warning ; sh:property ex:V .
        ex:V a sh:PropertyShape ; sh:path ex:p ; sh:minCount 1 .
        ex:I a sh:NodeShape ; sh:targetClass ex:T ; sh:severity sh:Info ; sh:nodeKind sh:Literal .
    """
    conforms, report = check(shapes, "ex:x a ex:T .")
    # pySHACL: the Violation under a Warning shape does not make the graph fail.
    assert conforms and results_by_component(report)["MinCountConstraintComponent"] == 1
    conforms, _ = check(
        shapes.replace("sh:severity sh:Warning", "sh:severity ex:Custom"), "ex:x a ex:T ."
    )
    assert not conforms


def test_shared_property_shape_and_values_reached_twice():
    shapes = """
        ex:A a sh:NodeShape ; sh:targetClass ex:T ; sh:property ex:P .
        ex:B a sh:NodeShape ; sh:targetClass ex:T ; sh:property ex:P .
        ex:P a sh:PropertyShape ; sh:path ex:p ; sh:property ex:Q .
        ex:Q a sh:PropertyShape ; sh:path ex:q ; sh:minCount 1 .
    """
    data = "ex:x a ex:T ; ex:p ex:v . ex:y a ex:T ; ex:p ex:v ."
    _, report = check(shapes, data)
    assert results_by_component(report)["MinCountConstraintComponent"] == 4


def test_blank_focus_nodes_and_values_are_copied_into_the_report():
    shapes = """
        ex:S a sh:NodeShape ; sh:targetObjectsOf ex:p ; sh:property ex:P .
        ex:P a sh:PropertyShape ; sh:path ex:q ; sh:class ex:C ; sh:maxCount 0 .
    """
    data = 'ex:x ex:p [ ex:q [ ex:r [ ex:s 1 ] ; ex:t ( 1 2 ) ], "v" ] .'
    check(shapes, data)


def test_cyclic_blank_nodes_in_pyshacls_own_messages_are_refused():
    """pySHACL writes a cyclic blank node into its own messages down to a depth, from a cache
    filled in the order it wrote nodes before: the engine does not guess, it says so."""
    cycle = "ex:y ex:p _:b . _:b ex:q _:b ."
    shapes = """
        ex:S a sh:NodeShape ; sh:targetObjectsOf ex:p ; sh:property ex:P .
        ex:P a sh:PropertyShape ; sh:path ex:q ; sh:maxCount 0 .
    """
    with quiet():
        data, without_messages = parse(cycle), parse(shapes)
    with pytest.raises(shacl.ShaclRuntimeError, match="validate with pySHACL"):
        shacl.validate(data, without_messages)
    # With its own message, the shape needs no text of the blank node.
    check(shapes.replace("sh:maxCount 0 .", 'sh:maxCount 0 ; sh:message "none" .'), cycle)


def test_deactivated_shapes_and_constraints():
    shapes = """
        ex:S a sh:NodeShape ; sh:targetClass ex:T ; sh:deactivated true ; sh:nodeKind sh:Literal .
        ex:U a sh:NodeShape ; sh:targetClass ex:T ; sh:deactivated false ; sh:property ex:P ;
            sh:sparql [ sh:select "SELECT $this WHERE { }" ; sh:deactivated true ] .
        ex:P a sh:PropertyShape ; sh:path ex:p ; sh:minCount 1 ; sh:deactivated true .
    """
    conforms, report = check(shapes, "ex:x a ex:T .")
    assert conforms and not results_by_component(report)


def test_shape_iris_restrict_the_run_like_use_shapes(world: FixtureWorld):
    kgsh = "https://w3id.org/kgbuild/shapes#"
    graph = world.base
    for name in ("S40-Event", "S90-OntologyTerm", "S73-Passage-uniqueNumber", "S57-VagueTime"):
        run = shapes_to_run(world.shapes, URIRef(kgsh + name))
        assert_same(graph, world.shapes, run)
        expected = shacl.validate(graph, world.shapes, run)[1]
        only_node_shape = shacl.validate(graph, world.shapes, run[:1])[1]
        assert isomorphic(only_node_shape, expected)


# --------------------------------------------------------------------------------------------
# SHACL-SPARQL


SPARQL_SHAPES = """
    ex:ont a owl:Ontology ;
        sh:declare [ sh:prefix "ex" ; sh:namespace "http://example.org/"^^xsd:anyURI ] .
    ex:Several a sh:NodeShape ; sh:targetClass ex:T ; sh:message "node: {$this} {?value}" ;
        sh:sparql [ a sh:SPARQLConstraint ; sh:prefixes ex:ont ;
            sh:message "has {?value} with {?other}"@en ;
            sh:select \"\"\"SELECT $this ?value ?other WHERE {
                $this ex:p ?value . OPTIONAL { ?value ex:q ?other } }\"\"\" ] .
    ex:Focus a sh:NodeShape ; sh:targetClass ex:T ;
        sh:sparql [ sh:prefixes ex:ont ; sh:select \"\"\"SELECT $this WHERE {
                FILTER NOT EXISTS { $this ex:p ?x . ?x ex:q ?y } }\"\"\" ] .
    ex:NoThis a sh:NodeShape ; sh:targetClass ex:T ;
        sh:sparql [ sh:prefixes ex:ont ; sh:message "some u" ;
            sh:select "SELECT ?value WHERE { ?value ex:u ?z }" ] .
    ex:WithPath a sh:NodeShape ; sh:targetClass ex:T ;
        sh:sparql [ sh:prefixes ex:ont ; sh:message "path {?path}" ;
            sh:select \"\"\"SELECT DISTINCT $this ?path ?value WHERE {
                $this ?path ?value . FILTER (isLiteral(?value)) }\"\"\" ] .
    ex:Props a sh:NodeShape ; sh:targetClass ex:T ; sh:property ex:Inv, ex:Alt .
    ex:Inv a sh:PropertyShape ; sh:path [ sh:inversePath ex:p ] ;
        sh:sparql [ sh:prefixes ex:ont ; sh:message "pointed at by {?value}" ;
            sh:select "SELECT $this ?value WHERE { $this $PATH ?value . }" ] .
    ex:Alt a sh:PropertyShape ; sh:path [ sh:alternativePath ( ex:p ex:u ) ] ;
        sh:sparql [ sh:prefixes ex:ont ;
            sh:select \"\"\"SELECT $this ?value WHERE {
                $this $PATH ?value . FILTER (!isBlank(?value)) }\"\"\" ] .
    ex:Targeted a sh:NodeShape ; sh:message "targeted" ;
        sh:target [ a sh:SPARQLTarget ; sh:prefixes ex:ont ;
            sh:select "SELECT ?this WHERE { ?this ex:u ?any }" ] ;
        sh:sparql [ sh:select "SELECT $this WHERE { FILTER (isBlank($this)) }" ] .
"""
SPARQL_DATA = """
    ex:a a ex:T ; ex:p ex:b, "lit"@en, ex:c ; ex:u 1 .
    ex:b a ex:T ; ex:q 1, 2 ; ex:p ex:a .
    ex:c ex:q 3 .
    [ a ex:T ; ex:p [ ex:q 4 ] ; ex:u "blank" ] .
"""


def test_focus_numbers_are_not_read_as_literals_of_the_graph():
    """The engine numbers the focus nodes of a SPARQL constraint; a number that is also a
    literal of the graph in two datatypes (as paragraph numbers and counts are) must not send
    the run to pySHACL."""
    shapes = """
        ex:S a sh:NodeShape ; sh:targetClass ex:T ;
            sh:sparql [ sh:select "SELECT $this ?value WHERE { $this ex:p ?value }" ] .
    """
    data = "\n".join(
        f'ex:n{k} a ex:T ; ex:p ex:v{k} ; ex:count {k}, "{k}"^^xsd:positiveInteger .'
        for k in range(1, 6)
    )
    conforms, report = check(shapes, data)
    assert not conforms
    assert results_by_component(report) == {"SPARQLConstraintComponent": 5}


def test_sparql_constraints_rows_paths_messages_and_targets():
    _, report = check(SPARQL_SHAPES, SPARQL_DATA)
    messages = {str(m) for m in report.objects(None, SH.resultMessage)}
    assert "has http://example.org/b with 1" in messages  # a template filled, language dropped
    assert results_by_component(report)["SPARQLConstraintComponent"] > 10


PRE_BOUND_FORMS = [
    # $this in OPTIONAL patterns and filters, in a top-level BIND, in UNION branch patterns,
    # in an EXISTS and its filters: all where a VALUES join binds it as pre-binding does.
    "SELECT $this ?value WHERE { ?value ex:p ?x OPTIONAL { ?value ex:q ?y FILTER (?y != $this) } }",
    "SELECT $this ?value WHERE { BIND ($this AS ?value) FILTER (isIRI(?value)) }",
    "SELECT $this ?value WHERE { { $this ex:p ?value } UNION { ?value ex:p $this } }",
    "SELECT $this ?value WHERE { ?value ex:u ?z "
    "FILTER EXISTS { $this ex:p ?w FILTER (?w != ?value) } }",
    "SELECT DISTINCT $this ?value WHERE { $this (ex:p|ex:q)+ ?value . FILTER (?value != $this) }",
    "SELECT ?value ?extra WHERE { $this ex:p ?value . OPTIONAL { ?value ex:q ?extra } }",
]


@pytest.mark.parametrize("query", PRE_BOUND_FORMS)
def test_sparql_pre_binding_forms_the_engine_accepts(query):
    shapes = f"""
        ex:S a sh:NodeShape ; sh:targetClass ex:T ; sh:targetNode "a literal", 7 ;
            sh:sparql [ sh:message "{{$this}}: {{?value}}" ; sh:select "{query}" ] .
    """
    check(shapes, SPARQL_DATA)


def test_sparql_queries_see_the_data_graphs_prefixes():
    """rdflib's Graph.query, which pySHACL calls, declares the data graph's prefixes."""
    shapes = """
        ex:S a sh:NodeShape ; sh:targetNode ex:a ;
            sh:sparql [ sh:select "SELECT $this ?value WHERE { $this data:p ?value }" ] .
    """
    with quiet():
        data = Graph().parse(
            data="@prefix data: <http://example.org/> . data:a data:p data:b .", format="turtle"
        )
    _, report = assert_same(data, parse(shapes))
    assert len(result_rows(report)) == 1


# --------------------------------------------------------------------------------------------
# What the engine refuses


UNSUPPORTED = {
    "or": "ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:or ( [ sh:nodeKind sh:IRI ] ) .",
    "node": "ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:node ex:T . ex:T a sh:NodeShape .",
    "hasValue": "ex:S a sh:PropertyShape ; sh:targetNode ex:a ; sh:path ex:p ; sh:hasValue 1 .",
    "qualifiedValueShape": (
        "ex:S a sh:PropertyShape ; sh:targetNode ex:a ; sh:path ex:p ; "
        "sh:qualifiedValueShape [ sh:nodeKind sh:IRI ] ; sh:qualifiedMinCount 1 ."
    ),
    "equals": "ex:S a sh:PropertyShape ; sh:targetNode ex:a ; sh:path ex:p ; sh:equals ex:q .",
    "closed": "ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:closed true .",
    "sequence path": (
        "ex:S a sh:PropertyShape ; sh:targetNode ex:a ; sh:path ( ex:p ex:q ) ; sh:minCount 1 ."
    ),
    "zeroOrMorePath": (
        "ex:S a sh:PropertyShape ; sh:targetNode ex:a ; "
        "sh:path [ sh:zeroOrMorePath ex:p ] ; sh:minCount 1 ."
    ),
    "shapesGraph": (
        'ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:sparql [ sh:select "SELECT $this '
        'WHERE { GRAPH $shapesGraph { ?s ?p ?o } }" ] .'
    ),
    "currentShape": (
        'ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:sparql [ sh:select "SELECT $this '
        'WHERE { $currentShape ?p ?o }" ] .'
    ),
    "sub-query": (
        'ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:sparql [ sh:select "SELECT $this '
        'WHERE { { SELECT $this WHERE { $this ?p ?o } } }" ] .'
    ),
    "$this in a nested FILTER": (
        'ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:sparql [ sh:select "SELECT $this '
        'WHERE { { FILTER ($this = ex:a) } UNION { ?x ?p ?o } }" ] .'
    ),
    "MINUS": (
        'ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:sparql [ sh:select "SELECT $this '
        'WHERE { $this ?p ?o MINUS { $this a ex:T } }" ] .'
    ),
    "custom component": (
        "ex:C a sh:ConstraintComponent ; sh:parameter [ sh:path ex:param ] . "
        "ex:S a sh:NodeShape ; sh:targetNode ex:a ; ex:param 1 ."
    ),
    "rule": (
        "ex:S a sh:NodeShape ; sh:targetNode ex:a ; "
        "sh:rule [ a sh:TripleRule ; sh:subject sh:this ; sh:predicate ex:p ; sh:object 1 ] ."
    ),
}


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_unsupported_constructs_are_named_and_refused(name):
    shapes = parse(UNSUPPORTED[name])
    reasons = shacl.unsupported(shapes)
    assert reasons, name
    with pytest.raises(shacl.UnsupportedShapes) as raised:
        shacl.validate(parse("ex:a ex:p ex:b ."), shapes)
    assert raised.value.reasons == reasons


def test_the_real_shapes_are_supported(world: FixtureWorld):
    assert shacl.unsupported(world.shapes) == []


def test_a_literal_message_substitution_on_core_constraints_is_left_as_written():
    """pySHACL fills {$this} only in SHACL-SPARQL messages; core messages are verbatim."""
    shapes = 'ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:class ex:C ; sh:message "{$this}" .'
    _, report = check(shapes, "ex:a ex:p 1 .")
    assert {str(m) for m in report.objects(None, SH.resultMessage)} == {"{$this}"}
