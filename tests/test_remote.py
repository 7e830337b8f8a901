"""Other triple stores: a real Oxigraph server (`oxigraph serve` on 127.0.0.1) loaded from dist/,
every stored query run through the SPARQL 1.1 Protocol against it, and `kgbuild push` through the
Graph Store Protocol: replace, add, a read-only server, no server, and a server killed mid-push.
"""

from __future__ import annotations

import functools
import json
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from conftest import ROOT, OxigraphServer, free_port, oxigraph_command
from kgbuild.build import CLOSURE_FILE, INFERRED_FILE, KG_FILE
from kgbuild.query import load_dataset, load_queries, parse_query_file, run_query, with_values
from kgbuild.remote import (
    STAGING_BASE,
    EndpointError,
    push,
    run_remote_query,
    update_endpoint_for,
)

QUERIES = load_queries(ROOT / "queries")
GRAPH = "https://example.org/graph/kgbuild"
HANDOVER_LACHIN = URIRef("https://w3id.org/kgbuild/id/event/handover-lachin")


def examples(name: str) -> dict[str, str]:
    query = QUERIES[name]
    return {p.name: p.example for p in query.params if p.example is not None}


def as_multiset(rows: list[dict]) -> Counter:
    return Counter(frozenset(row.items()) for row in rows)


@functools.cache
def triples(path: Path) -> int:
    """The triples in a file of the session's build, which no test changes: parsed once."""
    return len(Graph().parse(path, format="turtle"))


@pytest.fixture(scope="module")
def dist(built_repo: Path) -> Path:
    return built_repo


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    from conftest import run_module

    return run_module(*args, cwd=ROOT)


@pytest.fixture(scope="module")
def loaded(dist: Path, tmp_path_factory: pytest.TempPathFactory):
    """A real Oxigraph server whose default graph holds dist/kg-closure.ttl, pushed by
    `kgbuild push` (the store is loaded the way a user loads it)."""
    server = OxigraphServer(tmp_path_factory.mktemp("oxigraph-store")).start()
    try:
        proc = run_cli("push", "--endpoint", f"{server.url}/store", "--out", str(dist))
        assert proc.returncode == 0, proc.stderr
        yield server
    finally:
        server.stop()


def count(endpoint: str, graph: str | None = None) -> int:
    """The number of triples in ``graph`` (the default graph when None) at ``endpoint``."""
    pattern = "?s ?p ?o" if graph is None else f"GRAPH <{graph}> {{ ?s ?p ?o }}"
    query = parse_query_file(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}", "count")
    return int(run_remote_query(query, endpoint).rows[0]["n"])


def graphs(endpoint: str) -> dict[str, int]:
    query = parse_query_file(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", "graphs"
    )
    return {str(r["g"]): int(r["n"]) for r in run_remote_query(query, endpoint).rows}


# ---------------------------------------------------------------------------- queries


def test_push_loads_the_closure_into_the_default_graph(loaded, dist) -> None:
    assert count(f"{loaded.url}/query") == triples(dist / CLOSURE_FILE)
    assert graphs(f"{loaded.url}/query") == {}  # the staging graph is gone


def test_the_oxigraph_server_serves_the_store_of_dist(dist, tmp_path) -> None:
    """`oxigraph serve-read-only --location dist/store` serves the build as it is
    (docs/outputs.md)."""
    import shutil

    location = tmp_path / "store"
    shutil.copytree(dist / "store", location)
    server = OxigraphServer(location, read_only=True).start()
    try:
        assert count(f"{server.url}/query") == triples(dist / CLOSURE_FILE)
        assert graphs(f"{server.url}/query") == {
            "https://w3id.org/kgbuild/graph/asserted": triples(dist / "kg.ttl")
        }
    finally:
        server.stop()


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_stored_query_gives_the_local_results(loaded, dist, name) -> None:
    query = QUERIES[name]
    local = run_query(query, load_dataset(dist, inferred=True), examples(name), engine="oxigraph")
    remote = run_remote_query(query, f"{loaded.url}/query", examples(name))
    assert_same_results(query, local, remote)


