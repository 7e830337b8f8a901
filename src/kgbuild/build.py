"""The build stage: ontology + data -> one graph, written to ``<out>/kg.ttl``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef

from kgbuild.load import LoadedData, load_data
from kgbuild.namespaces import bind_prefixes
from kgbuild.ontology import load_ontology
from kgbuild.serialize import write_turtle
from kgbuild.stats import Summary, summarize

__all__ = ["KG_FILE", "BuildResult", "build", "load_inputs"]

KG_FILE = "kg.ttl"


@dataclass
class BuildResult:
    graph: Graph  # ontology + data
    ontology: Graph
    locations: dict[URIRef, tuple[Path, int]]  # data node -> (file, line) of its record
    output: Path  # the kg.ttl written
    summary: Summary


def load_inputs(
    ontology_dir: str | os.PathLike[str], data_dir: str | os.PathLike[str]
) -> tuple[Graph, LoadedData]:
    """Load the ontology, then the data checked against it."""
    ontology = load_ontology(ontology_dir)
    return ontology, load_data(data_dir, ontology)


def build(
    ontology_dir: str | os.PathLike[str],
    data_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
) -> BuildResult:
    """Load and check everything, then write ``out_dir/kg.ttl`` atomically.

    Nothing is written unless every check passes, so a failed build leaves the old output.
    """
    ontology, data = load_inputs(ontology_dir, data_dir)
    # The (small) ontology goes into the (possibly large) data graph rather than copying
    # the data into a new graph.
    graph = bind_prefixes(data.graph)
    graph += ontology
    output = Path(out_dir) / KG_FILE
    write_turtle(graph, output)
    return BuildResult(graph, ontology, data.locations, output, summarize(graph))
