"""Class results as a bar chart PNG (matplotlib, Agg; imported only when a chart is drawn)."""

from __future__ import annotations

import io

from bot.i18n import _
from bot.quizzes.models import ClassResults

# Latin labels first; Chinese ones fall back to a CJK font where the system has one.
FONTS = ["DejaVu Sans", "WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans CJK JP"]

BAR_COLOUR = "#2e7d6b"


def results_chart_png(results: ClassResults) -> bytes:
    """Per-question share of correct answers as bars labelled Q1…Qn, as PNG bytes."""
    labels = [_("Q{number}").format(number=i + 1) for i in range(len(results.share_correct))]
    percents = [round(share * 100) for share in results.share_correct]
    from matplotlib import rc_context

    with rc_context({"font.family": FONTS}):
        return _draw(labels, percents, results.participants)


def _draw(labels: list[str], percents: list[int], participants: int) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(max(4.0, 0.6 * len(labels) + 2.0), 3.2), dpi=100)
    canvas = FigureCanvasAgg(figure)
    axes = figure.subplots()
    bars = axes.bar(labels, percents, color=BAR_COLOUR)
    axes.bar_label(bars, labels=[f"{p}%" for p in percents], fontsize=8)
    axes.set_ylim(0, 110)
    axes.set_ylabel(_("% correct"))
    title = _("Correct answers per question ({count} finished)")
    axes.set_title(title.format(count=participants))
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    canvas.print_png(buffer)
    return buffer.getvalue()
