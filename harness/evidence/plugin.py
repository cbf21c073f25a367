"""pytest plugin of the claims suite: markers, options, fixtures, ledger gating, reports, xdist.

A claim test is a test function marked with :func:`claim_test` (``pytest.mark.claim``) that
submits exactly one ``(claim, evidence)`` pair through the ``claims_verdict`` fixture::

    @claim_test(PLATEAU)
    def test_plateau_mse(claims_verdict):
        claims_verdict(PLATEAU, stats.exact_value(observed, 0.125, rel_tol=0.0, abs_tol=1e-12))

The test passes when the observed verdict equals the ledger's (``claims/ledger.json``) for the
tier being run. Under pytest-xdist, workers send their verdict records to the controller through
``workeroutput``; only the controller writes the report and the ledger, atomically, once.

Installed as the ``pytest11`` entry point ``claims`` (``-p no:claims`` disables it). Every option
has an ini twin and project-relative defaults (``harness.evidence.options``). At collection each
claim's quoted statement is checked against its source document when that document is present
(``harness.evidence.sources``); absent documents are reported as "quotes not verified".

Only a claim test that ends well contributes its verdict: its body returned (the ledger gate
may still fail it: a changed verdict is reported as such), it submitted exactly once, and its
teardown passed. A test that failed, skipped, timed out or submitted twice is listed under "no
verdict" with the reason, and its ledger entry is left as it is. Under pytest-rerunfailures the
last attempt counts.

Under xdist the controller resolves every path and sends workers what they need (settings, the
ledger, the documents' texts, ``HARNESS_DEVICE``/``HARNESS_COMPILE``) in ``workerinput``, so
workers never depend on their cwd, their environment or a shared file system (``--tx
popen//chdir=...``, ``--tx ssh=...``); it refuses a worker with other Python, torch or harness
versions (``harness.evidence.remote``). A collection error stops the run as it does serially.
Distribution by ``xdist_group`` and crash handling live in ``harness.evidence.scheduling``.
SIGTERM ends a run as Ctrl-C does, and both leave report and ledger as they were unless both
were written (``harness.evidence.interrupts``).

This module holds the pytest glue only; claim records live in ``harness.evidence.claims``, the
ledger in ``harness.evidence.ledger``, report rendering in ``harness.evidence.reports``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
import warnings
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness.evidence import remote
from harness.evidence.claims import Claim, check_evidence, claim_seed_sequence
from harness.evidence.files import locked, locked_report_dir, report_dir_problem, report_lock_path
from harness.evidence.interrupts import deferred_interrupts, sigterm_as_interrupt
from harness.evidence.ledger import (
    Ledger,
    LedgerError,
    LedgerMissingError,
    compare_ledger,
    ledger_lock_path,
    load_ledger_file,
    seed_mismatch,
    stale_ids,
    stale_tier_ids,
    update_ledger_file,
)
from harness.evidence.options import Options, add_options, resolve_options
from harness.evidence.reports import (
    REPORT_FILES,
    ClaimRecord,
    FigureRegistry,
    RunContext,
    SummaryInput,
    build_sheet,
    make_record,
    no_verdict_record,
    properties,
    selection_record,
    stability,
    summary_lines,
    write_reports,
)
from harness.evidence.reports.figures import png_from_json, png_to_json
from harness.evidence.scheduling import known_xdist, make_scheduler, tag_groups, untagged_warning
from harness.evidence.sources import NOT_AVAILABLE, SourceDoc, SourceError, Sources
from harness.evidence.verdicts import Evidence, Verdict

__all__ = ["claim_test"]

_WORKEROUTPUT_KEY = "claims_records"
_FIGURES_KEY = "claims_figures"
_NOT_RUN_KEY = "claims_not_run"
_WORKERINPUT_KEY = "claims"  # controller -> worker: loadgroup flag, settings, ledger, documents
_COLLECTED_KEY = "claims_collected"
_SKIPPED_KEY = "claims_skipped"
_FULL_ONLY_KEY = "claims_full_only"


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

    options: Options
    sources: Sources
    is_worker: bool
    loadgroup: bool = False  # tests are distributed by xdist_group (set on workers from workerinput)
    ledger: Ledger = field(default_factory=dict)
    ledger_seed: int | None = None  # the master seed the ledger gates (None: no ledger file)
    records: dict[tuple[str, int], ClaimRecord] = field(default_factory=dict)  # (claim id, seed) -> record
    figures: dict[str, bytes] = field(default_factory=dict)  # PNG bytes of the recorded claims' figures, by file name
    seen: dict[tuple[str, int | None], str] = field(default_factory=dict)  # (claim id, seed) -> nodeid
    crashed: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)  # ids of claims deselected by the tier
    ledger_missing: bool = False  # no ledger file at ledger_path when the session started
    prune: bool = False  # --claims-prune
    collected: set[str] = field(default_factory=set)  # claim ids collected by workers (xdist controller)
    skipped: set[str] = field(default_factory=set)  # claim ids skipped before they ran (a skip mark, no CUDA)
    full_only: set[str] = field(default_factory=set)  # claim ids marked full, as collected (before -k, -m)
    collection_errors: int = 0
    versions: dict[str, dict[str, str]] = field(default_factory=dict)  # "controller" / worker id -> versions
    report_dir_checked: bool = False  # _refuse_a_foreign_report_dir ran
    undo: list[Callable[[], None]] = field(default_factory=list)  # restores what configure changed

    @property
    def gated_seed(self) -> int:
        """The master seed whose verdicts are gated against the ledger: the ledger's own."""
        return self.options.master_seed if self.ledger_seed is None else self.ledger_seed

    def __getattr__(self, name: str) -> Any:
        """The run's settings read as attributes of the state (``state.tier``, ``state.ledger_path``)."""
        if name == "options":
            raise AttributeError(name)
        return getattr(self.options, name)


