"""`kgbuild queries` and `kgbuild query`: listing, running, formats, errors and exit codes.

Runs the CLI in-process over the real repository built once per session (``built_repo``); one
test runs `python -m kgbuild` in a separate process to check the real exit code and streams."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import run_module
from kgbuild.cli import cli

REPO = Path(__file__).resolve().parents[1]
QUERIES = REPO / "queries"
AGHDAM = ("-p", "territory=Aghdam District", "-p", "date=2020-11-19")


@pytest.fixture(scope="session")
def out(built_repo) -> Path:
    return built_repo


def run(*args: str):
    return CliRunner().invoke(cli, list(args), prog_name="kgbuild")


def query(out: Path, *args: str):
    return run("query", "--out", str(out), "--queries", str(QUERIES), *args)


def ok(result) -> str:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert result.stderr == ""
    return result.stdout


def failed(result, code: int) -> str:
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("kgbuild: error: "), lines
    return lines[0].removeprefix("kgbuild: error: ")


def write(tmp_path: Path, text: str, name: str = "q.rq") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# ------------------------------------------------------------------ kgbuild queries


def test_queries_lists_every_stored_query_with_summary_and_params():
    text = ok(run("queries", "--queries", str(QUERIES)))
    for path in QUERIES.glob("*.rq"):
        assert f"\n{path.stem} " in "\n" + text
    assert "Who controlled a territory on a given date?" in text
    assert "params: territory:iri date:date" in text
    assert "place:iri?" in text  # optional parameters are marked
    assert "needs the inferred facts" in text


def test_queries_name_shows_one_query_in_full():
    text = ok(run("queries", "--queries", str(QUERIES), "control-at"))
    assert text.startswith("control-at: Who controlled a territory on a given date?\n")
    assert "territory (iri, required): the territory, by name or IRI" in text
    assert "example: Kalbajar District" in text
    assert "Run: kgbuild query control-at --param territory='Kalbajar District'" in text


def test_queries_of_an_unknown_name_or_directory(tmp_path):
    message = failed(run("queries", "--queries", str(QUERIES), "control"), 2)
    assert "no stored query named 'control'" in message and "did you mean control-at" in message
    assert "not found" in failed(run("queries", "--queries", str(tmp_path / "none")), 2)


# ------------------------------------------------------------------ kgbuild query


def test_query_prints_a_table_by_default(out):
    text = ok(query(out, "control-at", *AGHDAM))
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["territory", "territoryLabel", "date"]
    assert "<place/aghdam-district>" in lines[2] and "Armenian armed forces" in lines[2]
    assert "@en" not in text and "^^" not in text
    assert lines[-1] == "1 row"


@pytest.mark.parametrize("engine", ["rdflib", "oxigraph"])
def test_query_json_is_w3c_and_the_same_on_both_engines(out, engine):
    text = ok(query(out, "control-at", *AGHDAM, "--format", "json", "--engine", engine))
    doc = json.loads(text)
    assert doc["head"]["vars"][:3] == ["territory", "territoryLabel", "date"]
    (binding,) = doc["results"]["bindings"]
    assert binding["controllerLabel"] == {
        "type": "literal",
        "value": "Armenian armed forces",
        "xml:lang": "en",
    }
    assert binding["date"]["datatype"] == "http://www.w3.org/2001/XMLSchema#date"
    other = "oxigraph" if engine == "rdflib" else "rdflib"
    assert text == ok(query(out, "control-at", *AGHDAM, "-f", "json", "--engine", other))


def test_query_csv_and_tsv(out):
    result = query(out, "place-names", "-p", "place=Berdzor", "-f", "csv")
    ok(result)
    text = result.stdout_bytes.decode("utf-8")
    assert text.endswith("\r\n") and text.count("\r\n") == len(text.splitlines())
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert {r["name"] for r in rows} >= {"Berdzor", "Lachin", "Բերձոր"}
    assert {r["place"] for r in rows} == {"https://w3id.org/kgbuild/id/place/berdzor-lachin"}
    tsv = ok(query(out, "place-names", "-p", "place=Berdzor", "-f", "tsv"))
    assert tsv.splitlines()[0].startswith("?place\t?placeLabel\t?name")
    assert '\t"Բերձոր"@hy\t' in tsv


@pytest.mark.parametrize(
    "value",
    [
        "Berdzor",
        "berdzor",
        "Бердзор",
        "Բերձոր",
        "Berdzor / Lachin",
        "<https://w3id.org/kgbuild/id/place/berdzor-lachin>",
        "https://w3id.org/kgbuild/id/place/berdzor-lachin",
        "<place/berdzor-lachin>",
        "id:place/berdzor-lachin",
    ],
)
def test_a_place_by_every_name_gives_the_same_answer(out, value):
    text = ok(query(out, "place-names", "-p", f"place={value}", "-f", "json"))
    places = {b["place"]["value"] for b in json.loads(text)["results"]["bindings"]}
    assert places == {"https://w3id.org/kgbuild/id/place/berdzor-lachin"}


def test_a_name_two_places_share_is_ambiguous_and_lists_both(out):
    # Press TV calls the district "Lachin", as the first report calls the town.
    result = query(out, "place-names", "-p", "place=Lachin")
    assert result.exit_code == 2
    assert "the name 'Lachin' is ambiguous" in result.stderr
    assert "<place/berdzor-lachin>" in result.stderr and "<place/lachin-district>" in result.stderr


def test_query_by_name_khankendi(out):
    text = ok(query(out, "place-names", "-p", "place=Khankendi"))
    assert "<place/khankendi-stepanakert>" in text and "Stepanakert" in text


def test_an_ambiguous_name_is_bad_usage_listing_candidates(out):
    message = failed(query(out, "roads", "-p", "status=open"), 2)
    assert "the name 'open' is ambiguous" in message
    assert '"open" kg:QuestionOpen' in message and '"open" kg:StatusOpen' in message


def test_an_unknown_name_is_bad_usage_listing_candidates(out):
    message = failed(
        query(out, "control-at", "-p", "territory=Kalbadjar", "-p", "date=2020-11-24"), 2
    )
    assert "no node is named 'Kalbadjar'" in message
    assert '"Kalbajar District" <place/kalbajar-district>' in message


@pytest.mark.parametrize(
    "value", ['Berdzor" } ; DROP ALL ; {', "} ; DROP ALL ; {", "<x> } ; DROP ALL ; { ?s ?p ?o"]
)
def test_an_injection_attempt_is_no_such_node(out, value):
    message = failed(query(out, "place-names", "-p", f"place={value}"), 2)
    assert message.startswith("parameter 'place': no node")
    # The graph is untouched: the next query still sees every name.
    assert "Berdzor" in ok(query(out, "place-names", "-p", "place=Berdzor"))


def test_an_injection_attempt_in_a_string_parameter_is_plain_text(out, tmp_path):
    path = write(
        tmp_path,
        "#+ params:\n#+   - {name: text, type: string, required: true}\n"
        "SELECT ?text (STRLEN(?text) AS ?n) WHERE {}\n",
    )
    value = '"} ; DROP ALL ; { '
    doc = json.loads(ok(query(out, "--file", path, "-p", f"text={value}", "-f", "json")))
    assert doc["results"]["bindings"] == [
        {
            "text": {"type": "literal", "value": value},
            "n": {
                "type": "literal",
                "value": str(len(value)),
                "datatype": "http://www.w3.org/2001/XMLSchema#integer",
            },
        }
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("control-at", "-p", "territory=Kalbajar District"), "needs the parameter date"),
        (("control-at", *AGHDAM, "-p", "day=2020-11-24"), "has no parameter 'day'"),
        (
            ("control-at", "-p", "territory=Kalbajar District", "-p", "date=24.11.2020"),
            "not a date",
        ),
        (
            ("control-at", "-p", "territory=Kalbajar District", "-p", "date=2020-02-30"),
            "not a date",
        ),
        (("control-at", "-p", "territory"), "is not NAME=VALUE"),
        (("control-at", *AGHDAM, "-p", "date=2020-11-25"), "is given twice"),
        (("control", *AGHDAM), "no stored query named 'control'"),
        ((), "give the name of a stored query or --file FILE"),
    ],
)
def test_bad_usage_exits_2(out, args, message):
    assert message in failed(query(out, *args), 2)


def test_both_a_name_and_a_file_is_bad_usage(out, tmp_path):
    path = write(tmp_path, "ASK {}")
    assert "not both" in failed(query(out, "control-at", "--file", path), 2)


def test_a_missing_query_file(out, tmp_path):
    assert "not found" in failed(query(out, "--file", str(tmp_path / "none.rq")), 2)


@pytest.mark.parametrize("option", [("--timeout", "0"), ("--timeout", "-1"), ("-f", "xml")])
def test_bad_option_values_are_click_usage_errors(out, option):
    result = query(out, "handovers", *option)
    assert result.exit_code == 2 and "Traceback" not in result.stderr


def test_without_a_build(tmp_path):
    message = failed(query(tmp_path, "handovers"), 2)
    assert "manifest.json' not found" in message and "run `kgbuild build` first" in message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("INSERT DATA { <a:b> <a:c> <a:d> }", "SPARQL update (INSERT DATA), refused"),
        ("DELETE WHERE { ?s ?p ?o }", "SPARQL update (DELETE WHERE), refused"),
        ("DROP ALL", "SPARQL update (DROP), refused"),
        ("CLEAR ALL", "SPARQL update (CLEAR), refused"),
        ("LOAD <http://example.org/data.ttl>", "SPARQL update (LOAD), refused"),
        ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", "uses SERVICE"),
        ("SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }", "FROM or FROM NAMED"),
        ("SELECT * WHERE { ?s ?p", "is not valid SPARQL"),
    ],
)
def test_ad_hoc_updates_and_network_access_are_refused(out, tmp_path, text, message):
    assert message in failed(query(out, "--file", write(tmp_path, text)), 2)


def test_a_runaway_query_stops_at_the_timeout_with_exit_1(out, tmp_path):
    path = write(tmp_path, "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }\n")
    for engine in ("rdflib", "oxigraph"):
        start = time.monotonic()
        result = query(out, "--file", path, "--timeout", "1", "--engine", engine)
        message = failed(result, 1)
        assert time.monotonic() - start < 8  # 1 s of query after the graph is loaded
        assert "stopped after 1 s without finishing" in message and "--timeout" in message


def test_asserted_only_drops_the_inferred_facts(out, tmp_path):
    path = write(
        tmp_path,
        "SELECT ?event WHERE { ?event <https://w3id.org/kgbuild/ontology#occurredIn> "
        "<https://w3id.org/kgbuild/id/country/azerbaijan> } ORDER BY ?event\n",
    )
    with_inference = ok(query(out, "--file", path))
    asserted = ok(query(out, "--file", path, "--asserted-only"))
    assert "<event/handover-lachin>" in with_inference
    assert "<event/handover-lachin>" not in asserted
    assert len(asserted.splitlines()) < len(with_inference.splitlines())


def test_a_stored_query_that_needs_inference(out):
    full = ok(query(out, "events-in", "-p", "place=Lachin District"))
    asserted = ok(query(out, "events-in", "-p", "place=Lachin District", "--asserted-only"))
    assert "Handover of Lachin District to Azerbaijan" in full
    assert "Handover of Lachin District to Azerbaijan" not in asserted


def test_ad_hoc_ask(out, tmp_path):
    path = write(tmp_path, "ASK { ?s ?p ?o }")
    assert ok(query(out, "--file", path)) == "true\n"
    assert json.loads(ok(query(out, "--file", path, "-f", "json"))) == {
        "head": {},
        "boolean": True,
    }


def test_query_help_documents_params_and_exit_codes():
    text = ok(run("query", "--help"))
    for option in ("--param NAME=VALUE", "--format", "--engine", "--asserted-only", "--timeout"):
        assert option in text
    assert "[default: 30" in text and "[default: table]" in text and "[default: oxigraph]" in text
    assert "Exit codes:" in text and "stopped at --timeout" in text
    assert "never pasted into the query text" in text
    assert "queries" in ok(run("--help"))


def test_a_real_process_exits_with_the_codes_and_no_traceback(out, tmp_path):
    good = run_module("query", "control-at", "--out", str(out), *AGHDAM, cwd=REPO)
    assert good.returncode == 0, good.stderr
    assert "Armenian armed forces" in good.stdout
    bad = run_module("query", "control-at", "--out", str(out), "-p", "territory=x", cwd=REPO)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.startswith("kgbuild: error: query 'control-at' needs the parameter date")
    slow = write(tmp_path, "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
    stopped = run_module(
        "query", "--file", slow, "--out", str(out), "--asserted-only", "--timeout", "1", cwd=REPO
    )
    assert stopped.returncode == 1 and "Traceback" not in stopped.stderr
    assert "stopped after 1 s" in stopped.stderr
