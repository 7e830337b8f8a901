"""OWL 2 RL reasoning: the facts the ontology lets a reasoner add to the built graph.

``reason`` runs the rule engine of ``rules.py`` over the asserted triples and keeps what it
derives, cleaned of the noise a rule reasoner produces and no user asks for: literals in subject
position, ``x owl:sameAs x``, statements about the terms of the RDF, RDFS, OWL and XSD
vocabularies themselves, and the typing of literals (``"..." a xsd:string``).

owlrl is the reference. The engine implements the OWL 2 RL rules this ontology needs and gives
owlrl's cleaned closure exactly (a differential test holds this at one and ten times the real
data); for any graph where that cannot be taken for granted, ``reason`` runs owlrl instead, as
every earlier version did: a graph that uses OWL vocabulary the engine has no rule for
(``owl:sameAs``, restrictions, keys, ...), a functional property with two values that owlrl
would equate (two nodes, or two spellings of one literal value), a member of ``owl:Nothing``,
or a literal whose lexical form owlrl rejects. ``Reasoning.engine`` says which one ran and
``Reasoning.reference_reasons`` why owlrl was needed. On an inconsistent graph (two disjoint
classes, two different values of a functional property) both report the same problems, and
nothing is written.

It also checks the closure for inconsistencies: a node in two disjoint classes
(``owl:disjointWith``, ``owl:AllDisjointClasses``), a member of ``owl:Nothing``, a functional
property with two different literal values, and whatever else owlrl reports (``owl:sameAs``
with ``owl:differentFrom``, irreflexive or asymmetric properties, ...). ``check_consistent``
raises them as one DataErrors naming the nodes and their records.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from kgbuild.errors import DataError, DataErrors
from kgbuild.namespaces import ID_BASE, OWL, RDF, RDFS, XSD
from kgbuild.naming import compact
from kgbuild.rules import Reasoner, Triple

__all__ = [
    "ENGINES",
    "Inconsistency",
    "Problem",
    "Reasoning",
    "check_consistent",
    "format_reasoning",
    "infer",
    "keep",
    "reason",
    "reference_reasons",
]

ENGINES = ("rules", "owlrl")

# Namespaces whose terms are never the subject of a kept inference.
_VOCABULARIES = (str(RDF), str(RDFS), str(OWL), str(XSD))
# owlrl records inconsistencies as `[] a err:ErrorMessage ; err:error "..."` in the graph.
_ERR = "http://www.daml.org/2002/03/agents/agent-ont#"
_ERR_MESSAGE = URIRef(_ERR + "ErrorMessage")
# Data IRIs in owlrl's messages, to locate the nodes they are about.
_DATA_IRI_RE = re.compile(re.escape(ID_BASE) + r"[^\s,()'\"<>]+")
_ANY_IRI_RE = re.compile(r"https?://[^\s,()'\"<>]+")
# owlrl messages that the explicit checks below report in more detail.
_COVERED = ("Disjoint classes ",)

# The RDF, RDFS and OWL terms the rule engine either has rules for or may safely ignore (no
# OWL 2 RL rule of owlrl's adds a kept triple from them). A graph using any other term of these
# vocabularies, as a predicate or as a class, is reasoned by owlrl.
_ENGINE_PREDICATES = frozenset(
    {
        RDF.type,
        RDF.first,
        RDF.rest,
        RDF.subject,  # reification: no OWL 2 RL rule reads it
        RDF.predicate,
        RDF.object,
        RDFS.subClassOf,
        RDFS.subPropertyOf,
        RDFS.domain,
        RDFS.range,
        RDFS.label,
        RDFS.comment,
        RDFS.seeAlso,
        RDFS.isDefinedBy,
        OWL.equivalentClass,
        OWL.equivalentProperty,
        OWL.inverseOf,
        OWL.propertyChainAxiom,
        OWL.oneOf,
        OWL.disjointWith,  # checked below, as for owlrl
        OWL.members,  # of owl:AllDisjointClasses only (owl:AllDifferent is refused as a class)
        OWL.imports,
        OWL.versionIRI,
        OWL.versionInfo,
        OWL.priorVersion,
        OWL.deprecated,
        OWL.backwardCompatibleWith,
        OWL.incompatibleWith,
    }
)
_ENGINE_CLASSES = frozenset(
    {
        RDFS.Class,
        RDF.List,
        RDF.Statement,
        OWL.Class,
        OWL.Ontology,
        OWL.ObjectProperty,
        OWL.DatatypeProperty,
        OWL.AnnotationProperty,
        OWL.OntologyProperty,
        OWL.NamedIndividual,
        OWL.FunctionalProperty,  # used only while no such property has two values
        OWL.SymmetricProperty,
        OWL.TransitiveProperty,
        OWL.AllDisjointClasses,
        OWL.Thing,
        OWL.Nothing,
    }
)
_CHECKED_NAMESPACES = (str(RDF), str(RDFS), str(OWL))


# Sets, not ==: rdflib compares terms in Python, and keep() runs once per derived triple.
_SAME_AS, _TYPE, _XSD = frozenset({OWL.sameAs}), frozenset({RDF.type}), str(XSD)


def keep(triple: Triple) -> bool:
    """Whether an inferred triple is worth keeping (see the module doc)."""
    s, p, o = triple
    if isinstance(s, Literal) or isinstance(p, Literal):
        return False
    if p in _SAME_AS and s == o:
        return False
    if isinstance(s, URIRef) and str(s).startswith(_VOCABULARIES):
        return False
    # Typing a literal (owlrl does it through a proxy or on literal subjects): never useful.
    return not (p in _TYPE and isinstance(o, URIRef) and str(o).startswith(_XSD))


@dataclass(frozen=True)
class Problem:
    """One inconsistency: a message (nodes written as in kg.ttl) and the data nodes it is about."""

    message: str
    nodes: tuple[URIRef, ...] = ()
    hint: str | None = None


@dataclass
class Reasoning:
    """What reasoning over a graph gave."""

    asserted: int  # triples in the input graph
    added: int  # triples the reasoner added, before cleaning (owlrl's error records excluded)
    inferred: frozenset[Triple]  # the cleaned additions
    problems: list[Problem] = field(default_factory=list)
    owlrl_errors: list[str] = field(default_factory=list)  # owlrl's own messages, verbatim
    seconds: float = 0.0
    engine: str = "rules"  # "rules" (rules.py) or "owlrl"
    reference_reasons: list[str] = field(default_factory=list)  # why owlrl had to run
    reasoner: Reasoner | None = field(default=None, repr=False)  # the rule engine's record

    @property
    def consistent(self) -> bool:
        return not self.problems


# --------------------------------------------------------------------------------------------
# When the engine's answer is owlrl's


def _name(node: Node) -> str:
    return compact(node)


def reference_reasons(triples: Iterable[Triple]) -> list[str]:
    """Why the rule engine's closure of ``triples`` might differ from owlrl's: vocabulary it has
    no rule for, or literals owlrl finds ill-typed. Empty when the engine can be used."""
    from owlrl.DatatypeHandling import AltXSDToPYTHON
    from owlrl.XsdDatatypes import OWL_RL_Datatypes

    datatypes = frozenset(OWL_RL_Datatypes)
    reasons: dict[str, None] = {}
    triples = list(triples)
    firsts: dict[Node, list[Node]] = defaultdict(list)
    rests: dict[Node, list[Node]] = defaultdict(list)
    predicates: set[Node] = set()
    classes: set[Node] = set()
    literals: set[Literal] = set()
    # A dict lookup, not ==: rdflib compares terms in Python, a million times over.
    lists = {RDF.first: firsts, RDF.rest: rests}
    types = {RDF.type}
    for s, p, o in triples:
        predicates.add(p)
        found = lists.get(p)
        if found is not None:
            found[s].append(o)
        elif p in types:
            classes.add(o)
        if isinstance(o, Literal):
            literals.add(o)
        elif isinstance(o, BNode) and p in _PROPERTY_OBJECTS:
            reasons["a property is a blank node"] = None
        if isinstance(s, BNode) and p in _PROPERTY_AXIOMS:
            reasons["a property is a blank node"] = None
    for _, p, o in triples:
        if p in _LIST_AXIOMS:
            members = _well_formed_list(o, firsts, rests)
            if members is None or (p == OWL.propertyChainAxiom and len(members) < 2):
                reasons[f"a list of {_name(p)} is not a well-formed list"] = None
    # str(): rdflib's own startswith does not take a tuple of prefixes.
    for p in predicates:
        if str(p).startswith(_CHECKED_NAMESPACES) and p not in _ENGINE_PREDICATES:
            reasons[f"it uses {_name(p)}"] = None
    for o in classes:
        if (
            isinstance(o, URIRef)
            and str(o).startswith(_CHECKED_NAMESPACES)
            and o not in _ENGINE_CLASSES
        ):
            reasons[f"it uses {_name(o)}"] = None
    for o in literals:
        if o.datatype in datatypes:
            try:
                AltXSDToPYTHON.get(o.datatype, str)(str(o))
            except ValueError:
                reasons[f"the literal {_name(o)} is ill-typed"] = None
    return sorted(reasons)


# Predicates whose subject, or object, is a property.
_PROPERTY_AXIOMS = frozenset(
    {RDFS.subPropertyOf, RDFS.domain, RDFS.range, OWL.inverseOf, OWL.equivalentProperty}
)
_PROPERTY_OBJECTS = frozenset({RDFS.subPropertyOf, OWL.inverseOf, OWL.equivalentProperty})
_LIST_AXIOMS = frozenset({OWL.propertyChainAxiom, OWL.oneOf})


def _well_formed_list(
    head: Node, firsts: dict[Node, list[Node]], rests: dict[Node, list[Node]]
) -> list[Node] | None:
    """The members of the list at ``head`` when it is a chain of blank nodes with one first
    and one rest each, ending in rdf:nil (as the engine reads lists); else None."""
    members: list[Node] = []
    seen: set[Node] = set()
    while head != RDF.nil:
        if not isinstance(head, BNode) or head in seen:
            return None
        if len(firsts.get(head, ())) != 1 or len(rests.get(head, ())) != 1:
            return None
        seen.add(head)
        members.append(firsts[head][0])
        head = rests[head][0]
    return members


def _closure_reasons(reasoner: Reasoner) -> list[str]:
    """Reasons found in the engine's closure: a member of owl:Nothing (owlrl adds a message of
    its own), or a functional property whose values owlrl would equate (prp-fp): two nodes, or
    two spellings of one literal value. Two different literal values are an inconsistency that
    both report alike."""
    reasons = []
    # owlrl turns (x p "v") of a symmetric or inverse property into ("v" q x), which the engine,
    # keeping no literal subject, cannot follow further.
    turned = {*reasoner.subjects(RDF.type, OWL.SymmetricProperty)}
    for a, b in reasoner.subject_objects(OWL.inverseOf):
        turned.update((a, b))
    for prop in sorted(turned, key=str):
        if any(isinstance(o, Literal) for _, o in reasoner.subject_objects(prop)):
            reasons.append(f"{_name(prop)} has a literal value and turns it into a subject")
    for member in reasoner.subjects(RDF.type, OWL.Nothing):
        reasons.append(f"{_name(member)} is a member of owl:Nothing")
    for prop in reasoner.subjects(RDF.type, OWL.FunctionalProperty):
        for subject in reasoner.subjects_with_several(prop):
            values = reasoner.objects(subject, prop)
            literals = [v for v in values if isinstance(v, Literal)]
            keys = {_literal_key(v) for v in literals}
            if len(literals) < len(values) or len(keys) < len(literals):
                reasons.append(f"{_name(subject)} has two values of the functional {_name(prop)}")
                break
    return reasons


# --------------------------------------------------------------------------------------------
# Reasoning


class _Closure(Protocol):
    """What the consistency checks read: the closure of the graph."""

    def subjects(self, predicate: Node, obj: Node) -> Iterable[Node]: ...

    def objects(self, subject: Node, predicate: Node) -> Iterable[Node]: ...

    def subject_objects(self, predicate: Node) -> Iterable[tuple[Node, Node]]: ...


def reason(graph: Graph | Iterable[Triple], engine: str | None = None) -> Reasoning:
    """The cleaned OWL 2 RL closure of ``graph`` (not modified), checked for inconsistencies.

    ``engine`` forces "rules" (the engine alone, even where owlrl would differ) or "owlrl"; by
    default the engine runs and owlrl takes over where the module doc says.
    """
    start = time.perf_counter()
    triples = list(graph)
    reasons = [] if engine == "rules" else reference_reasons(triples)
    reasoner = Reasoner(triples)
    if engine != "owlrl" and not reasons:
        if engine != "rules":
            reasons = _closure_reasons(reasoner)
        if not reasons:
            inferred = frozenset(t for t in reasoner.derived() if keep(t))
            return Reasoning(
                asserted=len(triples),
                added=reasoner.derived_count(),
                inferred=inferred,
                problems=_problems(reasoner, set(triples), []),
                seconds=time.perf_counter() - start,
                engine="rules",
                reasoner=reasoner,
            )
    result = _reason_with_owlrl(triples)
    result.reference_reasons = reasons
    result.reasoner = reasoner  # proofs for what the engine derives, "[owlrl]" for the rest
    result.seconds = time.perf_counter() - start
    return result


def _reason_with_owlrl(triples: list[Triple]) -> Reasoning:
    import owlrl
    from owlrl import DatatypeHandling

    asserted = set(triples)
    expanded = Graph()
    for triple in triples:
        expanded.add(triple)
    # What owlrl.DeductiveClosure(...).expand does by default (improved datatype conversions
    # during the closure), keeping the closure object so its error messages can be read.
    generic = owlrl.DeductiveClosure.improved_datatype_generic
    if not generic:
        DatatypeHandling.use_Alt_lexical_conversions()
    try:
        core = owlrl.OWLRL_Semantics(expanded, False, False, rdfs=False)
        core.closure()
    finally:
        if not generic:
            DatatypeHandling.use_RDFLib_lexical_conversions()
    for record in list(expanded.subjects(RDF.type, _ERR_MESSAGE)):
        expanded.remove((record, None, None))
    errors = list(core.error_messages)
    added = [t for t in expanded if t not in asserted]
    problems = _problems(_GraphClosure(expanded), asserted, errors)
    return Reasoning(
        asserted=len(asserted),
        added=len(added),
        inferred=frozenset(t for t in added if keep(t)),
        problems=problems,
        owlrl_errors=errors,
        engine="owlrl",
    )


class _GraphClosure:
    """An rdflib graph read as a _Closure."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    def subjects(self, predicate: Node, obj: Node) -> Iterable[Node]:
        return self.graph.subjects(predicate, obj)

    def objects(self, subject: Node, predicate: Node) -> Iterable[Node]:
        return self.graph.objects(subject, predicate)

    def subject_objects(self, predicate: Node) -> Iterable[tuple[Node, Node]]:
        return self.graph.subject_objects(predicate)


