"""Other triple stores over HTTP: stored queries through the SPARQL 1.1 Protocol, and the built
graph pushed through the SPARQL 1.1 Graph Store Protocol.

Only the standard library's ``http.client`` is used, so uploads stream with a progress callback
and every failure (refused connection, unknown host, timeout, a server that closes the
connection mid-upload, an HTTP error status) becomes one EndpointError line.

A push never leaves a half-written graph behind: the file goes to a staging graph first
(``PUT``), and only a complete upload is moved into place by one SPARQL Update request (``MOVE``
to replace, ``ADD`` + ``DROP`` to add), which stores apply atomically. That needs the store's
update endpoint; it is derived from the Graph Store endpoint for Oxigraph, Jena Fuseki and
GraphDB, or given. Without one, the file is sent straight to the target graph and a failure
reports what the server then holds.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import re
import secrets
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit, urlunsplit

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from kgbuild.errors import InputError, KgbuildError, display_path, first_line
from kgbuild.names import index_names, name_key
from kgbuild.namespaces import KG, RDFS, XSD
from kgbuild.query import (
    DEFAULT_TIMEOUT,
    QueryResult,
    StoredQuery,
    bind_params,
    check_read_only,
    sparql_term,
    with_values,
)

__all__ = [
    "STAGING_BASE",
    "EndpointError",
    "EndpointIndex",
    "PushResult",
    "check_url",
    "parse_results_json",
    "push",
    "read_push_file",
    "run_remote_query",
    "safe_url",
    "update_endpoint_for",
]

CHUNK = 64 * 1024
STAGING_BASE = "https://w3id.org/kgbuild/graph/staging/"
RESULTS_JSON = "application/sparql-results+json"
# Graph Store Protocol bodies, by file suffix: triples only (a graph holds no named graphs).
PUSH_FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
}


class EndpointError(KgbuildError):
    """The endpoint could not be reached, refused the request, or answered with an error.

    ``state`` says what the server may have done with the request: ``unreached`` (nothing was
    sent), ``refused`` (it answered with an error status, so it did not apply it) or
    ``unknown`` (the connection broke or timed out midway)."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None, state: str = "unknown") -> None:
        super().__init__(message, hint=hint)
        self.state = state


# ---------------------------------------------------------------------------- HTTP


def check_url(url: str, what: str = "endpoint") -> str:
    """``url`` if it is an absolute http(s) URL with a host; InputError otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(
            f"{what} {url!r} is not an absolute http(s) URL",
            hint="e.g. http://127.0.0.1:7878/query",
        )
    return url


def safe_url(url: str) -> str:
    """``url`` without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass
class Response:
    status: int
    reason: str
    headers: dict[str, str]
    body: bytes
    challenges: list[str] = field(default_factory=list)  # every WWW-Authenticate value

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def _with_query(url: str, params: dict[str, str | None]) -> str:
    """``url`` with ``params`` appended to its query string (``?default`` style keys kept bare)."""
    parts = urlsplit(url)
    extra = "&".join(
        quote(k, safe="") if v is None else urlencode({k: v}) for k, v in params.items()
    )
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit(parts._replace(query=query))


DIGEST_HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}
_DIGEST_PARAM = re.compile(r'\s*,?\s*([A-Za-z][\w-]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]+)')
# The last digest challenge of each server (scheme, host, port) and how many
# requests have used its nonce: later requests answer it at once instead of being refused first.
_digest_challenges: dict[tuple[str, str, int | None], dict[str, str]] = {}
_digest_counts: dict[tuple[str, str, int | None], int] = {}


def _digest_challenge(values: list[str]) -> dict[str, str] | None:
    """The parameters of the best ``Digest`` challenge among WWW-Authenticate values (SHA-256
    before MD5; only those, with qop=auth or no qop); None when there is none we can answer."""
    found: list[dict[str, str]] = []
    for value in values:
        for start in [m.end() for m in re.finditer(r"(?i)(?:^|,)\s*Digest\s+", value)]:
            params: dict[str, str] = {}
            position = start
            while (match := _DIGEST_PARAM.match(value, position)) is not None:
                raw = match.group(2)
                text = re.sub(r"\\(.)", r"\1", raw[1:-1]) if raw.startswith('"') else raw
                params[match.group(1).lower()] = text
                position = match.end()
            algorithm = params.get("algorithm", "MD5").upper().removesuffix("-SESS")
            qops = {q.strip() for q in params.get("qop", "auth").split(",")}
            if "nonce" in params and algorithm in DIGEST_HASHES and "auth" in qops:
                found.append(params)
    found.sort(key=lambda p: p.get("algorithm", "MD5").upper().startswith("MD5"))
    return found[0] if found else None


