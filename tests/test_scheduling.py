"""xdist distribution of the claims plugin (``harness.evidence.scheduling``), without starting workers.

The scheduler is driven by fake worker nodes that record what they are sent, so a crash can be
injected at an exact point and a hang shows up as work left that no node was given.
"""

pytest_plugins = ["pytester"]

from collections import deque  # noqa: E402
from types import SimpleNamespace  # noqa: E402

import pytest  # noqa: E402
from xdist.scheduler import LoadScheduling  # noqa: E402

from harness.evidence.scheduling import _version, group_suffix, make_scheduler, tag_groups  # noqa: E402

IDS = [f"claims/test_m.py::test_u[{i}]" for i in range(8)] + [f"claims/test_m.py::test_g[{i}]@table" for i in range(3)]


class FakeNode:
    """A worker as the scheduler sees it: it is sent item indices and runs them in order."""

    def __init__(self, name: str) -> None:
        self.gateway = SimpleNamespace(id=name)
        self.shutting_down = False
        self.queue: deque[int] = deque()
        self.sends: list[list[int]] = []

    def send_runtest_some(self, indices) -> None:
        self.sends.append(list(indices))
        self.queue.extend(indices)

    def shutdown(self) -> None:
        self.shutting_down = True


def fake_config(workers: int) -> SimpleNamespace:
    """What xdist's schedulers read from a pytest config: ``--tx``, two options."""
    options = {"tx": ["popen"] * workers, "maxschedchunk": None, "loadscopereorder": True}
    return SimpleNamespace(getvalue=options.get, getoption=options.get, option=SimpleNamespace(**options))


def start(nodes):
    sched = make_scheduler(fake_config(len(nodes)), None)
    for node in nodes:
        sched.add_node(node)
        sched.add_node_collection(node, IDS)
    sched.schedule()
    return sched


def run_one(sched, node, ran: list[str]) -> None:
    index = node.queue.popleft()
    ran.append(IDS[index])
    sched.mark_test_complete(node, index)


def drain(sched, nodes, ran: list[str]) -> None:
    """Run queued tests round-robin until none is left; fail if the scheduler still has pending work."""
    while any(n.queue for n in nodes):
        for node in nodes:
            if node.queue:
                run_one(sched, node, ran)
    assert not sched.has_pending, "work left that no worker was given: the run would hang"


@pytest.mark.parametrize("other_finished", [False, True], ids=["other_busy", "other_finished"])
@pytest.mark.parametrize("tests_before_crash", [0, 1, 2, 3])
def test_worker_killed_in_an_ungrouped_test_neither_hangs_nor_reruns_it(tests_before_crash, other_finished):
    gw0, gw1 = FakeNode("gw0"), FakeNode("gw1")
    sched = start([gw0, gw1])
    ran: list[str] = []
    for _ in range(tests_before_crash):
        run_one(sched, gw0, ran)
    while other_finished and gw1.queue:  # gw1 runs out of work and is told to shut down
        run_one(sched, gw1, ran)
    crashed = IDS[gw0.queue[0]]
    assert sched.remove_node(gw0) == crashed  # reported as the crash
    gw2 = FakeNode("gw2")  # the replacement worker
    sched.add_node(gw2)
    sched.add_node_collection(gw2, IDS)
    sched.schedule()
    drain(sched, [gw1, gw2], ran)
    assert sorted(ran + [crashed]) == sorted(IDS)  # everything else ran once; the crashing test not again
    assert all(sends for sends in gw2.sends)  # never sent an empty unit


def test_worker_killed_inside_a_group_runs_the_rest_of_the_group_elsewhere():
    gw0, gw1 = FakeNode("gw0"), FakeNode("gw1")
    sched = start([gw0, gw1])
    node = next(n for n in (gw0, gw1) if any(IDS[i].endswith("@table") for i in n.queue))
    ran: list[str] = []
    while not IDS[node.queue[0]].endswith("@table"):
        run_one(sched, node, ran)
    run_one(sched, node, ran)  # the group's first test passes, the second crashes the worker
    crashed = IDS[node.queue[0]]
    assert sched.remove_node(node) == crashed
    other = gw1 if node is gw0 else gw0
    replacement = FakeNode("gw2")
    sched.add_node(replacement)
    sched.add_node_collection(replacement, IDS)
    sched.schedule()
    drain(sched, [other, replacement], ran)
    assert sorted(ran + [crashed]) == sorted(IDS)
    assert IDS[-1] in ran


