"""What can be told of a SPARQL text without running it: its tokens, whether it is an update,
whether it could call a remote endpoint with SERVICE, whether it names graphs with FROM, and
whether it parses. The query command, the endpoint and the remote path all refuse queries by
``refusal``, before any engine sees them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain, pairwise

import pyoxigraph as ox

__all__ = [
    "QueryText",
    "MAX_NESTING",
    "Refusal",
    "inspect_query",
    "nesting_depth",
    "parse_error",
    "query_form",
    "refusal",
    "update_keyword",
    "uses_from",
    "uses_service",
]

# SPARQL terminals, enough to tell keywords from IRIs, strings, comments, variables and
# prefixed names, split as Oxigraph's parser splits them: it takes a keyword wherever one
# starts (`trueSERVICE<x>{...}` is `true SERVICE <x> {...}`), variables and local names
# greedily, and a long string's failed opening '''a as '' then 'a. A short string that does not
# end on its line runs to the end of it (Oxigraph refuses that query anyway), so no input makes
# the scan go back and forth. Quantifiers are possessive for the same reason.
_LOCAL = r"(?:[\w.\-:%\u00b7\u0300-\u036f\u203f\u2040]|\\[_~.\-!$&'()*+,;=/?#@%])*+"
_NAME = r"[^\W\d][\w.\-\u00b7]*+"
_TOKEN_PATTERNS = {
    "space": r"\s++",
    "comment": r"#[^\r\n]*+",
    "iri": r'<(?:[^\x00-\x20<>"{}|^`\\]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*+>',
    "string": "|".join(
        (
            r"'''(?:'{0,2}(?:[^'\\]|\\.))*+'''",
            r'"""(?:"{0,2}(?:[^"\\]|\\.))*+"""',
            r"'(?:[^'\\\r\n]|\\[^\r\n]?)*+'?",
            r'"(?:[^"\\\r\n]|\\[^\r\n]?)*+"?',
        )
    ),
    "var": r"[?$][\w\u00b7\u0300-\u036f\u203f\u2040]*+",
    "lang": r"@[A-Za-z]++(?:-[A-Za-z0-9]++)*+",
    "pname": rf"(?:{_NAME})?:{_LOCAL}",
    "name": _NAME,
    "other": r".",
}
_TOKENS = re.compile(
    "|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _TOKEN_PATTERNS.items()), re.DOTALL
)
_UPDATES = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}


def _tokens(text: str) -> Iterator[tuple[str, str]]:
    """(kind, text) of each token of ``text`` but spaces and comments."""
    for match in _TOKENS.finditer(text):
        kind = match.lastgroup or "other"
        if kind not in ("space", "comment"):
            yield kind, match.group()


# Oxigraph's parser recurses once per level of brackets or unary operators, and a few thousand
# levels overflow its stack: the process dies (SIGSEGV) with no Python error. rdflib's parser
# gives up with a RecursionError sooner. No real query comes near this bound.
MAX_NESTING = 100
_OPENING, _CLOSING = "({[", ")}]"


def nesting_depth(text: str) -> int:
    """How deep ``text`` nests: brackets ``( { [`` inside one another, each run of ``!`` or
    ``^`` (unary operators, which nest too) adding its length, outside strings, IRIs and
    comments. Counted by the lexer alone, so any text is safe to measure."""
    depth = deepest = run = 0
    for (kind, token), (_, following) in pairwise(chain(_tokens(text), [("", "")])):
        if kind != "other":
            run = 0
            continue
        if token in _OPENING:
            depth += 1
        elif token in _CLOSING:
            depth = max(depth - 1, 0)
        run = run + 1 if token in "!^" and following != "=" else 0  # != is no operator run
        deepest = max(deepest, depth + run)
    return deepest


def update_keyword(text: str) -> str | None:
    """The keyword that makes ``text`` a SPARQL update (``INSERT``, ``DROP``...), else None."""
    for kind, token in _tokens(text):
        if kind in ("iri", "pname") or (kind == "name" and token.upper() in ("BASE", "PREFIX")):
            continue  # the prologue
        word = token.upper()
        return word if kind == "name" and word in _UPDATES else None
    return None


def uses_service(text: str) -> bool:
    """True when ``text`` could call a remote endpoint with SERVICE, in any spelling Oxigraph
    accepts; words that only contain "service" (``?service``, ``dcat:DataService``, ``<...>``,
    ``"..."``) do not count. It errs on the side of refusing."""
    for kind, token in _tokens(text):
        lowered = token.lower()
        if kind == "name" and "service" in lowered:
            return True
        if kind == "pname":
            prefix, _, local = lowered.partition(":")
            # SERVICE:x{} is SERVICE :x {}; a local name cannot end with '.', so
            # ex:a.SERVICE<x>{} may be ex:a . SERVICE.
            if "service" in prefix or ".service" in local:
                return True
    return False


def uses_from(text: str) -> bool:
    """True when ``text`` has a FROM or FROM NAMED clause (the keyword, not a word holding it)."""
    return any(kind == "name" and token.upper() == "FROM" for kind, token in _tokens(text))


@dataclass(frozen=True)
class Refusal:
    """Why a query text is refused before any parser sees it: ``reason`` is ``empty``,
    ``nesting`` (``detail`` the depth), ``update`` (``detail`` the keyword), ``service`` or
    ``from``. Each caller words it its own way (an exit status, an HTTP status)."""

    reason: str
    detail: str | int | None = None


def refusal(text: str, *, allow_service: bool = False, allow_from: bool = False) -> Refusal | None:
    """The one read-only guard of ``kgbuild query``, ``serve`` and the remote path: why ``text``
    is refused, by the lexer alone, or None. Checked in this order, so that every caller gives
    the same reason for the same text: empty (or only comments), nested deeper than
    ``MAX_NESTING`` (first, as the parsers cannot take it), an update, SERVICE unless
    ``allow_service``, FROM unless ``allow_from``. A text it lets through still has to parse."""
    if next(_tokens(text), None) is None:  # spaces and comments only
        return Refusal("empty")
    depth = nesting_depth(text)
    if depth > MAX_NESTING:
        return Refusal("nesting", depth)
    keyword = update_keyword(text)
    if keyword is not None:
        return Refusal("update", keyword)
    if not allow_service and uses_service(text):
        return Refusal("service")
    if not allow_from and uses_from(text):
        return Refusal("from")
    return None


@dataclass(frozen=True)
class QueryText:
    """What a query text is, told from one scan and one parse: its form (``SELECT``, ``ASK``,
    ``CONSTRUCT``, ``DESCRIBE``; None when it does not parse), why it does not parse, and
    whether it uses SERVICE or FROM. A text with SERVICE is not parsed (see ``query_form``)."""

    form: str | None
    error: str | None
    service: bool
    from_clause: bool


def inspect_query(text: str) -> QueryText:
    service = uses_service(text)
    from_clause = uses_from(text)
    if service:
        return QueryText(None, None, True, from_clause)
    try:
        return QueryText(query_form(text), None, False, from_clause)
    except SyntaxError as exc:
        return QueryText(None, _short(exc), False, from_clause)


# An empty store to parse queries against: Oxigraph parses a query only to run it, and on an
# empty store running it costs nothing.
_EMPTY = ox.Store()


def query_form(text: str) -> str:
    """``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE``; SyntaxError when ``text`` is not a
    SPARQL query. ``text`` must not use SERVICE (see ``uses_service``): it is run on an empty
    store, which would call the service."""
    if uses_service(text):
        raise ValueError("a query with SERVICE is not parsed by running it")
    result = _EMPTY.query(text)
    if isinstance(result, ox.QueryBoolean):
        return "ASK"
    if isinstance(result, ox.QuerySolutions):
        return "SELECT"
    # CONSTRUCT and DESCRIBE both give triples; only the text tells them apart.
    for kind, token in _tokens(text):
        word = token.upper()
        if kind == "name" and word in ("CONSTRUCT", "DESCRIBE"):
            return word
    return "CONSTRUCT"


_POSITION_RE = re.compile(r"error at (\d+):(\d+): (.*)", re.S)


def _short(exc: SyntaxError) -> str:
    message = " ".join(str(exc).split()) or "syntax error"
    match = _POSITION_RE.fullmatch(message)
    if match is None:
        return message
    line, column, detail = match.groups()
    where = f"syntax error at line {line}, column {column}"
    # Oxigraph lists every token it would have taken; a short list helps, a long one not.
    return f"{where}: {detail}" if len(detail) <= 60 else where


def parse_error(text: str) -> str | None:
    """Why ``text`` is not a SPARQL query, in one short line, or None when it is one."""
    try:
        query_form(text)
    except SyntaxError as exc:
        return _short(exc)
    return None
