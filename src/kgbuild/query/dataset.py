"""The graph a query runs on: the build in dist/ (with or without its inferred facts), its
Oxigraph store and rdflib graph, and the index of names that parameters are resolved against."""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Any, Protocol

import pyoxigraph as ox
from rdflib import Graph, URIRef

from kgbuild.dist import ASSERTED_GRAPH, CLOSURE_FILE, KG_FILE, Build, open_build
from kgbuild.names import name_key


class Dataset:
    """The graph a query runs on, as ``kgbuild build`` wrote it to dist/ (see ``dist.py``):
    kg-closure.ttl (the asserted and the inferred facts) or, with ``inferred=False``, kg.ttl.

    ``store`` is the build's Oxigraph store (the Oxigraph engine reads it); ``graph`` the same
    triples parsed by rdflib (the rdflib engine), made on first use. Names of nodes are looked up
    in the build's index, which holds the labels and place names of kg.ttl, so a name means the
    same node with or without the inferred facts.
    """

    def __init__(self, build: Build, inferred: bool = True) -> None:
        self.build = build
        self.inferred = inferred
        self.path = build.path(CLOSURE_FILE if inferred else KG_FILE)
        self._names: dict[str, set[URIRef]] | None = None

    @property
    def graph(self) -> Graph:
        return self.build.graph(self.inferred)

    @property
    def store(self) -> ox.Store:
        return self.build.store()

    @property
    def default_graph(self) -> list[Any] | None:
        """The store's graphs that make the default graph of a query: None for the store's
        default graph (the closure), else the graph of kg.ttl."""
        return None if self.inferred else [ox.NamedNode(ASSERTED_GRAPH)]

    def open_store(self) -> ox.Store:
        """A handle on the store of its own (for a forked worker: RocksDB handles must not
        cross a fork)."""
        return self.build.reopen_store()

    # -- names of nodes, for parameters given by name

    def name_index(self) -> dict[str, set[URIRef]]:
        """casefolded label or place name -> the nodes that have it."""
        if self._names is None:
            names: dict[str, set[URIRef]] = defaultdict(set)
            for key, node in self.build.index().names():
                names[key].add(node)
            self._names = dict(names)
        return self._names

    def nodes_named(self, name: str) -> set[URIRef]:
        return self.build.index().nodes_named(name_key(name))

    def label(self, node: URIRef) -> str:
        return self.build.index().label(node)

    def has_node(self, iri: URIRef) -> bool:
        term = f"<{iri}>"
        if any(c in str(iri) for c in '<>"{}|^`\\ '):
            return False
        ask = f"ASK {{ {{ {term} ?p ?o }} UNION {{ ?s ?p {term} }} UNION {{ ?s {term} ?o }} }}"
        return bool(self.store.query(ask, default_graph=self.default_graph))


class NodeIndex(Protocol):
    """What parameter names are resolved against: a local Dataset or a remote endpoint."""

    def name_index(self) -> dict[str, set[URIRef]]: ...

    def nodes_named(self, name: str) -> set[URIRef]: ...

    def label(self, node: URIRef) -> str: ...

    def has_node(self, iri: URIRef) -> bool: ...


def load_dataset(out_dir: str | os.PathLike[str] = "dist", inferred: bool = True) -> Dataset:
    """The build in ``out_dir`` as a Dataset, with its inferred facts when ``inferred``.

    Nothing is reasoned here: ``kgbuild build`` wrote the inferred facts. InputError when there
    is no usable build (none, incomplete, changed, or out of date with its inputs).
    """
    return Dataset(open_build(out_dir), inferred)
