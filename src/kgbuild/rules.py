"""The OWL 2 RL rules kgbuild reasons with, run forward to a fixpoint, recording why each inferred
triple holds.

One rule set serves both the reasoner (``kgbuild build`` and ``reason`` keep what it derives,
see ``reason.py``) and the proofs of ``kgbuild explain`` (which read the derivations the build
recorded), so the two cannot drift apart. The rules are named as in the rule tables of the W3C
OWL 2 Profiles recommendation, section 4.3:

- schema: scm-cls, scm-op, scm-dp, scm-sco, scm-eqc1, scm-eqc2, scm-spo, scm-eqp1, scm-eqp2,
  scm-dom1, scm-dom2, scm-rng1, scm-rng2
- properties: prp-dom, prp-rng, prp-symp, prp-trp, prp-spo1, prp-spo2 (chains of any length),
  prp-eqp1, prp-eqp2, prp-inv1, prp-inv2
- classes: cax-sco, cax-eqc1, cax-eqc2, cls-oo

They are applied as owlrl applies them, which leaves out some reflexive conclusions of the
recommendation's rules (``a rdfs:subClassOf a`` from ``a rdfs:subClassOf b`` and
``b rdfs:subClassOf a``, and the like), so that the two give the same closure.

Left out: the equality rules (eq-*, prp-fp, prp-ifp, prp-key), the restriction rules (cls-svf,
cls-avf, cls-hv, cls-int, cls-uni, ...) and the rules that only detect inconsistencies. The
reasoning stage checks that a graph needs none of them before it trusts this engine, and hands
the graph to owlrl, the reference, when it does.

How it runs: every term is numbered once, in the order of its N-Triples form, and the rules work
on triples of numbers (Python compares and hashes small integers far faster than rdflib terms).
Rounds are semi-naive: a rule fires in round *n* only with at least one premise first known in
round *n - 1* and the others known before round *n*, and what round *n* derives is visible from
round *n + 1*. So every premise of a derivation is older than its conclusion and following
premises always ends at asserted triples: a proof is a finite tree, never a cycle. Each round
handles its new triples in sorted order, so the recorded derivation of a triple is the same on
every run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

from rdflib import BNode, Literal
from rdflib.term import Node

from kgbuild.namespaces import OWL, RDF, RDFS

__all__ = ["RULES", "Derivation", "Reasoner", "Triple"]

Triple = tuple[Node, Node, Node]
_Ids = tuple[int, int, int]

RULES = (
    *("scm-cls", "scm-op", "scm-dp", "scm-sco", "scm-eqc1", "scm-eqc2", "scm-spo", "scm-eqp1"),
    *("scm-eqp2", "scm-dom1", "scm-dom2", "scm-rng1", "scm-rng2"),
    *("prp-dom", "prp-rng", "prp-symp", "prp-trp", "prp-spo1", "prp-spo2", "prp-eqp1"),
    *("prp-eqp2", "prp-inv1", "prp-inv2"),
    *("cax-sco", "cax-eqc1", "cax-eqc2", "cls-oo"),
)

# The vocabulary the rules match on; numbered like every other term.
_VOCABULARY = (
    RDF.type,
    RDF.first,
    RDF.rest,
    RDF.nil,
    RDFS.subClassOf,
    RDFS.subPropertyOf,
    RDFS.domain,
    RDFS.range,
    OWL.equivalentClass,
    OWL.equivalentProperty,
    OWL.inverseOf,
    OWL.propertyChainAxiom,
    OWL.oneOf,
    OWL.Class,
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    OWL.SymmetricProperty,
    OWL.TransitiveProperty,
    OWL.Thing,
    OWL.Nothing,
)


@dataclass(frozen=True)
class Derivation:
    """How a triple was first derived: the rule, its premises (schema premise first, then the
    instance premises in the order the rule names them) and the round it was derived in."""

    rule: str
    premises: tuple[Triple, ...]
    round: int


def _sort_key(term: Node) -> str:
    return term.n3()


def _add(index: dict[int, int | set[int]], key: int, value: int) -> None:
    found = index.get(key)
    if found is None:
        index[key] = value
    elif type(found) is int:
        if found != value:
            index[key] = {found, value}
    else:
        found.add(value)


def _values(found: int | set[int] | None) -> Collection[int]:
    """The values an index holds for a key (see Reasoner._po)."""
    if found is None:
        return ()
    return (found,) if type(found) is int else found  # type: ignore[return-value]


class Reasoner:
    """The rules of this module run to a fixpoint over ``triples`` (the asserted graph).

    ``holds``, ``derivation`` and ``derived`` answer in rdflib terms; ``exclude`` names rules
    not to run (to test what happens when a rule is missing).
    """

    def __init__(self, triples: Iterable[Triple], exclude: Iterable[str] = ()) -> None:
        self.exclude = frozenset(exclude)
        self.asserted: set[Triple] = set(triples)
        self.rounds = 0
        # Column by column with map and zip: loops that stay in C, which matters on a million
        # triples.
        columns = zip(*self.asserted, strict=True) if self.asserted else ((), (), ())
        subjects, predicates, objects = columns
        terms = {*subjects, *predicates, *objects, *_VOCABULARY}
        self._terms: list[Node] = sorted(terms, key=_sort_key)
        self._ids: dict[Node, int] = {term: i for i, term in enumerate(self._terms)}
        self._literal = [isinstance(term, Literal) for term in self._terms]
        number = self._ids.__getitem__
        self._asserted: set[_Ids] = set(
            zip(map(number, subjects), map(number, predicates), map(number, objects), strict=True)
        )
        del columns, subjects, predicates, objects
        ids = self._ids
        # conclusion -> (rule, premises, round)
        self._derived: dict[_Ids, tuple[str, tuple[_Ids, ...], int]] = {}
        self._new: dict[_Ids, tuple[str, tuple[_Ids, ...], int]] = {}
        # p -> s -> objects and p -> o -> subjects: everything known before the current round.
        # One value is kept as the bare number, two or more as a set: most subjects have one
        # value of a property, and a million one-element sets would take half a gigabyte.
        self._po: dict[int, dict[int, int | set[int]]] = defaultdict(dict)
        self._ps: dict[int, dict[int, int | set[int]]] = defaultdict(dict)
        (
            self._type,
            self._first,
            self._rest,
            self._nil,
            self._sco,
            self._spo,
            self._dom,
            self._rng,
            self._eqc,
            self._eqp,
            self._inv,
            self._chain,
            self._one_of,
            self._class,
            self._object_property,
            self._datatype_property,
            self._symmetric,
            self._transitive,
            self._thing,
            self._nothing,
        ) = (ids[term] for term in _VOCABULARY)
        for triple in self._asserted:
            self._index(triple)
        # Property chains and enumerations are read from the asserted triples.
        self._chains: list[tuple[int, tuple[int, ...], _Ids]] = []
        self._chains_with: dict[int, list[tuple[int, int]]] = defaultdict(list)
        self._lists: dict[int, tuple[int, ...]] = {}
        for prop, head in sorted(self._pairs(self._chain)):
            members = self._list(head)
            if len(members) >= 2:
                index = len(self._chains)
                self._chains.append((prop, members, (prop, self._chain, head)))
                for position, member in enumerate(members):
                    self._chains_with[member].append((index, position))
                self._lists[head] = members
        for _, head in self._pairs(self._one_of):
            self._lists[head] = self._list(head)
        self._run()

    # -- terms

    def _term_id(self, term: Node) -> int | None:
        return self._ids.get(term)

    def _ids_of(self, triple: Triple) -> _Ids | None:
        s, p, o = (self._ids.get(term) for term in triple)
        if s is None or p is None or o is None:
            return None
        return s, p, o

    def _triple(self, ids: _Ids) -> Triple:
        terms = self._terms
        return terms[ids[0]], terms[ids[1]], terms[ids[2]]

    def _list(self, head: int) -> tuple[int, ...]:
        """The members of the well-formed RDF list starting at ``head`` (a blank node), or ()."""
        if not isinstance(self._terms[head], BNode):
            return ()
        members: list[int] = []
        seen: set[int] = set()
        node = head
        while node != self._nil:
            firsts = _values(self._po[self._first].get(node))
            rests = _values(self._po[self._rest].get(node))
            if node in seen or len(firsts) != 1 or len(rests) != 1:
                return ()
            seen.add(node)
            members.append(next(iter(firsts)))
            node = next(iter(rests))
        return tuple(members)

    # -- what the engine concluded, in rdflib terms

    def holds(self, triple: Triple) -> bool:
        """The triple is asserted or derived."""
        ids = self._ids_of(triple)
        return ids is not None and (ids in self._asserted or ids in self._derived)

    def is_asserted(self, triple: Triple) -> bool:
        return triple in self.asserted

    def derivation(self, triple: Triple) -> Derivation | None:
        """How ``triple`` was first derived; None when it is asserted or does not hold."""
        ids = self._ids_of(triple)
        record = self._derived.get(ids) if ids is not None else None
        if record is None:
            return None
        rule, premises, round_ = record
        return Derivation(rule, tuple(self._triple(p) for p in premises), round_)

    def derived(self) -> Iterator[Triple]:
        """Every derived triple (not asserted), uncleaned, in sorted order."""
        for ids in sorted(self._derived):
            yield self._triple(ids)

    def derived_count(self) -> int:
        return len(self._derived)

    @cached_property
    def derivations(self) -> dict[Triple, Derivation]:
        """Every derived triple with its derivation (built on first use: for tests and tools)."""
        return {
            self._triple(ids): Derivation(rule, tuple(self._triple(p) for p in premises), r)
            for ids, (rule, premises, r) in self._derived.items()
        }

    def records(self) -> Iterator[tuple[Triple, str, int, tuple[Triple, ...]]]:
        """(conclusion, rule, round, premises) of every derivation, in sorted order."""
        for ids in sorted(self._derived):
            rule, premises, round_ = self._derived[ids]
            yield self._triple(ids), rule, round_, tuple(self._triple(p) for p in premises)

    def term_table(self) -> list[Node]:
        """Every term, at the position of its number (for id_records and id_lists)."""
        return list(self._terms)

    def id_records(self) -> Iterator[tuple[_Ids, str, int, tuple[_Ids, ...]]]:
        """(conclusion, rule, round, premises) of every derivation as term numbers, sorted."""
        for ids in sorted(self._derived):
            rule, premises, round_ = self._derived[ids]
            yield ids, rule, round_, premises

    def id_lists(self) -> list[tuple[int, tuple[int, ...]]]:
        """(head, members) of the property chain and enumeration lists, as term numbers."""
        return sorted(self._lists.items())

    def list_members(self, node: Node) -> tuple[Node, ...] | None:
        """The members of a property chain or enumeration list, by the list's head node."""
        i = self._ids.get(node)
        members = self._lists.get(i) if i is not None else None
        return None if members is None else tuple(self._terms[m] for m in members)

    # -- the closure, for the consistency checks

    def subjects(self, predicate: Node, obj: Node) -> list[Node]:
        """The subjects of (?, predicate, obj) in the closure."""
        p, o = self._ids.get(predicate), self._ids.get(obj)
        if p is None or o is None:
            return []
        return [self._terms[s] for s in sorted(_values(self._ps[p].get(o)))]

    def objects(self, subject: Node, predicate: Node) -> list[Node]:
        """The objects of (subject, predicate, ?) in the closure."""
        s, p = self._ids.get(subject), self._ids.get(predicate)
        if s is None or p is None:
            return []
        return [self._terms[o] for o in sorted(_values(self._po[p].get(s)))]

    def subjects_with_several(self, predicate: Node) -> list[Node]:
        """The subjects with two or more values of ``predicate`` in the closure."""
        p = self._ids.get(predicate)
        if p is None:
            return []
        return [
            self._terms[s] for s, objects in sorted(self._po[p].items()) if type(objects) is set
        ]

    def subject_objects(self, predicate: Node) -> Iterator[tuple[Node, Node]]:
        """The (subject, object) pairs of ``predicate`` in the closure."""
        p = self._ids.get(predicate)
        if p is None:
            return
        for s, o in sorted(self._pairs(p)):
            yield self._terms[s], self._terms[o]

    # -- the rounds

    def _index(self, triple: _Ids) -> None:
        s, p, o = triple
        _add(self._po[p], s, o)
        _add(self._ps[p], o, s)

    def _has(self, s: int, p: int, o: int) -> bool:
        found = self._po[p].get(s)
        if type(found) is int:
            return found == o
        return found is not None and o in found

    def _objects(self, s: int, p: int) -> list[int]:
        return list(_values(self._po[p].get(s)))

    def _subjects(self, p: int, o: int) -> list[int]:
        return list(_values(self._ps[p].get(o)))

    def _pairs(self, p: int) -> list[tuple[int, int]]:
        return [(s, o) for s, objects in self._po[p].items() for o in _values(objects)]

    def _run(self) -> None:
        delta = sorted(self._asserted)
        while delta:
            self.rounds += 1
            self._new = {}
            for triple in delta:
                self._fire(triple)
            self._derived.update(self._new)
            for triple in self._new:
                self._index(triple)
            delta = sorted(self._new)
        self._new = {}

    def _emit(self, rule: str, conclusion: _Ids, *premises: _Ids) -> None:
        """Record ``conclusion`` (if new) as derived this round by ``rule`` from ``premises``."""
        if (
            conclusion in self._asserted
            or conclusion in self._derived
            or conclusion in self._new
            or self._literal[conclusion[0]]
            or rule in self.exclude
        ):
            return
        self._new[conclusion] = (rule, premises, self.rounds)

    def _fire(self, t: _Ids) -> None:
        """Every rule application with ``t`` as one of its premises, the others known."""
        emit: Callable[..., None] = self._emit
        s, p, o = t
        # t as an instance premise: s p o
        for c in self._objects(p, self._dom):
            emit("prp-dom", (s, self._type, c), (p, self._dom, c), t)
        if not self._literal[o]:
            for c in self._objects(p, self._rng):
                emit("prp-rng", (o, self._type, c), (p, self._rng, c), t)
        if self._has(p, self._type, self._symmetric):
            emit("prp-symp", (o, p, s), (p, self._type, self._symmetric), t)
        if self._has(p, self._type, self._transitive):
            axiom = (p, self._type, self._transitive)
            for z in self._objects(o, p):
                emit("prp-trp", (s, p, z), axiom, t, (o, p, z))
            for w in self._subjects(p, s):
                emit("prp-trp", (w, p, o), axiom, (w, p, s), t)
        for p2 in self._objects(p, self._spo):
            if p2 != p:
                emit("prp-spo1", (s, p2, o), (p, self._spo, p2), t)
        for p2 in self._objects(p, self._eqp):
            if p2 != p:
                emit("prp-eqp1", (s, p2, o), (p, self._eqp, p2), t)
        for p1 in self._subjects(self._eqp, p):
            if p1 != p:
                emit("prp-eqp2", (s, p1, o), (p1, self._eqp, p), t)
        for p2 in self._objects(p, self._inv):
            emit("prp-inv1", (o, p2, s), (p, self._inv, p2), t)
        for p1 in self._subjects(self._inv, p):
            emit("prp-inv2", (o, p1, s), (p1, self._inv, p), t)
        for index, position in self._chains_with.get(p, ()):
            prop, members, axiom = self._chains[index]
            for path in self._paths_through(members, position, t):
                emit("prp-spo2", (path[0][0], prop, path[-1][2]), axiom, *path)
        # t as a schema premise
        if p == self._type:
            self._fire_type(t)
        elif p == self._sco:
            self._fire_sco(t)
        elif p == self._spo:
            self._fire_spo(t)
        elif p == self._dom or p == self._rng:
            self._fire_dom_rng(t)
        elif p == self._eqc and s != o:
            emit("scm-eqc1", (s, self._sco, o), t)
            emit("scm-eqc1", (o, self._sco, s), t)
            for x in self._subjects(self._type, s):
                emit("cax-eqc1", (x, self._type, o), t, (x, self._type, s))
            for x in self._subjects(self._type, o):
                emit("cax-eqc2", (x, self._type, s), t, (x, self._type, o))
        elif p == self._eqp and s != o:
            emit("scm-eqp1", (s, self._spo, o), t)
            emit("scm-eqp1", (o, self._spo, s), t)
            for x, y in self._pairs(s):
                emit("prp-eqp1", (x, o, y), t, (x, s, y))
            for x, y in self._pairs(o):
                emit("prp-eqp2", (x, s, y), t, (x, o, y))
        elif p == self._inv:
            for x, y in self._pairs(s):
                emit("prp-inv1", (y, o, x), t, (x, s, y))
            for x, y in self._pairs(o):
                emit("prp-inv2", (y, s, x), t, (x, o, y))
        elif p == self._chain:
            for prop, members, axiom in self._chains:
                if axiom == t:
                    for path in self._paths(members, 0, members[0], None):
                        emit("prp-spo2", (path[0][0], prop, path[-1][2]), axiom, *path)
        elif p == self._one_of and o in self._lists:
            for member in self._lists[o]:
                emit("cls-oo", (member, self._type, s), t)

    def _fire_type(self, t: _Ids) -> None:
        emit = self._emit
        x, type_, c = t
        if c == self._class:
            emit("scm-cls", (x, self._sco, x), t)
            emit("scm-cls", (x, self._eqc, x), t)
            emit("scm-cls", (x, self._sco, self._thing), t)
            emit("scm-cls", (self._nothing, self._sco, x), t)
        elif c == self._object_property or c == self._datatype_property:
            rule = "scm-op" if c == self._object_property else "scm-dp"
            emit(rule, (x, self._spo, x), t)
            emit(rule, (x, self._eqp, x), t)
        elif c == self._symmetric:
            for a, b in self._pairs(x):
                emit("prp-symp", (b, x, a), t, (a, x, b))
        elif c == self._transitive:
            for a, b in self._pairs(x):
                for d in self._objects(b, x):
                    emit("prp-trp", (a, x, d), t, (a, x, b), (b, x, d))
        for c2 in self._objects(c, self._sco):
            if c2 != c:
                emit("cax-sco", (x, type_, c2), (c, self._sco, c2), t)
        for c2 in self._objects(c, self._eqc):
            if c2 != c:
                emit("cax-eqc1", (x, type_, c2), (c, self._eqc, c2), t)
        for c1 in self._subjects(self._eqc, c):
            if c1 != c:
                emit("cax-eqc2", (x, type_, c1), (c1, self._eqc, c), t)

    def _fire_sco(self, t: _Ids) -> None:
        emit = self._emit
        c1, sco, c2 = t
        if c1 != c2:
            for x in self._subjects(self._type, c1):
                emit("cax-sco", (x, self._type, c2), t, (x, self._type, c1))
        # scm-sco as owlrl applies it: no a sco a from a sco b, b sco a.
        if c1 != c2:
            for c3 in self._objects(c2, sco):
                if c3 != c1:
                    emit("scm-sco", (c1, sco, c3), t, (c2, sco, c3))
        for c0 in self._subjects(sco, c1):
            if c0 != c1 and c0 != c2:
                emit("scm-sco", (c0, sco, c2), (c0, sco, c1), t)
        if self._has(c2, sco, c1):
            emit("scm-eqc2", (c1, self._eqc, c2), t, (c2, sco, c1))
            emit("scm-eqc2", (c2, self._eqc, c1), (c2, sco, c1), t)
        for rel, rule in ((self._dom, "scm-dom1"), (self._rng, "scm-rng1")):
            for prop in self._subjects(rel, c1):
                emit(rule, (prop, rel, c2), (prop, rel, c1), t)

    def _fire_spo(self, t: _Ids) -> None:
        emit = self._emit
        p1, spo, p2 = t
        if p1 != p2:
            for x, y in self._pairs(p1):
                emit("prp-spo1", (x, p2, y), t, (x, p1, y))
        # scm-spo and scm-eqp2 as owlrl applies them: no p spo p, p eqp p from a cycle.
        if p1 != p2:
            for p3 in self._objects(p2, spo):
                if p3 != p1:
                    emit("scm-spo", (p1, spo, p3), t, (p2, spo, p3))
        for p0 in self._subjects(spo, p1):
            if p0 != p1 and p0 != p2:
                emit("scm-spo", (p0, spo, p2), (p0, spo, p1), t)
        if p1 != p2 and self._has(p2, spo, p1):
            emit("scm-eqp2", (p1, self._eqp, p2), t, (p2, spo, p1))
            emit("scm-eqp2", (p2, self._eqp, p1), (p2, spo, p1), t)
        for rel, rule in ((self._dom, "scm-dom2"), (self._rng, "scm-rng2")):
            for c in self._objects(p2, rel):
                emit(rule, (p1, rel, c), (p2, rel, c), t)

    def _fire_dom_rng(self, t: _Ids) -> None:
        emit = self._emit
        prop, rel, c = t
        domain = rel == self._dom
        for x, y in self._pairs(prop):
            if domain:
                emit("prp-dom", (x, self._type, c), t, (x, prop, y))
            elif not self._literal[y]:
                emit("prp-rng", (y, self._type, c), t, (x, prop, y))
        rule1, rule2 = ("scm-dom1", "scm-dom2") if domain else ("scm-rng1", "scm-rng2")
        for c2 in self._objects(c, self._sco):
            emit(rule1, (prop, rel, c2), t, (c, self._sco, c2))
        for p1 in self._subjects(self._spo, prop):
            emit(rule2, (p1, rel, c), t, (p1, self._spo, prop))

    def _paths(
        self, members: tuple[int, ...], start: int, prop: int, node: int | None
    ) -> Iterator[list[_Ids]]:
        """Every path ``u_start members[start] ... u_n`` of known triples from ``node`` (any
        subject when None) to the end of the chain."""
        if start == len(members):
            yield []
            return
        if node is None:
            pairs = self._pairs(prop)
        else:
            pairs = [(node, o) for o in self._objects(node, prop)]
        for s, o in pairs:
            if start + 1 == len(members):
                yield [(s, prop, o)]
            else:
                for rest in self._paths(members, start + 1, members[start + 1], o):
                    yield [(s, prop, o), *rest]

    def _paths_through(
        self, members: tuple[int, ...], position: int, t: _Ids
    ) -> Iterator[list[_Ids]]:
        """Every full chain path of known triples whose ``position``-th link is ``t``."""
        befores: list[list[_Ids]] = [[]]
        for i in range(position - 1, -1, -1):
            grown = []
            for path in befores:
                end = path[0][0] if path else t[0]
                for w in self._subjects(members[i], end):
                    grown.append([(w, members[i], end), *path])
            befores = grown
        after_prop = members[position + 1] if position + 1 < len(members) else members[-1]
        for before in befores:
            for after in self._paths(members, position + 1, after_prop, t[2]):
                yield [*before, t, *after]
