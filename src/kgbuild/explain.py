"""Explain a triple: asserted, or inferred by which OWL 2 RL rule from which premises.

owlrl computes the OWL 2 RL closure but keeps no record of why a triple is in it. ``Reasoner`` is
a small forward-chaining engine for the OWL 2 RL rules this ontology uses (named as in the rule
tables of the W3C OWL 2 Profiles recommendation, section 4.3) that records, for each triple the
first time it is derived, the rule and the premise triples. It runs in semi-naive rounds: a rule
fires in round *n* only with at least one premise first known in round *n - 1* and the others
known before round *n*, and what round *n* derives becomes visible only in round *n + 1*. So every
premise of a derivation is older than its conclusion, and following premises always ends at
asserted triples: a proof is a finite tree, never a cycle.

The rules (every triple the engine derives is in owlrl's closure too; a test holds this):

- schema: scm-cls, scm-op, scm-dp, scm-sco, scm-eqc1, scm-eqc2, scm-spo, scm-eqp1, scm-eqp2,
  scm-dom1, scm-dom2, scm-rng1, scm-rng2
- properties: prp-dom, prp-rng, prp-symp, prp-trp, prp-spo1, prp-spo2 (chains of any length),
  prp-eqp1, prp-eqp2, prp-inv1, prp-inv2
- classes: cax-sco, cax-eqc1, cax-eqc2, cls-oo

Left out, because the ontology and data give them nothing to do or owlrl's result drops what they
would add: the equality rules (eq-*, prp-fp, prp-ifp, prp-key), the restriction rules (cls-svf,
cls-avf, cls-hv, cls-int, cls-uni, ...) and the rules that only detect inconsistencies (cax-dw,
cax-adc, prp-irp, prp-asyp, ...). Property chain axioms and ``owl:oneOf`` lists are read from the
asserted graph.

``explain(graph, triple)`` gives a ``Proof`` tree; ``format_proof`` / ``proof_json`` render it.
"""

from __future__ import annotations

import os
import shlex
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from kgbuild.errors import DataError, InputError, KgbuildError, display_path
from kgbuild.namespaces import ID_BASE, OWL, RDF, RDFS

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
    "source_locator",
]

Triple = tuple[Node, Node, Node]

RULES = (
    *("scm-cls", "scm-op", "scm-dp", "scm-sco", "scm-eqc1", "scm-eqc2", "scm-spo", "scm-eqp1"),
    *("scm-eqp2", "scm-dom1", "scm-dom2", "scm-rng1", "scm-rng2"),
    *("prp-dom", "prp-rng", "prp-symp", "prp-trp", "prp-spo1", "prp-spo2", "prp-eqp1"),
    *("prp-eqp2", "prp-inv1", "prp-inv2"),
    *("cax-sco", "cax-eqc1", "cax-eqc2", "cls-oo"),
)

TYPE = RDF.type
SCO = RDFS.subClassOf
SPO = RDFS.subPropertyOf
DOM = RDFS.domain
RNG = RDFS.range
EQC = OWL.equivalentClass
EQP = OWL.equivalentProperty
INV = OWL.inverseOf


@dataclass(frozen=True)
class Derivation:
    """How a triple was first derived: the rule, its premises (schema premise first, then the
    instance premises in the order the rule names them) and the round it was derived in."""

    rule: str
    premises: tuple[Triple, ...]
    round: int


def _key(triple: Triple) -> tuple[str, ...]:
    return tuple(term.n3() for term in triple)


