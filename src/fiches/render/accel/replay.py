"""Charts shared by many factsheets are drawn by WeasyPrint once per process, then replayed.

A région's and France's Sankeys appear, identical, in every factsheet compared with them: France's
in all of them, a région's in each of its départements'. WeasyPrint draws an SVG image by walking
its tree and writing PDF operators into the page; for the same SVG, size and incoming graphics
state it writes the same operators every time. `replaying` records them the first time a shared
chart is drawn in this process and appends the recorded operators in later factsheets, the PDF
identical byte for byte (tested).

Only drawings made of plain operators are recorded: paths, colours, line styles, transforms and
the opacity states WeasyPrint names by value (`/a0.78 gs`). A drawing that needs anything bound
to one document (text and its fonts, groups, patterns, images, tagged content) is drawn normally
every time. Should WeasyPrint's internals differ from what this expects, nothing is recorded.

Saves 0.04–0.15 s of WeasyPrint per factsheet (A/B runs in one process). Private internals:
`weasyprint.images.SVGImage.draw`, the stream's `stream`, `_ctm_stack`, `_resources` and its
remembered state (`_STREAM_STATE`). Tested on WeasyPrint 70.0 with pydyf 0.13.0 (see
`fiches.render.accel.TESTED`); tests/test_accel.py checks that a replayed drawing leaves the stream
as drawing it would.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import MappingProxyType

#: A région's and France's drawings for a run: 2 per région and for France, a few kB each.
MAX_RECORDINGS = 64

#: Operators of a recordable drawing (PDF 32000-1, 8.4 to 8.6): nothing refers to another object
#: of the document, except opacity states, checked one by one.
_PLAIN = frozenset(b"q Q cm w J j M d m l c v y h re S s f F f* B B* b b* n W W* g G rg RG k K gs".split())
_STATE = re.compile(rb"/([aA][0-9.]+) gs")
#: What WeasyPrint's stream remembers of the graphics state between operators.
_STREAM_STATE = ("_current_color", "_current_color_stroke", "_current_alpha", "_current_alpha_stroke",
                 "_current_font", "_current_font_size", "_old_font", "_old_font_size")

_shared: ContextVar[Mapping[str, str]] = ContextVar("fiches_shared_charts", default=MappingProxyType({}))
_recordings: dict[tuple, Recording] = {}
_installed = False
#: What happened to the shared charts drawn in this process: "recorded", "replayed", "refused".
counts: Counter[str] = Counter()


@dataclass(frozen=True)
class Recording:
    operators: tuple[bytes, ...]
    states: tuple[tuple[str, float, str], ...]  # (name, alpha, key 'ca' or 'CA') of the opacity states used
    after: tuple  # the stream's remembered state once drawn


@contextmanager
def replaying(shared: Mapping[str, str]) -> Iterator[None]:
    """While rendering a document, replay the drawings of the images at these URLs (URL -> SVG digest)."""
    install()
    token = _shared.set(shared)
    try:
        yield
    finally:
        _shared.reset(token)


def install() -> None:
    """Wrap WeasyPrint's SVG image drawing, once per process (a stream without the internals this
    module expects is drawn normally)."""
    global _installed
    if _installed:
        return
    _installed = True
    from weasyprint.images import SVGImage

    original = SVGImage.draw

    def draw(self, stream, concrete_width, concrete_height, style):
        chart = _shared.get().get(getattr(self, "_base_url", None))
        if chart is None or not _is_weasyprint_stream(stream):
            return original(self, stream, concrete_width, concrete_height, style)
        # WeasyPrint leaves out an operator that would repeat the state it is in: that state is
        # part of the key (in practice always the same, reset around each image).
        key = (chart, concrete_width, concrete_height, _remembered(stream), len(stream._ctm_stack))
        recording = _recordings.get(key)
        if recording is not None:
            _replay(stream, recording)
            counts["replayed"] += 1
            return None
        start = len(stream.stream)
        result = original(self, stream, concrete_width, concrete_height, style)
        recording = _record(stream, start)
        if recording is None:
            counts["refused"] += 1
        elif len(_recordings) < MAX_RECORDINGS:
            _recordings[key] = recording
            counts["recorded"] += 1
        return result

    SVGImage.draw = draw


def _is_weasyprint_stream(stream) -> bool:
    return (isinstance(getattr(stream, "stream", None), list) and isinstance(getattr(stream, "_ctm_stack", None), list)
            and all(hasattr(stream, name) for name in _STREAM_STATE)
            and "ExtGState" in getattr(stream, "_resources", {}))


def _remembered(stream) -> tuple:
    return tuple(getattr(stream, name) for name in _STREAM_STATE)


def _record(stream, start: int) -> Recording | None:
    operators = stream.stream[start:]
    states = {}
    for operator in operators:
        if not isinstance(operator, bytes) or operator.rsplit(b" ", 1)[-1] not in _PLAIN:
            return None
        if operator.endswith(b" gs"):
            match = _STATE.fullmatch(operator)
            if match is None:
                return None
            name = match.group(1).decode()
            state = stream._resources["ExtGState"].get(name)
            key = "CA" if name.startswith("A") else "ca"
            if state is None or set(state) != {key}:
                return None
            states[name] = (name, state[key], key)
    return Recording(tuple(operators), tuple(states.values()), _remembered(stream))


def _replay(stream, recording: Recording) -> None:
    import pydyf

    stream.stream.extend(recording.operators)
    states = stream._resources["ExtGState"]
    for name, alpha, key in recording.states:
        if name not in states:
            states[name] = pydyf.Dictionary({key: alpha})
    for name, value in zip(_STREAM_STATE, recording.after):
        setattr(stream, name, value)
