"""`gongji bench`, shrunk to seconds: every layer runs, and the JSON puts each figure beside
its yardstick; the mixed load beside its targets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_a_tiny_bench_run_writes_every_figure_and_its_ratio(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    run = subprocess.run([sys.executable, "-m", "gongji", "bench", "--quick", "--db", "sqlite",
                          "--clients", "1,2", "--seconds", "1", "--sizes", "1000",
                          "--postings", "2000", "--workers", "2", "--mixed-clients", "4",
                          "--out", str(out)],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads(out.read_text())
    assert [y["clients"] for y in result["yardsticks"]] == [1, 2]
    assert all(y["per_second"] > 0 for y in result["yardsticks"])
    for layer in ("service", "service_group_commit", "http"):
        names = {(f["name"], f["clients"]) for f in result[layer]}
        floor = {("healthz (floor)", c) for c in (1, 2)} if layer == "http" else set()
        assert names == {(n, c) for n in ("transfer", "settlement") for c in (1, 2)} | floor, \
            layer
        for f in result[layer]:
            assert f["operations"] > 0 and f["errors"] == 0, f
            y = next(y for y in result["yardsticks"] if y["clients"] == f["clients"])
            assert f["ratio_to_yardstick"] == round(f["per_second"] / y["per_second"], 3)
    # the like-for-like yardsticks: each operation's replay and minimal write set, per count
    replays = {(r["name"], r["clients"]) for r in result["replays"]}
    assert replays == {(f"{n} {k}", c) for n in ("transfer", "settlement")
                       for k in ("replay", "minimal write set") for c in (1, 2)}
    assert all(r["operations"] > 0 and r["errors"] == 0 for r in result["replays"])
    like = {(r["operation"], r["clients"]): r for r in result["like_for_like"]}
    assert set(like) == {(n, c) for n in ("transfer", "settlement") for c in (1, 2)}
    for r in like.values():
        assert r["ratio_to_replay"] == round(r["service_per_second"] / r["replay_per_second"],
                                             3)
        assert r["ratio_to_minimal"] == round(
            r["service_per_second"] / r["minimal_per_second"], 3)
    assert "like for like" in run.stdout
    # where one settlement's time goes, by layer: every layer's share, summing to the whole
    [prof] = result["profiles"]
    assert prof["database"] == "sqlite" and prof["ms_per_operation"] > 0
    layers = {x["layer"].split(" (")[0]: x for x in prof["layers"]}
    assert {"database driver", "gongji services", "gongji domain rules"} <= set(layers)
    assert abs(sum(x["share"] for x in prof["layers"]) - 1) < 0.01
    assert "profile of one settlement" in run.stdout
    # HTTP beside the service level, per operation and count (the floor has no service twin)
    to_service = {(r["operation"], r["clients"]): r for r in result["http_to_service"]}
    assert set(to_service) == {(n, c) for n in ("transfer", "settlement") for c in (1, 2)}
    for r in to_service.values():
        assert r["ratio"] == round(r["http_per_second"] / r["service_per_second"], 3)
    assert result["verify"][0]["ok"] and result["verify"][0]["postings"] >= 2000
    assert result["engine"]["fee_lines_per_second"] > 0
    assert result["memory"][0]["peak_rss_mb_per_worker"] > 0
    # the mixed load: every kind ran, by its share, with no refusal, beside its targets
    [mixed] = result["mixed"]
    assert (mixed["database"], mixed["clients"], mixed["workers"]) == ("sqlite", 4, 2)
    assert mixed["persons"] > 1000 and mixed["peak_rss_mb_per_worker"] > 0
    kinds = {k["name"]: k for k in mixed["kinds"]}
    assert {n: k["share"] for n, k in kinds.items()} == {
        "wallet read": 50, "hospital visit": 30, "transfer": 20}
    for k in kinds.values():
        assert set(k) == {"name", "share", "operations", "per_second", "p50_ms", "p95_ms",
                          "p99_ms", "errors", "error_codes"}
        assert k["operations"] > 0 and k["per_second"] > 0, k
        assert k["errors"] == 0 and k["error_codes"] == [], k
        assert 0 < k["p50_ms"] <= k["p95_ms"] <= k["p99_ms"]
    assert mixed["operations"] == sum(k["operations"] for k in kinds.values())
    assert mixed["per_second"] > 0 and mixed["errors"] == 0
    # what bounds it: the CPU each operation took, server and client, and the cores' load
    assert mixed["server_cpu_ms_per_op"] > 0 and mixed["client_cpu_ms_per_op"] > 0
    assert 0 < mixed["machine_busy"] <= 1
    targets = {(t["metric"], t["operation"]): t for t in mixed["targets"]}
    assert set(targets) == {(m, n) for m in ("p99_ms", "errors") for n in kinds} | {
        ("peak_rss_mb_per_worker", None)}
    assert all(t["pass"] for (m, _), t in targets.items() if m == "errors")
    assert "mixed load" in run.stdout and ("PASS" in run.stdout or "FAIL" in run.stdout)
    assert (tmp_path / "bench-clients.svg").read_text().startswith("<svg")
    tables = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert tables.startswith("| layer |") and "| sqlite | 4 | hospital visit | 30 % |" in tables
    assert "ratio" in run.stdout and "yardstick" in run.stdout