def infer(graph: Graph | Iterable[Triple]) -> frozenset[Triple]:
    """The triples the OWL 2 RL closure of ``graph`` adds to it, cleaned (see the module doc).

    ``graph`` is not modified; inconsistencies are not checked (see ``reason``).
    """
    return reason(graph).inferred


# --------------------------------------------------------------------------------------------
# Consistency


def _list_items(g: _Closure, head: Node) -> list[Node]:
    items: list[Node] = []
    seen: set[Node] = set()
    while head != RDF.nil and head not in seen:
        seen.add(head)
        first = next(iter(g.objects(head, RDF.first)), None)
        if first is None:
            break
        items.append(first)
        head = next(iter(g.objects(head, RDF.rest)), RDF.nil)
    return items


def _disjoint_groups(g: _Closure) -> list[list[URIRef]]:
    """Each set of pairwise disjoint classes."""
    groups: list[list[URIRef]] = []
    for c1, c2 in g.subject_objects(OWL.disjointWith):
        if isinstance(c1, URIRef) and isinstance(c2, URIRef) and c1 != c2:
            groups.append(sorted({c1, c2}))
    for axiom in g.subjects(RDF.type, OWL.AllDisjointClasses):
        for members in g.objects(axiom, OWL.members):
            if isinstance(members, BNode):
                groups.append([c for c in _list_items(g, members) if isinstance(c, URIRef)])
    return groups


