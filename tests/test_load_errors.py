"""The loader's checks: each error names the file, the line, what is wrong and how to fix it."""

from __future__ import annotations

import socket

import pytest
from rdflib import RDF, XSD, Literal, URIRef

from kgbuild.errors import DataError, DataErrors, InputError
from kgbuild.load import load_data
from kgbuild.namespaces import ID_BASE, KG
from kgbuild.ontology import load_ontology

HEAD = '"@context": context.jsonld\n"@graph":\n'


def only_error(project) -> str:
    lines = project.errors()
    assert len(lines) == 1, lines
    return lines[0]


def input_error(project) -> str:
    with pytest.raises(InputError) as info:
        project.load()
    assert info.value.exit_code == 2
    return str(info.value)


# -- the valid fixture


def test_fixture_loads_with_locations(project):
    loaded = project.load()
    node = URIRef(ID_BASE + "place/lachin-district")
    places = project.data / "places.yaml"
    assert loaded.locations[node] == (places, 8)
    assert loaded.locations[URIRef(ID_BASE + "geometry/lachin")] == (places, 27)
    assert loaded.locations[URIRef(ID_BASE + "time/2020-12-01")] == (
        project.data / "events" / "entry.yaml",
        11,
    )
    # YAML scalars stay strings; the context types them.
    passage = URIRef(ID_BASE + "passage/p01")
    number = loaded.graph.value(passage, KG.paragraphNumber)
    assert number == Literal(
        "1", datatype=URIRef("http://www.w3.org/2001/XMLSchema#positiveInteger")
    )
    assert all(not t.startswith("_:") for triple in loaded.graph for t in map(str, triple))


# -- keys and types


def test_unknown_key_suggests_the_term(project):
    project.write("zz.yaml", HEAD + "  - id: place/x\n    type: District\n    lable: X\n")
    assert only_error(project) == (
        "data/zz.yaml:5: unknown key 'lable' in node 'place/x'; the context does not define it "
        "(did you mean 'label'?)"
    )


@pytest.mark.parametrize(
    ("key", "hint"),
    [
        ("District", "'District' names a class or an individual, not a property"),
        ("kg", "'kg' is a prefix, not a property"),
        (
            "@reverse",
            "JSON-LD keywords are not used in kgbuild data: use 'id', 'type' and the "
            "property terms of the context",
        ),
        ("@id", "write 'id'"),
    ],
)
def test_keys_that_are_not_property_terms(project, key, hint):
    project.write("zz.yaml", HEAD + f"  - id: place/x\n    type: District\n    '{key}': X\n")
    assert only_error(project) == f"data/zz.yaml:5: unknown key '{key}' in node 'place/x'; {hint}"


def test_unknown_type_suggests_a_class(project):
    project.write("zz.yaml", HEAD + "  - id: place/x\n    type: Distrct\n")
    assert only_error(project) == (
        "data/zz.yaml:4: unknown type 'Distrct' in node 'place/x'; the context defines no such "
        "class (did you mean 'District'?)"
    )


def test_type_not_declared_as_class_in_ontology(project):
    # 'Road' is a term of the context, but the mini ontology does not declare kg:Road.
    project.write("zz.yaml", HEAD + "  - id: place/x\n    type: [District, Road]\n")
    assert only_error(project) == (
        "data/zz.yaml:4: type 'Road' of node 'place/x' is not a class of the ontology; kg:Road "
        "is not declared as owl:Class"
    )


def test_individual_is_not_a_type(project):
    project.write("zz.yaml", HEAD + "  - id: place/x\n    type: PrecisionDay\n")
    assert only_error(project).startswith(
        "data/zz.yaml:4: type 'PrecisionDay' of node 'place/x' is not a class of the ontology; "
        "kg:PrecisionDay is not declared as owl:Class"
    )


# -- references and ids


def test_undefined_reference_suggests_close_ids(project):
    project.write(
        "zz.yaml", HEAD + "  - id: place/x\n    type: District\n    partOf: place/azerbajan\n"
    )
    assert only_error(project) == (
        "data/zz.yaml:5: undefined reference 'place/azerbajan' in 'partOf' of node 'place/x'; "
        "no node in the data has this id (did you mean 'place/azerbaijan'?)"
    )


