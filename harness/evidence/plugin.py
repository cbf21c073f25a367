"""pytest plugin of the claims suite: markers, options, fixtures, ledger gating, reports, xdist.

A claim test is a test function marked with :func:`claim_test` (``pytest.mark.claim``) that
submits exactly one ``(claim, evidence)`` pair through the ``claims_verdict`` fixture::

    @claim_test(PLATEAU)
    def test_plateau_mse(claims_verdict):
        claims_verdict(PLATEAU, stats.exact_value(observed, 0.125, rel_tol=0.0, abs_tol=1e-12))

The test passes when the observed verdict equals the ledger's (``claims/ledger.json``) for the
tier being run. Under pytest-xdist, workers send their verdict records to the controller through
``workeroutput``; only the controller writes the report and the ledger, atomically, once.

This module holds the pytest glue only; claim records and the ledger live in ``harness.evidence.claims``,
report rendering in ``harness.evidence.reports``.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness.evidence.claims import (
    TIERS,
    Claim,
    Ledger,
    LedgerError,
    check_source,
    claim_seed_sequence,
    compare_ledger,
    load_ledger,
    save_ledger,
    updated_ledger,
)
from harness.evidence.reports import FigureRegistry, make_record, stability, write_reports
from harness.evidence.verdicts import Evidence, Verdict

__all__ = ["claim_test"]

_WORKEROUTPUT_KEY = "claims_records"
_NOT_RUN_KEY = "claims_not_run"


def claim_test(claim: Claim) -> pytest.MarkDecorator:
    """Mark a test as the test of ``claim`` (usable as a decorator or in ``pytest.param(marks=...)``).

    The test must request the ``claims_verdict`` fixture and call ``verdict(claim, evidence)`` once.
    """
    if not isinstance(claim, Claim):
        raise TypeError(f"claim_test expects a harness.evidence.claims.Claim, got {type(claim).__name__}")
    return pytest.mark.claim.with_args(claim)


# --------------------------------------------------------------------------------------------
# Session state
# --------------------------------------------------------------------------------------------


@dataclass
class _State:
    """Everything the plugin keeps for one pytest process (controller, worker or serial)."""

    tier: str
    master_seed: int  # the seed of the report and of the ledger comparison
    seeds: list[int] | None  # --claims-seeds: every claim test runs once per seed
    update: bool
    report_dir: Path
    sources_dir: Path
    ledger_path: Path
    threshold: float
    is_worker: bool
    ledger: Ledger = field(default_factory=dict)
    records: list[dict[str, Any]] = field(default_factory=list)
    seen: dict[tuple[str, int | None], str] = field(default_factory=dict)  # (claim id, seed) -> nodeid
    crashed: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)  # ids of claims deselected by the tier


_STATE = pytest.StashKey[_State]()
_RECORDER = pytest.StashKey["_Recorder"]()


def _state(config: pytest.Config) -> _State:
    return config.stash[_STATE]


# --------------------------------------------------------------------------------------------
# Options and markers
# --------------------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("claims", "empirical claims suite")
    group.addoption(
        "--claims-tier",
        choices=TIERS,
        default="quick",
        help="quick: documents' sample sizes (default); full: powered sample sizes, also runs @full tests",
    )
    group.addoption("--claims-seed", type=int, default=0, metavar="N", help="master seed (default 0)")
    group.addoption(
        "--claims-seeds",
        default=None,
        metavar="A:B",
        help="run every claim test once per master seed A..B-1 and report verdict stability",
    )
    group.addoption(
        "--claims-stability-threshold",
        type=float,
        default=0.8,
        metavar="F",
        help="with --claims-seeds: flag a claim fragile when fewer than F of the seeds give the ledger's verdict",
    )
    group.addoption(
        "--claims-update",
        action="store_true",
        default=False,
        help="accept the observed verdicts into the ledger (the only way the ledger is rewritten)",
    )
    group.addoption("--claims-report", default=None, metavar="DIR", help="report directory (default <rootdir>/reports)")
    group.addoption(
        "--claims-sources",
        default=None,
        metavar="DIR",
        help="source documents directory (default <rootdir>/../shared/sources)",
    )
    group.addoption(
        "--claims-ledger", default=None, metavar="PATH", help="ledger file (default <rootdir>/claims/ledger.json)"
    )


def _parse_seeds(text: str) -> list[int]:
    try:
        a, b = (int(p) for p in text.split(":"))
    except ValueError:
        raise pytest.UsageError(f"--claims-seeds expects A:B with integers A < B, got {text!r}") from None
    if not 0 <= a < b:
        raise pytest.UsageError(f"--claims-seeds expects 0 <= A < B, got {text!r}")
    return list(range(a, b))


_LOADGROUP_KEY = "claims_loadgroup"


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """With ``-n`` and no ``--dist`` (command line, ini or ``PYTEST_ADDOPTS``), distribute by group.

    Runs before xdist's own hook, which would otherwise turn ``--dist no`` into ``load``.
    Claims computed from one expensive piece (e.g. a table of 11 cross-validated models) share an
    ``xdist_group``, so ``-n`` runs each piece on one worker instead of once per worker; tests
    without a group are load-balanced one by one, as xdist's ``loadscope`` family does it.
    """
    if getattr(config.option, "numprocesses", None) and getattr(config.option, "dist", None) == "no":
        config.option.dist = "loadgroup"


def _learn_loadgroup(config: pytest.Config) -> None:
    """On an xdist worker: distribute by group when the controller does.

    A worker re-parses the command line, which has no ``--dist``, so it learns it from the
    controller (:func:`pytest_configure_node`).
    """
    if getattr(config, "workerinput", {}).get(_LOADGROUP_KEY):
        config.option.loadgroup = True


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``loadgroup`` that survives a crashing worker (see :func:`_crash_safe_loadgroup`)."""
    if config.getvalue("dist") != "loadgroup":
        return None
    return _crash_safe_loadgroup()(config, log)


