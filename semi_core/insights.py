"""The numbers behind the studio's charts: the funnel, rates, difficulty and test-strength
summaries, annotator activity, rankings and failure groups. Plain rows and dicts, so a
chart and its table always show the same numbers (and tests check them against the
store)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from semi_core.store import Counts, Store

FUNNEL_STAGES = ("snippets", "usable", "generated", "validated", "accepted", "rejected")


def funnel(store: Store, counts: Counts | None = None) -> list[dict[str, Any]]:
    """Snippets → usable → generated (ok) → validated → accepted / rejected, from
    `Store.counts()` (the numbers `semi stats --json` reports; pass them when read)."""
    counts = counts or store.counts()
    by = counts.by_status
    values = {
        "snippets": counts.entities["snippets"],
        "usable": by["snippets"].get("usable", 0),
        "generated": by["generations"].get("ok", 0),
        "validated": by["verdicts"].get("validated", 0),
        "accepted": by["decisions"].get("accept", 0),
        "rejected": by["decisions"].get("reject", 0),
    }
    return [{"stage": stage, "count": values[stage]} for stage in FUNNEL_STAGES]


def rates(store: Store, counts: Counts | None = None) -> dict[str, float | None]:
    """Each stage as a share of the one before it (None when that one is empty), each
    counted in its denominator's unit: a snippet with pairs from several backends counts
    once among the usable snippets generated, so no rate exceeds 1."""
    counts = counts or store.counts()
    f = {row["stage"]: row["count"] for row in funnel(store, counts)}
    validated_total = sum(counts.by_status["verdicts"].values())

    def share(a: int, b: int) -> float | None:
        return None if b == 0 else round(a / b, 4)

    return {
        "usable / snippets": share(f["usable"], f["snippets"]),
        "generated / usable": share(store.count_generated_snippets(), f["usable"]),
        "validated / checked": share(f["validated"], validated_total),
        "accepted / decided": share(f["accepted"], f["accepted"] + f["rejected"]),
    }


def _rounded(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value


def distributions(
    store: Store, bins: dict[str, int], by_bucket: bool = False
) -> dict[str, dict[str, Any]]:
    """Difficulty and/or test strength over the validated pairs, computed in the store:
    {column: {"summary": {count, mean, median, min, max}, "bins": [{bin, low, high,
    bucket, pairs}]}} — a histogram is drawn from the bins, never from every pair."""
    found = store.validated_distributions(bins, by_bucket=by_bucket)
    return {
        name: {
            "summary": {k: _rounded(v) for k, v in part["summary"].items()},
            "bins": [
                {**row, "low": _rounded(row["low"]), "high": _rounded(row["high"])}
                for row in part["bins"]
            ],  # fmt: skip
        }
        for name, part in found.items()
    }


def summaries(store: Store) -> dict[str, dict[str, Any]]:
    """Difficulty and test strength over the validated pairs: count, mean, median, min,
    max (rounded to 4 places)."""
    found = distributions(store, {"difficulty": 1, "test_strength": 1})
    return {name: part["summary"] for name, part in found.items()}


def cells(store: Store, xs: list[str], bins: int) -> dict[str, list[dict[str, Any]]]:
    """Validated, ranked pairs counted per x value ("tests", "cyclomatic"), difficulty
    bin and bucket, each cell with its difficulty range (`Store.validated_cells`)."""
    return {
        x: [
            {**row, "low": round(row["bin"] / bins, 4), "high": round((row["bin"] + 1) / bins, 4)}
            for row in rows
        ]  # fmt: skip
        for x, rows in store.validated_cells(xs, bins).items()
    }


BUCKET_ORDER = ("easy", "medium", "hard", "unranked")


def source_breakdown(store: Store) -> list[dict[str, Any]]:
    """Per source and bucket: how many validated pairs, and their mean difficulty."""
    return store.source_breakdown()


def bucket_counts(breakdown: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validated pairs per curriculum bucket, in curriculum order, from the per-source
    breakdown (so both charts always agree)."""
    counts: Counter[str] = Counter()
    for row in breakdown:
        counts[row["bucket"]] += row["pairs"]
    return [{"bucket": b, "pairs": counts[b]} for b in BUCKET_ORDER if counts.get(b)]


