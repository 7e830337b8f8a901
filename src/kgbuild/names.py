"""How nodes are found by name: every rdfs:label and every place name (kg:nameString of a
kg:PlaceName), compared after Unicode normalisation, case folding and collapsing white space, so
"Berdzor", "BERDZOR" and "Բերձոր" each find the place they name."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable

from rdflib import Literal, URIRef
from rdflib.term import Node

__all__ = ["index_names", "name_key"]


def name_key(text: str) -> str:
    """How names are compared: NFC, casefolded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFC", str(text)).casefold().split())


def index_names(
    labels: Iterable[tuple[Node, Node]], place_names: Iterable[tuple[Node, Node]]
) -> tuple[dict[str, set[URIRef]], dict[URIRef, str]]:
    """(casefolded name -> nodes, node -> its first label) from (node, rdfs:label) and
    (place, kg:nameString) pairs."""
    names: dict[str, set[URIRef]] = defaultdict(set)
    first_label: dict[URIRef, str] = {}
    for node, label in sorted(labels):
        if isinstance(node, URIRef) and isinstance(label, Literal):
            names[name_key(label)].add(node)
            first_label.setdefault(node, str(label))
    for place, written in place_names:
        if isinstance(place, URIRef) and isinstance(written, Literal):
            names[name_key(written)].add(place)
    return dict(names), first_label
