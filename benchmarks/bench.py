"""Benchmark kgbuild against the plain pipeline at one, ten and a hundred times the real data.

    python benchmarks/bench.py [--sizes 1,10,100] [--work DIR] [--no-plain | --plain-up-to N]
                               [--repeat 3]

For each size N it writes N copies of the real data under fresh IRIs (benchmarks/scale.py) and
measures, each part in a process of its own so that its peak memory is its own:

- ``kgbuild build``: the CPU time of every stage as the build records it, and the whole process
  (CPU, wall time, peak memory);
- the plain pipeline on the same files: rdflib parse, pySHACL, owlrl's DeductiveClosure, rdflib
  serialize (Turtle, N-Triples, JSON-LD, TriG), stage by stage, and the process; then whether it
  gives the graphs kgbuild wrote;
- reasoning beside ``reasonable`` (a Rust OWL 2 RL reasoner; ``pip install -e '.[bench]'``) on
  the same triples;
- every stored query in process on the build's closure, with the Oxigraph engine (kgbuild's
  default) and, up to ten copies, with rdflib's engine, and whether both give the same rows;
- a cold ``kgbuild query`` process for every stored query (wall time, the median of --repeat).

It prints the figures, the ratios and whether each target of the project is met. It asserts
nothing: it is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent))

# Stages of the plain pipeline and the kgbuild stages they compare with.
PLAIN_STAGES = {
    "parse": ("load",),
    "validate": ("validate",),
    "reason": ("reason",),
    "serialize": (
        "kg.ttl",
        "inferred.ttl",
        "kg-closure.ttl",
        "kg.nt",
        "kg.jsonld",
        "kg.trig",
        "void.ttl",
        "write files",
        "index.sqlite",
        "store",
        "manifest.json",
    ),
}
STAGE_NAMES = {
    "parse": "load (plain: rdflib parse)",
    "validate": "validate (plain: pySHACL)",
    "reason": "reason (plain: owlrl)",
    "serialize": "write every output (plain: rdflib serialize)",
}


# --------------------------------------------------------------------------------------------
# Children: each measures one thing and writes JSON


def child_build(data: Path, out: Path) -> dict[str, Any]:
    from kgbuild.build import build

    result = build(ROOT / "ontology", data, out)
    assert result.timings is not None
    return {
        "stages": {name: cpu for name, (_, cpu) in result.timings.items()},
        "asserted": len(result.triples),
        "inferred": len(result.reasoning.inferred),
        "reasoner": result.reasoning.engine,
    }


def child_plain(data: Path, out: Path) -> dict[str, Any]:
    """What a user of rdflib, pySHACL and owlrl would write, stage by stage."""
    import owlrl
    import pyshacl
    import yaml
    from rdflib import BNode, Dataset, Graph, URIRef

    from kgbuild.reason import keep

    stages: dict[str, float] = {}

    def timed(name: str, start: float) -> None:
        stages[name] = stages.get(name, 0.0) + time.process_time() - start

    start = time.process_time()
    graph = Graph()
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        graph.parse(path, format="turtle")
    shapes = Graph()
    for path in sorted((ROOT / "ontology" / "shapes").glob("*.ttl")):
        shapes.parse(path, format="turtle")
    context = json.loads((data / "context.jsonld").read_text(encoding="utf-8"))["@context"]
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for path in sorted(data.rglob("*.yaml")):
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        document = {"@context": context, "@graph": doc["@graph"]}
        graph.parse(data=json.dumps(document, default=str), format="json-ld")
    timed("parse", start)
    # Plain JSON-LD knows nothing of the records' `sources` entries, which kgbuild expands into
    # attestations and reified statements: the later stages run on the graph kgbuild wrote
    # (parsed outside the timings), so that both pipelines validate and reason over the same
    # triples.
    graph = Graph().parse(out / "kg.nt", format="nt")

    start = time.process_time()
    conforms, _, _ = pyshacl.validate(
        graph, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
    )
    timed("validate", start)

    start = time.process_time()
    closure = Graph()
    closure += graph
    owlrl.DeductiveClosure(
        owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False
    ).expand(closure)
    timed("reason", start)

    start = time.process_time()
    outputs = {
        "kg.ttl": graph.serialize(format="turtle"),
        "kg-closure.ttl": closure.serialize(format="turtle"),
        "kg.nt": graph.serialize(format="nt"),
        "kg.jsonld": graph.serialize(format="json-ld", context=context),
    }
    dataset = Dataset()
    named = dataset.graph(URIRef("https://w3id.org/kgbuild/graph/data"))
    named += graph
    outputs["kg.trig"] = dataset.serialize(format="trig")
    timed("serialize", start)

    # The same graphs as kgbuild's? Compared without blank nodes (they are renamed) and by size.
    def ground(g: Any) -> set:
        return {t for t in g if not any(isinstance(term, BNode) for term in t)}

    asserted = set(graph)
    inferred = {t for t in closure if t not in asserted and keep(t)}
    ours = Graph().parse(out / "kg.ttl", format="turtle")
    ours_inferred = Graph().parse(out / "inferred.ttl", format="turtle")
    same = (
        len(ours) == len(graph)
        and ground(ours) == ground(graph)
        and set(ours_inferred) == inferred
        and bool(conforms)
    )
    return {"stages": stages, "same": same, "bytes": {k: len(v) for k, v in outputs.items()}}


def child_reasoners(data: Path) -> dict[str, Any]:
    from kgbuild.build import load_inputs
    from kgbuild.reason import reason

    ontology, loaded = load_inputs(ROOT / "ontology", data)
    triples = [*ontology, *loaded.triples]
    start = time.process_time()
    ours = reason(triples)
    result: dict[str, Any] = {"kgbuild": time.process_time() - start, "engine": ours.engine}
    try:
        import reasonable
    except ImportError:
        result["reasonable"] = None
        return result
    start = time.process_time()
    reasoner = reasonable.PyReasoner()
    reasoner.from_graph(triples)
    reasoner.reason()
    result["reasonable"] = time.process_time() - start
    return result


# rdflib's engine is compared with Oxigraph up to this size; above it some queries take hours.
RDFLIB_UP_TO = 10
# A query rdflib has not answered after this many seconds is stopped; its time is a lower bound.
RDFLIB_TIMEOUT = 120.0


def child_queries(
    out: Path, params: dict[str, dict[str, str]], repeat: int, with_rdflib: bool
) -> dict[str, Any]:
    from collections import Counter

    from kgbuild.query import QueryFailed, load_dataset, load_queries, run_query

    dataset = load_dataset(out, inferred=True)
    dataset.graph  # noqa: B018 - rdflib parses the closure once, outside the timings
    dataset.store  # noqa: B018
    results = {}
    for name, query in load_queries(ROOT / "queries").items():
        timings: dict[str, float] = {}
        rows: dict[str, Counter] = {}
        for engine in ("oxigraph", "rdflib") if with_rdflib else ("oxigraph",):
            best = float("inf")
            for _ in range(repeat if engine == "oxigraph" else 1):
                start = time.perf_counter()
                try:
                    result = run_query(
                        query,
                        dataset,
                        params.get(name, {}),
                        engine,
                        timeout=None if engine == "oxigraph" else RDFLIB_TIMEOUT,
                    )
                except QueryFailed:  # rdflib stopped at RDFLIB_TIMEOUT: a lower bound
                    result = None
                best = min(best, time.perf_counter() - start)
            timings[engine] = best
            if result is not None:
                rows[engine] = Counter(frozenset(row.items()) for row in result.rows)
        results[name] = {
            "rdflib": None,
            **timings,
            "rows": sum(rows["oxigraph"].values()),
            "same": rows["oxigraph"] == rows["rdflib"] if "rdflib" in rows else None,
        }
    return results


def run_child(args: list[str]) -> tuple[dict[str, Any], dict[str, float]]:
    """Run this script as a child; its JSON result and its CPU, wall and peak memory."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        result_path = Path(handle.name)
    command = [sys.executable, str(HERE), "--child", *args, "--result", str(result_path)]
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark child failed: {' '.join(args)}")
    result = json.loads(result_path.read_text(encoding="utf-8"))
    result_path.unlink()
    process_figures = {
        "cpu": usage.ru_utime + usage.ru_stime,
        "wall": wall,
        "peak_mb": usage.ru_maxrss / 1024,
    }
    return result, process_figures


