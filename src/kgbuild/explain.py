"""Explain a triple: asserted, or inferred by which OWL 2 RL rule from which premises.

The rules and their record of derivations are those of ``rules.py``, the engine the build
reasons with: ``kgbuild build`` writes the first derivation of every inferred triple to
``dist/index.sqlite``, and ``kgbuild explain`` reads it back, so a proof is always the one the
build's own reasoning made, and nothing is reasoned again. A proof's premises are each proved in
turn down to asserted triples, located at the file and line that state them; derivations are
recorded round by round, so a proof is a finite tree, never a cycle.

Where the build had to use owlrl (see ``reason.py``), a triple owlrl inferred that no rule of the
engine derives is reported as ``[owlrl]``, without premises.

``explain(source, triple)`` gives a ``Proof`` tree from a ``rules.Reasoner`` or a build's index;
``format_proof`` / ``proof_json`` render it.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from rdflib import BNode, URIRef
from rdflib.term import Node

from kgbuild.dist import Build, open_build
from kgbuild.dist_files import KG_FILE
from kgbuild.errors import DataError, InputError, display_path, excerpt
from kgbuild.namespaces import ID_BASE, OWL, RDF
from kgbuild.naming import compact
from kgbuild.rules import RULES, Derivation, Reasoner, Triple

__all__ = [
    "RULES",
    "Derivation",
    "Proof",
    "Reasoner",
    "explain",
    "explain_statement",
    "format_proof",
    "parse_triple",
    "proof_json",
]

TYPE = RDF.type


class ProofSource(Protocol):
    """Where derivations come from: a ``rules.Reasoner``, or a build's index."""

    def derivation(self, triple: Triple) -> Derivation | None: ...

    def list_members(self, node: Node) -> tuple[Node, ...] | None: ...


class _BuildProofs:
    """The derivations a build recorded in dist/index.sqlite."""

    def __init__(self, build: Build) -> None:
        self.index = build.index()

    def derivation(self, triple: Triple) -> Derivation | None:
        record = self.index.derivation(triple)
        if record is None:
            return None
        rule, round_, premises = record
        return Derivation(rule, tuple(premises), round_)

    def list_members(self, node: Node) -> tuple[Node, ...] | None:
        return self.index.list_members(node)


# -------------------------------------------------------------------------- proofs


@dataclass
class Proof:
    """One node of a proof tree. ``status`` is ``asserted``, ``inferred`` (``rule`` and
    ``premises`` say how) or ``owlrl`` (in owlrl's closure, but no rule here derives it)."""

    triple: Triple
    status: str
    rule: str | None = None
    premises: list[Proof] = field(default_factory=list)
    source: str | None = None  # FILE:LINE of an asserted triple, where known
    list_members: tuple[Node, ...] | None = None  # the list an axiom's object stands for


def explain(
    source: ProofSource,
    triple: Triple,
    locate: Callable[[Triple], str | None] | None = None,
) -> Proof | None:
    """The proof of ``triple``, down to asserted triples; None when ``source`` (a Reasoner)
    says it does not hold. With a build's derivations, a triple without one is taken to be
    asserted: check that first (``explain_statement`` does)."""
    holds = getattr(source, "holds", None)
    if holds is not None and not holds(triple):
        return None
    return _proof(source, triple, locate)


def _proof(
    source: ProofSource, triple: Triple, locate: Callable[[Triple], str | None] | None
) -> Proof:
    members = source.list_members(triple[2]) if triple[1] in _LIST_PREDICATES else None
    derivation = source.derivation(triple)
    if derivation is None:
        where = locate(triple) if locate is not None else None
        return Proof(triple, "asserted", source=where, list_members=members)
    premises = [_proof(source, p, locate) for p in derivation.premises]
    return Proof(triple, "inferred", derivation.rule, premises, list_members=members)


_LIST_PREDICATES = (OWL.propertyChainAxiom, OWL.oneOf)


# -------------------------------------------------------------------------- the triple


def parse_triple(text: str | Iterable[str]) -> tuple[str, str, str]:
    """The subject, predicate and object of ``"S P O"`` (split like a shell: quote a name with
    spaces, ``"Lachin District"``), or of three strings already split. InputError otherwise."""
    if isinstance(text, str):
        try:
            parts = shlex.split(text)
        except ValueError as exc:
            raise InputError(
                f"cannot read the triple '{excerpt(text)}': {exc}", hint="close the quotes"
            ) from None
    else:
        parts = list(text)
        if len(parts) == 1:
            return parse_triple(parts[0])
    if len(parts) != 3:
        shown = excerpt(" ".join(parts))
        raise InputError(
            f"the triple '{shown}' has {len(parts)} part{'s' if len(parts) != 1 else ''}"
            ", not 3 (subject, predicate, object)",
            hint='write "SUBJECT PREDICATE OBJECT", quoting names with spaces: '
            '"\\"Lachin District\\" kg:partOf Azerbaijan"',
        )
    return parts[0], parts[1], parts[2]


_ROLES = ("subject", "predicate", "object")


def _ask(build: Build, triple: Triple, graph: str | None) -> bool:
    from kgbuild.query import sparql_term

    terms = " ".join(sparql_term(t) for t in triple)
    default = None if graph is None else [_named(graph)]
    return bool(build.store().query(f"ASK {{ {terms} }}", default_graph=default))


