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
from kgbuild.stats import format_summary, summarize

__all__ = ["cli", "main"]

F = TypeVar("F", bound=Callable[..., Any])

OVERVIEW = """\
Build a knowledge graph from an OWL ontology and YAML-LD data.

kgbuild reads the ontology (ontology/*.ttl, Turtle) and the data (data/**/*.yaml: JSON-LD
written as YAML, sharing data/context.jsonld), checks every record against the context and the
ontology, and writes the merged graph as deterministic Turtle to dist/kg.ttl. Problems are
reported one per line as FILE:LINE: what is wrong; how to fix it. It never uses the network.
"""

EXIT_CODES = """\b
Exit codes:
  0  success
  1  the data fail a check
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
    """Check the data and write OUT/kg.ttl (ontology + data).

    Every problem in the data is reported; nothing is written unless all checks pass, so an
    existing kg.ttl is kept as it was.
    """
    result = build(ontology_dir, data_dir, out_dir)
    if not quiet:
        click.echo(format_summary(result.summary))
        click.echo(f"Wrote {display_path(result.output)}")


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