def assert_same_results(query, local, remote) -> None:
    """The endpoint's answer is the local one: the same columns, and the same rows (in the same
    order when the query orders them)."""
    assert remote.variables == local.variables
    assert local.rows, "the example parameters should give rows"
    if query.ordered:
        assert remote.rows == local.rows
    else:
        assert as_multiset(remote.rows) == as_multiset(local.rows)


@pytest.mark.parametrize("fmt", ["table", "csv", "tsv", "json"])
def test_cli_output_is_the_local_output(loaded, dist, fmt) -> None:
    args = ["query", "control-at", "-p", "territory=Kalbajar District", "-p", "date=2020-11-24"]
    local = run_cli(*args, "--out", str(dist), "--format", fmt)
    remote = run_cli(*args, "--endpoint", f"{loaded.url}/query", "--format", fmt)
    assert local.returncode == 0 and remote.returncode == 0, remote.stderr
    assert remote.stdout == local.stdout
    assert "Armenian armed forces" in remote.stdout


def test_optional_parameters_left_out_and_given(loaded, dist) -> None:
    endpoint = f"{loaded.url}/query"
    day = {"from": "2020-12-01", "to": "2020-12-01"}
    everything = run_remote_query(QUERIES["timeline"], endpoint)
    window = run_remote_query(QUERIES["timeline"], endpoint, day)
    assert 0 < len(window.rows) < len(everything.rows)
    for row in window.rows:
        assert str(row.get("earliest", "0000")) <= "2020-12-01" <= str(row.get("latest", "9999"))
    local = run_query(QUERIES["timeline"], load_dataset(dist, inferred=True), day)
    assert window.rows == local.rows


def test_names_resolve_against_the_server(loaded) -> None:
    endpoint = f"{loaded.url}/query"
    by_name = run_remote_query(QUERIES["place-names"], endpoint, {"place": "Berdzor"})
    by_iri = run_remote_query(QUERIES["place-names"], endpoint, {"place": "<place/berdzor-lachin>"})
    assert as_multiset(by_name.rows) == as_multiset(by_iri.rows)
    assert Literal("Berdzor", lang="en") in {r.get("name") for r in by_name.rows}


def test_unknown_name_is_refused_before_running(loaded) -> None:
    proc = run_cli(
        "query", "place-names", "-p", "place=Lachinn", "--endpoint", f"{loaded.url}/query"
    )
    assert proc.returncode == 2
    assert "no node is named 'Lachinn'" in proc.stderr and "Lachin" in proc.stderr
    assert proc.stderr.count("\n") == 1


def test_ask_query(loaded) -> None:
    query = parse_query_file(
        f"ASK {{ <{HANDOVER_LACHIN}> a <https://w3id.org/kgbuild/ontology#Event> }}", "ask"
    )
    # Only inferred (the handover is asserted as a kg:TerritoryHandover): the closure is there.
    assert run_remote_query(query, f"{loaded.url}/query").boolean is True


def test_values_cannot_change_the_query() -> None:
    text = "SELECT ?x WHERE { ?x ?p ?v }"
    hostile = Literal('"} ; DROP ALL ; SELECT * { "', lang=None)
    bound = with_values(text, {"v": hostile})
    assert bound.count("DROP ALL") == 1 and '\\"} ; DROP ALL' in bound
    # Braces in comments, strings and IRIs do not move the VALUES block.
    tricky = (
        '# {\nPREFIX ex: <http://ex.org/x#>\nSELECT ?x ("{" AS ?b) (1 < 2 AS ?c) WHERE { ?x ?p ?v }'
    )
    assert "WHERE {\n  VALUES (?v)" in with_values(tricky, {"v": URIRef("http://ex.org/a")})


def test_update_endpoint_layouts() -> None:
    assert update_endpoint_for("http://h:7878/store") == "http://h:7878/update"
    assert update_endpoint_for("http://h:3030/ds/data") == "http://h:3030/ds/update"
    assert (
        update_endpoint_for("http://h:7200/repositories/kg/rdf-graphs/service")
        == "http://h:7200/repositories/kg/statements"
    )
    assert update_endpoint_for("http://h/gsp") is None


