"""The ``kgbuild`` command line: a thin layer over the stages, the only place that prints."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rdflib import Graph

from kgbuild import __version__
from kgbuild.build import KG_FILE, build
from kgbuild.errors import InputError, KgbuildError, display_path
from kgbuild.serialize import atomic_write_bytes
from kgbuild.stats import format_summary, summarize
from kgbuild.validate import (
    ShapeViolations,
    ValidationReport,
    format_report,
    report_json,
    report_turtle,
    summary_line,
    validate_inputs,
)

__all__ = ["cli", "main"]

F = TypeVar("F", bound=Callable[..., Any])

OVERVIEW = """\
Build a knowledge graph from an OWL ontology and YAML-LD data.

kgbuild reads the ontology (ontology/*.ttl, Turtle) and the data (data/**/*.yaml: JSON-LD
written as YAML, sharing data/context.jsonld), checks every record against the context and the
ontology, validates the graph against the SHACL shapes (ontology/shapes/*.ttl), and writes the
merged graph as deterministic Turtle to dist/kg.ttl. Problems are reported one per line as
FILE:LINE: what is wrong; how to fix it. It never uses the network.
"""

EXIT_CODES = """\b
Exit codes:
  0  success
  1  the data fail a check (or violate a SHACL shape)
  2  bad usage or unreadable input
"""


class KgbuildGroup(click.Group):
    """Turns KgbuildError into one-line messages on stderr and the error's exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KgbuildError as exc:
            for line in exc.lines():
                click.echo(f"kgbuild: error: {line}", err=True)
            ctx.exit(exc.exit_code)


# Shared options, so every command (build, stats, and later validate, reason, query, export,
# serve) spells them the same way.


def data_option(f: F) -> F:
    return click.option(
        "--data",
        "data_dir",
        type=click.Path(path_type=Path),
        default="data",
        show_default=True,
        metavar="DIR",
        help="Directory of the YAML-LD data files and context.jsonld.",
    )(f)


def ontology_option(f: F) -> F:
    return click.option(
        "--ontology",
        "ontology_dir",
        type=click.Path(path_type=Path),
        default="ontology",
        show_default=True,
        metavar="DIR",
        help="Directory of the ontology's *.ttl files.",
    )(f)


def out_option(f: F) -> F:
    return click.option(
        "--out",
        "out_dir",
        type=click.Path(path_type=Path),
        default="dist",
        show_default=True,
        metavar="DIR",
        help=f"Output directory (holds {KG_FILE}).",
    )(f)


def quiet_option(f: F) -> F:
    return click.option(
        "--quiet", "-q", is_flag=True, default=False, help="Print nothing but errors."
    )(f)


def input_options(f: F) -> F:
    """--data, --ontology, --out and --quiet."""
    return data_option(ontology_option(out_option(quiet_option(f))))


@click.group(
    cls=KgbuildGroup,
    help=OVERVIEW,
    epilog=EXIT_CODES,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, "--version", prog_name="kgbuild", message="%(prog)s %(version)s")
def cli() -> None:
    pass


@cli.command("build", epilog=EXIT_CODES)
@input_options
def build_command(data_dir: Path, ontology_dir: Path, out_dir: Path, quiet: bool) -> None:
    """Check and validate the data, then write OUT/kg.ttl (ontology + data).

    Every problem in the data is reported. The graph is validated against the SHACL shapes in
    ONTOLOGY/shapes/ before anything is written: on a violation the report is printed and
    nothing is written, so an existing kg.ttl is kept as it was. Warnings are printed (not with
    --quiet) and the build goes on.
    """
    try:
        result = build(ontology_dir, data_dir, out_dir)
    except ShapeViolations as exc:
        # The report first (violations only with --quiet), then the error line.
        click.echo(format_report(exc.report, violations_only=quiet), err=True)
        raise
    if not quiet:
        if result.validation.results:
            click.echo(format_report(result.validation), err=True)
        click.echo(format_summary(result.summary))
        click.echo(f"Wrote {display_path(result.output)}")


VALIDATE_EPILOG = """\b
Text output, one line per result, most severe first, then a summary:
  SEVERITY  NODE  PATH  MESSAGE  FILE:LINE
NODE and PATH are written as in dist/kg.ttl (<place/x>, kg:territory); FILE:LINE is the
record of a data node in data/ or the block of an ontology term in ontology/*.ttl (left
out when unknown).

\b
Exit codes:
  0  the graph conforms (warnings allowed)
  1  a shape is violated, or the data fail a check
  2  bad usage or unreadable input (shapes included)
"""

FORMATS = ("text", "turtle", "json")


@cli.command("validate", epilog=VALIDATE_EPILOG)
@data_option
@ontology_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default="dist",
    show_default=True,
    metavar="DIR",
    help="Accepted like on every command; validate writes nothing there.",
)
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text: aligned lines (see below); turtle / json: the W3C SHACL validation report "
    "graph as Turtle / JSON-LD (deterministic).",
)
@click.option(
    "--output",
    "-o",
    "output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    metavar="FILE",
    help="Write the report to FILE (atomically) instead of standard output.",
)
@quiet_option
def validate_command(
    data_dir: Path,
    ontology_dir: Path,
    out_dir: Path,
    fmt: str,
    output: Path | None,
    quiet: bool,
) -> None:
    """Validate the graph (ontology + data) against the SHACL shapes.

    Loads and checks ONTOLOGY/*.ttl and DATA/**/*.yaml as build does, and validates the
    graph against the shapes in ONTOLOGY/shapes/*.ttl. Violations are errors; warnings are
    reported but the graph still conforms. Nothing is built or written (except --output).
    With --quiet the text report lists only the violations, with no summary line.
    """
    del out_dir  # shared option; validate builds nothing
    report = validate_inputs(ontology_dir, data_dir).report
    data = _render(report, fmt, quiet)
    if output is not None:
        atomic_write_bytes(output, data, hint="choose another --output file")
        if not quiet:
            click.echo(summary_line(report))
            click.echo(f"Wrote {display_path(output)}")
    elif data:
        click.echo(data.decode("utf-8"), nl=False)
    if not report.conforms:
        raise click.exceptions.Exit(1)


def _render(report: ValidationReport, fmt: str, quiet: bool) -> bytes:
    if fmt == "turtle":
        return report_turtle(report)
    if fmt == "json":
        return report_json(report)
    text = format_report(report, violations_only=quiet)
    return (text + "\n").encode("utf-8") if text else b""


@cli.command(epilog=EXIT_CODES)
@out_option
@quiet_option
def stats(out_dir: Path, quiet: bool) -> None:
    """Summarise the graph built last (OUT/kg.ttl)."""
    path = out_dir / KG_FILE
    if not path.is_file():
        raise InputError(f"'{display_path(path)}' not found", hint="run `kgbuild build` first")
    graph = Graph()
    try:
        graph.parse(path, format="turtle")
    except Exception as exc:  # a damaged or foreign file: report it, no traceback
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InputError(
            f"cannot read '{display_path(path)}': {first}", hint="run `kgbuild build` again"
        ) from exc
    if not quiet:
        click.echo(format_summary(summarize(graph)))


def main() -> None:
    """Console entry point."""
    cli(prog_name="kgbuild")
