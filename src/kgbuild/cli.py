"""The ``kgbuild`` command line: a thin layer over the stages, the only place that prints."""

from __future__ import annotations

import difflib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from kgbuild import __version__
from kgbuild.dist_files import CLOSURE_FILE, EXPORT_FORMATS, KG_FILE
from kgbuild.errors import InputError, KgbuildError, display_path, excerpt

if TYPE_CHECKING:
    from kgbuild.query import StoredQuery
    from kgbuild.validate import ValidationReport

# The stages are imported by the commands that use them: a query should not pay for loading
# the SHACL and OWL libraries it never calls.
ENGINES = ("oxigraph", "rdflib")  # kgbuild.query.ENGINES
QUERY_FORMATS = ("table", "csv", "tsv", "json")  # kgbuild.query.FORMATS
DEFAULT_TIMEOUT = 30.0  # kgbuild.query.DEFAULT_TIMEOUT

__all__ = ["cli", "main"]

F = TypeVar("F", bound=Callable[..., Any])

OVERVIEW = """\
Build a knowledge graph from an OWL ontology and YAML-LD data.

kgbuild reads the ontology (ontology/*.ttl, Turtle) and the data (data/**/*.yaml: JSON-LD
written as YAML, sharing data/context.jsonld), checks every record against the context and the
ontology, validates the graph against the SHACL shapes (ontology/shapes/*.ttl), reasons over it
(OWL 2 RL) and writes it to dist/: kg.ttl, inferred.ttl, kg-closure.ttl, kg.nt, kg.jsonld,
kg.trig and void.ttl, each deterministic. Problems are reported one per line as FILE:LINE: what
is wrong; how to fix it. Only push, serve and query --endpoint use the network, and only the
address you give them.
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
            _print_error(exc)
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


BUILD_EPILOG = """\b
Files (in OUT):
  kg.ttl          Turtle: the ontology and every asserted fact
  inferred.ttl    the triples OWL 2 RL reasoning adds (see `kgbuild reason --help`)
  kg-closure.ttl  kg.ttl + inferred.ttl, for stores that do not reason
  kg.nt           N-Triples of kg.ttl, lines sorted      (--format ntriples)
  kg.jsonld       JSON-LD of kg.ttl, the project context  (--format jsonld)
  kg.trig         TriG: one named graph each for the ontology, the data, the
                  inferred triples, each source document, the description (--format trig)
  void.ttl        VoID / DCAT description of the dataset
  index.sqlite    for kgbuild itself: proofs, names, record locations
  store/          for kgbuild itself: an Oxigraph database of kg-closure.ttl and kg.ttl
  manifest.json   the hashes of every input and output, written last