def _crash_safe_loadgroup():
    """xdist's ``LoadGroupScheduling``, except that the test that crashed a worker is not run again.

    xdist 3.8 puts a crashed worker's whole work unit back in the queue, crashing test
    included, so each replacement worker crashes on it in turn and the run hangs (plain
    ``load`` drops the crashed test). Here the crashed test is marked done first and still
    reported as the crash.
    """
    from xdist.scheduler import LoadGroupScheduling

    class CrashSafeLoadGroupScheduling(LoadGroupScheduling):
        def remove_node(self, node):
            units = self.assigned_work.get(node, {}).values()
            unit, running = next(((u, nodeid) for u in units for nodeid, done in u.items() if not done), (None, None))
            if unit is not None:
                unit[running] = True
            super().remove_node(node)
            return running

    return CrashSafeLoadGroupScheduling


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """xdist controller: tell each worker whether tests are distributed by group."""
    node.workerinput[_LOADGROUP_KEY] = node.config.getoption("dist") == "loadgroup"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "quick: claim test of the default tier (documents' sample sizes)")
    config.addinivalue_line("markers", "full: claim test run only with --claims-tier full (powered sample sizes)")
    config.addinivalue_line("markers", "gpu: needs CUDA; skipped when torch sees no CUDA device")
    config.addinivalue_line("markers", "claim(claim): the test of one harness.evidence.claims.Claim (use claim_test)")
    config.addinivalue_line("markers", "xdist_group(name): run on the worker that runs the group's other tests")
    _learn_loadgroup(config)

    opt = config.getoption
    seed = opt("--claims-seed")
    if seed < 0:
        raise pytest.UsageError(f"--claims-seed must be >= 0, got {seed}")
    seeds = _parse_seeds(opt("--claims-seeds")) if opt("--claims-seeds") else None
    if seeds is not None and opt("--claims-update"):
        raise pytest.UsageError("--claims-update cannot be combined with --claims-seeds: the ledger holds one seed's verdicts")
    threshold = opt("--claims-stability-threshold")
    if not 0.0 < threshold <= 1.0:
        raise pytest.UsageError(f"--claims-stability-threshold must lie in (0, 1], got {threshold}")
    root = config.rootpath

    def path(option: str, default: Path) -> Path:
        value = opt(option)
        return Path(value).resolve() if value else default

    config.stash[_STATE] = _State(
        tier=opt("--claims-tier"),
        master_seed=seeds[0] if seeds else seed,
        seeds=seeds,
        update=opt("--claims-update"),
        report_dir=path("--claims-report", root / "reports"),
        sources_dir=path("--claims-sources", (root.parent / "shared" / "sources").resolve()),
        ledger_path=path("--claims-ledger", root / "claims" / "ledger.json"),
        threshold=threshold,
        is_worker=hasattr(config, "workerinput"),
    )


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    state = _state(session.config)
    try:
        state.ledger = load_ledger(state.ledger_path)
    except LedgerError as exc:
        raise pytest.UsageError(f"{exc}\nThe ledger was left as it is; fix it (or restore it from git) and rerun.") from None


