"""The SHACL shapes of ontology/shapes/ and their fixtures in tests/shapes/.

Every shape (node shape or property shape, all with kgsh: IRIs) has at least one valid and one
invalid fixture, named ``<shape local name>-valid-NN`` and ``<shape local name>-invalid-NN``:

- ``.yaml`` fixtures are YAML-LD data files, loaded with the real loader; their nodes have ids
  under ``fixture/``;
- ``.ttl`` fixtures (for the ontology-lint shapes) are extra ontology files; the terms they
  define are the fixture terms.

The first line of a fixture is a comment saying why it passes or fails, in the form
``# valid: ...`` or ``# invalid, <Violation|Warning>: ...``, the expected severity.

Which results count as "from the shape": a result whose sh:sourceShape is the shape itself; for
a node shape, also a result from one of its own property shapes (sh:property), since a node
shape made only of property shapes reports nothing under its own IRI. A property shape's
fixture must hit exactly that property shape.

- An invalid fixture must produce at least one result from the shape, with the expected
  severity, whose focus node is a fixture node (or fixture term).
- A valid fixture must produce no result from the shape on a fixture node, and none on the
  base graph beyond those the base graph produces without the fixture.

The base graph: fixtures are not validated with the whole real data, but with a small base
graph built once per session (``fixture_world``): the ontology, the records (triples) of the
real nodes the fixtures refer to, the records of the real nodes a cross-node rule compares a
fixture node with (for the fixture of a shape with SHACL-SPARQL constraints, those that point
at a real node the fixture points at, with a property a query of the shape names: passages of
the same document, legs of the same route...),
and the rdf:type of every real node those records mention. A YAML fixture is loaded with the
real loader from a folder holding it and stub records (id and type) for the real nodes it refers
to. Each fixture is validated with kgbuild.shacl, the fast engine, restricted to the node shape
under test (the parent node shape for a property shape), since no shape of this project depends
on another's results; tests/test_shacl.py checks the same fixtures with pySHACL too. The full
shapes run on the real data once, in the conformance and warnings tests.
"""

from __future__ import annotations

import contextlib
import functools
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from kgbuild import shacl
from kgbuild.load import LoadedData, load_context, load_data, read_records
from kgbuild.namespaces import ID_BASE
from kgbuild.ontology import load_ontology, load_shapes, load_turtle_files

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "shapes"
KGSH = Namespace("https://w3id.org/kgbuild/shapes#")
GENERATED = (ID_BASE + "statement/", ID_BASE + "attestation/")
FIXTURE_BASE = f"{ID_BASE}fixture/"
# The file a YAML fixture is copied to, next to the stub records of the real nodes.
FIXTURE_NAME = "zz-fixture"

YAML_FIXTURES = sorted(FIXTURES.glob("*.yaml"))
TTL_FIXTURES = sorted(FIXTURES.glob("*.ttl"))
NAME_RE = re.compile(r"(?P<shape>.+)-(?P<kind>valid|invalid)-(?P<n>\d{2})\.(?:yaml|ttl)")
FIRST_LINE_RE = re.compile(r"# (?P<kind>valid|invalid, (?P<severity>Violation|Warning)): \S.*")
# A reference in a YAML record: a relative id, or a prefixed one.
REFERENCE_RE = re.compile(r"(?:(?P<prefix>[A-Za-z][\w.-]*):)?(?P<rest>[A-Za-z0-9._~/-]+)")

# The warnings the real data produce, as (shape, focus), each acceptable (docs/validation.md):
# buildings and monuments no report locates more closely than their town (which has a point);
# areas without one boundary (the peacekeeping zone, the returned or adjacent districts, the
# Stepanakert-held area), where one point would be invented; an unnamed border crossing; roads
# the reports describe without saying whether they are open.
EXPECTED_WARNINGS = [
    ("S16-LocatablePlace-point", "place/aghdam-19th-century-mausoleum"),
    ("S16-LocatablePlace-point", "place/aghdam-chest-shaped-monuments"),
    ("S16-LocatablePlace-point", "place/barda-station"),
    ("S16-LocatablePlace-point", "place/hatem-malik-fortress"),
    ("S16-LocatablePlace-point", "place/karabakh-stepanakert-held-area"),
    ("S16-LocatablePlace-point", "place/khanoglu-mausoleum"),
    ("S16-LocatablePlace-point", "place/lachin-administrative-building"),
    ("S16-LocatablePlace-point", "place/lachin-municipality-building"),
    ("S16-LocatablePlace-point", "place/northern-border-crossing"),
    ("S16-LocatablePlace-point", "place/panakh-khan-mansion"),
    ("S16-LocatablePlace-point", "place/panakh-khan-mausoleum"),
    ("S16-LocatablePlace-point", "place/peacekeeping-zone"),
    ("S16-LocatablePlace-point", "place/returned-territories"),
    ("S16-LocatablePlace-point", "place/sardaba-aghdam"),
    ("S16-LocatablePlace-point", "place/seven-adjacent-districts"),
    ("S16-LocatablePlace-point", "place/shahbulag-mosque"),
    ("S20-RouteStatus-present", "route/existing-kalbajar-road"),
    ("S20-RouteStatus-present", "route/road-to-stepanakert-28-km"),
    ("S20-RouteStatus-present", "route/sugovushan-road"),
]

