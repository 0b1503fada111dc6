"""The benchmark runner: case files, result-set scoring with every failure reason, sessions
across a conversation's turns, {today} in gold SQL, and the report CI reads."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from lakechat.assistant.evaluation import (
    KNOWN_TAGS,
    TABLE_COLUMNS,
    EvalCase,
    compare_rows,
    load_cases,
    parse_cases,
    run_eval,
)
from lakechat.errors import BadRequest

TODAY = date(2026, 11, 23)
REGION_REVENUE = [("EUROPE", Decimal("100.50")), ("ASIA", Decimal("80.25")), ("AFRICA", 3)]


def answered(columns: list[str], rows: list[list[Any]], **extra: Any) -> dict[str, Any]:
    return {
        "status": "answered",
        "answer": "here you are",
        "columns": [{"name": name, "type": "DOUBLE"} for name in columns],
        "rows": rows,
        "sql": "SELECT 1",
        "confidence": 0.9,
        "session_id": "s-1",
        **extra,
    }


class FakeAssistant:
    """Answers from a table of questions, handing out a new session id per first turn."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, str | None]] = []
        self.sessions = 0

    def __call__(self, question: str, session_id: str | None) -> dict[str, Any]:
        self.calls.append((question, session_id))
        if session_id is None:
            self.sessions += 1
            session_id = f"session-{self.sessions}"
        answer = self.answers[question]
        if isinstance(answer, Exception):
            raise answer
        return {**answer, "session_id": session_id}


class FakeWarehouse:
    def __init__(self, results: dict[str, list[tuple[Any, ...]]]) -> None:
        self.results = results
        self.queries: list[str] = []

    def __call__(self, sql: str) -> list[tuple[Any, ...]]:
        self.queries.append(sql)
        return self.results[sql]


def case(**fields: Any) -> EvalCase:
    fields.setdefault("id", "c1")
    fields.setdefault("question", "revenue by region")
    return EvalCase.model_validate(fields)


def run_one(answer: Any, **fields: Any) -> Any:
    fields.setdefault("gold_rows", REGION_REVENUE)
    one = case(**fields)
    report = run_eval([one], FakeAssistant({one.turns[-1]: answer}), FakeWarehouse({}), today=TODAY)
    return report.results[0]


# scoring ---------------------------------------------------------------------------------
def test_column_order_and_names_do_not_matter() -> None:
    rows = [[80.25, "ASIA"], [3.0, "AFRICA"], [100.5, "EUROPE"]]
    result = run_one(answered(["Net revenue", "Customer region"], rows))
    assert result.passed, result.detail


def test_an_extra_column_beside_the_asked_number_is_fine() -> None:
    rows = [["EUROPE", 7, 100.5], ["ASIA", 5, 80.25], ["AFRICA", 1, 3]]
    assert run_one(answered(["region", "orders", "revenue"], rows)).passed


@pytest.mark.parametrize(
    ("got", "passes"),
    [
        (100.5 * (1 + 5e-7), True),  # inside the relative tolerance
        (100.5 * (1 + 5e-6), False),  # outside it
        ("100.5", False),  # text is not a number
    ],
)
def test_numbers_compare_with_a_relative_tolerance(got: Any, passes: bool) -> None:
    verdict = compare_rows([(Decimal("100.5"),)], [[got]])
    assert verdict.passed is passes


def test_tiny_numbers_compare_with_an_absolute_tolerance() -> None:
    assert compare_rows([(0.0,)], [[1e-10]]).passed
    assert not compare_rows([(0.0,)], [[1e-6]]).passed


def test_days_and_instants_compare_as_iso_text() -> None:
    gold = [(date(1995, 1, 1), 1), (datetime(2026, 11, 23, 3, 2, tzinfo=UTC), 2)]
    answer = [["1995-01-01T00:00:00", 1.0], ["2026-11-23T03:02:00Z", 2]]
    assert compare_rows(gold, answer).passed
    assert not compare_rows(gold, [["1995-01-02", 1], ["2026-11-23T03:02:00Z", 2]]).passed


def test_strings_are_stripped_and_none_equals_none() -> None:
    assert compare_rows([("EUROPE ", None)], [[" EUROPE", None]]).passed
    assert not compare_rows([("EUROPE", None)], [["EUROPE", 0]]).passed


def test_duplicate_rows_count_as_a_multiset() -> None:
    assert compare_rows([(1,), (1,), (2,)], [[2], [1], [1]]).passed
    verdict = compare_rows([(1,), (1,), (2,)], [[1], [2], [2]])
    assert verdict.reason == "wrong filter"


def test_a_missing_breakdown_is_a_missing_column() -> None:
    result = run_one(answered(["revenue"], [[183.75]]))
    assert result.reason == "missing column"


