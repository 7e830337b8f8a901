"""A fast SHACL engine for the shapes of ontology/shapes/, with exactly pySHACL's report.

What it implements: the part of SHACL Core and SHACL-SPARQL that kgbuild's shapes use, plus a
few neighbours that cost nothing more:

- targets: ``sh:targetClass`` (through ``rdfs:subClassOf``), implicit class targets,
  ``sh:targetNode``, ``sh:targetSubjectsOf``, ``sh:targetObjectsOf`` and SPARQL targets
  (``sh:target [ a sh:SPARQLTarget ; sh:select ... ]``);
- ``sh:property`` and property paths made of IRIs, ``sh:inversePath`` and
  ``sh:alternativePath``;
- the constraints ``sh:minCount``, ``sh:maxCount``, ``sh:class``, ``sh:datatype``,
  ``sh:nodeKind``, ``sh:in``, ``sh:minExclusive``, ``sh:minInclusive``, ``sh:maxExclusive``,
  ``sh:maxInclusive``, ``sh:minLength``, ``sh:maxLength``, ``sh:pattern`` (with ``sh:flags``),
  ``sh:languageIn``, ``sh:uniqueLang``, ``sh:disjoint``, ``sh:lessThan``,
  ``sh:lessThanOrEquals`` and SHACL-SPARQL ``sh:sparql`` constraints (``sh:select``,
  ``sh:prefixes`` / ``sh:declare``, ``$PATH``, message templates);
- ``sh:severity``, ``sh:message`` (and pySHACL's own messages where a shape has none),
  ``sh:deactivated``.

Why: pySHACL takes about 14 s on a graph ten times the real data, mostly because it parses the
text of each SPARQL constraint again for every focus node and evaluates core constraints with
one rdflib lookup after another. This engine reads the data graph once into plain dicts
(subject -> objects and object -> subjects for each predicate it needs, the
``rdfs:subClassOf`` closure), compiles the shapes graph once (and keeps the result while the
shapes do not change), and runs each SPARQL target and constraint once for all focus nodes,
on an in-memory Oxigraph store loaded once per call. A constraint's focus nodes are pre-bound
with a ``VALUES`` block put first in the query's WHERE clause; only query forms for which that
join means what SHACL's pre-binding of $this means are accepted (see _constraint_form).

The report is pySHACL's (``inference="none", advanced=True, allow_warnings=True,
allow_infos=True``), down to its quirks: which results and messages it gives, how it copies
blank nodes into the report, that a SPARQL constraint's messages lose their language tag, that
its queries see the data graph's namespace prefixes, and that a result of a shape nested under
a warning-level shape does not make the graph fail.

Fallback rule: ``unsupported(shapes)`` lists every reason this engine may not match pySHACL on
the shapes (a constraint component, target, path or query form it does not implement); when
the list is not empty, validate with pySHACL instead (``validate`` raises UnsupportedShapes).
``validate`` raises ShaclRuntimeError when the data lead where pySHACL fails too (a blank node
under sh:lessThan) or where this engine cannot be sure of pySHACL's answer (a literal that
Oxigraph stores by value, such as "5"^^xsd:int, returned by a query while the graph also has
another literal of that value; a message showing a cyclic blank node): validate with pySHACL
then too, which gives its report or its own error. SPARQL runs on Oxigraph, not rdflib: the two
agree on the SPARQL the shapes use, but Oxigraph stores numbers, booleans and dates by value,
so a query joining "5"^^xsd:int with "5"^^xsd:integer matches where rdflib does not (queries
asking for DATATYPE or sameTerm are refused). pySHACL stays the reference: tests/test_shacl.py
compares the two reports.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.graph import ConjunctiveGraph
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.namespace import SH as SHACL
from rdflib.term import Node

__all__ = ["ShaclRuntimeError", "UnsupportedShapes", "unsupported", "validate"]


class UnsupportedShapes(ValueError):
    """The shapes use something this engine does not implement; validate with pySHACL."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        shown = "; ".join(reasons[:5]) + ("; ..." if len(reasons) > 5 else "")
        super().__init__(f"the fast SHACL engine cannot run these shapes: {shown}")


class ShaclRuntimeError(RuntimeError):
    """Validation stopped where pySHACL stops too (a blank node under sh:lessThan, say)."""


# --------------------------------------------------------------------------------------------
# Vocabulary


class _Terms:
    """A namespace whose terms are looked up once: rdflib's DefinedNamespace checks each
    attribute access against its term list, which adds up in the compiler's loops."""

    def __init__(self, namespace: Any) -> None:
        self._namespace = namespace

    def __getattr__(self, name: str) -> URIRef:  # called only for terms not yet cached
        term = self._namespace[name]
        setattr(self, name, term)
        return term

    def __getitem__(self, name: str) -> URIRef:
        return getattr(self, name)

    def __str__(self) -> str:
        return str(self._namespace)


SH = _Terms(SHACL)

_ALLOWED_SEVERITIES = (SH.Info, SH.Warning)  # allow_infos / allow_warnings: these conform
_NODE_KINDS = {
    SH.IRI: (URIRef,),
    SH.BlankNode: (BNode,),
    SH.Literal: (Literal,),
    SH.BlankNodeOrIRI: (BNode, URIRef),
    SH.BlankNodeOrLiteral: (BNode, Literal),
    SH.IRIOrLiteral: (URIRef, Literal),
}
_WHOLE_INTEGERS = {
    XSD.integer, XSD.int, XSD.long, XSD.negativeInteger, XSD.nonNegativeInteger,
    XSD.nonPositiveInteger, XSD.positiveInteger, XSD.short, XSD.unsignedByte, XSD.unsignedInt,
    XSD.unsignedLong, XSD.unsignedShort,
}  # fmt: skip
# What pySHACL checks of a literal's value for sh:datatype; other datatypes pass when the
# datatype IRI matches and rdflib found the literal well-typed.
_VALUE_TYPES: dict[URIRef, type | tuple[type, ...]] = {
    XSD.string: (str, bytes),
    RDF.langString: (str, bytes),
    XSD.integer: int,
    XSD.float: float,
    XSD.decimal: Decimal,
    XSD.boolean: bool,
    XSD.date: datetime.date,
    XSD.time: datetime.time,
    XSD.dateTime: datetime.datetime,
}

# Component IRI per constraint parameter, for the parameters this engine implements.
_COMPONENTS = {
    SH["class"]: SH.ClassConstraintComponent,
    SH.datatype: SH.DatatypeConstraintComponent,
    SH.nodeKind: SH.NodeKindConstraintComponent,
    SH.minCount: SH.MinCountConstraintComponent,
    SH.maxCount: SH.MaxCountConstraintComponent,
    SH.minExclusive: SH.MinExclusiveConstraintComponent,
    SH.minInclusive: SH.MinInclusiveConstraintComponent,
    SH.maxExclusive: SH.MaxExclusiveConstraintComponent,
    SH.maxInclusive: SH.MaxInclusiveConstraintComponent,
    SH.minLength: SH.MinLengthConstraintComponent,
    SH.maxLength: SH.MaxLengthConstraintComponent,
    SH.pattern: SH.PatternConstraintComponent,
    SH.languageIn: SH.LanguageInConstraintComponent,
    SH.uniqueLang: SH.UniqueLangConstraintComponent,
    SH.disjoint: SH.DisjointConstraintComponent,
    SH.lessThan: SH.LessThanConstraintComponent,
    SH.lessThanOrEquals: SH.LessThanOrEqualsConstraintComponent,
    SH["in"]: SH.InConstraintComponent,
    SH.property: SH.PropertyConstraintComponent,
    SH.sparql: SH.SPARQLConstraintComponent,
}
# pySHACL's other constraint parameters (and SHACL-AF's), none implemented here.
_OTHER_PARAMETERS = {
    SH["not"], SH["and"], SH["or"], SH.xone, SH.node, SH.qualifiedValueShape,
    SH.qualifiedMinCount, SH.qualifiedMaxCount, SH.qualifiedValueShapesDisjoint, SH.closed,
    SH.ignoredProperties, SH.hasValue, SH.equals, SH.expression, SH.js, SH.rule,
}  # fmt: skip
# Predicates of a shape that pySHACL reads without a constraint, or ignores.
_SHAPE_ANNOTATIONS = {
    SH.name, SH.description, SH.message, SH.severity, SH.order, SH.group, SH.defaultValue,
    SH.path, SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf,
    SH.target, SH.deactivated, SH.flags,
}  # fmt: skip
_PATH_KEYS = {
    SH.inversePath, SH.alternativePath, SH.zeroOrMorePath, SH.oneOrMorePath, SH.zeroOrOnePath,
}  # fmt: skip
# Class IRIs whose presence in the shapes graph turns on pySHACL machinery not implemented here.
_UNSUPPORTED_TYPES = {
    SH.ConstraintComponent: "custom constraint components",
    SH.SPARQLConstraintComponent: "custom constraint components",
    SH.Function: "SHACL functions",
    SH.SPARQLFunction: "SHACL functions",
    SH.TargetType: "custom target types",
    SH.SPARQLTargetType: "custom target types",
    SH.JSTargetType: "custom target types",
    SH.JSTarget: "SHACL-JS targets",
    SH.JSConstraint: "SHACL-JS constraints",
    SH.SPARQLRule: "SHACL rules",
    SH.TripleRule: "SHACL rules",
}
_UNSUPPORTED_PREDICATES = {
    SH.rule: "SHACL rules (sh:rule)",
    SH.parameter: "custom constraint components (sh:parameter)",
    SH.entailment: "sh:entailment",
    SH.js: "SHACL-JS (sh:js)",
    SH.jsFunctionName: "SHACL-JS (sh:jsFunctionName)",
}
# The triples pySHACL adds to every shapes graph: they make owl:Class an implicit class target.
_SYSTEM_CLASSES = {RDFS.Class, OWL.Class}


# --------------------------------------------------------------------------------------------
# SPARQL text analysis


@dataclass(frozen=True)
class _QueryForm:
    """What the engine needs to know of a SELECT query's text."""

    projection: tuple[str, ...]  # the projected variable names, in order
    select_end: int  # offset after SELECT [DISTINCT|REDUCED]: where ?this can be added
    where_start: int  # offset after the WHERE clause's opening brace: where VALUES goes