def pytest_report_header(config: pytest.Config) -> str:
    state = _state(config)
    seeds = f"seeds {state.seeds[0]}..{state.seeds[-1]}" if state.seeds else f"master seed {state.master_seed}"
    update = ", --claims-update" if state.update else ""
    return f"claims: tier {state.tier}, {seeds}{update}, ledger {state.ledger_path}"


# --------------------------------------------------------------------------------------------
# Collection: claim-record validation, seeds, tiers, GPU
# --------------------------------------------------------------------------------------------


def _item_claim(item: pytest.Item) -> Claim | None:
    mark = item.get_closest_marker("claim")
    return None if mark is None else mark.args[0]


def _validate_item(item: pytest.Item, state: _State) -> None:
    marks = list(item.iter_markers("claim"))
    if not marks:
        return
    where = item.nodeid
    if len(marks) > 1:
        raise ValueError(f"{where}: a claim test tests one claim; found {len(marks)} claim marks")
    mark = marks[0]
    if len(mark.args) != 1 or mark.kwargs or not isinstance(mark.args[0], Claim):
        raise ValueError(f"{where}: use @claim_test(CLAIM) with one harness.evidence.claims.Claim")
    claim: Claim = mark.args[0]
    check_source(claim, state.sources_dir)
    if item.get_closest_marker("quick") and item.get_closest_marker("full"):
        raise ValueError(f"{where}: claim {claim.id!r} is marked both quick and full")
    if "claims_verdict" not in getattr(item, "fixturenames", ()):
        raise ValueError(f"{where}: claim test of {claim.id!r} must request the 'claims_verdict' fixture")
    callspec = getattr(item, "callspec", None)
    seed = callspec.params.get("claims_master_seed") if callspec is not None else None
    key = (claim.id, seed)
    other = state.seen.setdefault(key, item.nodeid)
    if other != item.nodeid:
        raise ValueError(f"{where}: claim id {claim.id!r} is already tested by {other}; ids must be unique")


@pytest.hookimpl(wrapper=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object):
    result = yield
    items = result if isinstance(result, list) else [result]
    state = _state(collector.config)
    for item in items:
        if isinstance(item, pytest.Item):
            try:
                _validate_item(item, state)
            except ValueError as exc:
                pytest.fail(f"malformed claim test: {exc}", pytrace=False)
    return result


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    state = _state(metafunc.config)
    if state.seeds is None:
        return
    # Every claim test requests ``claims_verdict``, which depends on ``claims_master_seed``.
    if "claims_master_seed" in metafunc.fixturenames:
        metafunc.parametrize("claims_master_seed", state.seeds, indirect=True, ids=[f"seed{s}" for s in state.seeds])


@pytest.hookimpl(trylast=True)  # after -k / -m deselection, so "not run" lists only claims the selection kept
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    state = _state(config)
    if state.tier != "full":
        deselected = [it for it in items if it.get_closest_marker("full")]
        state.not_run = sorted({m.args[0].id for it in deselected if (m := it.get_closest_marker("claim"))})
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = [it for it in items if not it.get_closest_marker("full")]
    gpu_items = [it for it in items if it.get_closest_marker("gpu")]
    if gpu_items:
        import torch

        if not torch.cuda.is_available():
            skip = pytest.mark.skip(reason="gpu test: torch sees no CUDA device")
            for it in gpu_items:
                it.add_marker(skip)