def test_undefined_reference_in_a_list_points_at_its_item(project):
    project.write(
        "zz.yaml",
        HEAD + "  - id: place/x\n    type: District\n    statedIn:\n"
        "      - passage/p01\n      - passage/p99\n",
    )
    assert only_error(project).startswith(
        "data/zz.yaml:7: undefined reference 'passage/p99' in 'statedIn' of node 'place/x'; "
    )


def test_references_may_be_compact_absolute_or_external(project):
    project.write(
        "zz.yaml",
        HEAD + "  - id: place/x\n    type: District\n"
        "    partOf: [https://w3id.org/kgbuild/id/place/azerbaijan, kg:Place]\n"
        "    language: http://id.loc.gov/vocabulary/iso639-1/en\n",
    )
    graph = project.load().graph
    x = URIRef(ID_BASE + "place/x")
    assert set(graph.objects(x, KG.partOf)) == {URIRef(ID_BASE + "place/azerbaijan"), KG.Place}


def test_reference_to_undeclared_ontology_term(project):
    project.write("zz.yaml", HEAD + "  - id: place/x\n    type: District\n    partOf: kg:Nowhere\n")
    assert only_error(project) == (
        "data/zz.yaml:5: reference 'kg:Nowhere' in 'partOf' of node 'place/x' is not declared in "
        "the ontology; kg:Nowhere has no rdf:type there"
    )


def test_reference_with_unknown_prefix(project):
    project.write("zz.yaml", HEAD + "  - id: place/x\n    type: District\n    partOf: place:y\n")
    assert only_error(project).startswith(
        "data/zz.yaml:5: invalid reference 'place:y' in 'partOf' of node 'place/x'; 'place:' is "
        "not a prefix of the context"
    )


def test_invalid_id(project):
    project.write("zz.yaml", HEAD + "  - id: place/a b\n    type: District\n")
    assert only_error(project).startswith(
        "data/zz.yaml:3: invalid id 'place/a b'; write a relative"
    )


def test_duplicate_id_names_both_places(project):
    project.write("zz.yaml", HEAD + "  - id: place/azerbaijan\n    type: Country\n")
    assert only_error(project) == (
        "data/zz.yaml:3: duplicate id 'place/azerbaijan' (first defined at data/places.yaml:4); "
        "give each node its own id, or merge the two records"
    )


def test_nested_node_without_id(project):
    project.write(
        "zz.yaml",
        HEAD + "  - id: place/x\n    type: District\n    hasName:\n"
        "      type: PlaceName\n      written: {az: X}\n",
    )
    assert only_error(project) == (
        "data/zz.yaml:6: nested node in 'hasName' of node 'place/x' has no 'id'; blank nodes are "
        "not allowed: give it an id such as 'name/lachin-az'"
    )


def test_node_without_id(project):
    project.write("zz.yaml", HEAD + "  - type: District\n    label: X\n")
    assert only_error(project) == (
        "data/zz.yaml:3: node without 'id'; give every node an id such as 'place/lachin-district'"
    )


# -- literal values


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "20-11-2020",
            "invalid xsd:date '20-11-2020' for 'date' in node 'time/x'; write the date as "
            "YYYY-MM-DD, e.g. 2020-11-20",
        ),
        (
            "2020-02-30",
            "invalid xsd:date '2020-02-30' for 'date' in node 'time/x': day is out of range for "
            "month; write a real calendar date as YYYY-MM-DD",
        ),
        (
            "2020-13-01",
            "invalid xsd:date '2020-13-01' for 'date' in node 'time/x': month must be in 1..12; "
            "write a real calendar date as YYYY-MM-DD",
        ),
    ],
)
def test_bad_dates(project, value, message):
    project.write("zz.yaml", HEAD + f"  - id: time/x\n    type: CalendarDay\n    date: {value}\n")
    assert only_error(project) == f"data/zz.yaml:5: {message}"


def test_bad_datetime(project):
    project.write(
        "zz.yaml",
        HEAD + "  - id: time/x\n    type: CalendarDay\n    earliestTime: 2020-11-20 12:30\n",
    )
    assert only_error(project) == (
        "data/zz.yaml:5: invalid xsd:dateTime '2020-11-20 12:30' for 'earliestTime' in node "
        "'time/x'; write YYYY-MM-DDThh:mm:ss with an optional time zone, e.g. "
        "2020-11-20T12:30:00+04:00"
    )