# --------------------------------------------------------------------------------------------
# The parent


def example_params(out1: Path) -> dict[str, dict[str, str]]:
    """Each stored query's example parameters, names resolved to IRIs on the real data (in a
    copy of the data a name is shared by every copy; the IRI names copy 0)."""
    from kgbuild.query import load_dataset, load_queries, resolve_param

    dataset = load_dataset(out1, inferred=False)
    params: dict[str, dict[str, str]] = {}
    for name, query in load_queries(ROOT / "queries").items():
        values = {}
        for param in query.params:
            if param.required and param.example is not None:
                term = resolve_param(param, param.example, dataset)
                values[param.name] = f"<{term}>" if param.type == "iri" else str(term)
        params[name] = values
    return params


def cold_queries(out: Path, params: dict[str, dict[str, str]], repeat: int) -> dict[str, float]:
    """The median wall time of a fresh `kgbuild query NAME` process, per stored query."""
    times = {}
    for name, values in params.items():
        command = [sys.executable, "-m", "kgbuild", "query", name, "--out", str(out)]
        for key, value in values.items():
            command += ["--param", f"{key}={value}"]
        runs = []
        for _ in range(repeat):
            start = time.perf_counter()
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
            runs.append(time.perf_counter() - start)
            if done.returncode != 0:
                raise SystemExit(f"kgbuild query {name} failed: {done.stderr.strip()}")
        times[name] = statistics.median(runs)
    return times


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        memory = 0.0
    return (
        f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores, "
        f"{memory:.0f} GiB, Python {platform.python_version()}"
    )


