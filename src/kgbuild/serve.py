"""``kgbuild serve``: the built graph, read-only, over the SPARQL 1.1 Protocol.

Routes: GET|POST /sparql (alias /query) runs a query: GET ?query=, POST form query=, or POST
application/sparql-query; default-graph-uri / named-graph-uri are honoured. GET /sparql with no
query: the service description (Turtle). GET /: a page with a query form. OPTIONS: CORS preflight.
Formats (Accept, q-values honoured, or format= which wins): SELECT/ASK json (default), xml, csv,
tsv; CONSTRUCT/DESCRIBE turtle (default), ntriples, rdfxml, jsonld.
Status: 200; 204 preflight; 400 malformed query, SERVICE, bad parameter; 403 any update (/update,
update=, application/sparql-update, an update as query=); 404 path; 405 method (with Allow);
406 no acceptable format; 408 the body stopped arriving; 411 no Content-Length; 413 body over
1 MiB; 415 POST type; 500 the query failed while running, or its answer has more than
``max_rows`` rows; 503 the query ran out of time, or every worker stayed busy. All responses:
Access-Control-Allow-Origin: *; errors: one line.

The default graph is OUT/kg-closure.ttl (ontology + data + OWL 2 RL inferences); the named graphs
are those of OUT/kg.trig (ontology, data, inferred, one per source document, void), when it
exists. The void graph also gets the triples saying the dataset is served at this endpoint.
Queries run on the store's default graph, not the union of the graphs.

The store is only ever queried, never updated. pyoxigraph 0.5 answers SERVICE by calling the
remote endpoint itself, with no switch to stop it, so every query is scanned first (by a lexer
that splits SPARQL the way Oxigraph's parser does) and refused if it could name SERVICE.

Any client can send any query (every answer allows any origin), so each query is parsed and run
in a forked worker process that writes the response itself (as ``query.run_supervised`` does for
the command line): Oxigraph's parser overflowing its stack kills the worker, not the server; the
worker is killed at the timeout or when the client hangs up; and the memory a large answer took
goes with it. At most ``workers`` run at once, and a fixed set of threads reads the requests.
"""

from __future__ import annotations

import contextlib
import errno
import html
import ipaddress
import itertools
import math
import os
import queue
import re
import select
import signal
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox

from kgbuild import __version__
from kgbuild.dist import CLOSURE_FILE, TRIG_FILE, open_build
from kgbuild.errors import InputError, display_path, first_line
from kgbuild.export import GRAPH_BASE, endpoint_description
from kgbuild.sparql_text import MAX_NESTING, refusal, update_keyword, uses_service
from kgbuild.terms import to_oxigraph_term

__all__ = [
    "GRAPH_FORMATS",
    "MAX_BODY",
    "RESULT_FORMATS",
    "Format",
    "Limits",
    "Refused",
    "Response",
    "SparqlServer",
    "Sources",
    "choose_format",
    "is_loopback",
    "load_store",
    "make_server",
    "serve_until_stopped",
    "start_message",
    "update_keyword",
    "uses_service",
]

# The names kgbuild.build gives them (not imported: build pulls in pyshacl).
VOID_GRAPH = GRAPH_BASE + "void"

MAX_BODY = 1024 * 1024  # bytes of a request body


@dataclass(frozen=True)
class Limits:
    """What one query may take: ``timeout`` seconds, from the start of its worker process, and
    ``max_rows`` rows (or triples); ``workers`` queries run at once."""

    timeout: float = 30.0
    max_rows: int = 100_000
    workers: int = 4

    @property
    def threads(self) -> int:
        """Connections read at once: more than the workers, so a client that is slow to send
        its request does not keep a free worker idle."""
        return 4 * self.workers


READ_ONLY = "this endpoint is read-only: SPARQL updates are refused"

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


# ---------------------------------------------------------------------------- formats


FORMATS_NS = "http://www.w3.org/ns/formats/"


@dataclass(frozen=True)
class Format:
    """A serialisation the endpoint answers in."""

    name: str  # the value of format=
    media_type: str  # sent as Content-Type
    oxigraph: Any  # ox.QueryResultsFormat or ox.RdfFormat
    w3c: str  # its name in http://www.w3.org/ns/formats/, for the service description
    aliases: tuple[str, ...] = ()  # other format= values and media types that choose it

    @property
    def alias_types(self) -> tuple[str, ...]:
        return tuple(a for a in self.aliases if "/" in a)

    @property
    def content_type(self) -> str:
        # text/* defaults to ASCII without a charset; the application/* types here define theirs.
        if self.media_type.startswith("text/"):
            return f"{self.media_type}; charset=utf-8"
        return self.media_type