def test_good_datetime_with_zone(project):
    project.write(
        "zz.yaml",
        HEAD
        + "  - id: time/x\n    type: CalendarDay\n    earliestTime: 2020-11-20T12:30:00+04:00\n",
    )
    graph = project.load().graph
    values = list(graph.objects(URIRef(ID_BASE + "time/x"), KG.earliestTime))
    assert [(str(v), v.datatype) for v in values] == [("2020-11-20T12:30:00+04:00", XSD.dateTime)]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "paragraphNumber",
            "five",
            "invalid xsd:positiveInteger 'five' for 'paragraphNumber' in node 'passage/x'; write "
            "a whole number greater than 0, e.g. 3",
        ),
        (
            "paragraphNumber",
            "0",
            "invalid xsd:positiveInteger '0' for 'paragraphNumber' in node 'passage/x': must be "
            "greater than 0; write a whole number such as 1",
        ),
        (
            "countValue",
            "1.5",
            "invalid xsd:integer '1.5' for 'countValue' in node 'passage/x'; write a whole "
            "number, e.g. 12",
        ),
        (
            "numericValue",
            "4,5",
            "invalid xsd:decimal '4,5' for 'numericValue' in node 'passage/x'; write a decimal "
            "number with a '.' and no units or separators, e.g. 4.5",
        ),
        (
            "numericValue",
            "12 km",
            "invalid xsd:decimal '12 km' for 'numericValue' in node 'passage/x'; write a decimal "
            "number with a '.' and no units or separators, e.g. 4.5",
        ),
    ],
)
def test_bad_numbers(project, key, value, message):
    project.write("zz.yaml", HEAD + f"  - id: passage/x\n    type: Passage\n    {key}: {value}\n")
    assert only_error(project) == f"data/zz.yaml:5: {message}"


@pytest.mark.parametrize(
    ("wkt", "detail"),
    [
        ("POINT(200 40)", "longitude 200 is outside [-180, 180]"),
        ("POINT(46 95)", "latitude 95 is outside [-90, 90]"),
        ("LINESTRING(1 2, 3 4)", "only POINT geometries are supported"),
    ],
)
def test_bad_wkt(project, wkt, detail):
    project.write("zz.yaml", HEAD + f"  - id: geometry/x\n    type: Point\n    asWKT: {wkt}\n")
    assert only_error(project) == (
        f"data/zz.yaml:5: invalid geo:wktLiteral '{wkt}' for 'asWKT' in node 'geometry/x': "
        f"{detail}; write POINT(longitude latitude) in WGS84 degrees, e.g. POINT(46.55 39.6)"
    )


def test_unknown_vocab_term(project):
    project.write(
        "zz.yaml", HEAD + "  - id: time/x\n    type: CalendarDay\n    precision: PrecisionDy\n"
    )
    assert only_error(project) == (
        "data/zz.yaml:5: unknown term 'PrecisionDy' in 'precision' of node 'time/x'; the context "
        "defines no such term (did you mean 'PrecisionDay'?)"
    )


def test_vocab_term_not_in_ontology(project):
    project.write(
        "zz.yaml", HEAD + "  - id: time/x\n    type: CalendarDay\n    precision: PrecisionMonth\n"
    )
    assert only_error(project) == (
        "data/zz.yaml:5: 'PrecisionMonth' in 'precision' of node 'time/x' is not declared in the "
        "ontology; declare kg:PrecisionMonth in ontology/*.ttl or use another term"
    )


def test_bad_language_map(project):
    project.write(
        "zz.yaml",
        HEAD + "  - id: name/x\n    type: PlaceName\n    written:\n      Azeri: X\n      hy: ''\n",
    )
    assert project.errors() == [
        "data/zz.yaml:6: invalid language tag 'Azeri' in 'written' of node 'name/x'; use a BCP 47 "
        "tag such as 'az', 'hy', 'ru' or 'hy-Latn'",
        "data/zz.yaml:7: empty value for 'written.hy' in node 'name/x'; give a value or remove "
        "the key",
    ]