Triple = tuple[Node, Node, Node]


@dataclass(frozen=True)
class Hit:
    """One validation result, reduced to what the fixture tests compare."""

    shape: URIRef
    severity: URIRef
    focus: URIRef
    value: object  # path is left out: an alternative path is a fresh blank node per run


@dataclass
class Fixture:
    """A fixture file, loaded: what it adds to the base graph."""

    path: Path
    shape: URIRef  # the shape its name names
    kind: str  # valid or invalid
    first_line: str
    triples: list[Triple] = field(default_factory=list)
    nodes: set[URIRef] = field(default_factory=set)  # its nodes (or ontology terms)
    error: str = ""  # why it could not be loaded


@dataclass
class FixtureWorld:
    """The real ontology, shapes and data, the small base graph and every fixture, loaded."""

    ontology: Graph
    shapes: Graph
    real: LoadedData
    base: Graph  # the ontology and the real records the fixtures need
    fixtures: list[Fixture]
    _base_hits: dict[tuple[URIRef, ...], set[Hit]] = field(default_factory=dict)
    _base_triples: list[Triple] | None = None
    _added: list[Triple] = field(default_factory=list)

    @property
    def real_graph(self) -> Graph:
        return self.real.graph

    @contextlib.contextmanager
    def with_fixture(self, fixture: Fixture) -> Iterator[Graph]:
        """The base graph with the fixture's triples in it, for the duration (validation
        does not change the graph, so adding and removing a few triples beats copying)."""
        if self._base_triples is None:
            self._base_triples = list(self.base)
        added = [t for t in dict.fromkeys(fixture.triples) if t not in self.base]
        for triple in added:
            self.base.add(triple)
        self._added = added
        try:
            yield self.base
        finally:
            self._added = []
            for triple in added:
                self.base.remove(triple)

    def fast(self, run: list[URIRef]) -> tuple[bool, Graph]:
        """kgbuild.shacl on the graph as it is now (with a fixture in it, inside with_fixture),
        given its triples as a list, as a build gives them: reading them out of the rdflib graph
        again for each fixture took longer than validating them."""
        if self._base_triples is None:
            self._base_triples = list(self.base)
        return shacl.validate(self.base, self.shapes, run, self._base_triples + self._added)

    def base_hits(self, run: list[URIRef]) -> set[Hit]:
        """The results of the base graph alone, with the shapes ``run``."""
        key = tuple(run)
        if key not in self._base_hits:
            _, report = self.fast(run)
            self._base_hits[key] = results_of_fixture(report)
        return self._base_hits[key]


# --------------------------------------------------------------------------------------------
# Building the fixture world (once per process: tests/test_shacl.py uses it too)


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _referenced(path: Path, prefixes: dict[str, str], real_nodes: set[URIRef]) -> set[URIRef]:
    """The real data nodes a YAML fixture names anywhere in its records."""
    found = set()
    for text in _strings(list(read_records(path))):
        m = REFERENCE_RE.fullmatch(text)
        if m is None:
            continue
        prefix = m["prefix"]
        if prefix is None:
            iri = URIRef(ID_BASE + text)
        elif prefix in prefixes:
            iri = URIRef(prefixes[prefix] + m["rest"])
        else:
            continue
        if iri in real_nodes:
            found.add(iri)
    return found


