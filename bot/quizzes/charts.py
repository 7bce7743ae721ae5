"""Class results as a bar chart PNG (matplotlib, Agg; imported only when a chart is drawn)."""

from __future__ import annotations

import io

from bot.quizzes.models import ClassResults

BAR_COLOUR = "#2e7d6b"


def results_chart_png(results: ClassResults) -> bytes:
    """Per-question share of correct answers as bars labelled Q1…Qn, as PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = [f"Q{i + 1}" for i in range(len(results.share_correct))]
    percents = [round(share * 100) for share in results.share_correct]
    figure = Figure(figsize=(max(4.0, 0.6 * len(labels) + 2.0), 3.2), dpi=100)
    canvas = FigureCanvasAgg(figure)
    axes = figure.subplots()
    bars = axes.bar(labels, percents, color=BAR_COLOUR)
    axes.bar_label(bars, labels=[f"{p}%" for p in percents], fontsize=8)
    axes.set_ylim(0, 110)
    axes.set_ylabel("% correct")
    axes.set_title(f"Correct answers per question ({results.participants} finished)")
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    canvas.print_png(buffer)
    return buffer.getvalue()