# --------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def claims_tier(request: pytest.FixtureRequest) -> str:
    """The tier being run: ``"quick"`` or ``"full"``; pass it to ``claim.n_for(tier)``."""
    return _state(request.config).tier


@pytest.fixture
def claims_master_seed(request: pytest.FixtureRequest) -> int:
    """The master seed of this test (one of ``--claims-seeds``, else ``--claims-seed``)."""
    return getattr(request, "param", _state(request.config).master_seed)


@pytest.fixture(scope="session")
def claims_device():
    """The torch device populations train on (``harness.engine.device.default_device()``)."""
    from harness.engine.device import default_device

    return default_device()


@pytest.fixture(scope="session")
def claims_expected_verdicts(request: pytest.FixtureRequest) -> dict[str, Verdict]:
    """The ledger's expected verdict of every claim in this tier (claim id -> Verdict), read-only copy.

    For claims read against other claims, e.g. a sweep reporting whether its main claim's
    verdict survives a change of setting.
    """
    state = _state(request.config)
    return {cid: tiers[state.tier] for cid, tiers in state.ledger.items() if state.tier in tiers}


@pytest.fixture
def claims_seed(request: pytest.FixtureRequest, claims_master_seed: int):
    """``claim_seed_sequence(claims_master_seed, claim.id)``: the SeedSequence of this test's claim."""
    claim = _item_claim(request.node)
    if claim is None:
        pytest.fail("the claims_seed fixture needs a claim: mark the test with @claim_test(CLAIM)", pytrace=False)
    return claim_seed_sequence(claims_master_seed, claim.id)


class _Recorder:
    """What the ``verdict`` fixture returns: ``verdict(claim, evidence)`` and ``verdict.figure(name, fig)``."""

    def __init__(self, item: pytest.Item, claim: Claim, state: _State, master_seed: int) -> None:
        self._item = item
        self._claim = claim
        self._state = state
        self._seed = master_seed
        self._figures = FigureRegistry()
        self._t0 = time.perf_counter()
        self.record: dict[str, Any] | None = None
        self.expected: Verdict | None = state.ledger.get(claim.id, {}).get(state.tier)

    def __call__(self, claim: Claim, evidence: Evidence) -> Verdict:
        """Submit the evidence for ``claim``; return its verdict. Gating happens when the test ends."""
        duration = time.perf_counter() - self._t0
        if claim != self._claim:
            pytest.fail(
                f"verdict() got claim {getattr(claim, 'id', claim)!r} but this test is marked with "
                f"{self._claim.id!r}",
                pytrace=False,
            )
        if self.record is not None:
            pytest.fail(f"verdict() called twice for claim {claim.id!r}; one claim, one verdict", pytrace=False)
        if not isinstance(evidence, Evidence):
            pytest.fail(f"verdict() expects a harness.evidence.verdicts.Evidence, got {type(evidence).__name__}", pytrace=False)
        if not math.isclose(evidence.alpha, claim.alpha, rel_tol=0.0, abs_tol=1e-12):
            pytest.fail(
                f"claim {claim.id!r} declares alpha={claim.alpha} but the evidence used alpha={evidence.alpha}",
                pytrace=False,
            )
        problem = _n_mismatch(claim, evidence, self._state.tier)
        if problem:
            pytest.fail(problem, pytrace=False)
        self.record = make_record(
            claim,
            evidence,
            tier=self._state.tier,
            master_seed=self._seed,
            expected=self.expected,
            duration_s=duration,
            figures=self._figures.to_json(),
        )
        self._state.records.append(self.record)
        return evidence.verdict

    def figure(self, name: str, fig) -> str:
        """Register a matplotlib Figure for this claim's report row; return its file name."""
        filename = self._figures.add(self._claim.id, name, fig)
        if self.record is not None:
            self.record["figures"] = self._figures.to_json()
        return filename

    def gate(self) -> None:
        """Fail the test unless the submitted verdict equals the ledger's (or --claims-update).

        Under ``--claims-seeds`` only the master seed is gated; the other seeds measure verdict
        stability, and a claim that changes with the seed is reported as fragile, not failed.
        """
        claim, state, record = self._claim, self._state, self.record
        if record is None:
            pytest.fail(f"claim test of {claim.id!r} finished without calling verdict(claim, evidence)", pytrace=False)
        if state.update or (state.seeds is not None and self._seed != state.master_seed):
            return
        observed = record["verdict"]
        if self.expected is None:
            pytest.fail(
                f"claim {claim.id!r} has no {state.tier!r} verdict in the ledger {state.ledger_path}; "
                f"observed {observed!r}. Rerun with --claims-update to accept it.\n{_describe(record)}",
                pytrace=False,
            )
        if observed != self.expected.value:
            pytest.fail(
                f"claim {claim.id!r} verdict changed: expected {self.expected.value!r} (ledger, tier "
                f"{state.tier!r}), observed {observed!r}.\n{_describe(record)}\n"
                "If the change is right, rerun with --claims-update and commit the ledger.",
                pytrace=False,
            )


