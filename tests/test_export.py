"""kgbuild export: Turtle, N-Triples, JSON-LD and TriG of the real repository, and the VoID /
DCAT description; each parses back, in rdflib and in pyoxigraph, to the graph it stands for."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic

from conftest import ROOT, SRC, Project
from kgbuild import __version__
from kgbuild.build import export
from kgbuild.export import (
    DATA_GRAPH,
    DATASET,
    EXPORT_FORMATS,
    INFERRED_GRAPH,
    ONTOLOGY_GRAPH,
    VOID_GRAPH,
    ExportResult,
    void_graph,
)
from kgbuild.namespaces import DCTERMS, ID, KG, RDF
from kgbuild.terms import from_oxigraph_term

# Open namespaces: rdflib's closed DCAT has no dcat:version (DCAT 3).
DCAT = Namespace("http://www.w3.org/ns/dcat#")
VOID = Namespace("http://rdfs.org/ns/void#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")

REPORT = URIRef("https://w3id.org/kgbuild/id/source/000-lachin-report")
REPORT_GRAPH = URIRef("https://w3id.org/kgbuild/graph/source/000-lachin-report")
FILES = ["kg.jsonld", "kg.nt", "kg.trig", "kg.ttl", "void.ttl"]
OX_FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".trig": ox.RdfFormat.TRIG,
}
RDFLIB_FORMATS = {".ttl": "turtle", ".nt": "nt", ".jsonld": "json-ld", ".trig": "trig"}


def graph_of(triples) -> Graph:
    graph = Graph()
    for triple in triples:
        graph.add(triple)
    return graph


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[ExportResult, Path]:
    out = tmp_path_factory.mktemp("export")
    return export(ROOT / "ontology", ROOT / "data", out), out


@pytest.fixture(scope="session")
def kg(exported: tuple[ExportResult, Path]) -> Graph:
    """Ontology + data: the graph of kg.ttl, kg.nt and kg.jsonld."""
    result, _ = exported
    graph = Graph()
    graph += result.graphs[ONTOLOGY_GRAPH]
    graph += result.graphs[DATA_GRAPH]
    return graph


def _normalised(graph: Graph) -> Graph:
    """xsd:positiveInteger literals as xsd:integer (pyoxigraph keeps only the latter)."""
    out = Graph()
    for s, p, o in graph:
        if isinstance(o, Literal) and o.datatype == XSD.positiveInteger:
            o = Literal(str(o), datatype=XSD.integer)
        out.add((s, p, o))
    return out


def _ox_graphs(path: Path) -> dict[URIRef | None, Graph]:
    """The graphs pyoxigraph parses from ``path`` (None: the default graph)."""
    graphs: dict[URIRef | None, Graph] = {}
    for quad in ox.parse(path=str(path), format=OX_FORMATS[path.suffix]):
        name = (
            None if isinstance(quad.graph_name, ox.DefaultGraph) else URIRef(quad.graph_name.value)
        )
        graphs.setdefault(name, Graph()).add(
            tuple(from_oxigraph_term(t) for t in (quad.subject, quad.predicate, quad.object))
        )
    return graphs


def test_files_written(exported: tuple[ExportResult, Path]) -> None:
    result, out = exported
    assert sorted(p.name for p in out.iterdir()) == FILES
    assert sorted(p.name for p in result.outputs) == FILES


@pytest.mark.parametrize("name", ["kg.ttl", "kg.nt", "kg.jsonld"])
def test_graph_files_round_trip_in_rdflib(exported, kg: Graph, name: str) -> None:
    path = exported[1] / name
    parsed = Graph().parse(path, format=RDFLIB_FORMATS[path.suffix])
    assert len(parsed) == len(kg)
    assert isomorphic(parsed, kg)


@pytest.mark.parametrize("name", ["kg.ttl", "kg.nt", "kg.jsonld"])
def test_graph_files_round_trip_in_oxigraph(exported, kg: Graph, name: str) -> None:
    graphs = _ox_graphs(exported[1] / name)
    assert list(graphs) == [None]
    assert isomorphic(_normalised(graphs[None]), _normalised(kg))


def test_turtle_is_what_build_writes(exported, real_build) -> None:
    assert (exported[1] / "kg.ttl").read_bytes() == real_build.output.read_bytes()


def test_jsonld_uses_project_context(exported) -> None:
    import json

    doc = json.loads((exported[1] / "kg.jsonld").read_text(encoding="utf-8"))
    context = json.loads((ROOT / "data" / "context.jsonld").read_text(encoding="utf-8"))
    assert doc["@context"] == context["@context"]
    ids = {node.get("id") for node in doc["@graph"]}
    assert "source/000-lachin-report" in ids  # relative to the context's @base, readable


def test_ntriples_sorted_one_line_per_triple(exported, kg: Graph) -> None:
    data = (exported[1] / "kg.nt").read_bytes()
    assert data.endswith(b"\n")
    lines = data.splitlines()
    assert lines == sorted(lines)
    assert len(set(lines)) == len(lines) == len(kg)


@pytest.fixture(scope="module")
def trig(exported) -> dict:
    """The named graphs of kg.trig as rdflib reads them (parsed once: it takes seconds)."""
    dataset = Dataset()
    dataset.parse(exported[1] / "kg.trig", format="trig")
    return {g.identifier: g for g in dataset.graphs() if len(g)}


def test_trig_named_graphs(exported, trig) -> None:
    result, out = exported
    parsed = trig
    sources = {g for g in parsed if str(g).startswith("https://w3id.org/kgbuild/graph/source/")}
    assert REPORT_GRAPH in sources and len(sources) == 13  # the first report and 12 more
    expected = {ONTOLOGY_GRAPH, DATA_GRAPH, INFERRED_GRAPH, VOID_GRAPH, *sources}
    assert set(parsed) == expected
    assert set(result.graphs) == expected
    for name in expected:
        assert isomorphic(parsed[name], graph_of(result.graphs[name])), name
    oxi = _ox_graphs(out / "kg.trig")
    assert set(oxi) == expected
    for name in expected:
        assert isomorphic(_normalised(oxi[name]), _normalised(graph_of(result.graphs[name]))), name
    assert len(parsed[INFERRED_GRAPH]) > 0
    assert len(parsed[ONTOLOGY_GRAPH]) + len(parsed[DATA_GRAPH]) == len(
        Graph().parse(out / "kg.nt", format="nt")
    )


def test_a_source_graph_holds_the_triples_its_report_states(exported) -> None:
    """GRAPH <.../source/DOC> { s p o } answers "which report states this triple" in any store:
    each report's graph holds the triples its passages state, so a triple two reports state is
    in both graphs and a disputed one only in the graphs of the reports that state it."""
    result, _ = exported
    graphs = {name: set(triples) for name, triples in result.graphs.items()}
    tass = URIRef("https://w3id.org/kgbuild/graph/source/001-tass")
    agreement = ID["agreement/trilateral-statement-2020-11-10"]
    ninth, tenth = ID["time/2020-11-09"], ID["time/2020-11-10"]
    assert (agreement, KG.signedOn, tenth) in graphs[REPORT_GRAPH]
    assert (agreement, KG.signedOn, ninth) not in graphs[REPORT_GRAPH]
    assert (agreement, KG.signedOn, ninth) in graphs[tass]
    assert (agreement, KG.signedOn, tenth) not in graphs[tass]
    # A name only background knowledge gives is in the data graph alone.
    name = (ID["name/lachin-az"], KG.nameString, Literal("Laçın", lang="az"))
    assert name in graphs[DATA_GRAPH]
    assert not any(name in triples for g, triples in graphs.items() if g != DATA_GRAPH)
    # Every triple of a source graph is a data triple, and no bookkeeping of the sources.
    for g, triples in graphs.items():
        if str(g).startswith("https://w3id.org/kgbuild/graph/source/"):
            assert triples <= graphs[DATA_GRAPH]
            assert not {p for _, p, _ in triples} & {KG.attestedBy, KG.statedIn}


def test_void_counts_and_description(exported, trig) -> None:
    _, out = exported
    void = Graph().parse(out / "void.ttl", format="turtle")
    assert isomorphic(void, trig[VOID_GRAPH])
    subsets = set(void.objects(DATASET, VOID.subset))
    assert subsets == set(trig) - {VOID_GRAPH}
    for name in subsets:
        assert void.value(name, VOID.triples).toPython() == len(trig[name]), name
    nt_lines = (out / "kg.nt").read_bytes().splitlines()
    assert void.value(DATASET, VOID.triples).toPython() == len(nt_lines)
    assert str(void.value(DATASET, DCAT.version)) == __version__
    assert void.value(DATASET, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    sources = set(void.objects(DATASET, DCTERMS.source))
    assert REPORT in sources and len(sources) == 13
    assert void.value(DATASET, DCTERMS.title) is not None
    assert (DATASET, RDF.type, DCAT.Dataset) in void
    assert void.value(DATASET, VOID.sparqlEndpoint) is None  # absent unless --endpoint
    assert not list(void.subjects(RDF.type, DCAT.DataService))


def test_void_endpoint(exported) -> None:
    result, _ = exported
    url = "https://example.org/sparql"
    ontology = graph_of(result.graphs[ONTOLOGY_GRAPH])
    void = void_graph(ontology, [REPORT], 3143, {}, [], endpoint=url)
    assert void.value(DATASET, VOID.triples).toPython() == 3143
    assert void.value(DATASET, VOID.sparqlEndpoint) == URIRef(url)
    assert (URIRef(url), RDF.type, DCAT.DataService) in void
    assert (URIRef(url), DCAT.servesDataset, DATASET) in void


def _export_in_process(out: Path, seed: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(SRC)
    env["PYTHONHASHSEED"] = seed
    return subprocess.Popen(
        [sys.executable, "-m", "kgbuild", "export", "--quiet", "--out", str(out)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_deterministic_across_processes(exported, tmp_path: Path) -> None:
    _, reference = exported
    runs = [
        (tmp_path / f"seed{seed}", _export_in_process(tmp_path / f"seed{seed}", seed))
        for seed in ("1", "4242")
    ]
    for _, proc in runs:
        stdout, stderr = proc.communicate(timeout=180)
        assert proc.returncode == 0, stderr.decode()
        assert stdout == b""  # --quiet
    for out, _ in runs:
        for name in FILES:
            assert (out / name).read_bytes() == (reference / name).read_bytes(), name


# -- the command line, on the mini project


def test_cli_single_format(project: Project) -> None:
    result = project.run("export", "--format", "ntriples")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in project.out.iterdir()) == ["kg.nt", "void.ttl"]
    assert "Wrote dist/kg.nt" in result.output
    assert "Wrote dist/void.ttl" in result.output


def test_cli_all_and_endpoint(project: Project) -> None:
    result = project.run("export", "--endpoint", "http://localhost:7878/query")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in project.out.iterdir()) == FILES
    void = Graph().parse(project.out / "void.ttl", format="turtle")
    assert void.value(DATASET, VOID.sparqlEndpoint) == URIRef("http://localhost:7878/query")


def test_cli_quiet(project: Project) -> None:
    result = project.run("export", "-q", "-f", "turtle")
    assert result.exit_code == 0
    assert result.output == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "rdfxml"], "Invalid value for '--format'"),
        (["--endpoint", "localhost/sparql"], "is not an absolute http(s) URL"),
    ],
)
def test_cli_bad_usage(project: Project, args: list[str], message: str) -> None:
    result = project.run("export", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert not project.out.exists()


def test_cli_unwritable_out(project: Project) -> None:
    (project.root / "blocker").write_text("a file, not a directory\n")
    result = project.run("export", "--out", "blocker/dist")
    assert result.exit_code == 2
    assert "kgbuild: error: cannot write 'blocker/dist/" in result.output
    assert (
        "'blocker' exists and is not a directory; choose another --out directory" in result.output
    )


def test_cli_bad_data_writes_nothing(project: Project) -> None:
    project.write("broken.yaml", "- [unclosed\n")
    result = project.run("export")
    assert result.exit_code == 2
    assert "data/broken.yaml" in result.output
    assert not project.out.exists()
    assert set(EXPORT_FORMATS) == {"turtle", "ntriples", "jsonld", "trig"}
