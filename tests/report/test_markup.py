"""Messages as HTML: escaped, with Markdown code spans set as code."""

from __future__ import annotations

from grader.report.markup import code_spans
from grader.text import pct


def test_code_spans_become_code_and_everything_is_escaped():
    html = code_spans("`model` is compiled with `categorical_crossentropy`.")
    assert html == ("<code>model</code> is compiled with "
                    "<code>categorical_crossentropy</code>.")
    assert code_spans("`<script>` & x < y") == "<code>&lt;script&gt;</code> &amp; x &lt; y"


def test_unpaired_backticks_and_none_stay_text():
    assert code_spans("one ` backtick") == "one ` backtick"
    assert code_spans("a `span\nacross lines`") == "a `span\nacross lines`"
    assert code_spans(None) == "" and code_spans(0.25) == "0.25"


def test_shares_read_as_percentages_and_none_as_a_dash():
    assert pct(0.92134) == "92.13 %" and pct(1) == "100.00 %" and pct(None) == "–"


def test_a_students_markdown_is_drawn_with_its_math_and_nothing_of_it_runs():
    from grader.report.markup import markdown_html

    html = markdown_html("**Loss:** $L = -\\sum_i y_i \\log p_i$ <script>alert(1)</script> "
                         "<img src=x onerror=alert(2)> [x](javascript:alert(3)) $\\frac{$")
    assert "<strong>Loss:</strong>" in html and "<math" in html and "<msub>" in html
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html  # shown as text
