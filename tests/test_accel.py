"""The accelerations of fiches.render.accel: switched off, fenced to their tested versions, and the
same output with or without them (each failure mode the reviewers named made visible)."""

from __future__ import annotations

import logging
import re

import pytest

from fiches.build import batch
from fiches.charts.chart import Chart
from fiches.reference.geography import FRANCE, departement, region
from fiches.render import accel, pdf
from fiches.render.accel import replay
from fiches.render.accel.sharedpages import SharedPages

#: Bretagne (DGDDI région 07): four départements, whose factsheets share its comparison pages.
BRETAGNE = ("22", "29", "35", "56")


@pytest.fixture
def fresh_replay(monkeypatch):
    monkeypatch.setattr(replay, "_recordings", {})
    monkeypatch.setattr(replay, "counts", replay.Counter())


@pytest.mark.parametrize("value", ["off", "OFF", "0", "non", "false"])
def test_the_switch_turns_every_acceleration_off(monkeypatch, value):
    monkeypatch.setenv(accel.SWITCH, value)
    assert not any(accel.enabled(name) for name in accel.TESTED)
    level, line = accel.notice()
    assert level == "info" and line == f"accélérations désactivées ({accel.SWITCH}={value})"


def test_on_the_tested_versions_every_acceleration_runs_and_nothing_is_said(monkeypatch):
    monkeypatch.delenv(accel.SWITCH, raising=False)
    assert all(accel.enabled(name) for name in accel.TESTED)
    assert accel.notice() is None


def test_outside_the_tested_versions_they_turn_themselves_off_with_one_warning(monkeypatch):
    monkeypatch.delenv(accel.SWITCH, raising=False)
    real = accel.installed.__wrapped__
    monkeypatch.setattr(accel, "installed", lambda library: "71.0" if library == "weasyprint" else real(library))
    assert not accel.enabled("replay") and not accel.enabled("shared_pages") and not accel.enabled("user_agent")
    assert accel.enabled("kaleido_page")
    level, line = accel.notice()
    assert level == "warning" and "\n" not in line
    assert line.startswith("accélérations désactivées hors des versions testées : weasyprint 71.0 (testé sur 70.0)")


def test_a_build_says_in_one_line_that_its_accelerations_are_off(sample_settings, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv(accel.SWITCH, "off")
    with caplog.at_level(logging.INFO, logger="fiches"):
        batch.build(sample_settings, [], year=None, source="sample", out_dir=tmp_path)
    assert [r.getMessage() for r in caplog.records if "accélérations" in r.getMessage()] == [
        "accélérations désactivées (FICHES_ACCELERATIONS=off)"]


@pytest.mark.slow
def test_a_build_gives_the_same_pdfs_with_and_without_accelerations(sample_settings, tmp_path, monkeypatch, fresh_replay):
    """One région's départements, the région and France, built in one process: on, the Sankeys are
    replayed, the comparison pages reused and the page kept; off, none of it; the same bytes."""
    from fiches.render.accel import sharedpages

    territories = [departement(code) for code in BRETAGNE] + [region("07"), FRANCE]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    reused = []
    real_render = sharedpages.SharedPages.render

    def counting(self, *args, **kwargs):
        document, images = real_render(self, *args, **kwargs)
        reused.append(bool(images))
        return document, images

    monkeypatch.setattr(sharedpages.SharedPages, "render", counting)
    outputs = {}
    for state in ("on", "off"):
        if state == "off":
            monkeypatch.setenv(accel.SWITCH, "off")
        out = tmp_path / state
        report = batch.build(sample_settings, territories, year=None, source="sample", out_dir=out, jobs=1)
        assert [o.status for o in report.outcomes] == ["built"] * len(territories), report.outcomes
        outputs[state] = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*.pdf"))}
        if state == "on":
            # Factsheets of eight and nine pages: each length lays its comparison pages out once.
            assert replay.counts["replayed"] >= 8 and sum(reused) >= 2, (replay.counts, reused)
            counts, reused[:] = dict(replay.counts), []
    assert replay.counts == counts and reused == [], "an acceleration ran while switched off"
    assert len(outputs["on"]) == len(territories)
    assert outputs["on"] == outputs["off"]


BANDS = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="760" height="300" viewBox="0 0 760 300">'
    '<rect x="0" y="0" width="760" height="300" fill="#ffffff"/><g transform="translate(20,4)"><g fill="none">'
    '<path d="M6.3,4.88C150.4,4.88,150.4,0,294.5,0L294.5,20.42C150.4,20.42,150.4,25.3,6.3,25.3Z" fill="#c81e2d" fill-opacity="0.78"/>'
    '<path d="M6.3,73.12C150.4,73.12,150.4,112.06,294.5,112.06L294.5,122.15C150.4,122.15,150.4,83.21,6.3,83.21Z" fill="#8c8c96" fill-opacity="0.35"/>'
    '</g><rect x="0" y="0" width="6.3" height="140" fill="#1f5fa8" stroke="#444" stroke-width="0.5"/></g>'
    '<rect x="700" y="200" width="40" height="40" fill="#1b7f3b" fill-opacity="0.5"/></svg>'
)


