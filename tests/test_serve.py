"""`kgbuild serve`: the real CLI in a subprocess, answering real HTTP on 127.0.0.1.

The graph is the real repository's, built once per session; the answers are checked against
the files the build wrote (kg-closure.ttl, inferred.ttl, void.ttl).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from urllib.parse import urlencode

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, VOID

from conftest import ROOT, SRC, run_module
from kgbuild.export import DATASET, GRAPH_BASE
from kgbuild.namespaces import ID_BASE
from kgbuild.query import load_dataset, load_queries, run_query
from kgbuild.remote import EndpointError, push, run_remote_query
from kgbuild.serve import (
    GRAPH_FORMATS,
    RESULT_FORMATS,
    choose_format,
    is_loopback,
    make_server,
    update_keyword,
    uses_service,
)

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SEM = Namespace("http://semanticweb.cs.vu.nl/2009/11/sem/")
PREFIXES = """\
PREFIX kg: <https://w3id.org/kgbuild/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
HANDOVERS = (
    PREFIXES
    + """\
SELECT ?event ?label WHERE { ?event a kg:TerritoryHandover ; rdfs:label ?label }
ORDER BY ?label
"""
)
HANDOVER_LABELS = [
    "Handover of Aghdam District to Azerbaijan",
    "Handover of Kalbajar District to Azerbaijan",
    "Handover of Lachin District to Azerbaijan",
]
COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
PER_GRAPH = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
INSERT = "INSERT DATA { <https://example.org/s> <https://example.org/p> <https://example.org/o> }"
ASK_INSERTED = "ASK { <https://example.org/s> ?p ?o }"

# No proxy from the environment may stand between the tests and 127.0.0.1.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# ---------------------------------------------------------------------------- helpers


@dataclass
class Reply:
    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> dict:
        return json.loads(self.body)


