"""Run the fast SHACL engine (kgbuild.shacl) on the W3C SHACL test suite and print the figures.

    python benchmarks/shacl_conformance.py [TESTS_DIR] [--verbose] [--against-pyshacl]

TESTS_DIR is the suite's ``tests`` folder (default /work/shared/w3c-shacl-tests/tests): its
``manifest.ttl`` is read, the manifests it includes (``mf:include``) in turn, and each
``sht:Validate`` entry of them run: its data graph against its shapes graph. A test is
*skipped* when ``kgbuild.shacl.unsupported`` names something in its shapes (pySHACL would then
run instead), *passed* when the report has the expected sh:conforms and the expected results,
compared as a set of (focus node, path, value, source shape, constraint component), and
*failed* otherwise. Messages and severities are not compared. sh:conforms is compared as SHACL
defines it, true when there is no result at all: the engine's own flag follows pySHACL with
allow_warnings and allow_infos, as kgbuild runs it, where warnings and infos conform.

With --against-pyshacl, each test the engine runs is also run with pySHACL (the options of
kgbuild.validate) and the two report graphs are compared: the count of isomorphic reports is
printed, and each test whose reports differ.

Nothing is asserted; the totals, the failures and why tests were skipped are printed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import time
import warnings
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlparse

import pyshacl
import rdflib
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from kgbuild import shacl

DEFAULT_TESTS = Path("/work/shared/w3c-shacl-tests/tests")
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = Namespace("http://www.w3.org/ns/shacl-test#")


def path_of(iri: Node) -> Path:
    return Path(unquote(urlparse(str(iri)).path))


def manifests(root: Path, cache: dict[Path, Graph]) -> list[Path]:
    """The manifest files of the suite: ``root/manifest.ttl`` and all it includes."""
    found: list[Path] = []
    todo = [root / "manifest.ttl"]
    while todo:
        path = todo.pop(0)
        if path in found or not path.is_file():
            continue
        found.append(path)
        manifest = load(path, cache)
        todo += [path_of(i) for i in manifest.objects(None, MF.include)]
    return found


def load(path: Path, cache: dict[Path, Graph]) -> Graph:
    """A test file as written: rdflib's literal normalisation would, for one, read the
    "1"^^xsd:boolean of a test as "true"."""
    if path not in cache:
        normalize, rdflib.NORMALIZE_LITERALS = rdflib.NORMALIZE_LITERALS, False
        try:
            cache[path] = Graph().parse(path, format="turtle", publicID=path.as_uri())
        finally:
            rdflib.NORMALIZE_LITERALS = normalize
    return cache[path]


def term_key(graph: Graph, node: Node | None, depth: int = 0) -> str:
    """A node as text that does not depend on blank node labels: a blank node by what it says
    (lists as lists), so that a path or a blank focus node compares across graphs."""
    if node is None:
        return "-"
    if isinstance(node, URIRef):
        return f"<{node}>"
    if isinstance(node, Literal):
        return node.n3()
    if depth > 6:
        return "[...]"
    if (node, RDF.first, None) in graph:
        return "(" + " ".join(term_key(graph, i, depth + 1) for i in graph.items(node)) + ")"
    pairs = sorted(
        f"{term_key(graph, p, depth + 1)} {term_key(graph, o, depth + 1)}"
        for p, o in graph.predicate_objects(node)
        if p not in (SH.result,)
    )
    return "[" + "; ".join(pairs) + "]"


def results(report: Graph, report_node: Node | None, graph_of_nodes: Graph) -> set[tuple]:
    """(focus, path, value, shape, component) of each result of a report."""
    found = set()
    nodes = (
        report.objects(report_node, SH.result)
        if report_node is not None
        else report.subjects(RDF.type, SH.ValidationResult)
    )
    for r in nodes:
        found.add(
            (
                term_key(graph_of_nodes, report.value(r, SH.focusNode)),
                term_key(report, report.value(r, SH.resultPath)),
                term_key(graph_of_nodes, report.value(r, SH.value)),
                term_key(report, report.value(r, SH.sourceShape)),
                term_key(report, report.value(r, SH.sourceConstraintComponent)),
            )
        )
    return found


def same_as_pyshacl(data: Graph, shapes: Graph, report: Graph) -> bool:
    """Whether pySHACL, run as kgbuild.validate runs it, gives an isomorphic report."""
    shapes_copy = Graph()  # pySHACL adds triples to the shapes graph, often the data graph too
    for prefix, namespace in shapes.namespaces():
        shapes_copy.bind(prefix, namespace, override=True, replace=True)
    shapes_copy += shapes
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            _, reference, _ = pyshacl.validate(
                data,
                shacl_graph=shapes_copy,
                inference="none",
                advanced=True,
                allow_warnings=True,
                allow_infos=True,
                inplace=True,
            )
        except Exception:
            return False
    return isinstance(reference, Graph) and isomorphic(reference, report)


def run_test(
    entry: Node, manifest: Graph, cache: dict[Path, Graph], differences: list[str] | None
) -> tuple[str, str]:
    """("passed" | "failed" | "skipped", detail) for one sht:Validate entry; with
    ``differences``, also compare with pySHACL and append the entry to it when they differ."""
    action = manifest.value(entry, MF.action)
    expected = manifest.value(entry, MF.result)
    data_iri = manifest.value(action, SHT.dataGraph)
    shapes_iri = manifest.value(action, SHT.shapesGraph)
    data = load(path_of(data_iri), cache)
    shapes = load(path_of(shapes_iri), cache)
    reasons = shacl.unsupported(shapes)
    if reasons:
        return "skipped", reasons[0]
    try:
        conforms, report = shacl.validate(data, shapes)
    except shacl.ShaclRuntimeError as exc:
        if expected == SHT.Failure:
            return "passed", "failure expected"
        return "failed", f"ShaclRuntimeError: {exc}"
    if differences is not None and not same_as_pyshacl(data, shapes, report):
        differences.append(str(entry))
    if expected == SHT.Failure:
        return "failed", "a failure was expected, the engine gave a report"
    want_conforms = bool(manifest.value(expected, SH.conforms).toPython())
    want = results(manifest, expected, data)
    got = results(report, None, data)
    got_conforms = not got  # SHACL's conforms: no result, whatever its severity
    if got_conforms == want_conforms and got == want:
        return "passed", ""
    lines = [f"conforms: expected {want_conforms}, got {got_conforms} (engine flag {conforms})"]
    lines += [f"    missing    {r}" for r in sorted(want - got)]
    lines += [f"    unexpected {r}" for r in sorted(got - want)]
    return "failed", "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tests", nargs="?", type=Path, default=DEFAULT_TESTS)
    parser.add_argument("--verbose", action="store_true", help="list every test")
    parser.add_argument(
        "--against-pyshacl", action="store_true", help="also compare each report with pySHACL's"
    )
    args = parser.parse_args()
    # rdflib complains about the suite's ill-typed literals and odd booleans.
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore", UserWarning)
    cache: dict[Path, Graph] = {}
    outcomes: Counter[str] = Counter()
    failures: list[tuple[str, str]] = []
    skip_reasons: Counter[str] = Counter()
    differences: list[str] | None = [] if args.against_pyshacl else None
    start = time.perf_counter()
    root = args.tests.resolve()
    for path in manifests(root, cache):
        manifest = load(path, cache)
        for entry in manifest.subjects(RDF.type, SHT.Validate):
            name = f"{path.relative_to(root).parent}/{str(entry).rsplit('/', 1)[-1]}"
            try:
                outcome, detail = run_test(entry, manifest, cache, differences)
            except Exception as exc:  # report it as a failure, go on with the others
                outcome, detail = "failed", f"{type(exc).__name__}: {exc}"
            outcomes[outcome] += 1
            if outcome == "failed":
                failures.append((name, detail))
            elif outcome == "skipped":
                skip_reasons[detail.split(" (")[0].split(" in ")[0]] += 1
            if args.verbose:
                print(f"{outcome:8} {name}" + (f"  ({detail})" if outcome == "skipped" else ""))
    elapsed = time.perf_counter() - start
    total = sum(outcomes.values())
    print(
        f"W3C SHACL tests: {total} run in {elapsed:.1f} s: {outcomes['passed']} passed, "
        f"{outcomes['failed']} failed, {outcomes['skipped']} skipped (unsupported shapes)"
    )
    if differences is not None:
        ran = outcomes["passed"] + outcomes["failed"]
        print(f"Against pySHACL: {ran - len(differences)} of {ran} reports isomorphic")
        for entry in differences:
            print(f"  differs: {entry}")
    if failures:
        print("\nFailures:")
        for name, detail in failures:
            print(f"  {name}\n    {detail}")
    if skip_reasons:
        print("\nSkipped because of (first reason per test):")
        for reason, n in skip_reasons.most_common():
            print(f"  {n:3}  {reason}")


if __name__ == "__main__":
    main()