def _compared_by(shapes: Graph, shape: URIRef) -> set[URIRef]:
    """The IRIs the SHACL-SPARQL constraints of a shape (or of its parent node shape) name:
    the properties through which a cross-node rule compares nodes."""
    prefixes = {
        str(shapes.value(d, SH.prefix)): str(shapes.value(d, SH.namespace))
        for d in shapes.objects(None, SH.declare)
    }
    owners = {shape, *shapes.subjects(SH.property, shape)}
    owners |= {p for o in list(owners) for p in shapes.objects(o, SH.property)}
    texts = [
        str(q)
        for o in owners
        for c in shapes.objects(o, SH.sparql)
        for q in shapes.objects(c, SH.select)
    ]
    found = set()
    for text in texts:
        found.update(URIRef(iri) for iri in re.findall(r"<([^<>\s]+)>", text))
        for prefix, local in re.findall(r"\b([A-Za-z][\w-]*):([A-Za-z_][\w-]*)", text):
            if prefix in prefixes:
                found.add(URIRef(prefixes[prefix] + local))
    return found


def _load_yaml_fixture(fixture: Fixture, folder: Path, ontology: Graph) -> None:
    target = folder / f"{FIXTURE_NAME}.yaml"
    shutil.copy(fixture.path, target)
    try:
        loaded = load_data(folder, ontology)
    except Exception as exc:  # reported by the fixture's own test
        fixture.error = f"cannot load: {exc}"
        return
    finally:
        target.unlink()
    fixture.triples = list(loaded.graph)
    # The fixture's nodes, and the attestations and reified statements made from its records.
    fixture.nodes = {n for n, (file, _) in loaded.locations.items() if file == target}
    defined = {n for n in fixture.nodes if not str(n).startswith(GENERATED)}
    if any(not str(n).startswith(FIXTURE_BASE) for n in defined):
        fixture.error = "give every fixture node an id under fixture/"


def _load_ttl_fixture(fixture: Fixture, folder: Path) -> None:
    shutil.copy(fixture.path, folder / fixture.path.name)
    try:
        graph = load_turtle_files(folder, "fixture", "fix the fixture")
    except Exception as exc:  # reported by the fixture's own test
        fixture.error = f"cannot load: {exc}"
        return
    finally:
        (folder / fixture.path.name).unlink()
    fixture.triples = list(graph)
    fixture.nodes = {s for s in graph.subjects() if isinstance(s, URIRef)}


