"""Hostile queries: `kgbuild serve` survives them and bounds each one; `kgbuild query` refuses
them in one line and its --timeout covers the whole command.

The servers are the real CLI in a subprocess on 127.0.0.1 (see test_serve.py); the query
commands run in a process of their own too, since a parser crash would end the test runner."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from conftest import ROOT, SRC, run_module
from test_serve import Serve, bindings, count, form, http, one_line_error, serving

NESTED = "SELECT * WHERE { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }"  # 30 KB
# Not nested, but as deep a parse: a chain of 20,000 ||, which the lexer lets through.
LONG_CHAIN = "SELECT * WHERE { FILTER(" + " || ".join(["true"] * 20000) + ") }"
# Billions of rows to count: runs until stopped, whatever the machine.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
WORKERS = 2


@pytest.fixture(scope="module")
def dist(built_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hostile") / "dist"
    shutil.copytree(built_repo, out)
    return out


@pytest.fixture(scope="module")
def plain(dist: Path) -> Iterator[Serve]:
    """A server with the default limits (timeout 30 s)."""
    with serving(dist) as serve:
        yield serve


@pytest.fixture(scope="module")
def limited(dist: Path) -> Iterator[Serve]:
    options = ("--timeout", "1", "--max-rows", "1000", "--workers", str(WORKERS))
    with serving(dist, *options) as serve:
        yield serve


def children(serve: Serve) -> list[int]:
    """The processes the server has forked that still run."""
    pids: list[int] = []
    for task in Path(f"/proc/{serve.process.pid}/task").iterdir():
        pids += [int(p) for p in (task / "children").read_text().split()]
    return pids


def threads(serve: Serve) -> int:
    status = Path(f"/proc/{serve.process.pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("Threads:")).split()[1])


def wait_until(condition, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


# ---------------------------------------------------------------------------- serve


def test_a_deeply_nested_query_is_400_and_the_server_goes_on(plain: Serve) -> None:
    reply = http("POST", plain.url, body=form(query=NESTED))
    message = one_line_error(reply, 400)
    assert "5002 levels deep, over the limit of 100" in message
    assert plain.process.poll() is None
    assert count(plain.url) > 20000  # and it still answers


def test_a_query_that_crashes_the_parser_is_400_and_the_server_goes_on(plain: Serve) -> None:
    reply = http("POST", plain.url, body=LONG_CHAIN.encode(), headers={
        "Content-Type": "application/sparql-query"})  # fmt: skip
    message = one_line_error(reply, 400)
    assert message.startswith("malformed query: the parser crashed on it")
    assert plain.process.poll() is None
    assert count(plain.url) > 20000
    assert wait_until(lambda: not children(plain))


def test_a_runaway_query_gets_503_and_its_worker_is_freed(limited: Serve) -> None:
    for _ in range(WORKERS + 1):  # more than the workers: each one was freed for the next
        message = one_line_error(http("GET", limited.url, {"query": RUNAWAY}), 503)
        assert message.startswith("the query did not finish within 1 s, the limit of this endpoint")
    assert wait_until(lambda: not children(limited))
    assert count(limited.url) > 20000


def test_an_answer_over_max_rows_is_500_and_under_it_whole(limited: Serve) -> None:
    select = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    message = one_line_error(http("GET", limited.url, {"query": select}), 500)
    assert message == (
        "the answer has more than 1,000 rows, the most this endpoint sends; "
        "add LIMIT (and OFFSET to page through it)"
    )
    construct = "CONSTRUCT WHERE { ?s ?p ?o }"
    message = one_line_error(http("GET", limited.url, {"query": construct}), 500)
    assert "more than 1,000 triples" in message
    rows = bindings(http("GET", limited.url, {"query": select + " LIMIT 1000"}))
    assert len(rows) == 1000
    reply = http("GET", limited.url, {"query": select + " LIMIT 1000", "format": "csv"})
    assert reply.status == 200 and reply.text.count("\r\n") == 1001  # the header and the rows


def test_more_slow_clients_than_workers_do_not_add_threads(limited: Serve) -> None:
    before = threads(limited)
    seen = [before]
    clients = 4 * WORKERS + 4  # more than the threads that read requests
    with ThreadPoolExecutor(clients) as pool:
        futures = [
            pool.submit(http, "GET", limited.url, {"query": RUNAWAY}) for _ in range(clients)
        ]
        while not all(f.done() for f in futures):
            seen.append(threads(limited))
            time.sleep(0.05)
        statuses = [f.result().status for f in futures]
    # A fixed set: 4 per worker and the one that accepts, however many clients.
    assert max(seen) <= 4 * WORKERS + 1, seen
    assert set(statuses) == {503}  # each told it ran out of time or found every worker busy
    assert wait_until(lambda: not children(limited))
    assert count(limited.url) > 20000


def test_a_client_that_hangs_up_stops_its_query(plain: Serve) -> None:
    host, port = urlsplit(plain.url).hostname, urlsplit(plain.url).port
    with socket.create_connection((host, port), timeout=10) as client:
        target = f"/sparql?{urlencode({'query': RUNAWAY})}"
        client.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        assert wait_until(lambda: children(plain)), "no worker process ran the query"
    # Gone well before the 30 s timeout: the hang-up stopped it.
    assert wait_until(lambda: not children(plain), 15)
    assert "the client hung up; its query was stopped" in plain.wait_for_log("hung up")
    assert count(plain.url) > 20000


def test_a_truncated_body_is_400_at_once(plain: Serve) -> None:
    host, port = urlsplit(plain.url).hostname, urlsplit(plain.url).port
    with socket.create_connection((host, port), timeout=10) as client:
        client.sendall(
            b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
            b"Content-Length: 100\r\n\r\nSELECT * WHERE"
        )
        client.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := client.recv(4096):  # raises TimeoutError after 10 s
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert answer.endswith(b"\r\n\r\nthe request body ended early\n")


def test_serve_help_shows_the_limits() -> None:
    result = run_module("serve", "--help", cwd=ROOT)
    text = " ".join(result.stdout.split())
    for option in ("--timeout SECONDS", "--max-rows N", "--workers N"):
        assert option in text
    assert "[default: 30.0; x>0]" in text and "[default: 100000; x>=1]" in text
    assert "[default: 4; x>=1]" in text


# ---------------------------------------------------------------------------- query


def one_error_line(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == "" and "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("kgbuild: error: ")
    return line.removeprefix("kgbuild: error: ")


def write(tmp_path: Path, text: str, name: str = "q.rq") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_query_file_nested_too_deeply_is_refused_in_one_line(built_repo, tmp_path) -> None:
    path = write(tmp_path, NESTED)
    message = one_error_line(
        run_module("query", "--file", path, "--out", str(built_repo), cwd=ROOT), 2
    )
    assert message == (
        f"query '{path}' nests brackets or operators 5002 levels deep, over the limit of 100; "
        "write it with fewer nested parentheses, braces and brackets"
    )


def test_query_endpoint_nested_too_deeply_is_refused_before_sending(tmp_path) -> None:
    # Nothing listens on port 9: the refusal comes before any request.
    endpoint = "http://127.0.0.1:9/sparql"
    path = write(tmp_path, NESTED)
    message = one_error_line(
        run_module("query", "--endpoint", endpoint, "--file", path, cwd=ROOT), 2
    )
    assert "5002 levels deep, over the limit of 100" in message
    # With SERVICE the query is parsed by rdflib, whose parser recurses sooner.
    service = (
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/x> { ?s ?p ?o } FILTER("
        + "(" * 40 + "1" + ")" * 40 + ") }"
    )  # fmt: skip
    path = write(tmp_path, service, "service.rq")
    message = one_error_line(
        run_module("query", "--endpoint", endpoint, "--file", path, cwd=ROOT), 2
    )
    assert message == (
        f"query '{path}' nests too deeply for rdflib's SPARQL parser; "
        "write it with fewer nested parentheses, braces and brackets"
    )


def run_query_process(*args: str, pythonpath: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = pythonpath
    return subprocess.run(
        [sys.executable, "-m", "kgbuild", "query", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,  # the generous bound: a --timeout 2 that works returns long before
    )


def test_query_timeout_covers_checking_the_query(built_repo, tmp_path) -> None:
    # An ASK is answered while it is parsed: checking this one on an empty store takes minutes.
    values = " ".join(str(i) for i in range(1000))
    ask = f"ASK {{ VALUES ?a {{ {values} }} VALUES ?b {{ {values} }} VALUES ?c {{ {values} }}"
    ask += " FILTER(?a + ?b + ?c < 0) }"
    path = write(tmp_path, ask)
    result = run_query_process(
        "--file", path, "--out", str(built_repo), "--timeout", "2", pythonpath=str(SRC)
    )
    message = one_error_line(result, 1)
    assert message.startswith(f"query '{path}' stopped after 2 s without finishing")


def test_query_timeout_covers_loading_the_build(built_repo, tmp_path) -> None:
    # A hook makes reading the build take ten minutes, whatever the machine.
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(
        "import time\n"
        "import kgbuild.dist\n"
        "import kgbuild.query.dataset\n"
        "_open_build = kgbuild.dist.open_build\n"
        "def slow_open_build(*args, **kwargs):\n"
        "    time.sleep(600)\n"
        "    return _open_build(*args, **kwargs)\n"
        "kgbuild.dist.open_build = kgbuild.query.dataset.open_build = slow_open_build\n",
        encoding="utf-8",
    )
    result = run_query_process(
        "place-names", "--out", str(built_repo), "--timeout", "2",
        pythonpath=os.pathsep.join((str(hooks), str(SRC))),
    )  # fmt: skip
    message = one_error_line(result, 1)
    assert message.startswith("query 'place-names' stopped after 2 s without finishing")


def test_nesting_is_measured_outside_strings_iris_and_comments() -> None:
    from kgbuild.sparql_text import nesting_depth

    assert nesting_depth("SELECT * WHERE { ?s ?p ?o FILTER(?o != 1) }") == 2
    assert nesting_depth('SELECT * WHERE { FILTER("((((((" = <a(((>) } # ((((') == 2
    assert nesting_depth("SELECT * WHERE { ?s !^<p> ?o }") == 3
    assert nesting_depth("(" * 100_000) == 100_000
    assert nesting_depth(")" * 10 + "(") == 1
