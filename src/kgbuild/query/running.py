"""Running a query: the rdflib and Oxigraph engines, the forked worker that answers within a
deadline and sends its rows back packed, and ``run_supervised``, which bounds a whole command
(reading the build, running, printing) in a child process.

Terms come back as rdflib terms, the same from both engines, in a ``QueryResult``.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

import pyoxigraph as ox
from rdflib import Graph, Literal, Variable
from rdflib.term import Node

from kgbuild.errors import InputError, KgbuildError
from kgbuild.namespaces import XSD
from kgbuild.query.catalogue import StoredQuery, parse_query_file
from kgbuild.query.dataset import Dataset
from kgbuild.query.guard import check_read_only, one_line
from kgbuild.query.parameters import bind_params, with_values
from kgbuild.query.results import QueryResult
from kgbuild.terms import from_oxigraph_term, term_from_parts, term_parts

ENGINES = ("rdflib", "oxigraph")
DEFAULT_TIMEOUT = 30.0


class QueryFailed(KgbuildError):
    """A well-formed query that failed while running: stopped at the timeout, or an engine error."""

    exit_code = 1


def run_query(
    query: StoredQuery | str,
    dataset: Dataset,
    params: dict[str, str] | None = None,
    engine: str = "rdflib",
    timeout: float | None = DEFAULT_TIMEOUT,
) -> QueryResult:
    """Run a stored query (or the text of an ad-hoc one, which may carry a ``#+`` header) over
    ``dataset`` with ``params`` (name -> value as the user wrote it, see ``resolve_param``).

    Everything that can be checked before running is: the engine, the query (read-only, no
    SERVICE, no FROM), the parameters (all known, the required ones given, each value
    resolved); InputError otherwise. The query then runs in a forked worker process, stopped
    after ``timeout`` seconds (QueryFailed); ``None`` or ``0`` runs it in this process with no
    limit. Terms come back as rdflib terms, the same from both engines.
    """
    if isinstance(query, str):
        query = parse_query_file(query, "query")
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}", hint=f"use one of {', '.join(ENGINES)}")
    where = query.where
    form = check_read_only(query.text, where)
    bindings = bind_params(query, params or {}, dataset, where)
    if engine == "oxigraph":
        dataset.store  # noqa: B018 - (re)build the store before the worker forks, outside the timer
    else:
        dataset.graph  # noqa: B018 - parse before the fork, so a later query finds it parsed
    if timeout and _can_fork():
        outcome = _run_in_worker(engine, query.text, bindings, dataset, timeout, where)
    else:
        outcome = _execute(engine, query.text, bindings, dataset)
    if form == "ASK":
        return QueryResult([], [], query.ordered, bool(outcome))
    variables, rows = outcome
    return QueryResult(variables, rows, query.ordered)


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _execute(
    engine: str, text: str, bindings: dict[str, Node], dataset: Dataset, forked: bool = False
) -> Any:
    """The outcome of the query: True/False, or (variables, rows); packed (see ``_pack``) in a
    forked worker, which sends it to the parent."""
    if engine == "oxigraph":
        store = dataset.open_store() if forked else dataset.store
        result = _oxigraph_result(text, bindings, store, dataset.default_graph)
        if isinstance(result, bool):
            return result
        return _pack_oxigraph(result) if forked else _oxigraph_rows(result)
    outcome = _execute_rdflib(text, bindings, dataset.graph)
    return _pack(outcome) if forked else outcome


def _execute_rdflib(text: str, bindings: dict[str, Node], graph: Graph) -> Any:
    import rdflib.plugins.sparql as sparql

    sparql.SPARQL_LOAD_GRAPHS = False  # belt and braces: FROM is refused before this
    result = graph.query(text, initBindings={Variable(k): v for k, v in bindings.items()})
    if result.type == "ASK":
        return bool(result.askAnswer)
    variables = [str(v) for v in result.vars or []]
    rows = []
    for row in result:
        values = row.asdict()  # type: ignore[union-attr]
        rows.append({v: _norm(values[v]) for v in variables if values.get(v) is not None})
    return variables, rows


def _oxigraph_result(
    text: str, bindings: dict[str, Node], store: ox.Store, default_graph: list[Any] | None = None
) -> Any:
    # A VALUES block rather than Oxigraph's substitutions, whose variables BIND and BOUND()
    # do not see; the same binding goes to remote endpoints, so every engine sees the same.
    # No named graphs: the rdflib engine has none either, so GRAPH finds nothing on both.
    result = store.query(with_values(text, bindings), default_graph=default_graph, named_graphs=[])
    return bool(result) if isinstance(result, ox.QueryBoolean) else result


def _oxigraph_rows(result: Any) -> tuple[list[str], list[dict[str, Node]]]:
    variables = [v.value for v in result.variables]
    columns = list(enumerate(variables))
    converted: dict[str, Node] = {}  # a term seen in an earlier row is converted once
    rows = []
    for solution in result:
        row = {}
        for i, v in columns:
            term = solution[i]
            if term is not None:
                key = str(term)
                node = converted.get(key)
                if node is None:
                    node = converted[key] = from_oxigraph_term(term)
                row[v] = node
        rows.append(row)
    return variables, rows


_XSD_STRING = str(XSD.string)


def _pack_oxigraph(result: Any) -> Any:
    """``_pack`` straight from Oxigraph's terms, without making rdflib terms on the way."""
    variables = [v.value for v in result.variables]
    width = range(len(variables))
    index: dict[str, int] = {}
    terms: list[tuple[str, str, str]] = []
    packed = []
    for solution in result:
        cells = []
        for i in width:
            term = solution[i]
            if term is None:
                cells.append(-1)
                continue
            key = str(term)
            n = index.get(key)
            if n is None:
                n = index[key] = len(terms)
                if isinstance(term, ox.NamedNode):
                    terms.append(("iri", term.value, ""))
                elif isinstance(term, ox.BlankNode):
                    terms.append(("bnode", term.value, ""))
                else:
                    datatype = term.datatype.value
                    extra = f"@{term.language}" if term.language else datatype
                    terms.append(("literal", term.value, "" if extra == _XSD_STRING else extra))
            cells.append(n)
        packed.append(cells)
    return variables, terms, packed


def _norm(term: Node) -> Node:
    """RDF 1.1: a simple literal is an xsd:string; both come back as a plain Literal."""
    if isinstance(term, Literal) and term.datatype == XSD.string and not term.language:
        return Literal(str(term))
    return term


def _pack(outcome: Any) -> Any:
    """A result made cheap to send between processes: each distinct term once, as plain text,
    and the rows as indexes into that list (rdflib terms pickle and unpickle slowly)."""
    if isinstance(outcome, bool):
        return outcome
    variables, rows = outcome
    index: dict[Node, int] = {}
    terms: list[tuple[str, str, str]] = []
    packed = []
    for row in rows:
        cells = []
        for v in variables:
            term = row.get(v)
            if term is None:
                cells.append(-1)
                continue
            i = index.get(term)
            if i is None:
                i = index[term] = len(terms)
                terms.append(term_parts(term))
            cells.append(i)
        packed.append(cells)
    return variables, terms, packed


def _unpack(message: Any) -> Any:
    if isinstance(message, bool):
        return message
    variables, texts, packed = message
    terms = [term_from_parts(*text) for text in texts]
    rows = [
        {v: terms[i] for v, i in zip(variables, cells, strict=True) if i >= 0} for cells in packed
    ]
    return variables, rows


def _worker(conn: Any, engine: str, text: str, bindings: dict[str, Node], dataset: Dataset) -> None:
    try:
        conn.send(("ok", _execute(engine, text, bindings, dataset, forked=True)))
    except BaseException as exc:  # report every failure to the parent, which raises it
        detail = one_line(exc)
        if not isinstance(exc, Exception):
            detail = type(exc).__name__
        with contextlib.suppress(Exception):  # the parent then reports a worker that died
            conn.send(("error", f"{type(exc).__name__}: {detail}", traceback.format_exc()))
    finally:
        conn.close()


def _run_in_worker(
    engine: str,
    text: str,
    bindings: dict[str, Node],
    dataset: Dataset,
    timeout: float,
    where: str,
) -> Any:
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(
        target=_worker, args=(sender, engine, text, bindings, dataset), daemon=True
    )
    process.start()
    sender.close()
    try:
        # Receive while waiting: a large result would otherwise fill the pipe and block.
        if not receiver.poll(timeout):
            raise QueryFailed(
                f"{where} stopped after {timeout:g} s without finishing",
                hint="raise --timeout SECONDS or make the query narrower",
            )
        try:
            message = receiver.recv()
        except EOFError:
            process.join(1)
            raise QueryFailed(
                f"{where} failed: the worker process ended (exit code {process.exitcode}) "
                "without an answer",
                hint=f"try --engine {'rdflib' if engine == 'oxigraph' else 'oxigraph'}",
            ) from None
    finally:
        receiver.close()
        if process.is_alive():
            process.terminate()
            process.join(2)
            if process.is_alive():
                process.kill()
        process.join()
    if message[0] == "ok":
        return _unpack(message[1])
    raise QueryFailed(f"{where} failed on {engine}: {message[1]}")


def can_supervise() -> bool:
    """Whether ``run_supervised`` can be used: fork exists, and standard output and error are
    real files a child process can write to (not the in-memory streams of a test runner)."""
    if not _can_fork():
        return False
    try:
        sys.stdout.fileno()
        sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    return True


def run_supervised(
    work: Callable[[], None],
    timeout: float,
    where: str,
    report: Callable[[KgbuildError], None],
) -> int:
    """Run ``work`` in a forked child that writes its own output, and return its exit code: 0,
    the exit code of a KgbuildError it raised (after ``report`` printed it there), or 1 after
    printing why when it was stopped at ``timeout`` seconds or died. The command's whole work is
    bounded, not only the query, and no result is copied back between the processes."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: do the work, print, exit without running the parent's cleanup
        code = 0
        try:
            work()
        except KgbuildError as exc:
            report(exc)
            code = exc.exit_code
        except BaseException as exc:  # a bug: say so in one line, as the parent would
            code = 1
            with contextlib.suppress(Exception):
                report(QueryFailed(f"{where} failed: {type(exc).__name__}: {one_line(exc)}"))
        finally:
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)
    deadline = time.monotonic() + timeout
    pause = 0.001
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            if code >= 0:
                return code
            if -code == signal.SIGSEGV:  # what Oxigraph's parser does when its stack runs out
                report(
                    QueryFailed(
                        f"{where} failed: the process answering it crashed (SIGSEGV), as "
                        "Oxigraph's parser does on a query nested too deeply or with too long "
                        "an expression",
                        hint="write the query flatter, or try --engine rdflib",
                    )
                )
                return 1
            report(
                QueryFailed(
                    f"{where} failed: the process answering it was killed by signal {-code}",
                    hint="narrow the query, or try --engine rdflib",
                )
            )
            return 1
        if time.monotonic() >= deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            report(
                QueryFailed(
                    f"{where} stopped after {timeout:g} s without finishing",
                    hint="raise --timeout SECONDS or make the query narrower",
                )
            )
            return 1
        time.sleep(pause)
        pause = min(pause * 2, 0.02)