class Reasoner:
    """The OWL 2 RL rules of this module, run to a fixpoint over ``graph`` (not modified).

    ``derivations`` maps every derived triple (not asserted) to its first ``Derivation``.
    """

    def __init__(self, graph: Graph, exclude: Iterable[str] = ()) -> None:
        self.exclude = frozenset(exclude)  # rules not to run (to test the owlrl fallback)
        self.asserted: set[Triple] = set(graph)
        self.derivations: dict[Triple, Derivation] = {}
        self.rounds = 0
        self._new: dict[Triple, Derivation] = {}  # what the current round derives
        # (p, s) -> objects, (p, o) -> subjects, p -> (s, o): everything known before the
        # current round.
        self._po: dict[Node, dict[Node, set[Node]]] = defaultdict(lambda: defaultdict(set))
        self._ps: dict[Node, dict[Node, set[Node]]] = defaultdict(lambda: defaultdict(set))
        # Property chains and enumerations are read from the asserted graph.
        self._chains: list[tuple[Node, tuple[Node, ...], Triple]] = []
        self._chains_with: dict[Node, list[tuple[int, int]]] = defaultdict(list)
        for prop, head in sorted(graph.subject_objects(OWL.propertyChainAxiom), key=_key):
            members = tuple(Collection(graph, head)) if isinstance(head, BNode) else ()
            if len(members) >= 2:
                index = len(self._chains)
                self._chains.append((prop, members, (prop, OWL.propertyChainAxiom, head)))
                for position, member in enumerate(members):
                    self._chains_with[member].append((index, position))
        self._lists: dict[Node, tuple[Node, ...]] = {
            head: tuple(Collection(graph, head))
            for _, head in graph.subject_objects(OWL.oneOf)
            if isinstance(head, BNode)
        }
        for _, members, axiom in self._chains:
            self._lists[axiom[2]] = members
        self._run()

    # -- the facts known so far

    def _has(self, s: Node, p: Node, o: Node) -> bool:
        return o in self._po[p].get(s, ())

    def _objects(self, s: Node, p: Node) -> Iterable[Node]:
        return self._po[p].get(s, ())

    def _subjects(self, p: Node, o: Node) -> Iterable[Node]:
        return self._ps[p].get(o, ())

    def _pairs(self, p: Node) -> Iterator[tuple[Node, Node]]:
        for s, objects in self._po[p].items():
            for o in objects:
                yield s, o

    def _index(self, triple: Triple) -> None:
        s, p, o = triple
        self._po[p][s].add(o)
        self._ps[p][o].add(s)

    def holds(self, triple: Triple) -> bool:
        return triple in self.asserted or triple in self.derivations

    # -- the rounds

    def _run(self) -> None:
        for triple in self.asserted:
            self._index(triple)
        delta = sorted(self.asserted, key=_key)
        while delta:
            self.rounds += 1
            self._new = {}
            for triple in delta:
                self._fire(triple, self._emit)
            self.derivations.update(self._new)
            for triple in self._new:
                self._index(triple)
            delta = sorted(self._new, key=_key)
        self._new = {}

    def _emit(self, rule: str, conclusion: Triple, *premises: Triple) -> None:
        """Record ``conclusion`` (if new) as derived this round by ``rule`` from ``premises``."""
        if isinstance(conclusion[0], Literal) or rule in self.exclude:
            return
        if self.holds(conclusion) or conclusion in self._new:
            return
        self._new[conclusion] = Derivation(rule, premises, self.rounds)

    def _fire(self, t: Triple, emit: Callable[..., None]) -> None:
        """Every rule application with ``t`` as one of its premises, the others known."""
        s, p, o = t
        # t as an instance premise: x p y
        for c in list(self._objects(p, DOM)):
            emit("prp-dom", (s, TYPE, c), (p, DOM, c), t)
        if not isinstance(o, Literal):
            for c in list(self._objects(p, RNG)):
                emit("prp-rng", (o, TYPE, c), (p, RNG, c), t)
        if self._has(p, TYPE, OWL.SymmetricProperty):
            emit("prp-symp", (o, p, s), (p, TYPE, OWL.SymmetricProperty), t)
        if self._has(p, TYPE, OWL.TransitiveProperty):
            axiom = (p, TYPE, OWL.TransitiveProperty)
            for z in list(self._objects(o, p)):
                emit("prp-trp", (s, p, z), axiom, t, (o, p, z))
            for w in list(self._subjects(p, s)):
                emit("prp-trp", (w, p, o), axiom, (w, p, s), t)
        for p2 in list(self._objects(p, SPO)):
            if p2 != p:
                emit("prp-spo1", (s, p2, o), (p, SPO, p2), t)
        for p2 in list(self._objects(p, EQP)):
            if p2 != p:
                emit("prp-eqp1", (s, p2, o), (p, EQP, p2), t)
        for p1 in list(self._subjects(EQP, p)):
            if p1 != p:
                emit("prp-eqp2", (s, p1, o), (p1, EQP, p), t)
        for p2 in list(self._objects(p, INV)):
            emit("prp-inv1", (o, p2, s), (p, INV, p2), t)
        for p1 in list(self._subjects(INV, p)):
            emit("prp-inv2", (o, p1, s), (p1, INV, p), t)
        for index, position in self._chains_with.get(p, ()):
            prop, members, axiom = self._chains[index]
            for path in self._paths_through(members, position, t):
                emit("prp-spo2", (path[0][0], prop, path[-1][2]), axiom, *path)
        if p == TYPE:
            self._fire_type(t, emit)
        elif p == SCO:
            self._fire_sco(t, emit)
        elif p == SPO:
            self._fire_spo(t, emit)
        elif p in (DOM, RNG):
            self._fire_dom_rng(t, emit)
        elif p == EQC:
            emit("scm-eqc1", (s, SCO, o), t)
            emit("scm-eqc1", (o, SCO, s), t)
            for x in list(self._subjects(TYPE, s)):
                emit("cax-eqc1", (x, TYPE, o), t, (x, TYPE, s))
            for x in list(self._subjects(TYPE, o)):
                emit("cax-eqc2", (x, TYPE, s), t, (x, TYPE, o))
        elif p == EQP:
            emit("scm-eqp1", (s, SPO, o), t)
            emit("scm-eqp1", (o, SPO, s), t)
            if s != o:
                for x, y in list(self._pairs(s)):
                    emit("prp-eqp1", (x, o, y), t, (x, s, y))
                for x, y in list(self._pairs(o)):
                    emit("prp-eqp2", (x, s, y), t, (x, o, y))
        elif p == INV:
            for x, y in list(self._pairs(s)):
                emit("prp-inv1", (y, o, x), t, (x, s, y))
            for x, y in list(self._pairs(o)):
                emit("prp-inv2", (y, s, x), t, (x, o, y))
        elif p == OWL.propertyChainAxiom:
            for prop, members, axiom in self._chains:
                if axiom == t:
                    for path in self._paths(members, 0, members[0], None):
                        emit("prp-spo2", (path[0][0], prop, path[-1][2]), axiom, *path)
        elif p == OWL.oneOf and o in self._lists:
            for member in self._lists[o]:
                emit("cls-oo", (member, TYPE, s), t)

    def _fire_type(self, t: Triple, emit: Callable[..., None]) -> None:
        x, _, c = t
        if c == OWL.Class:
            emit("scm-cls", (x, SCO, x), t)
            emit("scm-cls", (x, EQC, x), t)
            emit("scm-cls", (x, SCO, OWL.Thing), t)
            emit("scm-cls", (OWL.Nothing, SCO, x), t)
        elif c in (OWL.ObjectProperty, OWL.DatatypeProperty):
            rule = "scm-op" if c == OWL.ObjectProperty else "scm-dp"
            emit(rule, (x, SPO, x), t)
            emit(rule, (x, EQP, x), t)
        elif c == OWL.SymmetricProperty:
            for a, b in list(self._pairs(x)):
                emit("prp-symp", (b, x, a), t, (a, x, b))
        elif c == OWL.TransitiveProperty:
            for a, b in list(self._pairs(x)):
                for d in list(self._objects(b, x)):
                    emit("prp-trp", (a, x, d), t, (a, x, b), (b, x, d))
        for c2 in list(self._objects(c, SCO)):
            if c2 != c:
                emit("cax-sco", (x, TYPE, c2), (c, SCO, c2), t)
        for c2 in list(self._objects(c, EQC)):
            if c2 != c:
                emit("cax-eqc1", (x, TYPE, c2), (c, EQC, c2), t)
        for c1 in list(self._subjects(EQC, c)):
            if c1 != c:
                emit("cax-eqc2", (x, TYPE, c1), (c1, EQC, c), t)

    def _fire_sco(self, t: Triple, emit: Callable[..., None]) -> None:
        c1, _, c2 = t
        if c1 != c2:
            for x in list(self._subjects(TYPE, c1)):
                emit("cax-sco", (x, TYPE, c2), t, (x, TYPE, c1))
        for c3 in list(self._objects(c2, SCO)):
            emit("scm-sco", (c1, SCO, c3), t, (c2, SCO, c3))
        for c0 in list(self._subjects(SCO, c1)):
            emit("scm-sco", (c0, SCO, c2), (c0, SCO, c1), t)
        if self._has(c2, SCO, c1):
            emit("scm-eqc2", (c1, EQC, c2), t, (c2, SCO, c1))
            emit("scm-eqc2", (c2, EQC, c1), (c2, SCO, c1), t)
        for rel, rule in ((DOM, "scm-dom1"), (RNG, "scm-rng1")):
            for prop in list(self._subjects(rel, c1)):
                emit(rule, (prop, rel, c2), (prop, rel, c1), t)

    def _fire_spo(self, t: Triple, emit: Callable[..., None]) -> None:
        p1, _, p2 = t
        if p1 != p2:
            for x, y in list(self._pairs(p1)):
                emit("prp-spo1", (x, p2, y), t, (x, p1, y))
        for p3 in list(self._objects(p2, SPO)):
            emit("scm-spo", (p1, SPO, p3), t, (p2, SPO, p3))
        for p0 in list(self._subjects(SPO, p1)):
            emit("scm-spo", (p0, SPO, p2), (p0, SPO, p1), t)
        if self._has(p2, SPO, p1):
            emit("scm-eqp2", (p1, EQP, p2), t, (p2, SPO, p1))
            emit("scm-eqp2", (p2, EQP, p1), (p2, SPO, p1), t)
        for rel, rule in ((DOM, "scm-dom2"), (RNG, "scm-rng2")):
            for c in list(self._objects(p2, rel)):
                emit(rule, (p1, rel, c), (p2, rel, c), t)

    def _fire_dom_rng(self, t: Triple, emit: Callable[..., None]) -> None:
        prop, rel, c = t
        domain = rel == DOM
        for x, y in list(self._pairs(prop)):
            if domain:
                emit("prp-dom", (x, TYPE, c), t, (x, prop, y))
            elif not isinstance(y, Literal):
                emit("prp-rng", (y, TYPE, c), t, (x, prop, y))
        rule1, rule2 = ("scm-dom1", "scm-dom2") if domain else ("scm-rng1", "scm-rng2")
        for c2 in list(self._objects(c, SCO)):
            emit(rule1, (prop, rel, c2), t, (c, SCO, c2))
        for p1 in list(self._subjects(SPO, prop)):
            emit(rule2, (p1, rel, c), t, (p1, SPO, prop))

    def _paths(
        self, members: tuple[Node, ...], start: int, prop: Node, node: Node | None
    ) -> Iterator[list[Triple]]:
        """Every path ``u_start members[start] ... u_n`` of known triples from ``node`` (any
        subject when None) to the end of the chain."""
        if start == len(members):
            yield []
            return
        pairs = (
            list(self._pairs(prop))
            if node is None
            else [(node, o) for o in list(self._objects(node, prop))]
        )
        for s, o in pairs:
            if start + 1 == len(members):
                yield [(s, prop, o)]
            else:
                for rest in self._paths(members, start + 1, members[start + 1], o):
                    yield [(s, prop, o), *rest]

    def _paths_through(
        self, members: tuple[Node, ...], position: int, t: Triple
    ) -> Iterator[list[Triple]]:
        """Every full chain path of known triples whose ``position``-th link is ``t``."""
        befores: list[list[Triple]] = [[]]
        for i in range(position - 1, -1, -1):
            grown = []
            for path in befores:
                end = path[0][0] if path else t[0]
                for w in list(self._subjects(members[i], end)):
                    grown.append([(w, members[i], end), *path])
            befores = grown
        for before in befores:
            for after in self._paths(members, position + 1, _at(members, position + 1), t[2]):
                yield [*before, t, *after]