def fmt(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds:.3f}" if seconds < 10 else f"{seconds:.1f}"


def ratio(slow: float | None, fast: float | None) -> str:
    if not slow or not fast:
        return "-"
    return f"{slow / fast:.1f}x"


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w)
            for i, (h, w) in enumerate(zip(header, widths, strict=True))
        )
    ]
    for row in rows:
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,100", help="copies of the data, e.g. 1,10,100")
    parser.add_argument("--work", type=Path, help="where to write data and builds (kept)")
    parser.add_argument("--no-plain", action="store_true", help="skip the plain pipeline")
    parser.add_argument(
        "--plain-up-to",
        type=int,
        default=None,
        help="run the plain pipeline only at sizes up to this (it takes hours at large ones)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per cold query")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "build":
            result = child_build(Path(rest[0]), Path(rest[1]))
        elif kind == "plain":
            result = child_plain(Path(rest[0]), Path(rest[1]))
        elif kind == "reasoners":
            result = child_reasoners(Path(rest[0]))
        else:
            params = json.loads(rest[1])
            result = child_queries(Path(rest[0]), params, int(rest[2]), rest[3] == "1")
        args.result.write_text(json.dumps(result), encoding="utf-8")
        return

    from scale import write_scaled

    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()} | {1})
    work = args.work or Path(tempfile.mkdtemp(prefix="kgbuild-bench-"))
    print(f"Machine: {machine()}")
    print(f"Work directory: {work}\n", flush=True)
    figures: dict[int, dict[str, Any]] = {}
    params: dict[str, dict[str, str]] = {}
    for size in sizes:
        data, out = work / f"data{size}", work / f"dist{size}"
        write_scaled(size, data)
        note = f"x{size}:"
        print(f"{note} building", file=sys.stderr, flush=True)
        build, build_process = run_child(["build", str(data), str(out)])
        if size == 1:
            params = example_params(out)
        entry: dict[str, Any] = {"build": build, "build_process": build_process}
        print(f"{note} reasoning beside reasonable", file=sys.stderr, flush=True)
        entry["reasoners"], _ = run_child(["reasoners", str(data)])
        print(f"{note} queries in process", file=sys.stderr, flush=True)
        with_rdflib = "1" if size <= RDFLIB_UP_TO else "0"
        entry["queries"], _ = run_child(
            ["queries", str(out), json.dumps(params), str(args.repeat), with_rdflib]
        )
        print(f"{note} cold query processes", file=sys.stderr, flush=True)
        entry["cold"] = cold_queries(out, params, args.repeat)
        if not args.no_plain and (args.plain_up_to is None or size <= args.plain_up_to):
            print(f"{note} the plain pipeline", file=sys.stderr, flush=True)
            entry["plain"], entry["plain_process"] = run_child(["plain", str(data), str(out)])
        figures[size] = entry
    report(figures)


