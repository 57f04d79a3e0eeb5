"""The rules that queries share, each stated once as a DuckDB view: a pair's current
verdict, the decisions that still count, each annotator's vote, the settled decisions,
the decision rule and the overall decision it gives, the validated pairs, and the pairs
an export selects from. Queries read these views instead of restating a rule.

Views are code, not data: `install` replaces them on every read-write open, so a file
always holds the definitions of the code that opens it.
"""

from __future__ import annotations

import duckdb

# The decision rule's settings (kept in the settings table, read by the view
# decision_rule): how votes decide a pair, and how many votes a majority needs.
DECISION_RULES = ("unanimous", "majority")
DEFAULT_DECISION_RULE = "unanimous"
DEFAULT_MAJORITY_MIN_VOTES = 3

# A pair's current verdict is its latest one.
CURRENT_VERDICTS = """
CREATE OR REPLACE VIEW current_verdicts AS
SELECT * FROM verdicts
QUALIFY row_number() OVER (PARTITION BY generation_id ORDER BY created_at DESC, id) = 1
"""

# Decisions that still count: accept, reject, skip and final events that no undo event
# has undone and no later edit or repair of the pair has voided (a decision is on the
# code it saw). Every decision of a pair is derived from the review log this way.
EFFECTIVE_DECISIONS = """
CREATE OR REPLACE VIEW effective_decisions AS
SELECT * FROM review_events e
WHERE e.action IN ('accept', 'reject', 'skip')
    AND NOT EXISTS (
        SELECT 1 FROM review_events u
        WHERE u.action = 'undo' AND (u.payload->>'undoes')::BIGINT = e.id)
    AND NOT EXISTS (
        SELECT 1 FROM review_events x
        WHERE x.action IN ('edit', 'repair') AND x.generation_id = e.generation_id
            AND x.id > e.id)
"""

# Each annotator's vote on a pair: their latest accept or reject that still counts.
# Skips are no votes, and neither are final decisions (they settle a pair; agreement is
# measured on votes).
ANNOTATOR_VOTES = """
CREATE OR REPLACE VIEW annotator_votes AS
SELECT generation_id, annotator, arg_max(action, id) AS vote FROM effective_decisions
WHERE action IN ('accept', 'reject') AND NOT coalesce((payload->>'final')::BOOLEAN, false)
GROUP BY generation_id, annotator
"""

# Each pair's settled decision: its latest final event that still counts.
FINAL_DECISIONS = """
CREATE OR REPLACE VIEW final_decisions AS
SELECT generation_id, arg_max(action, id) AS decision FROM effective_decisions
WHERE (payload->>'final')::BOOLEAN GROUP BY generation_id
"""

# The decision rule's settings as the rule reads them: a value not understood (a rule
# not named in DECISION_RULES, a minimum that is no whole number of at least 1) counts as
# its default, so a hand-edited setting never stops a query.
DECISION_RULE = f"""
CREATE OR REPLACE VIEW decision_rule AS
SELECT coalesce(any_value(value->>'$') FILTER (WHERE key = 'decision_rule'
        AND value->>'$' IN ({", ".join(f"'{name}'" for name in DECISION_RULES)})),
        '{DEFAULT_DECISION_RULE}') AS rule,
    coalesce(any_value(TRY_CAST(value->>'$' AS INTEGER)) FILTER (
        WHERE key = 'majority_min_votes' AND json_type(value) IN ('BIGINT', 'UBIGINT')
            AND TRY_CAST(value->>'$' AS INTEGER) >= 1),
        {DEFAULT_MAJORITY_MIN_VOTES}) AS min_votes
FROM settings WHERE key IN ('decision_rule', 'majority_min_votes')
"""