"""


@cli.command("build", epilog=BUILD_EPILOG + EXIT_CODES)
@input_options
@click.option(
    "--format",
    "-f",
    "formats",
    type=click.Choice([*(f for f in EXPORT_FORMATS if f != "turtle"), "all", "none"]),
    multiple=True,
    default=("all",),
    show_default=True,
    help="Which of the other serialisations to write besides the Turtle files and void.ttl; "
    "repeat for several.",
)
@click.option(
    "--timings",
    is_flag=True,
    default=False,
    help="Print the wall and CPU seconds of each stage, and the peak memory so far, on stderr.",
)
def build_command(
    data_dir: Path,
    ontology_dir: Path,
    out_dir: Path,
    quiet: bool,
    formats: tuple[str, ...],
    timings: bool,
) -> None:
    """Check, validate and reason over the data, then write the graph to OUT.

    Every problem in the data is reported. The graph is validated against the SHACL shapes in
    ONTOLOGY/shapes/ and checked for inconsistencies before anything is written: on a
    violation the report is printed and nothing is written, so the files of the last good
    build are kept as they were. Warnings are printed (not with --quiet) and the build goes
    on. Every file is deterministic: the same inputs give the same bytes.
    """
    from kgbuild.build import build, format_timings
    from kgbuild.stats import format_summary
    from kgbuild.validate import ShapeViolations, format_report

    chosen = set(EXPORT_FORMATS) if "all" in formats else set(formats) - {"none"}
    try:
        result = build(ontology_dir, data_dir, out_dir, chosen)
    except ShapeViolations as exc:
        # The report first (violations only with --quiet), then the error line.
        click.echo(format_report(exc.report, violations_only=quiet), err=True)
        raise
    if not quiet:
        if result.validation.results:
            click.echo(format_report(result.validation), err=True)
        for note in _reference_notes(result.validation, result.reasoning):
            click.echo(f"kgbuild: note: {note}", err=True)
        click.echo(format_summary(result.summary))
        for path in result.outputs:
            click.echo(f"Wrote {display_path(path)}")
    if timings and result.timings:
        click.echo(format_timings(result.timings), err=True)


def _reference_notes(validation: Any, reasoning: Any) -> list[str]:
    """Why a slower reference engine had to run, if one did."""
    notes = []
    if validation.engine == "pyshacl" and validation.reference_reasons:
        why = validation.reference_reasons[0]
        notes.append(f"validated with pySHACL, not kgbuild's SHACL engine: {why}")
    if reasoning.engine == "owlrl" and reasoning.reference_reasons:
        notes.append(f"reasoned with owlrl, not kgbuild's rules: {reasoning.reference_reasons[0]}")
    return notes


@cli.command("reason", epilog=EXIT_CODES)
@input_options
def reason_command(data_dir: Path, ontology_dir: Path, out_dir: Path, quiet: bool) -> None:
    """Compute the OWL 2 RL closure and write OUT/inferred.ttl and OUT/kg-closure.ttl.

    Loads, checks and validates ONTOLOGY/*.ttl and DATA/**/*.yaml as build does, runs the
    OWL 2 RL rules over ontology + data (kgbuild's rule engine; owlrl, the reference, where the
    graph needs what the engine lacks, as the output says) and checks the result for
    inconsistencies (a
    node in two disjoint classes, a member of owl:Nothing, a functional property with two
    values, ...), each reported with the node's FILE:LINE. Then it writes inferred.ttl (only
    the triples the reasoner added, cleaned of literal subjects, x owl:sameAs x, statements
    about the RDF/RDFS/OWL/XSD vocabularies and literal typing) and kg-closure.ttl (the graph
    of kg.ttl plus inferred.ttl, for stores that do not reason). kg.ttl itself is written by
    build, which does all this too. Nothing is written when a check fails.
    """
    from kgbuild.build import reason_inputs
    from kgbuild.reason import format_reasoning
    from kgbuild.validate import ShapeViolations, format_report

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
  0  no shape is violated (warnings and infos allowed)
  1  a shape is violated, or the data fail a check
  2  bad usage or unreadable input (shapes included)
The turtle and json reports give SHACL's sh:conforms: false with any result, a warning too.
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
    graph against the shapes in ONTOLOGY/shapes/*.ttl. Violations are errors; warnings and
    infos are reported and exit 0. Nothing is built or written (except --output).
    With --quiet the text report lists only the violations, with no summary line.
    """
    from kgbuild.serialize import atomic_write_bytes
    from kgbuild.validate import summary_line, validate_inputs

    del out_dir  # shared option; validate builds nothing
    report = validate_inputs(ontology_dir, data_dir).report
    if not quiet and report.engine == "pyshacl" and report.reference_reasons:
        why = report.reference_reasons[0]
        click.echo(
            f"kgbuild: note: validated with pySHACL, not kgbuild's SHACL engine: {why}", err=True
        )
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
    from kgbuild.validate import format_report, report_json, report_turtle

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
    """Summarise the graph built last (OUT/kg.ttl), as build did."""
    from kgbuild.dist import open_build
    from kgbuild.stats import format_summary, summary_from_dict

    summary = summary_from_dict(open_build(out_dir).summary)  # the same errors as for a query
    if not quiet:
        click.echo(format_summary(summary))