# ---------------------------------------------------------------------------- push


@pytest.fixture
def server(tmp_path: Path):
    server = OxigraphServer(tmp_path / "store").start()
    yield server
    server.stop()


def test_push_replace_and_add(server, dist) -> None:
    store, query = f"{server.url}/store", f"{server.url}/query"
    asserted, inferred, closure = (
        triples(dist / name) for name in (KG_FILE, INFERRED_FILE, CLOSURE_FILE)
    )
    base = ["push", "--endpoint", store, "--graph", GRAPH, "--out", str(dist)]

    proc = run_cli(*base, "--asserted-only", "--replace")
    assert proc.returncode == 0, proc.stderr
    assert f"Pushed {asserted:,} triples" in proc.stdout and f"replaced <{GRAPH}>" in proc.stdout
    assert count(query, GRAPH) == asserted

    # Adding the inferred triples makes the closure; adding them again changes nothing.
    for _ in range(2):
        proc = run_cli(*base, "--file", str(dist / INFERRED_FILE), "--add")
        assert proc.returncode == 0, proc.stderr
        assert count(query, GRAPH) == closure

    proc = run_cli(*base, "--asserted-only", "--replace")
    assert proc.returncode == 0, proc.stderr
    assert count(query, GRAPH) == asserted
    assert graphs(query) == {GRAPH: asserted}  # nothing left in a staging graph
    assert count(query) == 0  # the default graph was not touched


