"""Answer quality through ragmono's HTTP API: SQuAD v1.1 dev (even articles) and real manuals.

SQuAD (``--set squad``): each article is ingested as one document (paragraphs joined by blank
lines), a fixed seeded sample of questions is asked at ``POST /api/v1/query`` with the shipped
defaults (hybrid, top_k 5, extractive answerer), and the run reports
- answer recall: the answer holds a gold answer after SQuAD's normalisation;
- passage recall@5: a returned passage holds one;
- mean answer length in words (citations ``[n]`` not counted);
- p50/p95 of the whole request and of the answerer alone (``timings.generate_ms``).

Real documents (``--set docs``): ``benchmarks/answer_set.json`` lists manuals that ship in
Debian and PyPI packages (read where the packages install them), each question with its
expected document and key phrases; an answer is right when it holds a key phrase, and its
first citation is right when the first passage it cites comes from the expected document.

``--before REF`` runs the same set on another git ref's ``src/`` (``git archive``) in a child
process first, so one table shows before and after from the same run; with ``--data-dir`` both
use one ingest (made by the first run; JSON documents chunk the same in both). Nothing here
is tuned: the sample seed and size are fixed, and the app runs with its defaults.

    .venv/bin/python -m benchmarks.answers --set squad --before main
    .venv/bin/python -m benchmarks.answers --set docs --before main
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import statistics
import string
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# shared/ sits beside the project's checkout (a worktree one level deeper finds it too).
SHARED = next((p / "shared" for p in REPO.parents if (p / "shared" / "eval").is_dir()), REPO)
SQUAD = SHARED / "eval" / "squad" / "dev-v1.1-even-articles.json"
DOC_SET = REPO / "benchmarks" / "answer_set.json"
SEED = 20261204
SAMPLE = 600
COLLECTION = "bench"
_CITE = re.compile(r"\[\d+\]")


@dataclass
class Question:
    """One question, what a right answer holds, and where it should come from."""

    text: str
    golds: list[str]
    source: str = ""


@dataclass
class QaSet:
    """Documents to ingest (JSON documents or files) and the questions to ask."""

    name: str
    exact: bool = False
    """Match phrases as written (case-insensitive), not after SQuAD's normalisation."""
    documents: list[dict[str, Any]] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)


