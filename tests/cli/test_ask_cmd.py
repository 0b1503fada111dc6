"""`lakechat ask` and `lakechat chat`: answers in the terminal, sessions that continue, and
clear failures."""

from __future__ import annotations

import json
from pathlib import Path

from lakechat.settings import default_lakehouse_path
from tests.cli.test_cli import lakechat, ok


def env(tpch_home: Path) -> dict[str, str]:
    return {"LAKEHOUSE_PATH": str(default_lakehouse_path(tpch_home))}


def test_ask_and_continue_the_session(tpch_home: Path) -> None:
    year = json.loads(ok("ask", "What was total revenue in 1995?", "--json", env=env(tpch_home)))
    assert year["status"] == "answered" and year["row_count"] == 1
    assert year["plan"]["type"] == "semantic" and year["sql"].startswith("SELECT")
    sid = year["session_id"]
    months = json.loads(ok("ask", "and by month?", "--session", sid, "--json", env=env(tpch_home)))
    assert months["session_id"] == sid and months["row_count"] == 12
    assert abs(sum(row[1] for row in months["rows"]) - year["rows"][0][0]) < 1


def test_the_terminal_answer(tpch_home: Path) -> None:
    out = " ".join(ok("ask", "Revenue by region", env=env(tpch_home)).split())
    assert "Net revenue by customer region" in out
    for region in ("AFRICA", "AMERICA", "ASIA", "EUROPE", "MIDDLE EAST"):
        assert region in out
    assert "SQL: SELECT" in out and "confidence" in out and "Try:" in out
    assert "(continue with --session " in out


def test_a_long_answer_shows_fifty_rows_and_says_how_many_more(tpch_home: Path) -> None:
    out = ok("ask", "Revenue by region and month", env=env(tpch_home))
    shown = [line for line in out.splitlines() if line.startswith("│")]
    assert len(shown) == 50
    assert "… and 349 more rows (--json shows all)" in out


def test_bad_input_is_a_clear_failure(tpch_home: Path) -> None:
    for args, message in (
        (["   "], "the message is empty"),
        (["x" * 1001], "the message is 1001 characters; the limit is 1000"),
        (["Revenue by region", "--session", "nope"], "no chat session 'nope'"),
    ):
        result = lakechat("ask", *args, env=env(tpch_home))
        assert result.returncode == 1, (args, result.stdout)
        assert message in result.stderr and "Traceback" not in result.stderr


def test_chat_keeps_the_session_until_exit(tpch_home: Path) -> None:
    script = "\n".join([
        "What was total revenue in 1995?", "", "   ", "and by month?", "y" * 1001, "exit",
        "Revenue by region",
    ])  # fmt: skip
    result = lakechat("chat", env=env(tpch_home), input=script + "\n")
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.split())
    assert "Net revenue in 1995 was" in out
    assert "Net revenue by month of order date in 1995" in out and "(12 rows)" in out
    assert "Net revenue by customer region" not in out  # asked after exit
    assert "the message is 1001 characters" in result.stderr
    sid = result.stdout.split()[-1]
    continued = json.loads(
        ok("ask", "and by year?", "--session", sid, "--json", env=env(tpch_home))
    )
    assert continued["session_id"] == sid


def test_chat_ends_at_the_end_of_input(tpch_home: Path) -> None:
    result = lakechat("chat", env=env(tpch_home), input="Revenue by region\n")
    assert result.returncode == 0, result.stderr
    assert "MIDDLE EAST" in result.stdout and result.stdout.split()[-2] == "session"
