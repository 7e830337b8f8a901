"""Bad input, as a user meets it: one test per case, through the command line.

Every case runs kgbuild on a copy of the real repository (data/, ontology/ with its shapes)
whose dist/kg.ttl holds an earlier build, and checks what the user sees: the documented exit
code, one clear error line (file, line where known, what is wrong, how to fix it), no Python
traceback, and dist/ exactly as it was. The shape cases add a data file with the offending
nodes (ids under fixture/) next to the real data, and check the behaviour (exit code,
severity, node, file:line), not the names of the shapes.
"""

from __future__ import annotations

import re
import shutil
import socket
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from rdflib import Graph, Literal, URIRef

from conftest import write_file
from kgbuild.cli import cli
from kgbuild.load import MAX_FILE_BYTES, MAX_TOTAL_BYTES
from kgbuild.namespaces import ID_BASE, KG, RDFS, SKOS

ROOT = Path(__file__).resolve().parents[1]
PREVIOUS = b"# an earlier build of dist/kg.ttl, which no failed run may touch\n"
HEAD = '"@context": context.jsonld\n"@graph":\n'
FIXTURE_FILE = "data/zz-fixture.yaml"
ERROR = "kgbuild: error: "


@dataclass
class Repo:
    root: Path

    def write(self, rel: str, text: str | bytes) -> Path:
        return write_file(self.root / rel, text)

    def fixture(self, nodes: str) -> Path:
        """data/zz-fixture.yaml with the given (dedented) node records under "@graph"."""
        body = textwrap.indent(textwrap.dedent(nodes).strip("\n"), "  ")
        return self.write(FIXTURE_FILE, HEAD + body + "\n")

    def run(self, *args: str) -> Result:
        return CliRunner().invoke(cli, list(args), prog_name="kgbuild")

    def dist(self) -> dict[str, bytes]:
        out = self.root / "dist"
        return {
            p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()
        }


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the real data/ and ontology/ for the module, copied again per test."""
    root = tmp_path_factory.mktemp("pristine")
    shutil.copytree(ROOT / "data", root / "data")
    shutil.copytree(ROOT / "ontology", root / "ontology")
    (root / "dist").mkdir()
    (root / "dist" / "kg.ttl").write_bytes(PREVIOUS)
    return root


@pytest.fixture
def repo(pristine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    root = tmp_path / "repo"
    shutil.copytree(pristine, root)
    monkeypatch.chdir(root)  # messages show paths such as data/zz-fixture.yaml
    return Repo(root)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("kgbuild tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.stdout and "Traceback" not in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )


def error_line(result: Result, code: int, *patterns: str) -> str:
    """The one error line of a failed run, checked against ``patterns`` (regular expressions
    searched in it); every other stderr line must be part of a shape report."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    no_traceback(result)
    lines = result.stderr.splitlines()
    errors = [line.removeprefix(ERROR) for line in lines if line.startswith(ERROR)]
    assert len(errors) == 1, result.stderr
    for pattern in patterns:
        assert re.search(pattern, errors[0]), (pattern, errors[0])
    assert "; " in errors[0], f"no hint on how to fix it: {errors[0]}"
    return errors[0]


def assert_dist_unchanged(repo: Repo) -> None:
    assert repo.dist() == {"kg.ttl": PREVIOUS}


def report_row(output: str, severity: str, node: str, where: str) -> str:
    """The report line of ``severity`` for ``node`` that ends with the location ``where``."""
    rows = [
        line
        for line in output.splitlines()
        if line.split()[:2] == [severity, node] and line.rstrip().endswith(where)
    ]
    assert rows, f"no {severity} line for {node} at {where} in:\n{output}"
    return rows[0]


# --------------------------------------------------------------------------------------------
# Input the loader refuses: (id, setup, arguments, exit code, patterns of the error line)

Setup = Callable[[Repo], object]


def _malformed_yaml(repo: Repo) -> None:
    repo.write(FIXTURE_FILE, HEAD + "  - id: fixture/x\n   type: [Village\n")


def _unknown_key(repo: Repo) -> None:
    repo.fixture("""
        - id: fixture/village
          type: Village
          lable: A village
          statedIn: passage/000-p08
    """)


