"""How messages name a term and where a node is written: shared by validation, reasoning and
explanations, so a node reads the same in each (and in ``dist/kg.ttl``) and each points to the
same ``file:line``. A leaf module: naming a node must not cost loading a validator."""

from __future__ import annotations

import os
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from kgbuild.namespaces import ID_BASE, PREFIXES
from kgbuild.ontology import term_lines
from kgbuild.serialize import compact_terms

__all__ = ["REPORT_PREFIXES", "Location", "Locator", "compact", "locate_term", "ontology_files"]

# The project prefixes plus those of SHACL and the shapes, for the report in Turtle and JSON-LD.
REPORT_PREFIXES: dict[str, str] = {
    **PREFIXES,
    "kgsh": "https://w3id.org/kgbuild/shapes#",
    "sh": str(SH),
}

Location = tuple[Path, int]

_COMPACT = compact_terms(REPORT_PREFIXES, ID_BASE)


def compact(node: Node | None) -> str:
    """``node`` as the Turtle of ``dist/kg.ttl`` writes it: ``<place/x>``, ``kg:territory``,
    ``"text"@en``; a blank node is ``[]``."""
    if node is None:
        return "-"
    if isinstance(node, URIRef | Literal):
        return _COMPACT(node)
    return "[]"


def locate_term(path: str | os.PathLike[str], iri: str) -> int | None:
    """The 1-based line of the Turtle file ``path`` that starts the block of ``iri``
    (``kg:Handover a owl:Class ;``), or None when no block starts with it."""
    return term_lines(Path(path)).get(str(iri))


_ADDED_AXIOMS = {"alignments.ttl", "disjointness.ttl"}


def ontology_files(ontology_dir: str | os.PathLike[str]) -> list[Path]:
    """The ontology's Turtle files, the modules that define terms first: the alignment and
    disjointness modules only add axioms about terms defined elsewhere, so a term is located
    where it is defined."""
    return sorted(
        (p for p in Path(ontology_dir).glob("*.ttl") if p.is_file()),
        key=lambda p: (p.name in _ADDED_AXIOMS or p.name.startswith("align-"), p.name),
    )


class Locator:
    """Where a node is written: a data node at its YAML record, an ontology term at the start
    of its Turtle block; None for anything else (blank nodes, literals, unknown IRIs)."""

    def __init__(
        self,
        locations: dict[URIRef, Location] | None = None,
        ontology_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        self.locations = locations or {}
        self.ontology_files = ontology_files(ontology_dir) if ontology_dir is not None else []

    def __call__(self, node: Node | None) -> Location | None:
        if not isinstance(node, URIRef):
            return None
        where = self.locations.get(node)
        if where is not None:
            return where
        for path in self.ontology_files:
            line = locate_term(path, str(node))
            if line is not None:
                return path, line
        return None
