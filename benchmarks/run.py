"""Load test of the real server: seed a corpus through the API, run the k6 scenarios, report.

    make bench                                   # quick: 1k chunks, 1-minute stages (< 10 min)
    .venv/bin/python -m benchmarks.run --full    # the seed's 6-minute stages on 10k chunks

Phases, each with its own ``ragmono serve`` on a free 127.0.0.1 port and a temp data dir:

1. cache off (``cache.ttl_s = 0``): the bare-endpoint baseline (``GET /health``, closed loop),
   seeding (ingest throughput), then k6 ``mixed.js`` (dense, keyword and hybrid search and
   /query) on the staged profile;
2. cache on, same data: one client asks every query of the set once (cold: computed and
   cached) and again (warm: from the cache), then ``mixed.js`` again, then a closed-loop
   cached-search run for throughput against the baseline;
3. Ollama (the real-HTTP double from tests/support) as embedder and generator, killed halfway
   through k6 ``outage.js``: expect no 5xx and degraded 200s.

Writes ``benchmarks/results/<date>-<machine>[-full].json`` and a markdown table beside it.
Everything binds to loopback; every phase has a deadline. The numbers are only comparable to
the baseline of the same run (the machine may be shared).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks import report as rpt
from benchmarks.corpus import (
    Document,
    documents_for_chunks,
    generate_corpus,
    generate_queries,
    write,
)
from benchmarks.harness import AppServer, tree_rss_bytes
from benchmarks.k6run import K6Run, k6_version, run_k6
from benchmarks.seeding import ApiMissing, query_pass, seed
from tests.support.ollama_server import CHAT_MODEL, EMBED_MODEL, OllamaDouble

RESULTS = Path(__file__).resolve().parent / "results"
COLLECTION = "bench"
MIB = 1024 * 1024


@dataclass(frozen=True)
class Profile:
    """How big and how long."""

    name: str
    chunks: int
    queries_per_kind: int
    k6_profile: str  # quick | full (stages in benchmarks/k6/lib.js)
    staged_s: int  # length of those stages
    flat_s: int  # closed-loop runs (baseline, saturation)
    flat_vus: int
    outage_docs: int
    seed_budget_s: int  # seeding stops starting batches after this long


QUICK = Profile("quick", 1000, 60, "quick", 60, 10, 10, 100, 150)
FULL = Profile("full", 10_000, 300, "full", 360, 30, 10, 300, 3600)


class Bench:
    """One benchmark run: holds the report as it fills in."""

    def __init__(self, profile: Profile, work: Path, budget_s: float) -> None:
        self.profile = profile
        self.work = work
        self.deadline = time.monotonic() + budget_s
        self.report: dict[str, Any] = {
            "benchmark": "load",
            "profile": profile.name,
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": rpt.machine(),
            "k6": k6_version(),
            "note": "provisional: 2-core machine shared with other work; k6 runs on it too",
            "scenarios": [],
            "passes": {},
            "notes": [],
        }
        self.docs = generate_corpus(documents_for_chunks(profile.chunks))
        self.queries_file = work / "corpus" / "queries.json"
        self.use_docs(self.docs)
        self.has_search = self.has_query = False

    def use_docs(self, docs: list[Document]) -> None:
        """Ask queries about ``docs`` only (all of them, or those seeding got through)."""
        self.queries = generate_queries(docs, self.profile.queries_per_kind, seed=11)
        write(self.work / "corpus", docs, self.queries)

    def left_s(self) -> float:
        """Seconds of budget left."""
        return self.deadline - time.monotonic()

    def note(self, text: str) -> None:
        """Something the reader of the results should know (a skipped scenario, a missing API)."""
        print(f"  note: {text}", flush=True)
        self.report["notes"].append(text)

    @contextlib.contextmanager
    def server(self, label: str, data: str, settings: dict[str, str]) -> Iterator[AppServer]:
        """A started server; its idle RSS is recorded."""
        app = AppServer(self.work / data, settings, self.work / f"server-{label}.log")
        app.start(timeout_s=min(120.0, max(10.0, self.left_s())))
        self.report.setdefault("rss_idle_mib", {})[label] = round(tree_rss_bytes(app.pid) / MIB, 1)
        try:
            yield app
        finally:
            app.stop()

    def k6(self, app: AppServer, script: str, name: str, env: dict[str, str], **kw: Any) -> K6Run:
        """Run a k6 scenario against ``app`` and add its row to the report."""
        print(f"- k6 {name} ({script})", flush=True)
        full_env = {
            "BASE_URL": app.url,
            "COLLECTION": COLLECTION,
            "QUERIES": str(self.queries_file),
        }
        full_env.update(env)
        with app.rss() as rss:
            run = run_k6(script, name, full_env, self.work, timeout_s=self.left_s(), **kw)
        self.report["scenarios"].append(rpt.scenario_row(run, rss.peak / MIB, full_env))
        return run

    def one_client_pass(self, client: httpx.Client, label: str) -> None:
        """The query set once, one request at a time."""
        print(f"- one-client pass ({label})", flush=True)
        result = query_pass(client, COLLECTION, self.queries, answers=self.has_query)
        self.report["passes"][label] = {"errors": result.errors, "routes": result.summary()}

    def probe_routes(self, client: httpx.Client) -> None:
        """Which read routes this build has (search and query may land after this file)."""
        body = {"query": "probe", "collection": COLLECTION}
        self.has_search = client.post("/api/v1/search", json=body).status_code not in (404, 405)
        self.has_query = client.post("/api/v1/query", json=body).status_code not in (404, 405)
        if not self.has_search:
            self.note("POST /api/v1/search is not in this build: search scenarios skipped")
        if not self.has_query:
            self.note("POST /api/v1/query is not in this build: /query left out of the mix")

    def mix(self) -> str:
        """k6 MIX for this build."""
        return "dense:30,keyword:25,hybrid:30" + (",query:15" if self.has_query else "")

    def staged(self) -> dict[str, str]:
        """k6 env of the staged (seed-shaped) profile."""
        return {"PROFILE": self.profile.k6_profile, "MIX": self.mix()}

    def flat(self, **extra: str) -> dict[str, str]:
        """k6 env of a closed-loop run."""
        p = self.profile
        return {"PROFILE": "flat", "VUS": str(p.flat_vus), "DURATION": f"{p.flat_s}s", **extra}

    # -- phases ------------------------------------------------------------------------------

    def phase_uncached(self) -> bool:
        """Baseline, seeding and mixed load with the cache off."""
        print("phase 1: cache off", flush=True)
        with self.server("uncached", "data", {"RAGMONO_CACHE__TTL_S": "0"}) as app:
            self.k6(app, "health.js", "baseline_health", self.flat())
            with httpx.Client(base_url=app.url, timeout=60.0) as client:
                print(f"- seeding {len(self.docs)} documents", flush=True)
                try:
                    seeded = seed(
                        client,
                        COLLECTION,
                        self.docs,
                        budget_s=self.profile.seed_budget_s,
                        timeout_s=self.left_s(),
                    )
                except ApiMissing as exc:
                    self.note(f"ingest route missing ({exc}): nothing to search, phases skipped")
                    return False
                if seeded.documents < len(self.docs):
                    self.note(
                        f"seeding stopped at its {self.profile.seed_budget_s} s budget after "
                        f"{seeded.documents} of {len(self.docs)} documents; queries ask about those"
                    )
                    self.use_docs(self.docs[: seeded.documents])
                self.report["seed"] = {**asdict(seeded), "chunks_per_s": seeded.chunks_per_s}
                self.report["rss_after_seed_mib"] = round(tree_rss_bytes(app.pid) / MIB, 1)
                self.probe_routes(client)
                if not self.has_search:
                    return False
            self.k6(app, "mixed.js", "mixed_uncached", self.staged())
        return True

    def phase_cached(self) -> None:
        """The same data with the cache on."""
        print("phase 2: cache on", flush=True)
        with self.server("cached", "data", {}) as app:
            with httpx.Client(base_url=app.url, timeout=60.0) as client:
                self.one_client_pass(client, "cold")  # every answer computed, then cached
                self.one_client_pass(client, "warm")  # every answer from the cache
            self.k6(app, "mixed.js", "mixed_cached", self.staged())
            self.k6(app, "mixed.js", "saturate_cached_hybrid", self.flat(MIX="hybrid:100"))

    def phase_outage(self) -> None:
        """Ollama killed halfway through query traffic."""
        print("phase 3: Ollama killed midway", flush=True)
        double = OllamaDouble()
        double.start()
        settings = {
            "RAGMONO_EMBEDDER__PROVIDER": "ollama",
            "RAGMONO_EMBEDDER__MODEL": EMBED_MODEL,
            "RAGMONO_GENERATOR__PROVIDER": "ollama",
            "RAGMONO_GENERATOR__MODEL": CHAT_MODEL,
            "RAGMONO_OLLAMA__URL": double.url,
            "RAGMONO_OLLAMA__TIMEOUT_S": "2",
            "RAGMONO_CACHE__TTL_S": "0",
        }
        kill_at = self.profile.staged_s / 2

        def kill() -> str:
            double.stop()
            return "ollama stopped"

        try:
            with self.server("ollama", "data-ollama", settings) as app:
                with httpx.Client(base_url=app.url, timeout=60.0) as client:
                    outage_docs = self.docs[: self.profile.outage_docs]
                    seeded = seed(client, COLLECTION, outage_docs, budget_s=120, timeout_s=300)
                    self.report["outage_seed"] = asdict(seeded)
                env = {"PROFILE": self.profile.k6_profile, "KILL_AT_S": str(kill_at)}
                run = self.k6(app, "outage.js", "ollama_killed", env, at={kill_at: kill})
                self.report["scenarios"][-1]["events"] = run.events
                self.report["scenarios"][-1]["ollama_calls"] = dict(double.calls)
                breakers = httpx.get(f"{app.url}/api/v1/admin/breakers", timeout=5).json()
                self.report["breakers_after_outage"] = breakers
        finally:
            double.close()

    def run(self) -> None:
        """Every phase that fits in the budget."""
        # What each later phase needs at least: its k6 runs plus start-up, passes and seeding.
        staged = self.profile.staged_s
        phases: list[tuple[str, float, Callable[[], Any]]] = [
            ("cache on", staged + self.profile.flat_s + 60, self.phase_cached),
            ("Ollama outage", staged + 45, self.phase_outage),
        ]
        if not self.phase_uncached():
            return
        for label, needs_s, phase in phases:
            if self.left_s() < needs_s:
                self.note(f"time budget spent: {label} phase skipped")
                continue
            phase()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--full", action="store_true", help="the seed's 6-minute stages, 10k chunks"
    )
    parser.add_argument("--chunks", type=int, help="corpus size in chunks (default 1k, full 10k)")
    parser.add_argument("--budget-s", type=float, help="stop starting phases after this long")
    parser.add_argument("--machine", help="name in the results file (default host-arch-Ncpu)")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (logs, data)")
    args = parser.parse_args()
    profile = FULL if args.full else QUICK
    if args.chunks:
        profile = Profile(**{**asdict(profile), "chunks": args.chunks})
    budget = args.budget_s or (3600.0 if args.full else 560.0)
    work = Path(tempfile.mkdtemp(prefix="ragmono-bench-"))
    started = time.monotonic()
    bench = Bench(profile, work, budget)
    try:
        bench.run()
    finally:
        bench.report["wall_s"] = round(time.monotonic() - started, 1)
        bench.report["machine"]["loadavg_end"] = rpt.loadavg()
        stem = rpt.stem(bench.report, args.machine)
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"{stem}.json").write_text(json.dumps(bench.report, indent=1) + "\n")
        table = rpt.markdown(bench.report)
        (RESULTS / f"{stem}.md").write_text(table)
        print(table)
        print(f"results: {RESULTS / stem}.json (.md); work dir: {work}")
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