QR, RF = ox.QueryResultsFormat, ox.RdfFormat
# The first of each is the default. The aliases include what SPARQLWrapper sends as format=
# (for CONSTRUCT it sends "xml" and "json" too, meaning RDF/XML and JSON-LD).
RESULT_FORMATS = (
    Format(
        "json",
        "application/sparql-results+json",
        QR.JSON,
        "SPARQL_Results_JSON",
        ("application/json",),
    ),
    Format(
        "xml",
        "application/sparql-results+xml",
        QR.XML,
        "SPARQL_Results_XML",
        ("application/xml", "text/xml"),
    ),
    Format("csv", "text/csv", QR.CSV, "SPARQL_Results_CSV"),
    Format("tsv", "text/tab-separated-values", QR.TSV, "SPARQL_Results_TSV"),
)
GRAPH_FORMATS = (
    Format(
        "turtle",
        "text/turtle",
        RF.TURTLE,
        "Turtle",
        ("ttl", "n3", "text/n3", "application/x-turtle"),
    ),
    Format("ntriples", "application/n-triples", RF.N_TRIPLES, "N-Triples", ("nt", "n-triples")),
    Format(
        "rdfxml",
        "application/rdf+xml",
        RF.RDF_XML,
        "RDF_XML",
        ("rdf", "rdf+xml", "xml", "application/xml", "text/xml"),
    ),
    Format(
        "jsonld",
        "application/ld+json",
        RF.JSON_LD,
        "JSON-LD",
        ("json-ld", "json", "application/json"),
    ),
)
del QR, RF

_Q_VALUE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")


def _accept_ranges(header: str) -> list[tuple[str, str, float]]:
    """(type, subtype, q) of each well-formed media range of an Accept header."""
    ranges = []
    for part in header.split(","):
        media, *params = part.split(";")
        kind, slash, sub = media.strip().lower().partition("/")
        if not slash or not kind or not sub:
            continue
        q: float | None = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                value = value.strip()
                q = float(value) if _Q_VALUE.fullmatch(value) else None
        if q is not None:
            ranges.append((kind, sub, q))
    return ranges


def _quality(fmt: Format, ranges: list[tuple[str, str, float]]) -> float:
    """The q of ``fmt``: that of the most specific range matching its media type (RFC 9110),
    or of one naming an alias (application/json): a wildcard never picks an alias, so text/*
    means text/csv, not XML sent as text/xml."""
    kind, _, sub = fmt.media_type.partition("/")
    best, q = -1, 0.0
    for range_kind, range_sub, range_q in ranges:
        if (range_kind, range_sub) == (kind, sub) or f"{range_kind}/{range_sub}" in fmt.alias_types:
            rank = 2
        elif range_kind == kind and range_sub == "*":
            rank = 1
        elif (range_kind, range_sub) == ("*", "*"):
            rank = 0
        else:
            continue
        if rank > best or (rank == best and range_q > q):
            best, q = rank, range_q
    return q


def choose_format(
    formats: Sequence[Format], accept: str | None, requested: str | None = None
) -> Format | None:
    """The format to answer in: the one ``requested`` (format=) names, else the one ``accept``
    prefers (ties go to the earlier of ``formats``; no Accept, or none that parses, gives the
    first), else None: nothing acceptable."""
    if requested:
        wanted = requested.split(";")[0].strip().lower()
        return next(
            (f for f in formats if wanted in (f.name, f.media_type, *f.aliases)),
            None,
        )
    ranges = _accept_ranges(accept or "")
    if not ranges:
        return formats[0]
    chosen, chosen_q = None, 0.0
    for fmt in formats:
        q = _quality(fmt, ranges)
        if q > chosen_q:
            chosen, chosen_q = fmt, q
    return chosen


# ---------------------------------------------------------------------------- the store


@dataclass(frozen=True)
class Sources:
    """The files the store was loaded from."""

    closure: Path
    trig: Path | None  # None: there was no kg.trig


def _read_quads(data: bytes, path: Path, fmt: Any) -> list[ox.Quad]:
    try:
        # Fresh blank node ids, so the closure and the TriG never share a blank node by label.
        return list(ox.parse(data, format=fmt, rename_blank_nodes=True))
    except SyntaxError as exc:
        message = f"cannot read '{display_path(path)}': {first_line(exc)}"
        raise InputError(message, hint="run `kgbuild build` again") from None