@pytest.mark.parametrize("second_crash", ["collecting", "collected"])
def test_both_workers_killed_at_once_while_a_replacement_collects(second_crash):
    """Issue 19 item 9: two workers die close together (pytest-timeout's thread method under -n 2).
    The first replacement finished collecting while the second was still collecting, and xdist's
    ``schedule`` gave the collecting one a work unit: KeyError <WorkerController gw3> (INTERNALERROR)."""
    gw0, gw1 = FakeNode("gw0"), FakeNode("gw1")
    sched = start([gw0, gw1])
    crashed = [IDS[gw0.queue[0]], IDS[gw1.queue[0]]]
    assert [sched.remove_node(gw0), sched.remove_node(gw1)] == crashed
    gw2, gw3 = FakeNode("gw2"), FakeNode("gw3")
    sched.add_node(gw2)
    sched.add_node(gw3)  # ready, still collecting
    sched.add_node_collection(gw2, IDS)
    sched.schedule()
    assert gw2.queue and not gw3.sends  # work goes to the worker that collected only
    ran: list[str] = []
    if second_crash == "collecting":  # the first replacement dies too while the second still collects
        crashed.append(IDS[gw2.queue[0]])
        assert sched.remove_node(gw2) == crashed[-1]
        live = [gw3]
    else:
        live = [gw2, gw3]
    sched.add_node_collection(gw3, IDS)
    sched.schedule()
    drain(sched, live, ran)
    assert sorted(ran + crashed) == sorted(IDS)


def test_normal_shutdown_reports_no_crash():
    gw0, gw1 = FakeNode("gw0"), FakeNode("gw1")
    sched = start([gw0, gw1])
    ran: list[str] = []
    drain(sched, [gw0, gw1], ran)
    assert sched.remove_node(gw0) is None and sorted(ran) == sorted(IDS)


def test_unknown_xdist_falls_back_to_load_with_a_warning():
    with pytest.warns(pytest.PytestWarning, match=r"pytest-xdist 4.0.0 is outside .* \(--dist load\)"):
        sched = make_scheduler(fake_config(2), None, xdist_version="4.0.0")
    assert type(sched) is LoadScheduling


@pytest.mark.parametrize(
    "text, expected",
    [("9.0.3", (9, 0)), ("9.2.0.dev340+g6a0de9be5", (9, 2)), ("3.8", (3, 8)), ("10", (10, 0)), ("4.0rc1", (4, 0))],
)
def test_version_parsing(text, expected):
    assert _version(text) == expected


GROUPED = """
import pytest

@pytest.mark.xdist_group("table")
def test_a():
    pass

@pytest.mark.xdist_group(name="b")
@pytest.mark.xdist_group("a")
@pytest.mark.parametrize("x", ["p@q"])
def test_two_groups(x):
    pass

def test_alone():
    pass
"""


def test_groups_are_written_into_node_ids(pytester):
    items = pytester.getitems(GROUPED)
    assert [group_suffix(it) for it in items] == ["table", "a_b", None]
    assert tag_groups(items) == []
    assert [it.nodeid.split("::")[1] for it in items] == ["test_a@table", "test_two_groups[p@q]@a_b", "test_alone"]
    assert tag_groups(items) == []  # already tagged: left alone


def test_unknown_pytest_leaves_ids_alone_and_says_which(pytester):
    items = pytester.getitems(GROUPED)
    before = [it.nodeid for it in items]
    assert tag_groups(items, pytest_version="10.0.0") == before[:2]
    assert [it.nodeid for it in items] == before
