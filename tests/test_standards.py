"""kgbuild's outputs held to the standards they name: the W3C SHACL validation report's
sh:conforms, kg.jsonld read by a JSON-LD 1.0 processor, and the ontology in the OWL 2 DL
profile. The Java checks (the OWL API's profile checker, jsonld-java) run where Debian's
libowlapi-java is installed and skip with the reason otherwise; the rule checks always run."""

from __future__ import annotations

import json
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD

from conftest import ROOT
from kgbuild.namespaces import KG_ONTOLOGY, bind_prefixes
from kgbuild.ontology import load_ontology
from kgbuild.validate import report_json, report_turtle, validate_graph

JAVA_SOURCES = ROOT / "tests" / "java"
SHARE = Path("/usr/share/java")  # where Debian puts the jars
OWLAPI_JARS = [
    "owlapi-distribution", "guava", "caffeine", "commons-io", "commons-codec", "commons-lang3",
    "commons-rdf-api", "slf4j-api", "atinject-jsr330-api", "jsr305", "hppcrt", "xz",
    "rdf4j-model", "rdf4j-model-api", "rdf4j-rio-api", "rdf4j-util",
]  # fmt: skip
JSONLD_JARS = [
    "jsonld-java", "jackson-core", "jackson-databind", "jackson-annotations", "commons-io",
    "commons-codec", "commons-logging", "slf4j-api", "httpclient", "httpclient-cache", "httpcore",
    "guava",
]  # fmt: skip
JAVA_TIMEOUT = 300  # seconds; only against hangs

PREFIXES = """\
@prefix kg: <https://w3id.org/kgbuild/ontology#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix t: <https://w3id.org/kgbuild/test-shapes#> .
"""
# One warning, no violation: a country without a district. The first shape is one kgbuild's
# SHACL engine implements; the second (sh:or) makes pySHACL, the reference, run.
WARNING_SHAPE = (
    PREFIXES
    + """
t:Country a sh:NodeShape ;
    sh:targetClass kg:Country ;
    sh:property [
        sh:path [ sh:inversePath kg:partOf ] ; sh:minCount 1 ; sh:severity sh:Warning ;
        sh:message "A country has a district."@en ;
    ] .
"""
)
REFERENCE_ONLY = WARNING_SHAPE.replace(
    "sh:severity sh:Warning ;", "sh:severity sh:Warning ; sh:or ( [ sh:nodeKind sh:IRI ] ) ;"
)


# ------------------------------------------------------------------------------ SHACL reports


def report_conforms(data: bytes, fmt: str) -> list[Literal]:
    graph = Graph()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        graph.parse(data=data, format=fmt)
    return list(graph.objects(None, SH.conforms))


@pytest.mark.parametrize("shapes_text", [WARNING_SHAPE, REFERENCE_ONLY], ids=["kgbuild", "pyshacl"])
def test_report_with_only_a_warning_does_not_conform(shapes_text: str) -> None:
    """SHACL 3.1: sh:conforms is true only when there is no validation result at all, of any
    severity. Both engines' reports say false for a lone warning."""
    data = bind_prefixes(Graph()).parse(
        data=PREFIXES + "<https://w3id.org/kgbuild/id/place/x> a kg:Country .", format="turtle"
    )
    shapes = Graph().parse(data=shapes_text, format="turtle")
    report = validate_graph(data, shapes)
    assert report.engine == ("pyshacl" if "sh:or" in shapes_text else "kgbuild")
    assert [r.severity for r in report.results] == [SH.Warning]
    assert report.conforms  # the exit-code policy: warnings do not fail
    assert not report.w3c_conforms
    assert report_conforms(report_turtle(report), "turtle") == [Literal(False)]
    assert report_conforms(report_json(report), "json-ld") == [Literal(False)]


