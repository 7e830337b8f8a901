"""kgbuild validate and the validation in build, on the mini project with its own shapes."""

from __future__ import annotations

import json
import textwrap

import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import SH
from rdflib.plugins.sparql.processor import SPARQLProcessor

from conftest import run_module
from kgbuild.build import build
from kgbuild.namespaces import ID_BASE, KG
from kgbuild.naming import Locator, compact, locate_term
from kgbuild.validate import ShapeViolations, validate_inputs

HEAD = '"@context": context.jsonld\n"@graph":\n'
PREVIOUS = b"# an earlier build\n"

# Shapes for these tests, next to the mini project's own (which the mini data meet).
SHAPES = """\
@prefix kg: <https://w3id.org/kgbuild/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix t: <https://w3id.org/kgbuild/test-shapes#> .

t:District a sh:NodeShape ;
    sh:targetClass kg:District ;
    sh:property [
        sh:path kg:partOf ; sh:minCount 1 ;
        sh:message "A district is part of a country."@en , "Ein Bezirk."@de ;
    ] ;
    sh:property [
        sh:path [ sh:inversePath kg:occurredIn ] ; sh:minCount 1 ; sh:severity sh:Warning ;
        sh:message "Nothing happened in this district."@en ;
    ] .

t:Classes a sh:NodeShape ;
    sh:targetNode kg:District ;
    sh:property [
        sh:path ( rdfs:subClassOf rdfs:subClassOf ) ; sh:minCount 1 ; sh:severity sh:Info ;
        sh:message "A district class has a grandparent class."@en ;
    ] .

t:Sparql a sh:NodeShape ;
    sh:targetClass kg:Country ;
    sh:sparql [
        sh:message "Country {$this} has no district."@en ;
        sh:select \"\"\"
            PREFIX kg: <https://w3id.org/kgbuild/ontology#>
            SELECT $this WHERE { FILTER NOT EXISTS { ?d kg:partOf $this } }\"\"\" ;
    ] .
"""

LONELY = HEAD + "  - id: place/lonely-district\n    type: District\n    label: Lonely\n"
EXPECTED_TEXT = [
    [
        "Violation",
        "<place/lonely-district>",
        "kg:partOf",
        "A district is part of a country.",
        "data/zz.yaml:3",
    ],
    [
        "Warning",
        "<place/lonely-district>",
        "^kg:occurredIn",
        "Nothing happened in this district.",
        "data/zz.yaml:3",
    ],
    [
        "Warning",
        "<place/x>",
        "^kg:occurredIn",
        "Nothing happened in this district.",
        "data/zz-country.yaml:3",
    ],
    [
        "Info",
        "kg:District",
        "rdfs:subClassOf/rdfs:subClassOf",
        "A district class has a grandparent class.",
        "ontology/mini.ttl:27",
    ],
]


@pytest.fixture
def shaped(project):
    """The mini project with the shapes above; the data conform, with warnings."""
    (project.ontology / "shapes" / "zz-tests.ttl").write_text(SHAPES, encoding="utf-8")
    project.write(
        "zz-country.yaml",
        HEAD + "  - id: place/x\n    type: District\n    label: X\n    partOf: place/azerbaijan\n",
    )
    project.out.mkdir()
    (project.out / "kg.ttl").write_bytes(PREVIOUS)
    return project


def split_row(line: str) -> list[str]:
    return [cell.strip() for cell in line.split("  ") if cell.strip()]


def test_text_report_lines_are_aligned_and_located(shaped):
    shaped.write("zz.yaml", LONELY)
    result = shaped.run("validate")
    assert result.exit_code == 1, result.stderr
    # These test shapes use a sequence path, which only pySHACL implements; the user is told.
    assert result.stderr == (
        "kgbuild: note: validated with pySHACL, not kgbuild's SHACL engine: a sequence path in a "
        "blank node shape is not implemented\n"
    )
    assert shaped.run("validate", "--quiet").stderr == ""
    lines = result.stdout.splitlines()
    assert [split_row(line) for line in lines[:-1]] == EXPECTED_TEXT
    assert lines[-1] == "1 violation, 2 warnings, 1 info"
    # Aligned columns: every node column starts at the same offset.
    starts = {line.index("<") if "<" in line else line.index("kg:District") for line in lines[:-1]}
    assert len(starts) == 1
    assert (shaped.out / "kg.ttl").read_bytes() == PREVIOUS