def load_store(out_dir: str | Path = "dist") -> tuple[ox.Store, Sources]:
    """An in-memory store with the build's kg-closure.ttl as its default graph and the named
    graphs of its kg.trig, when it wrote one. InputError when there is no usable build (see
    ``dist.open_build``)."""
    build = open_build(out_dir)
    closure = build.path(CLOSURE_FILE)
    store = ox.Store()
    store.bulk_extend(_read_quads(build.read(CLOSURE_FILE), closure, ox.RdfFormat.TURTLE))
    trig = build.path(TRIG_FILE)
    if TRIG_FILE not in build.manifest["outputs"]:
        return store, Sources(closure, None)
    quads = _read_quads(build.read(TRIG_FILE), trig, ox.RdfFormat.TRIG)
    # kg.trig names its graphs by IRI and has no default graph; a stray one must not change
    # the closure (and a graph named by a blank node could not be asked for by name).
    store.bulk_extend(q for q in quads if isinstance(q.graph_name, ox.NamedNode))
    return store, Sources(closure, trig)


def _graph_counts(store: ox.Store) -> tuple[int, dict[str, int]]:
    """Triples in the default graph, and in each named graph by name."""
    default, named = 0, {}
    for quad in store.quads_for_pattern(None, None, None, None):
        graph = quad.graph_name
        if isinstance(graph, ox.DefaultGraph):
            default += 1
        else:
            named[graph.value] = named.get(graph.value, 0) + 1
    return default, dict(sorted(named.items()))


# ---------------------------------------------------------------------------- responses


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    sent: bool = False  # a worker process already wrote it to the client


class _ClientGone(Exception):
    """The client hung up while its query waited or ran: there is no one to answer."""


class _TooMany(Exception):
    pass


class _LineLimit:
    """A sink for ``QuerySolutions.serialize`` that keeps the bytes and stops the evaluation
    once they hold more than ``limit`` lines (in TSV a line is a row, the first the header)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.lines = 0
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        chunk = bytes(data)
        self.lines += chunk.count(b"\n")
        if self.lines > self.limit:
            raise _TooMany
        self.chunks.append(chunk)
        return len(chunk)

    def flush(self) -> None:
        pass


def _text(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    line = " ".join(message.split())
    return Response(
        status, (line + "\n").encode("utf-8"), "text/plain; charset=utf-8", headers or {}
    )


class Refused(Exception):
    """Stops handling a request with a one-line text/plain answer."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.response = _text(status, message, headers)


def _shown(text: str, limit: int = 120) -> str:
    """``text`` from a request, fit to quote in a message or a log line."""
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _service_description(url: str, default: int, named: dict[str, int]) -> bytes:
    """SPARQL 1.1 Service Description of the endpoint, as Turtle."""
    n = ox.NamedNode
    sd, void, a = (lambda local: n(SD + local)), (lambda local: n(VOID + local)), n(RDF_TYPE)
    service = n(url)
    triples = [
        ox.Triple(service, a, sd("Service")),
        ox.Triple(service, sd("endpoint"), service),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
    ]
    for fmt in (*RESULT_FORMATS, *GRAPH_FORMATS):
        triples.append(ox.Triple(service, sd("resultFormat"), n(FORMATS_NS + fmt.w3c)))
    dataset, default_graph = ox.BlankNode(), ox.BlankNode()
    triples += [
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, a, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), default_graph),
        ox.Triple(default_graph, a, sd("Graph")),
        ox.Triple(default_graph, void("triples"), ox.Literal(default)),
    ]
    for name, count in named.items():
        entry, graph = ox.BlankNode(), ox.BlankNode()
        triples += [
            ox.Triple(dataset, sd("namedGraph"), entry),
            ox.Triple(entry, a, sd("NamedGraph")),
            ox.Triple(entry, sd("name"), n(name)),
            ox.Triple(entry, sd("graph"), graph),
            ox.Triple(graph, a, sd("Graph")),
            ox.Triple(graph, void("triples"), ox.Literal(count)),
        ]
    prefixes = {"sd": SD, "void": VOID, "formats": FORMATS_NS}
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes)


EXAMPLE_QUERY = """\
SELECT ?class (COUNT(?node) AS ?nodes)
WHERE { ?node a ?class }
GROUP BY ?class
ORDER BY DESC(?nodes)
LIMIT 25
"""

PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kgbuild SPARQL endpoint</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }}
textarea {{ width: 100%; font-family: ui-monospace, monospace; font-size: 0.95rem; }}
code {{ font-size: 0.95rem; }}
</style>
</head>
<body>
<h1>kgbuild SPARQL endpoint</h1>
<p>Serving {triples} in the default graph and {graphs}, read-only.
The endpoint is <code>{url}</code> (SPARQL 1.1 Protocol, GET or POST);
its <a href="{path}">service description</a> lists the graphs.</p>
<form method="post" action="{path}" accept-charset="utf-8">
<p><label for="query">Query</label><br>
<textarea id="query" name="query" rows="14" spellcheck="false">{query}</textarea></p>
<p><label for="format">Results as</label>
<select id="format" name="format">
<option value="">chosen by the browser (Accept)</option>
<optgroup label="SELECT and ASK">
{result_options}
</optgroup>
<optgroup label="CONSTRUCT and DESCRIBE">
{graph_options}
</optgroup>
</select>
<button type="submit">Run query</button></p>
</form>
<h2>Named graphs</h2>
<ul>
{graph_items}
</ul>
</body>
</html>
"""


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _page(url: str, path: str, default: int, named: dict[str, int]) -> bytes:
    def options(formats: Sequence[Format]) -> str:
        return "\n".join(
            f'<option value="{html.escape(f.name)}">{html.escape(f.name)} '
            f"({html.escape(f.media_type)})</option>"
            for f in formats
        )

    items = "\n".join(
        f"<li><code>{html.escape(name)}</code>: {_plural(count, 'triple')}</li>"
        for name, count in named.items()
    )
    text = PAGE.format(
        triples=_plural(default, "triple"),
        graphs=_plural(len(named), "named graph"),
        url=html.escape(url),
        path=html.escape(path),
        query=html.escape(EXAMPLE_QUERY),
        result_options=options(RESULT_FORMATS),
        graph_options=options(GRAPH_FORMATS),
        graph_items=items or "<li>none</li>",
    )
    return text.encode("utf-8")


# ---------------------------------------------------------------------------- the server

_SPARQL_METHODS = ("GET", "HEAD", "POST", "OPTIONS")
_ROUTES = {"/": ("GET", "HEAD", "OPTIONS"), "/sparql": _SPARQL_METHODS, "/query": _SPARQL_METHODS}
_PREFLIGHT = {
    "Access-Control-Allow-Methods": "GET, POST",
    "Access-Control-Allow-Headers": "Content-Type, Accept",
    "Access-Control-Max-Age": "86400",
}
_PAGE_HEADERS = {
    # The page has no scripts and loads nothing; say so, so nothing injected could run.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
}
_DRAIN_LIMIT = 64 * MAX_BODY  # an oversized body up to this is read and dropped, see _read_body
# What poll reports when the client has closed its connection (or its sending half). POLLRDHUP
# (Linux) is asked for alone, so a request sent ahead on the same connection does not count.
_HANGUP = getattr(select, "POLLRDHUP", 0) | select.POLLHUP | select.POLLERR


def _too_large(length: int) -> str:
    return f"the request body has {length:,} bytes, over the limit of {MAX_BODY:,} (1 MiB)"


def _form(text: str) -> dict[str, list[str]]:
    try:
        return parse_qs(
            text, keep_blank_values=True, encoding="utf-8", errors="strict", max_num_fields=1000
        )
    except UnicodeDecodeError:
        raise Refused(400, "the parameters are not URL-encoded UTF-8") from None
    except ValueError as exc:
        raise Refused(400, f"cannot read the parameters: {first_line(exc)}") from None


def _graphs(params: dict[str, list[str]]) -> dict[str, Any]:
    """Store.query's dataset options for default-graph-uri and named-graph-uri. Either one
    makes the request's dataset exactly what the two name (SPARQL 1.1 Protocol 2.1.4)."""
    defaults = params.get("default-graph-uri", [])
    named = params.get("named-graph-uri", [])
    if not defaults and not named:
        return {}

    def iri(value: str, param: str) -> ox.NamedNode:
        try:
            return ox.NamedNode(value)
        except ValueError:
            raise Refused(400, f"{param} {_shown(value)!r} is not an absolute IRI") from None

    return {
        "default_graph": [iri(v, "default-graph-uri") for v in defaults],
        "named_graphs": [iri(v, "named-graph-uri") for v in named],
    }


