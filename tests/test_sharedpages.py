"""Pages laid out once per process and put in later documents (sharedpages.py) give the same PDF,
byte for byte, as laying out each document on its own; and only where that holds are they reused."""

from __future__ import annotations

import re

import pytest

from fiches.charts.chart import Chart
from fiches.config import TEMPLATES_DIR
from fiches.render import pdf
from fiches.render.accel.sharedpages import SharedPages

SQUARES = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100" viewBox="0 0 200 100">'
    '<rect x="0" y="0" width="90" height="100" fill="#1f5fa8"/><rect x="100" y="20" width="90" height="80" fill="{fill}"/></svg>'
)
FIGURE = Chart("exports_region", SQUARES.format(fill="#c81e2d"), "deux carrés")
SHARED = (
    '<div class="comparisons" data-shared-page><figure class="chart"><figcaption>Région — 12,0 M€</figcaption>'
    '<div class="chart-canvas"><img src="charts/exports_region.svg" alt="deux carrés">'
    '<span class="chart-label" style="left: 10px; top: 20px">Allemagne – 3,1 M€</span></div></figure></div>'
)


def _document(before: str, shared: str = SHARED, after: str = "<p>Suite de la fiche.</p>") -> str:
    return (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>t</title>'
        f'{pdf.Stylesheet.LINK}</head><body><div class="running-footer">Source : essai</div>'
        f'<section class="context">{before}</section><section class="flow-section exports"><h2>Exportations</h2>{shared}</section>'
        f'<section class="flow-section imports"><h2>Importations</h2>{after}</section></body></html>'
    )


@pytest.fixture
def stylesheet():
    parsed = pdf.Stylesheet()
    yield parsed
    parsed.close()


def _same_as_alone(pages: SharedPages, stylesheet, document: str, slug: str, charts: dict[str, Chart]) -> bool:
    return pdf.pdf_bytes(document, slug, charts, stylesheet=stylesheet, pages=pages) == pdf.pdf_bytes(document, slug, charts)


def test_a_page_filled_by_a_marked_element_is_laid_out_once_and_reused_in_the_same_pdfs(stylesheet):
    pages = SharedPages()
    for slug, before in [("01-ain", "<p>Première fiche.</p>"), ("02-aisne", "<p>Une autre,</p><p>plus longue.</p>"),
                         ("03-allier", "<h3>Encore une</h3>")]:
        assert _same_as_alone(pages, stylesheet, _document(before), slug, {"r": FIGURE})
    assert pages.counts == {"kept": 1, "reused": 2}


def test_another_content_or_another_image_is_another_page(stylesheet):
    pages = SharedPages()
    assert _same_as_alone(pages, stylesheet, _document(""), "a", {"r": FIGURE})
    other_text = _document("", shared=SHARED.replace("3,1 M€", "3,2 M€"))
    assert _same_as_alone(pages, stylesheet, other_text, "b", {"r": FIGURE})
    other_image = Chart("exports_region", SQUARES.format(fill="#8c8c96"), "deux carrés")
    assert _same_as_alone(pages, stylesheet, _document(""), "c", {"r": other_image})
    assert pages.counts == {"kept": 3}


def test_a_page_the_marked_element_shares_or_spreads_over_is_not_kept(stylesheet):
    pages = SharedPages()
    shares = _document("", shared=SHARED.replace(' data-shared-page', ' data-shared-page style="break-before: auto"'))
    tall = "".join(f"<p>Ligne {i} d'un texte qui occupe plus d'une page.</p>" for i in range(120))
    spreads = _document("", shared=SHARED.replace("</figure>", f"</figure>{tall}"))
    for document in (shares, shares, spreads, spreads):
        assert _same_as_alone(pages, stylesheet, document, "a", {"r": FIGURE})
    assert pages.counts == {"unshared": 4}


def test_an_image_fiches_cannot_vouch_for_is_not_shared(stylesheet):
    pages = SharedPages()
    unknown = _document("", shared=SHARED.replace('alt="deux carrés">', 'alt="deux carrés"><img src="../assets/logo.svg" alt="logo">'))
    styled = _document("", shared=SHARED.replace('left: 10px', 'left: 10px; background: url(charts/exports_region.svg)'))
    logo = {"logo.svg": (SQUARES.format(fill="#000091").encode(), "image/svg+xml")}  # an edition's: no chart of fiches
    for document in (unknown, styled):
        pdf.pdf_bytes(document, "a", {"r": FIGURE}, stylesheet=stylesheet, pages=pages, extra_assets=logo)
    # An SVG with text of its own is set in the fonts of the document that draws it.
    lettered = Chart("exports_region", SQUARES.format(fill="#c81e2d").replace("</svg>", '<text x="5" y="50">A</text></svg>'), "a")
    for _ in range(2):
        assert _same_as_alone(pages, stylesheet, _document(""), "a", {"r": lettered})
    assert pages.counts == {"unshared": 4}


def test_a_kept_page_does_not_hold_the_document_it_was_laid_out_in(stylesheet):
    """Only its own boxes, styles and images: not its document's layout context (every page's boxes,
    every image), which the garbage collector would go through again at each full collection."""
    import gc
    import types

    from weasyprint.layout import LayoutContext

    pages = SharedPages()
    pdf.pdf_bytes(_document("<p>Une fiche.</p>"), "a", {"r": FIGURE}, stylesheet=stylesheet, pages=pages)
    (kept,) = pages._kept.values()
    seen, todo = {id(kept.page)}, [kept.page]
    while todo:
        for referent in gc.get_referents(todo.pop()):
            if id(referent) not in seen and not isinstance(referent, (type, types.ModuleType, types.FunctionType)):
                assert not isinstance(referent, LayoutContext)
                seen.add(id(referent))
                todo.append(referent)


def test_a_kept_page_serves_only_at_the_same_place(stylesheet):
    """The same content two pages later: its page number differs, so it is laid out again, and kept too."""
    pages = SharedPages()
    assert _same_as_alone(pages, stylesheet, _document(""), "a", {"r": FIGURE})
    later = '<p style="break-after: page">Une page de plus.</p><p style="break-after: page">Et une autre.</p>'
    assert _same_as_alone(pages, stylesheet, _document(later), "b", {"r": FIGURE})
    assert pages.counts == {"kept": 2, "laid out": 1}
    assert _same_as_alone(pages, stylesheet, _document(later), "c", {"r": FIGURE})
    assert pages.counts == {"kept": 2, "laid out": 1, "reused": 1}


def test_the_pages_kept_are_bounded(stylesheet):
    pages = SharedPages(limit=2)
    for amount in ("1", "2", "3", "1"):
        assert _same_as_alone(pages, stylesheet, _document("", shared=SHARED.replace("3,1", amount)), "a", {"r": FIGURE})
    assert pages.counts == {"kept": 4}  # the first, pushed out by the third, laid out again
    assert len(pages._kept) == 2


def test_the_stylesheet_numbers_nothing_but_pages():
    """A counter of its own would carry state from page to page that no shared page's key holds."""
    css = (TEMPLATES_DIR / "style.css").read_text(encoding="utf-8")
    assert set(re.findall(r"counters?\(\s*([\w-]+)", css)) <= {"page", "pages"}
    assert not re.search(r"counter-(?:reset|increment|set)", css)
