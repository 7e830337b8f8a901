"""`kgbuild site`: the layout, the content of the pages, their links and their accessibility
basics, on the real data built once (tests/conftest.py)."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from click.testing import CliRunner

from kgbuild.cli import cli
from kgbuild.namespaces import ID_BASE, KG
from kgbuild.site import page_href

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT / "queries"


def run(*args: str):
    return CliRunner().invoke(cli, list(args), prog_name="kgbuild")


@pytest.fixture(scope="module")
def site(real_site: Path) -> Path:
    return real_site


def select(built_repo: Path, text: str) -> list[dict[str, str]]:
    """Rows of a SPARQL query on the build, as strings: what the pages must show."""
    from kgbuild.dist import open_build

    solutions = open_build(built_repo).store().query(text)
    names = [v.value for v in solutions.variables]
    return [{name: row[name].value for name in names} for row in solutions]


class Page(HTMLParser):
    """The links, ids, and some elements of one HTML or SVG file."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        for name in ("href", "src", "xlink:href"):
            value = attributes.get(name)
            if value is not None:
                self.links.append(value)
        if attributes.get("id"):
            self.ids.add(str(attributes["id"]))

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def plain(self) -> str:
        return " ".join(" ".join(self.text).split())


def parse(path: Path) -> Page:
    return Page(path.read_text(encoding="utf-8"))


def files(site: Path) -> dict[str, bytes]:
    return {
        p.relative_to(site).as_posix(): p.read_bytes()
        for p in sorted(site.rglob("*"))
        if p.is_file()
    }


def test_layout(site: Path) -> None:
    for name in (
        "index.html",
        "style.css",
        "timeline.html",
        "map.html",
        "figures.html",
        "ontology/index.html",
        "queries/index.html",
        "queries/timeline.html",
        "id/place/lachin-district.html",
        "id/event/handover-lachin.html",
        "id/source/000-lachin-report.html",
        "id/background/toponymy.html",
        "id/series/people-returned-since-2020-11-14.html",
    ):
        assert (site / name).is_file(), name