def test_another_dimension_in_place_of_the_asked_one_is_a_missing_column() -> None:
    rows = [["FRANCE", 100.5], ["CHINA", 80.25], ["KENYA", 3]]
    result = run_one(answered(["nation", "revenue"], rows))
    assert result.reason == "missing column"
    assert "'EUROPE'" in result.detail


def test_a_filter_too_narrow_is_missing_rows() -> None:
    result = run_one(answered(["region", "revenue"], [["EUROPE", 100.5], ["ASIA", 80.25]]))
    assert (result.reason, result.detail) == (
        "missing rows",
        "2 of 3 rows found; the answer has 2 rows",
    )


def test_a_filter_too_wide_is_extra_rows() -> None:
    rows = [["EUROPE", 100.5], ["ASIA", 80.25], ["AFRICA", 3], ["AMERICA", 9]]
    assert run_one(answered(["region", "revenue"], rows)).reason == "extra rows"


def test_partly_overlapping_rows_are_a_wrong_filter() -> None:
    rows = [["EUROPE", 100.5], ["ASIA", 80.25], ["AMERICA", 9]]
    assert run_one(answered(["region", "revenue"], rows)).reason == "wrong filter"


def test_no_gold_row_in_the_answer_is_wrong_rows() -> None:
    rows = [["EUROPE", 1], ["ASIA", 2], ["AFRICA", 4]]
    assert run_one(answered(["region", "revenue"], rows)).reason == "wrong rows"
    assert compare_rows([(42,)], [[41]]).reason == "wrong rows"


def test_wrong_days_are_wrong_rows_not_a_missing_column() -> None:
    verdict = compare_rows([(date(1995, 1, 1), 5)], [[date(1996, 1, 1), 6]])
    assert verdict.reason == "wrong rows"


def test_empty_results() -> None:
    assert compare_rows([], []).passed
    assert compare_rows([], [[1]]).reason == "extra rows"
    assert compare_rows([(1,)], []).reason == "missing rows"


def test_ordered_cases_compare_row_order_too() -> None:
    rows = [["ASIA", 80.25], ["EUROPE", 100.5], ["AFRICA", 3]]
    assert run_one(answered(["region", "revenue"], rows)).passed
    result = run_one(answered(["region", "revenue"], rows), ordered=True)
    assert result.reason == "wrong order"
    in_order = [["EUROPE", 100.5], ["ASIA", 80.25], ["AFRICA", 3]]
    assert run_one(answered(["region", "revenue"], in_order), ordered=True).passed


def test_columns_with_equal_values_are_told_apart_by_rows() -> None:
    # every number column holds {1, 2}: the rows decide which mapping (if any) is right
    gold = [("a", 1, 2), ("b", 2, 1)]
    assert compare_rows(gold, [["a", 1, 1], ["b", 2, 2]]).reason == "wrong rows"
    assert compare_rows(gold, [[2, "a", 1], [1, "b", 2]]).passed


def test_rows_given_as_objects_are_read_by_column_name() -> None:
    rows: list[Any] = [{"revenue": 100.5, "region": "EUROPE"}, {"revenue": 80.25, "region": "ASIA"},
            {"revenue": 3, "region": "AFRICA"}]  # fmt: skip
    assert run_one(answered(["region", "revenue"], rows)).passed


# statuses --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "reason"),
    [("clarify", "clarified"), ("refused", "refused"), ("error", "error"), ("thinking", "error")],
)
def test_an_answer_expected_but_not_given(status: str, reason: str) -> None:
    result = run_one({"status": status, "answer": "Which total do you mean?", "confidence": 1.0})
    assert (result.passed, result.reason, result.status) == (False, reason, status)
    assert not result.confident_wrong  # only an answered case states a wrong number


@pytest.mark.parametrize(
    ("expect", "status", "reason"),
    [
        ("clarify", "clarify", None),
        ("refused", "refused", None),
        ("clarify", "answered", "answered"),
        ("clarify", "refused", "refused"),
        ("refused", "clarify", "clarified"),
        ("refused", "error", "error"),
    ],
)
def test_clarify_and_refuse_cases_need_that_status(
    expect: str, status: str, reason: str | None
) -> None:
    result = run_one({"status": status, "answer": "..."}, gold_rows=None, expect=expect)
    assert (result.passed, result.reason) == (reason is None, reason)


def test_an_exception_in_ask_fails_the_case_and_the_run_goes_on() -> None:
    cases = [case(id="boom", question="boom", gold_rows=[[1]]),
             case(id="fine", question="fine", gold_rows=[[1]])]  # fmt: skip
    ask = FakeAssistant({"boom": RuntimeError("model server down"), "fine": answered(["n"], [[1]])})
    report = run_eval(cases, ask, FakeWarehouse({}), today=TODAY)
    boom, fine = report.results
    assert (boom.reason, boom.detail) == ("error", "RuntimeError: model server down")
    assert fine.passed