def _literal_key(lit: Literal) -> object:
    # Two literals with the same value are the same value ("3" and "03" as integers).
    value = lit.value if lit.value is not None and lit.language is None else str(lit)
    return (lit.language, value, lit.datatype if lit.value is None else None)


def _problems(g: _Closure, asserted: set[Triple], owlrl_errors: list[str]) -> list[Problem]:
    problems: list[Problem] = []
    # A node in two disjoint classes (cax-dw, cax-adc).
    seen: set[tuple[Node, tuple[URIRef, ...]]] = set()
    for classes in _disjoint_groups(g):
        members: dict[Node, list[URIRef]] = defaultdict(list)
        for c in classes:
            for x in g.subjects(RDF.type, c):
                members[x].append(c)
        for x, cs in members.items():
            if len(cs) < 2 or not isinstance(x, URIRef):
                continue
            key = (x, tuple(sorted(cs)))
            if key in seen:
                continue
            seen.add(key)
            names = " and ".join(_name(c) for c in sorted(cs))
            problems.append(
                Problem(
                    f"{_name(x)} is in disjoint classes {names}",
                    (x,),
                    "a node can be in only one of them; check its type and the properties "
                    "whose rdfs:domain or rdfs:range type it",
                )
            )
    # A member of owl:Nothing (cls-nothing2).
    for x in sorted(g.subjects(RDF.type, OWL.Nothing), key=str):
        problems.append(
            Problem(
                f"{_name(x)} is a member of owl:Nothing",
                (x,) if isinstance(x, URIRef) else (),
                "no node can be; check the class axioms it falls under",
            )
        )
    # A functional property with two different literal values (prp-fp on literals, which
    # owlrl turns into a `"a" owl:sameAs "b"` without reporting it). The values are the asserted
    # ones of the property and its sub-properties, on the node and the IRIs owl:sameAs it: the
    # closure itself would also spread the two literals, once equated, to every other node that
    # has either of them, burying the one real problem under many.
    same: dict[Node, set[Node]] = defaultdict(set)
    for a, b in g.subject_objects(OWL.sameAs):
        if isinstance(a, URIRef) and isinstance(b, URIRef):
            same[a].add(b)
    by_predicate: dict[Node, list[tuple[Node, Node]]] = defaultdict(list)
    for s, p, o in asserted:
        if isinstance(o, Literal):
            by_predicate[p].append((s, o))
    for p in sorted(set(g.subjects(RDF.type, OWL.FunctionalProperty)), key=str):
        subs = {p, *g.subjects(RDFS.subPropertyOf, p), *g.subjects(OWL.equivalentProperty, p)}
        subs |= set(g.objects(p, OWL.equivalentProperty))
        values: dict[Node, dict[object, Literal]] = defaultdict(dict)
        for sp in subs:
            for s, o in by_predicate.get(sp, ()):
                for node in {s, *same.get(s, ())}:
                    values[node].setdefault(_literal_key(o), o)  # type: ignore[arg-type]
        for s, by_value in sorted(values.items(), key=lambda kv: str(kv[0])):
            if len(by_value) > 1:
                shown = ", ".join(sorted(_name(v) for v in by_value.values()))
                problems.append(
                    Problem(
                        f"{_name(s)} has {len(by_value)} values of the functional property "
                        f"{_name(p)}: {shown}",
                        (s,) if isinstance(s, URIRef) else (),
                        "it can have only one; check the property and its sub-properties",
                    )
                )
    # Whatever else owlrl found.
    for message in owlrl_errors:
        if message.startswith(_COVERED):
            continue
        nodes = tuple(dict.fromkeys(URIRef(m) for m in _DATA_IRI_RE.findall(message)))
        text = _ANY_IRI_RE.sub(lambda m: _name(URIRef(m.group(0))), message)
        problems.append(Problem(f"owlrl: {text}", nodes))
    problems.sort(key=lambda pr: ([str(n) for n in pr.nodes], pr.message))
    return problems


