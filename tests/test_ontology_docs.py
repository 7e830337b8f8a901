"""The ontology's documentation for the site: pyLODE's page and the class diagram."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from kgbuild.errors import InputError
from kgbuild.ontology_docs import strip_remote_resources, write_ontology_docs

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY = ROOT / "ontology"
SVG = "{http://www.w3.org/2000/svg}"
REMOTE = re.compile(r"^\s*(?:https?:)?//", re.I)


class _Resources(HTMLParser):
    """What a browser would load for a page: stylesheets, scripts, images, frames, fonts
    (CSS url() and @import in <style>), and the page's <a href> links apart."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[str] = []
        self.links: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a":
            self.links.append(a.get("href", ""))
        elif tag == "link":
            self.loaded.append(a.get("href", ""))
        elif tag in {"script", "img", "iframe", "source", "embed"} and "src" in a:
            self.loaded.append(a["src"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.loaded += re.findall(r"url\(\s*[\"']?([^\"')]*)", data)
            self.loaded += re.findall(r"@import\s+[\"']([^\"']*)", data)


def resources(html: str) -> _Resources:
    parser = _Resources()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("ontology-docs") / "ontology"
    write_ontology_docs(ONTOLOGY, target)
    return target


def test_writes_the_page_and_the_diagram(docs: Path) -> None:
    assert sorted(p.name for p in docs.iterdir()) == ["classes.svg", "index.html"]
    html = (docs / "index.html").read_text(encoding="utf-8")
    assert "<title>kgbuild ontology of the aftermath of the 2020 Nagorno-Karabakh war" in html
    found = resources(html)
    # Every class and property of the ontology has its section.
    for term in ("SourceDocument", "TerritoryHandover", "occurredIn", "controlledBy"):
        assert f"https://w3id.org/kgbuild/ontology#{term}" in html
    # The diagram is shown and linked; the way back to the site is there.
    assert "classes.svg" in found.links and "../index.html" in found.links
    assert "classes.svg" in found.loaded
    # Shapes are not documented as if they were ontology terms.
    assert "NodeShape" not in html


def test_the_page_loads_nothing_from_elsewhere(docs: Path) -> None:
    found = resources((docs / "index.html").read_text(encoding="utf-8"))
    remote = [url for url in found.loaded if REMOTE.match(url)]
    assert remote == []
    # Links to the IRIs of terms (here or in other vocabularies) stay: they load nothing.
    assert "http://www.w3.org/ns/prov#Entity" in found.links


def test_the_page_is_accessible_and_fits_a_phone(docs: Path) -> None:
    html = (docs / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in html
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    body = html.split("<body>", 1)[1].lstrip()
    assert body.startswith('<a class="skip" href="#content">')
    assert '<div id="content" role="main"' in html
    alts = re.findall(r'<img src="classes.svg" alt="([^"]+)"', html)
    assert len(alts) == 1 and "tree of subclasses" in alts[0]


def test_no_generator_version_in_the_page(docs: Path) -> None:
    from importlib.metadata import version

    html = (docs / "index.html").read_text(encoding="utf-8")
    assert version("pylode") not in html


def test_two_runs_are_identical_and_leave_logging_alone(docs: Path, tmp_path: Path) -> None:
    # Another process, another hash seed (set and dict orders), an untouched root logger:
    # importing pyLODE sets the root logger to DEBUG, which would make the CLI chatty.
    other = tmp_path / "ontology"
    script = (
        "import logging, sys; from pathlib import Path\n"
        "from kgbuild.ontology_docs import write_ontology_docs\n"
        "write_ontology_docs(Path(sys.argv[1]), Path(sys.argv[2]))\n"
        "root = logging.getLogger()\n"
        "print(logging.getLevelName(root.level), len(root.handlers))\n"
    )
    env = dict(os.environ, PYTHONHASHSEED="12345")
    done = subprocess.run(
        [sys.executable, "-c", script, str(ONTOLOGY), str(other)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=True,
    )
    assert done.stdout.split() == ["WARNING", "0"]
    assert done.stderr == ""
    for name in ("index.html", "classes.svg"):
        assert (other / name).read_bytes() == (docs / name).read_bytes(), name


def _diagram(docs: Path) -> ET.Element:
    return ET.fromstring((docs / "classes.svg").read_text(encoding="utf-8"))


def test_diagram_has_a_text_alternative(docs: Path) -> None:
    svg = _diagram(docs)
    assert svg.get("role") == "img"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert title is not None and "classes" in (title.text or "")
    assert desc is not None and "115 classes" in (desc.text or "")
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


def _texts(svg: ET.Element) -> list[tuple[float, float, str]]:
    """(x, y, text) of every label, in document order."""
    return [
        (float(t.get("x", 0)), float(t.get("y", 0)), t.text or "") for t in svg.iter(f"{SVG}text")
    ]


def test_diagram_draws_the_class_tree(docs: Path) -> None:
    texts = _texts(_diagram(docs))
    x = {text: tx for tx, _, text in texts[:120]}  # the tree comes first, one label a class
    tree = [text for _, _, text in texts if text][:2]
    assert tree[0].startswith("Classes")
    # Place > Settlement > Village: each indented one step further than its superclass.
    assert x["Place"] < x["Settlement"] < x["Village"]
    assert x["Settlement"] - x["Place"] == x["Village"] - x["Settlement"] > 0
    assert x["Event"] < x["Displacement"] < x["Evacuation"]
    # The class names link to their sections of the page.
    svg = _diagram(docs)
    hrefs = {a.get("href") for a in svg.iter(f"{SVG}a")}
    html = (docs / "index.html").read_text(encoding="utf-8")
    for href in sorted(hrefs):
        assert href.startswith("index.html#")
        assert f'id="{href.removeprefix("index.html#")}"' in html, href


def test_diagram_lists_the_main_object_properties(docs: Path) -> None:
    texts = _texts(_diagram(docs))
    rows: dict[float, list[str]] = {}
    split = min(x for x, _, t in texts if t.startswith("Object properties"))
    for x, y, text in texts:
        if x >= split and not text.startswith("Object properties"):
            rows.setdefault(y, []).append(text)
    listed = {tuple(r) for r in rows.values()}
    assert ("Event", "occurredIn", "→", "Place") in listed
    assert ("ControlPeriod", "controller", "→", "Actor") in listed
    names = {r[1] for r in listed}
    # One of each inverse pair; no value lists (kg:EventStatus) as a range.
    assert "subEventOf" in names and "hasSubEvent" not in names
    assert "eventStatus" not in names


def test_strip_remote_resources() -> None:
    page = (
        "<html><head>"
        '<link rel="stylesheet" href="https://cdn.example.org/x.css">'
        "<link rel='preconnect' href='//fonts.example.org'>"
        '<script src="https://cdn.example.org/x.js"></script>'
        '<script type="application/ld+json">{"a": 1}</script>'
        "<style>@import url(https://fonts.example.org/css?f=A);\n"
        "@font-face { font-family: A; src: url(https://fonts.example.org/a.woff2); }\n"
        "body { background: url('http://img.example.org/b.png') }</style>"
        '<link rel="icon" href="data:image/png;base64,AAAA">'
        "</head><body>"
        '<img src="https://img.example.org/logo.png" alt="logo">'
        '<a href="https://w3id.org/kgbuild/ontology#Place">Place</a>'
        "</body></html>"
    )
    found = resources(strip_remote_resources(page))
    assert [url for url in found.loaded if REMOTE.match(url)] == []
    assert "data:image/png;base64,AAAA" in found.loaded
    assert found.links == ["https://w3id.org/kgbuild/ontology#Place"]
    assert '{"a": 1}' in strip_remote_resources(page)


def test_an_ontology_pylode_cannot_document_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "a.ttl").write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "<https://example.org/o> a owl:Ontology .\n"
        "<https://example.org/o#C> a owl:Class .\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        write_ontology_docs(tmp_path / "o", tmp_path / "out")
    assert "pyLODE cannot document the ontology" in str(err.value)
    assert "dcterms:title" in str(err.value)
    with pytest.raises(InputError, match="does not exist"):
        write_ontology_docs(tmp_path / "missing", tmp_path / "out")
