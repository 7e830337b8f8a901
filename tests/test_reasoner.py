"""The rule engine (kgbuild.rules) against owlrl, the reference: the same inferred.ttl, byte for
byte, on the real data and on two copies of it, and the same answer on small graphs that use
each rule, or need owlrl (then owlrl must be the one that ran)."""

from __future__ import annotations

from pathlib import Path

import owlrl
import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection

from conftest import ROOT
from kgbuild.build import inferred_turtle, load_inputs
from kgbuild.namespaces import OWL, RDF, RDFS, XSD
from kgbuild.reason import keep, reason

EX = Namespace("https://w3id.org/kgbuild/id/ex/")
KGX = Namespace("https://w3id.org/kgbuild/ontology#")


def owlrl_closure(triples) -> Graph:
    """owlrl's OWL 2 RL closure as a user would run it."""
    graph = Graph()
    for triple in triples:
        graph.add(triple)
    owlrl.DeductiveClosure(
        owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False
    ).expand(graph)
    return graph


def owlrl_inferred(triples) -> set:
    """owlrl's closure minus the input, cleaned as kgbuild cleans it (kgbuild.reason.keep)."""
    asserted = set(triples)
    return {t for t in owlrl_closure(asserted) if t not in asserted and keep(t)}


def test_real_data_inferred_ttl_is_owlrls(real_build, owlrl_real_closure):
    """The build's own dist/inferred.ttl is owlrl's cleaned closure, byte for byte, and every
    triple the engine derives (cleaned or not) is in owlrl's closure: the proofs that
    `kgbuild explain` shows are sound."""
    written = (real_build.output.parent / "inferred.ttl").read_bytes()
    assert real_build.reasoning.engine == "rules"
    closure = owlrl_real_closure
    asserted = set(real_build.triples)
    cleaned = {t for t in closure if t not in asserted and keep(t)}
    assert written == inferred_turtle(cleaned)
    derived = list(reason(real_build.triples).reasoner.derived())
    assert len(derived) > 3000
    assert [t for t in derived if t not in closure] == []


def test_two_copies_inferred_ttl_is_owlrls(scaled2: Path):
    ontology, data = load_inputs(ROOT / "ontology", scaled2)
    triples = [*ontology, *data.triples]
    reasoning = reason(triples)
    assert reasoning.engine == "rules" and not reasoning.problems
    assert len(reasoning.inferred) > 14_000
    assert inferred_turtle(reasoning.inferred) == inferred_turtle(owlrl_inferred(triples))


def test_owlrl_adds_only_junk_beyond_the_engines_inferences(real_build, owlrl_real_closure):
    asserted = real_build.graph
    plain = owlrl_real_closure
    added = {t for t in plain if t not in asserted}
    vocab = (str(RDF), str(RDFS), str(OWL), str(XSD))
    junk = {
        "literal subject": {t for t in added if isinstance(t[0], Literal)},
        "x owl:sameAs x": {t for t in added if t[1] == OWL.sameAs and t[0] == t[2]},
        "vocabulary term": {
            t for t in added if isinstance(t[0], URIRef) and str(t[0]).startswith(vocab)
        },
        "literal typing": {t for t in added if t[1] == RDF.type and str(t[2]).startswith(str(XSD))},
    }
    all_junk = set().union(*junk.values())
    assert all(junk.values()), {k: len(v) for k, v in junk.items()}
    assert added - all_junk == set(real_build.reasoning.inferred)
    assert real_build.reasoning.engine == "rules"  # the fast engine, not owlrl, made it
    # Consistent data: owlrl recorded no error.
    assert not list(
        plain.subjects(
            RDF.type, URIRef("http://www.daml.org/2002/03/agents/agent-ont#ErrorMessage")
        )
    )


# -- small graphs, one construct each


def chain(graph: list, head_items: list) -> BNode:
    g = Graph()
    head = BNode()
    Collection(g, head, head_items)
    graph.extend(g)
    return head