def _n_mismatch(claim: Claim, evidence: Evidence, tier: str) -> str | None:
    """Why ``evidence``'s n does not fit ``claim``'s declared n for ``tier`` (None when it fits).

    A plain claim's evidence has exactly n. A ``subset`` claim's evidence comes from a population of
    exactly n runs (``population_n``) and has n <= population_n (``Evidence`` checks the bound).
    """
    n = claim.n_for(tier)
    if claim.subset is None and (evidence.n != n or evidence.population_n not in (None, n)):
        return f"claim {claim.id!r} declares n={n} for tier {tier!r} but the evidence has n={evidence.n}"
    if claim.subset is not None and evidence.population_n != n:
        return (
            f"claim {claim.id!r} declares n={n} runs for tier {tier!r}, of which {claim.subset!r} are tested, but the "
            f"evidence says it came from population_n={evidence.population_n}; use evidence.over_subset({n})"
        )
    return None


def _describe(record: dict[str, Any]) -> str:
    ci = "none" if record["ci"] is None else f"[{record['ci'][0]:.6g}, {record['ci'][1]:.6g}]"
    lines = [
        f"  statement: {record['statement']!r} ({record['source']})",
        f"  reported:  {record['reported']}",
        f"  evidence:  test={record['test']} estimate={record['estimate']} ci={ci} p={record['p_value']} "
        f"effect={record['effect_size']} n={record['n']} alpha={record['alpha']} mde={record['mde']} "
        f"seed={record['master_seed']}",
    ]
    if record["detail"]:
        lines.append(f"  detail:    {record['detail']}")
    return "\n".join(lines)


@pytest.fixture
def claims_verdict(request: pytest.FixtureRequest, claims_master_seed: int) -> _Recorder:
    """Submit ``(claim, evidence)`` for the claim this test is marked with: ``verdict(CLAIM, ev)``.

    ``verdict.figure(name, fig)`` adds a figure to the claim's report row. The test passes when
    the verdict equals the ledger's for this tier (checked when the test body returns).
    """
    claim = _item_claim(request.node)
    if claim is None:
        pytest.fail("the verdict fixture needs a claim: mark the test with @claim_test(CLAIM)", pytrace=False)
    recorder = _Recorder(request.node, claim, _state(request.config), claims_master_seed)
    request.node.stash[_RECORDER] = recorder
    return recorder


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    try:
        result = yield  # re-raises whatever the test raised
    except (Exception, pytest.fail.Exception):
        _record_crash(item)
        raise
    recorder = item.stash.get(_RECORDER, None)
    if recorder is not None:
        recorder.gate()
    return result


def _record_crash(item: pytest.Item) -> None:
    """A claim test that raised before submitting evidence leaves a ``crashed`` record, so that
    ``--claims-seeds`` counts the seed as a failure instead of dropping it."""
    recorder = item.stash.get(_RECORDER, None)
    if recorder is not None and recorder.record is None:
        claim = recorder._claim
        recorder._state.records.append(
            {"id": claim.id, "master_seed": recorder._seed, "verdict": "crashed", "crashed": True, "tier": recorder._state.tier}
        )


