"""The build stage: ontology + data -> one checked, reasoned graph, written to ``<out>/`` as
Turtle (kg.ttl, inferred.ttl, kg-closure.ttl), the other export formats and void.ttl."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef

from kgbuild.export import EXPORT_FORMATS, ExportResult, export_files
from kgbuild.load import LoadedData, load_data
from kgbuild.ontology import load_ontology
from kgbuild.reason import Reasoning, check_consistent, closure, reason
from kgbuild.serialize import atomic_write_bytes, serialize_turtle
from kgbuild.stats import Summary, summarize
from kgbuild.validate import (
    Locator,
    ShapeViolations,
    Validation,
    ValidationReport,
    validate_inputs,
)

__all__ = [
    "CLOSURE_FILE",
    "INFERRED_FILE",
    "KG_FILE",
    "BuildResult",
    "ReasonResult",
    "ShapeViolations",
    "build",
    "check_and_reason",
    "export",
    "load_inputs",
    "write_all",
    "reason_inputs",
]

KG_FILE = "kg.ttl"
INFERRED_FILE = "inferred.ttl"
CLOSURE_FILE = "kg-closure.ttl"

INFERRED_HEADER = (
    "# kgbuild {version}: the facts the OWL 2 RL closure of kg.ttl adds to it (owlrl), cleaned.\n"
    "# Generated file: edit the sources and run `kgbuild build` instead of editing this.\n"
)
CLOSURE_HEADER = (
    "# kgbuild {version}: kg.ttl together with inferred.ttl, for stores that do not reason.\n"
    "# Generated file: edit the sources and run `kgbuild build` instead of editing this.\n"
)


@dataclass
class BuildResult:
    graph: Graph  # ontology + data
    ontology: Graph
    locations: dict[URIRef, tuple[Path, int]]  # data node -> (file, line) of its record
    output: Path  # the kg.ttl written
    summary: Summary
    validation: ValidationReport  # no violations; warnings and infos, if any
    reasoning: Reasoning | None = None
    outputs: tuple[Path, ...] = ()  # every file written, kg.ttl first


@dataclass
class ReasonResult:
    graph: Graph  # ontology + data
    reasoning: Reasoning  # consistent
    outputs: tuple[Path, ...]  # inferred.ttl, kg-closure.ttl
    validation: ValidationReport


def load_inputs(
    ontology_dir: str | os.PathLike[str], data_dir: str | os.PathLike[str]
) -> tuple[Graph, LoadedData]:
    """Load the ontology, then the data checked against it."""
    ontology = load_ontology(ontology_dir)
    return ontology, load_data(data_dir, ontology)


def check_and_reason(
    ontology_dir: str | os.PathLike[str], data_dir: str | os.PathLike[str]
) -> tuple[Validation, Reasoning]:
    """Validate, then reason and check consistency; raises on any failure."""
    checked = validate_inputs(ontology_dir, data_dir)
    if not checked.report.conforms:
        raise ShapeViolations(checked.report)
    reasoning = reason(checked.graph)
    check_consistent(reasoning, Locator(checked.data.locations, ontology_dir))
    return checked, reasoning


def _reasoning_files(
    graph: Graph, reasoning: Reasoning, out_dir: str | os.PathLike[str]
) -> list[tuple[Path, bytes]]:
    from kgbuild import __version__

    out = Path(out_dir)
    return [
        (
            out / INFERRED_FILE,
            serialize_turtle(
                reasoning.inferred, header=INFERRED_HEADER.format(version=__version__)
            ),
        ),
        (
            out / CLOSURE_FILE,
            serialize_turtle(
                closure(graph, reasoning.inferred),
                header=CLOSURE_HEADER.format(version=__version__),
            ),
        ),
    ]


def write_all(files: list[tuple[Path, bytes]]) -> tuple[Path, ...]:
    # Everything is serialised before the first file is written, so a failure before this
    # point writes nothing; each file is replaced atomically.
    for path, data in files:
        atomic_write_bytes(path, data)
    return tuple(path for path, _ in files)


def reason_inputs(
    ontology_dir: str | os.PathLike[str],
    data_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
) -> ReasonResult:
    """Load, check and validate as ``build`` does, compute the OWL 2 RL closure, check it for
    inconsistencies (Inconsistency, exit 1) and write ``out_dir/inferred.ttl`` and
    ``out_dir/kg-closure.ttl`` atomically. ``kg.ttl`` is not written."""
    checked, reasoning = check_and_reason(ontology_dir, data_dir)
    outputs = write_all(_reasoning_files(checked.graph, reasoning, out_dir))
    return ReasonResult(checked.graph, reasoning, outputs, checked.report)


def build(
    ontology_dir: str | os.PathLike[str],
    data_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    formats: Iterable[str] = tuple(EXPORT_FORMATS),
) -> BuildResult:
    """Load and check everything, validate it against the SHACL shapes (``ontology_dir/shapes``),
    compute the OWL 2 RL closure and check it, then write to ``out_dir``, each file atomically:
    ``kg.ttl``, ``inferred.ttl``, ``kg-closure.ttl``, the other export ``formats`` (``kg.nt``,
    ``kg.jsonld``, ``kg.trig``; all by default) and ``void.ttl``.

    Nothing is written unless every check passes, so a failed build leaves the old output:
    InputError for unreadable input, DataErrors for the loader's checks, ShapeViolations (with
    the whole report) when the graph violates a shape, Inconsistency when the closure is
    inconsistent. Warnings do not stop the build; they are in the result's ``validation``
    report.
    """
    checked, reasoning = check_and_reason(ontology_dir, data_dir)
    graph = checked.graph
    reasoning_files = _reasoning_files(graph, reasoning, out_dir)
    exported = export_files(
        checked.ontology,
        graph,
        reasoning.inferred,
        data_dir,
        out_dir,
        {"turtle", *formats},
        also_written=[path.name for path, _ in reasoning_files],
    )
    # kg.ttl first: if the disk fails midway, the main product is the one most likely current.
    kg_file, *others = exported.files
    outputs = write_all([kg_file, *reasoning_files, *others])
    return BuildResult(
        graph,
        checked.ontology,
        checked.data.locations,
        kg_file[0],
        summarize(graph),
        checked.report,
        reasoning,
        outputs,
    )


def export(
    ontology_dir: str | os.PathLike[str],
    data_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    formats: Iterable[str] = tuple(EXPORT_FORMATS),
    endpoint: str | None = None,
) -> ExportResult:
    """Check, validate and reason as ``build`` does (the same errors, nothing written on
    failure), then write only the chosen ``formats`` (names of EXPORT_FORMATS) and
    ``void.ttl`` to ``out_dir``, each atomically; ``endpoint`` goes into the description."""
    checked, reasoning = check_and_reason(ontology_dir, data_dir)
    exported = export_files(
        checked.ontology, checked.graph, reasoning.inferred, data_dir, out_dir, formats, endpoint
    )
    exported.outputs = write_all(exported.files)
    return exported
