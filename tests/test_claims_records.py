"""Claim records, protocols, seed derivation (``harness.evidence.claims``), the ledger
(``harness.evidence.ledger``) and atomic writes (``harness.evidence.files``)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np
import pytest

from harness.evidence.claims import (
    TEST_KINDS,
    CalibrationTarget,
    Claim,
    Protocol,
    Setting,
    claim_seed_sequence,
    counted_verdict,
    protocol_to_dict,
)
from harness.evidence.files import atomic_write_text
from harness.evidence.ledger import (
    LedgerError,
    LedgerMissingError,
    LedgerSeedError,
    compare_ledger,
    ledger_to_json,
    load_ledger_file,
    save_ledger,
    stale_tier_ids,
    update_ledger_file,
    updated_ledger,
)
from harness.evidence.verdicts import Evidence, Verdict

SOURCE = "002_12f8b00312862f98.txt"


@dataclass(frozen=True)
class ToyProtocol(Protocol):
    # Population size.
    population: Setting = Setting(50, "stated", "table 3.2")
    # Learning rate.
    lr: Setting = Setting(0.01, "assumed", "not stated; Adam default-ish")


def make_claim(**overrides) -> Claim:
    kwargs = dict(
        id="002.relu1.success_p0",
        source=SOURCE,
        statement="100% (50/50)",
        reported={"rate": 1.0},
        protocol=ToyProtocol(),
        test="rate_at_least",
        alpha=0.05,
        n=50,
    )
    kwargs.update(overrides)
    return Claim(**kwargs)


# ---------------------------------------------------------------------------- claim records


def test_valid_claim_is_frozen_and_reported_read_only():
    claim = make_claim()
    with pytest.raises(AttributeError):
        claim.alpha = 0.1  # type: ignore[misc]
    with pytest.raises(TypeError):
        claim.reported["rate"] = 0.5  # type: ignore[index]
    assert claim.doc == "002"
    assert hash(claim) == hash(make_claim())


@pytest.mark.parametrize(
    "overrides, message",
    [
        pytest.param({"test": "t_test_of_vibes"}, "unknown test kind 't_test_of_vibes'", id="unknown_test_kind"),
        pytest.param({"alpha": 0.0}, "alpha must lie strictly between 0 and 1", id="alpha_zero"),
        pytest.param({"alpha": 1.0}, "alpha must lie strictly between 0 and 1", id="alpha_one"),
        pytest.param({"alpha": -0.1}, "alpha must lie strictly between 0 and 1", id="alpha_negative"),
        pytest.param({"n": 0}, "n must be a positive integer", id="n_zero"),
        pytest.param({"n": 2.5}, "n must be a positive integer", id="n_float"),
        pytest.param({"n_full": 0}, "n_full must be a positive integer", id="n_full_zero"),
        pytest.param({"n_fixed": "  "}, "n_fixed must be a non-empty reason", id="n_fixed_blank"),
        pytest.param({"statement": "   "}, "statement is empty", id="empty_statement"),
        pytest.param({"id": "2.relu1.x"}, "is malformed", id="id_short_number"),
        pytest.param({"id": "002.relu1"}, "is malformed", id="id_two_parts"),
        pytest.param({"id": "002.ReLU.x"}, "is malformed", id="id_upper_case"),
        pytest.param({"id": "001.relu1.x"}, "does not match source document", id="id_source_mismatch"),
        pytest.param({"source": "notes.txt"}, "is not a source file name", id="bad_source_name"),
        pytest.param(
            {"source": "002_12f8b00312862f98.txt\n"}, "is not a source file name", id="source_trailing_newline"
        ),
        pytest.param({"protocol": {"lr": 0.1}}, "protocol must be an instance of a Protocol", id="dict_protocol"),
        pytest.param({"reported": [1.0]}, "reported must be a mapping", id="reported_list"),
        pytest.param({"family": ""}, "family must be a non-empty string", id="empty_family"),
    ],
)
def test_malformed_claim_raises_clear_value_error(overrides, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make_claim(**overrides)


@pytest.mark.parametrize("kind", sorted(TEST_KINDS))
def test_every_rule_kind_is_decided_by_registered_rules(kind):
    # "self_consistency" is checked with rules.exact_value on the document's own numbers.
    from harness.evidence import rules

    assert rules.KINDS[kind], f"claim kind {kind!r} has no rule"
    assert all(callable(rules.REGISTRY[name].function) for name in rules.KINDS[kind])


def test_n_for_tier():
    assert make_claim(n=50).n_for("quick") == 50
    assert make_claim(n=50).n_for("full") == 50
    assert make_claim(n=50, n_full=400).n_for("full") == 400
    with pytest.raises(ValueError, match="unknown tier"):
        make_claim().n_for("medium")


# ---------------------------------------------------------------------------- protocols


def test_protocol_fields_must_be_settings():
    @dataclass(frozen=True)
    class Bad(Protocol):
        lr: object = 0.1

    with pytest.raises(ValueError, match=r"Bad.lr must be a Setting"):
        Bad()


def test_setting_status_is_validated_and_non_stated_needs_a_note():
    with pytest.raises(ValueError, match="status must be one of stated, calibrated, assumed"):
        Setting(1, "guessed", "x")
    with pytest.raises(ValueError, match="needs a note"):
        Setting(1, "assumed")
    Setting(1, "stated")  # a stated setting may go without a note


def test_protocol_to_dict_is_plain_json():
    @dataclass(frozen=True)
    class P(Protocol):
        shape: Setting = Setting((4, 2), "stated", "")
        scale: Setting = Setting(np.float32(0.5), "calibrated", "median of 100 draws")

    d = protocol_to_dict(P())
    assert d == {
        "shape": {"value": [4, 2], "status": "stated", "note": ""},
        "scale": {"value": 0.5, "status": "calibrated", "note": "median of 100 draws"},
    }
    json.dumps(d)


# ---------------------------------------------------------------------------- seeds


def test_claim_seed_sequence_is_pinned():
    # Pinned numbers: a change here changes every claim's random stream.
    state = claim_seed_sequence(0, "002.relu1.success_p0").generate_state(2).tolist()
    assert state == claim_seed_sequence(0, "002.relu1.success_p0").generate_state(2).tolist()
    assert state == [2682959567, 1808888010]


def test_claim_seed_sequence_uses_crc32_not_hash():
    import zlib

    assert zlib.crc32(b"002.relu1.success_p0") == 415393843
    seq = claim_seed_sequence(7, "002.relu1.success_p0")
    assert seq.entropy == 7 and seq.spawn_key == (415393843,)


def test_claim_seed_sequence_differs_by_seed_and_id():
    a = claim_seed_sequence(0, "002.relu1.a").generate_state(4).tolist()
    b = claim_seed_sequence(0, "002.relu1.b").generate_state(4).tolist()
    c = claim_seed_sequence(1, "002.relu1.a").generate_state(4).tolist()
    assert len({tuple(a), tuple(b), tuple(c)}) == 3


def test_claim_seed_sequence_stable_across_processes():
    import subprocess
    import sys

    code = "from harness.evidence.claims import claim_seed_sequence as s; print(s(3, '000.x.y').generate_state(2).tolist())"
    env = {**os.environ, "PYTHONHASHSEED": "123"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=os.path.dirname(os.path.dirname(__file__)),
    )
    assert out.stdout.strip() == str(claim_seed_sequence(3, "000.x.y").generate_state(2).tolist())


@pytest.mark.parametrize("bad", [-1, 1.5, True])
def test_claim_seed_sequence_rejects_bad_seed(bad):
    with pytest.raises(ValueError):
        claim_seed_sequence(bad, "002.relu1.a")


# ---------------------------------------------------------------------------- ledger


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_ledger_is_an_error_naming_the_path(tmp_path):
    path = tmp_path / "ledgr.json"
    with pytest.raises(LedgerMissingError, match="not found") as info:
        load_ledger_file(path)
    assert str(path) in str(info.value) and isinstance(info.value, LedgerError)


def test_ledger_round_trip_is_canonical(tmp_path):
    ledger = {
        "002.b.x": {"full": Verdict.REFUTED, "quick": Verdict.INCONCLUSIVE},
        "002.a.x": {"quick": Verdict.CONFIRMED},
    }
    path = tmp_path / "ledger.json"
    save_ledger(path, ledger)
    assert load_ledger_file(path).claims == ledger
    text = path.read_text()
    assert text == ledger_to_json(ledger)
    assert text.index("002.a.x") < text.index("002.b.x")
    assert text.index('"quick"', text.index("002.b.x")) < text.index('"full"', text.index("002.b.x"))
    assert json.loads(text)["schema"] == 1


@pytest.mark.parametrize(
    "text, message",
    [
        pytest.param("{not json", "is not valid JSON", id="bad_json"),
        pytest.param(
            '{"schema": 1, "claims": {"002.a.x": {"quick": "maybe"}}}', "unknown verdict 'maybe'", id="unknown_verdict"
        ),
        pytest.param(
            '{"schema": 1, "claims": {"002.a.x": {"quick": "confirmed"}, "002.a.x": {"quick": "refuted"}}}',
            "duplicate key '002.a.x'",
            id="duplicate_id",
        ),
        pytest.param('{"schema": 2, "claims": {}}', 'expected {"schema": 1', id="wrong_schema"),
        pytest.param(
            '{"schema": 1, "claims": {"nope": {"quick": "refuted"}}}', "malformed claim id 'nope'", id="bad_id"
        ),
        pytest.param('{"schema": 1, "claims": {"002.a.x": {"slow": "refuted"}}}', "unknown tier 'slow'", id="bad_tier"),
        pytest.param('{"schema": 1, "claims": {"002.a.x": {"quick": 1}}}', "verdict must be a string", id="non_string"),
        pytest.param('{"schema": 1, "claims": {}, "extra": 1}', "unexpected top-level keys", id="extra_key"),
        pytest.param(
            '{"schema": 1, "claims": {"002.a.x\\n": {"quick": "refuted"}}}',
            "malformed claim id '002.a.x\\\\n'",
            id="id_with_trailing_newline",
        ),
        pytest.param('{"schema": 1, "master_seed": -1, "claims": {}}', "master_seed must be an integer", id="bad_seed"),
        pytest.param(
            '{"schema": 1, "master_seed": true, "claims": {}}', "master_seed must be an integer", id="bool_seed"
        ),
    ],
)
def test_corrupt_ledger_raises_clear_error(tmp_path, text, message):
    path = write(tmp_path / "ledger.json", text)
    with pytest.raises(LedgerError, match=message.replace("{", r"\{").replace('"', '"')) as info:
        load_ledger_file(path)
    assert str(path) in str(info.value)


def test_ledger_with_a_non_utf8_byte_is_a_ledger_error_naming_the_byte(tmp_path):
    path = tmp_path / "ledger.json"
    path.write_bytes(b'{"schema": 1, "claims": {"002.a.x": {"quick": "refut\xe9d"}}}')
    with pytest.raises(LedgerError, match=r"is not UTF-8 text: byte 0xe9 at offset 52") as info:
        load_ledger_file(path)
    assert str(path) in str(info.value)


def test_ledger_records_its_master_seed_and_refuses_verdicts_of_another(tmp_path):
    path = tmp_path / "ledger.json"
    assert update_ledger_file(path, {"002.a.x": Verdict.REFUTED}, "quick", master_seed=3).created
    assert load_ledger_file(path).master_seed == 3 and json.loads(path.read_text())["master_seed"] == 3
    before = path.read_text()
    with pytest.raises(LedgerSeedError, match="holds the verdicts of master seed 3, and this run used master seed 0"):
        update_ledger_file(path, {"002.a.x": Verdict.CONFIRMED}, "quick", master_seed=0)
    assert path.read_text() == before
    write(path, '{"schema": 1, "claims": {}}')  # written before the seed was recorded: seed 0
    assert load_ledger_file(path).master_seed == 0


def test_compare_and_update_ledger():
    ledger = {"002.a.x": {"quick": Verdict.CONFIRMED, "full": Verdict.CONFIRMED}, "002.a.y": {"quick": Verdict.REFUTED}}
    observed = {"002.a.x": Verdict.REFUTED, "002.a.y": Verdict.REFUTED, "002.a.z": Verdict.CONFIRMED}
    assert compare_ledger(ledger, observed, "quick") == {
        "002.a.x": (Verdict.CONFIRMED, Verdict.REFUTED),
        "002.a.z": (None, Verdict.CONFIRMED),
    }
    new = updated_ledger(ledger, observed, "quick")
    assert new["002.a.x"] == {"quick": Verdict.REFUTED, "full": Verdict.CONFIRMED}  # other tier kept
    assert new["002.a.z"] == {"quick": Verdict.CONFIRMED}
    assert ledger["002.a.x"]["quick"] == Verdict.CONFIRMED  # input not mutated


def test_update_ledger_file_merges_under_the_lock_and_removes_stale_temps(tmp_path):
    path = tmp_path / "ledger.json"
    save_ledger(path, {"002.a.x": {"quick": Verdict.CONFIRMED}, "002.a.gone": {"full": Verdict.REFUTED}})
    stale = tmp_path / ".ledger.json.k1ll3d.tmp"  # what a writer killed before its rename leaves
    stale.write_text("{partial")
    done = update_ledger_file(path, {"002.a.y": Verdict.REFUTED}, "quick")
    assert (done.created, done.changed, done.pruned) == (False, True, ())
    assert load_ledger_file(path).claims == {
        "002.a.x": {"quick": Verdict.CONFIRMED},
        "002.a.gone": {"full": Verdict.REFUTED},
        "002.a.y": {"quick": Verdict.REFUTED},
    }  # entries it did not measure are kept
    assert not stale.exists()
    done = update_ledger_file(path, {"002.a.y": Verdict.REFUTED}, "quick", keep_only={"002.a.x", "002.a.y"})
    assert done.pruned == ("002.a.gone",) and "002.a.gone" not in load_ledger_file(path).claims
    assert update_ledger_file(path, {"002.a.y": Verdict.REFUTED}, "quick").changed is False


def test_update_ledger_file_prunes_the_tier_entry_of_claims_the_tier_no_longer_runs(tmp_path):
    path = tmp_path / "ledger.json"
    save_ledger(
        path, {"002.a.x": {"quick": Verdict.CONFIRMED, "full": Verdict.REFUTED}, "002.a.q": {"quick": Verdict.REFUTED}}
    )
    done = update_ledger_file(path, {}, "quick", not_in_tier={"002.a.x", "002.a.q", "002.a.new"})
    assert done.pruned_tier == ("002.a.q", "002.a.x")
    assert load_ledger_file(path).claims == {"002.a.x": {"full": Verdict.REFUTED}}  # an entry left empty goes


def test_stale_tier_ids_lists_only_entries_holding_that_tier():
    ledger = {"002.a.x": {"full": Verdict.REFUTED}, "002.a.y": {"quick": Verdict.REFUTED}}
    assert stale_tier_ids(ledger, "quick", ["002.a.x", "002.a.y", "002.a.z"]) == ["002.a.y"]
    with pytest.raises(ValueError, match="unknown tier 'slow'"):
        stale_tier_ids(ledger, "slow", [])


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write any file")
def test_update_ledger_file_refuses_a_read_only_ledger(tmp_path):
    path = tmp_path / "ledger.json"
    save_ledger(path, {})
    path.chmod(0o444)
    with pytest.raises(PermissionError, match="is read-only"):
        update_ledger_file(path, {"002.a.x": Verdict.CONFIRMED}, "quick")
    assert load_ledger_file(path).claims == {}


def test_update_ledger_file_creates_a_missing_ledger(tmp_path):
    path = tmp_path / "new" / "ledger.json"
    assert update_ledger_file(path, {"002.a.x": Verdict.CONFIRMED}, "quick").created
    assert load_ledger_file(path).claims == {"002.a.x": {"quick": Verdict.CONFIRMED}}


# ---------------------------------------------------------------------------- atomic writes


def test_atomic_write_replaces_whole_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "sub" / "out.json"
    atomic_write_text(path, "old")
    atomic_write_text(path, "new")
    assert path.read_text() == "new"
    assert sorted(p.name for p in path.parent.iterdir()) == ["out.json"]


def test_atomic_write_keeps_permissions(tmp_path):
    fresh = tmp_path / "fresh.json"
    atomic_write_text(fresh, "x")
    umask = os.umask(0)
    os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0o600
    fresh.chmod(0o640)
    atomic_write_text(fresh, "y")
    assert fresh.stat().st_mode & 0o777 == 0o640


def test_atomic_write_failure_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ledger.json"
    save_ledger(path, {"002.a.x": {"quick": Verdict.CONFIRMED}})
    before = path.read_text()

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        save_ledger(path, {"002.a.x": {"quick": Verdict.REFUTED}})
    assert path.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.json"]


@pytest.mark.parametrize(
    "settings, procedure",
    [((), "grid"), (["noise"], "grid"), (("noise", ""), "grid"), (("noise",), " "), (("noise",), None)],
)
def test_calibration_target_rejects_malformed_fields(settings, procedure):
    with pytest.raises(ValueError, match="calibration target"):
        CalibrationTarget(settings, procedure)


def test_claim_rejects_a_prediction_flag_that_is_not_a_bool():
    with pytest.raises(ValueError, match="prediction must be a bool"):
        make_claim(prediction="yes")


def test_claim_rejects_a_calibration_target_that_is_not_one():
    with pytest.raises(ValueError, match="calibration_target must be a CalibrationTarget"):
        make_claim(calibration_target=True)


@pytest.mark.parametrize("verdict", list(Verdict))
def test_a_calibration_target_counts_inconclusive_whatever_its_fit(verdict):
    evidence = Evidence(verdict, 0.5, (0.4, 0.6), 0.5, None, 50, 0.05, "t")
    target = make_claim(calibration_target=CalibrationTarget(("lr", "scheme"), "control-arm grid"))
    assert counted_verdict(target, evidence) is Verdict.INCONCLUSIVE
    assert counted_verdict(make_claim(), evidence) is verdict