def test_sparql_message_names_nodes_as_the_turtle_does(shaped):
    shaped.write(
        "zz.yaml",
        HEAD + "  - id: place/lonely-country\n    type: Country\n    label: Lonely country\n",
    )
    result = shaped.run("validate", "--quiet")
    assert result.exit_code == 1
    assert split_row(result.stdout.strip()) == [
        "Violation",
        "<place/lonely-country>",
        "-",
        "Country <place/lonely-country> has no district.",
        "data/zz.yaml:3",
    ]


def test_validate_conforming_graph_exits_0(shaped):
    result = shaped.run("validate")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "0 violations, 1 warning, 1 info"
    assert shaped.run("validate", "-q").stdout == ""


def test_quiet_lists_only_violations(shaped):
    shaped.write("zz.yaml", LONELY)
    result = shaped.run("validate", "-q")
    assert result.exit_code == 1
    assert [split_row(line) for line in result.stdout.splitlines()] == EXPECTED_TEXT[:1]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("fmt", ["turtle", "json"])
def test_report_graph_formats_are_deterministic_and_complete(shaped, fmt):
    shaped.write("zz.yaml", LONELY)
    runs = [run_module("validate", "--format", fmt, cwd=shaped.root, seed=s) for s in "123"]
    assert [r.returncode for r in runs] == [1, 1, 1], runs[0].stderr
    assert runs[0].stdout == runs[1].stdout == runs[2].stdout
    graph = Graph().parse(data=runs[0].stdout, format="turtle" if fmt == "turtle" else "json-ld")
    report = validate_inputs(shaped.ontology, shaped.data).report
    assert isomorphic(graph, report.report_graph)
    assert (None, SH.conforms, None) in graph
    if fmt == "json":
        doc = json.loads(runs[0].stdout)
        assert "sh" in doc["@context"]
        assert ID_BASE + "place/lonely-district" in runs[0].stdout


def test_output_file(shaped):
    shaped.write("zz.yaml", LONELY)
    result = shaped.run("validate", "--format", "turtle", "--output", "reports/shacl.ttl")
    assert result.exit_code == 1
    assert result.stdout == "1 violation, 2 warnings, 1 info\nWrote reports/shacl.ttl\n"
    text = (shaped.root / "reports" / "shacl.ttl").read_text(encoding="utf-8")
    assert text.startswith("# kgbuild validation report")
    assert shaped.run("validate", "-q", "-o", "r.txt").stdout == ""
    assert (shaped.root / "r.txt").read_text(encoding="utf-8").startswith("Violation  <place/")


def test_build_prints_warnings_and_writes(shaped):
    result = shaped.run("build")
    assert result.exit_code == 0, result.stderr
    assert "Warning" in result.stderr and "0 violations, 1 warning, 1 info" in result.stderr
    assert "Wrote dist/kg.ttl\n" in result.stdout
    assert (shaped.out / "kg.ttl").read_bytes() != PREVIOUS
    quiet = shaped.run("build", "-q")
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, "", "")


def test_build_on_violation_prints_report_and_keeps_dist(shaped):
    shaped.write("zz.yaml", LONELY)
    result = shaped.run("build")
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert [split_row(line) for line in lines[:-2]] == EXPECTED_TEXT
    assert lines[-2] == "1 violation, 2 warnings, 1 info"
    assert lines[-1] == (
        "kgbuild: error: data/zz.yaml:3: the graph has 1 shape violation, the first in node "
        "<place/lonely-district>; fix the records listed above (or the shapes in "
        "ontology/shapes/) and build again; nothing was written"
    )
    assert sorted(p.name for p in shaped.out.iterdir()) == ["kg.ttl"]
    assert (shaped.out / "kg.ttl").read_bytes() == PREVIOUS
    quiet = shaped.run("build", "-q")
    assert quiet.exit_code == 1
    assert len(quiet.stderr.splitlines()) == 2  # the violation and the error line