QUERY_EXIT_CODES = """\b
Exit codes:
  0  success (also when the query has no rows)
  1  the query failed while running: stopped at --timeout, an engine error, or
     an --endpoint that cannot be reached or answers with an error
  2  bad usage or unreadable input, found before anything runs: unknown query or
     parameter, missing required parameter, malformed value, unknown or ambiguous
     name, invalid SPARQL, an update / SERVICE / FROM, no usable build in OUT
     (none, unfinished, changed, or older than its inputs: run kgbuild build)
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


SITE_EPILOG = """\b
Files (in SITE, by default OUT/site):
  index.html           what the graph covers, its reports, counts, every node
  id/KIND/SLUG.html    a page per node, at its IRI's path (reports: an anchor
                       #p-N per paragraph, what each states, agreements, disputes)
  timeline.html, map.html, figures.html   the charts, as inline SVG
  ontology/            the ontology's documentation and class diagram
  queries/             every stored query, its SPARQL and its results
  style.css            the one stylesheet
A later `kgbuild build` into OUT removes OUT/site: it describes the old build.

\b
Exit codes:
  0  success
  2  bad usage or unreadable input: no usable build in OUT (none, unfinished,
     changed, or older than its inputs: run kgbuild build), or SITE holds files
     kgbuild did not write