def _at(members: tuple[Node, ...], i: int) -> Node:
    return members[i] if i < len(members) else members[-1]


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
    reasoner: Reasoner,
    triple: Triple,
    locate: Callable[[Triple], str | None] | None = None,
) -> Proof | None:
    """The proof of ``triple``, down to asserted triples; None when it neither is asserted nor
    derived by ``reasoner``."""
    if not reasoner.holds(triple):
        return None
    return _proof(reasoner, triple, locate)


def _proof(
    reasoner: Reasoner, triple: Triple, locate: Callable[[Triple], str | None] | None
) -> Proof:
    members = reasoner._lists.get(triple[2]) if triple[1] in _LIST_PREDICATES else None
    if triple in reasoner.asserted:
        source = locate(triple) if locate is not None else None
        return Proof(triple, "asserted", source=source, list_members=members)
    derivation = reasoner.derivations[triple]
    premises = [_proof(reasoner, p, locate) for p in derivation.premises]
    return Proof(triple, "inferred", derivation.rule, premises, list_members=members)


_LIST_PREDICATES = (OWL.propertyChainAxiom, OWL.oneOf)


def source_locator(
    ontology_dir: str | os.PathLike[str] | None, data_dir: str | os.PathLike[str] | None
) -> Callable[[Triple], str | None]:
    """A function giving ``FILE:LINE`` for an asserted triple, where known: the record of its
    subject in ``data_dir`` or the Turtle block of its subject in ``ontology_dir``.

    Best effort: inputs that are missing or no longer load (the data may have changed since
    the build) just leave the triples unlocated.
    """
    from kgbuild.validate import Locator  # pulls pySHACL; only for the locations

    locations: dict[URIRef, tuple[Path, int]] = {}
    if ontology_dir is not None and data_dir is not None and Path(data_dir).is_dir():
        try:
            from kgbuild.build import load_inputs

            locations = load_inputs(ontology_dir, data_dir)[1].locations
        except KgbuildError:
            locations = {}
    ontology = ontology_dir if ontology_dir is not None and Path(ontology_dir).is_dir() else None
    locator = Locator(locations, ontology)

    def locate(triple: Triple) -> str | None:
        where = locator(triple[0])
        if where is None:
            return None
        path, line = where
        return f"{display_path(path)}:{line}"

    return locate