def test_build_raises_shape_violations_with_the_report(shaped):
    shaped.write("zz.yaml", LONELY)
    with pytest.raises(ShapeViolations) as info:
        build(shaped.ontology, shaped.data, shaped.out)
    report = info.value.report
    assert not report.conforms
    assert [r.focus for r in report.violations] == [URIRef(ID_BASE + "place/lonely-district")]
    assert info.value.exit_code == 1
    assert SPARQLProcessor.query.__name__ == "query"  # the query cache is gone again
    assert (shaped.out / "kg.ttl").read_bytes() == PREVIOUS


def test_build_result_carries_the_warnings(shaped):
    result = build(shaped.ontology, shaped.data, shaped.out)
    assert result.validation.conforms
    assert len(result.validation.warnings) == 1


def test_locate_term_finds_the_start_of_a_block(tmp_path):
    path = tmp_path / "x.ttl"
    path.write_text(
        textwrap.dedent("""\
            @prefix kg: <https://w3id.org/kgbuild/ontology#> .
            @base <https://w3id.org/kgbuild/id/> .
            # kg:Commented a owl:Class .

            kg:A a kg:B ;
                kg:p kg:Inside .
            <place/x> kg:p kg:A .
            <https://example.org/full> kg:p kg:A .
            kg:A kg:q kg:B .
            """),
        encoding="utf-8",
    )
    assert locate_term(path, str(KG.A)) == 5
    assert locate_term(path, ID_BASE + "place/x") == 7
    assert locate_term(path, "https://example.org/full") == 8
    assert locate_term(path, str(KG.Inside)) is None
    assert locate_term(path, str(KG.Commented)) is None
    assert locate_term(tmp_path / "missing.ttl", str(KG.A)) is None


def test_locator_prefers_data_records(project):
    node = URIRef(ID_BASE + "place/x")
    locator = Locator({node: (project.data / "a.yaml", 3)}, project.ontology)
    assert locator(node) == (project.data / "a.yaml", 3)
    assert locator(KG.District) == (project.ontology / "mini.ttl", 27)
    assert locator(URIRef("https://example.org/nowhere")) is None
    assert locator(None) is None


def test_compact_names():
    assert compact(URIRef(ID_BASE + "place/lachin-district")) == "<place/lachin-district>"
    assert compact(KG.territory) == "kg:territory"
    assert compact(URIRef("https://example.org/a b")) == "<https://example.org/a\\u0020b>"
    assert compact(None) == "-"


def test_validate_help(project):
    result = project.run("validate", "--help")
    assert result.exit_code == 0
    for text in (
        "--data DIR",
        "--ontology DIR",
        "--out DIR",
        "--quiet",
        "--format",
        "[text|turtle|json]",
        "--output FILE",
        "SEVERITY  NODE  PATH  MESSAGE  FILE:LINE",
        "0  no shape is violated (warnings and infos allowed)",
        "SHACL's sh:conforms: false with any result",
    ):
        assert text in result.stdout, text
    assert "validate" in project.run("--help").stdout


def test_unusable_shapes_are_tried_on_a_sample_with_every_kind_of_node(real_build):
    """Before pySHACL validates a large graph whole, a sample meets every class and property
    of the data (so a broken shape fails at once) at a fraction of the size."""
    from rdflib import RDF

    from kgbuild.validate import _sample

    graph = real_build.graph
    sample = _sample(graph)

    def kinds(g: Graph) -> tuple[set, set]:
        data = [(s, p, o) for s, p, o in g if str(s).startswith(ID_BASE)]
        return {o for _, p, o in data if p == RDF.type}, {p for _, p, _ in data}

    assert kinds(sample) == kinds(graph)
    assert {t for t in graph if not str(t[0]).startswith(ID_BASE)} <= set(sample)

    # The ontology comes whole; of the data, a fraction.
    def data_size(g: Graph) -> int:
        return sum(1 for t in g if str(t[0]).startswith(ID_BASE))

    assert data_size(sample) < data_size(graph) / 3


def test_two_copies_of_the_data_conform(scaled2):
    """benchmarks/scale.py writes copies that a build accepts, as the benchmarks need: every
    node renamed, and each copy's Wikidata and GeoNames links its own (shape S09)."""
    from conftest import ROOT
    from kgbuild.validate import validate_inputs

    report = validate_inputs(ROOT / "ontology", scaled2).report
    assert report.engine == "kgbuild"
    assert [r.message for r in report.violations] == []
    assert len(report.warnings) == 2 * len(
        validate_inputs(ROOT / "ontology", ROOT / "data").report.warnings
    )
