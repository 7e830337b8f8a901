"""The validate stage: SHACL shapes over ontology + data, with pySHACL.

Violations mean wrong data and fail; warnings mean incomplete data and are reported only.
Every result is traced back to where a user can fix it: a data node to the ``file:line`` of its
YAML record (the loader's locations), an ontology term to the line of ``ontology/*.ttl`` that
starts its block. This module only computes and formats; the CLI prints.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyshacl
from rdflib import BNode, Graph, Literal, Node, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import RDF, SH
from rdflib.plugins.sparql import processor as sparql_processor

from kgbuild.errors import EXCERPT_CHARS, DataError, InputError, display_path, excerpt
from kgbuild.load import LoadedData, Triple, load_data
from kgbuild.namespaces import ID_BASE, bind_prefixes
from kgbuild.naming import REPORT_PREFIXES, Location, Locator, compact
from kgbuild.ontology import SHAPES_DIR, load_ontology, load_shapes, term_lines
from kgbuild.serialize import serialize_turtle

__all__ = [
    "REPORT_PREFIXES",
    "ShapeViolations",
    "Validation",
    "ValidationReport",
    "ValidationResult",
    "each_sparql_text_parsed_once",
    "format_report",
    "format_rows",
    "load_all",
    "report_json",
    "report_turtle",
    "summary_line",
    "validate_graph",
    "validate_inputs",
    "validate_loaded",
]

# Most severe first, for sorting and for the summary line.
SEVERITY_ORDER = {SH.Violation: 0, SH.Warning: 1, SH.Info: 2}
REPORT_HEADER = (
    "# kgbuild validation report: the W3C SHACL validation report of ontology/shapes/*.ttl\n"
    "# over the graph built from ontology/*.ttl and data/**/*.yaml.\n"
)
# Values longer than this are shortened in the text report.
MAX_VALUE_CHARS = 80


def _path_text(graph: Graph, path: Node | None, depth: int = 0) -> str:
    """A SHACL property path in SPARQL property path syntax: ``kg:a/kg:b``, ``^kg:p``..."""
    if path is None:
        return "-"
    if isinstance(path, URIRef):
        return compact(path)
    if depth > 10 or not isinstance(path, BNode):
        return compact(path)

    def sub(node: Node | None) -> str:
        text = _path_text(graph, node, depth + 1)
        return text if isinstance(node, URIRef) else f"({text})"

    if graph.value(path, RDF.first) is not None:  # a sequence
        return "/".join(sub(item) for item in graph.items(path))
    inverse = graph.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + sub(inverse)
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return "|".join(sub(item) for item in graph.items(alternatives))
    for predicate, mark in (
        (SH.zeroOrMorePath, "*"),
        (SH.oneOrMorePath, "+"),
        (SH.zeroOrOnePath, "?"),
    ):
        inner = graph.value(path, predicate)
        if inner is not None:
            return sub(inner) + mark
    return "[]"


_ID_IRI_RE = re.compile(
    r"<?" + re.escape(ID_BASE) + r"([A-Za-z0-9_~-][A-Za-z0-9._~-]*(?:/[A-Za-z0-9._~-]+)*)>?"
)


def _tidy_message(message: str, nodes: Iterable[Node | None]) -> str:
    """Messages name data nodes the way the Turtle does: ``<place/x>``, not the full IRI or
    pySHACL's ``id:place/x``."""
    text = " ".join(message.split())
    for node in nodes:
        if isinstance(node, URIRef) and str(node).startswith(ID_BASE):
            short = compact(node)
            text = re.sub(
                rf"(?<![\w/<]){re.escape('id:' + str(node)[len(ID_BASE) :])}(?![\w/])", short, text
            )
    text = _LITERAL_REPR_RE.sub(_literal_from_repr, text)
    return _ID_IRI_RE.sub(lambda m: f"<{m.group(1)}>", text)


# pySHACL's default messages show literals as Python reprs: Literal("1", datatype=xsd:date).
_LITERAL_REPR_RE = re.compile(
    r"Literal\((\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')"
    r"(?:, lang='([^']*)')?(?:, datatype=([^\s)]+))?\)"
)