# -------------------------------------------------------------------------- the triple


def parse_triple(text: str | Iterable[str]) -> tuple[str, str, str]:
    """The subject, predicate and object of ``"S P O"`` (split like a shell: quote a name with
    spaces, ``"Lachin District"``), or of three strings already split. InputError otherwise."""
    if isinstance(text, str):
        try:
            parts = shlex.split(text)
        except ValueError as exc:
            raise InputError(
                f"cannot read the triple {text!r}: {exc}", hint="close the quotes"
            ) from None
    else:
        parts = list(text)
        if len(parts) == 1:
            return parse_triple(parts[0])
    if len(parts) != 3:
        raise InputError(
            f"the triple {' '.join(parts)!r} has {len(parts)} part{'s' if len(parts) != 1 else ''}"
            ", not 3 (subject, predicate, object)",
            hint='write "SUBJECT PREDICATE OBJECT", quoting names with spaces: '
            '"\\"Lachin District\\" kg:partOf Azerbaijan"',
        )
    return parts[0], parts[1], parts[2]


_ROLES = ("subject", "predicate", "object")
# id(asserted graph) -> (that graph, its Reasoner); load_dataset keeps one graph per kg.ttl.
_REASONERS: dict[int, tuple[Graph, Reasoner]] = {}


def reasoner_for(graph: Graph, exclude: Iterable[str] = ()) -> Reasoner:
    """The Reasoner of ``graph``, made once per graph object (without ``exclude``)."""
    if exclude:
        return Reasoner(graph, exclude)
    cached = _REASONERS.get(id(graph))
    if cached is None or cached[0] is not graph:
        cached = (graph, Reasoner(graph))
        _REASONERS[id(graph)] = cached
    return cached[1]


