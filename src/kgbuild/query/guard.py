"""The read-only check every query passes before it runs: parsed, and refused unless it is a
SELECT or ASK that reads the built graph only (no update, SERVICE, FROM or FROM NAMED). The
lexer's refusals are ``sparql_text.refusal``, the one guard shared with ``kgbuild serve``."""

from __future__ import annotations

from kgbuild.errors import InputError
from kgbuild.sparql_text import MAX_NESTING, inspect_query, parse_error, refusal, uses_service


def check_read_only(text: str, where: str = "the query", remote: bool = False) -> str:
    """Parse ``text`` and return its form (``SELECT`` or ``ASK``); refuse everything else.

    InputError when it is not SPARQL, is an update, is a CONSTRUCT or DESCRIBE, uses SERVICE
    (a federated query would go to the network), or has FROM / FROM NAMED (queries read the
    built graph and nothing else). Nothing is run on the graph. A ``remote`` query (for a
    SPARQL endpoint) may use SERVICE and FROM: there they are the server's business, and FROM
    picks one of its graphs.

    Local queries are parsed by Oxigraph (in milliseconds); remote ones, which may hold SERVICE,
    by rdflib, whose parser runs nothing. A text nested deeper than ``MAX_NESTING`` is refused
    before either parser sees it: Oxigraph's would crash the process, rdflib's give up. The
    lexer's refusals are ``sparql_text.refusal``, the same guard as ``kgbuild serve``'s.
    """
    refused = refusal(text, allow_service=remote, allow_from=remote)  # shared with serve
    if refused is None:
        pass
    elif refused.reason == "nesting":
        raise InputError(
            f"{where} nests brackets or operators {refused.detail} levels deep, over the limit of "
            f"{MAX_NESTING}",
            hint="write it with fewer nested parentheses, braces and brackets",
        )
    elif refused.reason == "service":
        raise InputError(
            f"{where} uses SERVICE; queries run offline on the built graph only",
            hint="remove the SERVICE clause",
        )
    elif refused.reason == "from":
        raise InputError(
            f"{where} has FROM or FROM NAMED; queries run on the built graph only and load nothing",
            hint="remove the FROM clauses",
        )
    else:  # empty or an update: rdflib's update parser names the operations
        error = "syntax error" if uses_service(text) else parse_error(text) or "syntax error"
        _refuse_unparsable(text, where, error)
    info = inspect_query(text)
    if info.service:
        return _check_with_rdflib(text, where)
    if info.form is None:
        _refuse_unparsable(text, where, info.error or "syntax error")
    return _only_select_or_ask(info.form or "", where)


def _only_select_or_ask(form: str, where: str) -> str:
    if form in ("SELECT", "ASK"):
        return form
    raise InputError(f"{where} is a {form} query", hint="only SELECT and ASK queries are supported")


def _refuse_unparsable(text: str, where: str, error: str) -> None:
    operations = _update_operations(text)  # rdflib's parser: slow, but only on this path
    if operations == [] or not text.strip():
        raise InputError(f"{where} is empty", hint="write a SELECT or ASK query")
    if operations is not None:
        raise InputError(
            f"{where} is a SPARQL update ({', '.join(operations)}), refused: queries are read-only",
            hint="kgbuild runs SELECT and ASK queries and never changes the graph",
        )
    raise InputError(f"{where} is not valid SPARQL: {error}")


def _check_with_rdflib(text: str, where: str) -> str:
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        parsed = parseQuery(text)
    except RecursionError:  # pyparsing recurses per nesting level, even below MAX_NESTING
        raise InputError(
            f"{where} nests too deeply for rdflib's SPARQL parser",
            hint="write it with fewer nested parentheses, braces and brackets",
        ) from None
    except Exception as exc:
        _refuse_unparsable(text, where, one_line(exc))
        raise  # not reached: _refuse_unparsable always raises
    name = getattr(parsed[1], "name", "")
    return _only_select_or_ask(name.removesuffix("Query").upper(), where)


_UPDATE_OPERATIONS = {
    "InsertData": "INSERT DATA",
    "DeleteData": "DELETE DATA",
    "DeleteWhere": "DELETE WHERE",
    "Modify": "DELETE/INSERT",
}


def _update_operations(text: str) -> list[str] | None:
    """The operations of ``text`` as a SPARQL update (``["DROP"]``), None if it is not one."""
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        update = parseUpdate(text)
    except Exception:
        return None
    names = []
    for request in update.get("request", None) or []:
        name = getattr(request, "name", "")
        name = _UPDATE_OPERATIONS.get(name, name.upper())
        if name and name not in names:
            names.append(name)
    return names


def one_line(exc: BaseException) -> str:
    """What ``exc`` says, on one line (its type's name when it says nothing)."""
    return " ".join(str(exc).split()) or type(exc).__name__
