"""WeasyPrint's HTML user-agent stylesheet without the rules no factsheet uses.

The footnotes' and notes' pseudo-elements, and `::marker` on any element, are universal rules of
WeasyPrint's user-agent stylesheet: they give every element of a document six pseudo-element styles
to compute, 3,300 of a factsheet's 3,800. A factsheet's only list items are `li`, and it has no
notes. Left out (and `::marker` kept for `li` only), the PDF is the same byte for byte, for 5–8 %
less of WeasyPrint's time (interleaved A/B runs over 40 factsheets).

Private internals: `weasyprint.html.UA` (the stylesheet's text) and `HTML._ua_stylesheets`.
Tested on WeasyPrint 70.0 (see `fiches.render.accel.TESTED`).
"""

from __future__ import annotations

import re

#: The rules no factsheet uses, matched as WeasyPrint 70 writes them.
_UNUSED_UA_RULES = re.compile(r"^::(?:footnote|note)-(?:call|marker|callback) \{[^}]*\}\n", re.MULTILINE)
_UA_MARKER_RULE = "\n::marker {"
#: What would make those rules used again: notes, or list items other than `li`.
_UA_RULES_NEEDED = re.compile(r"footnote|float\s*:\s*note|note-(?:call|marker|callback)|list-item|::marker")


def user_agent_rules(author_css: str) -> str | None:
    """WeasyPrint's HTML user-agent stylesheet without the unused rules and with `li::marker` for
    `::marker`, for documents styled by `author_css`: None where its rules could be needed (then
    WeasyPrint's own applies), or where WeasyPrint's stylesheet is not the one these rules describe."""
    from weasyprint import html

    if _UA_RULES_NEEDED.search(author_css):
        return None
    trimmed, removed = _UNUSED_UA_RULES.subn("", html.UA)
    if removed != 5 or trimmed.count(_UA_MARKER_RULE) != 1:
        return None
    return trimmed.replace(_UA_MARKER_RULE, "\nli::marker {")


def document_class(rules: str) -> type:
    """weasyprint.HTML whose documents take `rules` as their HTML user-agent stylesheet."""
    import weasyprint
    from weasyprint.css.counters import CounterStyle

    # With counter styles of its own: parsing registers its @counter-style rules there, as
    # WeasyPrint's did in the ones each document copies (the same rules).
    user_agent = weasyprint.CSS(string=rules, counter_style=CounterStyle())

    class Document(weasyprint.HTML):
        def _ua_stylesheets(self, forms=False):
            return super()._ua_stylesheets(forms) if forms else [user_agent]

    return Document