def report(figures: dict[int, dict[str, Any]]) -> None:
    sizes = sorted(figures)
    print(
        "Data:",
        ", ".join(
            f"x{n} {figures[n]['build']['asserted']:,} asserted triples "
            f"+ {figures[n]['build']['inferred']:,} inferred"
            for n in sizes
        ),
    )
    print()
    # Stages
    header = ["stage (CPU s)"]
    for n in sizes:
        header += [f"x{n} kgbuild", f"x{n} plain", f"x{n} ratio"]
    rows = []
    for plain_stage, ours in PLAIN_STAGES.items():
        row = [STAGE_NAMES[plain_stage]]
        for n in sizes:
            mine = sum(figures[n]["build"]["stages"].get(s, 0.0) for s in ours)
            plain = figures[n].get("plain", {}).get("stages", {}).get(plain_stage)
            row += [fmt(mine), fmt(plain), ratio(plain, mine)]
        rows.append(row)
        if plain_stage == "serialize":
            for stage in ours:
                sub = [f"  {stage}"]
                for n in sizes:
                    sub += [fmt(figures[n]["build"]["stages"].get(stage)), "", ""]
                rows.append(sub)
    total = ["all stages"]
    for n in sizes:
        mine = sum(figures[n]["build"]["stages"].values())
        plain_stages = figures[n].get("plain", {}).get("stages")
        plain = sum(plain_stages.values()) if plain_stages else None
        total += [fmt(mine), fmt(plain), ratio(plain, mine)]
    rows.append(total)
    for key, label in (("cpu", "whole process CPU s"), ("wall", "whole process wall s")):
        row = [label]
        for n in sizes:
            mine = figures[n]["build_process"][key]
            plain = figures[n].get("plain_process", {}).get(key)
            row += [fmt(mine), fmt(plain), ratio(plain, mine)]
        rows.append(row)
    row = ["peak memory MB"]
    for n in sizes:
        plain = figures[n].get("plain_process", {}).get("peak_mb")
        row += [
            f"{figures[n]['build_process']['peak_mb']:.0f}",
            f"{plain:.0f}" if plain else "-",
            "",
        ]
    rows.append(row)
    print(table(header, rows))
    if any("plain" in figures[n] for n in sizes):
        same = {n: figures[n]["plain"]["same"] for n in sizes if "plain" in figures[n]}
        print(
            "Same graphs as the plain pipeline (kg.ttl, inferred.ttl): "
            + ", ".join(f"x{n} {'yes' if ok else 'NO'}" for n, ok in same.items())
        )
    print()
    # Reasoning
    rows = []
    for n in sizes:
        r = figures[n]["reasoners"]
        rows.append(
            [
                f"x{n}",
                r["engine"],
                fmt(r["kgbuild"]),
                fmt(r["reasonable"]),
                ratio(r["kgbuild"], r["reasonable"]) if r["reasonable"] else "-",
            ]
        )
    print(
        table(["reasoning (CPU s)", "engine", "kgbuild", "reasonable", "kgbuild/reasonable"], rows)
    )
    print()
    # Queries in process
    names = sorted(figures[sizes[0]]["queries"])
    header = ["query (in process, ms)"]
    for n in sizes:
        header += [f"x{n} oxigraph", f"x{n} rdflib", f"x{n} ratio", f"x{n} rows"]
    rows = []
    for name in names:
        row = [name]
        for n in sizes:
            q = figures[n]["queries"][name]
            measured = q["rdflib"] is not None
            stopped = ">" if measured and q["same"] is None else ""  # rdflib timed out
            row += [
                f"{q['oxigraph'] * 1000:.1f}",
                f"{stopped}{q['rdflib'] * 1000:.1f}" if measured else "-",
                f"{stopped}{ratio(q['rdflib'], q['oxigraph'])}" if measured else "-",
                f"{q['rows']}{' DIFFER' if q['same'] is False else ''}",
            ]
        rows.append(row)
    print(table(header, rows))
    print()
    # Cold processes
    header = ["cold `kgbuild query` (wall s)"] + [f"x{n}" for n in sizes]
    rows = [[name] + [f"{figures[n]['cold'][name]:.2f}" for n in sizes] for name in names]
    rows.append(["slowest"] + [f"{max(figures[n]['cold'].values()):.2f}" for n in sizes])
    print(table(header, rows))
    print()
    targets(figures)


