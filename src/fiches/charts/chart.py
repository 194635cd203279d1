"""A drawn chart as a factsheet carries it: its SVG, its text alternative and its labels as page text.

Light on purpose (no drawing library): the région and France charts drawn by the workers travel
through the command's process, which unpickles them without importing what drew them.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
from dataclasses import dataclass

from markupsafe import Markup

from fiches.charts import overlay

#: SVG elements whose drawing needs more than the SVG itself.
_DEPENDENT = re.compile(r"<(?:\w+:)?(?:text|image|use|foreignObject|feImage)\b")


@dataclass(frozen=True)
class Chart:
    """A chart's SVG without its labels, and the labels as page text set over it (charts.overlay)."""

    name: str
    svg: str
    alt: str
    labels_html: str = ""

    @classmethod
    def drawn(cls, name: str, svg: str, alt: str, labels: tuple[overlay.Label, ...] = ()) -> Chart:
        """From a chart's SVG: its labels lifted out, plus `labels` placed by fiches itself."""
        lifted = overlay.lift(svg)
        return cls(name, lifted.svg, alt, overlay.html(dataclasses.replace(lifted, labels=lifted.labels + labels)))

    @functools.cached_property
    def digest(self) -> str:
        return hashlib.sha256(self.svg.encode("utf-8")).hexdigest()

    @functools.cached_property
    def self_contained(self) -> bool:
        """Drawn from its own shapes alone: no text (set in one document's fonts), no image or
        reference of its own to fetch."""
        return _DEPENDENT.search(self.svg) is None

    @property
    def src(self) -> str:
        return f"charts/{self.name}.svg"

    @property
    def labels(self) -> Markup:
        return Markup(self.labels_html)  # built from escaped text by overlay.html