# The decision rule: a pair is accepted (or rejected) when it is settled so by a final
# decision, or when every annotator who voted on it agrees; with the setting
# decision_rule = 'majority', also when strictly more than half of at least
# majority_min_votes votes agree. Any other pair with votes is 'disputed', so a dispute
# is never exported as accepted.
OVERALL_DECISIONS = """
CREATE OR REPLACE VIEW overall_decisions AS
WITH tally AS (
    SELECT generation_id, count(*) FILTER (WHERE vote = 'accept') AS accepts,
        count(*) FILTER (WHERE vote = 'reject') AS rejects
    FROM annotator_votes GROUP BY generation_id)
SELECT coalesce(f.generation_id, t.generation_id) AS generation_id,
    CASE WHEN f.decision IS NOT NULL THEN f.decision
        WHEN t.rejects = 0 THEN 'accept'
        WHEN t.accepts = 0 THEN 'reject'
        WHEN r.rule = 'majority' AND t.accepts + t.rejects >= r.min_votes
            AND t.accepts <> t.rejects
            THEN CASE WHEN t.accepts > t.rejects THEN 'accept' ELSE 'reject' END
        ELSE 'disputed' END AS decision
FROM tally t FULL JOIN final_decisions f ON f.generation_id = t.generation_id
CROSS JOIN decision_rule r
"""

# The reasons of the rejects that count now: each annotator's latest accept or reject on
# a pair (their vote, and apart from it their final decision), when it is a reject, one
# row per reason it gives.
REJECT_REASONS = """
CREATE OR REPLACE VIEW reject_reasons AS
WITH latest AS (
    SELECT generation_id, annotator, coalesce((payload->>'final')::BOOLEAN, false) AS final,
        arg_max({'action': action, 'reasons': coalesce(reasons, [])}, id) AS last
    FROM effective_decisions WHERE action IN ('accept', 'reject') GROUP BY ALL)
SELECT generation_id, annotator, final, unnest(last.reasons) AS reason FROM latest
WHERE last.action = 'reject'
"""

# The pairs whose current verdict is validated, with their snippet's name, source and
# kind: what the studio's rankings and summaries aggregate.
VALIDATED_PAIRS = """
CREATE OR REPLACE VIEW validated_pairs AS
SELECT v.*, s.name, s.source, s.kind
FROM current_verdicts v
JOIN generations g ON g.id = v.generation_id JOIN snippets s ON s.id = g.snippet_id
WHERE v.status = 'validated'
"""

# The pairs an export selects from: every usable generation, with its snippet, its
# current verdict (NULLs before validation), its overall decision (NULL before any vote),
# each annotator's vote and the reasons its counting rejects give. Which of them an export
# takes is `ExportQueries.EXPORT_STATUSES`.
EXPORT_PAIRS = """
CREATE OR REPLACE VIEW export_pairs AS
SELECT g.id, g.instruction, g.code, g.entry_point, g.backend, g.model, g.prompt_hash,
    g.snippet_id, s.source, s.path, s.line, s.name, s.kind, v.run_id,
    v.status AS verdict_status, v.passed, v.usable, v.test_strength, v.difficulty,
    v.signals, o.decision, x.decisions, r.reject_reasons
FROM generations g JOIN snippets s ON s.id = g.snippet_id
LEFT JOIN current_verdicts v ON v.generation_id = g.id
LEFT JOIN overall_decisions o ON o.generation_id = g.id
LEFT JOIN (SELECT generation_id, list({'annotator': annotator, 'decision': vote}
        ORDER BY annotator) AS decisions
    FROM annotator_votes GROUP BY generation_id) x ON x.generation_id = g.id
LEFT JOIN (SELECT generation_id, list({'annotator': annotator, 'final': final,
        'reasons': reasons} ORDER BY annotator, final) AS reject_reasons
    FROM (SELECT generation_id, annotator, final, list(reason ORDER BY reason) AS reasons
        FROM reject_reasons GROUP BY ALL) GROUP BY generation_id) r ON r.generation_id = g.id
WHERE g.status = 'ok'
"""

VIEWS = (
    CURRENT_VERDICTS, EFFECTIVE_DECISIONS, ANNOTATOR_VOTES, FINAL_DECISIONS, DECISION_RULE,
    OVERALL_DECISIONS, REJECT_REASONS, VALIDATED_PAIRS, EXPORT_PAIRS,
)  # fmt: skip


def install(db: duckdb.DuckDBPyConnection) -> None:
    """Create or replace every view, in one transaction (a view reads those before it)."""
    db.execute("BEGIN TRANSACTION")
    try:
        for view in VIEWS:
            db.execute(view)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