_TOKEN_RE = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<comment>\#[^\r\n]*)
    | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
                |"(?:[^"\\\r\n]|\\.)*"|'(?:[^'\\\r\n]|\\.)*')
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$][A-Za-z0-9_\u00b7\u00c0-\uffff]+)
    | (?P<bnode>_:[A-Za-z0-9_][A-Za-z0-9_.\-]*)
    | (?P<pname>(?:[A-Za-z\u00c0-\uffff][A-Za-z0-9_.\-\u00b7\u00c0-\uffff]*)?:
                (?:[A-Za-z0-9_:%\-\u00b7\u00c0-\uffff](?:[A-Za-z0-9_.:%\-\u00b7\u00c0-\uffff]*
                    [A-Za-z0-9_:%\-\u00b7\u00c0-\uffff])?)?)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<number>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)
    | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
    | (?P<punct>\^\^|&&|\|\||!=|<=|>=|[{}()\[\].,;|/^*+?!=<>\-])
    """,
    re.X,
)
# Keywords that make the VALUES join differ from pre-binding, or that pySHACL refuses.
_FORBIDDEN_WORDS = {
    "SELECT", "MINUS", "VALUES", "SERVICE", "GRAPH", "FROM", "NAMED", "GROUP", "HAVING",
    "ORDER", "LIMIT", "OFFSET", "COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT",
    "LOAD", "INSERT", "DELETE", "CONSTRUCT", "DESCRIBE", "ASK", "BASE",
}  # fmt: skip


def _tokens(text: str) -> list[tuple[str, str, int, int]]:
    """(kind, text, start, end) for each token of a SPARQL query; ValueError on a character
    that starts no token this analysis knows."""
    tokens = []
    pos = 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None:
            raise ValueError(f"cannot read the query at {text[pos : pos + 20]!r}")
        kind = m.lastgroup or ""
        if kind not in ("ws", "comment"):
            tokens.append((kind, m.group(), m.start(), m.end()))
        pos = m.end()
    return tokens


def _select_head(tokens: list[tuple[str, str, int, int]]) -> tuple[_QueryForm, int]:
    """The projection and offsets of ``[PREFIX ...] SELECT [DISTINCT] ?a ?b WHERE {``, and the
    index of the token after the opening brace; ValueError for anything else."""
    i = 0
    n = len(tokens)

    def word(k: int) -> str:
        return tokens[k][1].upper() if k < n and tokens[k][0] == "word" else ""

    while word(i) == "PREFIX":
        if not (i + 2 < n and tokens[i + 1][0] == "pname" and tokens[i + 2][0] == "iri"):
            raise ValueError("a malformed PREFIX declaration")
        i += 3
    if word(i) != "SELECT":
        raise ValueError("not a SELECT query")
    select_end = tokens[i][3]
    i += 1
    if word(i) in ("DISTINCT", "REDUCED"):
        select_end = tokens[i][3]
        i += 1
    projection = []
    while i < n and tokens[i][0] == "var":
        projection.append(tokens[i][1][1:])
        i += 1
    if not projection:
        raise ValueError("SELECT * or a computed projection")
    if word(i) == "WHERE":
        i += 1
    if not (i < n and tokens[i][1] == "{"):
        raise ValueError("a dataset clause or no WHERE clause")
    return _QueryForm(tuple(projection), select_end, tokens[i][3]), i + 1


@dataclass
class _Frame:
    kind: str  # top, opt_top, group_top, subst (an EXISTS that sees ?this) or blind
    parens: list[str] = field(default_factory=list)  # filter, bind or pattern, per open paren
    pending: str = ""  # FILTER or BIND seen, its expression not yet started
    next_brace: str = ""  # OPTIONAL or EXISTS seen, its group not yet started


def _child_kind(parent: _Frame, brace: str, context: str) -> str:
    """The kind of a group opened in ``parent``: ``brace`` is optional, exists or group;
    ``context`` the expression an EXISTS is part of (filter or bind)."""
    if parent.kind == "top":
        if brace == "optional":
            return "opt_top"
        if brace == "group":
            return "group_top"
        return "subst" if context in ("filter", "bind") else "blind"
    if parent.kind in ("opt_top", "subst") and brace == "exists" and context == "filter":
        return "subst"
    return "blind"


@lru_cache(maxsize=512)
def _constraint_form(text: str) -> _QueryForm | str:
    """The form of a SPARQL constraint's query (after $PATH substitution), or why joining a
    ``VALUES ?this`` block at the start of its WHERE clause would not mean what SHACL's
    pre-binding of $this means.

    Pre-binding replaces $this everywhere; a VALUES join binds it only where the join reaches.
    They agree for $this in triple patterns at the top level, in a group or OPTIONAL directly
    under it, or inside an EXISTS evaluated where $this is bound; and for $this in FILTERs of
    the top level, of an OPTIONAL under it and of such an EXISTS, and in top-level BINDs.
    Sub-queries, MINUS, VALUES, GRAPH, SERVICE, aggregation, solution modifiers and re-binding
    $this are refused (pySHACL or SHACL refuses most of them anyway).
    """
    try:
        tokens = _tokens(text)
        form, i = _select_head(tokens)
    except ValueError as exc:
        return str(exc)
    frames = [_Frame("top")]
    after_as = False
    while i < len(tokens):
        kind, tok, _, _ = tokens[i]
        i += 1
        frame = frames[-1]
        if kind == "iri" and any(c in tok for c in "?$()&="):
            return f"an IRI the analysis cannot tell from an expression: {tok}"
        if kind == "word":
            w = tok.upper()
            if w in _FORBIDDEN_WORDS:
                return f"{w} in the query"
            if w in ("FILTER", "BIND") and not frame.parens:
                frame.pending = w.lower()
            elif w in ("OPTIONAL", "EXISTS"):
                frame.next_brace = w.lower()
            after_as = w == "AS"
            continue
        if kind == "var":
            name = tok[1:]
            if after_as and name == "this":
                return "the query binds $this with AS"
            after_as = False
            if name in ("PATH", "currentShape", "shapesGraph"):
                return f"${name} in the query"
            if name != "this":
                continue
            use = frame.parens[0] if frame.parens else "pattern"
            ok = {
                "top": ("pattern", "filter", "bind"),
                "opt_top": ("pattern", "filter"),
                "subst": ("pattern", "filter"),
                "group_top": ("pattern",),
                "blind": (),
            }[frame.kind]
            if use not in ok:
                return "$this where a VALUES join does not bind it as pre-binding does"
            continue
        after_as = False
        if tok == "(":
            if frame.parens:
                frame.parens.append(frame.parens[-1])
            else:
                frame.parens.append(frame.pending or "pattern")
                frame.pending = ""
        elif tok == ")":
            if not frame.parens:
                return "unbalanced parentheses"
            frame.parens.pop()
        elif tok == "{":
            brace = frame.next_brace or "group"
            frame.next_brace = ""
            context = frame.parens[-1] if frame.parens else frame.pending
            if brace == "exists" and not frame.parens:
                frame.pending = ""
            frames.append(_Frame(_child_kind(frame, brace, context)))
        elif tok == "}":
            if frame.parens:
                return "unbalanced parentheses"
            frames.pop()
            if not frames:
                if i != len(tokens):
                    return "solution modifiers after the WHERE clause"
                return form
    return "unbalanced braces"


@lru_cache(maxsize=512)
def _target_form(text: str) -> _QueryForm | str:
    """The form of a SPARQL target's query (run as it is), or why it is refused."""
    try:
        tokens = _tokens(text)
        form, _ = _select_head(tokens)
    except ValueError as exc:
        return str(exc)
    if "this" not in form.projection:
        return "a SPARQL target that does not select ?this"
    for kind, tok, _, _ in tokens:
        if kind == "word" and tok.upper() in ("SERVICE", "LOAD"):
            return f"{tok.upper()} in a SPARQL target"
    return form


# pySHACL decides from the raw text (comments and strings included) whether to pre-bind $this
# and where to put the path; these mirror its decisions.
_THIS_ANYWHERE_RE = re.compile(r"[$?]this")
_THIS_BOUND_RE = re.compile(r"[\s{}()][$?]this")
_PATH_RE = re.compile(r"([\s{}()])[$?]PATH")
_PATH_ANYWHERE_RE = re.compile(r"[$?]PATH")
# Words whose presence anywhere in a constraint's text makes pySHACL refuse or mis-read it.
_REFUSED_TEXT_RE = re.compile(r"minus|values|service", re.I)
_TERM_TESTS_RE = re.compile(r"\b(?:datatype|sameTerm)\s*\(", re.I)
_AS_PREBOUND_RE = re.compile(r"\bAS\s+[?$](?:this|shapesGraph|currentShape)\b", re.I)
_PN_PREFIX_RE = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*(?:\.[A-Za-z0-9_\-]+)*|")
_PN_LOCAL_RE = re.compile(r"(?:[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?)?")


def _path_sparql(node: Node, paths: dict[Node, tuple]) -> str:
    """A compiled path in SPARQL syntax, with full IRIs."""
    kind, arg = paths[node]
    if kind == "iri":
        return f"<{node}>"
    if kind == "inverse":
        return f"^({_path_sparql(arg, paths)})"
    return "(" + " | ".join(_path_sparql(a, paths) for a in arg) + ")"


def _sparql_term(term: Node) -> str | None:
    """``term`` in SPARQL syntax for a VALUES block, or None when it cannot be written there
    (blank nodes, odd IRIs)."""
    if isinstance(term, URIRef):
        text = str(term)
        if re.search(r'[<>"{}|^`\\\x00-\x20]', text):
            return None
        return f"<{text}>"
    if isinstance(term, Literal):
        lexical = (
            str(term)
            .replace("\\", "\\\\")
            .replace('"', '\\"')
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
        if term.language:
            return f'"{lexical}"@{term.language}'
        if term.datatype is not None:
            datatype = _sparql_term(term.datatype)
            return None if datatype is None else f'"{lexical}"^^{datatype}'
        return f'"{lexical}"'
    return None


# --------------------------------------------------------------------------------------------
# Compiled shapes


@dataclass(eq=False)
class _Sparql:
    """A SPARQL target or constraint, ready to run."""

    node: Node
    prologue: str  # the PREFIX declarations pySHACL puts before the query
    text: str  # the query, $PATH substituted
    form: _QueryForm
    messages: list[Node] = field(default_factory=list)
    deactivated: bool = False


@dataclass(eq=False)
class _Shape:
    node: Node
    path: Node | None  # None for a node shape
    severity: Node
    messages: list[Node]
    deactivated: bool
    params: dict[URIRef, list[Node]]  # implemented constraint parameter -> values
    properties: list[Node] = field(default_factory=list)
    target_classes: list[Node] = field(default_factory=list)
    target_nodes: list[Node] = field(default_factory=list)
    subjects_of: list[Node] = field(default_factory=list)
    objects_of: list[Node] = field(default_factory=list)
    sparql_targets: list[_Sparql] = field(default_factory=list)
    sparql: list[_Sparql] = field(default_factory=list)
    lists: dict[URIRef, list[Node]] = field(default_factory=dict)  # sh:in, sh:languageIn items
    flags: Node | None = None  # sh:flags of sh:pattern


@dataclass
class _Program:
    shapes: dict[Node, _Shape]  # every shape pySHACL would find, in a stable order
    paths: dict[Node, tuple]  # path node -> (iri, None) | (inverse, node) | (alternative, [..])
    reasons: list[str]


def _items(graph: Graph | _Index, head: Node) -> list[Node] | None:
    """The members of a well-formed RDF list, or None."""
    items: list[Node] = []
    seen = set()
    node = head
    while node != RDF.nil:
        if not isinstance(node, BNode) or node in seen:
            return None
        seen.add(node)
        firsts = list(graph.objects(node, RDF.first))
        rests = list(graph.objects(node, RDF.rest))
        if len(firsts) != 1 or len(rests) != 1:
            return None
        items.append(firsts[0])
        node = rests[0]
    return items


class _Index:
    """The shapes graph read once into dicts, with the few rdflib Graph methods the compiler
    uses (one pass over the graph costs less than a thousand rdflib lookups)."""

    def __init__(self, graph: Graph) -> None:
        self.identifier = graph.identifier
        self.spo: dict[Node, dict[Node, list[Node]]] = {}
        self.pos: dict[Node, dict[Node, list[Node]]] = {}
        for s, p, o in graph:
            self.spo.setdefault(s, {}).setdefault(p, []).append(o)
            self.pos.setdefault(p, {}).setdefault(o, []).append(s)

    def objects(self, s: Node | None, p: Node) -> list[Node]:
        if s is None:
            return list(self.pos.get(p, {}))
        return self.spo.get(s, {}).get(p, [])

    def subjects(self, p: Node, o: Node | None) -> list[Node]:
        by_object = self.pos.get(p, {})
        if o is None:
            return list(dict.fromkeys(s for subjects in by_object.values() for s in subjects))
        return by_object.get(o, [])

    def predicates(self, s: Node, o: None = None) -> list[Node]:
        return list(self.spo.get(s, {}))

    def value(self, s: Node, p: Node) -> Node | None:
        found = self.objects(s, p)
        return found[0] if found else None

    def __contains__(self, triple: tuple[Node | None, Node, Node | None]) -> bool:
        s, p, o = triple
        if s is None:
            return p in self.pos and (o is None or o in self.pos[p])
        found = self.spo.get(s, {}).get(p)
        return bool(found) and (o is None or o in found)


def _name(node: Node) -> str:
    return node.n3() if isinstance(node, URIRef | Literal) else "a blank node shape"


class _Compiler:
    """Reads the shapes graph into _Shapes, collecting every reason the engine cannot run it."""

    def __init__(self, shapes: Graph) -> None:
        self.graph = shapes
        self.g = _Index(shapes)
        self.reasons: list[str] = []
        self.paths: dict[Node, tuple] = {}

    def refuse(self, reason: str) -> None:
        if reason not in self.reasons:
            self.reasons.append(reason)

    def compile(self) -> _Program:
        g = self.g
        for cls, what in _UNSUPPORTED_TYPES.items():
            if (None, RDF.type, cls) in g:
                self.refuse(f"{what} ({_name(cls)})")
        for predicate, what in _UNSUPPORTED_PREDICATES.items():
            if (None, predicate, None) in g:
                self.refuse(what)
        shapes: dict[Node, _Shape] = {}
        for node, is_property in self.find_shapes():
            shape = self.shape(node, is_property)
            if shape is not None:
                shapes[node] = shape
        for shape in shapes.values():
            for child in shape.properties:
                if child not in shapes or shapes[child].path is None:
                    self.refuse(f"sh:property of {_name(shape.node)} is not a property shape")
        self.check_cycles(shapes)
        return _Program(shapes, self.paths, self.reasons)

    def find_shapes(self) -> list[tuple[Node, bool]]:
        """The shapes pySHACL finds (declared, with targets or constraints, or used where a
        shape is expected), each with whether it is a property shape."""
        g = self.g
        node_shapes = set(g.subjects(RDF.type, SH.NodeShape))
        property_shapes = set(g.subjects(RDF.type, SH.PropertyShape))
        for s in node_shapes & property_shapes:
            self.refuse(f"{_name(s)} is both a node shape and a property shape")
        implied: set[Node] = set()
        for p in (SH.targetClass, SH.targetNode, SH.targetObjectsOf, SH.targetSubjectsOf):
            implied.update(g.subjects(p, None))
        for p in (SH.property, SH.node):
            implied.update(g.subjects(p, None))
            implied.update(g.objects(None, p))
        for p in (SH["not"], SH.qualifiedValueShape):
            implied.update(g.objects(None, p))
        for p in (SH["and"], SH["or"], SH.xone):
            for head in g.objects(None, p):
                implied.update(_items(g, head) or [])
        found = []
        for s in sorted(node_shapes | property_shapes | implied, key=lambda n: (str(n), n.n3())):
            if isinstance(s, Literal):
                self.refuse(f"a literal used as a shape: {s.n3()}")
                continue
            if s in node_shapes:
                found.append((s, False))
            elif s in property_shapes:
                found.append((s, True))
            else:
                found.append((s, (s, SH.path, None) in g))
        return found

    def shape(self, node: Node, is_property: bool) -> _Shape | None:
        g = self.g
        where = _name(node)
        paths = list(g.objects(node, SH.path))
        path = None
        if is_property:
            if len(paths) != 1:
                self.refuse(f"{where} needs exactly one sh:path")
                return None
            path = paths[0]
            self.compile_path(path, where)
        elif paths:
            self.refuse(f"node shape {where} has a sh:path")
            return None
        severities = list(g.objects(node, SH.severity))
        if len(severities) > 1:
            self.refuse(f"{where} has several sh:severity values")
        messages = list(g.objects(node, SH.message))
        if any(not isinstance(m, Literal) for m in messages):
            self.refuse(f"{where} has a sh:message that is not a literal")
        shape = _Shape(
            node,
            path,
            severities[0] if severities else SH.Violation,
            messages,
            self.deactivated(node, where),
            {},
        )
        for p in set(g.predicates(node, None)):
            if p in _COMPONENTS:
                values = list(g.objects(node, p))
                if len(values) > 1:
                    # pySHACL's messages list the values in rdflib's order, not the index's.
                    values = list(self.graph.objects(node, p))
                shape.params[p] = values
            elif p in _OTHER_PARAMETERS:
                self.refuse(f"{_name(p)} (in {where}) is not implemented")
            elif p not in _SHAPE_ANNOTATIONS and str(p).startswith(str(SH)):
                self.refuse(f"{_name(p)} on a shape ({where}) is not implemented")
        self.check_parameters(shape, where)
        self.targets(shape, where)
        return shape

    def deactivated(self, node: Node, where: str) -> bool:
        values = list(self.g.objects(node, SH.deactivated))
        if not values:
            return False
        if len(values) > 1 or not _is_boolean(values[0]):
            self.refuse(f"{where} has a sh:deactivated that is not one true or false")
            return False
        return bool(values[0].value)  # type: ignore[attr-defined]

    def compile_path(self, path: Node, where: str, depth: int = 0) -> bool:
        """Check a path and record its kind; only IRIs, inverse and alternative paths."""
        g = self.g
        if path in self.paths:
            return True
        if isinstance(path, URIRef):
            self.paths[path] = ("iri", None)
            return True
        if not isinstance(path, BNode) or depth > 8:
            self.refuse(f"an unusable sh:path in {where}")
            return False
        keys = {p for p in g.predicates(path, None)}
        if keys == {SH.inversePath} and len(list(g.objects(path, SH.inversePath))) == 1:
            inner = g.value(path, SH.inversePath)
            if self.compile_path(inner, where, depth + 1):
                self.paths[path] = ("inverse", inner)
                return True
            return False
        if keys == {SH.alternativePath} and len(list(g.objects(path, SH.alternativePath))) == 1:
            items = _items(g, g.value(path, SH.alternativePath))
            if items is None or len(items) < 2:
                self.refuse(f"a sh:alternativePath in {where} that is not a list of two or more")
                return False
            if all(self.compile_path(item, where, depth + 1) for item in items):
                self.paths[path] = ("alternative", items)
                return True
            return False
        if RDF.first in keys:
            self.refuse(f"a sequence path in {where} is not implemented")
        elif keys & _PATH_KEYS:
            names = ", ".join(sorted(_name(k) for k in keys & _PATH_KEYS))
            self.refuse(f"the path {names} in {where} is not implemented")
        else:
            self.refuse(f"an unusable sh:path in {where}")
        return False

    def check_parameters(self, shape: _Shape, where: str) -> None:
        g = self.g
        params = shape.params
        prop = shape.path is not None

        def one(p: URIRef) -> Node | None:
            values = params.get(p, [])
            if len(values) != 1:
                self.refuse(f"{where} needs exactly one {_name(p)}")
                return None
            return values[0]

        for p in (SH.minCount, SH.maxCount):
            if p in params:
                value = one(p)
                if not prop:
                    self.refuse(f"{_name(p)} on node shape {where}")
                elif value is not None and not (
                    isinstance(value, Literal)
                    and value.datatype == XSD.integer
                    and isinstance(value.value, int)
                    and value.value >= 0
                ):
                    self.refuse(f"{_name(p)} of {where} is not a non-negative xsd:integer")
        for p in (SH.minLength, SH.maxLength):
            if p in params:
                value = one(p)
                if value is not None and not (
                    isinstance(value, Literal)
                    and value.datatype in _WHOLE_INTEGERS
                    and not getattr(value, "ill_typed", False)
                    and isinstance(value.value, int)
                    and value.value >= 0
                ):
                    self.refuse(f"{_name(p)} of {where} is not a non-negative integer")
        if SH.datatype in params and not isinstance(one(SH.datatype), URIRef | type(None)):
            self.refuse(f"sh:datatype of {where} is not an IRI")
        if SH.nodeKind in params:
            kind = one(SH.nodeKind)
            if kind is not None and kind not in _NODE_KINDS:
                self.refuse(f"sh:nodeKind of {where} is not a node kind")
        for p in (SH["class"], SH.disjoint, SH.lessThan, SH.lessThanOrEquals):
            if any(not isinstance(v, URIRef) for v in params.get(p, [])):
                self.refuse(f"{_name(p)} of {where} has a value that is not an IRI")
        for p in (SH.uniqueLang, SH.lessThan, SH.lessThanOrEquals):
            if p in params and not prop:
                self.refuse(f"{_name(p)} on node shape {where}")
        if SH.uniqueLang in params:
            value = one(SH.uniqueLang)
            if value is not None and not _is_boolean(value):
                # pySHACL also takes "1"^^xsd:boolean for true, where SHACL ignores it.
                self.refuse(f"sh:uniqueLang of {where} is not true or false")
        for p in (SH.minExclusive, SH.minInclusive, SH.maxExclusive, SH.maxInclusive):
            if any(not isinstance(v, Literal) for v in params.get(p, [])):
                self.refuse(f"{_name(p)} of {where} is not a literal")
        if SH["in"] in params:
            head = one(SH["in"])
            items = _items(g, head) if head is not None else None
            if items is None:
                self.refuse(f"sh:in of {where} is not a well-formed list")
            shape.lists[SH["in"]] = items or []
        if SH.languageIn in params:
            head = one(SH.languageIn)
            items = _items(g, head) if head is not None else None
            if items is None or any(
                not isinstance(i, Literal) or not isinstance(i.value, str) for i in items
            ):
                self.refuse(f"sh:languageIn of {where} is not a list of strings")
            shape.lists[SH.languageIn] = items or []
        if SH.pattern in params:
            flags = list(g.objects(shape.node, SH.flags))
            if len(flags) > 1 or any(not isinstance(f, Literal) for f in flags):
                self.refuse(f"{where} has several sh:flags, or one that is not a literal")
            shape.flags = flags[0] if flags else None
            for pattern in params[SH.pattern]:
                if not isinstance(pattern, Literal):
                    self.refuse(f"sh:pattern of {where} is not a literal")
                    continue
                try:
                    re.compile(_pattern_text(pattern))
                except (re.error, TypeError):
                    self.refuse(f"sh:pattern of {where} is not a Python regular expression")
        for child in params.get(SH.property, []):
            shape.properties.append(child)
        for constraint in params.get(SH.sparql, []):
            compiled = self.sparql_constraint(shape, constraint, where)
            if compiled is not None:
                shape.sparql.append(compiled)

    def targets(self, shape: _Shape, where: str) -> None:
        g = self.g
        node = shape.node
        shape.target_classes = list(g.objects(node, SH.targetClass))
        # A shape that is also a class targets its instances (an implicit class target); the
        # triples pySHACL adds to every shapes graph make owl:Class such a class too.
        types = set(g.objects(node, RDF.type))
        if types & (_SYSTEM_CLASSES | set(g.subjects(RDFS.subClassOf, RDFS.Class))):
            shape.target_classes.append(node)
        shape.target_nodes = list(g.objects(node, SH.targetNode))
        shape.subjects_of = list(g.objects(node, SH.targetSubjectsOf))
        shape.objects_of = list(g.objects(node, SH.targetObjectsOf))
        if any(
            not isinstance(c, URIRef)
            for c in shape.target_classes + shape.subjects_of + shape.objects_of
        ):
            self.refuse(f"a target of {where} that is not an IRI")
        if any(isinstance(n, BNode) for n in shape.target_nodes):
            self.refuse(f"a blank node sh:targetNode in {where}")
        for target in g.objects(node, SH.target):
            compiled = self.sparql_target(shape, target, where)
            if compiled is not None:
                shape.sparql_targets.append(compiled)

    def prefixes(self, node: Node, where: str) -> dict[str, str] | None:
        """The prefixes pySHACL declares for the query of ``node`` (sh:prefixes)."""
        g = self.g
        prefixes = {"rdf": str(RDF), "rdfs": str(RDFS), "owl": str(OWL)}
        values = list(g.objects(node, SH.prefixes))
        if not values:
            return prefixes
        graph_declares = set(g.objects(g.identifier, SH.declare))
        ontologies = set(g.subjects(RDF.type, OWL.Ontology))
        all_ontology_declares = graph_declares | {
            d for o in ontologies for d in g.objects(o, SH.declare)
        }
        declared: dict[str, str] = {}
        for value in values:
            own = set(g.objects(value, SH.declare))
            if own and value in ontologies:
                declares = own | graph_declares
            else:
                declares = all_ontology_declares | own
            for declare in declares:
                names = list(g.objects(declare, SH.prefix))
                namespaces = list(g.objects(declare, SH.namespace))
                if (
                    isinstance(declare, Literal)
                    or len(names) != 1
                    or len(namespaces) != 1
                    or not isinstance(names[0], Literal)
                    or not isinstance(names[0].value, str)
                    or not isinstance(namespaces[0], Literal)
                    or namespaces[0].value is None
                ):
                    self.refuse(f"a malformed sh:declare for {where}")
                    return None
                name, namespace = str(names[0].value), str(namespaces[0].value)
                if not _PN_PREFIX_RE.fullmatch(name) or not namespace or "<" in namespace:
                    self.refuse(f"an unusable prefix declaration {name!r} for {where}")
                    return None
                if declared.get(name, namespace) != namespace:
                    self.refuse(f"prefix {name!r} declared twice for {where}")
                    return None
                declared[name] = namespace
        prefixes.update(declared)
        return prefixes

    def query_text(self, node: Node, where: str) -> tuple[str, dict[str, str]] | None:
        g = self.g
        selects = list(g.objects(node, SH.select))
        if len(selects) != 1 or not (
            isinstance(selects[0], Literal) and isinstance(selects[0].value, str)
        ):
            self.refuse(f"the SPARQL query of {where} is not one sh:select string")
            return None
        if (node, SH.ask, None) in g:
            self.refuse(f"sh:ask in {where}")
        prefixes = self.prefixes(node, where)
        if prefixes is None:
            return None
        return str(selects[0].value), prefixes

    def sparql_target(self, shape: _Shape, target: Node, where: str) -> _Sparql | None:
        g = self.g
        types = set(g.objects(target, RDF.type))
        if not types <= {SH.SPARQLTarget} or (target, SH.select, None) not in g:
            self.refuse(f"a sh:target of {where} that is not a sh:SPARQLTarget with sh:select")
            return None
        extra = {p for p in g.predicates(target, None) if str(p).startswith(str(SH))} - {
            SH.select,
            SH.prefixes,
        }
        if extra:
            self.refuse(f"{', '.join(sorted(map(_name, extra)))} on a SPARQL target of {where}")
        found = self.query_text(target, f"a SPARQL target of {where}")
        if found is None:
            return None
        text, prefixes = found
        form = _target_form(text)
        if isinstance(form, str):
            self.refuse(f"{form} (SPARQL target of {where})")
            return None
        return _Sparql(target, _prologue(prefixes), text, form)

    def sparql_constraint(self, shape: _Shape, node: Node, where: str) -> _Sparql | None:
        g = self.g
        what = f"the SPARQL constraint of {where}"
        extra = {p for p in g.predicates(node, None) if str(p).startswith(str(SH))} - {
            SH.select,
            SH.prefixes,
            SH.message,
            SH.deactivated,
        }
        if extra:
            self.refuse(f"{', '.join(sorted(map(_name, extra)))} in {what}")
        found = self.query_text(node, what)
        if found is None:
            return None
        text, prefixes = found
        messages = list(g.objects(node, SH.message))
        if any(not isinstance(m, Literal) or not isinstance(m.value, str) for m in messages):
            self.refuse(f"a sh:message of {what} is not a string")
        if _REFUSED_TEXT_RE.search(text):
            self.refuse(f"MINUS, VALUES or SERVICE in {what}")
        if _FOCUS_INDEX in text:
            self.refuse(f"the variable name ?{_FOCUS_INDEX} in {what}")
        if _TERM_TESTS_RE.search(text):
            # Oxigraph stores numbers and dates by value ("5"^^xsd:int as "5"^^xsd:integer).
            self.refuse(f"DATATYPE or sameTerm in {what}")
        if text.upper().count("SELECT") > 1:
            self.refuse(f"a sub-query in {what}")
        if _AS_PREBOUND_RE.search(text):
            self.refuse(f"a pre-bound variable bound with AS in {what}")
        if _THIS_ANYWHERE_RE.search(text) and not _THIS_BOUND_RE.search(text):
            self.refuse(f"$this in {what} where pySHACL does not pre-bind it")
        if _PATH_ANYWHERE_RE.search(text):
            if shape.path is None:
                self.refuse(f"$PATH in {what}, which has no path")
                return None
            if shape.path not in self.paths:
                return None  # the path itself was refused
            self.check_compact_path(shape.path, prefixes, what)
            path_text = _path_sparql(shape.path, self.paths)
            text = _PATH_RE.sub(lambda m: m.group(1) + path_text, text)
            if _PATH_ANYWHERE_RE.search(text):
                self.refuse(f"$PATH in {what} where pySHACL does not substitute it")
                return None
        form = _constraint_form(text)
        if isinstance(form, str):
            self.refuse(f"{form} ({what})")
            return None
        if "failure" in form.projection:
            self.refuse(f"?failure in {what}")
        deactivated = self.deactivated(node, what)
        return _Sparql(node, _prologue(prefixes), text, form, messages, deactivated)

    def check_compact_path(self, path: Node, prefixes: dict[str, str], what: str) -> None:
        """pySHACL writes the IRIs of $PATH as prefixed names with the query's prefixes; refuse
        paths for which that would not be a valid prefixed name."""
        kind, arg = self.paths[path]
        if kind == "inverse":
            self.check_compact_path(arg, prefixes, what)
        elif kind == "alternative":
            for item in arg:
                self.check_compact_path(item, prefixes, what)
        else:
            iri = str(path)
            for namespace in prefixes.values():
                if iri.startswith(namespace) and not _PN_LOCAL_RE.fullmatch(
                    iri.replace(namespace, "")
                ):
                    self.refuse(f"pySHACL would write the path {iri} badly in {what}")

    def check_cycles(self, shapes: dict[Node, _Shape]) -> None:
        state: dict[Node, int] = {}

        def visit(node: Node) -> bool:
            if state.get(node) == 1:
                return False
            if state.get(node) == 2 or node not in shapes:
                return True
            state[node] = 1
            ok = all(visit(child) for child in shapes[node].properties)
            state[node] = 2
            return ok

        for node in shapes:
            if not visit(node):
                self.refuse(f"recursive shapes through sh:property at {_name(node)}")
                return


def _is_boolean(node: Node) -> bool:
    """An xsd:boolean written true or false (pySHACL reads other forms, SHACL does not)."""
    return (
        isinstance(node, Literal)
        and node.datatype == XSD.boolean
        and str(node) in ("true", "false")
    )


def _prologue(prefixes: dict[str, str]) -> str:
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in prefixes.items()) + "\n"


def _pattern_text(pattern: Literal) -> str:
    """The regular expression pySHACL compiles for a sh:pattern literal."""
    value = pattern.value
    return str(value) if value is not None and len(value) > 1 else str(pattern)


# Compiled shapes graphs, by graph and content: the same shapes validate many graphs.
_PROGRAMS: dict[tuple[int, frozenset], _Program] = {}


def _compile(shapes: Graph) -> _Program:
    key = (id(shapes), frozenset(shapes))
    program = _PROGRAMS.get(key)
    if program is None:
        program = _Compiler(shapes).compile()
        if len(_PROGRAMS) >= 8:
            _PROGRAMS.pop(next(iter(_PROGRAMS)))
        _PROGRAMS[key] = program
    return program


# --------------------------------------------------------------------------------------------
# Public API


def unsupported(shapes: Graph) -> list[str]:
    """Every reason this engine cannot give pySHACL's report for ``shapes``: constraint
    components, targets, paths or SPARQL query forms it does not implement. Empty: supported.
    When it is not empty, validate with pySHACL."""
    return _compile(shapes).reasons


def validate(
    graph: Graph,
    shapes: Graph,
    shape_iris: Iterable[Node] | None = None,
    triples: Iterable[tuple[Node, Node, Node]] | None = None,
) -> tuple[bool, Graph]:
    """Validate the data graph ``graph`` against ``shapes``: (conforms, report graph), as
    pySHACL gives them with ``inference="none", advanced=True, allow_warnings=True,
    allow_infos=True`` (the report graph isomorphic to pySHACL's).

    ``shape_iris`` restricts the run to those shapes, as pySHACL's ``use_shapes`` does, except
    that the property shapes of a listed node shape always run with it (pySHACL skips those not
    listed too). Raises UnsupportedShapes when ``unsupported(shapes)`` is not empty, and
    ShaclRuntimeError where pySHACL fails while validating.

    ``triples``, when given, are the data graph's triples, each once; ``graph`` then need only
    hold its namespace bindings and the triples whose subject is a blank node (all that
    messages and the report copy from it), so a large data set needs no rdflib graph, which
    would take more time and memory than the validation itself.
    """
    if isinstance(graph, ConjunctiveGraph):
        raise TypeError("validate takes a plain rdflib Graph, not a Dataset")
    program = _compile(shapes)
    if program.reasons:
        raise UnsupportedShapes(program.reasons)
    if shape_iris is None:
        run_shapes = list(program.shapes.values())
    else:
        run_shapes = []
        for iri in shape_iris:
            if iri not in program.shapes:
                raise ValueError(f"{iri} is not a shape of the shapes graph")
            run_shapes.append(program.shapes[iri])
    run = _Run(graph, shapes, program, triples)
    conforms = True
    for shape in run_shapes:
        ok, results = run.shape(shape, list(run.focus_nodes(shape)))
        conforms = conforms and ok
        run.results.extend(results)
    return conforms, run.report(conforms)


# --------------------------------------------------------------------------------------------
# Running


@dataclass(eq=False)
class _Result:
    shape: _Shape
    component: URIRef
    focus: Node
    value: Node | None
    messages: list[Node]
    path: Node | None = None  # a path other than the shape's (a SPARQL ?path)
    source_constraint: Node | None = None


def _compare(a: Literal, b: Literal) -> int:
    """pySHACL's ordering of two literals for the value range constraints; raises TypeError
    (or NotImplementedError) when they cannot be compared."""
    if a.eq(b):
        return 0
    # pySHACL compares date-times and times by their Python values, not rdflib's total order.
    if a.value.__class__ in (datetime.datetime, datetime.time):
        if a.value == b.value:
            return 0
        if a.value > b.value:
            return 1
    elif a > b:
        return 1
    return -1


def _pair_value(node: Node) -> tuple[Any, bool]:
    """A node as pySHACL compares it for sh:lessThan(OrEquals): strings (IRIs and string
    literals) as Python strings, other literals as rdflib literals."""
    if isinstance(node, URIRef):
        return str(node), True
    if isinstance(node, Literal) and isinstance(node.value, str):
        return node.value, True
    return node, False


def _string_of(value: Node) -> str:
    """The string pySHACL matches patterns and lengths against."""
    if (
        isinstance(value, Literal)
        and value.value is not None
        and value.datatype in (None, RDF.langString, XSD.string)
    ):
        return str(value.value)
    return str(value)


# Focus nodes per VALUES block of a SPARQL constraint. Oxigraph evaluates a constraint's
# OPTIONAL or NOT EXISTS part as one join per block, over the whole graph: with small blocks
# that work is repeated block after block, and validation grows with the square of the data.
_VALUES_ROWS = 100_000


class _Run:
    """One validation: the data indexes, the Oxigraph store, the results."""

    def __init__(
        self,
        graph: Graph,
        shapes: Graph,
        program: _Program,
        triples: Iterable[tuple[Node, Node, Node]] | None = None,
    ) -> None:
        self.graph = graph
        self._triples = graph if triples is None else triples
        self.shapes_graph = shapes
        self.program = program
        self.results: list[_Result] = []
        self._forward: dict[Node, dict[Node, list[Node]]] = {}  # predicate -> subject -> objects
        self._backward: dict[Node, dict[Node, list[Node]]] = {}  # predicate -> object -> subjects
        self._pairs_by_predicate: dict[Node, list[tuple[Node, Node]]] | None = None
        self._subs: dict[Node, set[Node]] = {}
        self._store: ox.Store | None = None
        self._to_ox: dict[Node, Any] = {}
        self._from_ox: dict[Any, Node] = {}
        self._literal_keys: dict[tuple[str, str], Literal] = {}
        self._strings: dict[tuple[str, Node], str] = {}
        self._bound_sh: set[str] = set()
        self._graph_prefixes: str | None = None
        self._by_value: dict[tuple[str, Any], set[Literal]] | None = None

    # ---------------------------------------------------------------- the data graph

    def pairs(self) -> dict[Node, list[tuple[Node, Node]]]:
        """The data graph's triples as (subject, object) pairs by predicate, read once: one pass
        over an rdflib graph costs much less than one rdflib lookup per focus node."""
        if self._pairs_by_predicate is None:
            found: dict[Node, list[tuple[Node, Node]]] = {}
            for s, p, o in self._triples:
                pairs = found.get(p)
                if pairs is None:
                    pairs = found[p] = []
                pairs.append((s, o))
            self._pairs_by_predicate = found
            self._triples = ()  # read once
        return self._pairs_by_predicate

    def index(self, predicate: Node) -> tuple[dict[Node, list[Node]], dict[Node, list[Node]]]:
        """subject -> objects and object -> subjects for ``predicate`` (lists: a graph holds a
        triple once, and a list takes less memory than a set)."""
        out = self._forward.get(predicate)
        if out is None:
            out, inv = {}, {}
            for s, o in self.pairs().get(predicate, ()):
                found = out.get(s)
                if found is None:
                    out[s] = [o]
                else:
                    found.append(o)
                found = inv.get(o)
                if found is None:
                    inv[o] = [s]
                else:
                    found.append(s)
            self._forward[predicate], self._backward[predicate] = out, inv
        return out, self._backward[predicate]

    def objects(self, subject: Node, predicate: Node) -> Sequence[Node]:
        return self.index(predicate)[0].get(subject, ())

    def subjects(self, predicate: Node, obj: Node) -> Sequence[Node]:
        return self.index(predicate)[1].get(obj, ())

    def subclasses(self, cls: Node) -> set[Node]:
        """``cls`` and its subclasses in the data graph, through rdfs:subClassOf."""
        found = self._subs.get(cls)
        if found is None:
            step = self.index(RDFS.subClassOf)[1]
            found = {cls}
            todo = [cls]
            while todo:
                for sub in step.get(todo.pop(), ()):
                    if sub not in found:
                        found.add(sub)
                        todo.append(sub)
            self._subs[cls] = found
        return found

    def has_class(self, node: Node, cls: Node) -> bool:
        """pySHACL's test for sh:class: a type of ``node`` is ``cls`` or has it among its
        superclasses (so a literal has no class)."""
        if isinstance(node, Literal):
            return False
        types = self.index(RDF.type)[0].get(node)
        return types is not None and not self.subclasses(cls).isdisjoint(types)

    def path_values(self, path: Node, focus: Node, inverse: bool = False) -> Collection[Node]:
        """The value nodes of ``focus`` for a path, each once (not to be modified)."""
        kind, arg = self.program.paths[path]
        if kind == "iri":
            return self.subjects(path, focus) if inverse else self.objects(focus, path)
        if kind == "inverse":
            return self.path_values(arg, focus, not inverse)
        found: set[Node] = set()
        for item in arg:
            found.update(self.path_values(item, focus, inverse))
        return found

    def focus_nodes(self, shape: _Shape) -> set[Node]:
        found: set[Node] = set(shape.target_nodes)
        types = self.index(RDF.type)[1]
        for cls in shape.target_classes:
            for sub in self.subclasses(cls):
                found.update(types.get(sub, ()))
        for p in shape.subjects_of:
            found.update(self.index(p)[0])
        for p in shape.objects_of:
            found.update(self.index(p)[1])
        for target in shape.sparql_targets:
            for row in self.select(target.prologue + target.text):
                this = row.get("this")
                if this is None:
                    raise ShaclRuntimeError("a SPARQL target gave a row without ?this")
                found.add(this)
        return found

    # ---------------------------------------------------------------- shapes

    def shape(self, shape: _Shape, focus: list[Node]) -> tuple[bool, list[_Result]]:
        """pySHACL's Shape.validate: (conforms, results) of ``shape`` on ``focus``."""
        if shape.deactivated or not focus:
            return True, []
        if shape.path is None:
            values: dict[Node, Collection[Node]] = {f: (f,) for f in focus}
        else:
            values = {f: self.path_values(shape.path, f) for f in focus}
        allow = shape.severity in _ALLOWED_SEVERITIES
        conforms = True
        results: list[_Result] = []
        for param in shape.params:
            ok, found = self.component(shape, param, values)
            # A failing constraint fails the shape unless the shape's severity, or that of
            # every result it gave, is one of the allowed ones (pySHACL's rule).
            if (
                not ok
                and not allow
                and any(r.shape.severity not in _ALLOWED_SEVERITIES for r in found)
            ):
                conforms = False
            results.extend(found)
        return conforms, results

    def component(
        self, shape: _Shape, param: URIRef, values: dict[Node, Collection[Node]]
    ) -> tuple[bool, list[_Result]]:
        # check_class, check_minCount...: one method per constraint parameter.
        method = getattr(self, "check_" + str(param).rsplit("#", 1)[-1])
        return method(shape, shape.params[param], values)

    def result(
        self,
        shape: _Shape,
        param: URIRef,
        focus: Node,
        value: Node | None = None,
        generic: Callable[[], str] | None = None,
    ) -> _Result:
        """A result; pySHACL writes its own message only when the shape has none."""
        messages: list[Node] = list(shape.messages)
        if not messages and generic is not None:
            messages = [Literal(generic())]
        return _Result(shape, _COMPONENTS[param], focus, value, messages)

    def each_value(
        self,
        shape: _Shape,
        param: URIRef,
        values: dict[Node, Collection[Node]],
        passes: Callable[[Node], bool],
        generic: Callable[[Node, Node], str],
    ) -> list[_Result]:
        """A result for each value node that does not pass."""
        return [
            self.result(shape, param, f, v, lambda f=f, v=v: generic(f, v))
            for f, vs in values.items()
            for v in vs
            if not passes(v)
        ]

    # ---------------------------------------------------------------- core constraints
    # Each takes the shape, the values of its parameter and the value nodes of each focus
    # node, and gives (conforms, results) as pySHACL's constraint component of the same name.

    def check_class(self, shape: _Shape, classes: list[Node], values: dict) -> tuple[bool, list]:
        def generic(f: Node, v: Node) -> str:
            if len(classes) < 2:
                return f"Value does not have class {self.sg_str(classes[0])}"
            return f"Value class is not in classes ({', '.join(map(self.sg_str, classes))})"

        results: list[_Result] = []
        for cls in classes:
            results += self.each_value(
                shape, SH["class"], values, lambda v, c=cls: self.has_class(v, c), generic
            )
        return not results, results

    def check_datatype(self, shape: _Shape, rules: list[Node], values: dict) -> tuple[bool, list]:
        rule = rules[0]
        expected = _VALUE_TYPES.get(rule)  # type: ignore[call-overload]

        def passes(v: Node) -> bool:
            if not isinstance(v, Literal):
                return False
            if v.datatype == rule:
                if getattr(v, "ill_typed", None) is True:
                    return False
            elif rule == RDFS.Literal or (rule == RDFS.Datatype and v.datatype):
                return True
            elif not (
                (v.datatype is None and v.language is None and rule == XSD.string)
                or (rule == RDF.langString and v.language)
            ):
                return False
            return expected is None or isinstance(v.value, expected)

        def generic(f: Node, v: Node) -> str:
            return f"Value is not Literal with datatype {self.sg_str(rule)}"

        results = self.each_value(shape, SH.datatype, values, passes, generic)
        return not results, results

    def check_nodeKind(self, shape: _Shape, kinds: list[Node], values: dict) -> tuple[bool, list]:  # noqa: N802
        types = _NODE_KINDS[kinds[0]]

        def generic(f: Node, v: Node) -> str:
            return f"Value is not of Node Kind {self.sg_str(kinds[0])}"

        results = self.each_value(
            shape, SH.nodeKind, values, lambda v: isinstance(v, types), generic
        )
        return not results, results

    def check_in(self, shape: _Shape, heads: list[Node], values: dict) -> tuple[bool, list]:
        allowed: set[Node] = set()
        for item in shape.lists[SH["in"]]:
            allowed.add(item)  # a set built in list order: its message lists them as pySHACL's

        def generic(f: Node, v: Node) -> str:
            return f"Value {self.dg_str(v)} not in list {[self.sg_str(a) for a in allowed]}"

        results = self.each_value(shape, SH["in"], values, lambda v: v in allowed, generic)
        return not results, results

    def _counts(
        self, shape: _Shape, param: URIRef, limit: Node, values: dict, fails: Callable
    ) -> tuple[bool, list]:
        n = int(limit.value)  # type: ignore[attr-defined]
        words = "Less than" if param == SH.minCount else "More than"

        def generic(f: Node) -> str:
            if param == SH.minCount:
                try:
                    focus = self.dg_str(f)
                except (LookupError, ValueError):
                    focus = str(f)
            else:
                focus = self.dg_str(f)
            path = self.sg_str(shape.path)
            return f"{words} {limit.value} values on {focus}->{path}"  # type: ignore[attr-defined]

        results = [
            self.result(shape, param, f, None, lambda f=f: generic(f))
            for f, vs in values.items()
            if fails(len(vs), n)
        ]
        return not results, results

    def check_minCount(self, shape: _Shape, limits: list[Node], values: dict) -> tuple[bool, list]:  # noqa: N802
        if int(limits[0].value) == 0:  # type: ignore[attr-defined]
            return True, []
        return self._counts(shape, SH.minCount, limits[0], values, lambda k, n: k < n)

    def check_maxCount(self, shape: _Shape, limits: list[Node], values: dict) -> tuple[bool, list]:  # noqa: N802
        return self._counts(shape, SH.maxCount, limits[0], values, lambda k, n: k > n)

    def _range(
        self, shape: _Shape, param: URIRef, bounds: list[Node], values: dict, sign: str
    ) -> tuple[bool, list]:
        test = {
            ">": lambda c: c > 0,
            ">=": lambda c: c >= 0,
            "<": lambda c: c < 0,
            "<=": lambda c: c <= 0,
        }[sign]

        def generic(f: Node, v: Node) -> str:
            if len(bounds) < 2:
                return f"Value is not {sign} {self.sg_str(bounds[0])}"
            return f"Value is not {sign} in ({', '.join(map(self.sg_str, bounds))})"

        results: list[_Result] = []
        for bound in bounds:
            bound_is_string = isinstance(bound.value, str)  # type: ignore[attr-defined]

            def passes(v: Node, bound: Node = bound, bound_is_string: bool = bound_is_string):
                # A string is never compared with a non-string; blank nodes and IRIs fail.
                if not isinstance(v, Literal) or isinstance(v.value, str) != bound_is_string:
                    return False
                try:
                    return test(_compare(v, bound))  # type: ignore[arg-type]
                except (TypeError, NotImplementedError):
                    return False

            results += self.each_value(shape, param, values, passes, generic)
        return not results, results

    def check_minExclusive(self, shape: _Shape, bounds: list[Node], values: dict):  # noqa: N802
        return self._range(shape, SH.minExclusive, bounds, values, ">")

    def check_minInclusive(self, shape: _Shape, bounds: list[Node], values: dict):  # noqa: N802
        return self._range(shape, SH.minInclusive, bounds, values, ">=")

    def check_maxExclusive(self, shape: _Shape, bounds: list[Node], values: dict):  # noqa: N802
        return self._range(shape, SH.maxExclusive, bounds, values, "<")

    def check_maxInclusive(self, shape: _Shape, bounds: list[Node], values: dict):  # noqa: N802
        return self._range(shape, SH.maxInclusive, bounds, values, "<=")

    def check_minLength(self, shape: _Shape, limits: list[Node], values: dict):  # noqa: N802
        n = limits[0].value  # type: ignore[attr-defined]

        def generic(f: Node, v: Node) -> str:
            return f"String length not >= {self.dg_str(limits[0])}"

        results = self.each_value(
            shape,
            SH.minLength,
            values,
            lambda v: n == 0 or (not isinstance(v, BNode) and len(_string_of(v)) >= n),
            generic,
        )
        return not results, results

    def check_maxLength(self, shape: _Shape, limits: list[Node], values: dict):  # noqa: N802
        n = limits[0].value  # type: ignore[attr-defined]

        def generic(f: Node, v: Node) -> str:
            return f"String length not <= {self.dg_str(limits[0])}"

        results = self.each_value(
            shape,
            SH.maxLength,
            values,
            lambda v: not isinstance(v, BNode) and len(_string_of(v)) <= n,
            generic,
        )
        return not results, results

    def check_pattern(self, shape: _Shape, patterns: list[Node], values: dict):
        flags = 0
        if shape.flags is not None:
            letters = str(shape.flags.value).lower()  # type: ignore[attr-defined]
            flags |= re.I if "i" in letters else 0
            flags |= re.M if "m" in letters else 0

        def generic(f: Node, v: Node) -> str:
            if len(patterns) < 2:
                return f"Value does not match pattern '{patterns[0].value}'"  # type: ignore[attr-defined]
            joined = "', '".join(str(p.value) for p in patterns)  # type: ignore[attr-defined]
            return f"Value does not match every pattern in ('{joined}')"

        results: list[_Result] = []
        for pattern in patterns:
            regex = re.compile(_pattern_text(pattern), flags)  # type: ignore[arg-type]
            results += self.each_value(
                shape,
                SH.pattern,
                values,
                lambda v, regex=regex: (
                    not isinstance(v, BNode) and regex.search(_string_of(v)) is not None
                ),
                generic,
            )
        return not results, results

    def check_languageIn(self, shape: _Shape, heads: list[Node], values: dict):  # noqa: N802
        wanted = {str(i.value).lower() for i in shape.lists[SH.languageIn]}  # type: ignore[attr-defined]

        def passes(v: Node) -> bool:
            if not isinstance(v, Literal) or not v.language:
                return False
            lang = str(v.language).lower()
            return "*" in wanted or lang in wanted or lang.split("-")[0] in wanted

        def generic(f: Node, v: Node) -> str:
            return f"String language is not in {self.sg_str(heads[0])}"

        results = self.each_value(shape, SH.languageIn, values, passes, generic)
        return not results, results

    def check_uniqueLang(self, shape: _Shape, flags: list[Node], values: dict):  # noqa: N802
        if not flags[0].value:  # type: ignore[attr-defined]
            return True, []
        results = []
        for f, vs in values.items():
            seen: set[str] = set()
            duplicates: set[str] = set()
            for v in vs:
                if isinstance(v, Literal) and v.language:
                    lang = str(v.language).lower()
                    (duplicates if lang in seen else seen).add(lang)
            # One result per language used twice, with no sh:value (as pySHACL).
            for _ in duplicates:
                results.append(
                    self.result(
                        shape,
                        SH.uniqueLang,
                        f,
                        None,
                        lambda: "More than one String shares the same Language",
                    )
                )
        return not results, results

    def _compared(self, predicates: list[Node]) -> tuple[set[Node], Callable[[], str]]:
        """pySHACL keeps the properties to compare with in a set, and its messages list them in
        that set's order: a set built the same way has the same order."""
        found: set[Node] = set()
        for p in predicates:
            found.add(p)

        def names() -> str:
            if len(found) < 2:
                return self.sg_str(next(iter(found)))
            return ", ".join(self.sg_str(p) for p in found)

        return found, names

    def check_disjoint(self, shape: _Shape, predicates: list[Node], values: dict):
        compare, names = self._compared(predicates)
        results = []
        for p in compare:
            for f, vs in values.items():
                for common in set(vs).intersection(self.objects(f, p)):
                    results.append(
                        self.result(
                            shape,
                            SH.disjoint,
                            f,
                            common,
                            lambda f=f, v=common: (
                                f"Value of {self.dg_str(f)}->{names()} == {self.dg_str(v)}"
                            ),
                        )
                    )
        return not results, results

    def _pairs(self, shape: _Shape, param: URIRef, predicates: list[Node], values: dict):
        compare, names = self._compared(predicates)
        strict = param == SH.lessThan
        sign = "<=" if strict else "<"
        error = f"Cannot use sh:{str(param).rsplit('#', 1)[-1]} to compare a BlankNode."
        results = []
        for p in compare:
            for f, vs in values.items():
                others = self.objects(f, p)
                for v in vs:
                    if isinstance(v, BNode):
                        raise ShaclRuntimeError(error)
                    left, left_is_string = _pair_value(v)
                    for o in others:
                        if isinstance(o, BNode):
                            raise ShaclRuntimeError(error)
                        right, right_is_string = _pair_value(o)
                        # A string and a non-string never compare; a pair that fails gives a
                        # result each, so one value may give several.
                        if left_is_string == right_is_string and (
                            left < right if strict else left <= right
                        ):
                            continue
                        results.append(
                            self.result(
                                shape,
                                param,
                                f,
                                v,
                                lambda f=f, v=v: (
                                    f"Value of {self.dg_str(f)}->{names()} {sign} {self.dg_str(v)}"
                                ),
                            )
                        )
        return not results, results

    def check_lessThan(self, shape: _Shape, predicates: list[Node], values: dict):  # noqa: N802
        return self._pairs(shape, SH.lessThan, predicates, values)

    def check_lessThanOrEquals(self, shape: _Shape, predicates: list[Node], values: dict):  # noqa: N802
        return self._pairs(shape, SH.lessThanOrEquals, predicates, values)

    def check_property(self, shape: _Shape, children: list[Node], values: dict):
        if not any(values.values()):
            return True, []
        counts = Counter(v for vs in values.values() for v in vs)
        conforms = True
        results: list[_Result] = []
        for child in children:
            child_shape = self.program.shapes[child]
            if max(counts.values()) == 1:
                ok, found = self.shape(child_shape, list(counts))
            else:
                # pySHACL validates each value node on its own: a node reached from two focus
                # nodes is validated, and reported, twice.
                ok, found = True, []
                for v, k in counts.items():
                    for _ in range(k):
                        one_ok, one = self.shape(child_shape, [v])
                        ok = ok and one_ok
                        found += one
            conforms = conforms and ok
            results += found
        return conforms, results

    # ---------------------------------------------------------------- SPARQL constraints

    def check_sparql(self, shape: _Shape, constraints: list[Node], values: dict):
        # ``constraints`` are the sh:sparql nodes; shape.sparql holds them compiled.
        conforms = True
        results: list[_Result] = []
        for constraint in shape.sparql:
            if constraint.deactivated:
                continue
            found = self.sparql_constraint(shape, constraint, list(values))
            conforms = conforms and not found
            results += found
        return conforms, results

    def sparql_constraint(
        self, shape: _Shape, constraint: _Sparql, focus: list[Node]
    ) -> list[_Result]:
        """pySHACL's results of a SPARQL constraint, the query run once for all focus nodes:
        a VALUES block pre-binds $this, each focus node paired with its index in ``focus`` (the
        index, not ?this, says whose row it is: Oxigraph hands literals back canonicalised)."""
        form = constraint.form
        this_projected = "this" in form.projection
        text = constraint.text
        head = constraint.prologue + text[: form.select_end]
        middle = text[form.select_end : form.where_start]
        tail = text[form.where_start :]
        rows: list[tuple[Node, dict[str, Node]]] = []
        written = [(k, _sparql_term(f)) for k, f in enumerate(focus)]
        batch = [(k, term) for k, term in written if term is not None]
        for start in range(0, len(batch), _VALUES_ROWS):
            block = " ".join(f"({term} {k})" for k, term in batch[start : start + _VALUES_ROWS])
            values = f" VALUES (?this ?{_FOCUS_INDEX}) {{ {block} }} "
            query = head + f" ?{_FOCUS_INDEX}" + middle + values + tail
            for row in self.select(query):
                rows.append((focus[int(str(row.pop(_FOCUS_INDEX)))], row))
        alone = head + ("" if this_projected else " ?this") + middle + tail
        for k, term in written:
            if term is None:  # blank nodes and odd IRIs: one query each, $this substituted
                for row in self.select(alone, {"this": focus[k]}):
                    rows.append((focus[k], row))
        results = []
        seen: set[tuple] = set()
        messages = constraint.messages
        shape_messages = shape.messages
        for f, row in rows:
            others = {v: row[v] for v in form.projection if v in row and v not in _RESULT_VARS}
            path = row.get("path")
            value = row.get("value")
            this = f if this_projected else None  # pre-bound: the focus node itself
            if path is None and value is None and this is None:
                continue  # pySHACL ignores a row that binds none of them
            key = (f, this, path, value, frozenset(others.items()))
            if key in seen:
                continue
            seen.add(key)
            if value is None:
                value = f if shape.path is None else None
            bound = dict(others)
            for name, term in (("this", this), ("path", path), ("value", value)):
                if term is not None:
                    bound[name] = term
            texts = [m for m in messages if m not in shape_messages] + list(shape_messages)
            results.append(
                _Result(
                    shape,
                    SH.SPARQLConstraintComponent,
                    this if this is not None else f,
                    value,
                    [Literal(_fill(str(m.value), bound)) for m in texts],  # type: ignore[attr-defined]
                    path,
                    constraint.node,
                )
            )
        return results

    # ---------------------------------------------------------------- Oxigraph

    def store(self) -> ox.Store:
        """The data graph in an Oxigraph store, loaded on first use: as N-Triples text, which
        Oxigraph parses much faster than Python builds terms, except for the triples with
        blank nodes, added as terms so that their blank nodes keep identities we know."""
        if self._store is None:
            texts: dict[Node, str] = {}
            literal_keys = self._literal_keys

            def text(term: Node) -> str:
                found = texts.get(term)
                if found is None:
                    if isinstance(term, URIRef):
                        found = f"<{term}>"
                    else:  # a literal
                        found = _sparql_term(term) or ""
                        literal_keys.setdefault(_rdflib_literal_key(term), term)  # type: ignore[arg-type]
                    texts[term] = found
                return found

            store = ox.Store()
            graph = ox.DefaultGraph()
            lines: list[str] = []
            try:
                for p, pairs in self.pairs().items():
                    predicate = text(p)
                    for s, o in pairs:
                        if isinstance(s, BNode) or isinstance(o, BNode):
                            store.add(ox.Quad(self.to_ox(s), self.to_ox(p), self.to_ox(o), graph))
                        else:
                            lines.append(f"{text(s)} {predicate} {text(o)} .\n")
                    if len(lines) > 50_000:  # in parts, to keep the text small
                        store.load("".join(lines).encode(), format=ox.RdfFormat.N_TRIPLES)
                        lines.clear()
                store.load("".join(lines).encode(), format=ox.RdfFormat.N_TRIPLES)
            except (SyntaxError, ValueError) as exc:  # an IRI or literal Oxigraph refuses
                raise ShaclRuntimeError(f"cannot load the graph into Oxigraph: {exc}") from exc
            self._store = store
        return self._store

    def to_ox(self, term: Node) -> Any:
        """The Oxigraph term for ``term``; blank nodes keep one Oxigraph blank node each."""
        found = self._to_ox.get(term)
        if found is None:
            if isinstance(term, BNode):
                found = ox.BlankNode()
                self._from_ox[found] = term
            elif isinstance(term, URIRef):
                found = ox.NamedNode(term)
            elif isinstance(term, Literal):
                self._literal_keys.setdefault(_rdflib_literal_key(term), term)
                if term.language:
                    found = ox.Literal(term, language=term.language)
                else:
                    found = ox.Literal(term, datatype=ox.NamedNode(term.datatype or XSD.string))
            else:
                raise ShaclRuntimeError(f"cannot use {term!r} in Oxigraph")
            if isinstance(term, BNode):
                self._to_ox[term] = found
        return found

    def from_ox(self, term: Any) -> Node:
        """The rdflib term of the data graph for a term of a query result."""
        if isinstance(term, ox.NamedNode):
            return URIRef(term.value)
        if isinstance(term, ox.BlankNode):
            found = self._from_ox.get(term)
            return found if found is not None else BNode(term.value)
        if isinstance(term, ox.Literal):
            found = self.canonicalised(term)
            if found is None:
                found = self._literal_keys.get(_literal_key(term))
            if found is not None:
                return found
            # Not a literal of the graph: computed by the query.
            if term.language:
                return Literal(term.value, lang=term.language)
            if term.datatype.value == str(XSD.string):
                return Literal(term.value)
            return Literal(term.value, datatype=URIRef(term.datatype.value))
        raise ShaclRuntimeError(f"unexpected term in a SPARQL result: {term!r}")

    def canonicalised(self, term: Any) -> Literal | None:
        """The literal of the graph that Oxigraph stored as ``term``: it keeps numbers,
        booleans and dates by value ("05"^^xsd:int comes back as "5"^^xsd:integer)."""
        if self._by_value is None:
            self._by_value = {}
            for pairs in self.pairs().values():
                for _, o in pairs:
                    if isinstance(o, Literal) and o.datatype is not None and o.value is not None:
                        key = _value_key(o.datatype, o.value)
                        if key is not None:
                            self._by_value.setdefault(key, set()).add(o)
        if term.language:
            return None
        datatype = URIRef(term.datatype.value)
        if datatype not in _BY_VALUE_TYPES:
            return None
        key = _value_key(datatype, Literal(term.value, datatype=datatype).value)
        found = self._by_value.get(key, set()) if key is not None else set()
        if len(found) > 1:
            raise ShaclRuntimeError(
                f"a SPARQL result {term} stands for several literals of the graph "
                f"({', '.join(sorted(f.n3() for f in found))}): validate with pySHACL"
            )
        return next(iter(found), None)

    def graph_prefixes(self) -> str:
        """PREFIX lines for the data graph's namespace bindings: pySHACL's queries go through
        rdflib's Graph.query, which declares them (the query's own declarations win)."""
        if self._graph_prefixes is None:
            self._graph_prefixes = "".join(
                f"PREFIX {prefix}: <{namespace}>\n"
                for prefix, namespace in self.graph.namespaces()
                if _PN_PREFIX_RE.fullmatch(prefix)
                and not re.search(r'[<>"{}|^`\\\x00-\x20]', str(namespace))
            )
        return self._graph_prefixes

    def select(self, text: str, bind: dict[str, Node] | None = None) -> Iterator[dict[str, Node]]:
        store = self.store()
        text = self.graph_prefixes() + text
        substitutions = {ox.Variable(k): self.to_ox(v) for k, v in (bind or {}).items()}
        try:
            solutions = store.query(text, substitutions=substitutions or None)
            names = [v.value for v in solutions.variables]  # type: ignore[union-attr]
            rows = [[solution[name] for name in names] for solution in solutions]  # type: ignore[union-attr]
        except (SyntaxError, OSError, ValueError, RuntimeError) as exc:
            raise ShaclRuntimeError(f"a SPARQL query of the shapes failed: {exc}") from exc
        for terms in rows:
            yield {
                # The focus index is kgbuild's own number, not a literal of the graph: read
                # as one, it could stand for several ("4" and "4"^^xsd:positiveInteger).
                name: Literal(term.value) if name == _FOCUS_INDEX else self.from_ox(term)
                for name, term in zip(names, terms, strict=True)
                if term is not None
            }

    # ---------------------------------------------------------------- messages

    def _namespaces(self, graph: Graph, role: str) -> Any:
        manager = graph.namespace_manager
        if role not in self._bound_sh:  # pySHACL binds sh: wherever it writes a node
            manager.bind("sh", SHACL, override=False, replace=False)
            self._bound_sh.add(role)
        return manager

    def dg_str(self, node: Node) -> str:
        return self._str(self.graph, "data", node, 0)

    def sg_str(self, node: Node | None) -> str:
        return self._str(self.shapes_graph, "shapes", node, 0)  # type: ignore[arg-type]

    def _str(self, graph: Graph, role: str, node: Node, depth: int) -> str:
        """A node as pySHACL's messages write it."""
        manager = self._namespaces(graph, role)
        if isinstance(node, Literal):
            value = None if node.value is None else str(node.value)
            lexical = str(node)
            if value is not None and value.find(" object at 0x") > 0:
                value = value[: value.find(" object at 0x")]
            if value is not None and value != lexical:
                text = f'"{lexical}" = {value}'
            else:
                text = f'"{lexical}"'
            if node.language:
                text += f", lang={node.language}"
            if node.datatype:
                text += f", datatype={self._str(graph, role, node.datatype, 0)}"
            return f"Literal({text})"
        if isinstance(node, BNode):
            return self._str_blank(graph, role, node, depth + 1)
        if isinstance(node, URIRef):
            try:
                return node.n3(namespace_manager=manager)
            except Exception:
                return str(node)
        return str(node)

    def _str_blank(self, graph: Graph, role: str, node: BNode, depth: int) -> str:
        if depth >= 12:
            # pySHACL cuts the text here, and caches texts made at any depth: which text it
            # gives then depends on what it wrote before. Too uncertain to imitate.
            raise ShaclRuntimeError(
                "a message would show a cyclic or deeply nested blank node: validate with pySHACL"
            )
        key = (role, node)
        if key in self._strings:
            return self._strings[key]
        manager = self._namespaces(graph, role)
        predicates = list(graph.predicates(node, None))
        if not predicates:
            return "[ ]"
        if RDF.first in predicates:
            items = [self._str(graph, role, i, depth + 1) for i in graph.items(node)]
            return "( {} )".format(" ".join(items))
        parts: dict[str, str] = {}
        for p in predicates:
            texts = [self._str(graph, role, o, depth + 1) for o in graph.objects(node, p)]
            if not texts:
                continue
            parts[p.n3(namespace_manager=manager)] = ", ".join(sorted(texts))
        if len(parts) > 1:
            body = " ; ".join(f"{p} {o}" for p, o in sorted(parts.items()))
        else:
            body = " ".join(next(iter(parts.items())))
        text = f"[ {body} ]"
        self._strings[key] = text
        return text

    # ---------------------------------------------------------------- the report

    def report(self, conforms: bool) -> Graph:
        """The W3C validation report, built as pySHACL builds it."""
        report = Graph(bind_namespaces="core")
        for prefix, namespace in self.shapes_graph.namespace_manager.namespaces():
            report.namespace_manager.bind(prefix, namespace)
        root = BNode()
        report.add((root, RDF.type, SH.ValidationReport))
        report.add((root, SH.conforms, Literal(conforms)))
        copier = _Copier(report)
        # pySHACL takes a focus node from the shapes graph when the data graph is empty.
        focus_graph = self.shapes_graph if not self.pairs() else self.graph
        for r in self.results:
            node = BNode()
            report.add((root, SH.result, node))
            report.add((node, RDF.type, SH.ValidationResult))
            report.add(
                (node, SH.sourceConstraintComponent, copier.copy(self.shapes_graph, r.component))
            )
            report.add((node, SH.sourceShape, copier.copy(self.shapes_graph, r.shape.node)))
            report.add((node, SH.resultSeverity, r.shape.severity))
            report.add((node, SH.focusNode, copier.copy(focus_graph, r.focus)))
            if r.value is not None:
                report.add((node, SH.value, copier.copy(self.graph, r.value)))
            path = r.path if r.path is not None else r.shape.path
            if path is not None:
                report.add((node, SH.resultPath, copier.copy(self.shapes_graph, path)))
            if r.source_constraint is not None:
                report.add(
                    (node, SH.sourceConstraint, copier.copy(self.shapes_graph, r.source_constraint))
                )
            for message in r.messages:
                report.add((node, SH.resultMessage, message))
        return report


_RESULT_VARS = ("this", "path", "value")
# The variable that numbers the focus nodes of a VALUES block (refused in queries).
_FOCUS_INDEX = "kgbuild_shacl_focus"


# Datatypes whose literals Oxigraph stores by value; the integer ones all as xsd:integer.
_INTEGER_TYPES = _WHOLE_INTEGERS | {XSD.byte}
_BY_VALUE_TYPES = _INTEGER_TYPES | {
    XSD.decimal, XSD.double, XSD.float, XSD.boolean, XSD.date, XSD.dateTime, XSD.time,
}  # fmt: skip


def _value_key(datatype: URIRef, value: Any) -> tuple[str, Any] | None:
    """A literal as Oxigraph stores it: its (canonical) datatype and value."""
    if datatype not in _BY_VALUE_TYPES or value is None:
        return None
    return str(XSD.integer if datatype in _INTEGER_TYPES else datatype), value


def _literal_key(term: Any) -> tuple[str, str]:
    """An Oxigraph literal's lexical form and language or datatype."""
    if term.language:
        return term.value, "@" + term.language.lower()
    return term.value, term.datatype.value


def _rdflib_literal_key(term: Literal) -> tuple[str, str]:
    """The same key for an rdflib literal."""
    if term.language:
        return str(term), "@" + term.language.lower()
    return str(term), str(term.datatype or XSD.string)


def _fill(message: str, bound: dict[str, Node]) -> str:
    """pySHACL's message templates: {?name} and {$name} become the value bound to name."""
    for name, value in bound.items():
        message = re.sub("{[?$]" + name + "}", str(value), message)
    return message


class _Copier:
    """Copies nodes into the report as pySHACL does: literals as they are, IRIs by name, blank
    nodes with everything they point to (nested blank nodes copied afresh each time)."""

    def __init__(self, report: Graph) -> None:
        self.report = report
        self.done: dict[tuple[int, str], Node] = {}

    def copy(self, source: Graph, node: Node) -> Node:
        if isinstance(node, Literal):
            return node
        key = (id(source), str(node))
        found = self.done.get(key)
        if found is None:
            if isinstance(node, BNode):
                found = self._blank(source, node, True, 0)
            else:
                found = URIRef(str(node))
            self.done[key] = found
        return found

    def _node(self, source: Graph, node: Node, depth: int) -> Node:
        if isinstance(node, Literal):
            return Literal(str(node), node.language, node.datatype)
        if isinstance(node, BNode):
            return self._blank(source, node, False, depth + 1)
        return URIRef(str(node))

    def _blank(self, source: Graph, node: BNode, keep_id: bool, depth: int) -> Node:
        copy = BNode(str(node)) if keep_id else BNode()
        if depth >= 10:
            return copy
        predicates = set(source.predicates(node, None))
        if not predicates:
            return copy
        if RDF.first in predicates:
            cell = copy
            items = list(source.items(node))
            for k, item in enumerate(items):
                self.report.add((cell, RDF.first, self._node(source, item, depth + 1)))
                rest = BNode() if k + 1 < len(items) else RDF.nil
                self.report.add((cell, RDF.rest, rest))
                cell = rest
            return copy
        for p in predicates:
            copied_p = self._node(source, p, depth + 1)
            for o in source.objects(node, p):
                self.report.add((copy, copied_p, self._node(source, o, depth + 1)))
        return copy