Locate = Callable[[Node | None], "tuple[Path, int] | None"]


class Inconsistency(DataErrors):
    """The graph is inconsistent under the ontology's OWL 2 RL semantics."""

    def __init__(self, errors: Iterable[DataError]) -> None:
        super().__init__(errors)
        n = len(self.errors)
        self.message = f"the graph is inconsistent: {n} problem{'s' if n != 1 else ''}"

    def lines(self) -> list[str]:
        return [*super().lines(), self.message]


def check_consistent(reasoning: Reasoning, locate: Locate | None = None) -> None:
    """Raise Inconsistency (exit 1) when reasoning found problems, one error per problem, at
    the record (``file:line``) of the first node it names that ``locate`` finds."""
    if reasoning.consistent:
        return
    errors = []
    for problem in reasoning.problems:
        where = None
        if locate is not None:
            where = next((w for w in map(locate, problem.nodes) if w is not None), None)
        path, line = where if where is not None else (None, None)
        errors.append(DataError(f"inconsistent: {problem.message}", path, line, problem.hint))
    raise Inconsistency(errors)


def format_reasoning(reasoning: Reasoning) -> str:
    """The summary ``kgbuild reason`` prints."""
    engine = "kgbuild rules" if reasoning.engine == "rules" else "owlrl"
    rows = [
        ("Asserted triples", f"{reasoning.asserted:,}"),
        ("Inferred", f"{reasoning.added:,}"),
        ("Inferred, cleaned", f"{len(reasoning.inferred):,}"),
        ("Reasoner", engine),
        ("Seconds", f"{reasoning.seconds:.2f}"),
    ]
    lines = [f"{label:<24}{value:>13}" for label, value in rows]
    for why in reasoning.reference_reasons:
        lines.append(f"  owlrl was used: {why}")
    return "\n".join(lines)
