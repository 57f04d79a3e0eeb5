"""The numbers behind the studio's charts: the funnel, rates, difficulty and test-strength
summaries, annotator activity, rankings and failure groups. Plain rows and dicts, so a
chart and its table always show the same numbers (and tests check them against the
store)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from statistics import mean, median
from typing import Any

from semi_core.store import Store

FUNNEL_STAGES = ("snippets", "usable", "generated", "validated", "accepted", "rejected")


def funnel(store: Store) -> list[dict[str, Any]]:
    """Snippets → usable → generated (ok) → validated → accepted / rejected, from
    `Store.counts()` (the numbers `semi stats --json` reports)."""
    counts = store.counts()
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


def rates(store: Store) -> dict[str, float | None]:
    """Each stage as a share of the one before it (None when that one is empty)."""
    f = {row["stage"]: row["count"] for row in funnel(store)}
    validated_total = sum(store.counts().by_status["verdicts"].values())

    def share(a: int, b: int) -> float | None:
        return None if b == 0 else round(a / b, 4)

    return {
        "usable / snippets": share(f["usable"], f["snippets"]),
        "generated / usable": share(f["generated"], f["usable"]),
        "validated / checked": share(f["validated"], validated_total),
        "accepted / decided": share(f["accepted"], f["accepted"] + f["rejected"]),
    }


def _summary(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"count": 0, "mean": None, "median": None, "min": None, "max": None}
    return {
        "count": len(values),
        "mean": round(mean(values), 4),
        "median": round(median(values), 4),
        "min": round(min(values), 4),
        "max": round(max(values), 4),
    }


def ranked_pairs(store: Store) -> list[dict[str, Any]]:
    """Every pair whose current verdict is validated, flattened for charts: difficulty,
    bucket, curriculum position, test count, complexity, test strength, source."""
    rows = []
    for row in store.pair_overview():
        if row["verdict_status"] != "validated":
            continue
        rank = row["signals"].get("rank") or {}
        rows.append(
            {
                "pair": row["id"],
                "name": row["name"],
                "source": row["source"],
                "kind": row["kind"],
                "difficulty": row["difficulty"],
                "bucket": rank.get("bucket") or "unranked",
                "curriculum_position": rank.get("curriculum_position"),
                "tests": row["usable"],
                "passed": row["passed"],
                "cyclomatic": rank.get("cyclomatic"),
                "code_lines": rank.get("code_lines"),
                "test_strength": row["test_strength"],
            }
        )
    return rows


def summaries(store: Store) -> dict[str, dict[str, Any]]:
    """Difficulty and test strength over the validated pairs."""
    pairs = ranked_pairs(store)
    return {
        "difficulty": _summary([p["difficulty"] for p in pairs if p["difficulty"] is not None]),
        "test_strength": _summary(
            [p["test_strength"] for p in pairs if p["test_strength"] is not None]
        ),
    }


def bucket_counts(pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    counts = Counter(p["bucket"] for p in pairs)
    order = ["easy", "medium", "hard", "unranked"]
    return [{"bucket": b, "pairs": counts[b]} for b in order if counts.get(b)]


def source_breakdown(pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per source and bucket: how many validated pairs, and their mean difficulty."""
    groups: dict[tuple[str, str], list[float]] = defaultdict(list)
    for p in pairs:
        groups[p["source"], p["bucket"]].append(p["difficulty"] or 0.0)
    return [
        {"source": s, "bucket": b, "pairs": len(v), "mean_difficulty": round(mean(v), 4)}
        for (s, b), v in sorted(groups.items())
    ]


def annotator_activity(store: Store) -> list[dict[str, Any]]:
    """Per annotator: events by action, pairs touched, and the latest event's time."""
    per: dict[str, dict[str, Any]] = {}
    for event in store.review_events():
        row = per.setdefault(
            event["annotator"],
            {"annotator": event["annotator"], "accept": 0, "reject": 0, "skip": 0,
             "undo": 0, "other": 0, "pairs": set(), "last": None},
        )  # fmt: skip
        key = (
            event["action"] if event["action"] in ("accept", "reject", "skip", "undo") else "other"
        )
        row[key] += 1
        row["pairs"].add(event["generation_id"])
        row["last"] = event["created_at"]
    return [{**row, "pairs": len(row["pairs"])} for _, row in sorted(per.items())]


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

_EXCEPTION = re.compile(r"\b([A-Z][A-Za-z]*(?:Error|Exception|Exit|Interrupt))\b")


def _detail(text: str | None, limit: int = 80) -> str:
    """A short, groupable description: the exception type when one is named, else the
    first line, cut."""
    if not text:
        return "(no detail)"
    found = _EXCEPTION.search(text)
    if found:
        return found.group(1)
    return text.strip().splitlines()[0][:limit]


def failure_rows(store: Store) -> list[dict[str, Any]]:
    """One row per failure: stage (ingest, generate, validate), kind, detail, the pair (or
    snippet), and the failing test position when there is one."""
    rows: list[dict[str, Any]] = []
    for s in store.snippets(limit=100_000, usable=False):
        rows.append({"stage": "ingest", "kind": s["rejection"],
                     "detail": _detail(s["rejection_detail"]), "pair": None,
                     "snippet": s["id"], "name": s["name"], "test": None})  # fmt: skip
    for g in store.failed_generations():
        rows.append({"stage": "generate", "kind": "generation error",
                     "detail": _detail(g["error"]), "pair": g["id"], "snippet": None,
                     "name": g["name"], "test": None})  # fmt: skip
    for p in store.pair_overview():
        status = p["verdict_status"]
        if status is None or status == "validated":
            continue
        signals = p["signals"]
        failing = signals.get("failing") or []
        if status == "refused":
            kind, detail = "policy refusal", _refusal(signals.get("reason"))
        elif failing:
            first = failing[0]
            kind = {"wrong": "mismatch", "timeout": "timeout", "memory": "memory"}.get(
                first["status"], first["status"]
            )
            detail = _detail(first["reason"]) if first["status"] != "wrong" else status
        else:
            kind, detail = status, _detail(signals.get("reason"))
        rows.append({"stage": "validate", "kind": kind, "detail": detail, "pair": p["id"],
                     "snippet": p["snippet_id"], "name": p["name"],
                     "test": failing[0]["position"] if failing else None})  # fmt: skip
    return rows


def _refusal(reason: str | None) -> str:
    """The policy's reason for refusing the code (the text after the sandbox's preamble)."""
    text = (reason or "").split("refused the rewrite:", 1)[-1].strip()
    return text.splitlines()[0][:80] if text else "(no reason)"


def failure_groups(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Failures grouped by stage, kind and detail, largest first, with example pairs."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[row["stage"], row["kind"], row["detail"]].append(row)
    out = [
        {
            "stage": stage,
            "kind": kind,
            "detail": detail,
            "count": len(members),
            "examples": [m["pair"] or m["snippet"] for m in members[:3]],
        }  # fmt: skip
        for (stage, kind, detail), members in groups.items()
    ]
    out.sort(key=lambda g: (-g["count"], g["stage"], g["kind"], g["detail"]))
    return out


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