def _undefined_reference(repo: Repo) -> None:
    repo.fixture("""
        - id: fixture/village
          type: Village
          label: A village
          partOf: place/kalbajar-distrct
          statedIn: passage/000-p08
    """)


def _duplicate_id(repo: Repo) -> None:
    repo.fixture("""
        - id: place/kalbajar-district
          type: District
          label: Kalbajar again
          statedIn: passage/000-p08
    """)


def _malformed_date(repo: Repo) -> None:
    repo.fixture("""
        - id: fixture/day
          type: CalendarDay
          label: 25 November 2020
          date: 25.11.2020
          precision: PrecisionDay
          statedIn: passage/000-p08
    """)


def _impossible_date(repo: Repo) -> None:
    repo.fixture("""
        - id: fixture/day
          type: CalendarDay
          label: 30 February 2020
          date: 2020-02-30
          precision: PrecisionDay
          statedIn: passage/000-p08
    """)


def _count_not_a_number(repo: Repo) -> None:
    repo.fixture("""
        - id: fixture/count
          type: Count
          label: Many refugees
          countValue: more than 25,000
          valueQualifier: MoreThan
          statedIn: passage/000-p14
    """)


def _unknown_type(repo: Repo) -> None:
    repo.fixture("""
        - id: fixture/village
          type: Vilage
          label: A village
          statedIn: passage/000-p08
    """)


def _empty_file(repo: Repo) -> None:
    repo.write(FIXTURE_FILE, b"")


def _not_utf8(repo: Repo) -> None:
    repo.write(
        FIXTURE_FILE, (HEAD + "  - id: fixture/x\n    label: Lachin \xe7ay\n").encode("latin-1")
    )


def _yaml_alias(repo: Repo) -> None:
    repo.write(
        FIXTURE_FILE,
        HEAD + "  - id: fixture/x\n    type: Village\n    label: &name X\n    note: *name\n",
    )


def _missing_context(repo: Repo) -> None:
    (repo.root / "data" / "context.jsonld").unlink()


def _ontology_syntax_error(repo: Repo) -> None:
    repo.write(
        "ontology/zz-extra.ttl",
        "@prefix kg: <https://w3id.org/kgbuild/ontology#> .\n\nkg:A a xx:B .\n",
    )


def _missing_data(repo: Repo) -> None:
    shutil.rmtree(repo.root / "data")


def _missing_ontology(repo: Repo) -> None:
    shutil.rmtree(repo.root / "ontology")


def _missing_shapes(repo: Repo) -> None:
    shutil.rmtree(repo.root / "ontology" / "shapes")


def _empty_shapes(repo: Repo) -> None:
    for path in (repo.root / "ontology" / "shapes").glob("*.ttl"):
        path.unlink()


def _shapes_syntax_error(repo: Repo) -> None:
    repo.write(
        "ontology/shapes/zz-broken.ttl",
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n\n<urn:x:S> a sh:NodeShape ;\n"
        "    sh:targetClass kg:Event .\n",
    )


def _shapes_unusable_sparql(repo: Repo) -> None:
    repo.write(
        "ontology/shapes/zz-broken.ttl",
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "@prefix kg: <https://w3id.org/kgbuild/ontology#> .\n\n"
        "<urn:x:S> a sh:NodeShape ;\n    sh:targetClass kg:Event ;\n"
        '    sh:sparql [ sh:message "m" ; sh:select "SELECT $this WHERE { $this ?p " ] .\n',
    )


def _shapes_bad_constraint(repo: Repo) -> None:
    repo.write(
        "ontology/shapes/zz-broken.ttl",
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "@prefix kg: <https://w3id.org/kgbuild/ontology#> .\n\n"
        "<urn:x:S> a sh:NodeShape ;\n    sh:targetClass kg:Event ;\n"
        '    sh:property [ sh:path kg:hasTime ; sh:minCount "one" ] .\n',
    )


def _file_parent(repo: Repo) -> None:
    repo.write("blocker", "a regular file, so nothing can be created below it\n")