def test_empty_values(project):
    project.write(
        "zz.yaml", HEAD + "  - id: place/x\n    type: District\n    label:\n    partOf: []\n"
    )
    assert project.errors() == [
        "data/zz.yaml:5: empty value for 'label' in node 'place/x'; give a value or remove the key",
        "data/zz.yaml:6: empty list for 'partOf' in node 'place/x'; give a value or remove the key",
    ]


def test_errors_from_all_files_are_reported_together_in_order(project):
    project.write("aa.yaml", HEAD + "  - id: place/a\n    type: District\n    lable: A\n")
    project.write("zz.yaml", HEAD + "  - id: place/z\n    type: Distric\n    partOf: place/q\n")
    lines = project.errors()
    assert [line.split(": ", 1)[0] for line in lines] == [
        "data/aa.yaml:5",
        "data/zz.yaml:4",
        "data/zz.yaml:5",
    ]


# -- YAML


def test_duplicate_yaml_key(project):
    project.write(
        "zz.yaml", HEAD + "  - id: place/x\n    type: District\n    label: A\n    label: B\n"
    )
    assert only_error(project) == (
        "data/zz.yaml:6: duplicate key 'label' (first at line 5); YAML would silently keep only "
        "the last value: merge the values into one list or remove one"
    )


def test_yaml_syntax_error(project):
    project.write("zz.yaml", HEAD + "  - id: place/x\n    type: District\n   label: [A\n")
    message = input_error(project)
    assert message.startswith("data/zz.yaml:5: YAML syntax error: ")
    assert message.endswith("; fix the YAML syntax")


def test_empty_file(project):
    project.write("zz.yaml", "# nothing yet\n")
    assert input_error(project) == (
        'data/zz.yaml: empty file; write a mapping with "@context": context.jsonld and '
        '"@graph": [...] or delete it'
    )


def test_non_utf8_file(project):
    project.write("zz.yaml", (HEAD + "  - id: place/x\n    label: La\xe7in\n").encode("latin-1"))
    assert input_error(project) == (
        "data/zz.yaml:4: file is not valid UTF-8 (byte 0xe7); save it as UTF-8"
    )


def test_yaml_alias_refused(project):
    project.write(
        "zz.yaml", HEAD + "  - id: place/x\n    type: &t District\n  - id: place/y\n    type: *t\n"
    )
    assert input_error(project) == (
        "data/zz.yaml:6: YAML alias '*t' is not supported; write the value out in full"
    )


def test_scalars_are_not_implicitly_typed(project):
    project.write(
        "zz.yaml",
        HEAD + "  - id: source/x\n    type: SourceDocument\n    identifier: 0012\n"
        "    title: true\n",
    )
    graph = project.load().graph
    x = URIRef(ID_BASE + "source/x")
    assert str(graph.value(x, URIRef("http://purl.org/dc/terms/identifier"))) == "0012"
    assert graph.value(x, URIRef("http://purl.org/dc/terms/title")) == Literal("true", lang="en")


# -- top level and context


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("kgbuild tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_remote_context_refused_without_network(project, no_network):
    project.write(
        "zz.yaml",
        '"@context": https://example.org/context.jsonld\n"@graph":\n  - id: place/x\n'
        "    type: District\n",
    )
    assert input_error(project) == (
        "data/zz.yaml:1: remote @context 'https://example.org/context.jsonld' refused: kgbuild "
        'never fetches contexts over the network; write "@context": context.jsonld to use the '
        "shared context in the data directory"
    )


def test_inline_context_refused(project):
    project.write(
        "zz.yaml",
        '"@context":\n  label: http://www.w3.org/2000/01/rdf-schema#label\n"@graph": []\n',
    )
    assert input_error(project) == (
        "data/zz.yaml:1: an inline @context is not allowed: all data files share one context; "
        'write "@context": context.jsonld'
    )


def test_other_context_file_refused(project):
    project.write("zz.yaml", '"@context": other.jsonld\n"@graph": []\n')
    assert input_error(project).startswith("data/zz.yaml:1: @context 'other.jsonld' is not allowed")


def test_wrong_top_level_shape(project):
    project.write("zz.yaml", HEAD + "  - id: place/x\n    type: District\nextra: 1\n")
    assert input_error(project) == (
        "data/zz.yaml:5: unexpected top-level key 'extra'; a data file is a mapping with "
        '"@context": context.jsonld and "@graph": [nodes]'
    )
    project.write("zz.yaml", "- id: place/x\n")
    assert input_error(project).startswith(
        "data/zz.yaml:1: the file must be a mapping, found a list"
    )


def test_missing_context_file(project):
    (project.data / "context.jsonld").unlink()
    assert input_error(project) == (
        "data/context.jsonld: missing context.jsonld; the data directory must hold the shared "
        "JSON-LD context"
    )


def test_invalid_context_json(project):
    (project.data / "context.jsonld").write_text('{\n  "@context": {\n    "id": "@id",\n}\n')
    assert input_error(project).startswith("data/context.jsonld:4: invalid JSON: ")


def test_missing_data_dir_and_no_files(project, tmp_path):
    with pytest.raises(InputError, match="data directory 'nowhere' does not exist"):
        load_data("nowhere", load_ontology(project.ontology))
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "context.jsonld").write_bytes((project.data / "context.jsonld").read_bytes())
    with pytest.raises(InputError, match=r"no \*\.yaml data files"):
        load_data(empty, load_ontology(project.ontology))


