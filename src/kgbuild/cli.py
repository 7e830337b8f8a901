"""The ``kgbuild`` command line: a thin layer over the stages, the only place that prints."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rdflib import Graph

from kgbuild import __version__
from kgbuild.build import KG_FILE, build, reason_inputs
from kgbuild.errors import InputError, KgbuildError, display_path
from kgbuild.export import EXPORT_FORMATS, export
from kgbuild.query import (
    DEFAULT_TIMEOUT,
    ENGINES,
    StoredQuery,
    check_params,
    check_read_only,
    format_query_detail,
    format_query_list,
    format_results,
    load_dataset,
    load_queries,
    read_query_file,
    run_query,
)
from kgbuild.query import FORMATS as QUERY_FORMATS
from kgbuild.reason import format_reasoning
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
        for path in result.outputs:
            click.echo(f"Wrote {display_path(path)}")


@cli.command("reason", epilog=EXIT_CODES)
@input_options
def reason_command(data_dir: Path, ontology_dir: Path, out_dir: Path, quiet: bool) -> None:
    """Compute the OWL 2 RL closure and write OUT/inferred.ttl and OUT/kg-closure.ttl.

    Loads, checks and validates ONTOLOGY/*.ttl and DATA/**/*.yaml as build does, runs the
    OWL 2 RL rules (owlrl) over ontology + data and checks the result for inconsistencies (a
    node in two disjoint classes, a member of owl:Nothing, a functional property with two
    values, ...), each reported with the node's FILE:LINE. Then it writes inferred.ttl (only
    the triples the reasoner added, cleaned of literal subjects, x owl:sameAs x, statements
    about the RDF/RDFS/OWL/XSD vocabularies and literal typing) and kg-closure.ttl (the graph
    of kg.ttl plus inferred.ttl, for stores that do not reason). kg.ttl itself is written by
    build, which does all this too. Nothing is written when a check fails.
    """
    try:
        result = reason_inputs(ontology_dir, data_dir, out_dir)
    except ShapeViolations as exc:
        click.echo(format_report(exc.report, violations_only=True), err=True)
        raise
    if not quiet:
        click.echo(format_reasoning(result.reasoning))
        for path in result.outputs:
            click.echo(f"Wrote {display_path(path)}")


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


QUERY_EXIT_CODES = """\b
Exit codes:
  0  success (also when the query has no rows)
  1  the query failed while running: stopped at --timeout, or an engine error
  2  bad usage or unreadable input, found before anything runs: unknown query or
     parameter, missing required parameter, malformed value, unknown or ambiguous
     name, invalid SPARQL, an update / SERVICE / FROM, missing OUT/kg.ttl
"""


def queries_option(f: F) -> F:
    return click.option(
        "--queries",
        "queries_dir",
        type=click.Path(path_type=Path),
        default="queries",
        show_default=True,
        metavar="DIR",
        help="Directory of the stored queries (*.rq).",
    )(f)


@cli.command("queries", epilog=QUERY_EXIT_CODES)
@queries_option
@click.argument("name", required=False)
def queries_command(queries_dir: Path, name: str | None) -> None:
    """List the stored queries with their summaries and parameters.

    With NAME, show that query in full: its description, parameters, tags and file. A
    parameter is written NAME:TYPE, with a ? when it is optional; run one with
    `kgbuild query NAME --param NAME=VALUE ...`.
    """
    queries = load_queries(queries_dir)
    if name is None:
        click.echo(format_query_list(queries), nl=False)
        return
    click.echo(format_query_detail(_pick_query(queries, name, queries_dir)), nl=False)


def _pick_query(queries: dict[str, StoredQuery], name: str, queries_dir: Path) -> StoredQuery:
    if name in queries:
        return queries[name]
    close = difflib.get_close_matches(name, list(queries), 3, 0.6)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    raise InputError(
        f"no stored query named {name!r} in '{display_path(queries_dir)}'",
        hint=f"{hint}`kgbuild queries` lists them; --file FILE runs an ad-hoc query",
    )


QUERY_EPILOG = (
    """\b
