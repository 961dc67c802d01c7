"""The markdown of the replica throughput benchmark (``replica_throughput.py``): the setup,
one row per replica count, the CPU seconds of every process in each window, and "what it shows"
computed from those figures (so a re-run on another machine reads its own numbers)."""

from __future__ import annotations

from typing import Any


def _cpu_ms_per_search(row: dict[str, Any], *names: str) -> float:
    cpu = row["cpu_s"]
    return round(sum(cpu[n] for n in names) / max(1, row["searches"]) * 1000, 1)


def reading(report: dict[str, Any]) -> list[str]:
    """Sentences computed from the figures: the gain per replica count, how busy the cores
    were, what each search cost in CPU where, and which process ran near a full core."""
    rows, cores = report["rows"], report["machine"]["affinity"]
    base = rows[0]["per_s"] or 1.0
    gains = ", ".join(
        f"N={r['replicas']} {r['per_s']} req/s ({r['per_s'] / base:.2f}x)" for r in rows
    )
    out = [f"- Throughput: {gains}, on {cores} usable cores."]
    for r in rows:
        cpu, wall = r["cpu_s"], r["cpu_s"]["wall"]
        names = [k for k in cpu if k.startswith("replica_")]
        ours = _cpu_ms_per_search(r, *names, "twin", "redis", "client", "interrupts")
        ceiling = cores * 1000 / ours if ours else 0.0
        busiest = max(names, key=lambda n: cpu[n])
        out.append(
            f"- N={r['replicas']}: the machine was busy {cpu['machine'] / wall:.2f} of {cores} "
            f"cores ({cpu['other'] / wall:.2f} of them other processes); each search cost "
            f"{_cpu_ms_per_search(r, *names)} CPU ms in the replicas, "
            f"{_cpu_ms_per_search(r, 'twin')} in the Qdrant twin, "
            f"{_cpu_ms_per_search(r, 'client')} in this client, "
            f"{_cpu_ms_per_search(r, 'interrupts')} in kernel interrupts ({ours} in all: at most "
            f"{ceiling:.0f} searches/s if these cores did nothing else); the busiest replica "
            f"used {cpu[busiest] / wall:.2f} of a core, the twin {cpu['twin'] / wall:.2f}."
        )
    return out + _verdicts(rows, cores)


def _verdicts(rows: list[dict[str, Any]], cores: int) -> list[str]:
    out = []
    one = rows[0]["cpu_s"]
    if rows[0]["replicas"] == 1 and one["replica_1"] / one["wall"] >= 0.85:
        out.append(
            "- One replica ran near a full core: it is bound by its own process (one granian "
            "worker: one Python event loop, plus the query lane's ONNX thread)."
        )
    saturated = [
        r["replicas"] for r in rows if r["cpu_s"]["machine"] / r["cpu_s"]["wall"] >= 0.9 * cores
    ]
    if saturated:
        out.append(
            f"- With N={saturated[0]} the {cores} cores were busy (>= 90 %): from there the "
            "replicas only share the same cores, so more of them cannot add throughput here."
        )
    if any(r["cpu_s"]["twin"] / r["cpu_s"]["wall"] >= 0.85 for r in rows):
        out.append(
            "- The Qdrant twin ran near a full core (one Python process behind one lock): it "
            "caps throughput on its own, whatever N."
        )
    out.append(
        "- The twin's CPU per search is the test double's, not Qdrant's: a real Qdrant node "
        "(Rust, on its own machine in a deployment) would take that share off these cores."
    )
    return out


def markdown(report: dict[str, Any]) -> str:
    """The report as markdown: setup, one row per replica count, CPU per process, reading."""
    m, s, c = report["machine"], report["setup"], report.get("corpus", {})
    lines = [
        f"## Search throughput with {', '.join(str(r['replicas']) for r in report['rows'])} "
        f"replicas, {report['when']}",
        "",
        f"Machine: {m['cpu']}, os.cpu_count() = {m['cpu_count']}, sched_getaffinity = "
        f"{m['affinity']} cores, Python {m['python']}; load average {report['loadavg_start']} at "
        f"start, {report['loadavg_end']} at end; the whole run took {report['wall_s']} s.",
        "",
        f"Setup: SciFact, {c.get('documents')} documents ({c.get('chunks')} chunks, ingested "
        f"once in {c.get('seconds')} s through replica 1) in one Qdrant (the HTTP twin, its own "
        f"process) and one redis-server; {s['queries']} SciFact test queries cycled, "
        f"{s['mode']} search, top_k 10, result cache {s['cache']}, rate limits off; "
        f"{s['concurrency']} closed-loop clients round-robin over the replicas, {s['warmup_s']} s "
        f"warm-up then {s['seconds']} s measured per row. Each replica: `ragmono serve`, one "
        "granian worker, the shipped local ONNX embedder (query lane on).",
        "",
        "| replicas | searches | req/s | vs 1 | p50 ms | p95 ms | p99 ms | errors "
        "| embed / engine mean ms | Qdrant calls per search | load (1 min) before, after |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    base = report["rows"][0]["per_s"] or 1.0
    for r in report["rows"]:
        lines.append(
            f"| {r['replicas']} | {r['searches']} | {r['per_s']} | {r['per_s'] / base:.2f}x "
            f"| {r.get('p50_ms')} | {r.get('p95_ms')} | {r.get('p99_ms')} | {r['errors']} "
            f"| {r['embed_mean_ms']} / {r['search_mean_ms']} | {r['qdrant_calls_per_search']} "
            f"| {r['loadavg_before'][0]}, {r['loadavg_after'][0]} |"
        )
    lines += [
        "",
        "CPU seconds in each measured window (`/proc`; a core fully busy for the window is "
        "the window's length):",
        "",
        "| replicas | window s | each replica | Qdrant twin | redis | client | interrupts "
        "| other processes | machine busy | cores busy |",
        "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in report["rows"]:
        cpu = r["cpu_s"]
        each = " / ".join(str(cpu[k]) for k in cpu if k.startswith("replica_"))
        lines.append(
            f"| {r['replicas']} | {cpu['wall']} | {each} | {cpu['twin']} | {cpu['redis']} "
            f"| {cpu['client']} | {cpu.get('interrupts')} | {cpu['other']} | {cpu['machine']} "
            f"| {cpu['machine'] / cpu['wall']:.2f} |"
        )
    lines += ["", "### What it shows", "", *reading(report)]
    return "\n".join(lines) + "\n"