def annotator_activity(store: Store) -> list[dict[str, Any]]:
    """Per annotator: events by action, pairs touched, and the latest event's time."""
    return store.annotator_activity()


def recent_runs(store: Store, limit: int = 10) -> list[dict[str, Any]]:
    return [
        {
            "run": r["id"],
            "kind": r["kind"],
            "state": r["state"],
            "backend": r["params"].get("backend"),
            "started": r["started_at"],
            "ended": r["ended_at"],
            "generated": (r["counts"].get("generate") or {}).get("done"),
            "validated": (r["counts"].get("validate") or {}).get("done"),
        }
        for r in store.runs(limit=limit)
    ]


# -- failures ---------------------------------------------------------------------------


def failure_groups(store: Store) -> list[dict[str, Any]]:
    """Failures grouped by stage (ingest, generate, validate), kind and detail, largest
    first, with three example pairs (or snippets). Kinds: the ingest rejection, generation
    error, policy refusal, or the first failing test's kind (mismatch, timeout, memory,
    …); details: the exception type named in the error, else its first line (80
    characters); a refusal's detail is the policy's reason. Computed in the store."""
    return store.failure_groups()


def failure_members(
    store: Store, stage: str, kind: str, detail: str | None, limit: int = 1000,
    source: str | None = None,
) -> tuple[list[dict[str, Any]], int]:  # fmt: skip
    """One group's failures (pair, snippet, name, failing test), or every group's of a
    kind when `detail` is None, from one source when given, at most `limit`, and how many
    there are in all."""
    return store.failure_members(stage, kind, detail, limit, source)


def side_by_side(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per test input from `Store.test_runs`: its origin, the oracle (the
    original's output), the rewrite's output and status — first attempts only."""
    rows: dict[int, dict[str, Any]] = {}
    for run in runs:
        row = rows.setdefault(
            run["position"],
            {"test": run["position"], "input": run["input"], "origin": run["origin"],
             "oracle": run["expected"], "oracle_status": run["oracle_status"],
             "original_output": None, "rewrite_output": None, "rewrite_status": None,
             "rewrite_error": None},
        )  # fmt: skip
        if run["attempt"] != 1:
            continue
        if run["side"] == "original":
            row["original_output"] = run["output"] if run["status"] == "ok" else run["error"]
        else:
            row["rewrite_output"] = run["output"]
            row["rewrite_status"] = run["status"]
            row["rewrite_error"] = run["error"]
    return [rows[k] for k in sorted(rows)]


# -- charts of their own: points, time lines, failures by source -------------------------


def pair_points(store: Store, limit: int = 5000) -> tuple[list[dict[str, Any]], int]:
    """Validated, ranked pairs as points of a scatter (difficulty, test strength, bucket,
    the instruction's start), at most `limit` (a repeatable sample of them when there are
    more), and how many there are in all."""
    return store.validated_points(limit)


def verdict_timeline(store: Store, run_id: str, steps: int = 60) -> list[dict[str, Any]]:
    """A run's verdicts per status over time, as running totals: rows {at, status,
    verdicts} with every status present at every step, so stacked areas never dip."""
    rows = store.verdict_timeline(run_id, steps)
    times = sorted({row["at"] for row in rows})
    statuses = sorted({row["status"] for row in rows})
    added = {(row["at"], row["status"]): row["verdicts"] for row in rows}
    out = []
    for status in statuses:
        total = 0
        for at in times:
            total += added.get((at, status), 0)
            out.append({"at": at, "status": status, "verdicts": total})
    return out


def failure_kinds_by_source(store: Store) -> list[dict[str, Any]]:
    """Failures counted per source, stage and kind (the kinds of `failure_groups`)."""
    return store.failure_kinds_by_source()


def throughput_unit(span_s: float) -> str:
    """The time step throughput is counted in: minutes within two hours of events, hours
    within three days, else days (a chart of a few dozen steps either way)."""
    return "minute" if span_s <= 2 * 3600 else "hour" if span_s <= 3 * 86400 else "day"


def annotator_throughput(store: Store) -> tuple[list[dict[str, Any]], str]:
    """Accept, reject and skip decisions per annotator per time step, and the step's
    unit ("minute", "hour" or "day", by how long the reviews span)."""
    unit = throughput_unit(store.review_span())
    return store.decisions_over_time(unit), unit
