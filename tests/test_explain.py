"""kgbuild explain: proofs of asserted and inferred triples on the real data, checked against
owlrl."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph

from conftest import ROOT
from kgbuild.cli import cli
from kgbuild.explain import (
    RULES,
    Proof,
    Reasoner,
    explain,
    explain_statement,
    format_proof,
    parse_triple,
)
from kgbuild.namespaces import ID, KG, OWL, RDF, RDFS

BERDZOR = ID["place/berdzor-lachin"]
LACHIN_DISTRICT = ID["place/lachin-district"]
AZERBAIJAN = ID["country/azerbaijan"]
FLAG_REMOVAL = ID["event/flag-removal-lachin"]
BUILDING = ID["place/lachin-municipality-building"]
STATEMENT = ID["agreement/trilateral-statement-2020-11-10"]
ALIYEV = ID["person/ilham-aliyev"]
SIGNATURE = ID["signature/trilateral-statement-azerbaijan"]


@pytest.fixture(scope="module")
def graph(kg_graph) -> Graph:
    return kg_graph


@pytest.fixture(scope="module")
def reasoner(graph: Graph) -> Reasoner:
    return Reasoner(graph)


@pytest.fixture
def run(built_repo: Path, monkeypatch: pytest.MonkeyPatch):
    """Run `kgbuild explain ARGS --out <built repo>` from the repository root."""
    monkeypatch.chdir(ROOT)

    def invoke(*args: str):
        return CliRunner().invoke(
            cli, ["explain", *args, "--out", str(built_repo)], prog_name="kgbuild"
        )

    return invoke


def leaves(proof: Proof) -> list[Proof]:
    if not proof.premises:
        return [proof]
    return [leaf for p in proof.premises for leaf in leaves(p)]


def nodes(proof: Proof) -> list[Proof]:
    return [proof, *(n for p in proof.premises for n in nodes(p))]


# ---------------------------------------------------------------------------- the record


def test_proofs_are_well_founded(reasoner: Reasoner) -> None:
    """Each premise is asserted or derived in an earlier round, so no proof has a cycle."""
    for triple, derivation in reasoner.derivations.items():
        assert derivation.rule in RULES
        assert derivation.premises, triple
        for premise in derivation.premises:
            if premise not in reasoner.asserted:
                assert reasoner.derivations[premise].round < derivation.round, (triple, premise)


# ---------------------------------------------------------------------------- proofs


def test_transitive_part_of(reasoner: Reasoner) -> None:
    proof = explain(reasoner, (BERDZOR, KG.partOf, AZERBAIJAN))
    assert proof is not None and proof.status == "inferred" and proof.rule == "prp-trp"
    assert [p.triple for p in proof.premises] == [
        (KG.partOf, RDF.type, OWL.TransitiveProperty),
        (BERDZOR, KG.partOf, LACHIN_DISTRICT),
        (LACHIN_DISTRICT, KG.partOf, AZERBAIJAN),
    ]
    assert all(p.status == "asserted" for p in proof.premises)


def test_flag_removal_in_azerbaijan_by_chain(reasoner: Reasoner) -> None:
    proof = explain(reasoner, (FLAG_REMOVAL, KG.occurredIn, AZERBAIJAN))
    assert proof is not None and proof.rule == "prp-spo2"
    axiom = proof.premises[0]
    assert axiom.status == "asserted" and axiom.triple[1] == OWL.propertyChainAxiom
    assert axiom.list_members == (KG.occurredIn, KG.partOf)
    # The chain: the event occurred in some place, and that place is part of Azerbaijan.
    (event, link, place), (inner, part_of, country) = (p.triple for p in proof.premises[1:])
    assert (event, link) == (FLAG_REMOVAL, KG.occurredIn)
    assert (inner, part_of, country) == (place, KG.partOf, AZERBAIJAN)
    assert {n.rule for n in nodes(proof)} >= {"prp-spo2", "prp-trp"}
    assert all(leaf.status == "asserted" for leaf in leaves(proof))


def test_removed_from_is_a_sub_property_of_occurred_in(reasoner: Reasoner) -> None:
    proof = explain(reasoner, (FLAG_REMOVAL, KG.occurredIn, BUILDING))
    assert proof is not None and proof.rule == "prp-spo1"
    assert [p.triple for p in proof.premises] == [
        (KG.removedFrom, RDFS.subPropertyOf, KG.occurredIn),
        (FLAG_REMOVAL, KG.removedFrom, BUILDING),
    ]


def test_signatory_from_signature_and_not_a_party(reasoner: Reasoner) -> None:
    proof = explain(reasoner, (STATEMENT, KG.hasSignatory, ALIYEV))
    assert proof is not None and proof.rule == "prp-spo2"
    assert proof.premises[0].list_members == (KG.hasSignature, KG.signer)
    assert [(p.triple, p.status) for p in proof.premises[1:]] == [
        ((STATEMENT, KG.hasSignature, SIGNATURE), "asserted"),
        ((SIGNATURE, KG.signer, ALIYEV), "asserted"),
    ]
    # A signatory signs for a party (a state); the person is not a party.
    assert explain(reasoner, (STATEMENT, KG.agreementParty, ALIYEV)) is None
    assert explain(reasoner, (STATEMENT, KG.agreementParty, AZERBAIJAN)).status == "asserted"


def test_types_by_subclass_and_domain(reasoner: Reasoner) -> None:
    event = explain(reasoner, (FLAG_REMOVAL, RDF.type, KG.Event))
    assert event is not None and event.rule == "cax-sco"
    assert [p.triple for p in event.premises] == [
        (KG.FlagRemoval, RDFS.subClassOf, KG.Event),
        (FLAG_REMOVAL, RDF.type, KG.FlagRemoval),
    ]
    place = explain(reasoner, (BERDZOR, RDF.type, KG.Place))
    assert place is not None and place.rule in ("prp-dom", "prp-rng")
    kind = {"prp-dom": RDFS.domain, "prp-rng": RDFS.range}[place.rule]
    assert place.premises[0].triple[1:] == (kind, KG.Place)
    assert BERDZOR in place.premises[1].triple


def test_a_triple_that_does_not_hold(reasoner: Reasoner) -> None:
    assert explain(reasoner, (AZERBAIJAN, KG.partOf, BERDZOR)) is None


# ---------------------------------------------------------------------------- the command


def test_cli_inferred_text(run) -> None:
    result = run("Berdzor kg:partOf Azerbaijan")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "<place/berdzor-lachin> kg:partOf <country/azerbaijan>  [prp-trp]"
    assert re.fullmatch(
        r"  kg:partOf a owl:TransitiveProperty  \[asserted\]  ontology/places\.ttl:\d+", lines[1]
    )
    assert re.fullmatch(
        r"  <place/berdzor-lachin> kg:partOf <place/lachin-district>  \[asserted\]  "
        r"data/places\.yaml:\d+",
        lines[2],
    )
    assert len(lines) == 4


def test_cli_iris_and_nested_proof(run) -> None:
    result = run("<event/flag-removal-lachin> kg:occurredIn <country/azerbaijan>")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].endswith("[prp-spo2]")
    assert "owl:propertyChainAxiom ( kg:occurredIn kg:partOf )  [asserted]" in result.stdout
    # A nested proof is indented under the triple it proves, down to asserted records.
    assert any(line.startswith("    <") and "[asserted]  data/" in line for line in lines)
    sub = run("<event/flag-removal-lachin> kg:occurredIn <place/lachin-municipality-building>")
    assert re.fullmatch(
        r"  kg:removedFrom rdfs:subPropertyOf kg:occurredIn  \[asserted\]  "
        r"ontology/events\.ttl:\d+",
        sub.stdout.splitlines()[1],
    )


def test_cli_bare_ids_and_separate_arguments(run) -> None:
    one = run("agreement/trilateral-statement-2020-11-10 kg:hasSignatory person/ilham-aliyev")
    assert one.exit_code == 0, one.output
    assert one.stdout.splitlines()[0] == (
        "<agreement/trilateral-statement-2020-11-10> kg:hasSignatory <person/ilham-aliyev>"
        "  [prp-spo2]"
    )
    three = run("agreement/trilateral-statement-2020-11-10", "kg:hasSignatory", "Ilham Aliyev")
    assert three.exit_code == 0, three.output
    assert three.stdout == one.stdout


def test_cli_asserted_with_quoted_name(run) -> None:
    result = run('"Lachin District" kg:partOf Azerbaijan')
    assert result.exit_code == 0, result.output
    assert re.fullmatch(
        r"<place/lachin-district> kg:partOf <country/azerbaijan>  \[asserted\]  "
        r"data/places\.yaml:\d+\n",
        result.stdout,
    )


def test_cli_does_not_hold(run) -> None:
    result = run("Azerbaijan kg:partOf Berdzor")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(
        "kgbuild: error: <country/azerbaijan> kg:partOf <place/berdzor-lachin> is neither asserted"
    )
    assert "the converse holds" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_cli_unknown_name_lists_candidates(run) -> None:
    result = run("Berdzr kg:partOf Azerbaijan")
    assert result.exit_code == 2
    assert "no node is named 'Berdzr'" in result.stderr
    assert "did you mean" in result.stderr and "<place/berdzor-lachin>" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("statement", ["Berdzor kg:partOf", 'Berdzor kg:partOf "Azerb', "a b c d"])
def test_cli_malformed_triple(run, statement: str) -> None:
    result = run(statement)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("kgbuild: error: ")


def test_cli_json(run) -> None:
    person = '"Ilham Aliyev" kg:signatureOf agreement/trilateral-statement-2020-11-10'
    assert run(person, "-f", "json").exit_code == 1  # his signature belongs to it, not he
    result = run("Azerbaijan kg:partyTo agreement/trilateral-statement-2020-11-10", "-f", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) == {"triple", "status", "rule", "premises"}
    assert doc["status"] == "inferred" and doc["rule"] == "prp-inv1"
    assert doc["triple"]["subject"] == str(AZERBAIJAN)
    assert doc["triple"]["predicate"] == str(KG.partyTo)
    assert doc["triple"]["text"].startswith("<country/azerbaijan> kg:partyTo ")
    schema, party = doc["premises"]
    assert schema["status"] == "asserted" and re.fullmatch(
        r"ontology/\w+\.ttl:\d+", schema["source"]
    )
    assert party["status"] == "asserted" and party["source"].startswith("data/agreement.yaml:")
    # A person by another spelling of the name (Caucasian Knot's).
    chain = run(
        'agreement/trilateral-statement-2020-11-10 kg:hasSignatory "Ilham Aliev"', "-f", "json"
    )
    assert chain.exit_code == 0, chain.output
    doc = json.loads(chain.stdout)
    assert doc["rule"] == "prp-spo2"
    assert doc["premises"][0]["triple"]["list"] == [str(KG.hasSignature), str(KG.signer)]


def test_owlrl_only_triple_is_reported_not_failed(project) -> None:
    """In a build that needed owlrl (here: the ontology says owl:sameAs), a triple owlrl
    inferred that no rule of the engine derives is reported as owlrl's, exit 0."""
    from kgbuild.build import build

    mini = project.ontology / "mini.ttl"
    mini.write_text(
        mini.read_text(encoding="utf-8") + "kg:Heading owl:sameAs kg:Title .\n", encoding="utf-8"
    )
    result = build(project.ontology, project.data, project.out)
    assert result.reasoning.engine == "owlrl"
    proof = explain_statement("kg:Title a kg:ParagraphRole", project.out)
    assert proof.status == "owlrl" and not proof.premises
    assert format_proof(proof) == (
        "kg:Title a kg:ParagraphRole  [owlrl]  "
        "inferred by owlrl; no explanation available for this rule\n"
    )
    # What the engine derives in that build is still explained by its rules.
    assert explain_statement("<place/lachin-district> a kg:Place", project.out).rule == "cax-sco"


def test_parse_triple() -> None:
    assert parse_triple('"Lachin District" kg:partOf Azerbaijan') == (
        "Lachin District",
        "kg:partOf",
        "Azerbaijan",
    )
    assert parse_triple(["Berdzor", "a", "kg:Place"]) == ("Berdzor", "a", "kg:Place")