def test_a_gold_query_that_fails_is_reported_as_bad_gold_without_asking() -> None:
    ask = FakeAssistant({})
    report = run_eval([case(gold_sql="SELECT nope")], ask, FakeWarehouse({}), today=TODAY)
    assert report.results[0].reason == "bad gold"
    assert "KeyError" in report.results[0].detail
    assert ask.calls == []


# conversations, gold SQL -----------------------------------------------------------------
def test_a_conversation_keeps_its_session_and_scores_the_last_turn() -> None:
    turns = ["What was total revenue in 1995?", "and by month?"]
    other = "Revenue by region"
    ask = FakeAssistant({
        turns[0]: answered(["revenue"], [[999]]),
        turns[1]: answered(["month", "revenue"], [["1995-01-01", 1], ["1995-02-01", 2]]),
        other: answered(["region", "revenue"], [["EUROPE", 1]]),
    })  # fmt: skip
    cases = [
        case(id="conv", question=None, conversation=turns,
             gold_rows=[[date(1995, 1, 1), 1], [date(1995, 2, 1), 2]]),
        case(id="next", question=other, gold_rows=[["EUROPE", 1]]),
    ]  # fmt: skip
    report = run_eval(cases, ask, FakeWarehouse({}), today=TODAY)
    assert [r.passed for r in report.results] == [True, True]
    # each case starts a new session; the follow-up carries the first turn's session id
    assert ask.calls == [(turns[0], None), (turns[1], "session-1"), (other, None)]
    assert report.results[0].question == "and by month?"


def test_an_error_in_an_early_turn_names_the_turn() -> None:
    turns = ["revenue by year", "only 1995"]
    ask = FakeAssistant({turns[0]: ValueError("no"), turns[1]: answered(["n"], [[1]])})
    one = case(question=None, conversation=turns, gold_rows=[[1]])
    result = run_eval([one], ask, FakeWarehouse({}), today=TODAY).results[0]
    assert (result.reason, result.detail) == ("error", "turn 1: ValueError: no")


def test_today_in_gold_sql_becomes_the_evaluation_day() -> None:
    sql = "SELECT COUNT(*) FROM t WHERE d >= {today} - INTERVAL 7 DAY AND d < {today}"
    expected = (
        "SELECT COUNT(*) FROM t WHERE d >= DATE '2026-11-23' - INTERVAL 7 DAY "
        "AND d < DATE '2026-11-23'"
    )
    warehouse = FakeWarehouse({expected: [(12,)]})
    one = case(question="runs last week", gold_sql=sql)
    ask = FakeAssistant({"runs last week": answered(["runs"], [[12]])})
    report = run_eval([one], ask, warehouse, today=TODAY)
    assert warehouse.queries == [expected]
    assert report.results[0].passed


# the report ------------------------------------------------------------------------------
def test_the_report_counts_tags_and_flags_confident_wrong_numbers() -> None:
    cases = [
        case(id="right", question="q1", gold_rows=[[1]], tags=["tpch"]),
        case(id="unsure", question="q2", gold_rows=[[1]], tags=["tpch", "time"]),
        case(id="sure", question="q3", gold_rows=[[1]], tags=["time"]),
        case(id="ask", question="q4", expect="clarify", tags=["clarify"]),
    ]
    ask = FakeAssistant({
        "q1": answered(["n"], [[1]]),
        "q2": answered(["n"], [[2]], confidence=0.5),
        "q3": answered(["n"], [[2]], confidence=0.8),
        "q4": {"status": "clarify", "answer": "Which count?"},
    })  # fmt: skip
    progress: list[tuple[int, int]] = []
    report = run_eval(cases, ask, FakeWarehouse({}), today=TODAY,
                      progress=lambda done, total: progress.append((done, total)))  # fmt: skip
    assert progress == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert (report.total, report.passed, report.pass_rate) == (4, 2, 0.5)
    assert [r.id for r in report.confident_wrong] == ["sure"]
    assert {tag: (s.passed, s.total) for tag, s in report.by_tag.items()} == {
        "tpch": (1, 2), "time": (0, 2), "clarify": (1, 1),
    }  # fmt: skip
    problems = report.gate_failures()
    assert len(problems) == 2 and "2 of 4" in problems[0] and "sure" in problems[1]

    document = json.loads(json.dumps(report.to_json()))
    assert document["confident_wrong"] == ["sure"]
    assert document["by_reason"] == {"wrong rows": 2}
    failure = next(f for f in document["failures"] if f["id"] == "sure")
    assert failure["expected"] == "[[1]]" and failure["got"] == "[[2]]"
    assert failure["sql"] == "SELECT 1" and failure["question"] == "q3"

    rows = report.table_rows()
    assert [row[0] for row in rows] == ["sure", "unsure"]  # confident wrong answers first
    assert all(len(row) == len(TABLE_COLUMNS) for row in rows)
    assert rows[0][1] == "wrong rows: 0 of 1 row found; the answer has 1 row"


