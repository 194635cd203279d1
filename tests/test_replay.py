"""What a process shares between factsheets (charts drawn once and replayed, the stylesheet parsed
once) gives the same PDF, byte for byte, as rendering each factsheet on its own."""

from __future__ import annotations

import gc

import pytest

from fiches.charts.chart import Chart
from fiches.render import assets, pdf
from fiches.render import html as html_module
from fiches.render.accel import replay, useragent

#: Like a Sankey of plotly's once cleaned: bands with translucent fills, a transform, plain rects.
BANDS = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="760" height="300" viewBox="0 0 760 300">'
    '<rect x="0" y="0" width="760" height="300" fill="#ffffff"/><g transform="translate(20,4)"><g fill="none">'
    '<path d="M6.3,4.88C150.4,4.88,150.4,0,294.5,0L294.5,20.42C150.4,20.42,150.4,25.3,6.3,25.3Z" fill="#c81e2d" fill-opacity="0.78" stroke-width="0"/>'
    '<path d="M6.3,73.12C150.4,73.12,150.4,112.06,294.5,112.06L294.5,122.15C150.4,122.15,150.4,83.21,6.3,83.21Z" fill="#8c8c96" fill-opacity="0.35"/>'
    '</g><rect x="0" y="0" width="6.3" height="140" fill="#1f5fa8" stroke="#444" stroke-width="0.5"/></g></svg>'
)


def _page(before: str, *charts: Chart) -> str:
    images = "".join(f'<figure class="chart"><div class="chart-canvas"><img src="{c.src}" alt="g"></div></figure>' for c in charts)
    return (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>t</title>'
        f'<link rel="stylesheet" href="../assets/style.css"></head><body>{before}{images}</body></html>'
    )


@pytest.fixture(autouse=True)
def _fresh_recordings(monkeypatch):
    monkeypatch.setattr(replay, "_recordings", {})
    monkeypatch.setattr(replay, "counts", replay.Counter())


def test_a_shared_chart_is_replayed_into_the_same_pdf():
    shared, own = Chart("exports_region", BANDS, "a"), Chart("exports", BANDS.replace("#c81e2d", "#1f5fa8"), "b")
    first = _page("<p>Première fiche</p>", own, shared)
    assert pdf.pdf_bytes(first, "first", {"a": own, "b": shared}, shared=[shared]) == pdf.pdf_bytes(first, "first", {"a": own, "b": shared})
    assert replay.counts == {"recorded": 1}
    # Another factsheet: other text before the chart, the same chart.
    second = _page("<p>Seconde fiche, un peu plus longue</p><p>Deux paragraphes</p>", shared)
    replayed = pdf.pdf_bytes(second, "second", {"b": shared}, shared=[shared])
    assert replay.counts == {"recorded": 1, "replayed": 1}
    assert replayed == pdf.pdf_bytes(second, "second", {"b": shared})
    # Drawn after other colours and opacities: still the same PDF.
    third = _page('<p style="color: #c81e2d; opacity: 0.5">Rouge</p>', shared)
    assert pdf.pdf_bytes(third, "third", {"b": shared}, shared=[shared]) == pdf.pdf_bytes(third, "third", {"b": shared})


def test_only_the_charts_named_shared_are_recorded():
    own = Chart("exports", BANDS, "a")
    page = _page("", own)
    pdf.pdf_bytes(page, "p", {"a": own})
    pdf.pdf_bytes(page, "p", {"a": own})
    assert not replay.counts and not replay._recordings


@pytest.mark.parametrize(
    "inside",
    [
        '<text x="10" y="20" font-size="9">texte</text>',  # fonts and glyphs of one document
        '<g opacity="0.5"><rect width="10" height="10" fill="red"/></g>',  # a transparency group
        '<defs><linearGradient id="g"><stop offset="0" stop-color="red"/><stop offset="1" stop-color="blue"/></linearGradient></defs><rect width="9" height="9" fill="url(#g)"/>',
    ],
    ids=["text", "group", "gradient"],
)
def test_drawings_bound_to_one_document_are_drawn_every_time(inside):
    chart = Chart("exports_france", BANDS.replace("</svg>", inside + "</svg>"), "a")
    page = _page("<p>x</p>", chart)
    pdfs = {pdf.pdf_bytes(page, "p", {"a": chart}, shared=[chart]) for _ in range(2)}
    assert replay.counts == {"refused": 2} and not replay._recordings
    assert pdfs == {pdf.pdf_bytes(page, "p", {"a": chart})}


def test_charts_with_the_same_name_but_another_drawing_are_not_confused():
    one, other = Chart("exports_region", BANDS, "a"), Chart("exports_region", BANDS.replace("0.78", "0.5"), "a")
    pdf.pdf_bytes(_page("", one), "p", {"a": one}, shared=[one])
    drawn = pdf.pdf_bytes(_page("", other), "p", {"a": other}, shared=[other])
    assert replay.counts == {"recorded": 2}
    assert drawn == pdf.pdf_bytes(_page("", other), "p", {"a": other})


