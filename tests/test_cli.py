"""The `semi` command, run for real in a subprocess: ingest, stats, demo."""

from __future__ import annotations

import json

from .conftest import run_semi, write


def test_ingest_then_stats(tmp_path, db_path):
    write(tmp_path / "src" / "m.py", "def inc(a):\n    return a + 1\n\ndef f(:\n")
    write(tmp_path / "src" / "ok.py", "def dec(value):\n    return value - 1\n")
    result = run_semi("ingest", str(tmp_path / "src"), "--json", db=db_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["new"] == 2 and report["rejections"] == {"syntax_error": 1}

    stats = json.loads(run_semi("stats", "--json", db=db_path).stdout)
    assert stats["entities"]["snippets"] == 2
    assert stats["by_status"]["snippets"] == {"syntax_error": 1, "usable": 1}
    assert stats["entities"]["runs"] == 1


def test_db_option_and_semi_db_variable_choose_the_file(tmp_path, db_path):
    write(tmp_path / "m.py", "def inc(a):\n    return a + 1\n")
    other = tmp_path / "other.duckdb"
    assert (
        run_semi("--db", str(other), "ingest", str(tmp_path / "m.py"), db=db_path).returncode == 0
    )
    assert (
        json.loads(run_semi("--db", str(other), "stats", "--json", db=db_path).stdout)["entities"][
            "snippets"
        ]
        == 1
    )
    assert (
        not db_path.exists()
        or json.loads(run_semi("stats", "--json", db=db_path).stdout)["entities"]["snippets"] == 0
    )


def test_default_database_is_semi_duckdb_in_the_current_folder(tmp_path):
    write(tmp_path / "m.py", "def inc(a):\n    return a + 1\n")
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "SEMI_DB"}
    subprocess.run(
        [sys.executable, "-m", "semi_core.cli", "ingest", "m.py"],
        cwd=tmp_path, env=env, check=True, capture_output=True,
    )  # fmt: skip
    assert (tmp_path / "semi.duckdb").exists()


def test_ingest_of_nothing_usable_fails_with_the_reason(tmp_path, db_path):
    result = run_semi("ingest", str(tmp_path / "nope"), db=db_path)
    assert result.returncode == 1
    assert "no such file or folder" in result.stderr


def test_demo_loads_human_eval_and_standard_library_code_once(db_path):
    first = run_semi("demo", "--json", db=db_path)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["rows"] == 164  # every HumanEval problem
    assert report["new"] > 164  # and standard-library functions besides
    again = json.loads(run_semi("demo", "--json", db=db_path).stdout)
    assert again["new"] == 0 and again["already_stored"] == report["new"]


def test_hash_password_prints_a_hash_the_login_accepts(db_path):
    from semi_core.auth import check_login

    result = run_semi("hash-password", "--password", "correct horse", db=db_path)
    assert result.returncode == 0
    stored = result.stdout.strip()
    assert "correct horse" not in stored
    assert check_login({"ada": stored}, "ada", "correct horse")
    assert not check_login({"ada": stored}, "ada", "wrong")
    assert not check_login({"ada": stored}, "bob", "correct horse")


def test_runs_start_from_the_saved_settings_and_options_win(db_path):
    from semi_core.store import Store

    with Store(db_path) as store:
        store.set_setting("min_usable_tests", 7)
    assert run_semi("demo", db=db_path).returncode == 0
    assert run_semi("generate", "--limit", "1", db=db_path).returncode == 0
    result = run_semi("validate", "--limit", "1", "--min-tests", "2", db=db_path)
    assert result.returncode == 0, result.stderr
    with Store(db_path) as store:
        params = {run["kind"]: run["params"] for run in store.runs()}
    assert params["generate"]["min_usable_tests"] == 7  # the saved setting
    assert params["validate"]["min_usable_tests"] == 2  # the option given


def test_the_pipeline_commands_options_are_named_after_the_settings_fields(db_path):
    import dataclasses

    import click

    from semi_core.cli import generate_command, run_command, validate_command
    from semi_core.pipeline import PipelineSettings
    from semi_core.store import Store

    fields = {field.name for field in dataclasses.fields(PipelineSettings)}
    for command in (generate_command, validate_command, run_command):
        names = {p.name for p in command.params if isinstance(p, click.Option)} - {"pairs"}
        assert names <= fields, (command.name, names - fields)
    # the flags as users type them still set their fields
    assert run_semi("demo", db=db_path).returncode == 0
    assert run_semi("generate", "--limit", "1", db=db_path).returncode == 0
    result = run_semi("validate", "--limit", "1", "--timeout", "1.5", "--no-test-strength",
                      "--address", "head:6379", db=db_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    with Store(db_path) as store:
        params = {run["kind"]: run["params"] for run in store.runs()}
    assert params["generate"]["test_strength"] is True
    assert params["validate"]["timeout_s"] == 1.5
    assert params["validate"]["test_strength"] is False
    assert params["validate"]["ray_address"] == "head:6379"


def test_review_and_settle_from_the_command_line(db_path):
    from semi_core.store import Store

    assert run_semi("demo", db=db_path).returncode == 0
    assert run_semi("run", "--limit", "1", "--no-test-strength", db=db_path).returncode == 0
    queue = json.loads(run_semi("queue", "--annotator", "ada", "--json", db=db_path).stdout)
    pair = queue[0]["id"]
    assert run_semi("review", pair, "accept", "--annotator", "ada", db=db_path).returncode == 0
    assert run_semi("review", pair, "reject", "--annotator", "bob", db=db_path).returncode == 0
    settled = run_semi("settle", pair, "accept", "--annotator", "lead", db=db_path)
    assert settled.returncode == 0, settled.stderr
    unknown = run_semi("settle", "nope", "accept", "--annotator", "lead", db=db_path)
    assert unknown.returncode == 1 and "no pair" in unknown.stderr
    with Store(db_path) as store:
        assert store.decision_counts() == {"accept": 1}
        assert [e["action"] for e in store.review_events(pair)] == ["accept", "reject", "accept"]


def test_stats_add_up_the_mutants_killed_and_branches_covered(tmp_path, db_path):
    from semi_core.store import Store

    code = (
        "def sign(x):\n    if x > 0:\n        return 1\n    return 0\n\n\n"
        "def clamp(xs, top):\n    out = []\n    for x in xs:\n        if x > top:\n"
        "            x = top\n        out.append(x)\n    return out\n"
    )
    write(tmp_path / "m.py", code)
    result = run_semi("run", str(tmp_path / "m.py"), "--inputs-per-pair", "6", db=db_path)
    assert result.returncode == 0, result.stderr
    totals = json.loads(run_semi("stats", "--json", db=db_path).stdout)["test_strength"]
    with Store(db_path) as store:
        signals = [v["signals"] for v in store.current_verdicts(["validated"])]
    assert totals["pairs"] == len(signals) == 2
    for key in ("mutants_tried", "mutants_killed", "branches_covered", "branches_known"):
        assert totals[key] == sum(s[key] for s in signals), key
    assert totals["branches_known"] == 2 + 4
    assert totals["killing_tests"] == sum(len(s["kills_by_input"]) for s in signals) > 0
    shown = run_semi("stats", db=db_path).stdout
    assert f"branches covered {totals['branches_covered']}/6" in shown
