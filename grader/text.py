"""How the grader writes numbers for people, in the terminal and in pages alike."""

from __future__ import annotations


def pct(x: float | None) -> str:
    """A share (0.9213) as the grader writes it (92.13 %); a dash for none."""
    return "–" if x is None else f"{100 * float(x):.2f} %"