def supported_cases() -> dict[str, list]:
    cases: dict[str, list] = {}
    cases["subclasses and types"] = [
        (KGX.A, RDF.type, OWL.Class),
        (KGX.B, RDFS.subClassOf, KGX.A),
        (KGX.C, RDFS.subClassOf, KGX.B),
        (EX.x, RDF.type, KGX.C),
    ]
    cases["sub-properties, domains and ranges"] = [
        (KGX.p, RDF.type, OWL.ObjectProperty),
        (KGX.q, RDFS.subPropertyOf, KGX.p),
        (KGX.p, RDFS.domain, KGX.A),
        (KGX.p, RDFS.range, KGX.B),
        (KGX.B, RDFS.subClassOf, KGX.C),
        (KGX.d, RDF.type, OWL.DatatypeProperty),
        (KGX.d, RDFS.range, XSD.string),
        (EX.x, KGX.q, EX.y),
        (EX.x, KGX.d, Literal("text")),
        (EX.z, KGX.d, EX.w),  # an IRI where a literal belongs: typed, then cleaned
    ]
    cases["a cycle of subclasses and sub-properties"] = [
        (KGX.A, RDFS.subClassOf, KGX.B),
        (KGX.B, RDFS.subClassOf, KGX.A),
        (KGX.p, RDFS.subPropertyOf, KGX.q),
        (KGX.q, RDFS.subPropertyOf, KGX.p),
        (EX.x, RDF.type, KGX.A),
        (EX.x, KGX.p, EX.y),
    ]
    cases["equivalent classes and properties"] = [
        (KGX.A, OWL.equivalentClass, KGX.B),
        (KGX.p, OWL.equivalentProperty, KGX.q),
        (EX.x, RDF.type, KGX.B),
        (EX.x, KGX.q, EX.y),
    ]
    cases["inverse, symmetric, transitive"] = [
        (KGX.partOf, RDF.type, OWL.TransitiveProperty),
        (KGX.partOf, OWL.inverseOf, KGX.hasPart),
        (KGX.near, RDF.type, OWL.SymmetricProperty),
        (EX.a, KGX.partOf, EX.b),
        (EX.b, KGX.partOf, EX.c),
        (EX.c, KGX.partOf, EX.d),
        (EX.a, KGX.near, EX.e),
    ]
    links: list = []
    head = chain(links, [KGX.p, KGX.q, KGX.r])
    cases["a property chain of three links"] = [
        *links,
        (KGX.s, OWL.propertyChainAxiom, head),
        (EX.a, KGX.p, EX.b),
        (EX.b, KGX.q, EX.c),
        (EX.c, KGX.r, EX.d),
        (EX.c, KGX.r, EX.e),
    ]
    members: list = []
    head = chain(members, [EX.red, EX.green])
    cases["an enumeration"] = [*members, (KGX.Colour, OWL.oneOf, head)]
    cases["two different literals of a functional property (inconsistent)"] = [
        (KGX.f, RDF.type, OWL.FunctionalProperty),
        (EX.a, KGX.f, Literal("1", datatype=XSD.integer)),
        (EX.a, KGX.f, Literal("2", datatype=XSD.integer)),
    ]
    cases["disjoint classes (inconsistent)"] = [
        (KGX.A, OWL.disjointWith, KGX.B),
        (KGX.p, RDFS.domain, KGX.B),
        (EX.x, RDF.type, KGX.A),
        (EX.x, KGX.p, EX.y),
    ]
    return cases


_one_link: list = []
_one_head = chain(_one_link, [KGX.p])


def reference_cases() -> dict[str, tuple[list, str]]:
    restriction = BNode()
    return {
        "owl:sameAs": ([(EX.a, OWL.sameAs, EX.b), (EX.a, RDF.type, KGX.A)], "owl:sameAs"),
        "a restriction": (
            [
                (restriction, RDF.type, OWL.Restriction),
                (restriction, OWL.onProperty, KGX.p),
                (restriction, OWL.someValuesFrom, KGX.A),
                (EX.x, KGX.p, EX.y),
                (EX.y, RDF.type, KGX.A),
            ],
            "owl:Restriction",
        ),
        "a functional property with two nodes": (
            [
                (KGX.f, RDF.type, OWL.FunctionalProperty),
                (EX.a, KGX.f, EX.b),
                (EX.a, KGX.f, EX.c),
                (EX.b, RDF.type, KGX.A),
            ],
            "two values of the functional",
        ),
        "one literal value spelt twice": (
            [
                (KGX.f, RDF.type, OWL.FunctionalProperty),
                (EX.a, KGX.f, Literal("3", datatype=XSD.integer)),
                (EX.a, KGX.f, Literal("3", datatype=XSD.int)),
                (EX.b, KGX.g, Literal("3", datatype=XSD.integer)),
            ],
            "two values of the functional",
        ),
        "a member of owl:Nothing": ([(EX.a, RDF.type, OWL.Nothing)], "owl:Nothing"),
        "a blank node as a property": (
            [(KGX.p, OWL.inverseOf, restriction), (EX.a, KGX.p, EX.b)],
            "a property is a blank node",
        ),
        "a symmetric property with a literal value": (
            [
                (KGX.s, RDF.type, OWL.SymmetricProperty),
                (KGX.s, OWL.inverseOf, KGX.t),
                (EX.a, KGX.s, Literal("v")),
            ],
            "turns it into a subject",
        ),
        "rdf:Property": ([(KGX.p, RDF.type, RDF.Property)], "rdf:Property"),
        "a chain of one link": (
            [*_one_link, (KGX.s, OWL.propertyChainAxiom, _one_head), (EX.a, KGX.p, EX.b)],
            "not a well-formed list",
        ),
        "an ill-typed literal": (
            [(EX.a, KGX.n, Literal("three", datatype=XSD.integer))],
            "ill-typed",
        ),
    }


@pytest.mark.parametrize(("name", "triples"), list(supported_cases().items()))
def test_engine_agrees_with_owlrl(name: str, triples: list) -> None:
    ours, reference = reason(triples), reason(triples, engine="owlrl")
    assert ours.engine == "rules", ours.reference_reasons
    assert ours.problems == reference.problems
    if not ours.problems:
        assert ours.inferred == reference.inferred == owlrl_inferred(triples)
        assert ours.inferred, "the case infers something"


@pytest.mark.parametrize(("name", "case"), list(reference_cases().items()))
def test_owlrl_runs_where_the_engine_might_differ(name: str, case: tuple) -> None:
    triples, reason_text = case
    ours = reason(triples)
    assert ours.engine == "owlrl"
    assert any(reason_text in why for why in ours.reference_reasons), ours.reference_reasons
    reference = reason(triples, engine="owlrl")
    assert (ours.inferred, ours.problems) == (reference.inferred, reference.problems)


@pytest.mark.parametrize("name", ["owl:sameAs", "one literal value spelt twice"])
def test_the_engine_alone_misses_what_owlrl_adds_there(name: str) -> None:
    """Why the fallback matters: there the engine alone infers less than owlrl."""
    triples, _ = reference_cases()[name]
    alone = reason(triples, engine="rules")
    assert alone.inferred < reason(triples, engine="owlrl").inferred
