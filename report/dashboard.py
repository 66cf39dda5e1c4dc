"""Picture of a stack's CloudWatch dashboard layout, drawn from the dashboard body the program declares.

`layouts(capture)` reads each `aws:cloudwatch/dashboard:Dashboard` resource's `dashboardBody` (CloudWatch's JSON:
widgets placed on a 24-column grid by x, y, width and height) into a `DashboardLayout`; `render` draws it as SVG
(by hand, so the file depends on the body alone) and PNG (Pillow, with the font Pillow bundles, so it does not
depend on this machine's fonts). Each widget is a rectangle in its place, labelled with its title (a text widget's
first heading) and what it shows. The SVG carries each widget's grid position as data attributes, which is what the
tests compare with the body.
"""

import json
import re
from dataclasses import dataclass
from html import escape, unescape
from pathlib import Path
from typing import Any

from mock_engine import Capture, as_list

from .inventory import DASHBOARD, InventoryError

GRID_COLUMNS = 24
# Pixels per grid column and per grid row: CloudWatch draws a 24-column dashboard about this shape.
COLUMN_PX = 40
ROW_PX = 28
MARGIN_PX = 20
HEADER_PX = 60
TITLE_SIZE = 15
TEXT_SIZE = 12
HEADING_SIZE = 20
LINE_PX = 16
FILL = {"metric": "#E6F2F8", "text": "#FFF8E1", "log": "#EDE7F6", "alarm": "#FDECEA"}
STROKE = {"metric": "#147EBA", "text": "#C9A227", "log": "#8C4FFF", "alarm": "#D13212"}
DEFAULT_FILL, DEFAULT_STROKE = "#F2F3F3", "#545B64"


@dataclass(frozen=True)
class Widget:
    x: int
    y: int
    width: int
    height: int
    kind: str
    title: str
    detail: str
    """What the widget shows: its metrics and region, or a text widget's words."""


@dataclass(frozen=True)
class DashboardLayout:
    name: str
    resource: str
    widgets: tuple[Widget, ...]

    @property
    def rows(self) -> int:
        return max((w.y + w.height for w in self.widgets), default=0)

    @property
    def size(self) -> tuple[int, int]:
        return (2 * MARGIN_PX + GRID_COLUMNS * COLUMN_PX, HEADER_PX + self.rows * ROW_PX + MARGIN_PX)

    def box(self, widget: Widget) -> tuple[int, int, int, int]:
        """The widget's rectangle in pixels: left, top, width, height."""
        return (MARGIN_PX + widget.x * COLUMN_PX, HEADER_PX + widget.y * ROW_PX, widget.width * COLUMN_PX,
                widget.height * ROW_PX)


def _markdown_lines(markdown: str) -> list[str]:
    """A text widget's lines without Markdown's markup."""
    lines = []
    for line in markdown.splitlines():
        line = re.sub(r"^#+\s*", "", line.strip())
        line = re.sub(r"[`*_]", "", re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line))
        if line:
            lines.append(line)
    return lines


def _metric_rows(metrics: Any) -> list[list[Any]]:
    # Each entry of `metrics` is one line of the graph: [namespace, name, dimension pairs..., {options}].
    return [m for m in as_list(metrics) if isinstance(m, list)]


def _metric_names(rows: list[list[Any]]) -> list[str]:
    """The metrics a widget graphs, each once, in order ("." repeats the row above's value)."""
    names: list[str] = []
    previous = None
    for row in rows:
        values = [v for v in row if not isinstance(v, dict)]
        name = values[1] if len(values) > 1 else None
        name = previous if name == "." else name
        previous = name
        if isinstance(name, str) and name not in names:
            names.append(name)
    return names