def test_excerpts_show_numbers_and_days_plainly() -> None:
    warehouse = FakeWarehouse({"SELECT g": [(date(1995, 1, 1), Decimal("100.50"))] * 4})
    ask = FakeAssistant({"q": answered(["month", "revenue"], [["1995-01-01", 1]])})
    result = run_eval([case(question="q", gold_sql="SELECT g")], ask, warehouse, today=TODAY)
    failure = result.results[0]
    assert failure.expected == (
        '[["1995-01-01", 100.5], ["1995-01-01", 100.5], ["1995-01-01", 100.5], ...] (4 rows)'
    )
    assert (failure.got, failure.reason) == ('[["1995-01-01", 1]]', "wrong rows")


def test_a_clean_run_passes_the_gate() -> None:
    ask = FakeAssistant({"q": answered(["n"], [[1]])})
    report = run_eval([case(question="q", gold_rows=[[1]])], ask, FakeWarehouse({}), today=TODAY)
    assert report.gate_failures() == []


# case files ------------------------------------------------------------------------------
def test_case_files_load_as_a_list_or_under_cases(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "- id: a1\n  question: revenue in 1995\n  gold_sql: SELECT 1\n  tags: [tpch, time]\n"
    )
    (tmp_path / "b.yaml").write_text(
        "cases:\n"
        "  - id: b1\n    conversation: [revenue by year, only 1995]\n    gold_rows: [[NO, 1]]\n"
        "  - id: b2\n    question: drop the lineitem table\n    expect: refused\n"
    )
    cases = load_cases(tmp_path)
    assert [c.id for c in cases] == ["a1", "b1", "b2"]
    assert cases[1].turns == ("revenue by year", "only 1995")
    assert cases[1].gold_rows == (("NO", 1),)  # YAML 1.2: NO is text, not false


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "- id: x\n  question: q\n",
            "case #1 'x': give exactly one of gold_sql, gold_rows and expect",
        ),
        (
            "- id: x\n  question: q\n  expect: maybe\n",
            "case #1 'x': expect: Input should be 'clarify' or 'refused'",
        ),
        ("- id: x\n  question: q\n  expect: clarify\n  gold_sql: S\n", "(got gold_sql and expect)"),
        ("- id: x\n  expect: clarify\n", "give exactly one of question and conversation"),
        (
            "- id: x\n  conversation: [one]\n  expect: clarify\n",
            "conversation: Tuple should have at least 2 items",
        ),
        (
            "- id: x\n  question: q\n  expect: clarify\n  tag: [tpch]\n",
            "case #1 'x': unknown key 'tag'",
        ),
        ("- id: x\n  question: q\n  expect: clarify\n  tags: [tpc]\n", "tags: unknown tag 'tpc'"),
        (
            "- {id: x, question: q, expect: clarify}\n- {id: y, question: q, gold_rows: [[1], [1, 2]]}\n",
            "case #2 'y': gold_rows: every row needs the same number of values",
        ),
        (
            "- {id: x, question: q, expect: clarify}\n- {id: x, question: r, expect: refused}\n",
            "case #2 'x': the id is used twice",
        ),
        ("- {id: x, question: q, expect: clarify, ordered: true}\n", "ordered compares rows"),
        ("- {question: q, expect: clarify}\n", "case #1: id: Field required"),
        ("{id: x}\n", "a case file is a list of cases"),
        ("- id: x\n  question: q: r\n", "bad.yaml:2: not valid YAML: mapping values are not"),
    ],
)
def test_bad_case_files_name_the_case_and_the_field(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(BadRequest) as raised:
        load_cases(path)
    assert message in raised.value.message
    assert str(path) in raised.value.message


def test_ids_are_unique_across_files(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / f"{name}.yaml").write_text("- {id: same, question: q, expect: refused}\n")
    with pytest.raises(BadRequest, match=r"b\.yaml: case id 'same' is also used in .*a\.yaml"):
        load_cases(tmp_path)


def test_parse_cases_accepts_every_known_tag() -> None:
    document = [{"id": "x", "question": "q", "expect": "clarify", "tags": sorted(KNOWN_TAGS)}]
    assert parse_cases(document)[0].tags == tuple(sorted(KNOWN_TAGS))
