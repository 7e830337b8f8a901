"""Stored and ad-hoc SPARQL queries over the built graph, read-only and offline.

The stages, one module each:

- ``catalogue``: the stored queries ``queries/NAME.rq`` and their ``#+`` YAML header;
- ``dataset``: the build in dist/ a query runs on, and the names of its nodes;
- ``parameters``: values as the user wrote them, resolved to terms and bound to the query;
- ``guard``: the read-only check (an update, SERVICE, FROM and FROM NAMED are refused);
- ``running``: the rdflib and Oxigraph engines, in a forked worker stopped at the deadline;
- ``results``: ``QueryResult`` and its formats (W3C JSON, CSV, TSV by pyoxigraph; the table).

A parameter binds the SPARQL variable of the same name. Values are bound, never pasted into the
query text, so no value can change what the query does. This package's interface is what it
re-exports here; other modules of kgbuild import from ``kgbuild.query`` only.
"""

from __future__ import annotations

from kgbuild.query.catalogue import (
    PARAM_TYPES,
    QueryParam,
    StoredQuery,
    format_query_detail,
    format_query_list,
    load_queries,
    parse_header,
    parse_query_file,
    read_query_file,
)
from kgbuild.query.dataset import Dataset, NodeIndex, load_dataset
from kgbuild.query.guard import check_read_only
from kgbuild.query.parameters import (
    bind_params,
    check_params,
    resolve_node,
    resolve_param,
    sparql_term,
    with_values,
)
from kgbuild.query.results import (
    FORMATS,
    RELATIVE_IRI_RE,
    QueryResult,
    compact_iri,
    format_results,
)
from kgbuild.query.running import (
    DEFAULT_TIMEOUT,
    ENGINES,
    QueryFailed,
    can_supervise,
    run_query,
    run_supervised,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "ENGINES",
    "FORMATS",
    "PARAM_TYPES",
    "RELATIVE_IRI_RE",
    "Dataset",
    "NodeIndex",
    "QueryFailed",
    "QueryParam",
    "QueryResult",
    "StoredQuery",
    "bind_params",
    "can_supervise",
    "check_params",
    "check_read_only",
    "compact_iri",
    "format_query_detail",
    "format_query_list",
    "format_results",
    "load_dataset",
    "load_queries",
    "parse_header",
    "parse_query_file",
    "read_query_file",
    "resolve_node",
    "resolve_param",
    "run_query",
    "run_supervised",
    "sparql_term",
    "with_values",
]
