"""Class results as a bar chart PNG (matplotlib, Agg; imported only when a chart is drawn)."""

from __future__ import annotations

import functools
import io
from pathlib import Path

from bot.i18n import _, as_shown
from bot.quizzes.models import ClassResults

# Chinese labels need a font with CJK glyphs; matplotlib's cached font list may predate the
# system's fonts, so known CJK font files are looked for and added once, at the first chart.
CJK_FONT_FILES = ("wqy", "notosanscjk", "notoserifcjk", "sourcehan", "droidsansfallback",
                  "simhei", "msyh", "pingfang", "heiti", "arialuni")  # fmt: skip


@functools.cache
def font_families() -> tuple[str, ...]:
    """DejaVu Sans (matplotlib's own) first, then every CJK font found on this system."""
    from matplotlib import font_manager

    families = ["DejaVu Sans"]
    for path in font_manager.findSystemFonts():
        name = Path(path).name.lower().replace("-", "").replace("_", "")
        if not any(hint in name for hint in CJK_FONT_FILES):
            continue
        try:
            font_manager.fontManager.addfont(path)
        except (OSError, RuntimeError, ValueError):  # an unreadable font file: skip it
            continue
        families += [f.name for f in font_manager.fontManager.ttflist if f.fname == path]
    return tuple(dict.fromkeys(families))


BAR_COLOUR = "#2e7d6b"


def results_chart_png(results: ClassResults) -> bytes:
    """Per-question share of correct answers as bars labelled Q1…Qn, as PNG bytes."""
    # Drawn into pixels: converted now (Traditional) rather than after, like reply texts.
    labels = [
        as_shown(_("Q{number}").format(number=i + 1)) for i in range(len(results.share_correct))
    ]
    percents = [round(share * 100) for share in results.share_correct]
    from matplotlib import rc_context

    with rc_context({"font.family": list(font_families())}):
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
    axes.set_ylabel(as_shown(_("% correct")))
    title = _("Correct answers per question ({count} finished)")
    axes.set_title(as_shown(title.format(count=participants)))
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    canvas.print_png(buffer)
    return buffer.getvalue()
