"""The benchmark's table (each figure beside its yardstick) and its plots (SVG)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from rich.table import Table

from gongji.benchmark.run import MIXED_P99_MS, Result


def table(result: Result) -> Table:
    t = Table(title="gongji bench: operations per second beside the database's own yardstick",
              show_edge=False)
    for col in ("layer", "operation", "database", "clients", "persons", "per second",
                "p50 ms", "p95 ms", "p99 ms", "yardstick /s", "ratio"):
        t.add_column(col, no_wrap=True,
                     justify="left" if col in ("layer", "operation", "database") else "right")
    for layer, rows in (("yardstick", result.yardsticks), ("bare driver", result.replays),
                        ("service", result.service), ("service+group commit", result.group),
                        ("http", result.http)):
        for f in rows:
            y = result.yardstick(f.database, f.clients)
            ratio = result.ratio(f) if layer not in ("yardstick", "bare driver") else None
            t.add_row(layer, f.name, f.database, str(f.clients),
                      f"{f.persons:,}" if f.persons else "", f"{f.per_second:,.1f}",
                      f"{f.p50_ms:.1f}", f"{f.p95_ms:.1f}", f"{f.p99_ms:.1f}",
                      f"{y.per_second:,.1f}" if y and ratio is not None else "",
                      f"{ratio:.2f}x" if ratio is not None else "")
    return t


LIKE_COLUMNS = ("operation", "database", "clients", "gongji /s", "p99 ms", "replay /s",
                "x replay", "minimal writes /s", "x minimal")


def _like_cells(row: dict[str, Any]) -> list[str]:
    def x(v: float | None) -> str:
        return "" if v is None else f"{v:.2f}x"

    return [row["operation"], row["database"], str(row["clients"]),
            f"{row['service_per_second']:,.1f}", f"{row['service_p99_ms']:.1f}",
            f"{row['replay_per_second']:,.1f}", x(row["ratio_to_replay"]),
            f"{row['minimal_per_second']:,.1f}", x(row["ratio_to_minimal"])]


def like_table(result: Result) -> Table:
    """gongji beside its own statements through the bare driver (benchmark/replay.py)."""
    t = Table(title="like for like: the service beside its own statements, bare driver",
              show_edge=False)
    for col in LIKE_COLUMNS:
        t.add_column(col, no_wrap=True,
                     justify="left" if col in ("operation", "database") else "right")
    for row in result.like_for_like():
        t.add_row(*_like_cells(row))
    return t


MIXED_COLUMNS = ("database", "clients", "operation", "share", "count", "per second",
                 "p50 ms", "p95 ms", "p99 ms", "p99 target", "errors", "error codes")


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _mixed_rows(m: dict[str, Any]) -> list[list[str]]:
    """One row per operation and one for the whole load, each p99 and error count beside its
    target (from the JSON form, so the console and the Markdown say the same)."""
    ok = {(t["metric"], t["operation"]): t["pass"] for t in m["targets"]}
    rows = []
    for k in m["kinds"]:
        rows.append([m["database"], str(m["clients"]), k["name"], f"{k['share']} %",
                     f"{k['operations']:,}", f"{k['per_second']:,.1f}", f"{k['p50_ms']:.1f}",
                     f"{k['p95_ms']:.1f}", f"{k['p99_ms']:.1f}",
                     _verdict(ok[("p99_ms", k["name"])]),
                     f"{k['errors']} {_verdict(ok[('errors', k['name'])])}",
                     ", ".join(k["error_codes"])])
    rows.append([m["database"], str(m["clients"]), "all", "100 %", f"{m['operations']:,}",
                 f"{m['per_second']:,.1f}", "", "", "", "", str(m["errors"]), ""])
    return rows


def _mixed_memory(m: dict[str, Any]) -> str:
    t = next(t for t in m["targets"] if t["metric"] == "peak_rss_mb_per_worker")
    cpu = ""
    if m.get("server_cpu_ms_per_op") is not None:
        cpu = (f"; CPU per operation: server {m['server_cpu_ms_per_op']} ms, client "
               f"{m['client_cpu_ms_per_op']} ms; cores {100 * m['machine_busy']:.0f} % busy")
    return (f"peak {m['peak_rss_mb_per_worker']} MiB per worker ({m['workers']} workers; "
            f"target <= {t['limit']} MiB: {_verdict(t['pass'])}){cpu}")


def _layers(p: dict[str, Any]) -> str:
    return (f"{p['ms_per_operation']} ms under cProfile: "
            + ", ".join(f"{x['layer']} {100 * x['share']:.0f} %" for x in p["layers"]))


def mixed_table(result: Result) -> Table:
    """The mixed load (issue 16), each operation beside its targets."""
    t = Table(title="mixed load: wallet reads, hospital visits, transfers "
                    f"(targets: p99 <= {MIXED_P99_MS} ms, 0 errors)", show_edge=False)
    for col in MIXED_COLUMNS:
        t.add_column(col, no_wrap=col != "error codes",
                     justify="left" if col in ("database", "operation", "error codes")
                     else "right")
    for m in result.mixed_dicts():
        for row in _mixed_rows(m):
            t.add_row(*row)
    return t


def other_lines(result: Result) -> list[str]:
    e = result.engine
    out = [f"engine: {e['fee_lines_per_second']:,} fee lines/s on one core "
           f"({e['settlements']:,} settlements, {e['seconds']} s)"]
    out += [f"verify: {v['postings']:,} postings on {v['database']} in {v['seconds']} s"
            f" ({'ok' if v['ok'] else 'VIOLATIONS'})" for v in result.verify]
    out += [f"server: peak {m['peak_rss_mb_per_worker']} MiB per worker "
            f"({m['workers']} workers, {m['database']})" for m in result.memory]
    out += [f"http / service: {r['operation']}, {r['database']}, {r['clients']} clients: "
            f"{r['http_per_second']:,.1f} / {r['service_per_second']:,.1f} = {r['ratio']:.2f}x"
            for r in result.http_to_service()]
    out += [f"mixed load, {m['database']}: {_mixed_memory(m)}" for m in result.mixed_dicts()]
    out += [f"profile of one settlement, {p['database']}: " + _layers(p)
            for p in result.profiles]
    return out


COLOURS = ("#0b5cad", "#a40e26", "#116329", "#8a4b00", "#6639ba", "#57606a")
MARKS = ("circle", "square", "diamond", "triangle", "circle", "square")


def line_plot(series: dict[str, list[tuple[float, float]]], *, title: str, x_label: str,
              y_label: str, log_x: bool = False) -> str:
    """Several named series of (x, y) points as one SVG line chart, with a legend; each series
    has its own marker shape as well as its colour."""
    import math

    width, height, left, right, top, bottom = 640, 360, 70, 170, 36, 50
    xs = [x for pts in series.values() for x, _ in pts] or [1.0]
    ys = [y for pts in series.values() for _, y in pts] or [1.0]
    fx = (lambda v: math.log10(v)) if log_x else (lambda v: v)
    x0, x1 = fx(min(xs)), fx(max(xs))
    x1 = x1 if x1 > x0 else x0 + 1
    y1 = max(ys) * 1.1 or 1.0

    def px(v: float) -> float:
        return left + (fx(v) - x0) / (x1 - x0) * (width - left - right)

    def py(v: float) -> float:
        return top + (1 - v / y1) * (height - top - bottom)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
           f'role="img" font-family="sans-serif" font-size="12">',
           f"<title>{escape(title)}</title>",
           "<desc>" + escape("; ".join(f"{n}: " + ", ".join(f"{x:g} -> {y:,.1f}" for x, y in p)
                                       for n, p in series.items())) + "</desc>",
           f'<text x="{left}" y="20" font-size="14" font-weight="bold">{escape(title)}</text>',
           f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" '
           f'y2="{height - bottom}" stroke="#333"/>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#333"/>']
    for k in range(5):
        v = y1 * k / 4
        out.append(f'<text x="{left - 6}" y="{py(v) + 4:.1f}" text-anchor="end">{v:,.0f}</text>')
        out.append(f'<line x1="{left}" y1="{py(v):.1f}" x2="{width - right}" y2="{py(v):.1f}" '
                   'stroke="#ddd"/>')
    for v in sorted(set(xs)):
        out.append(f'<text x="{px(v):.1f}" y="{height - bottom + 16}" text-anchor="middle">'
                   f"{v:,.0f}</text>")
    out.append(f'<text x="{(left + width - right) / 2}" y="{height - 10}" '
               f'text-anchor="middle">{escape(x_label)}</text>')
    out.append(f'<text x="14" y="{(top + height - bottom) / 2}" text-anchor="middle" '
               f'transform="rotate(-90 14 {(top + height - bottom) / 2})">{escape(y_label)}'
               "</text>")
    for n, (name, pts) in enumerate(series.items()):
        colour, mark = COLOURS[n % len(COLOURS)], MARKS[n % len(MARKS)]
        pts = sorted(pts)
        if len(pts) > 1:
            path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in pts)
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                       'stroke-width="2"/>')
        for x, y in pts:
            out.append(_mark(mark, px(x), py(y), colour))
        ly = top + 8 + n * 20
        out.append(_mark(mark, width - right + 14, ly, colour))
        out.append(f'<text x="{width - right + 24}" y="{ly + 4}">{escape(name)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _mark(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}"/>'
    if shape == "diamond":
        return (f'<polygon points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} '
                f'{x - 5:.1f},{y:.1f}" fill="{colour}"/>')
    if shape == "triangle":
        return (f'<polygon points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y + 4:.1f} '
                f'{x - 5:.1f},{y + 4:.1f}" fill="{colour}"/>')
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>'


def plots(result: Result, folder: Path) -> list[Path]:
    """Throughput against clients (at the first size) and against persons (16 clients, or
    the most measured)."""
    first = min((f.persons or 0 for f in result.service), default=0)
    by_clients: dict[str, list[tuple[float, float]]] = {}
    for layer, rows in (("yardstick", result.yardsticks), ("service", result.service),
                        ("http", result.http)):
        for f in rows:
            if layer == "service" and f.persons != first:
                continue
            name = f"{f.name if layer != 'yardstick' else 'yardstick'} ({layer[:4]}, {f.database})"
            by_clients.setdefault(name, []).append((f.clients, f.per_second))
    most = max((f.clients for f in result.service), default=1)
    by_size: dict[str, list[tuple[float, float]]] = {}
    for f in result.service:
        if f.clients == most and f.persons:
            by_size.setdefault(f"{f.name} ({f.database})", []).append((f.persons, f.per_second))
    written = []
    for name, series, x_label, log_x in (
            ("bench-clients.svg", by_clients, "concurrent clients", False),
            ("bench-size.svg", by_size, "persons in the database", True)):
        path = folder / name
        path.write_text(line_plot(series, title=f"operations per second by {x_label}",
                                  x_label=x_label, y_label="per second", log_x=log_x))
        written.append(path)
    return written


def markdown(data: dict[str, Any]) -> str:
    """The result (as saved in JSON) as the Markdown tables of docs/PERFORMANCE.md."""
    def yard(db: str, clients: int) -> float | None:
        return next((y["per_second"] for y in data["yardsticks"]
                     if y["database"] == db and y["clients"] == clients), None)

    out = ["| layer | operation | database | clients | persons | per second | p50 ms | "
           "p95 ms | p99 ms | yardstick /s | ratio |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for layer, key in (("yardstick", "yardsticks"), ("bare driver", "replays"),
                       ("service", "service"),
                       ("service, group commit", "service_group_commit"), ("http", "http")):
        for f in data.get(key, []):
            y = None if layer in ("yardstick", "bare driver") else \
                yard(f["database"], f["clients"])
            ratio = f.get("ratio_to_yardstick")
            persons = f"{f['persons']:,}" if f.get("persons") else ""
            out.append(f"| {layer} | {f['name']} | {f['database']} | {f['clients']} | "
                       f"{persons} | **{f['per_second']:,.1f}** | {f['p50_ms']:.1f} | "
                       f"{f['p95_ms']:.1f} | {f['p99_ms']:.1f} | {f'{y:,.1f}' if y else ''} | "
                       f"{f'{ratio:.3f}x' if ratio is not None else ''} |")
    if data.get("like_for_like"):
        out += ["", "| " + " | ".join(LIKE_COLUMNS) + " |",
                "|" + "---|" * len(LIKE_COLUMNS)]
        out += ["| " + " | ".join(_like_cells(r)) + " |" for r in data["like_for_like"]]
    if data.get("mixed"):
        out += ["", "| " + " | ".join(MIXED_COLUMNS) + " |", "|" + "---|" * len(MIXED_COLUMNS)]
        out += ["| " + " | ".join(row) + " |" for m in data["mixed"] for row in _mixed_rows(m)]
    out.append("")
    out.append("| check | figure |")
    out.append("|---|---|")
    e = data["engine"]
    out.append(f"| engine, one core | {e['fee_lines_per_second']:,} fee lines/s "
               f"({e['settlements']:,} settlements in {e['seconds']} s) |")
    for v in data["verify"]:
        out.append(f"| `gongji verify`, {v['database']} | {v['postings']:,} postings in "
                   f"{v['seconds']} s ({'ok' if v['ok'] else 'VIOLATIONS'}) |")
    for m in data["memory"]:
        out.append(f"| server peak memory, {m['database']} | {m['peak_rss_mb_per_worker']} MiB "
                   f"per worker ({m['workers']} workers) |")
    for p in data.get("profiles", []):
        out.append(f"| profile of one settlement, {p['database']} | {_layers(p)} |")
    for r in data.get("http_to_service", []):
        out.append(f"| http / service, {r['operation']}, {r['database']}, {r['clients']} "
                   f"clients | {r['http_per_second']:,.1f} / {r['service_per_second']:,.1f} "
                   f"= {r['ratio']:.2f}x |")
    for m in data.get("mixed", []):
        out.append(f"| mixed load, {m['database']}, {m['clients']} clients | "
                   f"{_mixed_memory(m)} |")
    return "\n".join(out) + "\n"