_STATE = pytest.StashKey[_State]()
_RECORDER = pytest.StashKey["_Recorder"]()


def _state(config: pytest.Config) -> _State:
    return config.stash[_STATE]


# --------------------------------------------------------------------------------------------
# Options, markers, configuration
# --------------------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


@pytest.hookimpl(wrapper=True)
def pytest_cmdline_main(config: pytest.Config):
    """With ``-n`` or ``--tx`` and no ``--dist`` (command line, ini or ``PYTEST_ADDOPTS``), distribute
    by group; with ``--tx`` alone, bound worker restarts as ``-n`` does (``harness.evidence.remote``).

    A wrapper, so that it runs before xdist's own ``tryfirst`` hook (which turns ``--dist no`` into
    ``load``) whatever order the two plugins were registered in. Claims computed from one
    expensive piece (e.g. a table of 11 cross-validated models) share an ``xdist_group``, so ``-n``
    runs each piece on one worker instead of once per worker; tests without a group are
    load-balanced one by one.
    """
    if hasattr(config, "workerinput"):  # an xdist worker: it runs what it is sent, never distributes
        return (yield)
    distributed = getattr(config.option, "numprocesses", None) or getattr(config.option, "tx", None)
    if distributed and getattr(config.option, "dist", None) == "no":
        config.option.dist = "loadgroup"
    if getattr(config.option, "maxworkerrestart", "absent") != "absent":
        remote.bound_restarts(config.option)
    return (yield)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``loadgroup`` that survives a crashing worker (``harness.evidence.scheduling``)."""
    if config.getvalue("dist") != "loadgroup":
        return None
    return make_scheduler(config, log)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """xdist controller: check the worker's versions (:func:`_check_versions`), then send it the
    distribution mode, the resolved settings, the ledger, the texts of the available documents and
    the engine's environment switches, so it needs neither the controller's cwd, files nor environment."""
    state = _state(node.config)
    _check_versions(node, state)
    options = {k: str(v) if isinstance(v, Path) else v for k, v in vars(state.options).items()}
    payload = {
        "loadgroup": node.config.getoption("dist") == "loadgroup",
        "options": options,
        "ledger": {cid: {tier: v.value for tier, v in tiers.items()} for cid, tiers in state.ledger.items()},
        "ledger_seed": state.ledger_seed,
        "manifest": [vars(doc) for doc in state.sources.docs.values()],
        "manifest_missing": state.sources.missing,
        "texts": state.sources.texts,
        "env": remote.forwarded_env(),
    }
    node.workerinput[_WORKERINPUT_KEY] = json.dumps(payload)


def _check_versions(node, state: _State) -> None:
    """Record the worker's Python, torch and harness versions; a mismatch with the controller's is
    a usage error (the run stops before any test) unless ``--claims-allow-version-mismatch``."""
    from xdist.plugin import _sys_path

    name = node.gateway.id
    try:
        theirs = remote.probe_versions(node.gateway, _sys_path if node.gateway.spec.popen else None)
    except Exception as exc:  # noqa: BLE001 - any failure of the remote interpreter: its versions are unknown
        theirs = {"error": f"{type(exc).__name__}: {exc}".strip()}
    state.versions[name] = {**theirs, "spec": str(node.gateway.spec)}
    problem = remote.version_mismatch(name, theirs, state.versions["controller"])
    if problem and not state.allow_version_mismatch:
        node.nodemanager.teardown_nodes()
        raise pytest.UsageError(problem)


def _worker_state(config: pytest.Config, payload: dict[str, Any]) -> _State:
    """An xdist worker's state, from what the controller sent (:func:`pytest_configure_node`)."""
    paths = ("ledger_path", "sources_dir", "manifest_path", "report_dir")
    raw = payload["options"]
    values: dict[str, Any] = {k: Path(v) if k in paths else v for k, v in raw.items()}
    options = Options(**values)
    docs = {d["file"]: SourceDoc(**d) for d in payload["manifest"]}
    sources = Sources(options.manifest_path, docs, payload["texts"], missing=payload["manifest_missing"])
    ledger = {cid: {tier: Verdict(v) for tier, v in tiers.items()} for cid, tiers in payload["ledger"].items()}
    if payload["loadgroup"]:
        config.option.loadgroup = True  # xdist's own worker-side switch for the group suffix
    os.environ.update(payload["env"])  # before any claim module imports the engine
    return _State(
        options=options,
        sources=sources,
        is_worker=True,
        loadgroup=payload["loadgroup"],
        ledger=ledger,
        ledger_seed=payload["ledger_seed"],
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "quick: claim test of the quick tier (set by the plugin on every claim test not marked full)"
    )
    config.addinivalue_line("markers", "full: claim test run only with --claims-tier full (powered sample sizes)")
    config.addinivalue_line("markers", "gpu: needs CUDA; skipped when torch sees no CUDA device")
    config.addinivalue_line("markers", "claim(claim): the test of one harness.evidence.claims.Claim (use claim_test)")
    config.addinivalue_line("markers", "xdist_group(name): run on the worker that runs the group's other tests")
    payload = getattr(config, "workerinput", {}).get(_WORKERINPUT_KEY)
    if payload is not None:
        config.stash[_STATE] = _worker_state(config, json.loads(payload))
        return
    options = resolve_options(config)
    try:
        sources = Sources.load(options.manifest_path, options.sources_dir)
    except SourceError as exc:
        raise pytest.UsageError(str(exc)) from None
    state = _State(options=options, sources=sources, is_worker=hasattr(config, "workerinput"))
    config.stash[_STATE] = state
    if state.is_worker:
        return
    if options.report_given:
        _refuse_a_foreign_report_dir(state)
    from harness.evidence.probe import versions

    state.versions["controller"] = versions()
    for undo in (sigterm_as_interrupt(), _map_remote_args(config)):
        if undo is not None:
            state.undo.append(undo)