class _Handler(BaseHTTPRequestHandler):
    server: SparqlServer
    protocol_version = "HTTP/1.1"  # keep-alive; every response has a Content-Length
    server_version = f"kgbuild/{__version__}"
    sys_version = ""
    timeout = 30  # seconds a client may stay silent mid-request or between requests

    def do_GET(self) -> None:
        self._handle()

    do_HEAD = do_POST = do_OPTIONS = do_PUT = do_DELETE = do_PATCH = do_GET

    # -- http.server's hooks

    def version_string(self) -> str:
        return self.server_version  # not the Python version

    def parse_request(self) -> bool:
        self._started = time.perf_counter()
        self._body_read = False
        return super().parse_request()

    def handle_expect_100(self) -> bool:
        # A client that asks first (curl does, for large bodies) is told 413 before sending.
        length = self.headers.get("Content-Length", "")
        if length.strip().isdigit() and int(length) > MAX_BODY:
            self.close_connection = True
            self._send(_text(413, _too_large(int(length))))
            return False
        return super().handle_expect_100()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # http.server refuses some requests itself: a malformed request line, headers too
        # long, and a method without a do_ handler (501), which gets the routes' own answer.
        if code == HTTPStatus.NOT_IMPLEMENTED and self.command:
            self._handle()
            return
        self.close_connection = True
        self._send(_text(code, message or HTTPStatus(code).phrase))

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request comes from _send instead

    # -- handling

    def _handle(self) -> None:
        try:
            response = self._route()
        except Refused as refused:
            response = refused.response
        except _ClientGone:
            self.close_connection = True
            self._log("- (the client hung up; its query was stopped)")
            return
        except Exception as exc:  # a bug, not the client: one line, no traceback
            response = _text(500, f"internal error: {first_line(exc)}")
        if response.sent:
            self._log(response.status)
            return
        self._send(response)

    def _send(self, response: Response, log: bool = True) -> None:
        if not getattr(self, "_body_read", True) and self._has_body():
            self.close_connection = True  # the body is still on the wire
        self.send_response(response.status)
        headers = {
            "Access-Control-Allow-Origin": "*",
            "X-Content-Type-Options": "nosniff",
            **response.headers,
        }
        if response.content_type:
            headers["Content-Type"] = response.content_type
        if response.status != HTTPStatus.NO_CONTENT:
            headers["Content-Length"] = str(len(response.body))
        if self.close_connection:
            headers["Connection"] = "close"
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD" and response.status != HTTPStatus.NO_CONTENT:
            self.wfile.write(response.body)
        if log:
            self._log(response.status)

    def _log(self, status: int | str) -> None:
        if self.server.log is None:
            return
        started = getattr(self, "_started", time.perf_counter())
        ms = (time.perf_counter() - started) * 1000
        path = urlsplit(getattr(self, "path", "") or "").path or "-"
        self.server.log(f"{_shown(self.command or '-', 20)} {_shown(path)} {status} {ms:.0f} ms")

    def _has_body(self) -> bool:
        headers = getattr(self, "headers", None)
        if headers is None:
            return False
        length = headers.get("Content-Length", "").strip()
        return "Transfer-Encoding" in headers or length not in ("", "0")

    def _read_body(self) -> bytes:
        """The request body, read whole, so that an answer never leaves part of it unread."""
        if "Transfer-Encoding" in self.headers:
            self.close_connection = True
            raise Refused(411, "send the request body with a Content-Length, not chunked")
        length_text = self.headers.get("Content-Length", "").strip()
        if not length_text:
            self._body_read = True
            return b""
        if not length_text.isdigit():
            self.close_connection = True
            raise Refused(400, f"Content-Length {_shown(length_text)!r} is not a number")
        length = int(length_text)
        if length > MAX_BODY:
            self.close_connection = True
            # Read (and drop) what the client is already sending: closing with unread data
            # would reset the connection, and the client would never see the 413.
            if length <= _DRAIN_LIMIT:
                left = length
                while left > 0:
                    chunk = self.rfile.read(min(left, 65536))
                    if not chunk:
                        break
                    left -= len(chunk)
                self._body_read = True
            raise Refused(413, _too_large(length))
        try:
            body = self.rfile.read(length)
        except TimeoutError:
            self.close_connection = True
            raise Refused(
                408, f"the request body stopped arriving for {self.timeout} s; send it whole"
            ) from None
        self._body_read = True
        if len(body) < length:
            self.close_connection = True
            raise Refused(400, "the request body ended early")
        return body

    def _route(self) -> Response:
        body = self._read_body()
        url = urlsplit(self.path)
        path, method = url.path, self.command
        if path == "/update" or path.startswith("/update/"):
            raise Refused(403, READ_ONLY)
        allowed = _ROUTES.get(path)
        if allowed is None:
            raise Refused(404, f"no such path: {_shown(path)}; the SPARQL endpoint is /sparql")
        if method == "OPTIONS":
            return Response(204, headers={"Allow": ", ".join(allowed), **_PREFLIGHT})
        if method not in allowed:
            raise Refused(
                405, f"{_shown(method, 20)} is not allowed on {path}", {"Allow": ", ".join(allowed)}
            )
        if path == "/":
            return self.server.page
        return self._sparql(url.query, body)

    def _sparql(self, url_query: str, body: bytes) -> Response:
        params = _form(url_query)
        if self.command == "POST":
            content_type = self.headers.get_content_type()
            if content_type == "application/sparql-update":
                raise Refused(403, READ_ONLY)
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                raise Refused(400, "the request body is not UTF-8") from None
            if content_type == "application/x-www-form-urlencoded":
                for name, values in _form(text).items():
                    params.setdefault(name, []).extend(values)
            elif content_type == "application/sparql-query":
                params.setdefault("query", []).append(text)
            else:
                raise Refused(
                    415,
                    f"cannot read a POST body of type {_shown(content_type)}; send "
                    "application/x-www-form-urlencoded (query=...) or application/sparql-query",
                )
        if "update" in params:
            raise Refused(403, READ_ONLY)
        queries = params.get("query", [])
        if not queries:
            if self.command == "POST":
                raise Refused(400, "no query: send query=... or an application/sparql-query body")
            return self.server.description
        if len(queries) > 1:
            raise Refused(400, f"{len(queries)} queries in one request; send one")
        requested = next((v for v in params.get("format", []) if v.strip()), None)
        return self._answer(queries[0], _graphs(params), self.headers.get("Accept"), requested)

    # -- queries, each in a worker process

    def _answer(
        self, text: str, graphs: dict[str, Any], accept: str | None, requested: str | None
    ) -> Response:
        server = self.server
        server.check(text)  # the cheap refusals, here: no process for them
        limits = server.limits
        waited_until = time.monotonic() + limits.timeout
        while not server.slots.acquire(timeout=0.1):
            if self._client_gone():
                raise _ClientGone
            if time.monotonic() >= waited_until:
                raise Refused(
                    503,
                    f"all {limits.workers} query workers stayed busy for {limits.timeout:g} s; "
                    "try again later",
                    {"Retry-After": "10"},
                )
        try:
            return self._fork(text, graphs, accept, requested)
        finally:
            server.slots.release()

    def _client_gone(self) -> bool:
        poller = select.poll()
        poller.register(self.connection, _HANGUP)
        return bool(poller.poll(0))

    def _fork(
        self, text: str, graphs: dict[str, Any], accept: str | None, requested: str | None
    ) -> Response:
        """Answer in a forked child that writes the response to the client itself and tells
        this thread how far it got over a pipe: P parsed, W and the status before writing,
        D done."""
        read_end, write_end = os.pipe()
        keep = sorted((self.connection.fileno(), write_end))
        pid = os.fork()
        if pid == 0:  # the child: only what it needs stays open (not the listening socket)
            code = 1
            try:
                os.closerange(3, keep[0])
                os.closerange(keep[0] + 1, keep[1])
                os.closerange(keep[1] + 1, os.sysconf("SC_OPEN_MAX"))
                self._answer_here(write_end, text, graphs, accept, requested)
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        try:
            return self._wait(pid, read_end)
        finally:
            os.close(read_end)

    def _answer_here(
        self,
        pipe: int,
        text: str,
        graphs: dict[str, Any],
        accept: str | None,
        requested: str | None,
    ) -> None:
        try:
            response = self.server.answer(
                text, graphs, accept, requested, parsed=lambda: os.write(pipe, b"P")
            )
        except Refused as refused:
            response = refused.response
        except Exception as exc:  # a bug: one line, as _handle would
            response = _text(500, f"internal error: {first_line(exc)}")
        os.write(pipe, b"W%03d" % response.status)
        self._send(response, log=False)
        os.write(pipe, b"D")

    def _wait(self, pid: int, pipe: int) -> Response:
        limits = self.server.limits
        deadline = time.monotonic() + limits.timeout
        poller = select.poll()
        poller.register(pipe, select.POLLIN)
        poller.register(self.connection, _HANGUP)
        said, gone, ended = b"", False, False
        while not ended and not gone:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for fd, _ in poller.poll(math.ceil(left * 1000)):
                if fd != pipe:
                    gone = True
                    continue
                chunk = os.read(pipe, 64)
                said += chunk
                ended = ended or not chunk
        if not ended:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _, wait_status = os.waitpid(pid, 0)
        written = re.search(rb"W([0-9]{3})", said)
        if written is not None:
            if not said.endswith(b"D"):
                self.close_connection = True  # the answer was cut off midway
            return Response(int(written.group(1)), sent=True)
        if gone:
            raise _ClientGone
        if not ended:
            raise Refused(
                503,
                f"the query did not finish within {limits.timeout:g} s, the limit of this "
                "endpoint; make it narrower (more specific patterns, LIMIT)",
            )
        code = os.waitstatus_to_exitcode(wait_status)
        if b"P" not in said and code < 0:
            raise Refused(
                400,
                "malformed query: the parser crashed on it (nested too deeply, or too long an "
                "expression); write it flatter",
            )
        raise Refused(500, f"the query failed: the process running it ended (exit code {code})")


