"""Plots the grader draws for reports, returned as data URIs.

Charts are SVG with their text kept as text: sharp when the PDF is printed or zoomed,
searchable there, and cheaper to draw than a PNG (a report page takes about a fifth
less CPU, `benchmarks/README.md`). Kernel grids, which are pictures, stay PNG.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first
from matplotlib.ticker import MaxNLocator  # noqa: E402

from grader.checks.history import metric_series  # noqa: E402


def _data_uri(fig: Any, tight: bool = True, svg: bool = True) -> str:
    """The figure as a base64 data URI (an ``<img>`` source: no script of an SVG ever runs)."""
    bbox = "tight" if tight else None
    if svg:
        text = io.StringIO()
        # text as <text> in the viewer's sans-serif; ids from a fixed salt: same plot, same bytes
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "grader"}):
            fig.savefig(text, format="svg", bbox_inches=bbox, metadata={"Date": None})
        data, kind = text.getvalue().encode(), "svg+xml"
    else:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=90, bbox_inches=bbox)
        data, kind = buf.getvalue(), "png"
    plt.close(fig)
    return f"data:image/{kind};base64," + base64.b64encode(data).decode("ascii")


def training_curves(student: Mapping[str, Any] | None,
                    reference: Mapping[str, Any] | None, reference_name: str) -> str | None:
    """Accuracy and loss per epoch: the student's (colour) over the reference's (grey)."""
    if not student and not reference:
        return None
    lines = [(hist, who, colour) for hist, who, colour in (
        (reference, f"reference ({reference_name})", "#9a9a9a"), (student, "yours", "#1f6fb2"))
        if hist]
    series = {(who, metric, validation): found for hist, who, _ in lines
              for metric in ("accuracy", "loss") for validation in (False, True)
              if (found := metric_series(hist, metric, validation))}
    # an autoencoder has no accuracy to draw
    metrics = [m for m in ("accuracy", "loss") if any(k[1] == m for k in series)] or ["loss"]
    # drawn at the width of a printed A4 page, so its text prints at the size it is set
    two = len(metrics) == 2
    fig, axes = plt.subplots(1, len(metrics), figsize=(6.8 if two else 5.2, 2.9), squeeze=False)
    axes = axes[0]
    fig.subplots_adjust(left=0.09 if two else 0.12, right=0.98, top=0.91, bottom=0.37,
                        wspace=0.25)
    for ax, metric in zip(axes, metrics, strict=True):
        for _, who, colour in lines:
            for validation, style in ((False, "-"), (True, "--")):
                found = series.get((who, metric, validation))
                if found:
                    epochs = range(1, len(found[1]) + 1)
                    label = f"{who}, {'validation' if validation else 'training'}"
                    ax.plot(epochs, found[1], style, color=colour, marker="o", ms=3, label=label)
        ax.set_title(metric, y=1.0)  # placed, not fitted around the tick labels at each draw
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    legend: dict[str, Any] = {}  # both panels' lines: a history may lack accuracy, or val_*
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            legend.setdefault(label, handle)
    if legend:
        fig.legend(list(legend.values()), list(legend), loc="lower center", ncol=2, fontsize=8,
                   bbox_to_anchor=(0.5, 0.0))
    return _data_uri(fig, tight=False)  # laid out above: no second drawing to measure it


def score_histogram(scores: Sequence[float], max_score: float) -> str | None:
    """Distribution of the class's scores."""
    if not scores:
        return None
    fig, ax = plt.subplots(figsize=(6, 2.6))
    bins = max(1, math.ceil(max_score))  # one bin per point: "7 to 8 points" reads at once
    ax.hist(scores, bins=bins, range=(0, bins), color="#1f6fb2", edgecolor="white")
    ax.set_xlabel(f"score (out of {max_score:g})")
    ax.set_ylabel("students")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no 0.2 of a student
    return _data_uri(fig)


def kernel_grid(kernels: Sequence[Sequence[Sequence[float]]], title: str) -> str | None:
    """One small image per convolution filter, as the grader reads them from the weights."""
    n = len(kernels)
    if n == 0:
        return None
    cols = min(n, 8)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 0.9, rows * 0.9 + 0.4), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(kernels[i], cmap="gray")
    fig.suptitle(title, fontsize=9)
    return _data_uri(fig, svg=False)


def denoising_curves(curves: Mapping[str, Any], band: Mapping[str, Any] | None) -> str:
    """Accuracy against noise level on noisy and denoised images, over the reference band."""
    fig, ax = plt.subplots(figsize=(6.2, 3.6))
    levels = curves["levels"]
    for key, colour, label in (("noisy", "#c0392b", "noisy"), ("denoised", "#1f6fb2", "denoised")):
        ref = (band or {}).get(key)
        if ref:
            ax.fill_between(levels, ref["lower"], ref["upper"], color=colour, alpha=0.12,
                            label=f"reference band, {label}")
            ax.plot(levels, ref["mean"], ":", color=colour, lw=1)
        if curves.get(key):
            ax.plot(levels, curves[key], "-o", color=colour, ms=3, label=f"yours, {label}")
    ax.set_xlabel("salt-and-pepper noise level")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    return _data_uri(fig)


OUTCOME_COLOURS = {"full": "#2e8b57", "partial": "#e0a526", "none": "#c0392b",
                   "pending": "#8c8c8c"}


def question_outcomes(rows: Sequence[tuple[str, Mapping[str, int]]]) -> str | None:
    """Per question, how many students got full, partial, no points, or await marking."""
    rows = [(title, counts) for title, counts in rows if sum(counts.values())]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(6.5, 0.8 + 0.42 * len(rows)))
    for i, (_, counts) in enumerate(rows):
        left = 0
        for kind, colour in OUTCOME_COLOURS.items():
            n = counts.get(kind, 0)
            if n:
                ax.barh(i, n, left=left, color=colour)
                left += n
    ax.set_yticks(range(len(rows)), [title[:40] for title, _ in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("students")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in OUTCOME_COLOURS.values()]
    ax.legend(handles, ["full marks", "partial", "no points", "awaiting marking"], fontsize=7,
              ncol=4, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    return _data_uri(fig)


def accuracy_strips(accuracies: Mapping[str, Sequence[float]]) -> str | None:
    """Grader-measured test accuracy of each question's graded models, one dot per student."""
    rows = [(name, list(values)) for name, values in accuracies.items() if values]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(6.5, 0.7 + 0.55 * len(rows)))
    for i, (_, values) in enumerate(rows):
        ax.scatter([100 * v for v in values], [i] * len(values), s=22, alpha=0.6,
                   color="#1f6fb2")
        ax.plot([100 * sorted(values)[len(values) // 2]], [i], "|", color="#c0392b", ms=16)
    ax.set_yticks(range(len(rows)), [name for name, _ in rows], fontsize=8)
    ax.set_xlabel("test accuracy measured by the grader (%); red: median")
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.invert_yaxis()
    ax.grid(axis="x", alpha=0.3)
    return _data_uri(fig)
