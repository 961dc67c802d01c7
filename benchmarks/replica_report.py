"""The markdown of the replica throughput benchmark (``replica_throughput.py``): the setup, one
row per replica count and search mode, the CPU seconds of every process in each window, and
"what it shows" computed from those figures (so a re-run on another machine reads its own)."""

from __future__ import annotations

from typing import Any


def _ms_per_search(row: dict[str, Any], *names: str) -> float:
    cpu = row["cpu_s"]
    return round(sum(cpu[n] for n in names) / max(1, row["searches"]) * 1000, 1)


def _replicas(row: dict[str, Any]) -> list[str]:
    return [k for k in row["cpu_s"] if k.startswith("replica_")]


def _base(rows: list[dict[str, Any]], row: dict[str, Any]) -> float:
    """Requests/s of the smallest replica count measured in ``row``'s mode."""
    same = [r for r in rows if r["mode"] == row["mode"]]
    return float(min(same, key=lambda r: r["replicas"])["per_s"]) or 1.0


def _row_reading(row: dict[str, Any], cores: int) -> str:
    cpu, wall = row["cpu_s"], row["cpu_s"]["wall"]
    names = _replicas(row)
    ours = _ms_per_search(row, *names, "twin", "redis", "client", "interrupts")
    twin = _ms_per_search(row, "twin")
    busiest = max(cpu[n] for n in names)
    return (
        f"- N={row['replicas']}, {row['mode']}: the machine was busy "
        f"{cpu['machine'] / wall:.2f} of {cores} cores ({cpu['other'] / wall:.2f} of them other "
        f"processes); a search cost {_ms_per_search(row, *names)} CPU ms in the replicas, "
        f"{twin} in the Qdrant twin, {_ms_per_search(row, 'client')} in this client, "
        f"{_ms_per_search(row, 'interrupts')} in kernel interrupts ({ours} in all: "
        f"{cores * 1000 / ours:.0f} searches/s if nothing else ran on these cores); the busiest "
        f"replica used {busiest / wall:.2f} of a core, the twin {cpu['twin'] / wall:.2f} (one "
        f"full core would let it serve {1000 / twin:.0f} searches/s)."
    )


def _verdicts(rows: list[dict[str, Any]], cores: int) -> list[str]:
    """One line per finding, naming the rows it holds for (thresholds on the figures)."""

    def share(row: dict[str, Any], name: str) -> float:
        return float(row["cpu_s"][name]) / row["cpu_s"]["wall"]

    findings = {
        "The one replica ran near a full core (>= 0.8), bound by its own process (one granian "
        "worker: one Python event loop, plus the query lane's ONNX thread)": [
            r for r in rows if r["replicas"] == 1 and share(r, "replica_1") >= 0.8
        ],
        "Searches queued at the Qdrant twin (one Python process: its threads share one GIL "
        "and one lock): it ran at >= 0.7 of a core and the replicas' engine time per search "
        "was more than twice the twin's CPU per search, so the twin capped throughput whatever "
        "N": [
            r
            for r in rows
            if share(r, "twin") >= 0.7
            and (r["search_mean_ms"] or 0) > 2 * _ms_per_search(r, "twin")
        ],
        "The twin took more CPU per search than the replicas": [
            r for r in rows if _ms_per_search(r, "twin") > _ms_per_search(r, *_replicas(r))
        ],
        f"The {cores} cores were busy (>= 90 %): another replica can only take a share of them "
        "(from the other replicas, the twin or other processes), not add capacity": [
            r for r in rows if share(r, "machine") >= 0.9 * cores
        ],
        "Other processes took a quarter of a core or more (figures lower than on a quiet "
        "machine)": [r for r in rows if share(r, "other") >= 0.25],
    }
    out = [
        f"- {text}: " + ", ".join(f"N={r['replicas']} {r['mode']}" for r in hits) + "."
        for text, hits in findings.items()
        if hits
    ]
    out.append(
        "- The twin's CPU is the test double's, not Qdrant's (its keyword half scans every "
        "sparse vector in Python): a real Qdrant node, on its own machine in a deployment, "
        "takes that share off these cores."
    )
    return out