def explain_statement(
    statement: str | Iterable[str],
    out_dir: str | os.PathLike[str] = "dist",
    ontology_dir: str | os.PathLike[str] | None = "ontology",
    data_dir: str | os.PathLike[str] | None = "data",
    exclude: Iterable[str] = (),
) -> Proof:
    """The proof of the triple ``statement`` (``"S P O"``; see ``parse_triple``) in
    ``out_dir/kg.ttl``: asserted, inferred by a rule of ``Reasoner`` (with its premises, down to
    asserted triples), or only in owlrl's closure (``status`` ``owlrl``, no premises).

    Each term is an IRI, a prefixed name or a name, resolved as query parameters are (``a`` is
    ``rdf:type``). InputError (exit 2) for a malformed statement or an unknown or ambiguous
    name, listing the candidates; DataError (exit 1) when the triple does not hold. Asserted
    triples are located in ``ontology_dir`` / ``data_dir`` where they can be.
    """
    from kgbuild.query import _RELATIVE_IRI_RE, _compact_iri, _resolve_node, load_dataset

    parts = parse_triple(statement)
    dataset = load_dataset(out_dir, inferred=False)
    terms: list[Node] = []
    for role, value in zip(_ROLES, parts, strict=True):
        # A data id without <> (place/lachin-district) names that node.
        bare = "/" in value and _RELATIVE_IRI_RE.fullmatch(value) and URIRef(ID_BASE + value)
        if role == "predicate" and value == "a":
            terms.append(TYPE)
        elif bare and dataset.has_node(bare):
            terms.append(bare)
        else:
            terms.append(_resolve_node(role, value, dataset))
    triple: Triple = (terms[0], terms[1], terms[2])
    reasoner = reasoner_for(dataset.asserted, exclude)
    if reasoner.holds(triple):
        locate = source_locator(ontology_dir, data_dir)
        proof = explain(reasoner, triple, locate)
        assert proof is not None
        return proof
    if triple in load_dataset(out_dir, inferred=True).graph:
        return Proof(triple, "owlrl")

    def text(t: Triple) -> str:
        return " ".join(_compact_iri(str(term)) if term != TYPE else "a" for term in t)

    converse: Triple = (triple[2], triple[1], triple[0])
    hint = "`kgbuild query` shows what the graph holds"
    if triple[1] != TYPE and reasoner.holds(converse):
        hint = f'the converse holds: `kgbuild explain "{text(converse)}"`'
    raise DataError(
        f"{text(triple)} is neither asserted in {display_path(Path(out_dir) / 'kg.ttl')} nor "
        "inferred by OWL 2 RL",
        hint=hint,
    )


# -------------------------------------------------------------------------- rendering


def _term(node: Node) -> str:
    from kgbuild.validate import compact

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