def is_loopback(address: str) -> bool:
    """Whether a socket bound to the IP ``address`` takes connections from this machine only
    (``0.0.0.0`` and ``::`` listen on every interface)."""
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


class SparqlServer(HTTPServer):
    """The endpoint: answers requests from ``store``, read-only, on ``limits.threads`` threads,
    each query in a worker process of its own (at most ``limits.workers`` at once).

    Made by :func:`make_server`, which binds it and describes it in the store."""

    request_queue_size = 64  # connections accepted and waiting for a thread; more get 503

    def __init__(
        self,
        address: tuple[str, int],
        store: ox.Store,
        family: int = socket.AF_INET,
        log: Callable[[str], None] | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.address_family = family
        self.store = store
        self.log = log
        self.limits = limits or Limits()
        self.slots = threading.BoundedSemaphore(self.limits.workers)
        self._waiting: queue.Queue[tuple[Any, Any]] = queue.Queue(self.request_queue_size)
        self._closing = threading.Event()
        super().__init__(address, _Handler)
        for n in range(self.limits.threads):
            name = f"kgbuild-serve-{n}"
            threading.Thread(target=self._take_connections, name=name, daemon=True).start()
        host = str(self.server_address[0])
        port = self.server_address[1]
        self.url = f"http://{f'[{host}]' if ':' in host else host}:{port}/sparql"
        self.default_triples = 0
        self.named_triples: dict[str, int] = {}
        self.page = Response(200)
        self.description = Response(200)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which can stall on DNS; skip it.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]

    @property
    def loopback(self) -> bool:
        """Whether only this machine can connect."""
        return is_loopback(str(self.server_address[0]))

    def describe(self) -> None:
        """Count the graphs and make the page and the service description (after the store
        changed)."""
        self.default_triples, self.named_triples = _graph_counts(self.store)
        path = urlsplit(self.url).path
        self.page = Response(
            200,
            _page(self.url, path, self.default_triples, self.named_triples),
            "text/html; charset=utf-8",
            dict(_PAGE_HEADERS),
        )
        self.description = Response(
            200,
            _service_description(self.url, self.default_triples, self.named_triples),
            "text/turtle; charset=utf-8",
        )

    def process_request(self, request: Any, client_address: Any) -> None:
        # Never a thread per connection: the fixed threads take them in turn, and when too many
        # wait already, the client is told at once.
        try:
            self._waiting.put_nowait((request, client_address))
        except queue.Full:
            body = b"the server is busy: too many connections are waiting; try again later\n"
            head = (
                "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\nRetry-After: 10\r\n"
                "Access-Control-Allow-Origin: *\r\nConnection: close\r\n\r\n"
            )
            with contextlib.suppress(OSError):
                request.settimeout(1)
                request.sendall(head.encode("ascii") + body)
            self.shutdown_request(request)
            if self.log is not None:
                self.log(f"- - 503 {client_address[0]}: too many connections waiting")

    def _take_connections(self) -> None:
        while not self._closing.is_set():
            try:
                request, client_address = self._waiting.get(timeout=0.5)
            except queue.Empty:
                continue
            try:
                self.finish_request(request, client_address)
            except Exception:
                self.handle_error(request, client_address)
            finally:
                self.shutdown_request(request)

    def server_close(self) -> None:
        self._closing.set()
        super().server_close()

    def check(self, text: str) -> None:
        """Refused when the query ``text`` is empty, an update, uses SERVICE, or nests deeper
        than Oxigraph's parser can take; a lexer tells, nothing is parsed."""
        # The guard of `kgbuild query` too; FROM picks one of this endpoint's own graphs.
        refused = refusal(text, allow_from=True)
        if refused is None:
            return
        if refused.reason == "empty":
            raise Refused(400, "the query is empty")
        if refused.reason == "update":
            raise Refused(403, f"{READ_ONLY} (the query is {refused.detail} ...)")
        if refused.reason == "service":
            raise Refused(
                400,
                "the query uses SERVICE; this endpoint answers from its own graphs only and "
                "never goes to the network",
            )
        raise Refused(
            400,
            f"the query nests brackets or operators {refused.detail} levels deep, over the limit "
            f"of {MAX_NESTING}; write it with fewer nested parentheses, braces and brackets",
        )

    def answer(
        self,
        text: str,
        graphs: dict[str, Any],
        accept: str | None,
        requested: str | None,
        parsed: Callable[[], Any] | None = None,
    ) -> Response:
        """Run the query ``text`` here and serialise its results as negotiated; ``parsed`` is
        called once it parsed. Refused when ``check`` refuses it, it is malformed or fails, its
        answer has more than ``limits.max_rows`` rows or triples, or no format fits."""
        self.check(text)
        try:
            result = self.store.query(text, **graphs)
        except SyntaxError as exc:
            raise Refused(400, f"malformed query: {first_line(exc)}") from None
        except Exception as exc:  # pyoxigraph starts evaluating at once: OSError, RuntimeError
            raise Refused(500, f"the query failed: {first_line(exc)}") from None
        if parsed is not None:
            parsed()
        if isinstance(result, ox.QueryTriples):
            formats, kind = GRAPH_FORMATS, "CONSTRUCT and DESCRIBE results"
        else:
            formats, kind = RESULT_FORMATS, "SELECT and ASK results"
        fmt = choose_format(formats, accept, requested)
        if fmt is None:
            asked = f"format={requested}" if requested else f"Accept: {accept}"
            raise Refused(
                406,
                f"{_shown(asked)} is not available for {kind}; available: "
                f"{', '.join(f.media_type for f in formats)} "
                f"(or format={'|'.join(f.name for f in formats)})",
            )
        try:
            body = self._serialize(result, fmt)
        except _TooMany:
            max_rows = self.limits.max_rows
            what = "triples" if isinstance(result, ox.QueryTriples) else "rows"
            raise Refused(
                500,
                f"the answer has more than {max_rows:,} {what}, the most this endpoint sends; "
                "add LIMIT (and OFFSET to page through it)",
            ) from None
        except Exception as exc:  # evaluation goes on while serialising
            raise Refused(500, f"the query failed: {first_line(exc)}") from None
        return Response(200, body, fmt.content_type, {"Vary": "Accept"})

    def _serialize(self, result: Any, fmt: Format) -> bytes:
        """``result`` in ``fmt``; _TooMany as soon as it has more than ``max_rows`` rows, so
        neither the evaluation nor the memory goes further."""
        max_rows = self.limits.max_rows
        if isinstance(result, ox.QueryTriples):
            triples = list(itertools.islice(result, max_rows + 1))
            if len(triples) > max_rows:
                raise _TooMany
            return ox.serialize(triples, format=fmt.oxigraph)
        if not isinstance(result, ox.QuerySolutions):
            return result.serialize(format=fmt.oxigraph)
        # Rows are counted as TSV lines (TSV escapes line breaks in values), then read back
        # and written in the format asked for.
        tsv = ox.QueryResultsFormat.TSV
        sink = _LineLimit(max_rows + 1)  # the header and the rows
        result.serialize(sink, format=tsv)
        body = b"".join(sink.chunks)
        if fmt.oxigraph == tsv:
            return body
        return ox.parse_query_results(body, format=tsv).serialize(format=fmt.oxigraph)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up mid-answer is routine; anything else is one line, no traceback.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)) or self.log is None:
            return
        self.log(f"error: {client_address[0]}: {type(exc).__name__}: {first_line(exc)}")


