"""Benchmark the OWL 2 RL reasoning step: time and triple counts as the data grow.

    python benchmarks/reasoning.py [--sizes 1,10,100] [--limit SECONDS]

For each size N the real data are copied N times under fresh IRIs (every node under the data
namespace gets a `~copyK` suffix), the ontology is added once, and `kgbuild.reason.reason` runs
on the result. It prints the seconds taken and the asserted, inferred-before-cleaning and
inferred-after-cleaning triple counts. This prints figures; it asserts nothing and is not a test.
A size whose predecessor took longer than --limit seconds is skipped, since owlrl's time grows
faster than linearly.
"""

from __future__ import annotations

import argparse
import platform
import resource
from pathlib import Path

from rdflib import Graph, URIRef

from kgbuild.build import load_inputs
from kgbuild.namespaces import ID_BASE
from kgbuild.reason import reason

REPO = Path(__file__).resolve().parents[1]


def copy_term(term, k: int):
    if isinstance(term, URIRef) and str(term).startswith(ID_BASE):
        return URIRef(f"{term}~copy{k}")
    return term


def scaled_graph(ontology: Graph, data: Graph, copies: int) -> Graph:
    graph = Graph()
    for triple in ontology:
        graph.add(triple)
    for k in range(copies):
        for s, p, o in data:
            graph.add((copy_term(s, k), p, copy_term(o, k)))
    return graph


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,100", help="copies of the data, comma-separated")
    parser.add_argument(
        "--limit", type=float, default=120.0, help="skip larger sizes after a run this slow"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    ontology, loaded = load_inputs(REPO / "ontology", REPO / "data")
    print(f"python {platform.python_version()} on {platform.machine()}")
    header = "  ".join(
        [f"{'copies':>6}", f"{'asserted':>10}", f"{'inferred (owlrl)':>16}"]
        + [f"{'cleaned':>10}", f"{'seconds':>8}"]
    )
    print(header)
    print("-" * len(header))
    previous = 0.0
    for copies in sizes:
        if previous > args.limit:
            print(f"{copies:>6}  skipped: the previous size took {previous:.0f} s (--limit)")
            continue
        graph = scaled_graph(ontology, loaded.graph, copies)
        result = reason(graph)
        previous = result.seconds
        print(
            f"{copies:>6}  {result.asserted:>10,}  {result.added:>16,}  "
            f"{len(result.inferred):>10,}  {result.seconds:>8.1f}"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