def test_file_size_limit(project, monkeypatch):
    monkeypatch.setattr("kgbuild.load.files.MAX_FILE_BYTES", 100)
    with pytest.raises(
        InputError,
        match=r"data/events/entry\.yaml: file has [\d,]+ bytes, over the limit of 100 bytes "
        r"per data file; split",
    ):
        project.load()


# -- ontology


def test_ontology_syntax_error_names_file_and_line(project):
    (project.ontology / "zz.ttl").write_text(
        "@prefix kg: <https://w3id.org/kgbuild/ontology#> .\n\nkg:A a kg:B ;\n    kg:c xx:d .\n"
    )
    with pytest.raises(InputError) as info:
        load_ontology(project.ontology)
    assert str(info.value) == (
        'ontology/zz.ttl:4: Turtle syntax error: Prefix "xx:" not bound; fix the Turtle syntax'
    )


def test_missing_ontology_dir(tmp_path):
    with pytest.raises(InputError, match="ontology directory '.*' does not exist"):
        load_ontology(tmp_path / "nope")
    with pytest.raises(InputError, match=r"no \*\.ttl files"):
        load_ontology(tmp_path)


def test_errors_are_one_line_each():
    error = DataError("bad\nthing", "data/x.yaml", 3, "fix it")
    assert str(error) == "data/x.yaml:3: bad thing; fix it"
    assert DataErrors([error, error]).lines() == [str(error), str(error)]


def test_control_character_line_counts_multibyte_text(project):
    project.write(
        "zz.yaml", HEAD + '  - id: place/x\n    label: "Լաչին Laçın"\n    note: "a\x07"\n'
    )
    assert input_error(project) == (
        "data/zz.yaml:5: YAML syntax error: control characters are not allowed; remove the "
        "character U+0007"
    )


def test_several_yaml_documents_refused(project):
    project.write("zz.yaml", HEAD + "  - id: place/x\n    type: District\n---\n" + HEAD)
    assert input_error(project) == (
        "data/zz.yaml:5: more than one YAML document in the file; a data file holds one "
        "document: remove the '---' separator"
    )


def test_full_load_works_without_network(project, no_network):
    assert len(project.load().graph) > 0


# -- statement-level sources: extensions, 'sources' entries, disagreement sides


def test_an_extension_rests_on_its_own_sources(project):
    project.write(
        "zz.yaml",
        HEAD + "  - extend: place/lachin-district\n    note: Added later.\n",
    )
    assert only_error(project) == (
        "data/zz.yaml:4: 'note' in 'extend place/lachin-district' rests on no source: an "
        "extension does not inherit the sources of the node it extends; give the record "
        "statedIn or backgroundSource, or a 'sources' entry 'for: [note]'"
    )


def test_an_extension_whose_nested_node_cites_its_own_source_is_sourced(project):
    project.write(
        "zz.yaml",
        HEAD
        + "  - extend: place/lachin-district\n"
        + "    hasName:\n"
        + "      - {id: name/x, type: PlaceName, written: {en: X}, statedIn: passage/p02}\n",
    )
    graph = project.load().graph
    name = URIRef(ID_BASE + "name/x")
    assert (URIRef(ID_BASE + "place/lachin-district"), KG.hasName, name) in graph


