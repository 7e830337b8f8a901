"""Nothing leaks, bad data are refused: errors quote input only as a short excerpt, files
outside the data directory are never read, stray and broken entries of data/ are reported,
and the shapes refuse partOf cycles and figures beyond the bounds of their unit.

The data tests run the CLI in-process on a copy of the real data/ and ontology/ (the working
directory, so messages show paths such as data/places.yaml)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from rdflib import Graph, Literal

from kgbuild.cli import cli
from kgbuild.errors import EXCERPT_CHARS, InputError, excerpt
from kgbuild.namespaces import ID, RDFS
from kgbuild.query import QueryParam, resolve_param
from test_query_engine import GraphNames

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT / "queries"
ERROR = "kgbuild: error: "
# The longest error line a test accepts: the message, a hint and a few excerpts.
MAX_ERROR_CHARS = 600
SECRET = "s3cr3t-line-that-must-never-be-printed"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), prog_name="kgbuild")


def error_of(result: Result, code: int) -> str:
    """The one error line of a failed run (shape report rows may come before it)."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith(ERROR)]
    assert len(errors) == 1, result.stderr
    return errors[0].removeprefix(ERROR)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pristine")
    shutil.copytree(ROOT / "data", root / "data")
    shutil.copytree(ROOT / "ontology", root / "ontology")
    return root


