"""Tests of ``tests/mutation_report.py``: outcome counting and the issue-10 bar it enforces."""

from __future__ import annotations

import pytest

from tests import mutation_report as report


def test_a_mutant_without_tests_counts_as_decided_but_not_killed():
    counts, decided, killed = report._outcome_counts({"a": 1, "b": 0, "c": 33, "d": None, "e": 36})
    assert (decided, killed) == (4, 2)
    assert counts["not checked"] == 1 and counts["no tests"] == 1


def test_a_complete_run_at_the_bar_with_every_survivor_explained_passes():
    counts, decided, killed = report._outcome_counts({f"k{i}": 1 for i in range(9)} | {"s": 0})
    assert report._failures(counts, decided, killed, unexplained=0) == []


def test_an_incomplete_run_a_low_kill_rate_and_unexplained_survivors_each_fail():
    counts, decided, killed = report._outcome_counts({"a": 1, "b": 0, "c": 0, "d": None})
    failures = report._failures(counts, decided, killed, unexplained=2)
    assert len(failures) == 3
    assert any("not run" in f for f in failures) and any("below 90%" in f for f in failures)
    assert any("unexplained" in f for f in failures)


def test_a_wording_only_change_of_an_error_message_is_explained_but_a_dropped_message_is_not():
    assert report._message_only(['raise ValueError(f"{name} is empty")'], ['raise ValueError(f"XX{name} is emptyXX")'])
    assert not report._message_only(['raise ValueError(f"{name} is empty")'], ["raise ValueError(None)"])


def test_every_reason_names_a_function_and_a_line_pattern_that_compile():
    import re

    for fn_pattern, line_pattern, reason in report.REASONS:
        re.compile(fn_pattern), re.compile(line_pattern)
        assert reason.strip()


def test_functions_no_test_reaches_are_named():
    codes = {
        "harness.evidence.rules.one_sample.xǁQuantileǁ__call____mutmut_1": 33,
        "harness.evidence.rules.exact.x_holm__mutmut_2": 1,
    }
    assert report._untested_functions(codes) == ["xǁQuantileǁ__call__"]


def test_reasons_that_match_no_survivor_are_reported_as_stale():
    survivors = [("_bca_shift", "return -math.inf if v <= 0.0 else math.inf")]
    unused = report._unused_reasons(survivors)
    assert all(entry[0] != "_bca_shift" for entry in unused) and len(unused) == len(report.REASONS) - 1


def test_a_note_file_is_put_under_the_header_and_a_bad_option_is_a_usage_error(tmp_path):
    note = tmp_path / "note.md"
    note.write_text("The run resumed a partial one.\n\n- phase 2: fast tests\n")
    assert report._note(["--note", str(note)]) == ["The run resumed a partial one.", "", "- phase 2: fast tests", ""]
    assert report._note([]) == []
    with pytest.raises(SystemExit, match="usage: python -m tests.mutation_report"):
        report._note(["--note"])