@functools.cache
def fixture_world() -> FixtureWorld:
    """Load the real ontology, shapes and data, every fixture, and build the base graph."""
    ontology = load_ontology(ROOT / "ontology")
    shapes = load_shapes(ROOT / "ontology")
    real = load_data(ROOT / "data", ontology)
    real_graph = real.graph
    real_nodes = set(real.locations)
    context = load_context(ROOT / "data")
    fixtures = []
    for path in YAML_FIXTURES + TTL_FIXTURES:
        match = NAME_RE.fullmatch(path.name)
        first = path.read_text(encoding="utf-8").splitlines()[:1]
        fixtures.append(
            Fixture(
                path,
                KGSH[match["shape"]] if match else KGSH[path.stem],
                match["kind"] if match else "",
                first[0] if first else "",
            )
        )

    referenced: dict[Path, set[URIRef]] = {
        f.path: _referenced(f.path, context.prefixes, real_nodes)
        for f in fixtures
        if f.path.suffix == ".yaml"
    }
    needed = set().union(*referenced.values())
    term_of = {iri: term for term, iri in context.names.items()}
    # Stub records: id, type and label (attestations are labelled after what they cite).
    stubs = [
        {
            "id": str(node)[len(ID_BASE) :],
            "type": sorted(term_of[str(t)] for t in real_graph.objects(node, RDF.type)),
            **({"label": str(label)} if (label := real_graph.value(node, RDFS.label)) else {}),
        }
        for node in sorted(needed)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        folder.mkdir()
        shutil.copy(ROOT / "data" / "context.jsonld", folder / "context.jsonld")
        (folder / "base.yaml").write_text(
            yaml.safe_dump({"@context": "context.jsonld", "@graph": stubs}, allow_unicode=True),
            encoding="utf-8",
        )
        turtle = Path(tmp) / "ontology"
        turtle.mkdir()
        for fixture in fixtures:
            if fixture.path.suffix == ".yaml":
                _load_yaml_fixture(fixture, folder, ontology)
            else:
                _load_ttl_fixture(fixture, turtle)

    # The real nodes a cross-node rule may compare a fixture node with.
    for fixture in fixtures:
        compared = _compared_by(shapes, fixture.shape)
        for _, p, o in fixture.triples:
            if p in compared and o in referenced.get(fixture.path, ()):
                needed.update(s for s in real_graph.subjects(p, o) if s in real_nodes)
    base = Graph()
    base += ontology
    for node in needed:
        for p, o in real_graph.predicate_objects(node):
            base.add((node, p, o))
            if o in real_nodes:
                for cls in real_graph.objects(o, RDF.type):
                    base.add((o, RDF.type, cls))
    return FixtureWorld(ontology, shapes, real, base, fixtures)


# --------------------------------------------------------------------------------------------
# Helpers


def shape_iris(shapes: Graph) -> set[URIRef]:
    return {
        s
        for kind in (SH.NodeShape, SH.PropertyShape)
        for s in shapes.subjects(RDF.type, kind)
        if isinstance(s, URIRef)
    }


def local(iri: URIRef) -> str:
    return str(iri).removeprefix(str(KGSH))


def counted_shapes(shapes: Graph, shape: URIRef) -> set[URIRef]:
    """The shapes whose results count for ``shape`` (see the module docstring)."""
    if (shape, RDF.type, SH.NodeShape) in shapes:
        return {shape, *shapes.objects(shape, SH.property)}
    return {shape}


def shapes_to_run(shapes: Graph, shape: URIRef) -> list[URIRef]:
    """The node shape(s) holding ``shape`` and their property shapes (pySHACL's use_shapes
    needs the property shapes listed too: it silently skips those it is not given)."""
    if (shape, RDF.type, SH.NodeShape) in shapes:
        parents = [shape]
    else:
        parents = sorted(shapes.subjects(SH.property, shape))
        assert parents, f"property shape {local(shape)} belongs to no node shape"
    return [*parents, *sorted({p for n in parents for p in shapes.objects(n, SH.property)})]


def results_of_fixture(report: Graph) -> set[Hit]:
    return {
        Hit(
            report.value(r, SH.sourceShape),
            report.value(r, SH.resultSeverity),
            report.value(r, SH.focusNode),
            report.value(r, SH.value),
        )
        for r in report.subjects(RDF.type, SH.ValidationResult)
    }


def fixture_problem(
    world: FixtureWorld, fixture: Fixture, hits: set[Hit], base_hits: set[Hit] | None = None
) -> str:
    """Why ``hits`` (the results of the fixture's run) do not give the fixture the outcome its
    first line states; '' when they do. ``base_hits``: the results of the same run on the base
    graph alone (by default the fast engine's)."""
    name = fixture.path.name
    first_line = FIRST_LINE_RE.fullmatch(fixture.first_line)
    assert first_line, name
    counted = counted_shapes(world.shapes, fixture.shape)
    hits = {h for h in hits if h.shape in counted}
    on_fixture = {h for h in hits if h.focus in fixture.nodes}
    if fixture.kind == "invalid":
        severity = SH[first_line["severity"]]
        if not any(h.severity == severity for h in on_fixture):
            found = sorted((local(h.shape), str(h.severity), str(h.focus)) for h in hits)
            return (
                f"{name}: expected a {first_line['severity']} from {local(fixture.shape)} "
                f"on a fixture node, got {found}"
            )
        return ""
    if on_fixture:
        return f"{name}: {sorted(map(str, on_fixture))}"
    if base_hits is None:
        base_hits = world.base_hits(shapes_to_run(world.shapes, fixture.shape))
    new = hits - base_hits
    if new:
        return f"{name}: new results on the base graph: {sorted(map(str, new))}"
    return ""


# --------------------------------------------------------------------------------------------
# Session fixtures


@pytest.fixture(scope="session")
def world() -> FixtureWorld:
    return fixture_world()


@pytest.fixture(scope="session")
def shapes(world: FixtureWorld) -> Graph:
    return world.shapes


@pytest.fixture(scope="session")
def real_report(world: FixtureWorld) -> tuple[bool, list[Hit], Graph]:
    graph = Graph()
    graph += world.real_graph
    graph += world.ontology
    conforms, report = shacl.validate(graph, world.shapes)
    return conforms, sorted(results_of_fixture(report), key=str), report


@pytest.fixture(scope="session")
def fixture_hits() -> dict[tuple, set[Hit]]:
    """Results by (fixture content, shapes run): a node shape's fixture often repeats one of
    its property shapes' fixtures."""
    return {}


# --------------------------------------------------------------------------------------------
# The shapes files


def test_fixture_globs_find_files():
    assert len(YAML_FIXTURES) > 100, "no YAML fixtures found in tests/shapes/"
    assert TTL_FIXTURES, "no Turtle fixtures found in tests/shapes/"


def test_every_shape_has_a_valid_and_an_invalid_fixture(shapes):
    shape_names = {local(s) for s in shape_iris(shapes)}
    assert len(shape_names) > 100
    kinds: dict[str, set[str]] = {}
    for path in YAML_FIXTURES + TTL_FIXTURES:
        match = NAME_RE.fullmatch(path.name)
        assert match, f"{path.name}: name it <shape>-valid-NN or <shape>-invalid-NN"
        kinds.setdefault(match["shape"], set()).add(match["kind"])
    assert sorted(set(kinds) - shape_names) == [], "fixtures for shapes that do not exist"
    missing = sorted(
        f"{name}-{kind}"
        for name in shape_names
        for kind in ("valid", "invalid")
        if kind not in kinds.get(name, set())
    )
    assert missing == []


def test_shapes_have_iris_messages_and_no_blank_node_shapes(shapes):
    shape_like = set(shape_iris(shapes))
    for kind in (SH.NodeShape, SH.PropertyShape):
        shape_like.update(shapes.subjects(RDF.type, kind))
    shape_like.update(shapes.objects(None, SH.property))
    shape_like.update(s for s in shapes.subjects(SH.path, None))
    blank = [s for s in shape_like if not isinstance(s, URIRef)]
    assert blank == [], "every shape needs an IRI"
    for shape in shape_like:
        assert str(shape).startswith(str(KGSH)), shape
        assert re.fullmatch(r"S\d{2}-[A-Za-z0-9]+(-[A-Za-z0-9]+)*", local(shape)), shape
        messages = [
            m for m in shapes.objects(shape, SH.message) if isinstance(m, Literal) and m.language
        ]
        assert [m.language for m in messages] == ["en"], f"{local(shape)}: one sh:message @en"
        if shape in set(shapes.objects(None, SH.property)):
            assert (shape, RDF.type, SH.PropertyShape) in shapes, local(shape)
    # Each SHACL-SPARQL constraint says what is wrong in its own words too.
    for constraint in shapes.objects(None, SH.sparql):
        assert (constraint, SH.message, None) in shapes


def test_the_fast_engine_runs_every_shape(shapes):
    """If this fails, kgbuild.validate falls back to pySHACL: slow, but right."""
    assert shacl.unsupported(shapes) == []


def test_every_class_the_data_uses_is_targeted_by_a_node_shape(world, shapes):
    graph = world.ontology
    targeted = set(shapes.objects(None, SH.targetClass))
    used = set(world.real_graph.objects(None, RDF.type))
    untargeted = sorted(
        str(c)
        for c in used
        if not any(t in targeted for t in graph.transitive_objects(c, RDFS.subClassOf))
    )
    assert untargeted == []


# --------------------------------------------------------------------------------------------
# The fixtures


@pytest.mark.parametrize("path", YAML_FIXTURES + TTL_FIXTURES, ids=lambda p: p.name)
def test_fixture(path, world, shapes, fixture_hits):
    match = NAME_RE.fullmatch(path.name)
    assert match, path.name
    shape = KGSH[match["shape"]]
    assert shape in shape_iris(shapes), f"{path.name}: no shape {local(shape)}"
    first_line = FIRST_LINE_RE.fullmatch(path.read_text(encoding="utf-8").splitlines()[0])
    assert first_line, (
        f"{path.name}: the first line must be '# valid: why' or '# invalid, <Severity>: why'"
    )
    assert first_line["kind"].split(",")[0] == match["kind"], (
        f"{path.name}: first line and name disagree"
    )

    fixture = next(f for f in world.fixtures if f.path == path)
    assert not fixture.error, f"{path.name}: {fixture.error}"
    assert fixture.nodes, f"{path.name} defines no fixture node"
    run = shapes_to_run(shapes, shape)
    key = (frozenset(fixture.triples), tuple(run))
    if key not in fixture_hits:
        with world.with_fixture(fixture):
            fixture_hits[key] = results_of_fixture(world.fast(run)[1])
    assert fixture_problem(world, fixture, fixture_hits[key]) == ""


# --------------------------------------------------------------------------------------------
# The real data


def test_real_data_conform(real_report):
    conforms, hits, _ = real_report
    assert conforms
    assert [(str(h.focus), local(h.shape)) for h in hits if h.severity == SH.Violation] == []


def test_real_data_warnings_are_the_known_ones(real_report):
    _, hits, report = real_report
    warnings = sorted(
        (local(h.shape), str(h.focus).removeprefix(ID_BASE))
        for h in hits
        if h.severity == SH.Warning
    )
    assert warnings == EXPECTED_WARNINGS
    assert not [h for h in hits if h.severity not in (SH.Violation, SH.Warning)]
    assert len(list(report.subjects(RDF.type, SH.ValidationResult))) == len(EXPECTED_WARNINGS)
