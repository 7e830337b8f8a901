"""The reports behind the graph: every recorded passage matches its paragraph in the stored
copy, every copy in the corpus is in the data, and no run of eight words of any report appears
anywhere in the project (its facts are stated in the project's own words, and cited)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kgbuild.sources import check_reports, read_report, recorded_passages

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REPORTS = sorted((SHARED / "seeds").glob("*.txt")) + sorted((SHARED / "corpus").glob("*.txt"))
NO_REPORTS = "the reports (../shared/seeds, ../shared/corpus) are not beside the repository"

# The project's own text: a local .venv, dist/ or caches are not the project.
PROJECT_FOLDERS = ("ontology", "data", "src", "queries", "tests", "docs", "benchmarks", ".ci")
TEXT_SUFFIXES = {".yaml", ".ttl", ".py", ".md", ".rq", ".jsonld", ".srj", ".txt", ""}
RUN = 8


URL_RE = re.compile(r"https?://\S+")


def words(text: str) -> list[str]:
    """Lower-case words of any script; punctuation and quotes do not count, nor do web
    addresses, which cite a page (a URL's slug often repeats its headline)."""
    return re.findall(r"\w+", URL_RE.sub(" ", text).lower())


@pytest.mark.skipif(not REPORTS, reason=NO_REPORTS)
def test_every_report_is_in_the_data_and_matches_its_passages():
    missing = check_reports([read_report(path) for path in REPORTS], REPO / "data")
    assert missing == []
    recorded = recorded_passages(REPO / "data")
    for path in REPORTS:
        report = read_report(path)
        _, passages = recorded[report.identifier]
        # One passage per paragraph, numbered 1..n.
        assert [p.number for p in passages] == list(range(1, len(report.paragraphs) + 1))


@pytest.mark.skipif(not REPORTS, reason=NO_REPORTS)
def test_a_changed_copy_is_reported_with_its_passage(tmp_path):
    path = next(p for p in REPORTS if "corpus" in p.parts)
    lines = path.read_text(encoding="utf-8").splitlines()
    header_end = lines.index("")
    changed = (
        lines[: header_end + 1] + [lines[header_end + 1] + " (edited)"] + lines[header_end + 2 :]
    )
    copy = tmp_path / path.name
    copy.write_text("\n".join(changed) + "\n", encoding="utf-8")
    from kgbuild.errors import DataErrors

    with pytest.raises(DataErrors) as raised:
        check_reports([read_report(copy)], REPO / "data")
    (error,) = raised.value.errors
    number = path.name[:3]
    assert f"passage/{number}-p01" in str(error)
    assert "no longer matches" in str(error)
    assert error.path.name == f"{path.stem}.yaml"


@pytest.mark.skipif(not REPORTS, reason=NO_REPORTS)
def test_no_run_of_eight_words_of_a_report_appears_in_the_project():
    runs: dict[str, str] = {}
    for path in REPORTS:
        report = read_report(path)
        for n, paragraph in enumerate(report.paragraphs, 1):
            w = words(paragraph)
            for i in range(len(w) - RUN + 1):
                runs.setdefault(" ".join(w[i : i + RUN]), f"{path.name} paragraph {n}")
    assert len(runs) > 1000
    paths = [REPO / "README.md", REPO / "pyproject.toml"]
    for folder in PROJECT_FOLDERS:
        paths += sorted(
            p
            for p in (REPO / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix in TEXT_SUFFIXES
        )
    copied = []
    for path in paths:
        w = words(path.read_text(encoding="utf-8", errors="replace"))
        for i in range(len(w) - RUN + 1):
            found = runs.get(" ".join(w[i : i + RUN]))
            if found:
                copied.append(f"{path.relative_to(REPO).as_posix()}: {found}")
                break
    assert copied == []