def reading(report: dict[str, Any]) -> list[str]:
    """Sentences computed from the figures: the gain per replica count, how busy the cores
    were, what each search cost in CPU where, and which process ran near a full core."""
    rows, cores = report["rows"], report["machine"]["affinity"]
    out = []
    for mode in dict.fromkeys(r["mode"] for r in rows):
        gains = ", ".join(
            f"N={r['replicas']} {r['per_s']} req/s ({r['per_s'] / _base(rows, r):.2f}x)"
            for r in rows
            if r["mode"] == mode
        )
        out.append(f"- Throughput, {mode}: {gains}, on {cores} usable cores.")
    out += [_row_reading(r, cores) for r in rows]
    return out + _verdicts(rows, cores)


def markdown(report: dict[str, Any]) -> str:
    """The report as markdown: setup, one row per replica count and mode, CPU per process,
    and what it shows."""
    m, s, c, rows = report["machine"], report["setup"], report.get("corpus", {}), report["rows"]
    counts = ", ".join(str(n) for n in dict.fromkeys(r["replicas"] for r in rows))
    lines = [
        f"## Search throughput with {counts} replicas, {report['when']}",
        "",
        f"Machine: {m['cpu']}, os.cpu_count() = {m['cpu_count']}, sched_getaffinity = "
        f"{m['affinity']} cores, Python {m['python']}; load average {report['loadavg_start']} at "
        f"start, {report['loadavg_end']} at end; the whole run took {report['wall_s']} s.",
        "",
        f"Setup: SciFact, {c.get('documents')} documents ({c.get('chunks')} chunks, ingested "
        f"once in {c.get('seconds')} s through replica 1) in one Qdrant (the HTTP twin, its own "
        f"process) and one redis-server; {s['queries']} SciFact test queries cycled, top_k 10, "
        f"modes {', '.join(s['modes'])}, result cache {s['cache']}, rate limits off; "
        f"{s['concurrency']} closed-loop clients round-robin over the first N replicas (all "
        f"{max(r['replicas'] for r in rows)} running), {s['warmup_s']} s warm-up then "
        f"{s['seconds']} s measured per pass, passes in the order N = "
        f"{', '.join(map(str, s['order']))} (each N's pooled into one row). Each replica: "
        "`ragmono serve`, one granian worker, the shipped local ONNX embedder (query lane on).",
        "",
        "| replicas | mode | searches | req/s | each pass | vs 1 | p50 ms | p95 ms | p99 ms "
        "| errors | embed / engine mean ms | Qdrant calls per search | load (1 min) per pass |",
        "| ---: | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        each = " / ".join(str(x) for x in r["per_s_each_pass"])
        loads = ", ".join(f"{a[0]}-{b[0]}" for a, b in zip(*[iter(r["loadavg"])] * 2, strict=True))
        lines.append(
            f"| {r['replicas']} | {r['mode']} | {r['searches']} | {r['per_s']} | {each} "
            f"| {r['per_s'] / _base(rows, r):.2f}x | {r.get('p50_ms')} | {r.get('p95_ms')} "
            f"| {r.get('p99_ms')} | {r['errors']} | {r['embed_mean_ms']} / {r['search_mean_ms']} "
            f"| {r['qdrant_calls_per_search']} | {loads} |"
        )
    lines += [
        "",
        "CPU seconds in the measured windows of each row (`/proc`; a core fully busy all along "
        "is the windows' length; idle replicas included):",
        "",
        "| replicas | mode | window s | each replica | Qdrant twin | redis | client | interrupts "
        "| other processes | machine busy | cores busy |",
        "| ---: | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        cpu = r["cpu_s"]
        each = " / ".join(str(cpu[k]) for k in _replicas(r))
        lines.append(
            f"| {r['replicas']} | {r['mode']} | {cpu['wall']} | {each} | {cpu['twin']} "
            f"| {cpu['redis']} | {cpu['client']} | {cpu['interrupts']} | {cpu['other']} "
            f"| {cpu['machine']} | {cpu['machine'] / cpu['wall']:.2f} |"
        )
    lines += ["", "### What it shows", "", *reading(report)]
    return "\n".join(lines) + "\n"