@pytest.mark.slow
def test_factsheets_of_one_region_replay_its_sankeys_into_the_same_pdfs(sample_settings, tmp_path, monkeypatch):
    """Real factsheets: the région's and France's Sankeys replayed from the second on, the pages
    comparing with them laid out once, the stylesheet parsed once: the same PDFs."""
    from fiches.build import jobs, worker
    from fiches.reference.geography import departement
    from fiches.render import templating
    from fiches.sources.selection import select

    selected = select(sample_settings, "sample", None)
    job = jobs.Job(str(sample_settings.data_dir), selected.source, selected.current.year, str(tmp_path), False, False, templating.build_date())
    renders = []
    real = pdf.pdf_bytes

    def both(document, slug, charts, shared=(), stylesheet=None, pages=None, **options):
        shared = list(shared)
        with_replay = real(document, slug, charts, shared=shared, stylesheet=stylesheet, pages=pages, **options)
        renders.append((len(shared), stylesheet is not None, pages is not None, with_replay == real(document, slug, charts, **options)))
        return with_replay

    monkeypatch.setattr(pdf, "pdf_bytes", both)
    thresholds = gc.get_threshold()
    builder = worker.Builder(job, selected)
    try:
        # The builder collects once per factsheet, at its end, not in the middle of its layout.
        assert gc.get_threshold() == (*thresholds[:2], worker.FULL_COLLECTION_THRESHOLD)
        for code in ("04", "06", "13"):  # all three in Provence-Alpes-Côte d’Azur, nine pages each
            assert builder.build(departement(code)).status == "built"
            assert gc.get_count()[2] == 0  # a full collection just ran
    finally:
        builder.close()
    assert gc.get_threshold() == thresholds
    assert renders == [(4, True, True, True)] * 3
    assert replay.counts == {"recorded": 4, "replayed": 8}
    assert builder.pages.counts == {"kept": 2, "reused": 4}


def test_the_stylesheet_parsed_once_gives_the_same_pdf_and_its_fonts_folder_goes_at_close(tmp_path, monkeypatch):
    import gc
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    chart = Chart("exports", BANDS, "a")
    stylesheet = pdf.Stylesheet()
    try:
        for text in ("Première", "<b>Seconde</b> fiche, en gras et <i>italique</i>"):
            page = _page(f"<h1>{text}</h1><p>{text}</p>", chart)
            assert pdf.Stylesheet.LINK in page
            assert pdf.pdf_bytes(page, "p", {"a": chart}, stylesheet=stylesheet) == pdf.pdf_bytes(page, "p", {"a": chart})
        gc.collect()  # the plain renders' own font folders go with their documents
        assert [p.name[:11] for p in tmp_path.iterdir()] == ["weasyprint-"]  # the one shared folder of fonts
    finally:
        stylesheet.close()
    assert not list(tmp_path.iterdir())


def test_the_user_agent_rules_no_factsheet_uses_are_left_out_for_the_same_pdf(monkeypatch):
    """No style computed for footnotes', notes' and non-list-items' pseudo-elements; the same PDF."""
    import collections

    import weasyprint.css

    computed = collections.Counter()
    real = weasyprint.css.StyleFor.set_computed_styles

    def counting(self, *args, pseudo_type=None, **kwargs):
        computed[pseudo_type] += 1
        return real(self, *args, pseudo_type=pseudo_type, **kwargs)

    monkeypatch.setattr(weasyprint.css.StyleFor, "set_computed_styles", counting)
    chart = Chart("exports", BANDS, "a")
    page = _page("<h2>Territoires</h2><ul><li>Un</li><li>Deux, <b>en gras</b></li></ul><p>Texte</p>", chart)
    stylesheet = pdf.Stylesheet()
    try:
        trimmed = pdf.pdf_bytes(page, "p", {"a": chart}, stylesheet=stylesheet)
        seen = dict(computed)
        computed.clear()
        assert trimmed == pdf.pdf_bytes(page, "p", {"a": chart})
    finally:
        stylesheet.close()
    assert seen["marker"] == 2  # the two list items'
    assert not {"footnote-call", "footnote-marker", "note-call", "note-marker", "note-callback"} & set(seen)
    assert computed["marker"] == computed["footnote-call"] == computed["note-callback"] > 10  # WeasyPrint's own: every element's


@pytest.mark.parametrize("author_css", ["aside { float: footnote }", ".n { float:note }", "dt { display: list-item }", "p::marker { color: red }"])
def test_the_user_agent_rules_are_weasyprints_own_for_a_stylesheet_that_could_use_them(author_css):
    assert useragent.user_agent_rules(author_css) is None


def test_the_user_agent_rules_are_weasyprints_less_the_unused_ones():
    from weasyprint import html

    from fiches.config import TEMPLATES_DIR

    rules = useragent.user_agent_rules((TEMPLATES_DIR / "style.css").read_text(encoding="utf-8"))
    assert "::footnote" not in rules and "::note" not in rules and "\nli::marker {" in rules
    kept = set(html.UA.splitlines()) - set(rules.splitlines())
    assert len(kept) == 6 and all(line.startswith("::") for line in kept)


def test_the_factsheet_template_links_the_stylesheet_as_the_build_expects():
    """Otherwise every factsheet would parse it again, unnoticed: same PDFs, only slower."""
    import inspect

    from fiches.config import TEMPLATES_DIR

    template = (TEMPLATES_DIR / "base.html.j2").read_text(encoding="utf-8")
    assert pdf.Stylesheet.LINK.replace(f"../{assets.ASSETS}", "{{ assets }}") in template
    assert inspect.signature(html_module.html).parameters["assets"].default == f"../{assets.ASSETS}"  # {{ assets }} of a factsheet