def _endpoint_quads(url: str) -> list[ox.Quad]:
    graph = ox.NamedNode(VOID_GRAPH)
    return [
        ox.Quad(to_oxigraph_term(s), to_oxigraph_term(p), to_oxigraph_term(o), graph)
        for s, p, o in endpoint_description(url)
    ]


def make_server(
    store: ox.Store,
    host: str = "127.0.0.1",
    port: int = 7878,
    *,
    log: Callable[[str], None] | None = None,
    limits: Limits | None = None,
) -> SparqlServer:
    """Bind the endpoint to ``host``:``port`` (0: a free port) and add to the store's void
    graph the triples saying the dataset is served at its URL. Call ``serve_forever`` (or
    :func:`serve_until_stopped`) to answer. ``log`` gets one line per request; ``limits``
    bound each query (see :class:`Limits`).

    InputError when the address cannot be used: unknown host, port in use, no permission."""
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except (OSError, UnicodeError):
        raise InputError(
            f"cannot listen on {where}: unknown host", hint="give an IP address with --host"
        ) from None
    try:
        server = SparqlServer((host, port), store, family, log, limits)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise InputError(
                f"cannot listen on {where}: the address is already in use",
                hint="pick another with --port",
            ) from None
        raise InputError(
            f"cannot listen on {where}: {exc.strerror or exc}", hint="check --host and --port"
        ) from None
    store.extend(_endpoint_quads(server.url))
    server.describe()
    return server


def start_message(server: SparqlServer, sources: Sources) -> str:
    """The line that says what is served where, e.g. ``Serving 9,999 triples (default graph:
    dist/kg-closure.ttl; 6 named graphs from dist/kg.trig) read-only at http://...``."""
    closure = display_path(sources.closure)
    if sources.trig is not None:
        graphs = _plural(len(server.named_triples), "named graph")
        named = f"{graphs} from {display_path(sources.trig)}"
    else:
        trig = display_path(sources.closure.parent / TRIG_FILE)
        named = f"{trig} not found, so no named graphs but the endpoint description"
    return (
        f"Serving {_plural(server.default_triples, 'triple')} (default graph: {closure}; {named}) "
        f"read-only at {server.url}"
    )


class _Stop(Exception):
    pass


def _stop(signum: int, frame: Any) -> None:
    raise _Stop


def serve_until_stopped(server: SparqlServer) -> None:
    """Answer requests until Ctrl-C or SIGTERM, then close the socket and return."""
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, _Stop):
        pass
    finally:
        server.server_close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
