"""The build stage and its Turtle output: content, determinism, round trips and atomicity."""

from __future__ import annotations

import os
from pathlib import Path

import pyoxigraph
import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic, to_isomorphic
from rdflib.namespace import RDF, SKOS

from conftest import dist_files, run_module
from kgbuild.build import build
from kgbuild.errors import DataErrors, InputError
from kgbuild.namespaces import ID_BASE, KG
from kgbuild.serialize import atomic_write_bytes, serialize_turtle

EX = Namespace("http://example.org/")
# A plain Namespace: rdflib's closed XSD namespace warns when pytest probes module attributes.
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")


def from_oxigraph(data: bytes) -> Graph:
    """Parse Turtle with pyoxigraph and convert the triples to an rdflib graph."""

    def term(t):
        if isinstance(t, pyoxigraph.NamedNode):
            return URIRef(t.value)
        if isinstance(t, pyoxigraph.BlankNode):
            return BNode(t.value)
        if t.language:
            return Literal(t.value, lang=t.language)
        return Literal(t.value, datatype=URIRef(t.datatype.value))

    graph = Graph()
    for triple in pyoxigraph.parse(data, format=pyoxigraph.RdfFormat.TURTLE):
        graph.add((term(triple.subject), term(triple.predicate), term(triple.object)))
    return graph


def canonical(graph: Graph) -> Graph:
    """A copy that evens out what RDF 1.1 treats as equal but rdflib does not: oxigraph
    lower-cases language tags and gives plain literals the datatype xsd:string."""
    out = Graph()
    for s, p, o in graph:
        if isinstance(o, Literal) and o.language:
            o = Literal(str(o), lang=o.language.lower())
        elif isinstance(o, Literal) and o.datatype == XSD.string:
            o = Literal(str(o))
        out.add((s, p, o))
    return out


def test_build_writes_kg_ttl_and_summary(project):
    result = build(project.ontology, project.data, project.out)
    assert result.output == project.out / "kg.ttl"
    assert result.output.is_file()
    summary = result.summary
    assert summary.events == 1  # kg:ArmyEntry is a subclass of a subclass of kg:Event
    assert (summary.source_documents, summary.passages, summary.background_sources) == (1, 2, 1)
    assert summary.data_nodes == 11
    assert summary.total_triples == len(result.graph)
    assert summary.ontology_triples + summary.data_triples == summary.total_triples
    assert dict(summary.nodes_per_class)["kg:PlaceName"] == 2
    assert dict(summary.nodes_per_class)["sf:Point"] == 1


def test_kg_ttl_round_trips_in_rdflib_and_oxigraph(project):
    result = build(project.ontology, project.data, project.out)
    data = result.output.read_bytes()
    assert isomorphic(Graph().parse(data=data, format="turtle"), result.graph)
    assert isomorphic(canonical(from_oxigraph(data)), canonical(result.graph))
    # The ontology's blank nodes (restriction, list, disjointness) are written inline.
    text = data.decode("utf-8")
    assert "_:" not in text
    assert "owl:propertyChainAxiom ( kg:occurredIn kg:partOf )" in text
    assert "[] a owl:AllDisjointClasses ;" in text


def test_tricky_literal_round_trips(project):
    result = build(project.ontology, project.data, project.out)
    parsed = Graph().parse(result.output, format="turtle")
    lachin = URIRef(ID_BASE + "place/lachin-district")
    note = parsed.value(lachin, SKOS.editorialNote)
    assert note == Literal('He said "stop" \\ then left.\nLaçın, Լաչին, Лачин.\n', lang="en")
    description = parsed.value(lachin, URIRef("http://purl.org/dc/terms/description"))
    assert str(description) == 'tab\there, backslash \\ and quote " end'
    names = set(parsed.objects(URIRef(ID_BASE + "name/lachin-district-hy"), KG.nameString))
    assert Literal("Լաչինի շրջան", lang="hy") in names
    assert Literal("Лачинский район", lang="ru") in names
    # Non-ASCII letters are written as UTF-8, not escaped.
    assert "Լաչինի շրջան".encode() in result.output.read_bytes()


def test_builds_in_separate_processes_are_byte_identical(project, tmp_path):
    outputs = []
    for seed in ("1", "4242"):
        out = tmp_path / f"out-{seed}"
        proc = run_module("build", "--quiet", "--out", str(out), cwd=project.root, seed=seed)
        assert proc.returncode == 0, proc.stderr
        outputs.append(dist_files(out))
        assert (out / "store" / "kgbuild.json").is_file()
    assert len(outputs[0]) == 9
    assert outputs[0] == outputs[1]  # every file, not only kg.ttl; the store is a database
    here = tmp_path / "here"
    build(project.ontology, project.data, here)
    assert dist_files(here) == outputs[0]