LOADER_CASES = [
    pytest.param(
        _malformed_yaml,
        [],
        2,
        [rf"^{FIXTURE_FILE}:4: YAML syntax error", "fix the YAML"],
        id="malformed-yaml",
    ),
    pytest.param(
        _unknown_key,
        [],
        1,
        [
            rf"^{FIXTURE_FILE}:5: unknown key 'lable' in node 'fixture/village'",
            "did you mean 'label'",
        ],
        id="unknown-key",
    ),
    pytest.param(
        _undefined_reference,
        [],
        1,
        [
            rf"^{FIXTURE_FILE}:6: undefined reference 'place/kalbajar-distrct'",
            "did you mean 'place/kalbajar-district'",
        ],
        id="undefined-reference",
    ),
    pytest.param(
        _duplicate_id,
        [],
        1,
        [rf"^{FIXTURE_FILE}:3: .*'place/kalbajar-district'", r"data/places\.yaml:\d+"],
        id="duplicate-id",
    ),
    pytest.param(
        _malformed_date,
        [],
        1,
        [rf"^{FIXTURE_FILE}:6: invalid xsd:date '25\.11\.2020'", "YYYY-MM-DD"],
        id="malformed-date",
    ),
    pytest.param(
        _impossible_date,
        [],
        1,
        [
            rf"^{FIXTURE_FILE}:6: invalid xsd:date '2020-02-30'.*day is out of range",
            "real calendar date",
        ],
        id="impossible-date",
    ),
    pytest.param(
        _count_not_a_number,
        [],
        1,
        [rf"^{FIXTURE_FILE}:6: invalid xsd:integer 'more than 25,000'", "whole number"],
        id="count-not-a-number",
    ),
    pytest.param(
        _unknown_type,
        [],
        1,
        [rf"^{FIXTURE_FILE}:4: unknown type 'Vilage'", "did you mean 'Village'"],
        id="unknown-type",
    ),
    pytest.param(_empty_file, [], 2, [rf"^{FIXTURE_FILE}: empty file", "@graph"], id="empty-file"),
    pytest.param(
        _not_utf8,
        [],
        2,
        [rf"^{FIXTURE_FILE}:4: file is not valid UTF-8", "save it as UTF-8"],
        id="not-utf8",
    ),
    pytest.param(
        _yaml_alias,
        [],
        2,
        [rf"^{FIXTURE_FILE}:6: YAML alias '\*name'", "write the value out"],
        id="yaml-alias",
    ),
    pytest.param(
        _missing_context,
        [],
        2,
        [r"^data/context\.jsonld: missing context\.jsonld", "shared"],
        id="missing-context",
    ),
    pytest.param(
        _ontology_syntax_error,
        [],
        2,
        [r"^ontology/zz-extra\.ttl:3: Turtle syntax error", "fix the Turtle"],
        id="ontology-syntax-error",
    ),
    pytest.param(
        _missing_data,
        [],
        2,
        [r"^data directory 'data' does not exist", "pass --data DIR"],
        id="missing-data-dir",
    ),
    pytest.param(
        None,
        ["--data", "nowhere"],
        2,
        [r"^data directory 'nowhere' does not exist"],
        id="wrong-data-option",
    ),
    pytest.param(
        _missing_ontology,
        [],
        2,
        [r"^ontology directory 'ontology' does not exist", "pass --ontology DIR"],
        id="missing-ontology-dir",
    ),
    pytest.param(
        _missing_shapes,
        [],
        2,
        [r"^shapes directory 'ontology/shapes' does not exist", "shapes/ folder"],
        id="missing-shapes-dir",
    ),
    pytest.param(
        _empty_shapes,
        [],
        2,
        [r"^no \*\.ttl files in shapes directory 'ontology/shapes'"],
        id="empty-shapes-dir",
    ),
    pytest.param(
        _shapes_syntax_error,
        [],
        2,
        [r"^ontology/shapes/zz-broken\.ttl:4: Turtle syntax error: .*kg:", "fix the Turtle"],
        id="shapes-turtle-syntax-error",
    ),
    pytest.param(
        _shapes_unusable_sparql,
        [],
        2,
        [
            r"^ontology/shapes/zz-broken\.ttl:6: the SHACL shapes cannot be used: SPARQL syntax",
            "fix the shapes",
        ],
        id="shapes-sparql-syntax-error",
    ),
    pytest.param(
        _shapes_bad_constraint,
        [],
        2,
        [
            r"^ontology/shapes/zz-broken\.ttl:4: the SHACL shapes cannot be used: .*sh:minCount",
            "fix the shapes",
        ],
        id="shapes-bad-constraint",
    ),
    pytest.param(
        _file_parent,
        ["--out", "blocker/dist"],
        2,
        [
            r"^cannot write 'blocker/dist/kg\.ttl': 'blocker' exists and is not a directory",
            "choose another --out directory",
        ],
        id="unwritable-out",
    ),
]