"""


@cli.command("site", epilog=SITE_EPILOG)
@out_option
@click.option(
    "--site",
    "site_dir",
    type=click.Path(path_type=Path),
    default=None,
    metavar="DIR",
    help="Where to write the site (default: OUT/site); replaced as a whole.",
)
@queries_option
@quiet_option
def site_command(out_dir: Path, site_dir: Path | None, queries_dir: Path, quiet: bool) -> None:
    """Write a static web site of the build in OUT: works from disk, no network."""
    from kgbuild.site import write_site

    result = write_site(out_dir, site_dir, queries_dir)
    if not quiet:
        click.echo(f"Wrote {result.pages} pages to {display_path(result.site)}/")


@cli.command("queries", epilog=QUERY_EXIT_CODES)
@queries_option
@click.argument("name", required=False)
def queries_command(queries_dir: Path, name: str | None) -> None:
    """List the stored queries with their summaries and parameters.

    With NAME, show that query in full: its description, parameters, tags and file. A
    parameter is written NAME:TYPE, with a ? when it is optional; run one with
    `kgbuild query NAME --param NAME=VALUE ...`.
    """
    from kgbuild.query import format_query_detail, format_query_list, load_queries

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
        f"no stored query named '{excerpt(name)}' in '{display_path(queries_dir)}'",
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
Values are bound by the engine, never pasted into the query text; with
--endpoint they go in a VALUES block of escaped terms at the start of WHERE.

\b
Queries are read-only: updates (INSERT, DELETE, LOAD, CLEAR, DROP, ...) are
refused before running. A local run is offline: SERVICE and FROM / FROM NAMED
are refused too. With --endpoint they are passed on to the server, and
--timeout bounds each HTTP request.

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
    default="oxigraph",
    show_default=True,
    help="SPARQL engine: oxigraph (the build's store) or rdflib (the reference).",
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
@click.option(
    "--endpoint",
    default=None,
    metavar="URL",
    help="Run the query on this SPARQL 1.1 endpoint (Oxigraph .../query, Fuseki "
    ".../DATASET/sparql, GraphDB .../repositories/REPO, Virtuoso .../sparql) instead of "
    "OUT/kg.ttl; user:password@ in the URL is sent as basic authentication.",
)
@out_option
@queries_option
@click.pass_context
def query_command(
    ctx: click.Context,
    name: str | None,
    query_file: Path | None,
    param_values: tuple[str, ...],
    fmt: str,
    engine: str,
    asserted_only: bool,
    timeout: float,
    endpoint: str | None,
    out_dir: Path,
    queries_dir: Path,
) -> None:
    """Run the stored query NAME (or --file FILE) over the build in OUT and print the results.

    The graph is the one `kgbuild build` wrote: OUT/kg-closure.ttl, the asserted facts with
    those the ontology lets a reasoner infer (OWL 2 RL), or OUT/kg.ttl alone with
    --asserted-only or for a stored query whose header says `inferred: false` (it gives the
    same rows either way). Nothing is reasoned here; a build that is missing or older than its
    inputs is an error. The oxigraph engine reads the build's store (OUT/store), the rdflib
    engine parses the Turtle file.

    With --endpoint URL the query runs on that server instead, with the same parameters and
    output formats: names are looked up in what the server holds, and the values are bound
    in a VALUES block. The server answers from the triples it holds (load kg-closure.ttl, or
    let the store reason, to have the inferred facts).
    """
    if (name is None) == (query_file is None):
        raise InputError(
            "give the name of a stored query or --file FILE (not both)",
            hint="`kgbuild queries` lists the stored queries",
        )
    from kgbuild.query import (
        can_supervise,
        check_params,
        check_read_only,
        format_results,
        load_dataset,
        load_queries,
        read_query_file,
        run_query,
        run_supervised,
    )

    params = _parse_params(param_values)
    if query_file is not None:
        query = read_query_file(query_file)
        inferred = not asserted_only
    else:
        assert name is not None
        query = _pick_query(load_queries(queries_dir), name, queries_dir)
        inferred = query.inferred and not asserted_only
    if endpoint is not None:
        for option in ("engine", "asserted_only"):
            if ctx.get_parameter_source(option) != click.core.ParameterSource.DEFAULT:
                raise InputError(
                    f"--{option.replace('_', '-')} applies to local runs, not with --endpoint",
                    hint="the server decides how it runs the query and which triples it holds",
                )
        from kgbuild.remote import run_remote_query

        if query.asserted_only:
            click.echo(
                f"kgbuild: note: {query.name} reads the asserted facts only; if the server also "
                "holds inferred triples (kg-closure.ttl, or its own reasoning), it shows them as "
                "stated: load kg.ttl there for this query",
                err=True,
            )
        result = run_remote_query(query, endpoint, params, timeout)
        click.echo(format_results(result, fmt).encode("utf-8"), nl=False)
        return

    def answer(limit: float | None) -> None:
        # Everything that can fail cheaply is checked before the build is read. Checking
        # parses the query, which a hostile one can make slow: it is bounded with the rest.
        check_read_only(query.text, query.where)
        check_params(query, params)
        dataset = load_dataset(out_dir, inferred=inferred)
        result = run_query(query, dataset, params, engine=engine, timeout=limit)
        # As UTF-8 bytes, so CSV keeps its CRLF line ends and no locale changes the encoding.
        click.echo(format_results(result, fmt).encode("utf-8"), nl=False)

    if can_supervise():
        # The whole answer (reading the build, running, printing) in a child process that is
        # stopped at the deadline: nothing is copied back, and --timeout covers it all.
        code = run_supervised(lambda: answer(None), timeout, query.where, _print_error)
        if code:
            raise click.exceptions.Exit(code)
    else:
        answer(timeout)  # in-process callers (tests): the query alone runs in a worker


def _print_error(exc: KgbuildError) -> None:
    for line in exc.lines():
        click.echo(f"kgbuild: error: {line}", err=True)


def _parse_params(values: tuple[str, ...]) -> dict[str, str]:
    params: dict[str, str] = {}
    for value in values:
        name, sep, text = value.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InputError(
                f"--param '{excerpt(value)}' is not NAME=VALUE", hint="e.g. --param date=2020-11-24"
            )
        if name in params:
            raise InputError(
                f"--param '{excerpt(name)}' is given twice", hint="give each parameter once"
            )
        params[name] = text
    return params


PUSH_EPILOG = """\b
Graph Store endpoints (--endpoint):
  Oxigraph    http://HOST:7878/store
  Jena Fuseki http://HOST:3030/DATASET/data
  GraphDB     http://HOST:7200/repositories/REPO/rdf-graphs/service