def _literal_from_repr(m: re.Match[str]) -> str:
    text = m.group(1)[1:-1]
    if m.group(2):
        return f'"{text}"@{m.group(2)}'
    if m.group(3):
        return f'"{text}"^^{m.group(3)}'
    return f'"{text}"'


# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class ValidationResult:
    severity: URIRef  # sh:Violation, sh:Warning or sh:Info
    focus: Node
    path: Node | None
    value: Node | None
    message: str
    shape: Node | None
    component: Node | None
    path_text: str = "-"  # the path in SPARQL property path syntax, compact names
    location: Location | None = None  # where the focus node is written: data or ontology

    @property
    def severity_name(self) -> str:
        return str(self.severity).rsplit("#", 1)[-1]

    @property
    def where(self) -> str:
        """``data/places.yaml:12``, or '' when the focus node is written nowhere we know."""
        if self.location is None:
            return ""
        path, line = self.location
        return f"{display_path(path)}:{line}"

    def sort_key(self) -> tuple:
        return (
            SEVERITY_ORDER.get(self.severity, 3),
            str(self.focus),
            str(self.path_text),
            self.message,
            str(self.value or ""),
            str(self.shape if isinstance(self.shape, URIRef) else ""),
        )


@dataclass
class ValidationReport:
    results: list[ValidationResult]
    report_graph: Graph = field(repr=False)  # the W3C SHACL validation report
    engine: str = "pyshacl"  # which engine made it: "kgbuild" (shacl.py) or "pyshacl"
    reference_reasons: list[str] = field(default_factory=list)  # why pySHACL had to run

    @property
    def violations(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity == SH.Violation]

    @property
    def warnings(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity == SH.Warning]

    @property
    def infos(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity not in (SH.Violation, SH.Warning)]

    @property
    def conforms(self) -> bool:
        """True when there is no violation; warnings and infos are allowed. This decides the
        exit code and whether build writes; the report graph's sh:conforms is SHACL's own,
        false with any result (see ``w3c_conforms``)."""
        return not self.violations

    @property
    def w3c_conforms(self) -> bool:
        """SHACL 3.1: true only when there is no validation result of any severity."""
        return not self.results


