"""Server-drawn SVG charts: well-formed, accessible, proportional, and fine with no data."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import pytest

from gongji.charts import Scale, bar_chart, line_chart, nice_step
from gongji.domain.money import format_yuan

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 - our own output, not untrusted input
    assert root.tag == f"{SVG}svg"
    return root


def accessible(root: ET.Element, title: str) -> str:
    """The chart names itself: role img, labelled by its <title> and <desc>."""
    t, d = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert t is not None and d is not None
    assert t.text == title and d.text
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == f"{t.get('id')} {d.get('id')}"
    return d.text


def bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]


def texts(root: ET.Element, cls: str) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text") if t.get("class") == cls]


def test_bar_heights_are_proportional_to_the_values() -> None:
    data = [("a", 10), ("b", 20), ("c", 5), ("d", 40)]
    root = parse(bar_chart(data, title="Transfers", desc="per day", uid="t1"))
    desc = accessible(root, "Transfers")
    assert "a: 10" in desc and "d: 40" in desc          # every value, in words
    heights = [float(r.get("height") or "nan") for r in bars(root)]
    assert [int(r.get("data-value") or "-1") for r in bars(root)] == [10, 20, 5, 40]
    for (_, v), h in zip(data, heights, strict=True):
        assert h == pytest.approx(heights[3] * v / 40, abs=0.02)
    assert heights[1] == pytest.approx(2 * heights[0], abs=0.02)
    # the values are written beside the bars, not only drawn
    assert texts(root, "value") == ["10", "20", "5", "40"]
    # a bar's top sits at its value on the axis and its bottom on the zero line
    bottoms = {round(float(r.get("y") or 0) + float(r.get("height") or 0), 1)
               for r in bars(root)}
    assert len(bottoms) == 1


def test_axis_ticks_are_round_and_cover_the_largest_value() -> None:
    root = parse(bar_chart([("x", 37), ("y", 3)], title="t"))
    ticks = [int(t) for t in texts(root, "tick")]
    assert ticks[0] == 0 and ticks[-1] >= 37
    steps = {b - a for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1 and steps.pop() in (1, 2, 5, 10, 20, 50)


def test_values_in_fen_read_as_yuan() -> None:
    root = parse(bar_chart([("510100", 123456), ("411300", 0)], title="Outlays",
                           value_text=format_yuan, unit=100))
    assert texts(root, "value") == ["1234.56", "0.00"]
    assert all(t.endswith(".00") for t in texts(root, "tick"))  # ticks on whole yuan
    assert "510100: 1234.56" in accessible(root, "Outlays")


def test_no_data_draws_an_explained_empty_chart() -> None:
    for draw in (bar_chart, line_chart):
        root = parse(draw([], title="Empty", desc="nothing yet", empty_text="No data"))
        assert "No data" in accessible(root, "Empty")
        assert texts(root, "empty") == ["No data"]
        assert bars(root) == [] and list(root.iter(f"{SVG}circle")) == []


def test_all_zero_values_draw_flat_without_dividing_by_zero() -> None:
    root = parse(bar_chart([("a", 0), ("b", 0)], title="Zero"))
    assert [float(r.get("height") or "nan") for r in bars(root)] == [0.0, 0.0]
    assert texts(root, "value") == ["0", "0"]
    line = parse(line_chart([("a", 0), ("b", 0), ("c", 0)], title="Zero",
                            value_text=format_yuan, unit=100))
    ys = {c.get("cy") for c in line.iter(f"{SVG}circle")}
    assert len(ys) == 1                                   # a flat line on the zero axis
    assert texts(line, "tick") == ["0.00", "1.00"]


def test_negative_values_hang_below_the_zero_line() -> None:
    root = parse(bar_chart([("owes", -30), ("owed", 60)], title="Net"))
    down, up = bars(root)
    zero = float(down.get("y") or "nan")
    assert float(up.get("y") or "nan") + float(up.get("height") or "nan") == \
        pytest.approx(zero, abs=0.02)
    assert float(up.get("height") or "nan") == pytest.approx(
        2 * float(down.get("height") or "nan"), abs=0.02)


def test_line_points_follow_the_values() -> None:
    data = [("11-01", 5), ("11-02", 15), ("11-03", 10)]
    root = parse(line_chart(data, title="Amounts", uid="l1"))
    accessible(root, "Amounts")
    cy = [float(c.get("cy") or "nan") for c in root.iter(f"{SVG}circle")]
    zero = Scale.of([5, 15, 10], 28, 176)
    assert cy == [pytest.approx(zero.y(v), abs=0.02) for _, v in data]
    assert cy[1] < cy[2] < cy[0]                           # higher values, higher points
    polyline = root.find(f"{SVG}polyline")
    assert polyline is not None and len((polyline.get("points") or "").split()) == 3
    assert texts(root, "value") == ["5", "15", "10"]


def test_labels_and_titles_are_escaped() -> None:
    svg = bar_chart([("<b>&", 1)], title='A "quoted" <title>', desc="x & y")
    root = parse(svg)
    accessible(root, 'A "quoted" <title>')
    assert "<b>" not in svg


def test_many_bars_thin_the_labels_but_keep_every_value_in_desc() -> None:
    data = [(f"{d:02d}", d) for d in range(1, 32)]
    root = parse(bar_chart(data, title="Month"))
    labels = [t.text for t in root.iter(f"{SVG}text")
              if t.get("class") == "label"]
    assert 0 < len(labels) <= 12
    desc = accessible(root, "Month")
    assert all(f"{d:02d}: {d}" in desc for d in range(1, 32))
    assert len(bars(root)) == 31


@pytest.mark.parametrize(("span", "step"), [(1, 1), (4, 1), (7, 2), (37, 10), (100, 50),
                                            (999, 500), (123456, 50000)])
def test_nice_steps(span: int, step: int) -> None:
    assert nice_step(span) == step


def test_long_labels_are_slanted_and_given_room_below() -> None:
    def labels(root: ET.Element) -> list[ET.Element]:
        return [t for t in root.iter(f"{SVG}text") if t.get("class") == "label"]

    def height(root: ET.Element) -> float:
        return float((root.get("viewBox") or "").split()[3])

    short = parse(bar_chart([("a", 1), ("b", 2)], title="s"))
    long = parse(bar_chart([(f"returned when the binding ended {i}", i) for i in range(6)],
                           title="l"))
    cjk = parse(bar_chart([("解除共济退回" * 2, 1)] * 6, title="c"))
    assert not any(t.get("transform") for t in labels(short))
    for root in (long, cjk):
        assert labels(root) and all((t.get("transform") or "").startswith("rotate(-35")
                                    for t in labels(root))
        assert height(root) > height(short)
