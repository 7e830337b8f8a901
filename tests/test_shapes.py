"""The SHACL shapes of ontology/shapes/ and their fixtures in tests/shapes/.

Every shape (node shape or property shape, all with kgsh: IRIs) has at least one valid and one
invalid fixture, named ``<shape local name>-valid-NN`` and ``<shape local name>-invalid-NN``:

- ``.yaml`` fixtures are YAML-LD data files added to a copy of the real data and loaded with the
  real loader; their nodes have ids under ``fixture/``;
- ``.ttl`` fixtures (for the ontology-lint shapes) are extra ontology files added to a copy of
  ``ontology/``; the terms they define are the fixture terms.

The first line of a fixture is a comment saying why it passes or fails, in the form
``# valid: ...`` or ``# invalid, <Violation|Warning>: ...``, the expected severity.

Which results count as "from the shape": a result whose sh:sourceShape is the shape itself; for
a node shape, also a result from one of its own property shapes (sh:property), since a node
shape made only of property shapes reports nothing under its own IRI. A property shape's
fixture must hit exactly that property shape.

- An invalid fixture must produce at least one result from the shape, with the expected
  severity, whose focus node is a fixture node (or fixture term).
- A valid fixture must produce no result from the shape on a fixture node, and none on the real
  data beyond those the real data produce without the fixture.

Speed: the real data and ontology are copied once per session; each fixture is loaded once and
its graph validated once, with pySHACL run as kgbuild.validate.validate_graph runs it but
restricted (``use_shapes``) to the node shape under test (the parent node shape for a property
shape), since no shape of this project depends on another's results. The full shapes run on the
real data once, in the conformance and warnings tests.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyshacl
import pytest
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import SH

from kgbuild.load import LoadedData, load_data
from kgbuild.namespaces import ID_BASE
from kgbuild.ontology import load_ontology, load_shapes
from kgbuild.validate import ValidationReport, validate_graph

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "shapes"
KGSH = Namespace("https://w3id.org/kgbuild/shapes#")
FIXTURE_BASE = f"{ID_BASE}fixture/"
# The file a fixture is copied to in the data or ontology copy; sorts after the real files.
FIXTURE_NAME = "zz-fixture"

YAML_FIXTURES = sorted(FIXTURES.glob("*.yaml"))
TTL_FIXTURES = sorted(FIXTURES.glob("*.ttl"))
NAME_RE = re.compile(r"(?P<shape>.+)-(?P<kind>valid|invalid)-(?P<n>\d{2})\.(?:yaml|ttl)")
FIRST_LINE_RE = re.compile(r"# (?P<kind>valid|invalid, (?P<severity>Violation|Warning)): \S.*")

# The warnings the real data produce, as (shape, focus). Each is acceptable; see README.md.
EXPECTED_WARNINGS = [
    ("S16-LocatablePlace-point", "place/barda-station"),
    ("S16-LocatablePlace-point", "place/lachin-municipality-building"),
    ("S16-LocatablePlace-point", "place/northern-border-crossing"),
    ("S16-LocatablePlace-point", "place/peacekeeping-zone"),
    ("S16-LocatablePlace-point", "place/returned-territories"),
    ("S20-RouteStatus-present", "route/existing-kalbajar-road"),
]


@dataclass(frozen=True)
class Hit:
    """One validation result, reduced to what the fixture tests compare."""

    shape: URIRef
    severity: URIRef
    focus: URIRef
    value: object  # path is left out: an alternative path is a fresh blank node per run


@dataclass
class Workspace:
    root: Path
    ontology: Graph  # the real ontology, loaded from the copy
    data: LoadedData  # the real data, loaded from the copy

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def ontology_dir(self) -> Path:
        return self.root / "ontology"


# --------------------------------------------------------------------------------------------
# Session fixtures


@pytest.fixture(scope="session")
def shapes() -> Graph:
    return load_shapes(ROOT / "ontology")


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("shapes")
    shutil.copytree(ROOT / "data", root / "data")
    (root / "ontology").mkdir()
    for path in (ROOT / "ontology").glob("*.ttl"):
        shutil.copy(path, root / "ontology" / path.name)
    ontology = load_ontology(root / "ontology")
    return Workspace(root, ontology, load_data(root / "data", ontology))


@pytest.fixture(scope="session")
def fixture_graphs() -> dict[bytes, tuple[Graph, set[URIRef]]]:
    """Loaded fixtures by file content: a node shape's fixture often repeats one of its property
    shapes' fixtures, and validation (without inference or rules) leaves the graph unchanged."""
    return {}


@pytest.fixture(scope="session")
def real_report(workspace: Workspace, shapes: Graph) -> ValidationReport:
    graph = Graph()
    graph += workspace.data.graph
    graph += workspace.ontology
    return validate_graph(graph, shapes)


@pytest.fixture(scope="session")
def real_hits(real_report: ValidationReport) -> set[Hit]:
    return {Hit(r.shape, r.severity, r.focus, r.value) for r in real_report.results}


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