class ShapeViolations(DataError):
    """The built graph violates the SHACL shapes; carries the whole report."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        violations = report.violations
        n = len(violations)
        first = violations[0] if violations else None
        where = first.location if first is not None and first.location else (None, None)
        message = f"the graph has {_plural(n, 'shape violation')}"
        if first is not None:
            message += f", the first in node {compact(first.focus)}"
        super().__init__(
            message,
            where[0],
            where[1],
            "fix the records listed above (or the shapes in ontology/shapes/) and build again; "
            "nothing was written",
        )


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


# --------------------------------------------------------------------------------------------
# Validation


def validate_graph(
    graph: Graph,
    shapes: Graph,
    locate: Callable[[Node | None], Location | None] | None = None,
    shapes_dir: str | os.PathLike[str] | None = None,
    engine: str | None = None,
    triples: Iterable[Triple] | None = None,
) -> ValidationReport:
    """Validate ``graph`` (ontology + data) against ``shapes``; or, when ``triples`` are given,
    the graph of ``triples`` (each once), with ``graph`` holding only the namespace bindings
    and the triples whose subject is a blank node (see ``shacl.validate``).

    No inference is run here: the ontology is part of the data graph, so ``sh:class`` sees the
    subclass hierarchy, and the shapes are written for asserted facts. ``locate`` maps a focus
    node to where it is written. Shapes that cannot be used raise InputError (about
    ``shapes_dir``).

    The engine is kgbuild's (``shacl.py``), which gives pySHACL's report one to two orders of
    magnitude faster, unless the shapes use something it does not implement or the data lead
    where it cannot be sure of pySHACL's answer: then pySHACL, the reference, runs. ``engine``
    "pyshacl" forces the reference. The report says which ran.
    """
    report_graph: Graph | None = None
    used = "pyshacl"
    reasons: list[str] = []
    if engine != "pyshacl":
        from kgbuild import shacl

        reasons = shacl.unsupported(shapes)
        if not reasons:
            try:
                _, report_graph = shacl.validate(graph, shapes, triples=triples)
                used = "kgbuild"
            except shacl.ShaclRuntimeError as exc:
                reasons = [str(exc)]
    if report_graph is None:
        if triples is not None:  # pySHACL needs the whole graph
            whole = bind_prefixes(Graph())
            whole.addN((s, p, o, whole) for s, p, o in triples)
            graph = whole
        if len(graph) > _SAMPLE_ABOVE:
            # Unusable shapes show when pySHACL first meets their focus nodes: on a sample
            # that has some of every kind, before a run over all the data.
            _validate_with_pyshacl(_sample(graph), shapes, shapes_dir)
        report_graph = _validate_with_pyshacl(graph, shapes, shapes_dir)
    bind_prefixes(report_graph)
    report_graph.bind("sh", SH, override=True, replace=True)
    _stabilise_messages(report_graph)
    _set_w3c_conforms(report_graph)
    results = [
        _result(report_graph, node, locate)
        for node in report_graph.subjects(RDF.type, SH.ValidationResult)
    ]
    results.sort(key=ValidationResult.sort_key)
    return ValidationReport(results, report_graph, used, reasons)


@contextlib.contextmanager
def each_sparql_text_parsed_once() -> Iterator[None]:
    """While active, rdflib parses and translates each distinct SPARQL text once.

    pySHACL hands rdflib the text of a SHACL-SPARQL constraint again for every focus node, and
    parsing it took most of pySHACL's time on kgbuild's shapes. A translated query can be
    evaluated again with other bindings (rdflib's own ``prepareQuery`` relies on that), so the
    answers are the same.
    """
    original = sparql_processor.SPARQLProcessor.query
    translated: dict[tuple, Any] = {}

    def query(self, query_object, initBindings=None, initNs=None, base=None, DEBUG=False):  # noqa: N803
        if isinstance(query_object, str):
            key = (query_object, base, tuple(sorted((initNs or {}).items())))
            if key not in translated:
                parsed = sparql_processor.parseQuery(query_object)
                translated[key] = sparql_processor.translateQuery(parsed, base, initNs)
            query_object = translated[key]
        return original(self, query_object, initBindings, initNs, base, DEBUG)

    sparql_processor.SPARQLProcessor.query = query
    try:
        yield
    finally:
        sparql_processor.SPARQLProcessor.query = original


# Data graphs larger than this are first validated as a sample (see _sample).
_SAMPLE_ABOVE = 5_000


def _sample(graph: Graph) -> Graph:
    """Part of ``graph`` on which SHACL shapes meet every kind of focus node: all triples
    about blank nodes and terms outside the data namespace (the ontology), and all triples
    about the first data node of each class and of each predicate."""
    chosen: set[Node] = set()
    first_of: set[object] = set()
    for s, p, o in graph:
        if not isinstance(s, URIRef) or not s.startswith(ID_BASE):
            continue
        for key in (p, o) if p == RDF.type else (p,):
            if key not in first_of:
                first_of.add(key)
                chosen.add(s)
    sample = bind_prefixes(Graph())
    sample.addN(
        (s, p, o, sample)
        for s, p, o in graph
        if s in chosen or not isinstance(s, URIRef) or not s.startswith(ID_BASE)
    )
    return sample


def _validate_with_pyshacl(
    graph: Graph, shapes: Graph, shapes_dir: str | os.PathLike[str] | None
) -> Graph:
    # pySHACL adds to the shapes graph it is given; a copy keeps the caller's as it was.
    shapes_copy = Graph()
    shapes_copy += shapes
    # Without SHACL rules nothing can change the data graph, so pySHACL need not copy it
    # (which takes longer than validating it).
    has_rules = (None, SH.rule, None) in shapes
    # pySHACL logs its errors to stderr itself; they are reported as one InputError instead.
    logging_was_disabled = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        with each_sparql_text_parsed_once():
            _, report_graph, _ = pyshacl.validate(
                graph,
                shacl_graph=shapes_copy,
                inference="none",
                advanced=True,  # SHACL-SPARQL targets and constraints
                allow_warnings=True,
                allow_infos=True,
                abort_on_first=False,
                meta_shacl=False,
                inplace=not has_rules,
            )
    except Exception as exc:  # pySHACL raises assorted types for unusable shapes
        raise _unusable_shapes(exc, shapes_dir, shapes) from exc
    finally:
        logging.disable(logging_was_disabled)
    if not isinstance(report_graph, Graph):
        # pySHACL returns some failures (a ValidationFailure) instead of raising them.
        raise _unusable_shapes(report_graph, shapes_dir, shapes)
    return report_graph


# pySHACL writes the values of sh:in as a Python list in set order, which varies by process.
_PY_LIST_RE = re.compile(r"\[('(?:[^'\\]|\\.)*'(?:, '(?:[^'\\]|\\.)*')+)\]")
_PY_ITEM_RE = re.compile(r"'(?:[^'\\]|\\.)*'")


def _stabilise_messages(report: Graph) -> None:
    """Sort the lists that pySHACL's messages show in random order, so that the same inputs
    always give the same report."""

    def sort_list(m: re.Match[str]) -> str:
        return "[" + ", ".join(sorted(_PY_ITEM_RE.findall(m.group(1)))) + "]"

    for node, message in list(report.subject_objects(SH.resultMessage)):
        if not isinstance(message, Literal):
            continue
        nodes = (report.value(node, SH.focusNode), report.value(node, SH.value))
        text = _tidy_message(_PY_LIST_RE.sub(sort_list, str(message)), nodes)
        if text != str(message):
            report.remove((node, SH.resultMessage, message))
            report.add(
                (
                    node,
                    SH.resultMessage,
                    Literal(text, lang=message.language, datatype=message.datatype),
                )
            )


def _set_w3c_conforms(report: Graph) -> None:
    """Make the report's sh:conforms SHACL's (false with any result). Both engines say true
    when the only results are warnings or infos, as pySHACL does with allow_warnings and
    allow_infos, and the differential tests keep them equal to each other on that."""
    conforms = Literal(not any(report.subjects(RDF.type, SH.ValidationResult)))
    for root in list(report.subjects(RDF.type, SH.ValidationReport)):
        report.set((root, SH.conforms, conforms))


def _unusable_shapes(
    problem: object, shapes_dir: str | os.PathLike[str] | None, shapes: Graph | None = None
) -> InputError:
    text = str(problem).strip() or type(problem).__name__
    first = " ".join(text.split("\n", 1)[0].split()).rstrip(".")
    path: str | os.PathLike[str] | None = shapes_dir
    line = None
    if shapes is not None and shapes_dir is not None:
        found = _locate_bad_query(shapes, Path(shapes_dir))
        if found is not None:
            path, line, first = found
        elif (where := _locate_failing_shape(problem, shapes, Path(shapes_dir))) is not None:
            path, line = where
    return InputError(
        f"the SHACL shapes cannot be used: {excerpt(first, 4 * EXCERPT_CHARS)}",
        path,
        line,
        "fix the shapes in ontology/shapes/*.ttl",
    )


def _locate_bad_query(shapes: Graph, shapes_dir: Path) -> tuple[Path, int, str] | None:
    """The file, line and error of the first SHACL-SPARQL query that does not parse (pySHACL
    reports it with a line of the query it built, not of the file); None when all parse."""
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.parser import parseQuery

    queries = [
        (str(q), p)
        for p in (SH.select, SH.ask)
        for q in shapes.objects(None, p)
        if isinstance(q, Literal)
    ]
    for query, prop in sorted(queries):
        try:
            parseQuery(query)
        except ParseBaseException as exc:
            why = f"SPARQL syntax error in sh:{prop.removeprefix(str(SH))}: {exc.msg}"
            for path in sorted(shapes_dir.glob("*.ttl")):
                try:
                    text = path.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    continue
                at = text.find(query)  # the literal as written, unless it has escapes
                if at >= 0:
                    return path, text.count("\n", 0, at) + exc.lineno, why
            owner = next(shapes.subjects(prop, Literal(query)), None)
            where = _shape_line(shapes, owner, shapes_dir) if owner is not None else None
            if where is not None:
                return *where, why
        except Exception:  # only syntax errors are located here
            continue
    return None


def _locate_failing_shape(
    problem: object, shapes: Graph, shapes_dir: Path
) -> tuple[Path, int] | None:
    """Where the shape pySHACL was reading when it failed is written: pySHACL's errors do not
    name it, but the frames of the traceback hold it."""
    from pyshacl.shape import Shape

    tb = problem.__traceback__ if isinstance(problem, BaseException) else None
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for frame in reversed(frames):  # the innermost shape is the one at fault
        for name in ("shape", "self"):
            value = frame.f_locals.get(name)
            if isinstance(value, Shape):
                return _shape_line(shapes, value.node, shapes_dir)
    return None


def _shape_line(shapes: Graph, node: Node, shapes_dir: Path) -> tuple[Path, int] | None:
    """The file and line that start the block of ``node``, or of the named shape a blank node
    (a path, a SPARQL constraint) hangs under."""
    seen = set()
    while isinstance(node, BNode) and node not in seen:
        seen.add(node)
        node = next(shapes.subjects(None, node), None)
    if not isinstance(node, URIRef):
        return None
    for path in sorted(shapes_dir.glob("*.ttl")):
        line = term_lines(path).get(str(node))
        if line is not None:
            return path, line
    return None


def _message(report: Graph, node: Node) -> str:
    """The English message, else one without a language, else the first."""
    messages = list(report.objects(node, SH.resultMessage))

    def rank(m: Node) -> tuple[int, str]:
        lang = (m.language or "").lower() if isinstance(m, Literal) else ""
        order = 0 if lang == "en" or lang.startswith("en-") else 1 if not lang else 2
        return order, str(m)

    return str(min(messages, key=rank)) if messages else ""


def _result(
    report: Graph, node: Node, locate: Callable[[Node | None], Location | None] | None
) -> ValidationResult:
    focus = report.value(node, SH.focusNode)
    path = report.value(node, SH.resultPath)
    value = report.value(node, SH.value)
    component = report.value(node, SH.sourceConstraintComponent)
    message = _message(report, node)
    if not message:
        message = f"fails {compact(component)}"
    return ValidationResult(
        severity=report.value(node, SH.resultSeverity, default=SH.Violation),
        focus=focus,
        path=path,
        value=value,
        message=_tidy_message(message, (focus, value)),
        shape=report.value(node, SH.sourceShape),
        component=component,
        path_text=_path_text(report, path),
        location=locate(focus) if locate is not None else None,
    )


@dataclass
class Validation:
    """The graph as build would write it and its validation report."""

    ontology: Graph
    data: LoadedData
    report: ValidationReport

    @property
    def triples(self) -> list[Triple]:
        """Ontology + data."""
        return [*self.ontology, *self.data.triples]

    @property
    def graph(self) -> Graph:
        """Ontology + data as an rdflib graph (made on each call)."""
        return _merged(self.ontology, self.data)


def _merged(ontology: Graph, data: LoadedData) -> Graph:
    graph = bind_prefixes(Graph())
    graph.addN((s, p, o, graph) for s, p, o in ontology)
    graph.addN((s, p, o, graph) for s, p, o in data.triples)
    return graph


def load_all(
    ontology_dir: str | os.PathLike[str], data_dir: str | os.PathLike[str]
) -> tuple[Graph, Graph, LoadedData]:
    """The ontology, the shapes and the data checked against the ontology. Shapes before data:
    a broken shapes file is reported without waiting for a large load."""
    ontology = load_ontology(ontology_dir)
    shapes = load_shapes(ontology_dir)
    return ontology, shapes, load_data(data_dir, ontology)


def validate_loaded(
    ontology: Graph, shapes: Graph, data: LoadedData, ontology_dir: str | os.PathLike[str]
) -> Validation:
    """Validate ontology + data against the shapes (read from ``ontology_dir``)."""
    locator = Locator(data.locations, ontology_dir)
    # No rdflib graph of the whole data: the engine reads the triples once (pySHACL, should it
    # be needed, gets a graph made then). Data triples are blank-node-free (the loader checks).
    blank_rooted = bind_prefixes(Graph())
    blank_rooted.addN((s, p, o, blank_rooted) for s, p, o in ontology if isinstance(s, BNode))
    report = validate_graph(
        blank_rooted,
        shapes,
        locator,
        Path(ontology_dir) / SHAPES_DIR,
        triples=_each_once(ontology, data.triples),
    )
    return Validation(ontology, data, report)


def _each_once(ontology: Graph, data: list[Triple]) -> list[Triple]:
    """The ontology's triples, then those data triples that are not also ontology triples."""
    ontology_triples = list(ontology)
    seen = set(ontology_triples)
    return [*ontology_triples, *(t for t in data if t not in seen)]


def validate_inputs(
    ontology_dir: str | os.PathLike[str], data_dir: str | os.PathLike[str]
) -> Validation:
    """Load the ontology, the data and the shapes, and validate ontology + data.

    Raises InputError for unreadable input (shapes included) and DataErrors for the loader's
    checks; shape violations are in the returned report, not raised.
    """
    return validate_loaded(*load_all(ontology_dir, data_dir), ontology_dir)


# --------------------------------------------------------------------------------------------
# Output


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _row_message(result: ValidationResult) -> str:
    message = result.message
    value = result.value
    if value is not None and value != result.focus:
        shown = compact(value)
        if shown not in message and str(value) not in message:
            end = "." if message.endswith(".") else ""
            message = f"{message.removesuffix('.')} (value {_shorten(shown)}){end}"
    return message


def format_rows(results: Iterable[ValidationResult]) -> list[str]:
    """One aligned line per result: severity, node, path, message, then ``file:line``."""
    rows = [
        (r.severity_name, compact(r.focus), r.path_text, _row_message(r), r.where) for r in results
    ]
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)]
        lines.append(("  ".join(cells) + "  " + row[4]).rstrip())
    return lines