def http(
    method: str,
    url: str,
    params: dict[str, str] | list[tuple[str, str]] | None = None,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    if params:
        url = f"{url}?{urlencode(params)}"
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with OPENER.open(request, timeout=30) as response:
            return Reply(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        with error:
            return Reply(error.code, error.headers, error.read())


def form(**fields: str) -> bytes:
    return urlencode(fields).encode("utf-8")


def bindings(reply: Reply) -> list[dict[str, str]]:
    assert reply.status == 200, reply.text
    assert reply.headers["Content-Type"] == "application/sparql-results+json"
    return [{k: v["value"] for k, v in row.items()} for row in reply.json()["results"]["bindings"]]


def count(url: str, query: str = COUNT_ALL, **params: str) -> int:
    (row,) = bindings(http("GET", url, {"query": query, **params}))
    return int(row["n"])


def one_line_error(reply: Reply, status: int) -> str:
    assert reply.status == status, reply.text
    assert reply.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert reply.headers["Access-Control-Allow-Origin"] == "*"
    assert reply.text.endswith("\n") and reply.text.count("\n") == 1, reply.text
    return reply.text.strip()


class Serve:
    """`python -m kgbuild serve --port 0 ...` in a subprocess, with its output collected."""

    def __init__(self, *args: str, cwd: Path, interruptible: bool = False) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env["PYTHONPATH"] = str(SRC)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kgbuild", "serve", "--port", "0", *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            # Ctrl-C must reach it even when the tests run where SIGINT is ignored.
            preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
            if interruptible
            else None,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        lines: queue.Queue[str | None] = queue.Queue()
        self._readers = [
            threading.Thread(target=self._read, args=(self.process.stdout, self.stdout, lines)),
            threading.Thread(target=self._read, args=(self.process.stderr, self.stderr, None)),
        ]
        for reader in self._readers:
            reader.start()
        deadline = time.monotonic() + 60
        self.url = ""
        while not self.url:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:  # exited, or silent for too long
                self.stop()
                pytest.fail(f"kgbuild serve did not start: {''.join(self.stderr)}")
            if " at http://" in line:
                self.start_line = line.strip()
                self.url = self.start_line.rsplit(" at ", 1)[1]

    @staticmethod
    def _read(stream, into: list[str], lines: queue.Queue | None) -> None:
        for line in stream:
            into.append(line)
            if lines is not None:
                lines.put(line)
        if lines is not None:
            lines.put(None)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for reader in self._readers:
            reader.join(10)
        return self.process.returncode

    def wait_for_log(self, text: str) -> str:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            found = [line for line in self.stderr if text in line]
            if found:
                return found[-1]
            time.sleep(0.05)
        pytest.fail(f"no log line with {text!r} in {''.join(self.stderr)!r}")


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def dist(built_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of what `kgbuild build` writes for the real repository (kg-closure.ttl, kg.trig,
    void.ttl, ...), in a directory of its own."""
    out = tmp_path_factory.mktemp("serve") / "dist"
    shutil.copytree(built_repo, out)
    assert (out / "kg.trig").is_file() and (out / "kg-closure.ttl").is_file()
    return out


@contextlib.contextmanager
def serving(dist: Path, *options: str) -> Iterator[Serve]:
    """`kgbuild serve --out DIST OPTIONS` while the block runs; it must stop cleanly."""
    serve = Serve("--out", str(dist), *options, cwd=dist.parent)
    try:
        yield serve
    finally:
        code = serve.stop()
    assert code == 0, "".join(serve.stderr)
    assert "Traceback" not in "".join(serve.stderr)


@pytest.fixture(scope="module")
def server(dist: Path) -> Iterator[Serve]:
    with serving(dist) as serve:
        yield serve


@pytest.fixture(scope="module")
def url(server: Serve) -> str:
    return server.url


@pytest.fixture(scope="module")
def void_counts(dist: Path) -> dict[str, int]:
    """Named graph -> the void:triples that void.ttl states for it."""
    void = Graph().parse(dist / "void.ttl", format="turtle")
    return {
        str(g): int(n)
        for g, n in void.subject_objects(VOID.triples)
        if str(g).startswith(GRAPH_BASE)
    }


# ---------------------------------------------------------------------------- start-up


def test_start_line_names_the_files_and_a_loopback_url(
    server: Serve, url: str, void_counts: dict[str, int]
) -> None:
    assert url.startswith("http://127.0.0.1:") and url.endswith("/sparql")
    graphs = len(void_counts) + 1  # and the void graph
    assert server.start_line == (
        f"Serving {count(url):,} triples (default graph: dist/kg-closure.ttl; "
        f"{graphs} named graphs from dist/kg.trig) read-only at {url}"
    )
    assert "Press Ctrl-C to stop.\n" in server.stdout
    assert not any("warning" in line for line in server.stderr)


# ---------------------------------------------------------------------------- queries


def test_select_by_get_post_form_and_post_query_agree_with_pyoxigraph(url: str, dist: Path) -> None:
    local = ox.Store()
    local.load(path=dist / "kg-closure.ttl", format=ox.RdfFormat.TURTLE)
    expected = [
        {"event": row["event"].value, "label": row["label"].value} for row in local.query(HANDOVERS)
    ]
    by_get = bindings(http("GET", url, {"query": HANDOVERS}))
    by_form = bindings(http("POST", url, body=form(query=HANDOVERS)))
    by_body = bindings(
        http(
            "POST",
            url,
            body=HANDOVERS.encode("utf-8"),
            headers={"Content-Type": "application/sparql-query"},
        )
    )
    assert by_get == by_form == by_body == expected
    assert [row["label"] for row in by_get] == HANDOVER_LABELS
    assert by_get[2]["event"] == ID_BASE + "event/handover-lachin"


def test_query_alias_and_head(url: str) -> None:
    alias = url.removesuffix("/sparql") + "/query"
    assert [r["label"] for r in bindings(http("GET", alias, {"query": HANDOVERS}))] == (
        HANDOVER_LABELS
    )
    head = http("HEAD", url, {"query": HANDOVERS})
    assert head.status == 200 and head.body == b""
    assert int(head.headers["Content-Length"]) > 0


def test_inferred_facts_are_in_the_default_graph(url: str, kg_graph, closure_graph) -> None:
    # The served copy of dist/ is byte for byte the session's build (the `dist` fixture).
    lachin = URIRef(ID_BASE + "event/handover-lachin")
    inferred = (lachin, RDF.type, SEM.Event)
    assert inferred in closure_graph
    assert inferred not in kg_graph
    ask = f"ASK {{ <{lachin}> a <{SEM.Event}> }}"
    assert http("GET", url, {"query": ask}).json()["boolean"] is True
    assert http("GET", url, {"query": ASK_INSERTED}).json()["boolean"] is False


def test_default_graph_is_the_closure_not_the_union(url: str, closure_graph) -> None:
    assert count(url) == len(closure_graph)


def test_named_graphs_hold_what_void_says(url: str, void_counts: dict[str, int]) -> None:
    served = {row["g"]: int(row["n"]) for row in bindings(http("GET", url, {"query": PER_GRAPH}))}
    for name in ("ontology", "data", "inferred", "source/000-lachin-report"):
        assert served[GRAPH_BASE + name] == void_counts[GRAPH_BASE + name] > 0
    assert set(served) == {*void_counts, GRAPH_BASE + "void"}


def test_void_graph_names_the_real_endpoint(url: str) -> None:
    query = f"""SELECT ?endpoint WHERE {{ GRAPH <{GRAPH_BASE}void> {{
        <{DATASET}> <{VOID.sparqlEndpoint}> ?endpoint .
        ?endpoint a <http://www.w3.org/ns/dcat#DataService> }} }}"""
    assert bindings(http("GET", url, {"query": query})) == [{"endpoint": url}]


def test_dataset_parameters_choose_the_graphs(url: str, void_counts: dict[str, int]) -> None:
    inferred, ontology = GRAPH_BASE + "inferred", GRAPH_BASE + "ontology"
    assert count(url, **{"default-graph-uri": inferred}) == void_counts[inferred]
    by_form = http("POST", url, body=form(query=COUNT_ALL, **{"default-graph-uri": ontology}))
    assert int(bindings(by_form)[0]["n"]) == void_counts[ontology]
    only = bindings(http("GET", url, {"query": PER_GRAPH, "named-graph-uri": ontology}))
    assert only == [{"g": ontology, "n": str(void_counts[ontology])}]
    bad = http("GET", url, {"query": COUNT_ALL, "default-graph-uri": "not an iri"})
    assert "default-graph-uri" in one_line_error(bad, 400)


def test_concurrent_queries(url: str) -> None:
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda _: http("GET", url, {"query": HANDOVERS}), range(16)))
    assert all([r["label"] for r in bindings(reply)] == HANDOVER_LABELS for reply in replies)


def test_rdflib_sparql_store_is_a_client(url: str) -> None:
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    remote = Graph(store=SPARQLStore(url, returnFormat="xml"))
    rows = list(remote.query(HANDOVERS))
    assert [str(row[1]) for row in rows] == HANDOVER_LABELS


# ---------------------------------------------------------------------------- formats


def test_select_as_csv_tsv_and_xml(url: str) -> None:
    by_accept = http("GET", url, {"query": HANDOVERS}, headers={"Accept": "text/csv"})
    assert by_accept.status == 200
    assert by_accept.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(by_accept.text)))
    assert rows[0] == ["event", "label"] and [r[1] for r in rows[1:]] == HANDOVER_LABELS
    by_format = http("GET", url, {"query": HANDOVERS, "format": "csv"})
    assert by_format.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert by_format.body == by_accept.body

    # format= wins over Accept
    tsv = http(
        "GET",
        url,
        {"query": HANDOVERS, "format": "tsv"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert tsv.headers["Content-Type"] == "text/tab-separated-values; charset=utf-8"
    lines = tsv.text.splitlines()
    assert lines[0] == "?event\t?label" and len(lines) == 4
    assert lines[1].endswith('\t"Handover of Aghdam District to Azerbaijan"@en')
    tsv_accept = {"Accept": "text/tab-separated-values"}
    assert http("GET", url, {"query": HANDOVERS}, headers=tsv_accept).body == tsv.body

    for headers, params in (
        ({"Accept": "application/sparql-results+xml"}, {}),
        ({}, {"format": "xml"}),
        ({"Accept": "text/csv;q=0.5, application/sparql-results+xml"}, {}),
    ):
        xml = http("GET", url, {"query": HANDOVERS, **params}, headers=headers)
        assert xml.headers["Content-Type"] == "application/sparql-results+xml"
        ns = {"r": "http://www.w3.org/2005/sparql-results#"}
        labels = [e.text for e in ET.fromstring(xml.body).iterfind(".//r:literal", ns)]
        assert labels == HANDOVER_LABELS

    for accept in ("*/*", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8", ""):
        reply = http("GET", url, {"query": HANDOVERS}, headers={"Accept": accept})
        assert reply.headers["Content-Type"] == "application/sparql-results+json"


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated")
def test_construct_in_every_graph_format(url: str) -> None:
    query = PREFIXES + (
        "CONSTRUCT { ?e rdfs:label ?l } WHERE { ?e a kg:TerritoryHandover ; rdfs:label ?l }"
    )
    graphs = []
    for params, headers, media_type, syntax in (
        ({}, {}, "text/turtle; charset=utf-8", "turtle"),
        ({}, {"Accept": "application/n-triples"}, "application/n-triples", "nt"),
        ({"format": "rdfxml"}, {}, "application/rdf+xml", "xml"),
        ({"format": "jsonld"}, {"Accept": "text/turtle"}, "application/ld+json", "json-ld"),
    ):
        reply = http("GET", url, {"query": query, **params}, headers=headers)
        assert reply.status == 200, reply.text
        assert reply.headers["Content-Type"] == media_type
        graph = Graph().parse(data=reply.body, format=syntax)
        assert sorted(str(o) for o in graph.objects()) == HANDOVER_LABELS
        graphs.append(graph)
    assert all(set(g) == set(graphs[0]) for g in graphs)
    wrong = http("GET", url, {"query": query, "format": "csv"})
    assert "format=csv is not available for CONSTRUCT" in one_line_error(wrong, 406)


def test_unacceptable_accept_is_406_listing_the_formats(url: str) -> None:
    reply = http("GET", url, {"query": HANDOVERS}, headers={"Accept": "image/png"})
    message = one_line_error(reply, 406)
    assert message.startswith("Accept: image/png is not available for SELECT and ASK results")
    for fmt in RESULT_FORMATS:
        assert fmt.media_type in message


# ---------------------------------------------------------------------------- refusals


def test_updates_are_refused_and_change_nothing(url: str) -> None:
    before = count(url)
    base = url.removesuffix("/sparql")
    sparql_update = {"Content-Type": "application/sparql-update"}
    sparql_query = {"Content-Type": "application/sparql-query"}
    for method, target, params, body, headers in (
        ("POST", base + "/update", None, form(update=INSERT), {}),
        ("POST", base + "/update", None, INSERT.encode(), sparql_update),
        ("GET", base + "/update", {"update": INSERT}, None, {}),
        ("POST", url, None, form(update=INSERT), {}),
        ("POST", url, None, INSERT.encode(), sparql_update),
        ("GET", url, {"query": INSERT}, None, {}),
        ("POST", url, None, form(query=INSERT), {}),
        ("POST", url, None, b"PREFIX : <https://example.org/>\nDROP ALL", sparql_query),
        ("POST", url, None, b"# a comment\nDELETE WHERE { ?s ?p ?o }", sparql_query),
        ("GET", url, {"query": "LOAD <https://example.org/data.ttl>"}, None, {}),
    ):
        reply = http(method, target, params, body, headers)
        assert "read-only" in one_line_error(reply, 403), (method, target)
    assert count(url) == before
    assert http("GET", url, {"query": ASK_INSERTED}).json()["boolean"] is False


def test_malformed_query_is_400_with_pyoxigraphs_message(url: str) -> None:
    reply = http("GET", url, {"query": "SELECT * WHERE { ?s ?p }"})
    assert one_line_error(reply, 400).startswith("malformed query: error at 1:")
    assert one_line_error(http("GET", url, {"query": "  "}), 400) == "the query is empty"
    no_query = http("POST", url, body=form(format="json"))
    assert one_line_error(no_query, 400).startswith("no query")


def test_service_is_refused_and_nothing_is_contacted(url: str) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        remote = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
        for query in (
            f"SELECT * WHERE {{ SERVICE <{remote}> {{ ?s ?p ?o }} }}",
            f"select * {{ service silent <{remote}> {{ ?s ?p ?o }} }}",
            f"PREFIX : <{remote}#> SELECT * {{ SERVICE:x {{ ?s ?p ?o }} }}",
            f"SELECT * {{ ?s ?p ?o.SERVICE<{remote}>{{ ?a ?b ?c }} }}",
            f"SELECT * {{ ?s ?p true SERVICE<{remote}>{{ ?a ?b ?c }} }}",
            f"SELECT * {{ ?s ?p 'x'SERVICE<{remote}>{{ ?a ?b ?c }} }}",
            f"ASK {{ FILTER EXISTS {{ SERVICE <{remote}> {{ ?s ?p ?o }} }} }}",
        ):
            reply = http("POST", url, body=form(query=query))
            assert "uses SERVICE" in one_line_error(reply, 400), query
        listener.settimeout(0.3)
        with pytest.raises(TimeoutError):
            listener.accept()
    # "service" as a variable, in a name, a string or an IRI is no SERVICE.
    fine = (
        "SELECT ?service WHERE { GRAPH ?g { ?d <http://rdfs.org/ns/void#sparqlEndpoint> ?service ."
        " ?service a <http://www.w3.org/ns/dcat#DataService> FILTER(?service != 'SERVICE') } }"
    )
    assert bindings(http("GET", url, {"query": fine})) == [{"service": url}]


def test_unknown_path_method_and_body(url: str) -> None:
    base = url.removesuffix("/sparql")
    assert one_line_error(http("GET", base + "/nope"), 404).startswith("no such path: /nope")
    put = http("PUT", url, body=b"x")
    assert "PUT is not allowed" in one_line_error(put, 405)
    assert put.headers["Allow"] == "GET, HEAD, POST, OPTIONS"
    delete = http("DELETE", base + "/")
    one_line_error(delete, 405)
    assert delete.headers["Allow"] == "GET, HEAD, OPTIONS"
    too_big = b"SELECT * WHERE { ?s ?p ?o }" + b" " * (1024 * 1024)
    big = http("POST", url, body=too_big, headers={"Content-Type": "application/sparql-query"})
    assert "over the limit of 1,048,576" in one_line_error(big, 413)
    plain = http("POST", url, body=b"ASK {}", headers={"Content-Type": "text/plain"})
    assert "application/sparql-query" in one_line_error(plain, 415)


# ---------------------------------------------------------------------------- other routes


def test_service_description(url: str, void_counts: dict[str, int]) -> None:
    reply = http("GET", url)
    assert reply.headers["Content-Type"] == "text/turtle; charset=utf-8"
    sd = Graph().parse(data=reply.body, format="turtle")
    service = URIRef(url)
    assert (service, RDF.type, SD.Service) in sd
    assert (service, SD.endpoint, service) in sd
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in sd
    formats = {str(f) for f in sd.objects(service, SD.resultFormat)}
    assert "http://www.w3.org/ns/formats/SPARQL_Results_JSON" in formats
    assert "http://www.w3.org/ns/formats/Turtle" in formats
    assert len(formats) == len(RESULT_FORMATS) + len(GRAPH_FORMATS)
    dataset = sd.value(service, SD.defaultDataset)
    named = {
        str(sd.value(entry, SD.name)): int(sd.value(sd.value(entry, SD.graph), VOID.triples))
        for entry in sd.objects(dataset, SD.namedGraph)
    }
    assert {k: v for k, v in named.items() if k in void_counts} == void_counts
    default = sd.value(sd.value(dataset, SD.defaultGraph), VOID.triples)
    assert default == Literal(count(url))


def test_home_page_has_a_form(url: str, void_counts: dict[str, int]) -> None:
    reply = http("GET", url.removesuffix("/sparql") + "/")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in reply.headers["Content-Security-Policy"]
    page = reply.text
    assert '<form method="post" action="/sparql"' in page
    assert '<textarea id="query" name="query"' in page
    assert '<option value="csv">' in page
    graphs = len(void_counts) + 1
    assert f"Serving {count(url):,} triples in the default graph and {graphs} named graphs" in page
    assert "read-only" in page
    assert "<script" not in page and "http://" not in page.replace(url, "")


def test_cors(url: str) -> None:
    assert http("GET", url, {"query": "ASK {}"}).headers["Access-Control-Allow-Origin"] == "*"
    preflight = http(
        "OPTIONS",
        url,
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status == 204 and preflight.body == b""
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, POST"
    assert preflight.headers["Access-Control-Allow-Headers"] == "Content-Type, Accept"


def test_one_log_line_per_request(server: Serve, url: str) -> None:
    http("GET", url.removesuffix("/sparql") + "/missing-page")
    line = server.wait_for_log("GET /missing-page 404 ")
    assert line.endswith(" ms\n")
    http("POST", url.removesuffix("/sparql") + "/update", body=form(update=INSERT))
    server.wait_for_log("POST /update 403 ")


# ---------------------------------------------------------------------------- the command


def test_quiet_without_trig(project) -> None:
    assert project.run("build", "-q", "--format", "none").exit_code == 0
    serve = Serve("--quiet", "--out", "dist", cwd=project.root, interruptible=True)
    try:
        assert serve.start_line.startswith("Serving ")
        assert "dist/kg.trig not found, so no named graphs but the endpoint description" in (
            serve.start_line
        )
        assert serve.url.startswith("http://127.0.0.1:")
        graphs = bindings(http("GET", serve.url, {"query": PER_GRAPH}))
        assert graphs == [{"g": GRAPH_BASE + "void", "n": "4"}]
    finally:
        code = serve.stop(signal.SIGINT)
    assert code == 0
    assert serve.stdout == [serve.start_line + "\n"]  # --quiet: the URL line only
    assert serve.stderr == []  # no request log, and no warning on loopback


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("fe80::1%eth0", False),
    ],
)
def test_which_addresses_warn(address: str, loopback: bool) -> None:
    # Decided without binding: the tests only ever listen on 127.0.0.1.
    assert is_loopback(address) is loopback


def test_port_in_use_exits_2(dist: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_module("serve", "--port", str(port), "--out", str(dist), cwd=dist.parent)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"kgbuild: error: cannot listen on 127.0.0.1:{port}: the address is already in use; "
        "pick another with --port"
    ]


def test_missing_or_damaged_closure_exits_2(dist: Path, tmp_path: Path) -> None:
    missing = run_module("serve", "--port", "0", cwd=tmp_path)
    assert missing.returncode == 2
    assert missing.stderr.splitlines() == [
        "kgbuild: error: 'dist/manifest.json' not found: there is no build in 'dist'; "
        "run `kgbuild build` first"
    ]
    shutil.copytree(dist, tmp_path / "dist", ignore=shutil.ignore_patterns("store"))
    closure = tmp_path / "dist" / "kg-closure.ttl"
    closure.write_bytes(closure.read_bytes().replace(b"kg:", b"kX", 1))  # same size
    damaged = run_module("serve", "--port", "0", cwd=tmp_path)
    assert damaged.returncode == 2
    assert damaged.stderr.splitlines() == [
        "kgbuild: error: the build in 'dist' cannot be used: 'dist/kg-closure.ttl' was changed "
        "after the build; run `kgbuild build` to make it again"
    ]


# ---------------------------------------------------------------------------- in-process


def test_make_server_in_process_escapes_the_page() -> None:
    store = ox.Store()
    s, p = ox.NamedNode("https://example.org/s"), ox.NamedNode("https://example.org/p")
    store.add(ox.Quad(s, p, ox.Literal("in the default graph")))
    store.add(ox.Quad(s, p, ox.Literal("1"), ox.NamedNode("https://example.org/g?a=1&b=2")))
    lines: list[str] = []
    server = make_server(store, "127.0.0.1", 0, log=lines.append)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        page = http("GET", server.url.removesuffix("/sparql") + "/").text
        assert "<code>https://example.org/g?a=1&amp;b=2</code>: 1 triple<" in page
        assert "&b=2" not in page
        assert "Serving 1 triple in the default graph and 2 named graphs" in page
        assert count(server.url) == 1
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    assert lines[0].startswith("GET / 200 ")


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * { SERVICE <http://x/> { ?s ?p ?o } }",
        "select * { sErViCe SILENT ?endpoint { ?s ?p ?o } }",
        "PREFIX : <http://x/> SELECT * { SERVICE:x{ ?s ?p ?o } }",
        "PREFIX ex: <http://x/> SELECT * { SERVICEex:x{ ?s ?p ?o } }",
        "SELECT * { ?s ?p trueSERVICE<http://x/>{ ?a ?b ?c } }",
        "SELECT * { ?s ?p 1SERVICE<http://x/>{ ?a ?b ?c } }",
        "SELECT * { ?s ?p <http://x/o>SERVICE<http://x/>{ ?a ?b ?c } }",
        "PREFIX ex: <http://x/> SELECT * { ?s ?p ex:a.SERVICE<http://x/>{ ?a ?b ?c } }",
        "SELECT * { ?s ?p ?o # a comment\nSERVICE <http://x/> {} }",
        "SELECT * { VALUES ?x { '''a' } SERVICE <http://x/> {} }",
        'SELECT * { ?s ?p "a\\"" SERVICE <http://x/> {} }',
        "PREFIX ex: <http://x/> SELECT * { ?s ?p ex:a\\#b SERVICE <http://x/> {} }",
        "SELECT * { ?s ?p ?o FILTER(?o<?x) SERVICE<http://x/>{} }",
    ],
)
def test_every_spelling_of_service_is_caught(query: str) -> None:
    assert uses_service(query)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT ?service WHERE { ?s <http://rdfs.org/ns/void#sparqlEndpoint> ?service }",
        "PREFIX dcat: <http://www.w3.org/ns/dcat#> SELECT * { ?s a dcat:DataService }",
        "SELECT * { ?s ?p 'SERVICE <http://x/> {}' }",
        'SELECT * { ?s ?p """a\nSERVICE <http://x/> {}""" }',
        "SELECT * { ?s <http://x/SERVICE> ?o } # SERVICE <http://x/> {}",
    ],
)
def test_service_as_a_word_is_allowed(query: str) -> None:
    assert not uses_service(query)


def test_update_keyword() -> None:
    assert update_keyword("INSERT DATA { <a:b> <a:c> <a:d> }") == "INSERT"
    assert update_keyword("PREFIX : <x:> BASE <y:> # c\n delete where { ?s ?p ?o }") == "DELETE"
    assert update_keyword("WITH <g:> DELETE {} WHERE {}") == "WITH"
    assert update_keyword("PREFIX insert: <x:> SELECT * {}") is None
    assert update_keyword("ASK {}") is None


def test_choose_format_honours_q_values() -> None:
    def chosen(accept: str | None, requested: str | None = None) -> str | None:
        fmt = choose_format(RESULT_FORMATS, accept, requested)
        return fmt.name if fmt else None

    assert chosen(None) == chosen("") == chosen("*/*") == chosen("nonsense") == "json"
    assert chosen("text/csv") == "csv"
    assert chosen("text/*") == "csv"  # aliases (text/xml) only count when named
    assert chosen("text/csv;q=0.2, text/tab-separated-values;q=0.3") == "tsv"
    assert chosen("application/json;q=0, */*;q=0.1") == "xml"
    assert chosen("text/csv;q=0, */*;q=0") is None
    assert chosen("image/png") is None
    assert chosen("image/png", requested="csv") == "csv"
    assert chosen(None, requested="application/sparql-results+xml") == "xml"
    assert chosen(None, requested="turtle") is None
    graph = choose_format(GRAPH_FORMATS, None, "xml")
    assert graph is not None and graph.name == "rdfxml"


# ---------------------------------------------------------------------------- stored queries

QUERIES = load_queries(ROOT / "queries")


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_stored_query_gives_the_local_results(url: str, dist: Path, name: str) -> None:
    """`kgbuild query NAME --endpoint` against `kgbuild serve`: the rows of the local run."""
    query = QUERIES[name]
    params = {p.name: p.example for p in query.params if p.example is not None}
    local = run_query(query, load_dataset(dist, inferred=True), params, engine="oxigraph")
    remote = run_remote_query(query, url, params)
    assert remote.variables == local.variables and local.rows
    if query.ordered:
        assert remote.rows == local.rows
    else:
        assert Counter(frozenset(r.items()) for r in remote.rows) == Counter(
            frozenset(r.items()) for r in local.rows
        )


def test_push_to_the_read_only_endpoint_is_refused(url: str, dist: Path) -> None:
    store = url.removesuffix("/sparql") + "/store"
    with pytest.raises(EndpointError) as info:
        push(dist / "kg.ttl", store, direct=True)
    assert info.value.state == "refused" and "the default graph was not changed" in str(info.value)