def targets(figures: dict[int, dict[str, Any]]) -> None:
    def line(ok: bool | None, text: str) -> None:
        mark = "n/a " if ok is None else "met " if ok else "MISS"
        print(f"[{mark}] {text}")

    print("Targets")
    if 10 in figures and "plain" in figures[10]:
        mine = figures[10]["build_process"]["cpu"]
        plain = figures[10]["plain_process"]["cpu"]
        same = figures[10]["plain"]["same"]
        line(
            plain / mine >= 10 and same,
            f"x10: kgbuild build {plain / mine:.1f} times faster than the plain pipeline "
            f"(process CPU {mine:.1f} s against {plain:.1f} s), same outputs: {same}",
        )
    else:
        line(None, "x10 build against the plain pipeline: not measured")
    for n in (10, 100):
        if n in figures and figures[n]["reasoners"]["reasonable"]:
            r = figures[n]["reasoners"]
            line(
                r["kgbuild"] <= 3 * r["reasonable"],
                f"x{n}: reasoning {r['kgbuild'] / r['reasonable']:.2f} times reasonable's time",
            )
    if 10 in figures and 100 in figures:
        growth = figures[100]["build_process"]["cpu"] / figures[10]["build_process"]["cpu"]
        line(growth <= 12, f"x100 build takes {growth:.1f} times x10 (at most 12)")
        peak = figures[100]["build_process"]["peak_mb"]
        line(peak < 1536, f"x100 build peak memory {peak:.0f} MB (under 1.5 GB)")
    if 10 in figures:
        queries = figures[10]["queries"]
        slowest = min(q["rdflib"] / q["oxigraph"] for q in queries.values())
        same = all(q["same"] is not False for q in queries.values())
        stopped = sum(q["same"] is None for q in queries.values())
        line(
            slowest >= 10 and same,
            f"x10: every stored query at least {slowest:.1f} times faster than rdflib's engine "
            f"in process, same rows: {same}"
            + (f" ({stopped} stopped after {RDFLIB_TIMEOUT:.0f} s on rdflib)" if stopped else ""),
        )
    for n, limit in ((1, 0.5), (100, 1.0)):
        if n in figures:
            worst = max(figures[n]["cold"].values())
            line(
                worst < limit, f"x{n}: slowest cold `kgbuild query` {worst:.2f} s (under {limit} s)"
            )


if __name__ == "__main__":
    main()