@pytest.mark.parametrize(("setup", "args", "code", "patterns"), LOADER_CASES)
def test_build_refuses(repo, setup, args, code, patterns):
    if setup is not None:
        setup(repo)
    error_line(repo.run("build", *args), code, *patterns)
    assert_dist_unchanged(repo)
    assert not (repo.root / "blocker").is_dir()


def test_validate_refuses_like_build(repo):
    _unknown_key(repo)
    error_line(repo.run("validate"), 1, rf"^{FIXTURE_FILE}:5: unknown key 'lable'")
    assert_dist_unchanged(repo)


def test_validate_refuses_broken_shapes(repo):
    _shapes_bad_constraint(repo)
    error_line(repo.run("validate", "--format", "json"), 2, "SHACL shapes cannot be used")
    assert_dist_unchanged(repo)


def test_validate_unwritable_output(repo):
    _file_parent(repo)
    error_line(
        repo.run("validate", "--output", "blocker/report.txt"),
        2,
        r"^cannot write 'blocker/report\.txt'",
        "choose another --output file",
    )
    assert_dist_unchanged(repo)


def test_unknown_format_is_a_usage_error(repo):
    result = repo.run("validate", "--format", "xml")
    assert result.exit_code == 2
    no_traceback(result)
    assert "Invalid value for '--format'" in result.stderr and "'text'" in result.stderr
    assert_dist_unchanged(repo)


def test_remote_context_refused_without_network(repo, no_network):
    repo.write(
        FIXTURE_FILE,
        '"@context": https://example.org/kgbuild/context.jsonld\n"@graph":\n'
        "  - id: fixture/x\n    type: Village\n",
    )
    error_line(
        repo.run("build"),
        2,
        rf"^{FIXTURE_FILE}:1: remote @context 'https://example.org/kgbuild/context.jsonld' "
        "refused: kgbuild never fetches",
        'write "@context": context.jsonld',
    )
    assert_dist_unchanged(repo)


def test_50_mb_file_refused_fast(repo):
    size = 50 * 1024 * 1024
    record = (
        "  - id: fixture/village-{:07d}\n    type: Village\n"
        "    label: A generated village with a long enough label to fill the file\n"
        "    statedIn: passage/000-p08\n"
    )
    path = repo.root / FIXTURE_FILE
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEAD)
        written, i = len(HEAD), 0
        while written < size:
            chunk = "".join(record.format(i + k) for k in range(1000))
            handle.write(chunk)
            written += len(chunk)
            i += 1000
        # Broken YAML at the end: had the file been parsed before its size was checked, the
        # error would be this one; the refusal must come first, without reading the file.
        handle.write("  - {unclosed\n")
    result = repo.run("build")
    line = error_line(
        result,
        2,
        rf"^{FIXTURE_FILE}: file has [\d,]+ bytes, over the limit of {MAX_FILE_BYTES:,} bytes "
        "per data file",
        r"split it into several \.yaml files of at most",
    )
    assert len(line) < 200
    assert_dist_unchanged(repo)


def test_a_hundred_copies_of_the_data_fit_the_limit():
    """The benchmarks build a hundred copies of the data (benchmarks/scale.py, whose renamed ids
    make a copy about 2 % larger): the limit on all data must leave room for them."""
    from kgbuild.load import data_files

    size = sum(path.stat().st_size for path in data_files(ROOT / "data"))
    assert 100 * size * 1.05 < MAX_TOTAL_BYTES
    assert MAX_TOTAL_BYTES <= 40 * 1024 * 1024  # and no more: about 2 minutes and 2 GB of build