def _named(iri: str) -> Any:
    import pyoxigraph as ox

    return ox.NamedNode(iri)


def explain_statement(
    statement: str | Iterable[str], out_dir: str | os.PathLike[str] = "dist"
) -> Proof:
    """The proof of the triple ``statement`` (``"S P O"``; see ``parse_triple``) in the build in
    ``out_dir``: asserted (located at its record), inferred by a rule (with its premises, down
    to asserted triples), or, in a build that used owlrl, only in owlrl's closure (``status``
    ``owlrl``, no premises).

    Each term is an IRI, a prefixed name or a name, resolved as query parameters are (``a`` is
    ``rdf:type``). InputError (exit 2) for a malformed statement, an unknown or ambiguous
    name, or no usable build; DataError (exit 1) when the triple does not hold.
    """
    from kgbuild.dist import ASSERTED_GRAPH
    from kgbuild.query import RELATIVE_IRI_RE, Dataset, compact_iri, resolve_node

    parts = parse_triple(statement)
    build = open_build(out_dir)
    dataset = Dataset(build, inferred=False)
    terms: list[Node] = []
    for role, value in zip(_ROLES, parts, strict=True):
        # A data id without <> (place/lachin-district) names that node.
        bare = "/" in value and RELATIVE_IRI_RE.fullmatch(value) and URIRef(ID_BASE + value)
        if role == "predicate" and value == "a":
            terms.append(TYPE)
        elif bare and dataset.has_node(bare):
            terms.append(bare)
        else:
            terms.append(resolve_node(role, value, dataset))
    triple: Triple = (terms[0], terms[1], terms[2])
    proofs = _BuildProofs(build)
    index = build.index()

    def locate(t: Triple) -> str | None:
        where = index.location(t[0]) if not isinstance(t[0], BNode) else None
        return None if where is None else f"{display_path(where[0])}:{where[1]}"

    if proofs.derivation(triple) is not None or _ask(build, triple, ASSERTED_GRAPH):
        return _proof(proofs, triple, locate)
    if _ask(build, triple, None):
        return Proof(triple, "owlrl")

    def text(t: Triple) -> str:
        return " ".join(compact_iri(str(term)) if term != TYPE else "a" for term in t)

    converse: Triple = (triple[2], triple[1], triple[0])
    hint = "`kgbuild query` shows what the graph holds"
    if triple[1] != TYPE and _ask(build, converse, None):
        hint = f'the converse holds: `kgbuild explain "{text(converse)}"`'
    raise DataError(
        f"{text(triple)} is neither asserted in {display_path(build.path(KG_FILE))} nor "
        "inferred by OWL 2 RL",
        hint=hint,
    )


# -------------------------------------------------------------------------- rendering


def _term(node: Node) -> str:
    if isinstance(node, BNode):
        return "[]"
    return compact(node)


def triple_text(triple: Triple, members: tuple[Node, ...] | None = None) -> str:
    s, p, o = triple
    predicate = "a" if p == TYPE else _term(p)
    obj = f"( {' '.join(_term(m) for m in members)} )" if members is not None else _term(o)
    return f"{_term(s)} {predicate} {obj}"


OWLRL_ONLY = "inferred by owlrl; no explanation available for this rule"


def format_proof(proof: Proof) -> str:
    """The proof as an indented tree, one triple a line with ``[asserted]`` (and its file) or
    ``[rule]``; a sub-proof already printed is not repeated. Ends with a newline."""
    lines: list[str] = []
    shown: set[Triple] = set()

    def walk(node: Proof, depth: int) -> None:
        text = "  " * depth + triple_text(node.triple, node.list_members)
        if node.status == "asserted":
            tag = "[asserted]" + (f"  {node.source}" if node.source else "")
        elif node.status == "owlrl":
            tag = f"[owlrl]  {OWLRL_ONLY}"
        elif node.triple in shown:
            tag = f"[{node.rule}]  (shown above)"
        else:
            tag = f"[{node.rule}]"
        lines.append(f"{text}  {tag}")
        if node.status == "inferred" and node.triple not in shown:
            shown.add(node.triple)
            for premise in node.premises:
                walk(premise, depth + 1)

    walk(proof, 0)
    return "\n".join(lines) + "\n"


def _json_term(node: Node) -> str:
    if isinstance(node, URIRef):
        return str(node)
    if isinstance(node, BNode):
        return f"_:{node}"
    return _term(node)


def proof_json(proof: Proof) -> dict[str, Any]:
    """The proof as nested JSON-ready dicts: ``triple`` (subject, predicate, object as IRIs,
    ``text`` in compact form), ``status``, ``rule``, ``source`` and ``premises``."""
    triple: dict[str, Any] = {
        "subject": _json_term(proof.triple[0]),
        "predicate": _json_term(proof.triple[1]),
        "object": _json_term(proof.triple[2]),
        "text": triple_text(proof.triple, proof.list_members),
    }
    if proof.list_members is not None:
        triple["list"] = [_json_term(m) for m in proof.list_members]
    out: dict[str, Any] = {"triple": triple, "status": proof.status, "rule": proof.rule}
    if proof.status == "asserted":
        out["source"] = proof.source
    if proof.status == "owlrl":
        out["note"] = OWLRL_ONLY
    out["premises"] = [proof_json(p) for p in proof.premises]
    return out
