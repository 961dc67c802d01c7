"""The load test's report: the machine, one row per k6 scenario, and the markdown table."""

from __future__ import annotations

import os
import platform
import re
import socket
import subprocess
from pathlib import Path
from typing import Any

from benchmarks.k6run import K6Run

REPO = Path(__file__).resolve().parents[1]
KINDS = {
    "dense": "search_dense_ms",
    "keyword": "search_keyword_ms",
    "hybrid": "search_hybrid_ms",
    "query": "query_ms",
    "search, cache hit": "search_cached_ms",
    "search, cache miss": "search_uncached_ms",
}


def loadavg() -> list[float]:
    """1, 5 and 15-minute load averages."""
    return [round(x, 2) for x in os.getloadavg()]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_gib() -> float:
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        return round(kib / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        return 0.0


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=REPO, capture_output=True, text=True
        )
        return out.stdout.strip()
    except OSError:
        return "unknown"


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    return {
        "host": socket.gethostname(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _mem_gib(),
        "arch": platform.machine(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "commit": _commit(),
        "loadavg_start": loadavg(),
    }


def stem(report: dict[str, Any], name: str | None) -> str:
    """``<date>-<machine>`` (``-full`` for the full profile)."""
    m = report["machine"]
    label = name or f"{m['host']}-{m['arch']}-{m['cores']}cpu"
    label = re.sub(r"[^A-Za-z0-9_.-]+", "-", label)
    suffix = "" if report["profile"] == "quick" else f"-{report['profile']}"
    return f"{report['when'][:10]}-{label}{suffix}"


_STAT = re.compile(r"^(p\(\d+\)|med|avg|min|max|count|rate|value)")


def _threshold_value(run: K6Run, metric: str, expr: str) -> float | None:
    found = _STAT.match(expr)
    m = run.metrics.get(metric, {})
    if not found:
        return None
    stat = {"rate": "value"}.get(found.group(1), found.group(1))
    if "med" in m and not m.get("count"):
        return None  # a trend nobody fed: its threshold says nothing
    value = m.get(stat)
    return None if value is None else round(float(value), 4)


def scenario_row(run: K6Run, rss_peak_mib: float, env: dict[str, str]) -> dict[str, Any]:
    """What the report keeps of one k6 run."""
    http = run.metrics.get("http_reqs", {})
    failed = run.metrics.get("http_req_failed", {})
    thresholds = []
    for name, m in run.metrics.items():
        for expr, crossed in m.get("thresholds", {}).items():
            thresholds.append(
                {
                    "metric": name,
                    "expr": expr,
                    "ok": not crossed,
                    "value": _threshold_value(run, name, expr),
                }
            )
    return {
        "name": run.name,
        "load": _load(env),
        "closed_loop": env.get("PROFILE") == "flat",
        "wall_s": run.wall_s,
        "requests": int(http.get("count", 0)),
        "rps": round(float(http.get("rate", 0.0)), 1),
        "latency": run.trend("http_req_duration"),
        "by_kind": {k: t for k, metric in KINDS.items() if (t := run.trend(metric))},
        "failed_requests": int(failed.get("passes", 0)),
        "errors": run.count("errors") if "errors" in run.metrics else int(failed.get("passes", 0)),
        "status_5xx": run.count("status_5xx"),
        "degraded": {
            k.removeprefix("degraded"): v
            for k in run.metrics
            if k.startswith("degraded") and (v := run.rate(k)) is not None
        },
        "checks": run.checks(),
        "thresholds": thresholds,
        "thresholds_ok": run.exit_code == 0,
        "rss_peak_mib": round(rss_peak_mib, 1),
    }


def _load(env: dict[str, str]) -> str:
    if env.get("PROFILE") == "flat":
        return f"{env['VUS']} VUs, no think time, {env['DURATION']}"
    shape = (
        "1m->10, 2m->50, 2m hold, 1m down"
        if env.get("PROFILE") == "full"
        else ("10s->10, 20s->50, 20s hold, 10s down")
    )
    return f"{shape} VUs, ~1 s think time" + (f"; {env['MIX']}" if "MIX" in env else "")


def _ms(t: dict[str, float] | None, key: str) -> str:
    return "-" if not t else f"{t[key]:.1f}"


def markdown(report: dict[str, Any]) -> str:
    """The results as markdown tables."""
    m = report["machine"]
    rows = report["scenarios"]
    base = next((r for r in rows if r["name"] == "baseline_health"), None)
    lines = [
        f"## Load test ({report['profile']}), {report['when']}",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['os']}, "
        f"Python {m['python']}, {report['k6']}, commit {m['commit']}; load average "
        f"{m['loadavg_start']} at start, {m.get('loadavg_end')} at end; the whole run took "
        f"{report.get('wall_s', '?')} s. {report['note']}.",
        "",
    ]
    if seed := report.get("seed"):
        lines += [
            f"Corpus: {seed['documents']} documents, {seed['chunks']} chunks, ingested through "
            f"the API in {seed['seconds']} s ({seed['chunks_per_s']} chunks/s). Server RSS "
            f"{report.get('rss_after_seed_mib')} MiB after seeding.",
            "",
        ]
    lines += [
        "| scenario | load | requests | req/s | p50 ms | p95 ms | p99 ms | errors | 5xx "
        "| RSS peak MiB | req/s vs /health |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        t = r["latency"]
        # Only closed-loop runs go as fast as they can; staged ones are paced by think time.
        ratio = "-"
        if r["closed_loop"] and base is not None and base["rps"]:
            ratio = f"{r['rps'] / base['rps']:.2f}x"
        lines.append(
            f"| {r['name']} | {r['load']} | {r['requests']} | {r['rps']} | {_ms(t, 'p50_ms')} "
            f"| {_ms(t, 'p95_ms')} | {_ms(t, 'p99_ms')} | {r['errors']} | {r['status_5xx']} "
            f"| {r['rss_peak_mib']} | {ratio} |"
        )
        for kind, kt in r["by_kind"].items():
            lines.append(
                f"| &nbsp;&nbsp;{kind} | | {kt['count']} | | {_ms(kt, 'p50_ms')} "
                f"| {_ms(kt, 'p95_ms')} | {_ms(kt, 'p99_ms')} | | | | |"
            )
    lines += _checks(rows) + _passes(report) + _targets(rows)
    if report["notes"]:
        lines += ["", "Notes:", *[f"- {n}" for n in report["notes"]]]
    return "\n".join(lines) + "\n"


def _checks(rows: list[dict[str, Any]]) -> list[str]:
    out = []
    for r in rows:
        if r["checks"]:
            parts = ", ".join(f"{name} {rate:.0%}" for name, rate in r["checks"].items())
            out.append(f"- {r['name']}: {parts}")
        if r["degraded"]:
            parts = ", ".join(f"{k or 'all'} {v:.0%}" for k, v in r["degraded"].items())
            out.append(f"- {r['name']}: degraded answers {parts}")
    return ["", "Checks under load (share of responses):", "", *out] if out else []


def _passes(report: dict[str, Any]) -> list[str]:
    if not report["passes"]:
        return []
    out = [
        "",
        "One client, one request at a time, every query of the set:",
        "",
        "| pass | route | requests | p50 ms | p95 ms | p99 ms | right doc in top 10 | cached |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, p in report["passes"].items():
        for route, s in p["routes"].items():
            out.append(
                f"| {label} | {route} | {s['count']} | {s['p50_ms']} | {s['p95_ms']} "
                f"| {s['p99_ms']} | {s['hit_rate']:.0%} | {s['cached_share']:.0%} |"
            )
    return out


def _targets(rows: list[dict[str, Any]]) -> list[str]:
    out = [
        "",
        "Thresholds (k6):",
        "",
        "| scenario | threshold | measured | |",
        "| --- | --- | ---: | --- |",
    ]
    for r in rows:
        for t in r["thresholds"]:
            value = "no samples" if t["value"] is None else t["value"]
            verdict = "n/a" if t["value"] is None else ("pass" if t["ok"] else "**FAIL**")
            out.append(f"| {r['name']} | `{t['metric']}: {t['expr']}` | {value} | {verdict} |")
    return out