def test_two_runs_are_byte_identical(site: Path, built_repo: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    result = run("site", "--out", str(built_repo), "--site", str(again), "--queries", str(QUERIES))
    assert result.exit_code == 0, result.output
    first, second = files(site), files(again)
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []


def test_every_internal_link_resolves(site: Path) -> None:
    pages = {p: parse(p) for p in sorted(site.rglob("*")) if p.suffix in (".html", ".svg")}
    assert len(pages) > 700
    broken = []
    for path, parsed in pages.items():
        for link in parsed.links:
            parts = urlsplit(link)
            if parts.scheme in ("http", "https", "mailto", "data"):
                continue
            assert not parts.scheme and not parts.netloc, f"{path}: {link}"
            assert not link.startswith("/"), f"{path}: absolute link {link}"
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if not target.is_file():
                broken.append(f"{path.relative_to(site)}: {link}")
                continue
            if parts.fragment:
                ids = pages[target].ids if target in pages else parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{path.relative_to(site)}: {link} (no such anchor)")
    assert broken == []


def test_place_page_lists_all_its_names(site: Path, built_repo: Path) -> None:
    rows = select(
        built_repo,
        f"""
        PREFIX kg: <https://w3id.org/kgbuild/ontology#>
        SELECT ?place ?text WHERE {{ ?place kg:hasName/kg:nameString ?text .
          ?place kg:hasName/kg:nameString "Berdzor"@en . ?place kg:hasName/kg:nameString ?l .
          FILTER(STRSTARTS(STR(?l), "Lachin")) FILTER(STRSTARTS(STR(?place), "{ID_BASE}")) }}""",
    )
    places = {row["place"] for row in rows}
    assert places == {ID_BASE + "place/berdzor-lachin"}
    text = parse(site / "id/place/berdzor-lachin.html").plain
    names = {row["text"] for row in rows}
    assert {"Berdzor", "Lachin"} <= names
    assert [name for name in sorted(names) if name not in text] == []
    # Each name with its sources: a report paragraph linked to its anchor.
    assert 'href="../source/' in (site / "id/place/berdzor-lachin.html").read_text()


def test_event_page_has_dates_and_sources(site: Path) -> None:
    html = (site / "id/event/handover-lachin.html").read_text(encoding="utf-8")
    text = parse(site / "id/event/handover-lachin.html").plain
    assert "2020-12-01" in text
    # Its statements rest on paragraphs of the reports, linked to their anchors.
    assert 'href="../source/000-lachin-report.html#p-7"' in html
    assert 'href="../source/009-afp-taipeitimes.html#p-3"' in html
    assert "Handover of Lachin District to Azerbaijan" in text
    assert "asserted" in text and "inferred" in text
    # What points here: the handover's sub-events name it.
    assert 'id="incoming"' in html


def test_report_page_has_paragraphs_and_disagreements(site: Path, built_repo: Path) -> None:
    rows = select(
        built_repo,
        f"""
        PREFIX kg: <https://w3id.org/kgbuild/ontology#>
        SELECT ?n WHERE {{ ?p kg:inDocument <{ID_BASE}source/000-lachin-report> ;
                             kg:paragraphNumber ?n }}""",
    )
    parsed = parse(site / "id/source/000-lachin-report.html")
    numbers = sorted(int(row["n"]) for row in rows)
    assert len(numbers) > 10
    assert {f"p-{n}" for n in numbers} <= parsed.ids
    html = (site / "id/source/000-lachin-report.html").read_text(encoding="utf-8")
    section = html[html.index('id="disagreements"') :]
    # The signing day: this report says 10 November, others 9 November.
    assert "../disagreement/statement-signing-day.html" in section
    assert "(this report)" in section
    assert "001-tass.html#p-5" in section
    # What paragraph 7 states, and who else states it (corroboration).
    paragraph = html[html.index('id="p-7"') : html.index('id="p-8"')]
    assert "../event/handover-lachin.html" in paragraph
    assert "Also stated by" in html
    assert "English" in parsed.plain and "2020-12-01" in parsed.plain


def test_also_stated_by_is_what_the_corroboration_query_finds(site: Path, built_repo: Path):
    """The site applies no rule of its own for independent sources: on a report page, the other
    sources of each statement are the `corroboration` query's rows with another origin."""
    from kgbuild.dist import open_build
    from kgbuild.query import Dataset, load_queries, run_query

    query = load_queries(QUERIES)["corroboration"]
    rows = run_query(query, Dataset(open_build(built_repo), False), {}, engine="oxigraph").rows
    report = ID_BASE + "source/000-lachin-report"
    statement = (
        ID_BASE + "event/handover-lachin",
        str(KG.handedOverTo),
        ID_BASE + "country/azerbaijan",
    )
    found = [
        r for r in rows if tuple(str(r[k]) for k in ("subject", "property", "value")) == statement
    ]
    (own,) = {str(r["origin"]) for r in found if str(r["report"]) == report}
    expected = {
        f"{str(r['report']).rsplit('/', 1)[1]}.html#p-{r['paragraph']}"
        for r in found
        if str(r["origin"]) != own
    }
    assert expected  # the first report is not this statement's only source
    html = (site / "id/source/000-lachin-report.html").read_text(encoding="utf-8")
    items = re.findall(r"<li>(.*?)</li>", html, re.S)
    (item,) = [
        i
        for i in items
        if "../event/handover-lachin.html" in i and "handed over to" in i and "azerbaijan.html" in i
    ]
    shown = set(re.findall(r"Also stated by:.*", item)[0].split('href="')[1:])
    assert {link.split('"')[0] for link in shown} == expected


def test_index_and_queries(site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    for target in (
        "timeline.html",
        "map.html",
        "figures.html",
        "ontology/index.html",
        "queries/index.html",
        "id/source/011-presstv.html",
        "id/place/berdzor-lachin.html",
    ):
        assert f'href="{target}"' in index, target
    text = parse(site / "index.html").plain
    assert "2020-12-01" in text and "Asserted triples" in text and "Inferred triples" in text
    from kgbuild.query import load_queries

    queries = load_queries(QUERIES)
    listing = (site / "queries/index.html").read_text(encoding="utf-8")
    for name in queries:
        assert f'href="{name}.html"' in listing
        assert (site / f"queries/{name}.html").is_file()
    page = (site / "queries/timeline.html").read_text(encoding="utf-8")
    assert "SELECT" in page and "failed" not in page
    assert 'href="../id/event/' in page  # result IRIs linked to their pages
    names = parse(site / "queries/place-names.html").plain
    assert "Berdzor" in names


def test_pages_are_accessible_and_offline(site: Path) -> None:
    for path in sorted(site.rglob("*.html")):
        if path.relative_to(site).parts[0] == "ontology":
            continue  # the ontology documentation's own template
        html = path.read_text(encoding="utf-8")
        name = path.relative_to(site)
        assert re.search(r'<html lang="[a-z]+"', html), name
        assert re.search(r"<title>[^<]+</title>", html), name
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
        assert '<a class="skip" href="#main">' in html and 'id="main"' in html, name
        assert "<main" in html and "<nav" in html, name
        assert not re.search(r'(src|href)="(https?:)?//[^"]*\.(css|js|woff2?)"', html), name
        assert "<script" not in html, name
        for tag, attributes in parse(path).tags:
            if tag == "img":
                assert attributes.get("alt"), name
            if tag == "svg" and "aria-hidden" not in attributes:
                assert attributes.get("role") == "img" or attributes.get("aria-label"), name


def test_page_href() -> None:
    iri = ID_BASE + "place/lachin-district"
    assert page_href(iri, "timeline.html") == "id/place/lachin-district.html"
    assert page_href(iri, "id/event/x.html") == "../place/lachin-district.html"
    assert page_href(iri, "queries/timeline.html") == "../id/place/lachin-district.html"
    assert page_href("https://w3id.org/kgbuild/ontology#Place", "index.html") is None
    assert page_href(ID_BASE + "attestation/009-p03", "index.html") is None


def test_missing_or_stale_build_is_a_clear_error(project, tmp_path: Path) -> None:
    result = project.run("site", "--out", str(tmp_path / "none"), "--queries", str(QUERIES))
    assert result.exit_code == 2
    assert "run `kgbuild build`" in result.output and "Traceback" not in result.output
    assert project.run("build").exit_code == 0
    places = project.data / "places.yaml"
    places.write_text(places.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    result = project.run("site", "--queries", str(QUERIES))
    assert result.exit_code == 2
    assert "out of date" in result.output and "run `kgbuild build`" in result.output
    assert not (project.out / "site").exists()


def test_default_site_in_dist_is_replaced_by_the_next_build(site: Path, tmp_path: Path):
    """The site in DIST/site is kgbuild's own: a later build into DIST takes it away (it
    describes the old build), and does not refuse the directory because of it."""
    from kgbuild.build import build

    out = tmp_path / "dist"
    shutil.copytree(site.parent, out, symlinks=True)  # a build with `kgbuild site`'s default
    assert (out / "site" / "index.html").is_file()
    (out / ".site.new-0123abcd").mkdir()  # what a killed `kgbuild site` leaves
    build(ROOT / "ontology", ROOT / "data", out)
    assert not (out / "site").exists()
    assert not (out / ".site.new-0123abcd").exists()


def test_site_refuses_a_directory_holding_other_files(built_repo: Path, tmp_path: Path):
    target = tmp_path / "site"
    target.mkdir()
    (target / "notes.txt").write_text("mine", encoding="utf-8")
    result = run("site", "--out", str(built_repo), "--site", str(target), "--queries", str(QUERIES))
    assert result.exit_code == 2
    assert "notes.txt" in result.output and "Traceback" not in result.output
    assert (target / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_a_copy_away_from_the_ontology_is_a_clear_error(built_repo: Path, tmp_path: Path):
    out = tmp_path / "a" / "b" / "c" / "d" / "dist"  # the recorded ../ path no longer leads there
    shutil.copytree(built_repo, out)
    result = run("site", "--out", str(out), "--queries", str(QUERIES))
    assert result.exit_code == 2, result.output
    assert "was made from is missing" in result.output and "Traceback" not in result.output
    assert not (out / "site").exists()
