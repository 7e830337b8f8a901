"""The documentation: the generated references match the code, and every relative link resolves."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
GENERATED = ("cli.md", "queries.md")
# [text](target) outside code; images too. Targets with a scheme (https:, mailto:) are not checked.
LINK_RE = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE_RE = re.compile(r"^```.*?^```", re.S | re.M)
HEADING_RE = re.compile(r"^(#{1,6}) +(.+?) *#*$", re.M)


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    text = FENCE_RE.sub("", path.read_text(encoding="utf-8"))
    for match in HEADING_RE.finditer(text):
        anchor = github_anchor(match.group(2))
        # A repeated heading gets -1, -2, ... as on GitHub.
        n, candidate = 0, anchor
        while candidate in found:
            n += 1
            candidate = f"{anchor}-{n}"
        found.add(candidate)
    return found


def test_generated_references_are_up_to_date(tmp_path):
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_docs.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=300,
        cwd=REPO,
    )
    stale = [
        name
        for name in GENERATED
        if (tmp_path / name).read_text(encoding="utf-8")
        != (REPO / "docs" / name).read_text(encoding="utf-8")
    ]
    assert stale == [], f"docs/{', docs/'.join(stale)} out of date: run python scripts/gen_docs.py"


def test_the_references_cover_every_command_and_query():
    cli = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    for command in ("build", "query", "explain", "push", "serve", "site", "add-source"):
        assert f"## kgbuild {command}\n" in cli
        assert f"Usage: kgbuild {command} [OPTIONS]" in cli
    queries = (REPO / "docs" / "queries.md").read_text(encoding="utf-8")
    for path in sorted((REPO / "queries").glob("*.rq")):
        assert f"\n## {path.stem}\n" in queries
    assert "| `date` | date | yes | `2020-11-24` |" in queries


def test_the_readme_keeps_the_two_commands_ci_runs():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert (
        "python3 -m venv .venv && . .venv/bin/activate && pip install -e . && kgbuild build"
        in readme
    )
    assert (
        "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]' && "
        "python -m pytest -q" in readme
    )
    assert "](docs/site.png)" in readme


def test_every_relative_link_resolves():
    broken = []
    for path in DOCS:
        text = FENCE_RE.sub("", path.read_text(encoding="utf-8"))
        text = re.sub(r"`[^`\n]*`", "", text)
        for target in LINK_RE.findall(text):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):
                continue
            file_part, _, anchor = target.partition("#")
            linked = (path.parent / file_part).resolve() if file_part else path
            where = f"{path.relative_to(REPO)}: {target}"
            if not linked.exists():
                broken.append(f"{where} (no such file)")
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
                broken.append(f"{where} (no such heading)")
    assert broken == []


def test_anchors_are_github_style():
    assert github_anchor("dist/: what the build leaves for the other commands") == (
        "dist-what-the-build-leaves-for-the-other-commands"
    )
    assert github_anchor("`kgbuild push`") == "kgbuild-push"
    assert github_anchor("Before the corpus (the first report alone)") == (
        "before-the-corpus-the-first-report-alone"
    )


def _example(path: Path, command: str) -> list[str]:
    """The lines of the example of ``command`` in ``path`` that stand for output, without the
    elisions and the files written."""
    text = path.read_text(encoding="utf-8")
    block = text[text.index(f"$ {command}\n") + len(command) + 3 :]
    block = block[: block.index("```")]
    return [
        line
        for line in block.splitlines()
        if line.strip() and line.strip() != "..." and not line.startswith("Wrote ")
    ]


def test_the_examples_show_the_figures_of_a_real_build(real_build):
    """The README and docs show the summaries `kgbuild build` and `kgbuild reason` print: the
    figures of the data as it is, not of an earlier version."""
    from kgbuild.stats import format_summary

    printed = format_summary(real_build.summary).splitlines()
    for path in (REPO / "README.md", REPO / "docs" / "command-line.md"):
        shown = _example(path, "kgbuild build")
        assert len(shown) >= 3, path
        stale = [line for line in shown if line not in printed]
        assert stale == [], f"{path}: copy these lines from `kgbuild build` again: {stale}"
    reasoning = real_build.reasoning
    counts = {
        "Asserted triples": reasoning.asserted,
        "Inferred": reasoning.added,
        "Inferred, cleaned": len(reasoning.inferred),
    }
    shown = _example(REPO / "docs" / "reasoning.md", "kgbuild reason")
    for label, count in counts.items():
        (line,) = [line for line in shown if line.rsplit(None, 1)[0] == label]
        assert line.rsplit(None, 1)[1] == f"{count:,}", f"docs/reasoning.md: {line} is stale"
