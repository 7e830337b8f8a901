"""The site's SVG charts (kgbuild.charts) drawn from the real build."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kgbuild import charts
from kgbuild.dist import open_build

SVG = "{http://www.w3.org/2000/svg}"
ID = "https://w3id.org/kgbuild/id/"


def href(iri: str) -> str | None:
    """Links as the site gives them from a page at its root; None outside the data."""
    return "id/" + iri[len(ID) :] + ".html" if iri.startswith(ID) else None


@pytest.fixture(scope="module")
def build(built_repo: Path):
    return open_build(built_repo)


@pytest.fixture(scope="module")
def timeline(build) -> ET.Element:
    return ET.fromstring(charts.timeline_svg(build, href))


@pytest.fixture(scope="module")
def map_root(build) -> ET.Element:
    return ET.fromstring(charts.map_svg(build, href))


def by_class(root: ET.Element, cls: str) -> list[ET.Element]:
    return [e for e in root.iter() if cls in (e.get("class") or "").split()]


def select(build, query: str) -> list[dict[str, str]]:
    result = build.store().query(charts.PREFIXES + query)
    names = [v.value for v in result.variables]
    return [{n: s[n].value for n in names if s[n] is not None} for s in result]


def test_every_chart_has_a_text_alternative_and_scales(build) -> None:
    svgs = [charts.timeline_svg(build, href), charts.map_svg(build, href)]
    svgs += [svg for _, _, svg in charts.series_charts(build, href)]
    for svg in svgs:
        root = ET.fromstring(svg)
        assert root.get("role") == "img" and root.get("width") == "100%"
        assert root.get("viewBox", "").startswith("0 0 ")
        assert "system-ui" in root.get("font-family", "")
        assert root.find(f"{SVG}title").text and root.find(f"{SVG}desc").text


def test_timeline_has_one_row_per_dated_event_linked_to_its_page(build, timeline) -> None:
    dated = {
        r["event"]
        for r in select(
            build,
            """
        SELECT DISTINCT ?event WHERE { ?event kg:hasTime ?t . ?event rdfs:label ?l .
          ?t rdfs:label ?tl . { ?t kg:earliest ?d } UNION { ?t kg:latest ?d } }""",
        )
    }
    rows = by_class(timeline, "tl-event")
    assert sorted(r.get("data-event") for r in rows) == sorted(dated)
    for row in rows:
        marks = by_class(row, "tl-mark")
        assert marks and all(m.get("href") == href(row.get("data-event")) for m in marks)
        assert all(m.find(f"{SVG}title").text for m in marks)


def test_timeline_draws_vague_dates_as_spans(timeline) -> None:
    marks = {
        (m.get("data-time"), m.get("data-earliest"), m.get("data-latest")): m
        for m in by_class(timeline, "tl-mark")
    }
    span = next(m for (_, lo, hi), m in marks.items() if lo == "2020-11-25" and hi == "2020-11-29")
    assert span.get("data-span") == "yes" and span.find(f"{SVG}rect") is not None
    day = next(m for (_, lo, hi), m in marks.items() if lo == hi == "2020-11-25")
    assert day.get("data-span") == "no"


def test_timeline_shows_both_dates_of_a_date_disagreement(timeline) -> None:
    row = next(
        r
        for r in by_class(timeline, "tl-event")
        if r.get("data-event") == ID + "event/signing-trilateral-statement"
    )
    days = sorted(m.get("data-earliest") for m in by_class(row, "tl-mark"))
    assert days == ["2020-11-09", "2020-11-10"]
    assert len(by_class(row, "tl-dispute")) == 1
    lines = by_class(row, "tl-dispute-sources")
    assert len(lines) == 2
    links = {a.get("href") for line in lines for a in by_class(line, "tl-source")}
    # TASS on 9 November (paragraph 5), the Lachin report on 10 November (paragraph 2).
    assert "id/source/001-tass.html#p-5" in links
    assert "id/source/000-lachin-report.html#p-2" in links


def test_map_places_at_their_relative_positions(build, map_root) -> None:
    points = {
        r["place"]: r["wkt"]
        for r in select(
            build,
            """
        SELECT ?place ?wkt WHERE { ?place geo:hasGeometry/geo:asWKT ?wkt }""",
        )
    }
    drawn = {}
    for mark in by_class(map_root, "place"):
        circle = mark.find(f"{SVG}circle")
        drawn[mark.get("data-place")] = (float(circle.get("cx")), float(circle.get("cy")))
    assert set(points) <= set(drawn)
    assert all(
        mark.get("href") == href(mark.get("data-place")) for mark in by_class(map_root, "place")
    )
    main = {
        m.get("data-place"): drawn[m.get("data-place")]
        for m in by_class(map_root, "place")
        if "overview-far" not in m.get("class")
    }
    # Khankendi / Stepanakert lies east and north of Berdzor / Lachin, Kalbajar north of both.
    stepanakert, lachin = (
        main[ID + "place/khankendi-stepanakert"],
        main[ID + "place/berdzor-lachin"],
    )
    kalbajar = main[ID + "place/kalbajar-district"]
    assert stepanakert[0] > lachin[0] and stepanakert[1] < lachin[1]
    assert kalbajar[1] < stepanakert[1] and kalbajar[0] < lachin[0]
    # Every place's title gives all its names (Armenian and Azerbaijani ones included).
    stepanakert_mark = next(
        m
        for m in by_class(map_root, "place")
        if m.get("data-place") == ID + "place/khankendi-stepanakert"
    )
    title = stepanakert_mark.find(f"{SVG}title").text
    assert "Xankəndi" in title and "Ստեփանակերտ" in title


def test_map_draws_supply_route_legs_in_order_and_roads_by_status(map_root) -> None:
    legs = [
        m
        for m in by_class(map_root, "leg")
        if m.get("data-route") == ID + "route/peacekeeper-supply-armenia"
    ]
    assert [m.get("data-order") for m in legs] == ["1", "2"]
    assert all(m.find(f"{SVG}line").get("marker-end") == "url(#map-arrow)" for m in legs)
    assert [m.find(f"{SVG}text").text for m in legs] == ["1", "2"]
    roads = {m.get("data-route"): m.get("class") for m in by_class(map_root, "road")}
    assert roads[ID + "route/sotk-kalbajar-road"] == "road status-closed"
    assert roads[ID + "route/fuzuli-shusha-road"] == "road status-under-construction"
    assert roads[ID + "place/lachin-corridor"] == "road status-open"
    assert roads[ID + "route/peacekeeper-supply-armenia"] == "road status-no-longer-used"


def test_map_notes_that_points_are_approximate(map_root) -> None:
    note = by_class(map_root, "map-note")[0]
    assert "approximate" in "".join(note.itertext())
    source = by_class(note, "map-source")[0]
    assert source.get("href") == "id/background/gazetteer.html"
    assert source.find(f"{SVG}text").text == "Approximate coordinates"


def test_series_points_in_order_linked_to_paragraphs(build) -> None:
    found = charts.series_charts(build, href)
    series = [c for c in found if c[0] == ID + "series/people-returned-since-2020-11-14"]
    assert len(series) == 1
    root = ET.fromstring(series[0][2])
    points = by_class(root, "figure-point")
    days = [p.get("data-as-of") for p in points]
    assert days == ["2020-11-20", "2020-11-25", "2020-11-30", "2020-12-01"]
    assert [p.get("data-value") for p in points] == ["4,436", "11,000", "25,000", "26,000"]
    xs = [float(p.find(f"{SVG}circle").get("cx")) for p in points]
    assert xs == sorted(xs)
    assert points[0].get("href") == "id/source/003-armenpress.html#p-5"
    sources = {a.get("href") for a in by_class(root, "figure-source")}
    assert "id/source/004-tass-southchinaherald.html#p-3" in sources
    # The figure disagreements follow, their figures side by side, a range as an error bar.
    demining = next(c for c in found if c[0] == ID + "disagreement/full-demining-duration")
    root = ET.fromstring(demining[2])
    assert len(by_class(root, "figure-point")) == 2 and by_class(root, "error-bar")


def test_output_is_deterministic(build, built_repo: Path) -> None:
    again = open_build(built_repo)
    assert charts.timeline_svg(build, href) == charts.timeline_svg(again, href)
    assert charts.map_svg(build, href) == charts.map_svg(again, href)
    assert charts.series_charts(build, href) == charts.series_charts(again, href)


def test_hostile_labels_are_escaped() -> None:
    hostile = "A <b>&amp; \"quoted\" 'Xankəndi' Ստեփանակերտ Степанакерт\x01"
    svg = charts._svg(
        "t",
        10,
        10,
        hostile,
        hostile,
        [charts._a(hostile, f"<text>{charts._esc(hostile)}</text>", "x")],
    )
    root = ET.fromstring(svg)
    assert root.find(f"{SVG}title").text == hostile.replace("\x01", "")
    assert root.find(f"{SVG}a").get("href") == hostile.replace("\x01", "")
    assert root.find(f"{SVG}a/{SVG}text").text == hostile.replace("\x01", "")