def test_an_extension_sourced_per_property_names_what_is_left(project):
    project.write(
        "zz.yaml",
        HEAD
        + "  - extend: place/lachin-district\n"
        + "    note: Added later.\n"
        + "    partOf: [place/azerbaijan, place/lachin-district]\n"
        + "    sources:\n"
        + "      - {statedIn: passage/p02, for: [note, partOf=place/azerbaijan]}\n",
    )
    error = only_error(project)
    assert error.startswith("data/zz.yaml:5: 'partOf' in 'extend place/lachin-district' rests ")


def test_a_sourced_extension_adds_its_triples_with_their_passage(project):
    project.write(
        "zz.yaml",
        HEAD
        + "  - extend: place/lachin-district\n"
        + "    note: Added later.\n"
        + "    sources:\n"
        + "      - {statedIn: passage/p02, for: [note]}\n",
    )
    graph = project.load().graph
    district = URIRef(ID_BASE + "place/lachin-district")
    statements = [
        s
        for s in graph.subjects(RDF.subject, district)
        if graph.value(s, RDF.object) == Literal("Added later.", lang="en")
    ]
    assert len(statements) == 1
    (attestation,) = graph.objects(statements[0], KG.attestedBy)
    assert list(graph.objects(attestation, KG.statedIn)) == [URIRef(ID_BASE + "passage/p02")]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (
            "  - extend: place/nowhere\n    note: X.\n    statedIn: passage/p01\n",
            "data/zz.yaml:3: undefined reference 'place/nowhere' in 'extend'",
        ),
        (
            "  - extend: place/lachin-district\n    id: place/y\n    statedIn: passage/p01\n",
            "data/zz.yaml:4: a record has either 'id' (it defines a node) or 'extend' (it adds "
            "to a node defined elsewhere), not both; remove one of the two",
        ),
        (
            "  - extend: place/lachin-district\n",
            "data/zz.yaml:3: record 'extend place/lachin-district' adds nothing; add the "
            "properties it states, with their sources",
        ),
        (
            "  - id: place/x\n    type: District\n    label: X\n    sources:\n"
            "      - {statedIn: passage/p01, backgroundSource: background/toponymy}\n",
            "data/zz.yaml:7: a 'sources' entry of 'place/x' must cite either passages "
            "(statedIn) or background records (backgroundSource); split it into two entries",
        ),
        (
            "  - id: place/x\n    type: District\n    label: X\n    sources:\n"
            "      - {statedIn: passage/p01, for: [partOf]}\n",
            "data/zz.yaml:7: 'for' in 'place/x' names 'partOf', which the record does not state",
        ),
        (
            "  - id: place/x\n    type: District\n    label: X\n    sources:\n"
            "      - {accordingTo: place/azerbaijan, statedIn: passage/p01, spoken: yes}\n",
            "data/zz.yaml:7: unknown key 'spoken' in a 'sources' entry of 'place/x'",
        ),
        (
            "  - id: place/x\n    type: District\n    label: X\n"
            "    accordingTo: place/azerbaijan\n    backgroundSource: background/toponymy\n",
            "data/zz.yaml:6: 'accordingTo' in 'place/x' names who speaks in a passage, but no "
            "'statedIn' passage is given beside it",
        ),
    ],
)
def test_source_and_extension_mistakes(project, record, message):
    project.write("zz.yaml", HEAD + record)
    assert only_error(project).startswith(message)


def test_a_side_must_be_a_node_or_a_whole_triple(project):
    project.write(
        "zz.yaml",
        HEAD + "  - id: place/x\n    type: District\n    label: X\n    statedIn: passage/p01\n"
        "    sides: [[place/lachin-district, partOf]]\n",
    )
    (error,) = [e for e in project.errors() if "sides" in e or "side" in e]
    assert error.startswith("data/zz.yaml:7: ")
    assert error.endswith(
        "a side is a node id, or a triple written as [subject id, property key, value], "
        "e.g. [agreement/x, signedOn, time/2020-11-09]"
    )
