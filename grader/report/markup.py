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


def markdown_html(text: str) -> str:
    """A student's Markdown as safe HTML: math kept as its TeX (``<span class="math">``).

    Raw HTML in the text is shown as text, never run; the result is cleaned by nh3
    (tags and attributes allowed by name, URLs by scheme: http, https, mailto, data).
    """
    import nh3

    html = _markdown().render(text or "")
    return str(nh3.clean(html, attributes=SAFE_ATTRIBUTES,
                         url_schemes={"http", "https", "mailto", "data"},
                         link_rel="noopener noreferrer nofollow"))