def _page(before: str, chart: Chart) -> str:
    return ('<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>t</title></head><body>'
            f'{before}<figure><img src="{chart.src}" alt="g"></figure><p style="color: #1b7f3b; opacity: 0.5">Après</p></body></html>')


def test_a_replayed_drawing_leaves_the_stream_as_drawing_it_would(monkeypatch, fresh_replay):
    """The state WeasyPrint's stream remembers after a replayed chart (colours, opacities, fonts)
    is the state drawing it leaves: without that bookkeeping, a later operator that WeasyPrint
    believes redundant would be left out, and what follows drawn in the chart's last colour."""
    from weasyprint.images import SVGImage

    replay.install()
    patched = SVGImage.draw
    calls = []

    def spy(self, stream, width, height, style):
        before, start, ctm = replay._remembered(stream), len(stream.stream), stream.ctm
        counts = dict(replay.counts)
        result = patched(self, stream, width, height, style)
        path = "replayed" if replay.counts["replayed"] > counts.get("replayed", 0) else "drawn"
        calls.append((path, before, replay._remembered(stream), tuple(stream.stream[start:]), ctm, stream.ctm))
        return result

    monkeypatch.setattr(SVGImage, "draw", spy)
    chart = Chart("exports_region", BANDS, "a")
    for before in ("<p>Une fiche</p>", "<p>Une autre</p><p>plus longue</p>", "<p>Une troisième, plus longue encore que les autres</p>"):
        pdf.pdf_bytes(_page(before, chart), "x", {"a": chart}, shared=[chart])
    (drawn, *replayed) = calls
    assert drawn[0] == "drawn" and [c[0] for c in replayed] == ["replayed", "replayed"]
    assert drawn[1] != drawn[2], "the test chart must change the stream's state"
    for call in replayed:
        assert call[1] == drawn[1]  # the same incoming state (part of the recording's key)
        assert call[2] == drawn[2], "the replayed drawing left another state than drawing it"
        assert call[3] == drawn[3]
        assert call[4] == call[5]  # the current transformation is unchanged, as drawing leaves it


def _document(before: str = "", *, footer: str = "Source : essai", after: str = "<p>Suite de la fiche.</p>") -> str:
    return (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>t</title>'
        f'{pdf.Stylesheet.LINK}</head><body><div class="running-footer">{footer}</div>'
        f'<section class="context">{before}</section><section class="flow-section exports"><h2>Exportations</h2>'
        '<div class="comparisons" data-shared-page><figure class="chart"><figcaption>Région — 12,0 M€</figcaption>'
        '<div class="chart-canvas"><img src="charts/exports_region.svg" alt="deux carrés"></div></figure></div></section>'
        f'<section class="flow-section imports"><h2>Importations</h2>{after}</section></body></html>'
    )


