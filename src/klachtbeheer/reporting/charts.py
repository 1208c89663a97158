"""Charts as data: the numbers, the finding in words, and the geometry of an SVG.

The template `reporting/includes/chart.html` draws the SVG from this (no chart
library, nothing loaded from elsewhere), with the values labelled on the chart,
the finding as the caption, and the same numbers as a table and a CSV file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.formats import localize, number_format
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

# Colours on the example theme; every colour is also said in words on the chart.
TEAL = "#0b5f63"
TEAL_LIGHT = "#7cc4c0"
GREEN = "#2f7d3b"
RED = "#b3261e"
AMBER = "#b86e00"
GREY = "#8a8f94"
TEXT = "#1a1a1a"

ROW_HEIGHT = 28
BAR_HEIGHT = 18
LABEL_WIDTH = 250
WIDTH = 640


@dataclass
class Rect:
    x: float
    y: float
    width: float
    height: float
    fill: str
    title: str  # tooltip and accessible name of the bar


@dataclass
class Text:
    x: float
    y: float
    text: str
    anchor: str = "start"
    size: int = 14
    weight: str = "normal"
    fill: str = TEXT


@dataclass
class Chart:
    key: str
    title: str
    caption: str  # the finding, in words
    columns: list[str]
    rows: list[list]  # the table (and the CSV) under the chart
    width: int = WIDTH
    height: int = 0
    rects: list[Rect] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (colour, label)
    empty: bool = False

    @property
    def svg(self) -> SafeString:
        """The drawing as SVG markup, every text escaped (`reporting/includes/chart_svg.html`).

        Written here rather than by template loops: a chart has dozens of shapes, and
        the template language took most of the dashboard's rendering time over them.
        """
        key = _out(self.key)
        parts = [
            f'<svg class="kb-chart__svg" viewBox="0 0 {_out(self.width)} '
            f'{_out(self.height)}" width="{_out(self.width)}" '
            f'height="{_out(self.height)}" role="img" '
            f'aria-labelledby="chart-{key}-title chart-{key}-desc" '
            'xmlns="http://www.w3.org/2000/svg" '
            'font-family="DejaVu Sans, Verdana, Arial, sans-serif">\n'
            f'  <title id="chart-{key}-title">{_out(self.title)}</title>\n'
            f'  <desc id="chart-{key}-desc">{_out(self.caption)}</desc>\n  '
        ]
        for rect in self.rects:
            title = f"<title>{_out(rect.title)}</title>" if rect.title else ""
            parts.append(
                f'<rect x="{rect.x:.1f}" y="{rect.y:.1f}" width="{rect.width:.1f}" '
                f'height="{rect.height:.1f}" fill="{_out(rect.fill)}">{title}</rect>\n  '
            )
        for text in self.texts:
            parts.append(
                f'<text x="{text.x:.1f}" y="{text.y:.1f}" text-anchor="{_out(text.anchor)}" '
                f'font-size="{_out(text.size)}" font-weight="{_out(text.weight)}" '
                f'fill="{_out(text.fill)}">{_out(text.text)}</text>\n  '
            )
        parts.append("\n</svg>")
        return mark_safe("".join(parts))  # noqa: S308 (every value escaped above)


def _out(value) -> str:
    """A value as `{{ value }}` puts it in a template: localised, then escaped."""
    return conditional_escape(localize(value))


def fmt(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    if not digits:
        return number_format(round(value))
    return number_format(round(value, digits), decimal_pos=digits)


def percent(share: float | None) -> str:
    return "–" if share is None else f"{fmt(share * 100)}%"


def horizontal_bars(
    *,
    key: str,
    title: str,
    caption: str,
    columns: list[str],
    rows: list[tuple[str, int]],
    colour: str = TEAL,
    colours: list[str] | None = None,
    extra_columns: list[list] | None = None,
    value_format=fmt,
) -> Chart:
    """One bar per row, longest first as given, the value written after each bar."""
    chart = Chart(
        key=key,
        title=title,
        caption=caption,
        columns=columns,
        rows=[
            [label, value, *(extra_columns[i] if extra_columns else [])]
            for i, (label, value) in enumerate(rows)
        ],
    )
    if not rows or not any(value for _label, value in rows):
        chart.empty = True
    top = max([value or 0 for _label, value in rows] or [0]) or 1
    room = WIDTH - LABEL_WIDTH - 90
    for index, (label, value) in enumerate(rows):
        y = index * ROW_HEIGHT + 6
        shown = value_format(value)
        value = value or 0
        length = room * value / top
        chart.texts.append(Text(LABEL_WIDTH - 8, y + BAR_HEIGHT - 4, _clip(label), anchor="end"))
        chart.rects.append(
            Rect(
                LABEL_WIDTH,
                y,
                max(length, 1 if value else 0),
                BAR_HEIGHT,
                (colours[index] if colours else colour),
                f"{label}: {value}",
            )
        )
        chart.texts.append(Text(LABEL_WIDTH + length + 6, y + BAR_HEIGHT - 4, shown, weight="bold"))
    chart.height = max(len(rows), 1) * ROW_HEIGHT + 12
    return chart


def grouped_columns(
    *,
    key: str,
    title: str,
    caption: str,
    columns: list[str],
    groups: list[str],
    series: list[tuple[str, str, list[int]]],  # (label, colour, values per group)
) -> Chart:
    """Columns per group (months), side by side per series, each value written above its column."""
    rows = [[group, *(values[i] for _l, _c, values in series)] for i, group in enumerate(groups)]
    chart = Chart(key=key, title=title, caption=caption, columns=columns, rows=rows)
    values = [v for _l, _c, vs in series for v in vs]
    if not any(values):
        chart.empty = True
    top = max(values or [0]) or 1
    plot_top, plot_height, left = 34, 180, 8
    slot = (WIDTH - left * 2) / max(len(groups), 1)
    column_width = min(22.0, (slot - 8) / max(len(series), 1))
    for index, group in enumerate(groups):
        x0 = left + index * slot + (slot - column_width * len(series)) / 2
        for s_index, (label, colour, series_values) in enumerate(series):
            value = series_values[index]
            height = plot_height * value / top
            x = x0 + s_index * column_width
            y = plot_top + plot_height - height
            chart.rects.append(
                Rect(x + 1, y, column_width - 2, height, colour, f"{group}, {label}: {value}")
            )
            chart.texts.append(
                Text(x + column_width / 2, y - 4, fmt(value), anchor="middle", size=11)
            )
        chart.texts.append(
            Text(
                left + index * slot + slot / 2, plot_top + plot_height + 18, group, anchor="middle"
            )
        )
    chart.legend = [(colour, label) for label, colour, _values in series]
    chart.rects.append(Rect(left, plot_top + plot_height, WIDTH - 2 * left, 1, GREY, ""))
    chart.height = plot_top + plot_height + 28
    return chart


def stacked_shares(
    *,
    key: str,
    title: str,
    caption: str,
    columns: list[str],
    bars: list[tuple[str, list[tuple[str, str, int]]]],  # (label, [(part, colour, count)])
) -> Chart:
    """One 100% bar per row, split into its parts, each part labelled with its count and share."""
    rows = [[label, *(count for _p, _c, count in parts)] for label, parts in bars]
    chart = Chart(key=key, title=title, caption=caption, columns=columns, rows=rows)
    room = WIDTH - LABEL_WIDTH - 10
    height = 30
    if not any(count for _label, parts in bars for _p, _c, count in parts):
        chart.empty = True
    for index, (label, parts) in enumerate(bars):
        y = index * (height + 22) + 6
        total = sum(count for _p, _c, count in parts)
        chart.texts.append(Text(LABEL_WIDTH - 8, y + height / 2 + 5, _clip(label), anchor="end"))
        x = float(LABEL_WIDTH)
        for part, colour, count in parts:
            if not total or not count:
                continue
            length = room * count / total
            chart.rects.append(
                Rect(
                    x,
                    y,
                    length,
                    height,
                    colour,
                    f"{label}, {part}: {count} ({percent(count / total)})",
                )
            )
            if length >= 44:
                chart.texts.append(
                    Text(
                        x + length / 2,
                        y + height / 2 + 5,
                        f"{count} ({percent(count / total)})",
                        anchor="middle",
                        size=12,
                        weight="bold",
                        fill="#ffffff",
                    )
                )
            x += length
    chart.legend = [(colour, part) for part, colour, _count in (bars[0][1] if bars else [])]
    chart.height = len(bars) * (height + 22) + 4
    return chart


def _clip(text: str, limit: int = 30) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
