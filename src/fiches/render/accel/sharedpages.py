"""Pages shared by many factsheets, laid out by WeasyPrint once per process.

The page that compares a département with its région and with France shows the same two Sankeys
and the same hundred labels in every factsheet of the région. WeasyPrint lays out each page from
its boxes alone: a page whose content, ancestors, stylesheet and page context (its number, the
page count, its running footer) are the same is laid out the same way, whichever document it is
in. `SharedPages` keeps such a page once laid out; in a later factsheet it renders the element
that fills it empty (a stand-in that takes the same page) and puts the kept page in its place. The
PDF is the same, byte for byte (tested), for 55 ms less of WeasyPrint's time (7 %) in each factsheet
that reuses its two comparison pages (about 70 of 100 in a build: a worker's first factsheet of a
région lays them out). Drawing them is left to WeasyPrint (their Sankeys replayed by replay.py).

What may be shared is marked in the template: an element with the `data-shared-page` attribute
that starts a page and fills it alone. Its key is everything its layout depends on: its markup, its
ancestors with their attributes and their siblings' (for selectors such as `:nth-child`), and the
content of every image it shows. A kept page is used only where the stand-in's page has the same
number, count, type and margin boxes; anything else (the element spread over two pages, sharing a
page with other content, showing an image fiches cannot vouch for) is laid out normally.

The stylesheet numbers nothing but pages (tested): counters of its own would carry state from one
page to the next that no key here holds.

Private internals: a `weasyprint.Page`'s `_page_box` and its boxes, `Document.copy`, and an SVG
image's `_context`. Tested on WeasyPrint 70.0 (see `fiches.render.accel.TESTED`); it runs only
with `replay`, which draws the images of the pages it puts in place.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urljoin

#: The attribute that marks an element laying out a page of its own, the same in many factsheets.
MARK = "data-shared-page"
#: Pages kept per process, the least recently used dropped first. A build hands its workers the
#: factsheets région by région, so the last three régions' pages (exports and imports) serve all
#: it reuses (as many reuses in a build as with 32 kept); each holds about 5 MB (its document's
#: tree, text layouts and images), which 32 pages made 0.3 GB more at the peak of a build.
MAX_PAGES = 6
#: Attributes whose value is a resource WeasyPrint would fetch.
_URL_ATTRIBUTES = ("src", "href", "data", "poster", "srcset", "{http://www.w3.org/1999/xlink}href")


@dataclass(frozen=True)
class Kept:
    page: object  # weasyprint.Page
    images: dict[str, str]  # URL -> content digest of the images it shows, for replay.py


class SharedPages:
    """The pages laid out in this process, by what laid them out; see the module's docstring."""

    def __init__(self, limit: int = MAX_PAGES) -> None:
        self._limit = limit
        self._kept: OrderedDict[tuple, Kept] = OrderedDict()
        self._contents: Counter[str] = Counter()  # content key -> pages kept for it
        self._font_config = None
        #: What happened to the marked elements rendered: "kept", "reused", "laid out" (a stand-in's
        #: page differed from the kept one's, so the document was laid out again whole), "unshared"
        #: (not sharable, or without a page of its own).
        self.counts: Counter[str] = Counter()

    def render(self, parse: Callable[[], object], digest: Callable[[str], str | None], font_config, **options):
        """Lay out the document `parse()` returns (a weasyprint.HTML), reusing the pages kept.

        `digest(url)` is the content digest of an image the document may show, None for one this
        process cannot vouch for or that needs more than itself to be drawn (text, images). Returns the weasyprint.Document and, for replay.py, the URLs and
        digests of the images on the pages it reused (another document loaded them).
        """
        if font_config is not self._font_config:  # pages laid out with other fonts cannot serve
            self._kept.clear()
            self._contents.clear()
            self._font_config = font_config
        html = parse()
        marked = list(_marked(html.etree_element))
        shared = [_sharable(element, path, html.base_url, digest) for element, path in marked]
        stand_ins = [i for i, s in enumerate(shared) if s is not None and s.key in self._contents]
        for i in stand_ins:
            _empty(marked[i][0])
        document = html.render(font_config=font_config, **options)
        if not stand_ins:
            self._keep(document, marked, shared)
            return document, {}
        pages = list(document.pages)
        contents = [_elements(page) for page in pages]
        images: dict[str, str] = {}
        for i in stand_ins:
            index = _own_page(contents, *marked[i])
            entry = None if index is None else (shared[i].key, *_context(pages, index))
            kept = self._kept.get(entry) if entry else None
            if kept is None:
                break
            self._kept.move_to_end(entry)
            pages[index] = kept.page
            images.update(kept.images)
        else:
            self.counts["reused"] += len(stand_ins)
            self._keep(document, marked, shared, skip=set(stand_ins), contents=contents)
            return document.copy(pages), images
        # A stand-in's page is not where the kept one was laid out: the whole document, then.
        self.counts["laid out"] += len(stand_ins)
        html = parse()
        marked = list(_marked(html.etree_element))
        document = html.render(font_config=font_config, **options)
        self._keep(document, marked, shared)
        return document, {}

    def _keep(self, document, marked: list[tuple], shared: list[Sharable | None], skip: set[int] = frozenset(),
              contents: list[set] | None = None) -> None:
        """Keep the pages that the marked elements (but those in `skip`) fill alone."""
        pages = document.pages
        for i, ((element, path), sharable) in enumerate(zip(marked, shared)):
            if i in skip:
                continue
            if sharable is not None and contents is None:
                contents = [_elements(page) for page in pages]
            index = None if sharable is None else _own_page(contents, element, path)
            if index is None:
                self.counts["unshared"] += 1
                continue
            entry = (sharable.key, *_context(pages, index))
            if entry in self._kept:
                continue
            _detach(pages[index])
            self._kept[entry] = Kept(pages[index], sharable.images)
            self._contents[sharable.key] += 1
            self.counts["kept"] += 1
            while len(self._kept) > self._limit:
                (old, *_), _ = self._kept.popitem(last=False)
                self._contents[old] -= 1
                if not self._contents[old]:
                    del self._contents[old]