def test_serializer_escapes_and_odd_terms():
    graph = Graph()
    s = URIRef(ID_BASE + "x/y")
    graph.add((s, RDF.type, EX.Thing))
    graph.add((s, EX.p, Literal('q"uo\\te\r\n\ttab\x01\x7f end')))
    graph.add((s, EX.p, Literal("true", datatype=XSD.boolean)))
    graph.add((s, EX.p, Literal("-7", datatype=XSD.integer)))
    graph.add((s, EX.p, Literal("x", datatype=XSD.string)))
    graph.add((s, EX.p, URIRef(ID_BASE + "../up")))  # must not be written relative
    graph.add((s, EX["1starts-with-digit"], URIRef(ID_BASE + "ok")))
    data = serialize_turtle(graph)
    assert isomorphic(Graph().parse(data=data, format="turtle"), graph)
    assert isomorphic(canonical(from_oxigraph(data)), canonical(graph))


def test_serializer_handles_shared_and_cyclic_blank_nodes():
    graph = Graph()
    shared, a, b = BNode(), BNode(), BNode()
    graph.add((EX.s1, EX.p, shared))
    graph.add((EX.s2, EX.p, shared))
    graph.add((shared, EX.q, Literal("shared")))
    graph.add((a, EX.next, b))
    graph.add((b, EX.next, a))
    data = serialize_turtle(graph)
    assert isomorphic(Graph().parse(data=data, format="turtle"), graph)
    # Relabelling the blank nodes does not change the bytes.
    assert serialize_turtle(to_isomorphic(graph)) == data


def test_failing_build_keeps_old_output(project):
    build(project.ontology, project.data, project.out)
    before = dist_files(project.out)
    stamp = (project.out / "store" / "kgbuild.json").read_bytes()
    assert sorted(before) == [
        "index.sqlite",
        "inferred.ttl",
        "kg-closure.ttl",
        "kg.jsonld",
        "kg.nt",
        "kg.trig",
        "kg.ttl",
        "manifest.json",
        "void.ttl",
    ]
    project.write(
        "zz.yaml", '"@context": context.jsonld\n"@graph":\n  - id: place/z\n    lable: Z\n'
    )
    with pytest.raises(DataErrors):
        build(project.ontology, project.data, project.out)
    assert dist_files(project.out) == before
    assert (project.out / "store" / "kgbuild.json").read_bytes() == stamp


def test_atomic_write_failure_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "kg.ttl"
    target.write_bytes(b"old")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(InputError) as info:
        atomic_write_bytes(target, b"new")
    assert "No space left on device" in str(info.value)
    assert str(info.value).endswith("choose another --out directory")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["kg.ttl"]


@pytest.mark.parametrize("where", ["file", "under-file"])
def test_unwritable_out_dir(project, where):
    blocker = project.root / "blocker"
    blocker.write_text("not a directory")
    out = blocker if where == "file" else blocker / "sub"
    with pytest.raises(InputError) as info:
        build(project.ontology, project.data, out)
    message = str(info.value)
    assert message.startswith(f"cannot write '{(out / 'kg.ttl').relative_to(project.root)}'")
    assert message.endswith("; choose another --out directory")
    assert blocker.read_text() == "not a directory"


def test_real_repository_builds(real_build):
    result = real_build
    data = result.output.read_bytes()
    assert isomorphic(Graph().parse(data=data, format="turtle"), result.graph)
    assert isomorphic(canonical(from_oxigraph(data)), canonical(result.graph))
    assert result.summary.data_nodes > 0


def test_paths_in_results_are_paths(project):
    result = build(str(project.ontology), str(project.data), str(project.out))
    assert isinstance(result.output, Path)


def test_staged_files_move_in_together_or_not_at_all(tmp_path):
    """Outputs are written under temporary names and moved into place by commit, in the order
    staged; leaving the block without a commit leaves the old files and no temporary file."""
    from kgbuild.serialize import StagedFiles

    (tmp_path / "a.ttl").write_bytes(b"old a")
    with pytest.raises(RuntimeError), StagedFiles() as staged:
        staged.write(tmp_path / "a.ttl", b"new a")
        staged.write(tmp_path / "b.ttl", iter(["new ", b"b"]))
        raise RuntimeError("a later stage fails")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.ttl"]
    assert (tmp_path / "a.ttl").read_bytes() == b"old a"
    with StagedFiles() as staged:
        first = staged.write(tmp_path / "b.ttl", iter(["new ", b"b", "é"]))
        staged.write(tmp_path / "a.ttl", b"new a")
        assert first.size == len("new bé".encode()) and first.temporary.exists()
        assert staged.commit() == [tmp_path / "b.ttl", tmp_path / "a.ttl"]
    assert (tmp_path / "b.ttl").read_bytes() == "new bé".encode()
    assert (tmp_path / "a.ttl").read_bytes() == b"new a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.ttl", "b.ttl"]
