"""How the grader writes for people: messages as HTML, students' Markdown made safe.

Checks write names from the student's notebook and Keras spellings between backticks
(`` `model` is compiled with `categorical_crossentropy` ``), as Markdown does. A
terminal shows the backticks; a report page and a notebook show code. A student's own
Markdown (a written answer) is rendered with markdown-it, raw HTML off, and cleaned by
nh3 whatever it holds: no script, handler or ``javascript:`` link survives.
"""

from __future__ import annotations

import functools
import re
from html import escape
from typing import Any

CODE_SPAN = re.compile(r"`([^`\n]+)`")
SAFE_ATTRIBUTES = {"*": {"class"}, "a": {"href", "title"}, "img": {"src", "alt", "title"},
                   "td": {"align"}, "th": {"align"}}


def code_spans(text: object) -> str:
    """``text`` escaped for HTML, each `` `span` `` in it made ``<code>span</code>``.

    The text is escaped first, so a span's content stays text: only the ``<code>``
    tags this function writes are markup. An unpaired backtick is left as it is.
    """
    return CODE_SPAN.sub(r"<code>\1</code>", escape("" if text is None else str(text)))


@functools.cache
def _markdown() -> Any:
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    return MarkdownIt("commonmark", {"html": False}).enable("table").use(dollarmath_plugin)


MATHML_TAGS = {"math", "semantics", "annotation", "mrow", "mi", "mn", "mo", "ms", "mtext",
               "mspace", "msup", "msub", "msubsup", "mfrac", "msqrt", "mroot", "mover",
               "munder", "munderover", "mtable", "mtr", "mtd", "mstyle", "mpadded",
               "mphantom", "menclose", "mfenced"}
MATHML_ATTRIBUTES = {"display", "xmlns", "width", "mathvariant", "stretchy", "fence",
                     "separator", "lspace", "rspace", "columnalign", "accent", "accentunder",
                     "movablelimits", "linethickness", "notation", "open", "close"}
MATH_SPAN = re.compile(r'<(span|div) class="math (inline|block)">(.*?)</\1>', re.S)


def _mathml(match: re.Match[str]) -> str:
    """A TeX span as MathML (drawn by the browser itself); left as TeX if it will not parse."""
    from html import unescape

    import latex2mathml.converter

    try:
        return str(latex2mathml.converter.convert(
            unescape(match.group(3)), display="block" if match.group(2) == "block" else "inline"))
    except Exception:  # noqa: BLE001 - a student's TeX: shown as written when it fails
        return match.group(0)


def markdown_html(text: str) -> str:
    """A student's Markdown as safe HTML, ``$...$`` math drawn as MathML.

    Raw HTML in the text is shown as text, never run; the result is cleaned by nh3
    (tags and attributes allowed by name, MathML's included; URLs by scheme: http,
    https, mailto, data). Math that does not parse stays as its TeX.
    """
    import nh3

    html = MATH_SPAN.sub(_mathml, _markdown().render(text or ""))
    attributes = {**SAFE_ATTRIBUTES, **{tag: MATHML_ATTRIBUTES for tag in MATHML_TAGS}}
    return str(nh3.clean(html, tags=nh3.ALLOWED_TAGS | MATHML_TAGS, attributes=attributes,
                         url_schemes={"http", "https", "mailto", "data"},
                         link_rel="noopener noreferrer nofollow"))