@dataclass(frozen=True)
class Sharable:
    key: str  # digest of everything the element's layout depends on, but its page's context
    images: dict[str, str]  # URL -> content digest of the images it shows


def _marked(root) -> Iterator[tuple]:
    """(element, its ancestors from the root) for every marked element, outermost first."""
    stack = [(root, ())]
    while stack:
        element, path = stack.pop()
        if element.get(MARK) is not None:
            yield element, path
            continue  # one inside another would be part of its content
        inner = (*path, element)
        stack.extend((child, inner) for child in reversed(element) if isinstance(child.tag, str))


def _sharable(element, path: tuple, base_url: str | None, digest: Callable[[str], str | None]) -> Sharable | None:
    markup = ET.tostring(element, encoding="unicode")
    if "url(" in markup:  # a resource in a style attribute: not followed here
        return None
    images = {}
    for node in element.iter():
        for name in _URL_ATTRIBUTES:
            value = node.get(name)
            if value is None:
                continue
            url = urljoin(base_url or "", value)
            content = digest(url)
            if content is None:
                return None
            images[url] = content
    context = []
    for ancestor, child in zip(path, (*path[1:], element)):
        siblings = [(s.tag, s.get("class"), s.get("id")) for s in ancestor if isinstance(s.tag, str)]
        context.append((ancestor.tag, sorted(ancestor.attrib.items()), siblings, list(ancestor).index(child)))
    key = hashlib.sha256(repr((context, sorted(images.values()), markup)).encode("utf-8")).hexdigest()
    return Sharable(key, images)


def _empty(element) -> None:
    """The stand-in: the element itself, attributes and all, without its content."""
    for child in list(element):
        element.remove(child)
    element.text = None


def _detach(page) -> None:
    """Cut a kept page's images from their document's layout context.

    WeasyPrint's SVG image keeps it for SVG text and images of its own, which the images vouched
    for (`digest`) do not have; kept, it would hold its whole document (every page's boxes, every
    image): 37,000 objects instead of 4,500 per page, for the garbage collector to go through at
    each full collection and for memory.
    """
    for box in _walk(page._page_box):
        image = getattr(box, "replacement", None)
        if image is not None and hasattr(image, "_context"):
            image._context = None


def _walk(box, margins: bool = False) -> Iterator:
    from weasyprint.formatting_structure.boxes import MarginBox
    from weasyprint.layout.absolute import AbsolutePlaceholder

    stack = [box]
    while stack:
        box = stack.pop()
        if isinstance(box, AbsolutePlaceholder):
            box = box._box
        if isinstance(box, MarginBox) and not margins:
            continue
        yield box
        stack.extend(reversed(getattr(box, "children", ())))


def _elements(page) -> set:
    """The elements whose boxes are on a page, its margins apart."""
    return {box.element for box in _walk(page._page_box) if box.element is not None}


def _own_page(contents: list[set], element, path: tuple) -> int | None:
    """The index of the one page showing `element`, if it shows nothing else but its ancestors."""
    showing = [i for i, elements in enumerate(contents) if element in elements]
    if len(showing) != 1:
        return None
    allowed = {*path, *element.iter()}
    return showing[0] if contents[showing[0]] <= allowed else None


def _context(pages: list, index: int) -> tuple:
    """What a page's layout depends on besides its content: number, count, type, size, margins."""
    from weasyprint.formatting_structure.boxes import MarginBox

    page = pages[index]
    box = page._page_box
    margins = []
    for margin in box.children:
        if isinstance(margin, MarginBox):
            margins.append((margin.at_keyword, tuple(
                (type(b).__name__, b.element_tag if b.element is not None else None,
                 sorted(b.element.attrib.items()) if b.element is not None else None, getattr(b, "text", None))
                for b in _walk(margin, margins=True))))
    return index, len(pages), repr(box.page_type), page.width, page.height, repr(margins)
