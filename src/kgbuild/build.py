"""The build stage: ontology + data -> one graph, written to ``<out>/kg.ttl``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef

from kgbuild.load import LoadedData, load_data
from kgbuild.ontology import load_ontology
from kgbuild.serialize import write_turtle
from kgbuild.stats import Summary, summarize
from kgbuild.validate import ShapeViolations, ValidationReport, validate_inputs

__all__ = ["KG_FILE", "BuildResult", "ShapeViolations", "build", "load_inputs"]

KG_FILE = "kg.ttl"


@dataclass
class BuildResult:
    graph: Graph  # ontology + data
    ontology: Graph
    locations: dict[URIRef, tuple[Path, int]]  # data node -> (file, line) of its record
    output: Path  # the kg.ttl written
    summary: Summary
    validation: ValidationReport  # no violations; warnings and infos, if any


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
    """Load and check everything, validate it against the SHACL shapes (``ontology_dir/shapes``),
    then write ``out_dir/kg.ttl`` atomically.

    Nothing is written unless every check passes, so a failed build leaves the old output:
    InputError for unreadable input, DataErrors for the loader's checks, ShapeViolations (with
    the whole report) when the graph violates a shape. Warnings do not stop the build; they are
    in the result's ``validation`` report.
    """
    checked = validate_inputs(ontology_dir, data_dir)
    if not checked.report.conforms:
        raise ShapeViolations(checked.report)
    graph = checked.graph
    output = Path(out_dir) / KG_FILE
    write_turtle(graph, output)
    return BuildResult(
        graph,
        checked.ontology,
        checked.data.locations,
        output,
        summarize(graph),
        checked.report,
    )
