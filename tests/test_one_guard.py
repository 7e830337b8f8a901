"""One read-only guard: `kgbuild query`, `kgbuild serve` and the remote path refuse a query for
the same reason, told by `sparql_text.refusal` before any parser sees it."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kgbuild.errors import InputError
from kgbuild.query import StoredQuery, check_read_only
from kgbuild.remote import run_remote_query
from kgbuild.serve import Refused, make_server
from kgbuild.sparql_text import MAX_NESTING, refusal

DEEP = MAX_NESTING + 50
FILTER = "FILTER(" + "(" * DEEP + "1" + ")" * DEEP + ")"
# (text, reason, what `kgbuild query` says, serve's status and words, whether remote refuses it)
CASES = [
    ("# only a comment\n", "empty", "is empty", (400, "the query is empty"), True),
    (
        "INSERT DATA { <a:b> <a:c> <a:d> }",
        "update",
        "is a SPARQL update (INSERT DATA)",
        (403, "read-only: SPARQL updates are refused (the query is INSERT ...)"),
        True,
    ),
    (
        "DELETE WHERE { " + "{" * DEEP + "}" * DEEP + " }",
        "nesting",
        f"nests brackets or operators {DEEP + 1} levels deep",
        (400, f"nests brackets or operators {DEEP + 1} levels deep"),
        True,
    ),
    (
        "SELECT * { SERVICE <http://127.0.0.1:9/> { " + FILTER + " } }",
        "nesting",
        f"nests brackets or operators {DEEP + 3} levels deep",
        (400, f"nests brackets or operators {DEEP + 3} levels deep"),
        True,
    ),
    (
        "SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "service",
        "uses SERVICE",
        (400, "the query uses SERVICE"),
        False,  # the remote server's business
    ),
]


@pytest.fixture(scope="module")
def server():
    server = make_server(ox.Store(), "127.0.0.1", 0)
    try:
        yield server
    finally:
        server.server_close()


@pytest.mark.parametrize(("text", "reason", "local", "served", "remote"), CASES)
def test_the_three_callers_refuse_for_the_same_reason(server, text, reason, local, served, remote):
    found = refusal(text)
    assert found is not None and found.reason == reason

    with pytest.raises(InputError) as info:
        check_read_only(text)
    assert local in str(info.value)

    with pytest.raises(Refused) as refused:
        server.check(text)
    status, words = served
    assert refused.value.response.status == status and words in str(refused.value)

    query = StoredQuery("ad-hoc", None, text)
    if remote:
        # Refused before anything is sent: nothing listens on port 9.
        with pytest.raises(InputError) as info:
            run_remote_query(query, "http://127.0.0.1:9/sparql", timeout=2)
        assert local in str(info.value)
    else:
        assert refusal(text, allow_service=True, allow_from=True) is None