@pytest.fixture
def repo(pristine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(pristine, root)
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file outside the data directory that no error may quote."""
    path = tmp_path / "outside" / "secret.yaml"
    path.parent.mkdir()
    path.write_text(f"{SECRET}\n" * 50, encoding="utf-8")
    return path


def validate(*extra: str) -> Result:
    return run("validate", "--data", "data", "--ontology", "ontology", *extra)


# ---------------------------------------------------------------------------- excerpts


def test_an_excerpt_is_short_one_line_and_says_how_long_the_text_was():
    assert excerpt("place/lachin") == "place/lachin"
    long = "x" * 100_000
    shown = excerpt(long)
    assert shown.startswith("x" * EXCERPT_CHARS + "…")
    assert shown.endswith("(100,000 characters)")
    # Line breaks and terminal control characters are shown escaped, never acted on.
    assert excerpt("a\nb\x1b[31mc") == "a\\nb\\x1b[31mc"


# ---------------------------------------------------------------------------- data/ entries


def test_a_data_file_linked_outside_the_data_directory_is_refused_unread(repo, secret):
    (repo / "data" / "evil.yaml").symlink_to(secret)
    message = error_of(validate(), 2)
    assert message.startswith("data/evil.yaml: symbolic link to ")
    assert secret.as_posix() in message and "outside the data directory" in message
    assert SECRET not in message


def test_a_link_to_etc_passwd_is_refused_without_a_line_of_it(repo):
    (repo / "data" / "passwd.yaml").symlink_to("/etc/passwd")
    message = error_of(validate(), 2)
    assert "data/passwd.yaml: symbolic link to '/etc/passwd'" in message
    assert "root:" not in message and len(message) < MAX_ERROR_CHARS


def test_a_directory_linked_outside_the_data_directory_is_refused(repo, secret):
    (repo / "data" / "more").symlink_to(secret.parent, target_is_directory=True)
    message = error_of(validate(), 2)
    assert message.startswith("data/more: symbolic link to ")
    assert SECRET not in message


def test_a_context_linked_outside_the_data_directory_is_refused(repo, tmp_path):
    outside = tmp_path / "context.jsonld"
    shutil.move(repo / "data" / "context.jsonld", outside)
    (repo / "data" / "context.jsonld").symlink_to(outside)
    message = error_of(validate(), 2)
    assert message.startswith("data/context.jsonld: symbolic link to ")


def test_a_link_inside_the_data_directory_is_read(repo):
    shutil.move(repo / "data" / "routes.yaml", repo / "data" / "reports" / "routes.yaml")
    (repo / "data" / "routes.yaml").symlink_to("reports/routes.yaml")
    # Read once, through the link or its target: no duplicate ids either way.
    result = validate("--quiet")
    assert result.exit_code == 0, result.stderr


def test_a_dangling_link_is_reported_not_skipped(repo):
    (repo / "data" / "reports" / "gone.yaml").symlink_to(repo / "nowhere.yaml")
    message = error_of(validate(), 2)
    assert message.startswith("data/reports/gone.yaml: broken symbolic link to ")
    assert "remove the link" in message


@pytest.mark.parametrize("name", ["extra.json", "reports/010.jsonld", "notes.txt"])
def test_a_stray_file_in_the_data_directory_is_reported_not_skipped(repo, name):
    (repo / "data" / name).write_text('{"@graph": []}\n', encoding="utf-8")
    message = error_of(validate(), 2)
    assert message.startswith(f"data/{name}: unexpected file: ")
    assert "move the file out of the data directory" in message


def test_hidden_files_and_editor_backups_are_still_left_alone(repo):
    (repo / "data" / ".notes.json").write_text("{}", encoding="utf-8")
    shutil.copy(repo / "data" / "places.yaml", repo / "data" / "places.yaml~")
    result = validate("--quiet")
    assert result.exit_code == 0, result.stderr


# ---------------------------------------------------------------------------- quoted input


def test_a_data_file_of_plain_text_is_quoted_as_an_excerpt(repo):
    (repo / "data" / "notes.yaml").write_text("word " * 20_000, encoding="utf-8")
    message = error_of(validate(), 2)
    assert message.startswith("data/notes.yaml:1: the file must be a mapping, found the text ")
    assert "(99,999 characters)" in message and len(message) < MAX_ERROR_CHARS


def test_a_huge_yaml_value_is_quoted_as_an_excerpt(repo):
    huge = "place/" + "x" * 100_000
    (repo / "data" / "zz-fixture.yaml").write_text(
        '"@context": context.jsonld\n"@graph":\n'
        f"  - id: fixture/village\n    type: Village\n    label: Fixture\n    partOf: {huge}\n"
        "    statedIn: passage/000-p01\n",
        encoding="utf-8",
    )
    result = validate()
    assert result.exit_code == 1, result.stderr
    line = next(li for li in result.stderr.splitlines() if "undefined reference" in li)
    assert line.startswith(f"{ERROR}data/zz-fixture.yaml:6: undefined reference 'place/xxx")
    assert "(100,006 characters)" in line and len(line) < MAX_ERROR_CHARS


def test_a_huge_key_is_quoted_as_an_excerpt(repo):
    key = "k" * 50_000
    (repo / "data" / "zz-fixture.yaml").write_text(
        # An explicit key: YAML limits plain keys to 1024 characters.
        f'"@context": context.jsonld\n"@graph":\n  - id: fixture/village\n    ? {key}\n    : 1\n',
        encoding="utf-8",
    )
    result = validate()
    assert result.exit_code == 1, result.stderr
    line = next(li for li in result.stderr.splitlines() if "unknown key" in li)
    assert "(50,000 characters)" in line and len(line) < MAX_ERROR_CHARS


def test_a_huge_query_parameter_is_quoted_as_an_excerpt(built_repo):
    for param in ("territory", "date"):
        value = "Q" * 100_000
        result = run(
            "query", "--out", str(built_repo), "--queries", str(QUERIES), "control-at",
            "-p", f"territory={value if param == 'territory' else 'Aghdam District'}",
            "-p", f"date={value if param == 'date' else '2020-11-19'}",
        )  # fmt: skip
        message = error_of(result, 2)
        assert "(100,000 characters)" in message and len(message) < MAX_ERROR_CHARS


def test_a_name_of_a_hundred_nodes_lists_a_few_and_how_many_more():
    graph = Graph()
    for i in range(100):
        graph.add((ID[f"place/twin-{i:03d}"], RDFS.label, Literal("Twin", lang="en")))
    with pytest.raises(InputError) as info:
        resolve_param(
            QueryParam(name="place", type="iri", required=True), "twin", GraphNames(graph)
        )
    message = str(info.value)
    assert "the name 'twin' is ambiguous, it names 100 nodes: " in message
    assert '"Twin" <place/twin-000>' in message and '"Twin" <place/twin-007>' in message
    assert "<place/twin-008>" not in message
    assert "; and 92 more; give the IRI instead" in message


# ---------------------------------------------------------------------------- shapes on data


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_length_of_ten_to_the_400_km_is_refused_with_value_unit_and_bound(repo):
    _replace(repo / "data" / "routes.yaml", "numericValue: 105", "numericValue: 1" + "0" * 400)
    result = validate()
    assert result.exit_code == 1, result.stderr
    assert "1 violation" in result.stdout
    row = next(li for li in result.stdout.splitlines() if li.startswith("Violation"))
    assert "<quantity/fuzuli-shusha-road-length>" in row and "data/routes.yaml:63" in row
    assert "A length in kilometres must be more than 0 and at most 40075 km" in row
    assert '(value "1000000000' in row and len(row) < MAX_ERROR_CHARS


def test_a_place_part_of_itself_through_another_is_refused(repo):
    _replace(
        repo / "data" / "places.yaml",
        "refugees return to.\n    partOf: country/azerbaijan\n",
        "refugees return to.\n    partOf: [country/azerbaijan, place/nagorno-karabakh]\n",
    )
    result = validate()
    assert result.exit_code == 1, result.stderr
    rows = [li for li in result.stdout.splitlines() if li.startswith("Violation")]
    assert len(rows) == 2, rows
    assert all("This place is part of itself" in row for row in rows)
    assert "<place/karabakh>" in rows[0] and "<place/nagorno-karabakh>" in rows[1]


# ---------------------------------------------------------------------------- broken shapes


def _line_of(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if text in line)


def test_a_shapes_query_that_does_not_parse_is_reported_at_its_file_and_line(repo):
    shapes = repo / "ontology" / "shapes" / "cross-node.ttl"
    _replace(
        shapes,
        "$this kg:legOf ?route ; kg:legOrder ?order .\n",
        "$this kg:legOf ?route ; kg:legOrder ?order ) .\n",
    )
    line = _line_of(shapes, "kg:legOrder ?order ) .")
    message = error_of(validate(), 2)
    assert message.startswith(f"ontology/shapes/cross-node.ttl:{line}: the SHACL shapes cannot")
    assert "SPARQL syntax error in sh:select" in message


def test_an_unusable_constraint_is_reported_at_the_block_of_its_shape(repo):
    shapes = repo / "ontology" / "shapes" / "places.ttl"
    _replace(shapes, "sh:path kg:adjacentTo ;\n", 'sh:path kg:adjacentTo ; sh:minCount "x" ;\n')
    line = _line_of(shapes, "kgsh:S15-Place-adjacentTo a sh:PropertyShape")
    message = error_of(validate(), 2)
    assert re.match(
        rf"ontology/shapes/places\.ttl:{line}: the SHACL shapes cannot be used: ", message
    )
    assert "sh:minCount" in message


def test_an_error_message_is_cut_however_much_it_quotes():
    error = InputError("bad value " + "v" * 100_000, "data/places.yaml", 3, "fix it")
    text = str(error)
    assert text.startswith("data/places.yaml:3: bad value vvv")
    assert text.endswith("… (100,010 characters); fix it")
    assert len(text) < 2 * MAX_ERROR_CHARS + 100
