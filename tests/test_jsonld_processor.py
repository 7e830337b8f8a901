"""The loader turns checked records into triples with pyoxigraph's JSON-LD processor; rdflib's
stays the reference: both must give the same triples for the node objects the loader hands the
processor (the records flattened, without their source keys), for the real data and for every
data fixture of the shapes."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from rdflib import Graph

from conftest import ROOT
from kgbuild.load import check_data, load_context, read_records, to_triples
from kgbuild.ontology import load_ontology
from kgbuild.provenance import plan_records

CONTEXT = load_context(ROOT / "data")
FIXTURES = sorted((ROOT / "tests" / "shapes").glob("*.yaml"))
ONTOLOGY = load_ontology(ROOT / "ontology")


def flat_nodes(data_dir: Path) -> list:
    """The node objects the loader gives the JSON-LD processor."""
    flat, _ = plan_records(check_data(data_dir, ONTOLOGY).records, CONTEXT)
    return flat


def rdflib_triples(nodes: list) -> set:
    graph = Graph()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        graph.parse(
            data={"@context": CONTEXT.raw, "@graph": nodes}, format="json-ld", base=CONTEXT.base
        )
    return set(graph)


def test_the_real_data() -> None:
    nodes = flat_nodes(ROOT / "data")
    ours = to_triples(nodes, CONTEXT)
    assert len(ours) == len(set(ours)) > 4000
    assert set(ours) == rdflib_triples(nodes)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_every_fixture(path: Path) -> None:
    """The fixture's records flattened as the loader does (ids stay relative to the context's
    @base here, which both processors resolve the same way)."""
    nodes, _ = plan_records([(record, path) for record in read_records(path)], CONTEXT)
    assert set(to_triples(nodes, CONTEXT)) == rdflib_triples(nodes)


def test_there_are_fixtures() -> None:
    assert len(FIXTURES) > 300