def test_too_much_data_in_all_refused_fast(repo):
    per_file = MAX_FILE_BYTES - 1024
    count = MAX_TOTAL_BYTES // per_file + 1
    # Each file ends in broken YAML: the limit must refuse them before any is parsed.
    filler = HEAD + "# " + "x" * (per_file - len(HEAD) - 18) + "\n  - {unclosed\n"
    for i in range(count):
        repo.write(f"data/zz-bulk-{i}.yaml", filler)
    result = repo.run("build")
    error_line(
        result,
        2,
        rf"^the data files in 'data' have [\d,]+ bytes in all, over the limit of "
        rf"{MAX_TOTAL_BYTES:,} bytes",
        "move some files to another --data directory",
    )
    assert_dist_unchanged(repo)


def test_quotes_newlines_and_armenian_azerbaijani_round_trip(repo):
    note = 'He said "stop" \\ then left.\nLaçın, Ağdam, Kəlbəcər; Լաչին, Քարվաճառ.\n'
    repo.fixture("""
        - id: fixture/village-unicode
          type: Village
          label: "Xocalı / Խոջալու \\"quoted\\""
          partOf: place/kalbajar-district
          note: |
            He said "stop" \\ then left.
            Laçın, Ağdam, Kəlbəcər; Լաչին, Քարվաճառ.
          statedIn: passage/000-p08
    """)
    result = repo.run("build", "--out", "built")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    no_traceback(result)
    assert "Violation" not in result.stderr
    graph = Graph().parse(repo.root / "built" / "kg.ttl", format="turtle")
    node = URIRef(ID_BASE + "fixture/village-unicode")
    assert graph.value(node, RDFS.label) == Literal('Xocalı / Խոջալու "quoted"', lang="en")
    assert graph.value(node, SKOS.editorialNote) == Literal(note, lang="en")
    assert (node, KG.partOf, URIRef(ID_BASE + "place/kalbajar-district")) in graph
    assert_dist_unchanged(repo)


# --------------------------------------------------------------------------------------------
# Shape violations: the data load, but the graph breaks a SHACL shape.

HANDOVER = """
    - id: fixture/handover
      type: TerritoryHandover
      label: A handover for a test
      territory: {territory}
      handedOverBy: actor/armenian-armed-forces
      handedOverTo: country/azerbaijan
      underAgreement: agreement/trilateral-statement-2020-11-10
      hasTime: {time}
      eventStatus: {status}
      statedIn: passage/000-p08
"""


def handover(
    territory: str = "place/kalbajar-district",
    time: str = "time/2020-11-25",
    status: str = "Completed",
) -> str:
    return HANDOVER.format(territory=territory, time=time, status=status)


DAY_BEFORE_AGREEMENT = """
    - id: fixture/day-2020-11-01
      type: CalendarDay
      label: 1 November 2020
      date: 2020-11-01
      precision: PrecisionDay
      statedIn: passage/000-p08
"""

PERIOD_ENDING_BEFORE_IT_BEGINS = """
    - id: fixture/period
      type: ControlPeriod
      label: A control period that ends before it begins
      controller: actor/armenian-armed-forces
      controlledTerritory: place/kalbajar-district
      hasBeginning: time/2020-11-25
      hasEnd: time/2020-11-10
      statedIn: passage/000-p08
"""

VAGUE_TIME_BOUNDS_REVERSED = """
    - id: fixture/vague
      type: VagueTime
      label: Late November 2020, bounds the wrong way round
      earliest: 2020-11-29
      latest: 2020-11-25
      precision: PrecisionDayRange
      statedIn: passage/000-p08
"""

SHAPE_CASES = [
    pytest.param(
        handover(territory="[place/kalbajar-district, place/lachin-district]"),
        "fixture/handover",
        id="cardinality-two-territories",
    ),
    pytest.param(
        handover(territory="passage/000-p08"),
        "fixture/handover",
        id="class-territory-not-a-territory",
    ),
    pytest.param(handover(status="StatusOpen"), "fixture/handover", id="value-list-event-status"),
    pytest.param(
        DAY_BEFORE_AGREEMENT + handover(time="fixture/day-2020-11-01"),
        "fixture/handover",
        id="sparql-handover-before-agreement",
    ),
    pytest.param(
        PERIOD_ENDING_BEFORE_IT_BEGINS, "fixture/period", id="sparql-period-ends-before-start"
    ),
    pytest.param(VAGUE_TIME_BOUNDS_REVERSED, "fixture/vague", id="vague-earliest-after-latest"),
]