For these the update endpoint is derived (Oxigraph /update, Fuseki /DATASET/update,
GraphDB /repositories/REPO/statements); for others give --update-endpoint.

\b
No partial graph: the file is first stored in a staging graph
(<https://w3id.org/kgbuild/graph/staging/...>), then moved into place by one
SPARQL Update (MOVE to replace, ADD and DROP with --add), so the target graph is
either the old one or the new one. On a failure the message says what the
server holds. Without an update endpoint the file goes straight to the target.

\b
The target graph is replaced by default, so pushing the same build twice leaves
the same graph. --add adds to it instead: the ontology's OWL restrictions and
lists are blank nodes, new ones in every upload, so adding a file twice holds
them twice.

\b
Exit codes:
  0  pushed
  1  the endpoint could not be reached, refused, or failed
  2  bad usage or unreadable input (no usable build in OUT, a malformed URL)
"""


@cli.command("push", epilog=PUSH_EPILOG)
@click.option(
    "--endpoint",
    required=True,
    metavar="URL",
    help="The store's SPARQL 1.1 Graph Store Protocol endpoint (see below).",
)
@click.option(
    "--graph",
    default=None,
    metavar="IRI",
    help="The named graph to write; the store's default graph when left out.",
)
@click.option(
    "--replace/--add",
    "replace",
    default=True,
    show_default=True,
    help="Replace what the graph holds (HTTP PUT semantics), or add the triples to it (POST "
    "semantics; blank nodes are new ones in every upload).",
)
@click.option(
    "--asserted-only",
    is_flag=True,
    default=False,
    help="Push OUT/kg.ttl (for stores that reason themselves) instead of OUT/kg-closure.ttl.",
)
@click.option(
    "--file",
    "push_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    metavar="FILE",
    help="Push this file instead (.ttl, .nt, .rdf or .jsonld).",
)
@click.option(
    "--update-endpoint",
    default=None,
    metavar="URL",
    help="The store's SPARQL Update endpoint, for stores whose layout kgbuild does not know.",
)
@click.option(
    "--direct",
    is_flag=True,
    default=False,
    help="Send the file straight to the target graph, without staging (for a store without "
    "an update endpoint, or an account without update rights). A failure midway may leave "
    "part of it there; the message then says what the graph holds.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=300.0,
    show_default=True,
    metavar="SECONDS",
    help="Give up on a request the server has not answered after this long.",
)
@out_option
@quiet_option
def push_command(
    endpoint: str,
    graph: str | None,
    replace: bool,
    asserted_only: bool,
    push_file: Path | None,
    update_endpoint: str | None,
    direct: bool,
    timeout: float,
    out_dir: Path,
    quiet: bool,
) -> None:
    """Send the built graph to a triple store through the SPARQL 1.1 Graph Store Protocol.

    By default it sends OUT/kg-closure.ttl (asserted and inferred facts, for stores that do
    not reason), or OUT/kg.ttl with --asserted-only, and replaces what the target graph holds
    (--add adds to it). A progress bar shows the upload on a terminal.
    """
    from kgbuild.remote import push, safe_url

    data = None
    if push_file is not None and asserted_only:
        raise InputError("give --file or --asserted-only, not both")
    if direct and update_endpoint is not None:
        raise InputError("give --direct or --update-endpoint, not both")
    if graph is not None:
        from urllib.parse import urlsplit

        if not urlsplit(graph).scheme:
            raise InputError(
                f"--graph '{excerpt(graph)}' is not an absolute IRI",
                hint="e.g. --graph https://w3id.org/kgbuild/graph/kg",
            )
    path = push_file or out_dir / (KG_FILE if asserted_only else CLOSURE_FILE)
    if push_file is None:
        from kgbuild.dist import open_build

        # A missing, incomplete or out-of-date build is not pushed; the file is read from the
        # build as opened, so a build switched in meanwhile cannot change it.
        data = open_build(out_dir).read(path.name)
    size = len(data) if data is not None else path.stat().st_size if path.is_file() else 0
    if quiet or not sys.stderr.isatty():
        result = push(path, endpoint, graph, replace, update_endpoint, timeout, None, direct, data)
    else:
        # On stderr, so that stdout carries only the result line.
        with click.progressbar(
            length=size, label=f"Pushing {display_path(path)}", file=sys.stderr, show_eta=False
        ) as bar:
            result = push(
                path, endpoint, graph, replace, update_endpoint, timeout, bar.update, direct, data
            )
    if not quiet:
        target = "the default graph" if result.graph is None else f"<{result.graph}>"
        how = "replaced" if replace else "added to"
        staged = (
            f" (staged in <{result.staging}>, moved with {safe_url(result.update_endpoint)})"
            if result.staging and result.update_endpoint
            else ""
        )
        click.echo(
            f"Pushed {result.triples:,} triples ({result.size:,} bytes): {how} {target} at "
            f"{safe_url(result.endpoint)}{staged}"
        )


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
     name, no usable build in OUT
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
def explain_command(statement: tuple[str, ...], fmt: str, out_dir: Path) -> None:
    """Say why a triple holds in the build in OUT: asserted, or inferred by which OWL 2 RL
    rule.

    For an inferred triple, prints the proof: the rule and the premises it was applied to,
    each proved in turn down to asserted triples, with the file and line of the ontology or
    data that state them. The proofs are those the build recorded when it reasoned
    (OUT/index.sqlite): nothing is reasoned again.
    """
    import json

    from kgbuild.explain import explain_statement, format_proof, proof_json

    proof = explain_statement(statement, out_dir)
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
    from kgbuild.remote import check_url

    if value is not None:
        try:
            check_url(value)
        except InputError as exc:
            raise click.BadParameter(exc.message, ctx=ctx, param=param) from None
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
    from kgbuild.build import export
    from kgbuild.validate import ShapeViolations, format_report

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


SERVE_EPILOG = """\b
Routes (nothing ever changes the graph):
  GET|POST /sparql  SPARQL 1.1 Protocol queries (also at /query): query=... in
                    the URL or a form, or an application/sparql-query body;
                    default-graph-uri / named-graph-uri honoured. Without a
                    query, GET returns the service description (Turtle).
  GET /             a page with a query form
  /update           refused (403), as is an update sent to /sparql; a query
                    with SERVICE is refused (400): nothing goes to the network

\b
Results, by the Accept header or format=NAME (which wins):
  SELECT, ASK           json (default), xml, csv, tsv
  CONSTRUCT, DESCRIBE   turtle (default), ntriples, rdfxml, jsonld

\b
Limits (each refusal is one line of text/plain):
  Each query is parsed and run in a worker process of its own, stopped when
  its client hangs up. Over the limits a client gets:
  400  a query nested over 100 levels (brackets, ! and ^), or one that
       crashes the parser
  503  the query ran over --timeout, or every worker stayed busy that long
  500  the answer has more than --max-rows rows (triples for CONSTRUCT)
  503  more than 64 connections wait for one of 4 x --workers threads

\b
Exit codes:
  0  stopped with Ctrl-C or SIGTERM
  2  bad usage or unreadable input: no usable build in OUT,
     the address cannot be used (port in use, unknown host)
"""


@cli.command("serve", epilog=SERVE_EPILOG)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    metavar="HOST",
    help="Address to listen on. Any but a loopback address makes the endpoint reachable "
    "from other machines (a warning says so).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=7878,
    show_default=True,
    metavar="PORT",
    help="Port to listen on; 0 picks a free one.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="Stop a query after this long and answer 503.",
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    default=100_000,
    show_default=True,
    metavar="N",
    help="Answer 500 instead of a result with more rows (or triples) than this.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    metavar="N",
    help="Queries run at once, each in a process of its own; the others wait.",
)
@out_option
@quiet_option
def serve_command(
    host: str, port: int, timeout: float, max_rows: int, workers: int, out_dir: Path, quiet: bool
) -> None:
    """Serve the graph read-only over the SPARQL 1.1 Protocol until Ctrl-C.

    The default graph is OUT/kg-closure.ttl (ontology, data and inferred facts); the named
    graphs are those of OUT/kg.trig, when it exists, and their void graph also says where the
    endpoint is. Queries use the default graph (not the union); GRAPH reaches the named ones.
    Each request is logged as one line on stderr. With --quiet only the line with the endpoint
    URL is printed (and the warning, if any).
    """
    from kgbuild.serve import Limits, load_store, make_server, serve_until_stopped, start_message

    store, sources = load_store(out_dir)
    server = make_server(
        store,
        host,
        port,
        log=None if quiet else (lambda line: click.echo(line, err=True)),
        limits=Limits(timeout, max_rows, workers),
    )
    if not server.loopback:
        click.echo(
            f"kgbuild: warning: listening on {host}, so the endpoint is reachable from other "
            "machines (read-only, without access control)",
            err=True,
        )
    click.echo(start_message(server, sources))
    if not quiet:
        click.echo("Press Ctrl-C to stop.")
    serve_until_stopped(server)
    if not quiet:
        click.echo("Stopped.")


ADD_SOURCE_EPILOG = (
    """\b
A report copy is named NNN_outlet_YYYY-MM-DD.txt. It begins with a header of
'# key: value' lines (source, outlet, published, language) ended by a blank
line; paragraphs are the lines with text after it, counted from 1. A
republication is written 'outlet: AGENCY (republished by SITE)': the agency is the author of
the content, so the copy never counts as a second, independent source.

\b
Writes DATA/sources/NNN_outlet_YYYY-MM-DD.yaml (the document, the record of
its stored copy, one passage per paragraph with the SHA-256 of its text) and
adds the outlets the data lacks to DATA/outlets.yaml, each file atomically.
A report already in the data is checked instead: every recorded passage
must still match its paragraph. Then, per paragraph, the names of the graph
(labels and names in every language) it mentions are listed.

\b
Examples:
  kgbuild add-source ../shared/corpus/013_tass_2020-12-03.txt
  kgbuild add-source --check ../shared/corpus/*.txt ../shared/seeds/*.txt
"""
    + EXIT_CODES
)


@cli.command("add-source", epilog=ADD_SOURCE_EPILOG)
@click.argument("reports", nargs=-1, required=True, type=click.Path(path_type=Path))
@data_option
@ontology_option
@click.option(
    "--check",
    is_flag=True,
    help="Only check that the recorded passages of each report still match its text.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Write the source records again even if the report is already in the data.",
)
@click.option("--no-names", is_flag=True, help="Do not list the names each paragraph mentions.")
@quiet_option
def add_source_command(
    reports: tuple[Path, ...],
    data_dir: Path,
    ontology_dir: Path,
    check: bool,
    force: bool,
    no_names: bool,
    quiet: bool,
) -> None:
    """Add reports to DATA as source records, or check the ones already there."""
    from kgbuild.sources import add_reports

    names = not (no_names or quiet or check)
    for line in add_reports(list(reports), data_dir, ontology_dir, check, force, names):
        if not quiet:
            click.echo(line)


def main() -> None:
    """Console entry point."""
    cli(prog_name="kgbuild")