def test_report_without_results_conforms() -> None:
    data = bind_prefixes(Graph()).parse(
        data=PREFIXES + "<https://w3id.org/kgbuild/id/place/x> a kg:Country .\n"
        "<https://w3id.org/kgbuild/id/place/d> kg:partOf <https://w3id.org/kgbuild/id/place/x> .",
        format="turtle",
    )
    report = validate_graph(data, Graph().parse(data=WARNING_SHAPE, format="turtle"))
    assert report.results == []
    assert report_conforms(report_turtle(report), "turtle") == [Literal(True)]


@pytest.mark.parametrize("fmt", ["turtle", "json"])
def test_validate_with_warnings_exits_0_and_reports_w3c_conformance(project, fmt: str) -> None:
    (project.ontology / "shapes" / "zz-warning.ttl").write_text(WARNING_SHAPE, encoding="utf-8")
    project.write(
        "zz.yaml",
        '"@context": context.jsonld\n"@graph":\n  - id: place/y\n    type: Country\n    label: Y\n',
    )
    result = project.run("validate", "--format", fmt)
    assert result.exit_code == 0, result.output
    rdf_format = "turtle" if fmt == "turtle" else "json-ld"
    assert report_conforms(result.stdout.encode("utf-8"), rdf_format) == [Literal(False)]
    text = project.run("validate")
    assert text.exit_code == 0
    assert text.stdout.splitlines()[-1] == "0 violations, 1 warning"


# ------------------------------------------------------------------------------------- Java


def java_tool(tmp_path_factory: pytest.TempPathFactory, name: str, jars: list[str]) -> list[str]:
    """The command that runs tests/java/NAME.java, compiled against Debian's jars; skips the
    test when java, javac or a jar is missing."""
    java, javac = shutil.which("java"), shutil.which("javac")
    if java is None or javac is None:
        pytest.skip("needs java and javac (Debian: apt-get install default-jdk-headless)")
    missing = [jar for jar in jars if not (SHARE / f"{jar}.jar").is_file()]
    if missing:
        pytest.skip(
            f"needs {', '.join(missing)} in {SHARE} (Debian: apt-get install libowlapi-java)"
        )
    classes = tmp_path_factory.mktemp(f"java-{name}")
    classpath = ":".join(
        [str(classes), *(str(SHARE / f"{jar}.jar") for jar in jars)]
        + ([str(SHARE / "slf4j-nop.jar")] if (SHARE / "slf4j-nop.jar").is_file() else [])
    )
    subprocess.run(
        [javac, "-d", str(classes), "-cp", classpath, str(JAVA_SOURCES / f"{name}.java")],
        check=True,
        capture_output=True,
        timeout=JAVA_TIMEOUT,
    )
    return [java, "-cp", classpath, name]