def _refuse_a_foreign_report_dir(state: _State) -> None:
    """Stop the run with a usage error naming the report folder when the plugin may not write into
    it (``harness.evidence.files.report_dir_problem``), once, as soon as the run is known to write a
    report: at configure when the folder was named (``--claims-report``, ini ``claims_report``),
    else once claim tests were collected (:func:`pytest_collection_finish`) or, on the xdist
    controller, the first one reports. A run without claim tests never looks at it: the plugin is
    installed for every project, whose own ``reports/`` is none of its business."""
    if state.report_dir_checked:
        return
    state.report_dir_checked = True
    problem = report_dir_problem(state.report_dir, REPORT_FILES)
    if problem:
        raise pytest.UsageError(problem)


def _map_remote_args(config: pytest.Config) -> Callable[[], None] | None:
    """Under xdist, map the arguments sent to remote workers with ``harness.evidence.remote.remote_args``."""
    if getattr(config.option, "dist", "no") == "no" or not getattr(config.option, "tx", None):
        return None
    return remote.install_arg_mapping(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Restore the SIGTERM handler and xdist's argument mapping (in-process runs share the interpreter)."""
    state = config.stash.get(_STATE, None)
    while state is not None and state.undo:
        state.undo.pop()()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Read the ledger (the controller sends it to xdist workers). A missing one is an error when
    named by ``--claims-ledger`` (a typo must not start a new ledger elsewhere) unless
    ``--claims-update`` creates it; a missing default ledger fails only the claim tests that run
    (a project without claims needs none). ``--claims-update`` at a master seed other than the
    ledger's is refused before any test runs."""
    config = session.config
    state = _state(config)
    state.prune = config.getoption("--claims-prune")
    config.pluginmanager.register(_CollectionErrors(state, config), "claims-collection-errors")
    if state.prune and not state.update:
        raise pytest.UsageError("--claims-prune only works with --claims-update (it rewrites the ledger)")
    if state.is_worker:
        return
    try:
        ledger = load_ledger_file(state.ledger_path)
    except LedgerMissingError as exc:
        if config.getoption("--claims-ledger") is not None and not state.update:
            raise pytest.UsageError(f"{exc}; check --claims-ledger, or pass --claims-update to create it") from None
        state.ledger_missing = True
        return
    except LedgerError as exc:
        raise pytest.UsageError(
            f"{exc}\nThe ledger was left as it is; fix it (or restore it from git) and rerun."
        ) from None
    state.ledger, state.ledger_seed = ledger.claims, ledger.master_seed
    if state.update and state.master_seed != ledger.master_seed:
        raise pytest.UsageError(seed_mismatch(state.ledger_path, ledger.master_seed, state.master_seed))


def pytest_report_header(config: pytest.Config) -> list[str]:
    state = _state(config)
    seeds = f"seeds {state.seeds[0]}..{state.seeds[-1]}" if state.seeds else f"master seed {state.master_seed}"
    update = ", --claims-update" if state.update else ""
    if state.ledger_seed is not None and state.ledger_seed != state.master_seed:
        update += f" (not gated: the ledger gates master seed {state.ledger_seed})"
    sources = state.sources
    documents = (
        f"no manifest at {sources.manifest_path}"
        if sources.missing is not None
        else f"{len(sources.texts)} of {len(sources.docs)} documents in {state.sources_dir} (quotes checked against those)"
    )
    return [f"claims: tier {state.tier}, {seeds}{update}, ledger {state.ledger_path}", f"claims sources: {documents}"]


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
    state.sources.check(claim.id, claim.source, claim.statement)
    if item.get_closest_marker("quick") and item.get_closest_marker("full"):
        raise ValueError(f"{where}: claim {claim.id!r} is marked both quick and full")
    if item.get_closest_marker("full"):
        state.full_only.add(claim.id)
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
            problem = None
            try:
                _validate_item(item, state)
            except ValueError as exc:
                problem = str(exc)
            if problem is not None:  # failed outside the except block: no "during handling" chain
                pytest.fail(f"malformed claim test: {problem}", pytrace=False)
            _mark_tier(item)
    return result


def _mark_tier(item: pytest.Item) -> None:
    """Mark a claim test ``quick`` unless it is marked ``full``, before ``-m`` reads the marks: so
    ``-m quick`` selects the quick tier's claims and ``-m full`` (with ``--claims-tier full``) the
    claims only the full tier runs."""
    if item.get_closest_marker("claim") is not None and item.get_closest_marker("full") is None:
        item.add_marker(pytest.mark.quick)


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
        if deselected and len(deselected) == len(items) and config.option.markexpr:
            raise pytest.UsageError(
                f"-m {config.option.markexpr!r} selects only claim tests of the full tier ({len(deselected)}), which "
                "the quick tier does not run; add --claims-tier full"
            )
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
    if state.is_worker and state.loadgroup:
        untagged = tag_groups(items)
        if untagged:
            warnings.warn(untagged_warning(untagged), stacklevel=1)


def pytest_collection_finish(session: pytest.Session) -> None:
    """A serial run that collected claim tests writes a report: check its folder before any test runs."""
    state = _state(session.config)
    if not state.is_worker and state.seen and not session.config.option.collectonly:
        _refuse_a_foreign_report_dir(state)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """xdist controller (which collects nothing itself): the first claim test to report means the
    run writes a report: check its folder then (the workers are stopped on a refusal)."""
    node = getattr(report, "node", None)  # the worker's node: set by xdist on the controller only
    if node is not None and report.when == "setup" and "claim" in report.keywords:
        _refuse_a_foreign_report_dir(_state(node.config))


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
    """What the ``verdict`` fixture returns: ``verdict(claim, evidence)`` and ``verdict.figure(name, fig)``.

    It keeps the record of the submitted verdict; the record reaches the report only through
    :func:`_settle`, once the test has ended well.
    """

    def __init__(self, item: pytest.Item, claim: Claim, state: _State, master_seed: int) -> None:
        self._item = item
        self._claim = claim
        self._state = state
        self._seed = master_seed
        self._figures = FigureRegistry()
        self._t0 = time.perf_counter()
        self.record: ClaimRecord | None = None
        self.submissions = 0
        self.expected: Verdict | None = state.ledger.get(claim.id, {}).get(state.tier)

    def __call__(self, claim: Claim, evidence: Evidence) -> Verdict:
        """Submit the evidence for ``claim``; return its verdict. Gating happens when the test ends."""
        duration = time.perf_counter() - self._t0
        self.submissions += 1
        if self.submissions > 1:
            pytest.fail(
                f"verdict() called twice for claim {self._claim.id!r}; one claim, one verdict: nothing is recorded",
                pytrace=False,
            )
        if claim != self._claim:
            pytest.fail(
                f"verdict() got claim {getattr(claim, 'id', claim)!r} but this test is marked with {self._claim.id!r}",
                pytrace=False,
            )
        if not isinstance(evidence, Evidence):
            pytest.fail(
                f"verdict() expects a harness.evidence.verdicts.Evidence, got {type(evidence).__name__}", pytrace=False
            )
        if not math.isclose(evidence.alpha, claim.alpha, rel_tol=0.0, abs_tol=1e-12):
            pytest.fail(
                f"claim {claim.id!r} declares alpha={claim.alpha} but the evidence used alpha={evidence.alpha}",
                pytrace=False,
            )
        try:
            check_evidence(claim, evidence)  # the rule named by claim.test, Holm within claim.family
        except ValueError as exc:
            pytest.fail(str(exc), pytrace=False)
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
            figures=self._figures.names(),
            location=self._state.sources.locate(claim.source, claim.statement),
        )
        return evidence.verdict

    def figure(self, name: str, fig) -> str:
        """Register a matplotlib Figure for this claim's report row; return its file name."""
        filename = self._figures.add(self._claim.id, name, fig)
        if self.record is not None:
            self.record = dataclasses.replace(self.record, figures=self._figures.names())
        return filename

    def pngs(self) -> dict[str, bytes]:
        """The PNG bytes of this claim's figures, by file name."""
        return dict(self._figures.items())

    def check_submitted(self) -> None:
        """Fail the test (it gives no verdict) unless its body submitted exactly once: a second
        submission fails in :meth:`__call__`, and fails here too when the body swallowed that."""
        if self.record is None:
            pytest.fail(
                f"claim test of {self._claim.id!r} finished without calling verdict(claim, evidence)", pytrace=False
            )
        if self.submissions > 1:
            pytest.fail(f"verdict() was called twice for claim {self._claim.id!r}: nothing is recorded", pytrace=False)

    def gate(self) -> None:
        """Fail the test unless the submitted verdict equals the ledger's (or --claims-update).

        Only the master seed the ledger records is gated (``_State.gated_seed``): other seeds of
        ``--claims-seeds`` measure verdict stability, and a run at another ``--claims-seed``
        reports its differences without failing.
        """
        claim, state, record = self._claim, self._state, self.record
        assert record is not None  # check_submitted ran first
        if state.update or self._seed != state.gated_seed:
            return
        observed = record.verdict
        if self.expected is None:
            where = "the ledger file, which does not exist:" if state.ledger_missing else "the ledger"
            pytest.fail(
                f"claim {claim.id!r} has no {state.tier!r} verdict in {where} {state.ledger_path}; "
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


@dataclass
class _Outcome:
    """How one run (attempt) of a claim test went, phase by phase (kept in the item's stash)."""

    body_returned: bool = False  # the test function returned without raising
    gate_failed: bool = False  # the call phase failed only because the verdict differs from the ledger
    problem: str | None = None  # why the test gives no verdict (None: so far none)


_OUTCOME = pytest.StashKey[_Outcome]()


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


def _describe(record: ClaimRecord) -> str:
    ci = "none" if record.ci is None else f"[{record.ci[0]:.6g}, {record.ci[1]:.6g}]"
    lines = [
        f"  statement: {record.statement!r} ({record.source})",
        f"  reported:  {dict(record.reported)}",
        f"  evidence:  test={record.test} estimate={record.estimate} ci={ci} p={record.p_value} "
        f"effect={record.effect_size} n={record.n} alpha={record.alpha} mde={record.mde} "
        f"seed={record.master_seed}",
    ]
    if record.detail:
        lines.append(f"  detail:    {dict(record.detail)}")
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
def pytest_runtest_setup(item: pytest.Item):
    """Start each attempt of a claim test with a fresh outcome (pytest-rerunfailures runs it again);
    rule inputs captured during its fixtures are attributed to its claim (``capture.claim_running``)."""
    claim = _item_claim(item)
    if claim is None:
        return (yield)
    from harness.evidence.rules import capture  # lazily: the rules import scipy

    item.stash[_OUTCOME] = _Outcome()
    if _RECORDER in item.stash:
        del item.stash[_RECORDER]
    with capture.claim_running(claim.id):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    claim = _item_claim(item)
    if claim is None:
        return (yield)
    from harness.evidence.rules import capture  # lazily: the rules import scipy

    with capture.claim_running(claim.id):
        result = yield  # re-raises whatever the test raised
    outcome = item.stash.get(_OUTCOME, None)
    recorder = item.stash.get(_RECORDER, None)
    if outcome is not None:
        outcome.body_returned = True
    if recorder is not None:
        recorder.check_submitted()  # a failure here is not the gate's: no verdict
        try:
            recorder.gate()
        except pytest.fail.Exception:
            if outcome is not None:
                outcome.gate_failed = True
            raise
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Note why a claim test gives no verdict; at teardown, settle its record (:func:`_settle`) and
    attach its verdict, estimate, CI, n and rule to the report as JUnit XML properties."""
    report: pytest.TestReport = yield
    outcome = item.stash.get(_OUTCOME, None)
    if outcome is None:
        return report
    if report.when == "setup" and report.skipped:
        del item.stash[_OUTCOME]  # never ran (a skip mark, no CUDA): pytest lists it as skipped
        if (claim := _item_claim(item)) is not None:
            _state(item.config).skipped.add(claim.id)  # not run here by intent: the run stays complete
        return report
    if report.when == "call":
        ok = outcome.body_returned and (report.passed or (report.failed and outcome.gate_failed))
    else:
        ok = report.passed
    if not ok and outcome.problem is None:
        outcome.problem = _why(report)
    if report.when == "teardown":
        record = _settle(item, outcome)
        if record is not None:  # JUnit XML reads the teardown report's properties (also under xdist)
            report.user_properties.extend(properties(record))
    return report


def _why(report: pytest.TestReport) -> str:
    """One line saying how a phase of a claim test went wrong (failed, skipped, timed out, ...)."""
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longreprtext
        reason = str(reason).removeprefix("Skipped: ")
        what = "xfailed" if hasattr(report, "wasxfail") else "skipped"
        return f"{what} in {report.when}: {' '.join(str(reason).split())[:200]}"
    crash = getattr(report.longrepr, "reprcrash", None)
    lines = [line for line in report.longreprtext.strip().splitlines() if line.strip()]
    message = crash.message.splitlines()[0] if crash is not None and crash.message else (lines[-1] if lines else "")
    return f"{report.outcome} in {report.when}" + (f": {' '.join(message.split())[:200]}" if message else "")


def _settle(item: pytest.Item, outcome: _Outcome) -> ClaimRecord | None:
    """Put this attempt's record of the claim into the run's records (replacing an earlier attempt's)
    and return it (None for a test that is no claim test).

    A test that ended well gives its verdict; any other gives a record without a verdict naming the
    reason, so the claim is listed (and ``--claims-seeds`` counts the seed as a failure) instead of
    vanishing, and the ledger keeps its entry.
    """
    claim = _item_claim(item)
    if claim is None:
        return None
    state = _state(item.config)
    recorder = item.stash.get(_RECORDER, None)
    callspec = getattr(item, "callspec", None)
    seed = callspec.params.get("claims_master_seed", state.master_seed) if callspec is not None else state.master_seed
    if outcome.problem is None and recorder is not None and recorder.record is not None:
        state.records[(claim.id, seed)] = recorder.record
        state.figures.update(recorder.pngs())
        return recorder.record
    record = no_verdict_record(
        claim,
        tier=state.tier,
        master_seed=seed,
        reason=outcome.problem or "no verdict was submitted",
        expected=state.ledger.get(claim.id, {}).get(state.tier),
        location=state.sources.locate(claim.source, claim.statement),
    )
    state.records[(claim.id, seed)] = record
    return record


# --------------------------------------------------------------------------------------------
# xdist: workers send records, the controller collects them
# --------------------------------------------------------------------------------------------


@pytest.hookimpl(optionalhook=True)
def pytest_handlecrashitem(crashitem: str, report, sched) -> None:
    """xdist controller: remember the test that was running when its worker died."""
    _state(report.node.config).crashed.append(f"{crashitem} crashed worker {report.node.gateway.id}")


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
    for data in json.loads(output[_WORKEROUTPUT_KEY]):
        record = ClaimRecord.from_json(data)
        state.records[(record.id, record.master_seed)] = record
    state.figures.update(png_from_json(json.loads(output.get(_FIGURES_KEY, "{}"))))
    state.not_run = sorted(set(state.not_run) | set(json.loads(output.get(_NOT_RUN_KEY, "[]"))))
    state.collected.update(json.loads(output.get(_COLLECTED_KEY, "[]")))
    state.skipped.update(json.loads(output.get(_SKIPPED_KEY, "[]")))
    state.full_only.update(json.loads(output.get(_FULL_ONLY_KEY, "[]")))


# --------------------------------------------------------------------------------------------
# Session end: ledger, reports, summary (controller or serial process only)
# --------------------------------------------------------------------------------------------


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    state = _state(config)
    if state.is_worker:
        output: dict[str, str] = config.workeroutput  # type: ignore[attr-defined]  # set by xdist on workers
        output[_WORKEROUTPUT_KEY] = json.dumps([r.to_json() for r in state.records.values()])
        output[_FIGURES_KEY] = json.dumps(png_to_json(state.figures))
        output[_NOT_RUN_KEY] = json.dumps(state.not_run)
        output[_COLLECTED_KEY] = json.dumps(sorted(_collected_ids(state)))
        output[_SKIPPED_KEY] = json.dumps(sorted(state.skipped))
        output[_FULL_ONLY_KEY] = json.dumps(sorted(state.full_only))
        return
    stopped = (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR)
    if exitstatus in stopped and _claims_involved(config, state):
        state.summary.append("run interrupted: report and ledger NOT written")  # also under -n, records or not
        return
    if state.collection_errors and not config.option.continue_on_collection_errors:  # an xdist that ran on
        state.summary.append(f"{state.collection_errors} collection error(s): report and ledger NOT written")
        return
    if config.option.collectonly or not (state.records or state.crashed or _collected_ids(state)):
        return  # no claim test in this session (e.g. unit tests only, --collect-only): the report stays
    if state.crashed:
        state.summary.append("worker crash: " + "; ".join(state.crashed))
        state.summary.append("report and ledger NOT written (the previous files are untouched)")
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        return
    records = list(state.records.values())
    main = [r for r in records if r.master_seed == state.master_seed]
    observed = {r.id: Verdict(r.verdict) for r in main if r.verdict is not None}
    stability_rows = None
    if state.seeds is not None:
        stability_rows = stability(records, state.ledger, tier=state.tier, threshold=state.threshold)
    partial = _partial_reason(session, state, {r.id for r in main})
    try:
        outcome, ok, interrupted = _write_outputs(config, state, main, stability_rows, observed, partial)
    except KeyboardInterrupt:
        state.summary.append("run interrupted: report and ledger NOT written")
        session.exitstatus = pytest.ExitCode.INTERRUPTED
        return
    changes = compare_ledger(state.ledger, observed, state.tier)
    _summarise(state, main, changes, stability_rows, outcome)
    if interrupted:  # written first, but the run was interrupted all the same
        session.exitstatus = pytest.ExitCode.INTERRUPTED
    if not ok and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _write_outputs(
    config: pytest.Config,
    state: _State,
    main: list[ClaimRecord],
    stability_rows,
    observed: dict[str, Verdict],
    partial: str | None,
):
    """Publish the report and (with --claims-update) update the ledger, both or neither on an interrupt.

    Both locks are taken first (report, then ledger: one order for every run, so two runs never
    wait on each other); an interrupt while waiting raises ``KeyboardInterrupt`` before anything
    is written. The writes themselves hold SIGINT and SIGTERM; an interrupt that arrived during
    them is reported after both are done. Return the summary lines, whether all was written and
    whether an interrupt arrived during the writes.
    """
    with ExitStack() as stack:
        report_error = _hold(stack, state.report_dir, report_lock_path(state.report_dir), report_dir=True)
        ledger_error = (
            _hold(stack, state.ledger_path.parent, ledger_lock_path(state.ledger_path)) if state.update else None
        )
        with deferred_interrupts() as received:
            report_lines, report_ok = _write_report(config, state, main, stability_rows, partial, report_error)
            ledger_lines, ledger_ok = _write_ledger(config, state, observed, ledger_error)
    lines = report_lines + ledger_lines
    if received:
        lines.append(
            f"{' and '.join(received)} received while writing: the report and ledger above were finished first"
        )
    return lines, report_ok and ledger_ok, bool(received)


def _hold(stack: ExitStack, directory: Path, lock: Path, *, report_dir: bool = False) -> str | None:
    """Take ``lock`` (in ``directory``) for the rest of ``stack``; return why it could not be taken (None: held)."""
    try:
        if report_dir:
            stack.enter_context(locked_report_dir(directory, REPORT_FILES))  # refuses a folder not its own
            return None
        if not directory.is_dir():
            return None  # the writer names the missing directory
        stack.enter_context(locked(lock))
    except OSError as exc:
        return str(exc)
    return None


def _collected_ids(state: _State) -> set[str]:
    """Ids of every claim test collected (before -k/-m/tier deselection), here or on the workers."""
    return {cid for cid, _seed in state.seen} | state.collected


class _CollectionErrors:
    """Counts failed collections into the state (on the xdist controller too, which gets the
    workers' failed collect reports): claims in a module that failed to import are unknown.

    On the xdist controller a collection error stops the run, as pytest does serially (unless
    ``--continue-on-collection-errors``): xdist alone ran the rest and let them be written. That
    sets xdist's private ``DSession.shouldstop``: only under ``scheduling.KNOWN_XDIST``; on another
    xdist the run writes nothing instead (:func:`pytest_sessionfinish`).
    """

    def __init__(self, state: _State, config: pytest.Config) -> None:
        self._state = state
        self._config = config

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if not report.failed:
            return
        self._state.collection_errors += 1
        dsession = self._config.pluginmanager.getplugin("dsession")
        if dsession is not None and not self._config.option.continue_on_collection_errors and known_xdist():
            errors = self._state.collection_errors
            dsession.shouldstop = f"{errors} error{'s' if errors > 1 else ''} during collection"


def _incomplete_collection(config: pytest.Config, state: _State, *, ledger_dir: bool = True) -> str | None:
    """Why this run may not have collected every claim (``None``: it collected them all).

    Claim ids are recorded as items are collected, before ``-k``, ``-m``, ``--deselect`` and the
    tier deselect any, so those never narrow the set. What does: a collection error, ``--lf``,
    ``--ignore``, and arguments that are files or node ids or (``ledger_dir``) do not contain the
    ledger's directory (where the claim modules live). A conftest's ``collect_ignore`` cannot be seen.
    """
    if state.collection_errors:
        return f"{state.collection_errors} collection error(s)"
    if getattr(config.option, "lf", False):
        return "--lf collects only the modules with failures"
    if getattr(config.option, "ignore", None) or getattr(config.option, "ignore_glob", None):
        return "--ignore/--ignore-glob skipped part of the tree"
    base = config.invocation_params.dir
    paths = []
    for arg in config.args:
        path = (base / arg).resolve()
        if "::" in arg or not path.is_dir():
            return f"the argument {arg!r} selects a file or a node id, not a directory"
        paths.append(path)
    home = state.ledger_path.parent.resolve()
    if ledger_dir and not any(home == p or p in home.parents for p in paths):
        return f"no argument contains the ledger's directory {home}"
    return None


def _partial_reason(session: pytest.Session, state: _State, ran: set[str]) -> str | None:
    """Why this run's report is partial (None: it decided, or listed without a verdict, every claim of
    its tier that the project collects): a narrowed collection (outside the ledger's directory only
    when claims of the ledger's tier were not collected), or claims that did not run. A claim
    test skipped before it ran (a skip mark, ``gpu`` without CUDA) is left out by intent, not by the
    selection, and leaves the run complete."""
    config = session.config
    narrowed = _incomplete_collection(config, state, ledger_dir=False)
    if narrowed:
        return narrowed
    outside = _incomplete_collection(config, state)  # claim modules beside the ledger may be left out
    in_ledger = {cid for cid, tiers in state.ledger.items() if state.tier in tiers}
    if outside and not in_ledger <= _collected_ids(state):
        return f"{outside}, and {len(in_ledger - _collected_ids(state))} claims of its {state.tier} tier were not collected"
    expected = _collected_ids(state) - set(state.not_run) - (state.full_only if state.tier != "full" else set())
    missing = expected - ran - state.skipped
    if not missing:
        return None
    how = [
        f"-k {config.option.keyword!r}" if config.option.keyword else "",
        f"-m {config.option.markexpr!r}" if config.option.markexpr else "",
        "--deselect" if getattr(config.option, "deselect", None) else "",
        "the run stopped early (-x / --maxfail)" if session.shouldfail or session.shouldstop else "",
    ]
    why = ", ".join(h for h in how if h)
    return f"{len(missing)} of {len(expected)} claims of the {state.tier} tier did not run" + (
        f": {why}" if why else ""
    )


def _write_report(
    config: pytest.Config,
    state: _State,
    main: list[ClaimRecord],
    stability_rows,
    partial: str | None,
    error: str | None,
) -> tuple[list[str], bool]:
    """Publish the report set (unless its lock could not be taken: ``error``) — a partial run's beside
    the last complete one; return the summary lines and whether it was written."""
    from harness.engine.device import default_device

    if error is not None:
        return [f"report NOT written to {state.report_dir}: {error} (the previous report is untouched)"], False
    ctx = RunContext(
        master_seed=state.master_seed,
        tier=state.tier,
        device=str(default_device()),
        complete=partial is None,
        partial_reason=partial,
        selection=selection_record(
            config.args, config.option.keyword, config.option.markexpr, len(_collected_ids(state))
        ),
        not_run=tuple(state.not_run),
        sources=state.sources.report(r.source for r in main),
        environment=state.versions,
        stability_rows=None if stability_rows is None else tuple(stability_rows),
        stability_threshold=state.threshold if stability_rows is not None else None,
        created=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    )
    try:
        written = write_reports(state.report_dir, main, ctx, figures=state.figures)
    except (OSError, ValueError) as exc:
        return [f"report NOT written to {state.report_dir}: {exc} (the previous report is untouched)"], False
    lines = []
    if not any(r.verdict is not None for r in main):
        lines.append(
            f"no claim test ran: the selection ({' '.join(config.args)}) left none in the "
            f"{state.tier} tier; the report says so"
        )
    html = next(p for p in written if p.name == "claims.html")
    paths = f"{html} (open it in a browser; beside it claims.md, the sheet, and claims.json, every field)"
    if partial is None:
        return lines + [f"report: {paths}"], True
    return lines + [
        f"partial report ({partial}): {paths}",
        f"the last complete report stays in {state.report_dir}",
    ], True


def _write_ledger(
    config: pytest.Config, state: _State, observed: dict[str, Verdict], error: str | None
) -> tuple[list[str], bool]:
    """With --claims-update, merge the observed verdicts into the ledger file (pruning with
    --claims-prune) unless its lock could not be taken (``error``); else warn about a missing
    ledger and stale entries. Return summary lines and whether everything asked for was done."""
    collected = _collected_ids(state)
    incomplete = _incomplete_collection(config, state)
    stale = [] if incomplete else stale_ids(state.ledger, collected)
    not_in_tier = set(state.not_run) - set(observed)  # deselected by the tier and not run under another item
    stale_tier = [] if incomplete else stale_tier_ids(state.ledger, state.tier, not_in_tier)
    lines, ok = [], True
    if not state.update:
        if state.ledger_missing:
            lines.append(
                f"ledger not found: {state.ledger_path}; check --claims-ledger, or rerun with "
                "--claims-update to create it"
            )
        return lines + _stale_lines(stale, stale_tier, state.tier), ok
    if state.prune and incomplete:
        lines.append(f"ledger NOT pruned: {incomplete}; prune from a run that collects every claim")
        ok = False
    pruning = state.prune and not incomplete
    if error is not None:
        return lines + [f"ledger NOT updated: {error} (the ledger file is untouched)"], False
    try:
        done = update_ledger_file(
            state.ledger_path,
            observed,
            state.tier,
            master_seed=state.master_seed,
            keep_only=collected if pruning else None,
            not_in_tier=not_in_tier if pruning else (),
        )
    except (OSError, LedgerError) as exc:
        return lines + [f"ledger NOT updated: {exc} (the ledger file is untouched)"], False
    if done.created:
        lines.append(f"ledger created: {state.ledger_path} (it did not exist; --claims-update made it)")
    elif done.changed:
        lines.append(f"ledger updated: {state.ledger_path}")
    if done.pruned:
        lines.append(
            f"ledger pruned: {len(done.pruned)} entries of claims that no longer exist: {', '.join(done.pruned)}"
        )
    if done.pruned_tier:
        lines.append(
            f"ledger pruned: the {state.tier!r} verdict of {len(done.pruned_tier)} claims that no longer run "
            f"in that tier: {', '.join(done.pruned_tier)}"
        )
    return lines + ([] if state.prune else _stale_lines(stale, stale_tier, state.tier)), ok


def _stale_lines(stale: list[str], stale_tier: list[str], tier: str) -> list[str]:
    """Warnings about ledger entries no run will refresh: claims that no longer exist, and
    ``tier`` verdicts of claims that no longer run in ``tier``."""
    lines = []
    if stale:
        lines.append(
            f"stale ledger entries (no such claim collected): {len(stale)}: {', '.join(stale)}; "
            "remove them with --claims-update --claims-prune"
        )
    if stale_tier:
        lines.append(
            f"stale {tier!r} ledger entries (claims that no longer run in that tier): {len(stale_tier)}: "
            f"{', '.join(stale_tier)}; remove them with --claims-update --claims-prune"
        )
    return lines


def _claims_involved(config: pytest.Config, state: _State) -> bool:
    """Whether this run touched claims: it recorded or collected some, or it distributed tests
    (an xdist controller does not collect, so it cannot tell)."""
    return bool(state.records or state.crashed or state.seen) or config.getoption("dist", "no") != "no"


def _summarise(state: _State, main: list[ClaimRecord], changes, stability_rows, outcome: list[str]) -> None:
    """Put the summary (``harness.evidence.reports.summary``) and the ``outcome`` lines (what was
    written or why not) at the top of the claims summary."""
    how = "accepted into the ledger" if state.update else "ledger -> observed"
    if state.master_seed != state.gated_seed:
        how = f"not gated: the ledger holds master seed {state.gated_seed}'s verdicts"
    reported = state.sources.report(r.source for r in main)
    lines = summary_lines(
        SummaryInput(
            tier=state.tier,
            master_seed=state.master_seed,
            records=main,
            sheets=build_sheet(main, reported),
            changes=changes,
            changes_how=how,
            seeds=state.seeds,
            stability_rows=stability_rows,
            threshold=state.threshold if stability_rows is not None else None,
            not_run=len(state.not_run),
            absent_documents=sorted(name for name, doc in reported.items() if doc["quotes"] == NOT_AVAILABLE),
            absent_text=NOT_AVAILABLE,
        )
    )
    state.summary[:0] = lines + outcome


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    state = _state(config)
    if state.is_worker or not state.summary:
        return
    terminalreporter.write_sep("=", "claims summary")
    for line in state.summary:
        terminalreporter.write_line(line)
