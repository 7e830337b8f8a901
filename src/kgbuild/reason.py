"""OWL 2 RL reasoning: the facts the ontology lets a reasoner add to the built graph.

``reason`` runs owlrl's OWL 2 RL closure (without axiomatic triples or datatype axioms) on a copy
of the graph and keeps only what the closure added, cleaned of the noise a rule reasoner
produces and no user asks for: literals in subject position, ``x owl:sameAs x``, statements about
the terms of the RDF, RDFS, OWL and XSD vocabularies themselves, and the typing of literals
(``"..." a xsd:string``). owlrl's own error records (``err:ErrorMessage`` nodes) are taken out
of the graph and kept as messages. The result is a set of triples, the same on every run.

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

import owlrl
from owlrl import DatatypeHandling
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from kgbuild.errors import DataError, DataErrors
from kgbuild.namespaces import ID_BASE, OWL, RDF, RDFS, XSD, bind_prefixes

__all__ = [
    "Inconsistency",
    "Problem",
    "Reasoning",
    "check_consistent",
    "closure",
    "format_reasoning",
    "infer",
    "reason",
]

# Namespaces whose terms are never the subject of a kept inference.
_VOCABULARIES = (str(RDF), str(RDFS), str(OWL), str(XSD))
# owlrl records inconsistencies as `[] a err:ErrorMessage ; err:error "..."` in the graph.
_ERR = "http://www.daml.org/2002/03/agents/agent-ont#"
_ERR_MESSAGE = URIRef(_ERR + "ErrorMessage")
_ERR_ERROR = URIRef(_ERR + "error")
# Data IRIs in owlrl's messages, to locate the nodes they are about.
_DATA_IRI_RE = re.compile(re.escape(ID_BASE) + r"[^\s,()'\"<>]+")
_ANY_IRI_RE = re.compile(r"https?://[^\s,()'\"<>]+")
# owlrl messages that the explicit checks below report in more detail.
_COVERED = ("Disjoint classes ",)


def _keep(triple: tuple[Node, Node, Node]) -> bool:
    s, p, o = triple
    if isinstance(s, Literal) or isinstance(p, Literal):
        return False
    if p == OWL.sameAs and s == o:
        return False
    if isinstance(s, URIRef) and str(s).startswith(_VOCABULARIES):
        return False
    # Typing a literal (owlrl does it through a proxy or on literal subjects): never useful.
    return not (p == RDF.type and isinstance(o, URIRef) and str(o).startswith(str(XSD)))


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
    added: int  # triples owlrl added, before cleaning (its error records excluded)
    inferred: Graph  # the cleaned additions
    problems: list[Problem] = field(default_factory=list)
    owlrl_errors: list[str] = field(default_factory=list)  # owlrl's own messages, verbatim
    seconds: float = 0.0

    @property
    def consistent(self) -> bool:
        return not self.problems


def _owlrl_closure(graph: Graph) -> list[str]:
    """Expand ``graph`` in place with owlrl's OWL 2 RL rules; return owlrl's error messages
    after taking its error records out of the graph."""
    # What owlrl.DeductiveClosure(...).expand does by default (improved datatype conversions
    # during the closure), keeping the closure object so its error messages can be read.
    generic = owlrl.DeductiveClosure.improved_datatype_generic
    if not generic:
        DatatypeHandling.use_Alt_lexical_conversions()
    try:
        core = owlrl.OWLRL_Semantics(graph, False, False, rdfs=False)
        core.closure()
    finally:
        if not generic:
            DatatypeHandling.use_RDFLib_lexical_conversions()
    for record in list(graph.subjects(RDF.type, _ERR_MESSAGE)):
        graph.remove((record, None, None))
    return list(core.error_messages)


def reason(graph: Graph) -> Reasoning:
    """Run the OWL 2 RL closure of ``graph`` (not modified) and check it for inconsistencies."""
    start = time.perf_counter()
    expanded = Graph()
    for triple in graph:
        expanded.add(triple)
    errors = _owlrl_closure(expanded)
    inferred = bind_prefixes(Graph())
    added = 0
    for triple in expanded:
        if triple in graph:
            continue
        added += 1
        if _keep(triple):
            inferred.add(triple)
    problems = _problems(graph, expanded, errors)
    return Reasoning(
        asserted=len(graph),
        added=added,
        inferred=inferred,
        problems=problems,
        owlrl_errors=errors,
        seconds=time.perf_counter() - start,
    )


def infer(graph: Graph) -> Graph:
    """The triples the OWL 2 RL closure of ``graph`` adds to it, cleaned (see the module doc).

    ``graph`` is not modified; inconsistencies are not checked (see ``reason``).
    """
    return reason(graph).inferred


def closure(graph: Graph, inferred: Graph | None = None) -> Graph:
    """``graph`` together with ``inferred`` (by default ``infer(graph)``), as a new graph."""
    result = bind_prefixes(Graph())
    _add_all(result, graph)
    _add_all(result, infer(graph) if inferred is None else inferred)
    return result


def _add_all(graph: Graph, triples: Iterable[tuple[Node, Node, Node]]) -> None:
    for triple in triples:
        graph.add(triple)


# --------------------------------------------------------------------------------------------
# Consistency


def _name(node: Node) -> str:
    from kgbuild.validate import compact  # validate imports pyshacl; only needed for messages

    return compact(node)


def _disjoint_groups(g: Graph) -> list[tuple[list[URIRef], Node]]:
    """Each set of pairwise disjoint classes, with the node that declares it."""
    groups: list[tuple[list[URIRef], Node]] = []
    for c1, c2 in g.subject_objects(OWL.disjointWith):
        if isinstance(c1, URIRef) and isinstance(c2, URIRef) and c1 != c2:
            groups.append((sorted({c1, c2}), c1))
    for axiom in g.subjects(RDF.type, OWL.AllDisjointClasses):
        members = g.value(axiom, OWL.members)
        if members is None:
            continue
        classes = [c for c in Collection(g, members) if isinstance(c, URIRef)]
        groups.append((classes, axiom))
    return groups


def _literal_key(lit: Literal) -> object:
    # Two literals with the same value are the same value ("3" and "03" as integers).
    value = lit.value if lit.value is not None and lit.language is None else str(lit)
    return (lit.language, value, lit.datatype if lit.value is None else None)


def _problems(asserted: Graph, g: Graph, owlrl_errors: list[str]) -> list[Problem]:
    problems: list[Problem] = []
    # A node in two disjoint classes (cax-dw, cax-adc).
    seen: set[tuple[Node, tuple[URIRef, ...]]] = set()
    for classes, _axiom in _disjoint_groups(g):
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
    for p in sorted(set(g.subjects(RDF.type, OWL.FunctionalProperty)), key=str):
        subs = {p, *g.subjects(RDFS.subPropertyOf, p), *g.subjects(OWL.equivalentProperty, p)}
        subs |= set(g.objects(p, OWL.equivalentProperty))
        values: dict[Node, dict[object, Literal]] = defaultdict(dict)
        for sp in subs:
            for s, o in asserted.subject_objects(sp):
                if isinstance(o, Literal):
                    for node in {s, *same.get(s, ())}:
                        values[node].setdefault(_literal_key(o), o)
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
    rows = [
        ("Asserted triples", f"{reasoning.asserted:,}"),
        ("Inferred by owlrl", f"{reasoning.added:,}"),
        ("Inferred, cleaned", f"{len(reasoning.inferred):,}"),
        ("Seconds", f"{reasoning.seconds:.1f}"),
    ]
    return "\n".join(f"{label:<24}{value:>13}" for label, value in rows)
