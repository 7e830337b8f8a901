"""The loader turns checked records into triples with pyoxigraph's JSON-LD processor; rdflib's
stays the reference: both must give the same triples for the real data and for every data
fixture of the shapes."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from rdflib import Graph

from conftest import ROOT
from kgbuild.load import data_files, load_context, read_records, to_triples

CONTEXT = load_context(ROOT / "data")
FIXTURES = sorted((ROOT / "tests" / "shapes").glob("*.yaml"))


def rdflib_triples(nodes: list) -> set:
    graph = Graph()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        graph.parse(
            data={"@context": CONTEXT.raw, "@graph": nodes}, format="json-ld", base=CONTEXT.base
        )
    return set(graph)


def test_the_real_data() -> None:
    nodes = [node for path in data_files(ROOT / "data") for node in read_records(path)]
    ours = to_triples(nodes, CONTEXT)
    assert len(ours) == len(set(ours)) > 1700
    assert set(ours) == rdflib_triples(nodes)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_every_fixture(path: Path) -> None:
    nodes = list(read_records(path))
    assert set(to_triples(nodes, CONTEXT)) == rdflib_triples(nodes)


def test_there_are_fixtures() -> None:
    assert len(FIXTURES) > 300
