"""The command line: help, exit codes, one-line errors on stderr, no tracebacks."""

from __future__ import annotations

from conftest import run_module

HEAD = '"@context": context.jsonld\n"@graph":\n'


def assert_clean_failure(result, code: int) -> list[str]:
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith("kgbuild: error: ") for line in lines), lines
    return [line.removeprefix("kgbuild: error: ") for line in lines]


def test_help_has_overview_commands_and_exit_codes(project):
    result = project.run("--help")
    assert result.exit_code == 0
    for text in (
        "Build a knowledge graph",
        "build",
        "stats",
        "--version",
        "Exit codes:",
        "1  the data fail a check",
        "2  bad usage or unreadable input",
    ):
        assert text in result.stdout


def test_build_help_shows_shared_options(project):
    for command in ("build", "stats"):
        result = project.run(command, "--help")
        assert result.exit_code == 0
        assert "--out DIR" in result.stdout and "--quiet" in result.stdout
    build_help = project.run("build", "--help").stdout
    assert "--data DIR" in build_help and "--ontology DIR" in build_help
    assert "[default: data]" in build_help


def test_version(project):
    result = project.run("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == "kgbuild 0.1.0"


def test_build_prints_summary_and_output_path(project):
    result = project.run("build")
    assert result.exit_code == 0, result.stderr
    assert "Events" in result.stdout and "kg:ArmyEntry" in result.stdout
    assert result.stdout.rstrip().endswith(
        "Wrote dist/kg.ttl\nWrote dist/inferred.ttl\nWrote dist/kg-closure.ttl\n"
        "Wrote dist/kg.nt\nWrote dist/kg.jsonld\nWrote dist/kg.trig\nWrote dist/void.ttl\n"
        "Wrote dist/index.sqlite\nWrote dist/store\nWrote dist/manifest.json"
    )
    assert (project.out / "kg.ttl").is_file()


def test_build_format_chooses_the_other_serialisations(project):
    result = project.run("build", "--format", "ntriples", "--format", "trig")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in project.out.iterdir()) == [
        "index.sqlite",
        "inferred.ttl",
        "kg-closure.ttl",
        "kg.nt",
        "kg.trig",
        "kg.ttl",
        "manifest.json",
        "store",
        "void.ttl",
    ]
    void = (project.out / "void.ttl").read_text(encoding="utf-8")
    # The description lists the files written, and only those.
    assert '"kg.trig"' in void and '"kg-closure.ttl"' in void and '"kg.jsonld"' not in void
    result = project.run("build", "--format", "none", "--out", "bare")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (project.root / "bare").iterdir()) == [
        "index.sqlite",
        "inferred.ttl",
        "kg-closure.ttl",
        "kg.ttl",
        "manifest.json",
        "store",
        "void.ttl",
    ]


def test_build_quiet_prints_nothing(project):
    result = project.run("build", "-q", "--out", "elsewhere")
    assert result.exit_code == 0
    assert result.stdout == "" and result.stderr == ""
    assert (project.root / "elsewhere" / "kg.ttl").is_file()


def test_stats_after_build_prints_the_same_summary(project):
    built = project.run("build")
    stats = project.run("stats")
    assert stats.exit_code == 0, stats.stderr
    assert built.stdout.startswith(stats.stdout)


def test_stats_without_build_exits_2(project):
    lines = assert_clean_failure(project.run("stats"), 2)
    assert lines == [
        "'dist/manifest.json' not found: there is no build in 'dist'; run `kgbuild build` first"
    ]


def test_stats_of_a_build_older_than_its_data_exits_2(project):
    assert project.run("build", "-q").exit_code == 0
    places = project.data / "places.yaml"
    places.write_text(places.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    lines = assert_clean_failure(project.run("stats"), 2)
    assert lines == [
        "the build in 'dist' is out of date: 'data/places.yaml' has changed since it was built; "
        "run `kgbuild build` to bring it up to date"
    ]
    assert project.run("build", "-q").exit_code == 0
    assert project.run("stats").exit_code == 0


def test_data_errors_exit_1_one_line_each(project):
    project.write("zz.yaml", HEAD + "  - id: place/x\n    type: Distrct\n    lable: X\n")
    lines = assert_clean_failure(project.run("build"), 1)
    assert lines == [
        "data/zz.yaml:4: unknown type 'Distrct' in node 'place/x'; the context defines no such "
        "class (did you mean 'District'?)",
        "data/zz.yaml:5: unknown key 'lable' in node 'place/x'; the context does not define it "
        "(did you mean 'label'?)",
    ]
    assert not (project.out / "kg.ttl").exists()


def test_unreadable_input_exits_2(project):
    project.write("zz.yaml", HEAD + "  - id: place/x\n   type: [District\n")
    lines = assert_clean_failure(project.run("build"), 2)
    assert len(lines) == 1 and lines[0].startswith("data/zz.yaml:4: YAML syntax error: ")


def test_missing_data_dir_exits_2(project):
    lines = assert_clean_failure(project.run("build", "--data", "nope"), 2)
    assert lines == [
        "data directory 'nope' does not exist; pass --data DIR with the YAML-LD data files"
    ]


def test_unwritable_out_exits_2(project):
    (project.root / "taken").write_text("a file, not a directory")
    lines = assert_clean_failure(project.run("build", "--out", "taken"), 2)
    assert lines == [
        "cannot write 'taken/kg.ttl': 'taken' exists and is not a directory; choose another "
        "--out directory"
    ]


def test_usage_error_exits_2(project):
    result = project.run("build", "--no-such-option")
    assert result.exit_code == 2
    assert "No such option" in result.stderr


def test_python_m_kgbuild_in_a_subprocess(project):
    proc = run_module("build", "--data", "missing", cwd=project.root)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == (
        "kgbuild: error: data directory 'missing' does not exist; pass --data DIR with the "
        "YAML-LD data files\n"
    )
    assert run_module("--version", cwd=project.root).stdout == "kgbuild 0.1.0\n"