def summary_line(report: ValidationReport) -> str:
    """``2 violations, 1 warning`` (and infos when there are any)."""
    parts = [_plural(len(report.violations), "violation"), _plural(len(report.warnings), "warning")]
    if report.infos:
        parts.append(_plural(len(report.infos), "info"))
    return ", ".join(parts)


def format_report(report: ValidationReport, *, violations_only: bool = False) -> str:
    """The text report: one line per result (most severe first), then the summary line.
    ``violations_only`` (for --quiet) gives only the violation lines, no summary."""
    if violations_only:
        return "\n".join(format_rows(report.violations))
    return "\n".join([*format_rows(report.results), summary_line(report)])


def _canonical(report: ValidationReport) -> Graph:
    graph = Graph()
    graph += to_canonical_graph(report.report_graph)  # stable, content-derived blank nodes
    return graph


def report_turtle(report: ValidationReport) -> bytes:
    """The W3C validation report as deterministic Turtle (blank nodes inline where possible,
    else canonical labels)."""
    return serialize_turtle(report.report_graph, REPORT_PREFIXES, ID_BASE, REPORT_HEADER)


def _sort_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (v if k == "@list" else _sort_json(v)) for k, v in value.items()}
    if isinstance(value, list):
        items = [_sort_json(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return value


def report_json(report: ValidationReport) -> bytes:
    """The W3C validation report as JSON-LD, deterministic: canonical blank node ids, nodes
    and values sorted (never the items of an @list), keys sorted."""
    # No @base and no 'id' prefix: data nodes keep their full IRIs.
    context = {p: ns for p, ns in sorted(REPORT_PREFIXES.items()) if p != "id"}
    text = _canonical(report).serialize(format="json-ld", context=context)
    doc = json.loads(text)
    if isinstance(doc, list):
        doc = {"@context": context, "@graph": doc}
    for key, value in list(doc.items()):
        if key != "@context":
            doc[key] = _sort_json(value)
    return (json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