def load_fixture(path: Path, ws: Workspace) -> tuple[Graph, set[URIRef]]:
    """Ontology + data with the fixture added, and the fixture's nodes (or terms)."""
    if path.suffix == ".yaml":
        target = ws.data_dir / f"{FIXTURE_NAME}.yaml"
        shutil.copy(path, target)
        try:
            loaded = load_data(ws.data_dir, ws.ontology)
        finally:
            target.unlink()
        graph = loaded.graph  # a fresh graph: add the ontology in place rather than copy both
        graph += ws.ontology
        nodes = {n for n in loaded.locations if str(n).startswith(FIXTURE_BASE)}
        assert nodes == {n for n, (file, _) in loaded.locations.items() if file == target}, (
            f"{path.name}: give every fixture node an id under fixture/"
        )
    else:
        target = ws.ontology_dir / f"{FIXTURE_NAME}.ttl"
        shutil.copy(path, target)
        try:
            ontology = load_ontology(ws.ontology_dir)
        finally:
            target.unlink()
        graph = ontology  # fresh from this fixture's load
        graph += ws.data.graph
        nodes = {
            s for s in Graph().parse(path, format="turtle").subjects() if isinstance(s, URIRef)
        }
    assert nodes, f"{path.name} defines no fixture node"
    return graph, nodes


def counted_shapes(shapes: Graph, shape: URIRef) -> set[URIRef]:
    """The shapes whose results count for ``shape`` (see the module docstring)."""
    if (shape, RDF.type, SH.NodeShape) in shapes:
        return {shape, *shapes.objects(shape, SH.property)}
    return {shape}


def shapes_to_run(shapes: Graph, shape: URIRef) -> list[URIRef]:
    """The node shape(s) holding ``shape`` and their property shapes. (pySHACL's use_shapes
    must list the property shapes too: it silently skips those it is not given.)"""
    if (shape, RDF.type, SH.NodeShape) in shapes:
        parents = [shape]
    else:
        parents = sorted(shapes.subjects(SH.property, shape))
        assert parents, f"property shape {local(shape)} belongs to no node shape"
    return [*parents, *sorted({p for n in parents for p in shapes.objects(n, SH.property)})]


def run_shape(graph: Graph, shapes: Graph, shape: URIRef) -> set[Hit]:
    """Validate once, with the options of kgbuild.validate.validate_graph, restricted to the
    node shape(s) that hold ``shape``."""
    _, report, _ = pyshacl.validate(
        graph,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
        allow_infos=True,
        abort_on_first=False,
        meta_shacl=False,
        inplace=True,
        use_shapes=shapes_to_run(shapes, shape),
    )
    return {
        Hit(
            report.value(r, SH.sourceShape),
            report.value(r, SH.resultSeverity),
            report.value(r, SH.focusNode),
            report.value(r, SH.value),
        )
        for r in report.subjects(RDF.type, SH.ValidationResult)
    }


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


def test_every_class_the_data_uses_is_targeted_by_a_node_shape(workspace, shapes):
    graph = workspace.ontology
    targeted = set(shapes.objects(None, SH.targetClass))
    used = set(workspace.data.graph.objects(None, RDF.type))
    untargeted = sorted(
        str(c)
        for c in used
        if not any(t in targeted for t in graph.transitive_objects(c, RDFS.subClassOf))
    )
    assert untargeted == []


# --------------------------------------------------------------------------------------------
# The fixtures


@pytest.mark.parametrize("path", YAML_FIXTURES + TTL_FIXTURES, ids=lambda p: p.name)
def test_fixture(path, workspace, shapes, real_hits, fixture_graphs):
    match = NAME_RE.fullmatch(path.name)
    assert match, path.name
    shape = KGSH[match["shape"]]
    assert shape in shape_iris(shapes), f"{path.name}: no shape {local(shape)}"
    first = path.read_text(encoding="utf-8").splitlines()[0]
    first_line = FIRST_LINE_RE.fullmatch(first)
    assert first_line, (
        f"{path.name}: the first line must be '# valid: why' or '# invalid, <Severity>: why'"
    )
    assert first_line["kind"].split(",")[0] == match["kind"], (
        f"{path.name}: first line and name disagree"
    )

    content = path.read_bytes()
    if content not in fixture_graphs:
        fixture_graphs[content] = load_fixture(path, workspace)
    graph, nodes = fixture_graphs[content]
    counted = counted_shapes(shapes, shape)
    hits = {h for h in run_shape(graph, shapes, shape) if h.shape in counted}
    on_fixture = {h for h in hits if h.focus in nodes}
    if match["kind"] == "invalid":
        severity = SH[first_line["severity"]]
        assert any(h.severity == severity for h in on_fixture), (
            f"{path.name}: expected a {first_line['severity']} from {local(shape)} on a fixture "
            f"node, got {sorted((local(h.shape), h.severity, str(h.focus)) for h in hits)}"
        )
    else:
        assert on_fixture == set(), f"{path.name}: {sorted(map(str, on_fixture))}"
        assert hits - real_hits == set(), f"{path.name}: new results on the real data"


# --------------------------------------------------------------------------------------------
# The real data


def test_real_data_conform(real_report):
    assert [
        (r.severity_name, str(r.focus), local(r.shape), r.message) for r in real_report.violations
    ] == []


def test_real_data_warnings_are_the_known_ones(real_report):
    warnings = sorted(
        (local(r.shape), str(r.focus).removeprefix(ID_BASE)) for r in real_report.warnings
    )
    assert warnings == EXPECTED_WARNINGS
    assert not real_report.infos
