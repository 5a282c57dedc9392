"""How the grader writes for people: shares as percentages, messages as HTML.

Checks write names from the student's notebook and Keras spellings between backticks
(`` `model` is compiled with `categorical_crossentropy` ``), as Markdown does. A
terminal shows the backticks; a report page and a notebook show code.
"""

from __future__ import annotations

import re
from html import escape

CODE_SPAN = re.compile(r"`([^`\n]+)`")


def code_spans(text: object) -> str:
    """``text`` escaped for HTML, each `` `span` `` in it made ``<code>span</code>``.

    The text is escaped first, so a span's content stays text: only the ``<code>``
    tags this function writes are markup. An unpaired backtick is left as it is.
    """
    return CODE_SPAN.sub(r"<code>\1</code>", escape("" if text is None else str(text)))