def normalize(text: str) -> str:
    """SQuAD's answer normalisation: lower case, no punctuation or articles, single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def squad_set(path: Path, sample: int, seed: int) -> QaSet:
    """Every article as one document; ``sample`` questions drawn with ``seed``."""
    data = json.loads(path.read_text())["data"]
    qa = QaSet(name="squad")
    questions: list[Question] = []
    for index, article in enumerate(data):
        source = f"squad/{article['title']}"
        text = "\n\n".join(p["context"].strip() for p in article["paragraphs"])
        qa.documents.append({"id": f"a{index}", "text": text, "source": source})
        for paragraph in article["paragraphs"]:
            for q in paragraph["qas"]:
                golds = [a["text"] for a in q["answers"]]
                questions.append(Question(q["question"], golds, source))
    qa.questions = random.Random(seed).sample(questions, min(sample, len(questions)))
    return qa


def docs_set(path: Path) -> QaSet:
    """The real-document set: files where their packages install them."""
    spec = json.loads(path.read_text())
    qa = QaSet(name="docs", exact=True)
    for doc in spec["documents"]:
        qa.files.append(Path(doc["path"]))
    for q in spec["questions"]:
        qa.questions.append(Question(q["question"], q["phrases"], q["document"]))
    return qa


async def evaluate(qa: QaSet, data_dir: Path) -> dict[str, Any]:
    """Ingest ``qa`` into a fresh app on ``data_dir``, ask every question, score the answers."""
    from litestar.testing import AsyncTestClient

    from ragmono.app import create_app
    from ragmono.logging import configure_logging
    from ragmono.settings import load_settings

    settings = load_settings(
        None,
        {
            "RAGMONO_STORAGE__DATA_DIR": str(data_dir),
            "RAGMONO_INGEST__ASYNC_THRESHOLD_BYTES": str(1 << 30),
            "RAGMONO_RATE_LIMIT__ENABLED": "false",
            "RAGMONO_CACHE__TTL_S": "0",
            "RAGMONO_LOGGING__LEVEL": "warning",
        },
    )
    configure_logging(settings.logging)  # as the served app: warnings only
    async with AsyncTestClient(app=create_app(settings), timeout=900) as http:
        existing = await http.get(f"/api/v1/collections/{COLLECTION}")
        ingested = existing.status_code == 200
        if not ingested:
            created = await http.post("/api/v1/collections", json={"name": COLLECTION})
            created.raise_for_status()
        started = time.perf_counter()
        for start in range(0, 0 if ingested else len(qa.documents), 8):
            batch = qa.documents[start : start + 8]
            reply = await http.post(
                f"/api/v1/collections/{COLLECTION}/documents", json={"documents": batch}
            )
            reply.raise_for_status()
        unreadable: list[str] = []
        for path in [] if ingested else qa.files:
            upload = [("files", (_upload_name(path), _read(path)))]
            reply = await http.post(
                f"/api/v1/collections/{COLLECTION}/documents/upload", files=upload
            )
            if reply.status_code == 415:  # older code without this format: its questions fail
                unreadable.append(path.name)
                continue
            reply.raise_for_status()
            failed = [r for r in reply.json().get("results", []) if r.get("status") == "failed"]
            if failed:
                raise RuntimeError(f"{path}: {failed}")
        ingest_s = None if ingested else time.perf_counter() - started
        rows = []
        for question in qa.questions:
            t0 = time.perf_counter()
            reply = await http.post(
                "/api/v1/query", json={"query": question.text, "collection": COLLECTION}
            )
            elapsed = (time.perf_counter() - t0) * 1000
            reply.raise_for_status()
            rows.append(_score(question, reply.json(), elapsed, exact=qa.exact))
    return {**_summary(qa, rows, ingest_s), "unreadable": unreadable}


async def retrieval_by_mode(qa: QaSet, data_dir: Path) -> dict[str, dict[str, float]]:
    """Passage recall@5 (and first-passage source right) per search mode, on an ingest."""
    from litestar.testing import AsyncTestClient

    from ragmono.app import create_app
    from ragmono.logging import configure_logging
    from ragmono.settings import load_settings

    settings = load_settings(
        None,
        {
            "RAGMONO_STORAGE__DATA_DIR": str(data_dir),
            "RAGMONO_RATE_LIMIT__ENABLED": "false",
            "RAGMONO_CACHE__TTL_S": "0",
            "RAGMONO_LOGGING__LEVEL": "warning",
        },
    )
    configure_logging(settings.logging)  # as the served app: warnings only
    norm = _plain if qa.exact else normalize
    out: dict[str, dict[str, float]] = {}
    async with AsyncTestClient(app=create_app(settings), timeout=900) as http:
        for mode in ("dense", "keyword", "hybrid"):
            found = first = 0
            for q in qa.questions:
                body = {"query": q.text, "collection": COLLECTION, "top_k": 5, "mode": mode}
                reply = await http.post("/api/v1/search", json=body)
                reply.raise_for_status()
                hits = reply.json()["results"]
                golds = [norm(g) for g in q.golds]
                found += any(g and g in norm(h["text"]) for g in golds for h in hits)
                first += bool(hits and _same_source(hits[0]["source"], q.source))
            out[mode] = {
                "passage_recall@5": round(found / len(qa.questions), 4),
                "first_passage_source_right": round(first / len(qa.questions), 4),
            }
    return out


def _upload_name(path: Path) -> str:
    return path.name[:-3] if path.name.endswith(".gz") else path.name


def _read(path: Path) -> bytes:
    import gzip

    data = path.read_bytes()
    return gzip.decompress(data) if path.name.endswith(".gz") else data


def _score(
    question: Question, body: dict[str, Any], elapsed_ms: float, *, exact: bool
) -> dict[str, Any]:
    answer = body["answer"]
    words = _CITE.sub(" ", answer).split()
    norm = _plain if exact else normalize
    golds = [norm(g) for g in question.golds]
    said = norm(answer)
    passages = [norm(s["text"]) for s in body["sources"]]
    by_n = {s["n"]: s for s in body["sources"]}
    first = by_n.get(body["citations"][0]) if body["citations"] else None
    return {
        "question": question.text,
        "answer": answer,
        "right": any(g and g in said for g in golds),
        "passage": any(g and g in p for g in golds for p in passages),
        "first_citation": bool(first and _same_source(first["source"], question.source)),
        "words": len(words),
        "ms": elapsed_ms,
        "answer_ms": body["timings"]["generate_ms"],
    }


def _plain(text: str) -> str:
    return " ".join(text.lower().split())


def _same_source(found: str, expected: str) -> bool:
    return found == expected or Path(found).name == Path(expected).name.removesuffix(".gz")


def _summary(qa: QaSet, rows: list[dict[str, Any]], ingest_s: float | None) -> dict[str, Any]:
    from benchmarks.timing import nearest_rank

    total = sorted(r["ms"] for r in rows)
    answerer = sorted(r["answer_ms"] for r in rows)
    return {
        "set": qa.name,
        "questions": len(rows),
        "answer_recall": round(sum(r["right"] for r in rows) / len(rows), 4),
        "passage_recall@5": round(sum(r["passage"] for r in rows) / len(rows), 4),
        "first_citation_right": round(sum(r["first_citation"] for r in rows) / len(rows), 4),
        "mean_answer_words": round(statistics.fmean(r["words"] for r in rows), 1),
        "p50_ms": round(nearest_rank(total, 50), 1),
        "p95_ms": round(nearest_rank(total, 95), 1),
        "answerer_p50_ms": round(nearest_rank(answerer, 50), 2),
        "answerer_p95_ms": round(nearest_rank(answerer, 95), 2),
        "ingest_s": round(ingest_s, 1) if ingest_s is not None else None,
        "load_average": os.getloadavg(),
        "rows": rows,
    }


def load_set(args: argparse.Namespace) -> QaSet:
    """The question set named on the command line."""
    if args.set == "squad":
        return squad_set(args.squad, args.sample, args.seed)
    return docs_set(args.doc_set)


def run_before(ref: str, argv: list[str], out: Path) -> dict[str, Any]:
    """The same benchmark on ``ref``'s ``src/`` in a child process."""
    with tempfile.TemporaryDirectory(prefix="ragmono-before-") as tmp:
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", ref, "src"], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        env = {**os.environ, "PYTHONPATH": f"{tmp}/src:{REPO}"}
        subprocess.run(
            [sys.executable, "-m", "benchmarks.answers", *argv, "--json", str(out)],
            check=True,
            env=env,
            cwd=REPO,
        )
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def table(results: list[tuple[str, dict[str, Any]]]) -> str:
    """One markdown table, a row per run."""
    lines = [
        "| code | questions | answer recall | passage recall@5 | first citation right "
        "| mean answer words | p50 ms | p95 ms | answerer p50 ms | answerer p95 ms | load avg |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for label, r in results:
        load = "/".join(f"{x:.2f}" for x in r["load_average"])
        lines.append(
            f"| {label} | {r['questions']} | {r['answer_recall']:.3f} "
            f"| {r['passage_recall@5']:.3f} | {r['first_citation_right']:.3f} "
            f"| {r['mean_answer_words']} | {r['p50_ms']} | {r['p95_ms']} "
            f"| {r['answerer_p50_ms']} | {r['answerer_p95_ms']} | {load} |"
        )
    return "\n".join(lines)


def _run(qa: QaSet, data_dir: Path | None) -> dict[str, Any]:
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        return asyncio.run(evaluate(qa, data_dir))
    with tempfile.TemporaryDirectory(prefix="ragmono-answers-") as tmp:
        return asyncio.run(evaluate(qa, Path(tmp)))


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=("squad", "docs"), default="squad")
    parser.add_argument("--squad", type=Path, default=SQUAD)
    parser.add_argument("--doc-set", type=Path, default=DOC_SET)
    parser.add_argument("--sample", type=int, default=SAMPLE)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--limit",
        type=int,
        help="ask only the first N of the sample (a saved --before-json run "
        "is cut to the same questions)",
    )
    parser.add_argument("--before", help="git ref to compare with (its src/ in a child process)")
    parser.add_argument("--before-json", type=Path, help="a --before run's saved result to show")
    parser.add_argument("--json", type=Path, help="write this run's result here and stop")
    parser.add_argument(
        "--data-dir", type=Path, help="keep the ingest here; a later run (or --before's) reuses it"
    )
    parser.add_argument(
        "--modes", action="store_true", help="passage recall@5 per search mode on --data-dir"
    )
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    args = parser.parse_args()
    qa = load_set(args)
    if args.limit:
        qa.questions = qa.questions[: args.limit]
    if args.modes:
        by_mode = asyncio.run(retrieval_by_mode(qa, args.data_dir))
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / f"answers-{args.set}-modes.json").write_text(json.dumps(by_mode, indent=1))
        print(json.dumps(by_mode, indent=1))
        return
    if args.json is not None:
        args.json.write_text(json.dumps(_run(qa, args.data_dir), indent=1) + "\n")
        return
    shared = ["--set", args.set, "--squad", str(args.squad), "--doc-set", str(args.doc_set)]
    shared += ["--sample", str(args.sample), "--seed", str(args.seed)]
    if args.data_dir is not None:
        shared += ["--data-dir", str(args.data_dir)]
    results: list[tuple[str, dict[str, Any]]] = []
    args.out.mkdir(parents=True, exist_ok=True)
    if args.before_json is not None:
        before = json.loads(args.before_json.read_text())
        if args.limit:  # the same questions as this run, re-summarised
            asked = {q.text for q in qa.questions}
            rows = [r for r in before["rows"] if r["question"] in asked]
            before = {**_summary(qa, rows, None), "load_average": before["load_average"]}
        results.append(("before (main)", before))
    elif args.before:
        before = run_before(args.before, shared, args.out / f"answers-{args.set}-before.json")
        results.append((f"before ({args.before})", before))
    after = _run(qa, args.data_dir)
    (args.out / f"answers-{args.set}-after.json").write_text(json.dumps(after, indent=1) + "\n")
    results.append(("after (this tree)", after))
    report = table(results)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    header = f"{args.set}: {platform.platform()}, Python {platform.python_version()}, {stamp}"
    (args.out / f"answers-{args.set}.md").write_text(f"{header}\n\n{report}\n")
    print(report)


if __name__ == "__main__":
    main()