def fixture_line(repo: Repo, node: str) -> int:
    """The line of the record of ``node`` in the fixture file."""
    lines = (repo.root / FIXTURE_FILE).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.strip() == f"- id: {node}")


@pytest.mark.parametrize(("nodes", "node"), SHAPE_CASES)
def test_build_refuses_shape_violation(repo, nodes, node):
    repo.fixture(nodes)
    where = f"{FIXTURE_FILE}:{fixture_line(repo, node)}"
    result = repo.run("build")
    line = error_line(result, 1, r"shape violation", "nothing was written")
    assert "Traceback" not in result.output
    report_row(result.stderr, "Violation", f"<{node}>", where)
    assert re.match(rf"{FIXTURE_FILE}:\d+: ", line)
    assert result.stdout == ""  # no summary, no "Wrote"
    assert_dist_unchanged(repo)


@pytest.mark.parametrize(("nodes", "node"), SHAPE_CASES)
def test_validate_reports_shape_violation(repo, nodes, node):
    repo.fixture(nodes)
    where = f"{FIXTURE_FILE}:{fixture_line(repo, node)}"
    result = repo.run("validate")
    assert result.exit_code == 1, (result.stdout, result.stderr)
    no_traceback(result)
    report_row(result.stdout, "Violation", f"<{node}>", where)
    assert re.fullmatch(
        r"[1-9][\d,]* violations?, [\d,]+ warnings?", result.stdout.splitlines()[-1]
    )
    assert_dist_unchanged(repo)


def test_datatype_violation_located_in_the_ontology_file(repo):
    # The data cannot carry a literal of the wrong datatype: the context types every value and
    # the loader checks its form. Turtle in ontology/ can, and the report points at its line.
    repo.write(
        "ontology/zz-fixture.ttl",
        "@prefix kg: <https://w3id.org/kgbuild/ontology#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n\n"
        "<https://w3id.org/kgbuild/id/fixture/day> a kg:CalendarDay ;\n"
        '    rdfs:label "25 November 2020"@en ;\n'
        '    kg:date "25 November 2020" ;\n'
        "    kg:precision kg:PrecisionDay ;\n"
        "    kg:statedIn <https://w3id.org/kgbuild/id/passage/000-p08> .\n",
    )
    result = repo.run("build")
    error_line(result, 1, r"^ontology/zz-fixture\.ttl:4: the graph has \d+ shape violations?")
    row = report_row(result.stderr, "Violation", "<fixture/day>", "ontology/zz-fixture.ttl:4")
    assert "kg:date" in row
    assert_dist_unchanged(repo)


def test_warning_only_builds_and_exits_0(repo):
    repo.fixture("""
        - id: fixture/vague-no-precision
          type: VagueTime
          label: Late November 2020, with no precision given
          earliest: 2020-11-25
          latest: 2020-11-29
          statedIn: passage/000-p08
    """)
    where = f"{FIXTURE_FILE}:3"
    result = repo.run("build", "--out", "built")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    no_traceback(result)
    assert ERROR not in result.stderr and "Violation" not in result.stderr
    report_row(result.stderr, "Warning", "<fixture/vague-no-precision>", where)
    assert "Wrote built/kg.ttl\n" in result.stdout
    assert (repo.root / "built" / "kg.ttl").is_file()
    quiet = repo.run("build", "--quiet", "--out", "built")
    assert quiet.exit_code == 0 and quiet.stdout == "" and quiet.stderr == ""
    validated = repo.run("validate")
    assert validated.exit_code == 0
    report_row(validated.stdout, "Warning", "<fixture/vague-no-precision>", where)
    assert re.fullmatch(r"0 violations, [1-9][\d,]* warnings?", validated.stdout.splitlines()[-1])
    assert_dist_unchanged(repo)