def widget(raw: dict[str, Any]) -> Widget:
    properties = raw.get("properties") or {}
    kind = raw.get("type") or "metric"
    missing = [k for k in ("x", "y", "width", "height") if raw.get(k) is None]
    if missing:
        raise InventoryError(f"a dashboard widget ({properties.get('title') or kind}) has no {', '.join(missing)}: "
                             "the picture draws widgets where the body places them")
    if kind == "text":
        lines = _markdown_lines(str(properties.get("markdown") or ""))
        title, detail = (lines[0], " ".join(lines[1:])) if lines else ("(empty text)", "")
    else:
        title = str(properties.get("title") or f"({kind} widget)")
        parts = []
        rows = _metric_rows(properties.get("metrics"))
        if rows:
            parts.append(f"{len(rows)} line{'s' if len(rows) != 1 else ''}")
        if properties.get("stat"):
            parts.append(str(properties["stat"]))
        if properties.get("region"):
            parts.append(str(properties["region"]))
        names = _metric_names(rows)
        detail = " · ".join([*parts, ", ".join(names)] if names else parts)
    return Widget(x=int(raw["x"]), y=int(raw["y"]), width=int(raw["width"]), height=int(raw["height"]), kind=kind,
                  title=title, detail=detail)


def layouts(capture: Capture) -> list[DashboardLayout]:
    """Every dashboard the stack declares, by logical name."""
    found = []
    for resource in sorted(capture.of_type(DASHBOARD), key=lambda r: r.name):
        body = resource.get("dashboardBody")
        try:
            parsed = json.loads(body) if isinstance(body, str) else body
        except json.JSONDecodeError as exc:
            raise InventoryError(f"{resource.name}: dashboardBody is not JSON ({exc})") from None
        if not isinstance(parsed, dict):
            raise InventoryError(f"{resource.name}: dashboardBody is not a dashboard body")
        name = resource.get("dashboardName") or resource.state.get("dashboardName") or resource.name
        found.append(DashboardLayout(name=name, resource=resource.name,
                                     widgets=tuple(widget(w) for w in as_list(parsed.get("widgets")))))
    return found


# -- drawing -----------------------------------------------------------------------------------------------------