def _digest_authorization(
    challenge: dict[str, str],
    user: str,
    password: str,
    method: str,
    uri: str,
    count: int,
    cnonce: str | None = None,
) -> str:
    """The ``Authorization`` header that answers a digest challenge (RFC 7616, qop=auth);
    ``cnonce`` is random unless given."""
    algorithm = challenge.get("algorithm", "MD5")
    name = algorithm.upper().removesuffix("-SESS")
    digest = DIGEST_HASHES[name]

    def h(text: str) -> str:
        return digest(text.encode("utf-8")).hexdigest()

    realm, nonce = challenge.get("realm", ""), challenge["nonce"]
    cnonce = cnonce or secrets.token_hex(16)
    ha1 = h(f"{user}:{realm}:{password}")
    if algorithm.upper().endswith("-SESS"):
        ha1 = h(f"{ha1}:{nonce}:{cnonce}")
    ha2 = h(f"{method}:{uri}")
    fields = [f'username="{user}"', f'realm="{realm}"', f'nonce="{nonce}"', f'uri="{uri}"']
    if "qop" in challenge:
        nc = f"{count:08x}"
        response = h(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
        fields += ["qop=auth", f"nc={nc}", f'cnonce="{cnonce}"']
    else:
        response = h(f"{ha1}:{nonce}:{ha2}")
    fields += [f'response="{response}"', f"algorithm={algorithm}"]
    if "opaque" in challenge:
        fields.append(f'opaque="{challenge["opaque"]}"')
    return "Digest " + ", ".join(fields)


def _request(
    method: str,
    url: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Callable[[int], None] | None = None,
) -> Response:
    """One HTTP request; the body goes in chunks, each reported to ``progress`` once sent.

    A user and password in the URL go as basic authentication, or as digest authentication
    (RFC 7616: MD5 or SHA-256, qop=auth) to a server that asks for it with a 401: the request
    is then sent again with the answer. Before an upload with credentials to a server not seen
    yet, a HEAD request learns which it wants, so a large body is not sent twice.

    EndpointError (naming the URL, without its password) when the host cannot be reached or
    the connection breaks; the caller judges the status code.
    """
    parts = urlsplit(url)
    if parts.username is None:
        return _send(method, url, body, headers, timeout, progress)
    server = (parts.scheme, parts.hostname or "", parts.port)
    user, password = unquote(parts.username), unquote(parts.password or "")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    def digest_header(verb: str) -> str | None:
        challenge = _digest_challenges.get(server)
        if challenge is None:
            return None
        _digest_counts[server] = _digest_counts.get(server, 0) + 1
        return _digest_authorization(
            challenge, user, password, verb, target, _digest_counts[server]
        )

    def learn(response: Response) -> bool:
        """Keep the response's digest challenge; whether it has one we can answer."""
        challenge = _digest_challenge(response.challenges) if response.status == 401 else None
        if challenge is not None:
            _digest_challenges[server] = challenge
            _digest_counts[server] = 0
        return challenge is not None

    def probe() -> bool:
        # Without credentials: a server that wants digest (Virtuoso) answers basic credentials
        # with a bare 401 that names no scheme.
        return learn(_send("HEAD", url, b"", None, timeout, None, ""))

    if len(body) > CHUNK and server not in _digest_challenges:
        probe()
    response = _send(method, url, body, headers, timeout, progress, digest_header(method))
    if learn(response) or (response.status == 401 and not response.challenges and probe()):
        response = _send(method, url, body, headers, timeout, progress, digest_header(method))
    return response


def _send(
    method: str,
    url: str,
    body: bytes,
    headers: dict[str, str] | None,
    timeout: float,
    progress: Callable[[int], None] | None,
    authorization: str | None = None,
) -> Response:
    """One HTTP request as it goes on the wire: ``authorization`` (a digest answer; "" for
    none), else the URL's user and password as basic authentication."""
    parts = urlsplit(url)
    shown = safe_url(urlunsplit(parts._replace(query="", fragment="")))
    server = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_class(parts.hostname or "", parts.port, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    sent = 0
    try:
        connection.putrequest(method, target)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        if authorization:
            connection.putheader("Authorization", authorization)
        elif authorization is None and parts.username is not None:
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            token = base64.b64encode(pair.encode("utf-8")).decode("ascii")
            connection.putheader("Authorization", f"Basic {token}")
        if body or method in ("POST", "PUT"):
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders()
        try:
            for start in range(0, len(body), CHUNK):
                chunk = body[start : start + CHUNK]
                connection.send(chunk)
                sent += len(chunk)
                if progress is not None:
                    progress(len(chunk))
        except (BrokenPipeError, ConnectionResetError):
            # A server may answer (403, 404, 413, ...) before it has read the whole body and
            # close the connection; its answer, if it sent one, says more than the broken pipe.
            early = _early_answer(connection)
            if early is None:
                raise
            return early
        return _answer(connection)
    except ConnectionRefusedError:
        raise EndpointError(
            f"cannot reach {server}: connection refused",
            hint="is the server running, and are the host and port right?",
            state="unreached",
        ) from None
    except socket.gaierror:
        raise EndpointError(
            f"cannot reach {server}: unknown host {parts.hostname!r}",
            hint="check the URL",
            state="unreached",
        ) from None
    except TimeoutError:
        raise EndpointError(
            f"{shown} did not answer within {timeout:g} s", hint="raise --timeout SECONDS"
        ) from None
    except ssl.SSLError as exc:
        raise EndpointError(f"TLS error with {shown}: {exc.reason or exc}") from None
    except (http.client.HTTPException, OSError) as exc:
        detail = type(exc).__name__ if not str(exc) else str(exc)
        at = f" after {sent:,} of {len(body):,} bytes" if body else ""
        raise EndpointError(
            f"the connection to {shown} broke{at}: {detail}",
            hint="check that the server is up and accepts requests of this size",
        ) from None
    finally:
        connection.close()


def _answer(connection: http.client.HTTPConnection) -> Response:
    answer = connection.getresponse()
    body = answer.read()
    return Response(
        answer.status,
        answer.reason,
        {k.lower(): v for k, v in answer.getheaders()},
        body,
        answer.msg.get_all("WWW-Authenticate") or [],
    )


def _early_answer(connection: http.client.HTTPConnection) -> Response | None:
    """The response a server sent before the request body was complete, if there is one."""
    try:
        response = _answer(connection)
    except (http.client.HTTPException, OSError):
        return None
    # Only a refusal can come early; anything else is not an answer to this request.
    return response if response.status >= 400 else None


def _status_error(response: Response, url: str, action: str) -> EndpointError:
    """An EndpointError for an HTTP error status, with the first line of the server's words."""
    first = next((line.strip() for line in response.text().splitlines() if line.strip()), "")
    said = f": {first[:300]}" if first else ""
    hints = {
        401: "give the user and password in the URL (http://user:password@host/...)",
        403: "the server refuses this; is it read-only, or does it need other credentials?",
        404: "check the endpoint's path (see docs/triple-stores.md)",
        405: "the URL does not take this request; check the endpoint's path",
    }
    hint = hints.get(response.status)
    if response.status == 401 and urlsplit(url).username is not None:
        hint = "check the user and password in the URL"
    if 300 <= response.status < 400 and "location" in response.headers:
        hint = f"the server redirects to {response.headers['location']}; give that URL"
    return EndpointError(
        f"{safe_url(url)} refused to {action}: HTTP {response.status} {response.reason}{said}",
        hint=hint,
        state="refused",
    )


# ---------------------------------------------------------------------------- remote queries


def _from_json_term(value: dict[str, Any]) -> Node:
    kind = value.get("type")
    text = str(value.get("value", ""))
    if kind == "uri":
        return URIRef(text)
    if kind == "bnode":
        return BNode(text)
    if kind in ("literal", "typed-literal"):
        if "xml:lang" in value:
            return Literal(text, lang=value["xml:lang"])
        datatype = value.get("datatype")
        if datatype and datatype != str(XSD.string):
            return Literal(text, datatype=URIRef(datatype))
        return Literal(text)
    raise ValueError(f"unknown term type {kind!r}")


def parse_results_json(data: bytes, ordered: bool = False, ask: bool = False) -> QueryResult:
    """A QueryResult from W3C SPARQL 1.1 Query Results JSON; ValueError when it is not that.

    With ``ask``, Virtuoso 7.2's answer to an ASK (a table of one variable, ``__ASK_RETVAL``:
    a row ``1`` for true, no row for false) is read as the boolean it stands for."""
    doc = json.loads(data.decode("utf-8"))
    if not isinstance(doc, dict):
        raise ValueError("not a JSON object")
    if "boolean" in doc:
        return QueryResult([], [], ordered, bool(doc["boolean"]))
    variables = [str(v) for v in doc["head"]["vars"]]
    rows = [
        {v: _from_json_term(b[v]) for v in variables if v in b} for b in doc["results"]["bindings"]
    ]
    if ask and variables == ["__ASK_RETVAL"]:
        return QueryResult([], [], ordered, any(str(r.get(variables[0])) != "0" for r in rows))
    return QueryResult(variables, rows, ordered)


def _post_query(endpoint: str, text: str, timeout: float, accept: str = RESULTS_JSON) -> Response:
    response = _request(
        "POST",
        endpoint,
        urlencode({"query": text}).encode("utf-8"),
        {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
        timeout,
    )
    if response.status >= 300:
        raise _status_error(response, endpoint, "run the query")
    return response


def _select(endpoint: str, text: str, timeout: float, ask: bool = False) -> QueryResult:
    response = _post_query(endpoint, text, timeout)
    try:
        return parse_results_json(response.body, ask=ask)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        kind = response.headers.get("content-type", "no content type")
        raise EndpointError(
            f"{safe_url(endpoint)} did not answer with SPARQL JSON results ({kind})",
            hint="is this the SPARQL query endpoint (Oxigraph /query, Fuseki /DATASET/sparql, "
            "GraphDB /repositories/REPO)?",
        ) from None


class EndpointIndex:
    """Parameter names resolved against a remote endpoint: a name is looked up with one query
    (labels and place names equal to it, ignoring case), an IRI is checked with one ASK. The
    whole table of names is fetched only to suggest names after a miss."""

    def __init__(self, endpoint: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self._names: dict[str, set[URIRef]] | None = None
        self._labels: dict[URIRef, str] = {}

    def _names_query(self, name: str | None) -> tuple[dict[str, set[URIRef]], dict[URIRef, str]]:
        wanted = (
            ""
            if name is None
            else f"FILTER(LCASE(STR(?name)) = LCASE({sparql_term(Literal(name))}))"
        )
        text = f"""SELECT ?node ?name ?kind WHERE {{
  {{ ?node <{RDFS.label}> ?name . BIND("label" AS ?kind) }}
  UNION
  {{ ?node <{KG.hasName}> ?n . ?n <{KG.nameString}> ?name . BIND("place" AS ?kind) }}
  {wanted}
}}"""
        rows = _select(self.endpoint, text, self.timeout).rows
        pairs = [(r["node"], r["name"], str(r.get("kind"))) for r in rows if "name" in r]
        names, labels = index_names(
            [(n, w) for n, w, k in pairs if k == "label"],
            [(n, w) for n, w, k in pairs if k == "place"],
        )
        self._labels.update(labels)
        return names, labels

    def name_index(self) -> dict[str, set[URIRef]]:
        if self._names is None:
            self._names, _ = self._names_query(None)
        return self._names

    def nodes_named(self, name: str) -> set[URIRef]:
        key = name_key(name)
        names, _ = self._names_query(" ".join(name.split()))
        found = names.get(key, set())
        # LCASE and casefold differ for a few letters (ß, ſ): then compare the whole table.
        return found or self.name_index().get(key, set())

    def label(self, node: URIRef) -> str:
        if node not in self._labels:
            self.name_index()
        return self._labels.get(node, "")

    def has_node(self, iri: URIRef) -> bool:
        term = sparql_term(iri)
        text = f"ASK {{ {{ {term} ?p ?o }} UNION {{ ?s ?p {term} }} UNION {{ ?s {term} ?o }} }}"
        return bool(_select(self.endpoint, text, self.timeout, ask=True).boolean)


def run_remote_query(
    query: StoredQuery,
    endpoint: str,
    params: dict[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> QueryResult:
    """Run a stored (or ad-hoc) SELECT or ASK query on a SPARQL 1.1 endpoint.

    The query is checked as for a local run (read-only; SERVICE and FROM are left to the
    server), its parameters are resolved against what the endpoint holds (names by its labels
    and place names, IRIs by an ASK) and bound with ``with_values``. InputError before anything
    is sent for a bad query or parameter; EndpointError when the endpoint fails."""
    check_url(endpoint)
    form = check_read_only(query.text, query.where, remote=True)
    bindings = bind_params(query, params or {}, EndpointIndex(endpoint, timeout))
    result = _select(endpoint, with_values(query.text, bindings), timeout, ask=form == "ASK")
    if form == "ASK" and result.boolean is None:
        raise EndpointError(f"{safe_url(endpoint)} answered an ASK query without a boolean")
    result.ordered = query.ordered
    return result


# ---------------------------------------------------------------------------- push


def update_endpoint_for(store_endpoint: str) -> str | None:
    """The SPARQL Update endpoint that goes with a Graph Store endpoint, for the layouts of
    Oxigraph (``/store`` -> ``/update``), Jena Fuseki (``/DATASET/data`` -> ``/DATASET/update``),
    GraphDB (``/repositories/REPO/rdf-graphs/service`` -> ``/repositories/REPO/statements``) and
    Virtuoso (``/sparql-graph-crud-auth`` -> ``/sparql-auth``); None for any other."""
    parts = urlsplit(store_endpoint)
    path = parts.path.rstrip("/")
    for suffix, replacement in (
        ("/sparql-graph-crud-auth", "/sparql-auth"),  # Virtuoso
        ("/rdf-graphs/service", "/statements"),
        ("/store", "/update"),
        ("/data", "/update"),
    ):
        if path.endswith(suffix):
            return urlunsplit(parts._replace(path=path[: -len(suffix)] + replacement, query=""))
    return None


@dataclass
class PushResult:
    endpoint: str
    graph: str | None  # the target graph; None for the default graph
    replace: bool
    triples: int  # in the file sent
    size: int  # bytes sent
    staging: str | None  # the staging graph used, None for a direct upload
    update_endpoint: str | None


def _graph_param(graph: str | None) -> dict[str, str | None]:
    return {"default": None} if graph is None else {"graph": graph}


def _graph_ref(graph: str | None) -> str:
    return "DEFAULT" if graph is None else f"GRAPH {sparql_term(URIRef(graph))}"


def _graph_name(graph: str | None) -> str:
    return "the default graph" if graph is None else f"<{graph}>"


def read_push_file(path: Path, data: bytes | None = None) -> tuple[bytes, str, int]:
    """(content, media type, triple count) of a file to push (``data``, when given, is its
    content already read); InputError if it is missing, of a kind the Graph Store Protocol
    cannot take, or does not parse."""
    fmt = PUSH_FORMATS.get(path.suffix)
    if fmt is None:
        raise InputError(
            f"cannot push '{display_path(path)}': a graph is sent as "
            f"{', '.join(PUSH_FORMATS)}; named-graph files (.trig, .nq) are not one graph",
            hint="push kg-closure.ttl or kg.ttl (the default), or load kg.trig with the "
            "store's own loader",
        )
    if data is None:
        if not path.is_file():
            raise InputError(f"'{display_path(path)}' not found", hint="run `kgbuild build` first")
        data = path.read_bytes()
    try:
        triples = sum(1 for _ in ox.parse(data, format=fmt))
    except (SyntaxError, ValueError) as exc:
        raise InputError(
            f"cannot read '{display_path(path)}': {first_line(exc)}",
            hint="run `kgbuild build` again",
        ) from None
    return data, fmt.media_type, triples


def push(
    path: Path,
    endpoint: str,
    graph: str | None = None,
    replace: bool = True,
    update_endpoint: str | None = None,
    timeout: float = 300.0,
    progress: Callable[[int], None] | None = None,
    direct: bool = False,
    data: bytes | None = None,
) -> PushResult:
    """Send the triples of ``path`` (or ``data``, its content already read) to ``graph``
    (None: the default graph) at the Graph Store endpoint ``endpoint``: replacing what it
    holds (``replace``, the default) or adding to it. Replacing is the default because the
    ontology's OWL restrictions and lists are blank nodes, which a store takes as new nodes in
    every upload: adding the same file twice would hold them twice.

    With an update endpoint (given, or ``update_endpoint_for(endpoint)``), the file is staged
    in a graph of its own and moved into place in one update request, so the target is only
    ever the old or the new graph. Without one, or when ``direct``, it is sent straight to the
    target. Either way an EndpointError says what the server holds after a failure."""
    check_url(endpoint, "Graph Store endpoint")
    data, media_type, triples = read_push_file(path, data)
    update = None if direct else update_endpoint or update_endpoint_for(endpoint)
    if update is not None:
        check_url(update, "update endpoint")
        staging = STAGING_BASE + hashlib.sha256((graph or "").encode("utf-8")).hexdigest()[:16]
        _staged_push(endpoint, update, data, media_type, graph, staging, replace, timeout, progress)
    else:
        staging = None
        _direct_push(endpoint, data, media_type, graph, replace, timeout, progress)
    return PushResult(endpoint, graph, replace, triples, len(data), staging, update)


def _staged_push(
    endpoint: str,
    update: str,
    data: bytes,
    media_type: str,
    graph: str | None,
    staging: str,
    replace: bool,
    timeout: float,
    progress: Callable[[int], None] | None,
) -> None:
    target = _graph_name(graph)
    url = _with_query(endpoint, _graph_param(staging))
    try:
        response = _request("PUT", url, data, {"Content-Type": media_type}, timeout, progress)
        if response.status >= 300:
            raise _status_error(response, endpoint, f"store the upload in <{staging}>")
    except EndpointError as exc:
        if exc.state == "unknown":
            left = _drop_staging(update, staging)
        else:
            left = "nothing of the upload was stored"
        raise EndpointError(
            f"push failed, {target} was not changed: {exc.message}; {left}",
            hint=exc.hint,
            state=exc.state,
        ) from None
    staged = f"GRAPH {sparql_term(URIRef(staging))}"
    if replace:
        operation = f"MOVE {staged} TO {_graph_ref(graph)}"
    else:
        operation = f"ADD {staged} TO {_graph_ref(graph)} ;\nDROP SILENT {staged}"
    try:
        _update(update, operation, timeout)
    except EndpointError as exc:
        if exc.state == "unknown":  # the update may or may not have been applied
            raise EndpointError(
                f"the upload is complete in <{staging}>, but whether it was moved to {target} is "
                f"unknown: {exc.message}",
                hint=f"look at {target} on the server, or push again",
            ) from None
        # Refused: the target is as it was; take the staged copy away again.
        raise EndpointError(
            f"push failed, {target} was not changed: the upload is complete but {exc.message}; "
            f"{_drop_staging(update, staging, 'holds the upload')}",
            hint="a store that refuses MOVE or ADD from a named graph (Jena 4.5, for one) takes "
            "the file with --direct",
            state="refused",
        ) from None


def _update(update: str, operation: str, timeout: float) -> None:
    response = _request(
        "POST",
        update,
        operation.encode("utf-8"),
        {"Content-Type": "application/sparql-update"},
        timeout,
    )
    if response.status >= 300:
        raise _status_error(response, update, "run the update")


def _drop_staging(update: str, staging: str, left: str = "may hold part of the upload") -> str:
    """Remove what a failed push left in ``staging``; say whether that worked."""
    try:
        _update(update, f"DROP SILENT GRAPH {sparql_term(URIRef(staging))}", 10.0)
    except EndpointError:
        return (
            f"the staging graph <{staging}> {left} (the next push replaces it; or run "
            f"`DROP SILENT GRAPH <{staging}>`)"
        )
    return f"nothing of the upload is left on the server (<{staging}> was dropped)"


def _direct_push(
    endpoint: str,
    data: bytes,
    media_type: str,
    graph: str | None,
    replace: bool,
    timeout: float,
    progress: Callable[[int], None] | None,
) -> None:
    target = _graph_name(graph)
    url = _with_query(endpoint, _graph_param(graph))
    method = "PUT" if replace else "POST"
    try:
        response = _request(method, url, data, {"Content-Type": media_type}, timeout, progress)
        if response.status >= 300:
            raise _status_error(response, endpoint, f"store the upload in {target}")
    except EndpointError as exc:
        # Only a request that broke midway leaves the graph in doubt; ask the server then.
        held = _count_held(url, timeout) if exc.state == "unknown" else f"{target} was not changed"
        raise EndpointError(
            f"push failed: {exc.message}; {held}",
            hint=exc.hint
            or "give --update-endpoint URL so that the upload is staged and moved in one step",
            state=exc.state,
        ) from None


def _count_held(url: str, timeout: float) -> str:
    """What the target graph holds now, read back through the Graph Store Protocol."""
    try:
        response = _request("GET", url, headers={"Accept": "application/n-triples"}, timeout=10.0)
    except EndpointError:
        return "the server cannot be asked what the graph holds now"
    if response.status == 404:
        return "the server now holds no such graph"
    if response.status >= 300:
        return f"the server does not say what the graph holds (HTTP {response.status})"
    try:
        count = sum(1 for _ in ox.parse(response.body, format=ox.RdfFormat.N_TRIPLES))
    except (SyntaxError, ValueError):
        return "the server's copy of the graph could not be read back"
    return f"the graph holds {count:,} triples now"