Parameters (--param NAME=VALUE, repeatable; see `kgbuild queries NAME`):
  iri      <https://...>, <place/slug> (relative to the data base, as in kg.ttl),
           a prefixed name (kg:Completed, id:place/lachin-district), or a name:
           an rdfs:label or a place name, whole and case-insensitive
           ("Berdzor", "stepanakert", "Lachin District")
  date     YYYY-MM-DD (bound as xsd:date)
  integer  digits, e.g. 3;   string  the text as given
Values are bound by the engine, never pasted into the query text.

\b
Queries are read-only and offline: updates (INSERT, DELETE, LOAD, CLEAR,
DROP, ...), SERVICE and FROM / FROM NAMED are refused before running.

"""
    + QUERY_EXIT_CODES
)


@cli.command("query", epilog=QUERY_EPILOG)
@click.argument("name", required=False)
@click.option(
    "--file",
    "query_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    metavar="FILE",
    help="Run the ad-hoc query in FILE instead of a stored one (it may declare "
    "parameters in a #+ header).",
)
@click.option(
    "--param",
    "-p",
    "param_values",
    multiple=True,
    metavar="NAME=VALUE",
    help="A query parameter; repeat for several.",
)
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(QUERY_FORMATS),
    default="table",
    show_default=True,
    help="table: aligned columns, compact IRIs; csv / tsv / json: the W3C SPARQL 1.1 "
    "Query Results formats.",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="rdflib",
    show_default=True,
    help="SPARQL engine: rdflib (Python) or oxigraph (Rust).",
)
@click.option(
    "--asserted-only",
    is_flag=True,
    default=False,
    help="Query kg.ttl alone, without the inferred (OWL 2 RL) facts.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="Stop the query after this long (exit 1).",
)
@out_option
@queries_option
def query_command(
    name: str | None,
    query_file: Path | None,
    param_values: tuple[str, ...],
    fmt: str,
    engine: str,
    asserted_only: bool,
    timeout: float,
    out_dir: Path,
    queries_dir: Path,
) -> None:
    """Run the stored query NAME (or --file FILE) over OUT/kg.ttl and print the results.

    The graph includes the facts inferred from the ontology (OWL 2 RL), computed when the
    query runs, unless --asserted-only. A stored query whose header says `inferred: false`
    gets the same answer without them, so it skips that step and runs faster.
    """
    if (name is None) == (query_file is None):
        raise InputError(
            "give the name of a stored query or --file FILE (not both)",
            hint="`kgbuild queries` lists the stored queries",
        )
    params = _parse_params(param_values)
    if query_file is not None:
        query = read_query_file(query_file)
        inferred = not asserted_only
    else:
        assert name is not None
        query = _pick_query(load_queries(queries_dir), name, queries_dir)
        inferred = query.inferred and not asserted_only
    # Everything that can fail cheaply is checked before the graph is loaded and reasoned on.
    check_read_only(query.text, query.where)
    check_params(query, params)
    dataset = load_dataset(out_dir, inferred=inferred)
    result = run_query(query, dataset, params, engine=engine, timeout=timeout)
    # As UTF-8 bytes, so CSV keeps its CRLF line ends and no locale changes the encoding.
    click.echo(format_results(result, fmt).encode("utf-8"), nl=False)


def _parse_params(values: tuple[str, ...]) -> dict[str, str]:
    params: dict[str, str] = {}
    for value in values:
        name, sep, text = value.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InputError(
                f"--param {value!r} is not NAME=VALUE", hint="e.g. --param date=2020-11-24"
            )
        if name in params:
            raise InputError(f"--param {name!r} is given twice", hint="give each parameter once")
        params[name] = text
    return params


EXPLAIN_EPILOG = """\b
The triple is one argument, "SUBJECT PREDICATE OBJECT" (or three arguments), each
term an IRI (<https://...>, <place/slug>), a prefixed name (kg:partOf) or a name
(an rdfs:label or a place name, whole and case-insensitive); quote a name with
spaces inside the string: "\\"Lachin District\\" kg:partOf Azerbaijan". The
predicate may be `a` (rdf:type).

\b
Text output, one triple a line, premises indented under what they prove:
  TRIPLE  [asserted]  FILE:LINE     stated in ontology/*.ttl or data/*.yaml
  TRIPLE  [RULE]                    derived by the OWL 2 RL rule RULE (W3C name)
  TRIPLE  [owlrl]                   in owlrl's closure, no explanation available

\b
Exit codes:
  0  the triple holds (asserted or inferred)
  1  the triple is neither asserted nor inferred
  2  bad usage or unreadable input: malformed triple, unknown or ambiguous
     name, missing OUT/kg.ttl
"""


@cli.command("explain", epilog=EXPLAIN_EPILOG)
@click.argument("statement", nargs=-1, required=True)
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(("text", "json")),
    default="text",
    show_default=True,
    help="text: an indented proof tree; json: the same tree as nested objects.",
)
@out_option
@data_option
@ontology_option
def explain_command(
    statement: tuple[str, ...], fmt: str, out_dir: Path, data_dir: Path, ontology_dir: Path
) -> None:
    """Say why a triple holds in OUT/kg.ttl: asserted, or inferred by which OWL 2 RL rule.

    For an inferred triple, prints the proof: the rule and the premises it was applied to,
    each proved in turn down to asserted triples (with the file and line that state them,
    where DATA and ONTOLOGY still have them).
    """
    import json

    from kgbuild.explain import explain_statement, format_proof, proof_json

    proof = explain_statement(statement, out_dir, ontology_dir, data_dir)
    if fmt == "json":
        click.echo(json.dumps(proof_json(proof), ensure_ascii=False, indent=2))
    else:
        click.echo(format_proof(proof), nl=False)


EXPORT_EPILOG = """\b
Files (in OUT):
  kg.ttl     Turtle, as build writes it (ontology + data)
  kg.nt      N-Triples, one triple per line, lines sorted bytewise
  kg.jsonld  JSON-LD compacted with DATA/context.jsonld
  kg.trig    TriG: named graphs for the ontology, the data, the inferred triples, each
             source document and the dataset description
  void.ttl   the VoID / DCAT dataset description (always written)

\b
Exit codes:
  0  success
  1  the data fail a check (or violate a SHACL shape, or are inconsistent)
  2  bad usage, unreadable input or unwritable output
"""


def _endpoint(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from urllib.parse import urlsplit

    if value is not None:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise click.BadParameter(
                f"'{value}' is not an absolute http(s) URL", ctx=ctx, param=param
            )
    return value


@cli.command("export", epilog=EXPORT_EPILOG)
@input_options
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice([*EXPORT_FORMATS, "all"]),
    default="all",
    show_default=True,
    help="Which serialisation to write (void.ttl is written with each).",
)
@click.option(
    "--endpoint",
    default=None,
    metavar="URL",
    callback=_endpoint,
    help="SPARQL endpoint URL the data are served at; recorded in the dataset description "
    "(void:sparqlEndpoint, dcat:DataService). Absent by default.",
)
def export_command(
    data_dir: Path, ontology_dir: Path, out_dir: Path, quiet: bool, fmt: str, endpoint: str | None
) -> None:
    """Check, validate and reason as build does, then write the graph as Turtle, N-Triples,
    JSON-LD and/or TriG, with a VoID / DCAT dataset description.

    Every file is deterministic: the same inputs give the same bytes. Nothing is written when
    a check fails.
    """
    formats = tuple(EXPORT_FORMATS) if fmt == "all" else (fmt,)
    try:
        result = export(ontology_dir, data_dir, out_dir, formats, endpoint)
    except ShapeViolations as exc:
        click.echo(format_report(exc.report, violations_only=True), err=True)
        raise
    if not quiet:
        for name, count in result.counts.items():
            click.echo(f"{count:>6} triples in <{name}>")
        for path in result.outputs:
            click.echo(f"Wrote {display_path(path)}")


def main() -> None:
    """Console entry point."""
    cli(prog_name="kgbuild")