SQUARES = Chart("exports_region", '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100" viewBox="0 0 200 100">'
                '<rect width="90" height="100" fill="#1f5fa8"/><rect x="100" y="20" width="90" height="80" fill="#c81e2d"/></svg>', "g")


@pytest.fixture
def stylesheet():
    parsed = pdf.Stylesheet()
    yield parsed
    parsed.close()


@pytest.mark.parametrize("other", [
    pytest.param({"after": "<p>Suite.</p><p style='break-before: page'>Une page de plus.</p>"}, id="page-count"),
    pytest.param({"footer": "Source : autre essai"}, id="margin-boxes"),
])
def test_a_kept_page_is_not_put_where_the_page_count_or_margins_differ(stylesheet, other):
    """A kept page carries its margin boxes ("Page 3 / 4", the running footer): put in a document
    with another page count or other margins, it would print them wrong."""
    pages = SharedPages()
    first = _document()
    assert pdf.pdf_bytes(first, "a", {"r": SQUARES}, stylesheet=stylesheet, pages=pages) == pdf.pdf_bytes(first, "a", {"r": SQUARES})
    second = _document(**other)
    assert pdf.pdf_bytes(second, "b", {"r": SQUARES}, stylesheet=stylesheet, pages=pages) == pdf.pdf_bytes(second, "b", {"r": SQUARES})
    assert pages.counts["laid out"] == 1 and "reused" not in pages.counts
    # The same document again: now it is reused, so the test above is not vacuous.
    assert pdf.pdf_bytes(second, "c", {"r": SQUARES}, stylesheet=stylesheet, pages=pages) == pdf.pdf_bytes(second, "c", {"r": SQUARES})
    assert pages.counts["reused"] == 1


_FIGURES = [
    {"data": [{"type": "bar", "x": ["a", "b"], "y": [3, 4], "marker": {"color": "#6a3d9a"}}], "layout": {"showlegend": False}},
    {"data": [{"type": "treemap", "ids": ["I", "I/a", "I/b"], "labels": ["Importations", "Un", "Deux"], "parents": ["", "I", "I"],
               "values": [10, 6, 4], "branchvalues": "total"}], "layout": {"margin": {"l": 0, "r": 0, "t": 0, "b": 0}}},
    {"data": [{"type": "sankey", "arrangement": "fixed", "node": {"label": ["", "", ""], "x": [0.001, 0.999, 0.999], "y": [0.5, 0.3, 0.7]},
               "link": {"source": [0, 0], "target": [1, 2], "value": [3, 1]}}], "layout": {}},
]


def _without_uid(svg: str) -> str:
    """plotly names a figure's definitions after a random id of its own: the same for all."""
    found = re.search(r'id="defs-(\w+)"', svg)
    return svg.replace(found.group(1), "uid") if found else svg


@pytest.mark.slow
def test_the_kept_page_draws_the_same_svg_as_a_fresh_page_for_each_chart():
    """A page kept between charts (each chart after others on the same page) draws what kaleido's
    page, reloaded after every chart, draws."""
    from fiches.charts.export import PlotlyExporter
    from fiches.render.accel.kaleido import kaleido_class

    sequence = [_FIGURES[0], _FIGURES[1], _FIGURES[2], _FIGURES[0], _FIGURES[2], _FIGURES[1]]
    drawn = {}
    for name, factory in (("kept", kaleido_class), ("fresh", None)):
        with PlotlyExporter(kaleido_class=factory) as exporter:
            drawn[name] = [_without_uid(exporter.svg(figure, 400, 300)) for figure in sequence]
            if name == "kept":
                assert type(exporter._kaleido).__name__ == "KeptPage"
    assert drawn["kept"] == drawn["fresh"]
    assert drawn["kept"][0] == drawn["kept"][3] and drawn["kept"][1] == drawn["kept"][5]