# --------------------------------------------------------------------------------------------
# xdist: workers send records, the controller collects them
# --------------------------------------------------------------------------------------------


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    state = _state(node.config)
    name = getattr(getattr(node, "gateway", None), "id", str(node))
    if error is not None:
        state.crashed.append(f"worker {name}: {error}")
        return
    output = getattr(node, "workeroutput", None) or {}
    if _WORKEROUTPUT_KEY not in output:
        state.crashed.append(f"worker {name} finished without sending its claim records")
        return
    state.records.extend(json.loads(output[_WORKEROUTPUT_KEY]))
    state.not_run = sorted(set(state.not_run) | set(json.loads(output.get(_NOT_RUN_KEY, "[]"))))


# --------------------------------------------------------------------------------------------
# Session end: ledger, reports, summary (controller or serial process only)
# --------------------------------------------------------------------------------------------


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    state = _state(config)
    if state.is_worker:
        config.workeroutput[_WORKEROUTPUT_KEY] = json.dumps(state.records)  # key order kept: reports equal -n 0
        config.workeroutput[_NOT_RUN_KEY] = json.dumps(state.not_run)
        return
    if not state.records and not state.crashed:
        return
    if state.crashed:
        state.summary.append("worker crash: " + "; ".join(state.crashed))
        state.summary.append("report and ledger NOT written (the previous files are untouched)")
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        return
    if exitstatus in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR):
        state.summary.append("run interrupted: report and ledger NOT written")
        return
    main = [r for r in state.records if r["master_seed"] == state.master_seed and not r.get("crashed")]
    observed = {r["id"]: Verdict(r["verdict"]) for r in main}
    stability_rows = None
    if state.seeds is not None:
        stability_rows = stability(state.records, state.ledger, tier=state.tier, threshold=state.threshold)
    from harness.engine.device import default_device

    written = write_reports(
        state.report_dir,
        main,
        master_seed=state.master_seed,
        tier=state.tier,
        device=str(default_device()),
        sources_dir=state.sources_dir,
        stability_rows=stability_rows,
        stability_threshold=state.threshold if stability_rows is not None else None,
        not_run=state.not_run,
    )
    _summarise(state, main, compare_ledger(state.ledger, observed, state.tier), stability_rows, written)
    if state.update:
        new = updated_ledger(state.ledger, observed, state.tier)
        if new != state.ledger or not state.ledger_path.exists():
            save_ledger(state.ledger_path, new)
            state.summary.append(f"ledger updated: {state.ledger_path}")


def _summarise(state: _State, main, changes, stability_rows, written) -> None:
    counts: dict[str, Counter] = {}
    for r in main:
        counts.setdefault(r["source"], Counter())[r["verdict"]] += 1
    names = [v.value for v in Verdict]
    width = max([len("source")] + [len(s) for s in counts])
    lines = [
        f"tier {state.tier}, master seed {state.master_seed}"
        + (f", seeds {state.seeds[0]}..{state.seeds[-1]}" if state.seeds else ""),
        f"{'source':<{width}}  " + "  ".join(f"{n:>12}" for n in names) + f"  {'total':>5}",
    ]
    for source in sorted(counts):
        c = counts[source]
        lines.append(f"{source:<{width}}  " + "  ".join(f"{c[n]:>12}" for n in names) + f"  {sum(c.values()):>5}")
    if changes:
        how = "accepted into the ledger" if state.update else "ledger -> observed"
        lines.append(f"changed verdicts ({how}):")
        for cid, (expected, observed) in changes.items():
            lines.append(f"  {cid}: {expected.value if expected else '(not in ledger)'} -> {observed.value}")
    else:
        lines.append("changed verdicts: none")
    if stability_rows is not None:
        fragile = [row for row in stability_rows if row["fragile"]]
        lines.append(f"fragile claims (stability < {state.threshold:.0%}): {len(fragile)}")
        for row in fragile:
            lines.append(f"  {row['id']}: {row['stability']:.0%} of seeds give {row['reference']}")
    if state.not_run:
        lines.append(f"not run in this tier: {len(state.not_run)} claim(s) (--claims-tier full runs them)")
    lines.append("report: " + ", ".join(str(p) for p in written if p.suffix in (".json", ".md")))
    state.summary[:0] = lines


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    state = _state(config)
    if state.is_worker or not state.summary:
        return
    terminalreporter.write_sep("=", "claims summary")
    for line in state.summary:
        terminalreporter.write_line(line)