def held_graph(server: OxigraphServer, graph: str | None) -> Graph:
    """What ``graph`` (the default graph when None) holds on the server, read back through the
    Graph Store Protocol."""
    import urllib.parse
    import urllib.request

    where = "default" if graph is None else "graph=" + urllib.parse.quote(graph, safe="")
    request = urllib.request.Request(
        f"{server.url}/store?{where}", headers={"Accept": "application/n-triples"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return Graph().parse(data=response.read(), format="nt")


# Each way of pushing (staged and moved, or direct) and each target graph, once.
@pytest.mark.parametrize(
    ("direct", "graph"),
    [(False, None), (True, GRAPH)],
    ids=["staged-default-graph", "direct-named-graph"],
)
def test_pushing_the_same_build_twice_leaves_the_same_store(server, dist, graph, direct) -> None:
    """The ontology's OWL restrictions and lists are blank nodes, new ones in every upload, so
    a push that added to the graph would hold them twice; a push replaces by default."""
    base = ["push", "--endpoint", f"{server.url}/store", "--out", str(dist)]
    base += [] if graph is None else ["--graph", graph]
    base += ["--direct"] if direct else []
    held = []
    for _ in range(2):
        proc = run_cli(*base)
        assert proc.returncode == 0, proc.stderr
        assert f"replaced {'the default graph' if graph is None else f'<{graph}>'}" in proc.stdout
        held.append(held_graph(server, graph))
    assert len(held[0]) == len(held[1]) == triples(dist / CLOSURE_FILE)
    assert isomorphic(held[0], held[1])
    query = f"{server.url}/query"
    assert graphs(query) == ({} if graph is None else {graph: triples(dist / CLOSURE_FILE)})

    # --add adds: the same file again brings its blank nodes a second time.
    proc = run_cli(*base, "--add")
    assert proc.returncode == 0, proc.stderr
    assert "added to" in proc.stdout
    blank = sum(1 for t in held[1] if any(isinstance(term, BNode) for term in (t[0], t[2])))
    assert blank > 0
    assert len(held_graph(server, graph)) == len(held[1]) + blank


def test_direct_push_replace_and_add(server, dist) -> None:
    store, query = f"{server.url}/store", f"{server.url}/query"
    push(dist / KG_FILE, store, GRAPH, replace=True, direct=True)
    push(dist / INFERRED_FILE, store, GRAPH, replace=False, direct=True)
    assert count(query, GRAPH) == triples(dist / CLOSURE_FILE)
    result = push(dist / KG_FILE, store, GRAPH, replace=True, direct=True)
    assert result.staging is None
    assert graphs(query) == {GRAPH: triples(dist / KG_FILE)}


def test_push_progress_counts_every_byte(server, dist) -> None:
    seen: list[int] = []
    result = push(dist / CLOSURE_FILE, f"{server.url}/store", progress=seen.append)
    assert sum(seen) == result.size == (dist / CLOSURE_FILE).stat().st_size
    assert len(seen) > 1  # sent in chunks, so a bar can move


def test_read_only_server_refuses_push(dist, tmp_path) -> None:
    location = tmp_path / "ro-store"
    loaded = subprocess.run(
        [oxigraph_command(), "load", "--location", str(location), "--file", str(dist / KG_FILE)],
        capture_output=True,
        text=True,
    )
    assert loaded.returncode == 0, loaded.stderr
    server = OxigraphServer(location, read_only=True).start()
    try:
        proc = run_cli("push", "--endpoint", f"{server.url}/store", "--out", str(dist))
        assert proc.returncode == 1
        line = proc.stderr.strip()
        assert line.count("\n") == 0
        assert "refused to store the upload" in line and "HTTP 403" in line
        assert "the default graph was not changed" in line
        assert count(f"{server.url}/query") == triples(dist / KG_FILE)
    finally:
        server.stop()


def test_refused_move_leaves_the_target_unchanged(server, dist) -> None:
    store, query = f"{server.url}/store", f"{server.url}/query"
    push(dist / KG_FILE, store, GRAPH, replace=True)
    # A real refusal: the server answers the update with 404 at a path it does not serve.
    proc = run_cli(
        "push",
        "--endpoint",
        store,
        "--graph",
        GRAPH,
        "--replace",
        "--out",
        str(dist),
        "--update-endpoint",
        f"{server.url}/no-update-here",
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith(
        f"kgbuild: error: push failed, <{GRAPH}> was not changed: the upload is complete but "
    )
    assert "HTTP 404" in proc.stderr and "--direct" in proc.stderr
    assert proc.stderr.count("\n") == 1
    held = graphs(query)
    assert held[GRAPH] == triples(dist / KG_FILE)
    staging = next(g for g in held if g.startswith(STAGING_BASE))
    assert f"the staging graph <{staging}> holds the upload" in proc.stderr
    assert held[staging] == triples(dist / CLOSURE_FILE)
    # The next push, with the right update endpoint, moves a fresh upload and leaves no staging.
    push(dist / CLOSURE_FILE, store, GRAPH, replace=True)
    assert graphs(query) == {GRAPH: triples(dist / CLOSURE_FILE)}


def test_unreachable_endpoint(dist) -> None:
    port = free_port()
    refused = f"cannot reach http://127.0.0.1:{port}: connection refused"
    for args, start in (
        (
            ["push", "--endpoint", f"http://127.0.0.1:{port}/store", "--out", str(dist)],
            f"kgbuild: error: push failed, the default graph was not changed: {refused}; "
            "nothing of the upload was stored",
        ),
        (
            ["query", "handovers", "--endpoint", f"http://127.0.0.1:{port}/query"],
            f"kgbuild: error: {refused}",
        ),
    ):
        proc = run_cli(*args)
        assert proc.returncode == 1, proc.stderr
        assert proc.stderr.startswith(start)
        assert proc.stderr.count("\n") == 1


def test_bad_urls_and_paths(loaded, dist) -> None:
    proc = run_cli("push", "--endpoint", "ftp://x/store", "--out", str(dist))
    assert proc.returncode == 2 and "not an absolute http(s) URL" in proc.stderr
    proc = run_cli("push", "--endpoint", f"{loaded.url}/nowhere", "--out", str(dist))
    assert proc.returncode == 1 and "HTTP 404" in proc.stderr and "not changed" in proc.stderr
    proc = run_cli("query", "handovers", "--endpoint", f"{loaded.url}/store")
    assert proc.returncode == 1 and "refused to run the query" in proc.stderr
    proc = run_cli("push", "--endpoint", f"{loaded.url}/store", "--file", str(dist / "kg.trig"))
    assert proc.returncode == 2 and "named-graph files" in proc.stderr
    proc = run_cli("push", "--endpoint", f"{loaded.url}/store", "--out", "no-such-dir")
    assert proc.returncode == 2 and "run `kgbuild build` first" in proc.stderr
    proc = run_cli("query", "handovers", "--endpoint", f"{loaded.url}/query", "--asserted-only")
    assert proc.returncode == 2 and "not with --endpoint" in proc.stderr
    proc = run_cli("push", "--endpoint", f"{loaded.url}/store", "--graph", "kg", "--out", str(dist))
    assert proc.returncode == 2 and "not an absolute IRI" in proc.stderr


def test_password_is_never_printed(dist) -> None:
    port = free_port()
    proc = run_cli(
        "push", "--endpoint", f"http://kg:s3cret@127.0.0.1:{port}/store", "--out", str(dist)
    )
    assert proc.returncode == 1 and "connection refused" in proc.stderr
    assert "s3cret" not in proc.stderr


def _big_file(path: Path, n: int = 150_000) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            f.write(f'<https://example.org/s{i}> <https://example.org/p> "value {i:>40}" .\n')
    return path


@pytest.mark.parametrize("direct", [False, True], ids=["staged", "direct"])
def test_server_killed_mid_push_leaves_the_old_graph(server, dist, tmp_path, direct) -> None:
    store, query = f"{server.url}/store", f"{server.url}/query"
    push(dist / KG_FILE, store, GRAPH, replace=True)
    before = count(query, GRAPH)
    big = _big_file(tmp_path / "big.nt")
    size = big.stat().st_size
    sent = 0

    def kill_at_a_third(n: int) -> None:
        nonlocal sent
        sent += n
        if sent > size // 3 and server.process is not None:
            server.kill()
            server.process = None

    with pytest.raises(EndpointError) as info:
        push(big, store, GRAPH, replace=True, progress=kill_at_a_third, direct=direct)
    message = str(info.value)
    assert "\n" not in message and f"of {size:,} bytes" in message
    if direct:
        assert "the server cannot be asked what the graph holds now" in message
    else:
        assert f"<{GRAPH}> was not changed" in message
        assert STAGING_BASE in message  # it says where a partial upload may be

    server.start()  # the same store, after the crash
    query = f"{server.url}/query"
    assert count(query, GRAPH) == before
    assert graphs(query) == {GRAPH: before}  # no partial staging graph survives either

    # The next push goes through and replaces the graph.
    push(dist / INFERRED_FILE, f"{server.url}/store", GRAPH, replace=True)
    assert graphs(query) == {GRAPH: triples(dist / INFERRED_FILE)}


def test_oxigraph_load_from_the_readme(dist, tmp_path) -> None:
    """docs/triple-stores.md's commands for Oxigraph: closure in the default graph, kg.trig's
    named graphs."""
    location = tmp_path / "readme-store"
    loaded = subprocess.run(
        [oxigraph_command(), "load", "--location", str(location)]
        + ["--file", str(dist / CLOSURE_FILE), str(dist / "kg.trig")],
        capture_output=True,
        text=True,
    )
    assert loaded.returncode == 0, loaded.stderr
    server = OxigraphServer(location, read_only=True).start()
    try:
        endpoint = f"{server.url}/query"
        assert count(endpoint) == triples(dist / CLOSURE_FILE)
        void = Graph().parse(dist / "void.ttl", format="turtle")
        stated = {
            str(s): int(o)
            for s, o in void.subject_objects(URIRef("http://rdfs.org/ns/void#triples"))
            if str(s).startswith("https://w3id.org/kgbuild/graph/")
        }
        held = graphs(endpoint)
        assert {g: held[g] for g in stated} == stated
        handovers = run_remote_query(QUERIES["handovers"], endpoint)
        assert [str(r["territoryLabel"]) for r in handovers.rows] == [
            "Aghdam District",
            "Kalbajar District",
            "Lachin District",
        ]
    finally:
        server.stop()


def test_json_output_is_w3c_results(loaded) -> None:
    proc = run_cli("query", "handovers", "--endpoint", f"{loaded.url}/query", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert len(doc["results"]["bindings"]) == 3