def _wrap(text: str, width: float, measure) -> list[str]:
    """Words in lines no wider than `width`, as `measure` measures them."""
    lines: list[str] = []
    for word in text.split():
        if lines and measure(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _fit(lines: list[str], height: float) -> list[str]:
    """The lines that fit `height`; an ellipsis says when some were left out."""
    room = max(int(height // LINE_PX), 0)
    if len(lines) <= room:
        return lines
    # Three dots rather than an ellipsis: the font Pillow bundles has no such glyph.
    return [*lines[:max(room - 1, 0)], "..."] if room else []


def _approximate_width(size: int):
    # SVG text is measured by the viewer; an average glyph of a sans-serif face is about 0.55 em wide.
    return lambda text: len(text) * size * 0.55


def _labels(layout: DashboardLayout, w: Widget, measure_title, measure_text) -> tuple[list[str], list[str]]:
    _, _, width, height = layout.box(w)
    inner = width - 16
    title = _wrap(w.title, inner, measure_title)[:2]
    detail = _fit(_wrap(w.detail, inner, measure_text), height - 16 - LINE_PX * (len(title) + 0.5))
    return title, detail


def svg(layout: DashboardLayout) -> str:
    width, height = layout.size
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif">',
             f'<title>CloudWatch dashboard {escape(layout.name)}</title>',
             f'<rect width="{width}" height="{height}" fill="#FFFFFF"/>',
             f'<text class="dashboard-name" x="{MARGIN_PX}" y="{MARGIN_PX + HEADING_SIZE}" font-size="{HEADING_SIZE}" '
             f'font-weight="bold" fill="#232F3E">{escape(layout.name)}</text>',
             f'<text x="{width - MARGIN_PX}" y="{MARGIN_PX + HEADING_SIZE}" font-size="{TEXT_SIZE}" '
             f'text-anchor="end" fill="#545B64">CloudWatch dashboard · {len(layout.widgets)} widgets · '
             f'{GRID_COLUMNS}-column grid</text>']
    for column in range(GRID_COLUMNS + 1):
        x = MARGIN_PX + column * COLUMN_PX
        parts.append(f'<line x1="{x}" y1="{HEADER_PX - (8 if column % 6 == 0 else 4)}" x2="{x}" y2="{HEADER_PX}" '
                     'stroke="#AAB7B8"/>')
    for w in layout.widgets:
        left, top, box_width, box_height = layout.box(w)
        title, detail = _labels(layout, w, _approximate_width(TITLE_SIZE), _approximate_width(TEXT_SIZE))
        parts.append(f'<g class="widget" data-type="{escape(w.kind)}" data-x="{w.x}" data-y="{w.y}" '
                     f'data-width="{w.width}" data-height="{w.height}" data-title="{escape(w.title)}">')
        parts.append(f'<rect x="{left + 2}" y="{top + 2}" width="{box_width - 4}" height="{box_height - 4}" rx="4" '
                     f'fill="{FILL.get(w.kind, DEFAULT_FILL)}" stroke="{STROKE.get(w.kind, DEFAULT_STROKE)}"/>')
        y = top + 8
        for line in title:
            y += LINE_PX
            parts.append(f'<text x="{left + 10}" y="{y}" font-size="{TITLE_SIZE}" font-weight="bold" '
                         f'fill="#232F3E">{escape(line)}</text>')
        y += LINE_PX // 2
        for line in detail:
            y += LINE_PX
            parts.append(f'<text x="{left + 10}" y="{y}" font-size="{TEXT_SIZE}" fill="#545B64">{escape(line)}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def png(layout: DashboardLayout, path: Path) -> None:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", layout.size, "#FFFFFF")
    draw = ImageDraw.Draw(image)
    heading = ImageFont.load_default(size=HEADING_SIZE)
    title_font = ImageFont.load_default(size=TITLE_SIZE)
    text_font = ImageFont.load_default(size=TEXT_SIZE)
    width, _ = layout.size
    draw.text((MARGIN_PX, MARGIN_PX), layout.name, font=heading, fill="#232F3E")
    caption = f"CloudWatch dashboard · {len(layout.widgets)} widgets · {GRID_COLUMNS}-column grid"
    draw.text((width - MARGIN_PX - draw.textlength(caption, font=text_font), MARGIN_PX + 6), caption,
              font=text_font, fill="#545B64")
    for column in range(GRID_COLUMNS + 1):
        x = MARGIN_PX + column * COLUMN_PX
        draw.line((x, HEADER_PX - (8 if column % 6 == 0 else 4), x, HEADER_PX), fill="#AAB7B8")
    for w in layout.widgets:
        left, top, box_width, box_height = layout.box(w)
        draw.rounded_rectangle((left + 2, top + 2, left + box_width - 2, top + box_height - 2), radius=4,
                               fill=FILL.get(w.kind, DEFAULT_FILL), outline=STROKE.get(w.kind, DEFAULT_STROKE))
        title, detail = _labels(layout, w, lambda t: draw.textlength(t, font=title_font),
                                lambda t: draw.textlength(t, font=text_font))
        y = top + 10
        for line in title:
            draw.text((left + 10, y), line, font=title_font, fill="#232F3E")
            y += LINE_PX
        y += LINE_PX // 2
        for line in detail:
            draw.text((left + 10, y), line, font=text_font, fill="#545B64")
            y += LINE_PX
    image.save(path, format="PNG", optimize=True)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def render(capture: Capture, directory: Path, name: str = "dashboard") -> dict[str, list[Path]]:
    """Draw every dashboard of the stack into `<directory>/dashboard.svg` and `.png` (one dashboard), or
    `dashboard-<name>.svg` and `.png` for each of several; returns the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    found = layouts(capture)
    written: dict[str, list[Path]] = {"svg": [], "png": []}
    for layout in found:
        base = directory / (name if len(found) == 1 else f"{name}-{_slug(layout.name)}")
        svg_path, png_path = base.with_suffix(".svg"), base.with_suffix(".png")
        svg_path.write_text(svg(layout))
        png(layout, png_path)
        written["svg"].append(svg_path)
        written["png"].append(png_path)
    return written


def parse_svg(text: str) -> list[dict[str, Any]]:
    """The widgets an SVG drawn by `svg` shows: grid position, type and title, read back from the file."""
    widgets = []
    for match in re.finditer(r'<g class="widget" ([^>]*)>', text):
        attributes = dict(re.findall(r'data-([a-z]+)="([^"]*)"', match.group(1)))
        widgets.append({"type": attributes["type"], "title": unescape(attributes["title"]),
                        **{k: int(attributes[k]) for k in ("x", "y", "width", "height")}})
    return widgets


def dashboard_name(text: str) -> str | None:
    found = re.search(r'<text class="dashboard-name"[^>]*>([^<]*)</text>', text)
    return unescape(found.group(1)) if found else None
