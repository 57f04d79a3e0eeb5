"""The rules that queries share, each stated once."""

from __future__ import annotations

from semi_core.store.settings import (
    DECISION_RULES,
    DEFAULT_DECISION_RULE,
    DEFAULT_MAJORITY_MIN_VOTES,
)

# Decisions that still count: accept, reject, skip and final events that no undo event
# has undone and no later edit or repair of the pair has voided (a decision is on the
# code it saw).
# The current decision of a pair is derived from the review log this way.
EFFECTIVE_DECISIONS = """
WITH effective AS (
    SELECT * FROM review_events e
    WHERE e.action IN ('accept', 'reject', 'skip') AND NOT EXISTS (
        SELECT 1 FROM review_events u
        WHERE u.action = 'undo' AND (u.payload->>'undoes')::BIGINT = e.id)
    AND NOT EXISTS (
        SELECT 1 FROM review_events x
        WHERE x.action IN ('edit', 'repair') AND x.generation_id = e.generation_id
            AND x.id > e.id))
"""

# The decision rule's settings (kept in the settings table, read by the SQL below): how
# votes, and neither are final decisions (they settle a pair, agreement is measured on
# votes). `finals`: each pair's settled decision, the latest final event not undone.
VOTES = """,
votes AS (
    SELECT generation_id, annotator, arg_max(action, id) AS vote FROM effective
    WHERE action IN ('accept', 'reject')
        AND NOT coalesce((payload->>'final')::BOOLEAN, false)
    GROUP BY generation_id, annotator),
finals AS (
    SELECT generation_id, arg_max(action, id) AS decision FROM effective
    WHERE (payload->>'final')::BOOLEAN GROUP BY generation_id)
"""

# The decision rule's settings as the rule reads them: a value not understood (a rule
# not named in DECISION_RULES, a minimum that is no whole number of at least 1) counts as
# its default, so a hand-edited setting never stops a query.
DECISION_RULE = f"""
rule AS (
    SELECT coalesce(any_value(value->>'$') FILTER (WHERE key = 'decision_rule'
            AND value->>'$' IN ({", ".join(f"'{name}'" for name in DECISION_RULES)})),
            '{DEFAULT_DECISION_RULE}') AS rule,
        coalesce(any_value(TRY_CAST(value->>'$' AS INTEGER)) FILTER (
            WHERE key = 'majority_min_votes' AND json_type(value) IN ('BIGINT', 'UBIGINT')
                AND TRY_CAST(value->>'$' AS INTEGER) >= 1),
            {DEFAULT_MAJORITY_MIN_VOTES}) AS min_votes
    FROM settings WHERE key IN ('decision_rule', 'majority_min_votes'))
"""

# The decision rule, stated once: a pair is accepted (or rejected) when it is settled so
# by a final decision, or when every annotator who voted on it agrees; with the setting
# decision_rule = 'majority', also when strictly more than half of at least
# majority_min_votes votes agree. Any other pair with votes is 'disputed', so a dispute
# is never exported as accepted.
OVERALL_DECISIONS = (
    VOTES
    + ","
    + DECISION_RULE
    + """,
tally AS (
    SELECT generation_id, count(*) FILTER (WHERE vote = 'accept') AS accepts,
        count(*) FILTER (WHERE vote = 'reject') AS rejects
    FROM votes GROUP BY generation_id),
overall AS (
    SELECT coalesce(f.generation_id, t.generation_id) AS generation_id,
        CASE WHEN f.decision IS NOT NULL THEN f.decision
            WHEN t.rejects = 0 THEN 'accept'
            WHEN t.accepts = 0 THEN 'reject'
            WHEN r.rule = 'majority' AND t.accepts + t.rejects >= r.min_votes
                AND t.accepts <> t.rejects
                THEN CASE WHEN t.accepts > t.rejects THEN 'accept' ELSE 'reject' END
            ELSE 'disputed' END AS decision
    FROM tally t FULL JOIN finals f ON f.generation_id = t.generation_id CROSS JOIN rule r)
"""
)


# What makes a verdict its pair's current one: it is the latest (a QUALIFY condition).
IS_CURRENT_VERDICT = (
    "row_number() OVER (PARTITION BY generation_id ORDER BY created_at DESC, id) = 1"
)

# The pairs whose current (latest) verdict is validated, with their snippet's name,
# source and kind: what the studio's rankings and summaries aggregate.
VALIDATED_PAIRS = f"""
WITH validated AS (
    SELECT v.*, s.name, s.source, s.kind
    FROM (SELECT * FROM verdicts QUALIFY {IS_CURRENT_VERDICT}) v
    JOIN generations g ON g.id = v.generation_id JOIN snippets s ON s.id = g.snippet_id
    WHERE v.status = 'validated')
"""
