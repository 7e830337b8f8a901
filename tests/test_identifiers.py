"""Links to Wikidata and GeoNames: each one the value read in a stored public file, resting on a
background record that names that file at a fixed commit."""

from __future__ import annotations

import re

import pytest
import rdflib
from rdflib import RDF, URIRef
from rdflib.namespace import SKOS

from kgbuild.namespaces import DCTERMS, ID_BASE, KG

WD = "http://www.wikidata.org/entity/"
GN = "https://sws.geonames.org/"
PERMALINK = re.compile(r"^https://github\.com/[\w.-]+/[\w.-]+/blob/[0-9a-f]{40}/\S+$")


@pytest.fixture(scope="module")
def kg(kg_graph) -> rdflib.Graph:
    return kg_graph


def links(kg: rdflib.Graph) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for node, match in kg.subject_objects(SKOS.exactMatch):
        if str(node).startswith(ID_BASE):
            found.setdefault(str(node)[len(ID_BASE) :], set()).add(str(match))
    return found


def test_the_links_read_in_stored_files(kg: rdflib.Graph) -> None:
    found = links(kg)
    assert found["country/azerbaijan"] == {WD + "Q227", GN + "587116/"}
    assert found["country/armenia"] == {WD + "Q399", GN + "174982/"}
    assert found["country/russia"] == {WD + "Q159", GN + "2017370/"}
    assert found["place/baku"] == {WD + "Q9248", GN + "587084/"}
    assert found["place/shusha-shushi"] == {GN + "147105/"}
    assert found["place/khankendi-stepanakert"] == {GN + "146970/"}
    assert found["place/nagorno-karabakh"] == {WD + "Q44302"}
    assert found["person/nikol-pashinyan"] == {WD + "Q7035479"}
    # The districts are GeoNames' first-level divisions, not the towns of the same name.
    assert found["place/lachin-district"] == {GN + "147626/"}
    assert found["place/aghdam-district"] == {GN + "148617/"}
    assert found["place/dagestan"] == {WD + "Q5118", GN + "567293/"}
    assert found["place/kalbajar-district"] == {WD + "Q457513", GN + "586047/"}
    assert found["actor/outlet-tass"] == {WD + "Q223799"}
    assert found["actor/outlet-afp"] == {WD + "Q40464"}
    # No stored file confirmed these: no link rather than a guessed one.
    for node in ("place/karabakh", "place/berdzor-lachin", "person/ilham-aliyev"):
        assert node not in found
    # An exact match is one thing: no item is shared by two nodes.
    every = [m for ms in found.values() for m in ms]
    assert len(every) == len(set(every)) == 31


def test_each_link_rests_on_a_record_naming_its_file_at_a_commit(kg: rdflib.Graph) -> None:
    statements = {
        (s, o): st
        for st in kg.subjects(RDF.predicate, SKOS.exactMatch)
        for s in kg.objects(st, RDF.subject)
        for o in kg.objects(st, RDF.object)
    }
    for node, match in kg.subject_objects(SKOS.exactMatch):
        if not str(node).startswith(ID_BASE):
            continue
        records = [
            record
            for attestation in kg.objects(statements[node, match], KG.attestedBy)
            for record in kg.objects(attestation, KG.backgroundSource)
        ]
        assert records, (node, match)
        for record in records:
            (source,) = kg.objects(record, DCTERMS.source)
            assert isinstance(source, URIRef) and PERMALINK.match(str(source)), record
            assert (record, RDF.type, KG.BackgroundSource) in kg
        # Nothing a report says stands behind an identifier.
        assert not list(kg.objects(statements[node, match], KG.attestedBy / KG.statedIn))