def run_java(command: list[str], path: Path) -> str:
    done = subprocess.run(
        [*command, str(path)], capture_output=True, text=True, timeout=JAVA_TIMEOUT
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


# ---------------------------------------------------------------------------------- JSON-LD

# Keywords and container kinds JSON-LD 1.1 added; a 1.0 processor rejects or misreads them.
JSONLD_11_KEYWORDS = {
    "@version", "@protected", "@propagate", "@import", "@nest", "@prefix", "@direction",
    "@json", "@none", "@included",
}  # fmt: skip
JSONLD_10_CONTAINERS = {"@list", "@set", "@language", "@index"}


def jsonld_11_features(context: dict) -> list[str]:
    """What in a JSON-LD context only JSON-LD 1.1 defines."""
    found = sorted(key for key in context if key in JSONLD_11_KEYWORDS)
    for term, definition in sorted(context.items()):
        if not isinstance(definition, dict):
            continue
        found += [f"{term}: {key}" for key in sorted(definition) if key in JSONLD_11_KEYWORDS]
        if "@context" in definition:
            found.append(f"{term}: scoped @context")
        container = definition.get("@container")
        kinds = container if isinstance(container, list) else [container]
        if isinstance(container, list) or not set(kinds) <= JSONLD_10_CONTAINERS | {None}:
            found.append(f"{term}: @container {container}")
        if definition.get("@type") in ("@json", "@none"):
            found.append(f"{term}: @type {definition['@type']}")
    return found


def keys(value: object) -> set[str]:
    """Every key of every object in ``value``, at any depth."""
    if isinstance(value, dict):
        return set(value).union(*(keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(keys(v) for v in value))
    return set()


def test_kg_jsonld_uses_only_json_ld_10(built_repo: Path) -> None:
    """The written kg.jsonld: its context holds no JSON-LD 1.1 feature, and its node objects
    use no 1.1 keyword."""
    text = (built_repo / "kg.jsonld").read_text(encoding="utf-8")
    doc = json.loads(text)
    assert jsonld_11_features(doc["@context"]) == []
    assert keys(doc["@graph"]) & JSONLD_11_KEYWORDS == set()


def test_the_rule_check_finds_json_ld_11_features() -> None:
    context = {
        "@version": 1.1,
        "a": {"@id": "ex:a", "@container": "@graph"},
        "b": {"@id": "ex:b", "@context": {}},
        "c": {"@id": "ex:c", "@container": ["@set", "@language"]},
        "d": {"@id": "ex:d", "@protected": True},
        "e": {"@id": "ex:e", "@container": "@language"},
    }
    assert jsonld_11_features(context) == [
        "@version",
        "a: @container @graph",
        "b: scoped @context",
        "c: @container ['@set', '@language']",
        "d: @protected",
    ]


def test_kg_jsonld_reads_in_json_ld_10_mode(tmp_path_factory, built_repo: Path) -> None:
    """jsonld-java, a JSON-LD 1.0 processor, reads kg.jsonld into the graph of kg.nt."""
    command = java_tool(tmp_path_factory, "JsonLd10", JSONLD_JARS)
    nquads = run_java(command, built_repo / "kg.jsonld")
    ours = Graph().parse(data=nquads, format="nt")
    expected = Graph().parse(built_repo / "kg.nt", format="nt")
    assert len(ours) == len(expected) > 1000
    assert isomorphic(ours, expected)


# ------------------------------------------------------------------------------- OWL 2 DL

# The OWL 2 datatype map (OWL 2 Structural Specification, section 4): the datatypes an OWL 2
# DL ontology may use without declaring them, with rdf:langString, which RDF 1.1 put in the
# place of rdf:PlainLiteral (the OWL API accepts it). xsd:date and xsd:gYear are not among them.
OWL2_DATATYPES = {
    RDF.PlainLiteral, RDF.XMLLiteral, RDFS.Literal, OWL.real, OWL.rational, XSD.decimal,
    XSD.integer, XSD.nonNegativeInteger, XSD.nonPositiveInteger, XSD.positiveInteger,
    XSD.negativeInteger, XSD.long, XSD.int, XSD.short, XSD.byte, XSD.unsignedLong,
    XSD.unsignedInt, XSD.unsignedShort, XSD.unsignedByte, XSD.double, XSD.float, XSD.string,
    XSD.normalizedString, XSD.token, XSD.language, XSD.Name, XSD.NCName, XSD.NMTOKEN,
    XSD.boolean, XSD.hexBinary, XSD.base64Binary, XSD.anyURI, XSD.dateTime, XSD.dateTimeStamp,
    RDF.langString,
}  # fmt: skip
# Predicates OWL 2 itself gives a meaning; everything else used on a term must be declared.
BUILT_IN = {
    RDF.type, RDF.first, RDF.rest, RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range,
    OWL.inverseOf, OWL.propertyChainAxiom, OWL.equivalentClass, OWL.disjointWith,
    OWL.versionIRI, OWL.imports, OWL.onProperty, OWL.someValuesFrom, OWL.allValuesFrom,
    OWL.equivalentProperty, OWL.unionOf, OWL.intersectionOf, OWL.hasValue, OWL.members,
    OWL.propertyDisjointWith, OWL.hasKey, OWL.onClass, OWL.qualifiedCardinality,
    OWL.maxQualifiedCardinality, OWL.minQualifiedCardinality, OWL.cardinality,
    OWL.maxCardinality, OWL.minCardinality, OWL.complementOf, OWL.oneOf, OWL.sameAs,
    OWL.differentFrom, OWL.distinctMembers,
}  # fmt: skip
# Annotation properties OWL 2 predefines.
BUILT_IN_ANNOTATIONS = {
    RDFS.label, RDFS.comment, RDFS.seeAlso, RDFS.isDefinedBy, OWL.deprecated, OWL.versionInfo,
    OWL.priorVersion, OWL.backwardCompatibleWith, OWL.incompatibleWith,
}  # fmt: skip


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return load_ontology(ROOT / "ontology")


def test_datatypes_are_in_the_owl2_datatype_map(ontology: Graph) -> None:
    """HermiT and the OWL API reject an undeclared datatype outside the map, as a range or in
    a data property assertion of the ontology."""
    used = {
        o
        for p, o in ontology.subject_objects(RDFS.range)
        if (p, RDF.type, OWL.DatatypeProperty) in ontology
    } | {o.datatype for o in ontology.objects() if isinstance(o, Literal) and o.datatype}
    assert sorted(used - OWL2_DATATYPES) == []


def test_every_property_used_is_declared(ontology: Graph) -> None:
    """Annotation properties (skos:definition, dcterms:license, ...) and the properties that
    kg: properties specialise are declared, as OWL 2 DL requires of every entity used."""
    declared = {
        p
        for kind in (OWL.AnnotationProperty, OWL.ObjectProperty, OWL.DatatypeProperty)
        for p in ontology.subjects(RDF.type, kind)
    }
    used = set(ontology.predicates()) - BUILT_IN - BUILT_IN_ANNOTATIONS
    used |= set(ontology.objects(None, RDFS.subPropertyOf))
    used |= set(ontology.objects(None, OWL.inverseOf))
    assert sorted(used - declared) == []


def test_alignment_targets_are_defined_by_existing_ontologies(ontology: Graph) -> None:
    """PROV-O's terms are defined by <http://www.w3.org/ns/prov#>, the owl:Ontology its
    documents declare; no document declares an ontology <http://www.w3.org/ns/prov-o#>."""
    defined_by = {str(o) for o in ontology.objects(None, RDFS.isDefinedBy)}
    assert "http://www.w3.org/ns/prov-o#" not in defined_by
    assert "http://www.w3.org/ns/prov#" in defined_by


def test_ontology_is_in_owl2_dl(tmp_path_factory, ontology: Graph) -> None:
    """The OWL API's OWL 2 DL profile checker finds no violation in ontology/*.ttl merged."""
    command = java_tool(tmp_path_factory, "OwlDlProfile", OWLAPI_JARS)
    merged = tmp_path_factory.mktemp("owl") / "ontology.ttl"
    # The merged file already holds every module: drop the imports, which the OWL API would
    # fetch from w3id.org, and keep the core's header as the one ontology of the document.
    modules = set(ontology.subjects(RDF.type, OWL.Ontology)) - {URIRef(KG_ONTOLOGY)}
    merged_graph = Graph()
    merged_graph += (t for t in ontology if t[1] != OWL.imports and t[0] not in modules)
    merged_graph.serialize(merged, format="turtle")
    assert run_java(command, merged).splitlines() == []


def test_the_profile_checker_finds_violations(tmp_path_factory) -> None:
    command = java_tool(tmp_path_factory, "OwlDlProfile", OWLAPI_JARS)
    path = tmp_path_factory.mktemp("owl-bad") / "bad.ttl"
    path.write_text(
        PREFIXES + "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "<https://example.org/o> a owl:Ontology .\n"
        'kg:d a owl:DatatypeProperty ; rdfs:range xsd:date ; skos:definition "a day"@en .\n',
        encoding="utf-8",
    )
    found = run_java(command, path)
    assert "undeclared annotation property" in found and "xsd:date" in found
