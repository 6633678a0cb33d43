"""Red team, resources (issue #13): one submission cannot take what its neighbour needs,
nor outlive its grading.

Each attack is a whole submission from tests/meta/redteam/, graded behind both walls
as in test_redteam.py. Whatever the host offers, the attack earns nothing,
leaves no process behind, and the next student still earns full marks. Where
the host gives workers control groups (cgroups.py), the group's limits must
also be what stopped it; where it does not, only that part is skipped, with
the reason the report gives.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from scene import KIT_ROOT, WALLS, Scene, live_processes_named

from grader.engine import runner
from grader.engine.report import Report
from grader.engine.runner import grade_exercise
from grader.sandbox import cgroups

CALL_TIMEOUT_S = 1.5
PROCESSES = 64
GROUP_MEMORY_BYTES = 512 * 2**20  # the attack tries 2 GiB
HOG_CALL_TIMEOUT_S = 6.0  # the hog's 11 checks then keep it busy for a minute at least
HOG_CHILDREN_SEEN = 40
WAIT_S = 600


@pytest.fixture
def small_limits(monkeypatch):
    """Short call timeouts and a small group memory limit for every exercise graded."""
    limits_for = runner.limits_for
    monkeypatch.setattr(
        runner,
        "limits_for",
        lambda exercise: dataclasses.replace(
            limits_for(exercise),
            call_timeout_s=CALL_TIMEOUT_S,
            processes=PROCESSES,
            memory_bytes=GROUP_MEMORY_BYTES,
        ),
    )


def _messages(report: Report) -> str:
    return "\n".join([report.notice, *(c.message for c in report.checks)])


def _earned_nothing_and_left_nothing(report: Report, scene: Scene, wall: str) -> None:
    assert report.isolation == wall
    assert report.score == 0, f"the attack scored {report.score:g}"
    assert "internal error in the grader" not in _messages(report), _messages(report)
    assert scene.survivors() == [], "processes of the attack outlived its grade"
    honest = grade_exercise(2, KIT_ROOT / "solutions")
    assert honest.score == honest.max_score > 0, "the next student lost points"


def _skip_unless_applied(limits: dict, control: str, done: str) -> None:
    """Skip the rest of a test (what `done` already showed holds) unless the report says
    each worker's group applied `control`; the reason is the report's."""
    group = limits.get("cgroup")
    if group is None:
        pytest.skip(f"{done}; no control groups here: {limits.get('cgroup_unavailable')}")
    if control not in group["hierarchies"]:
        pytest.skip(f"{done}; no {control} control here: {group['not_applied'].get(control)}")


@pytest.mark.parametrize("wall", WALLS)
def test_memfd_held_by_forked_children_stops_at_the_group_limit(
    wall, scene, monkeypatch, small_limits
):
    monkeypatch.setenv("NNLAB_ISOLATION", wall)
    report = grade_exercise(2, scene.submit("memfd_and_forks", 2))
    _earned_nothing_and_left_nothing(report, scene, wall)
    text = _messages(report)  # the attack ran: it says what it held, or was stopped doing so
    assert re.search(r"held \d+ MiB|went over its memory limit", text), text

    _skip_unless_applied(report.limits, "memory", "the attack earned nothing and left nothing")
    assert report.limits["cgroup"]["memory_bytes"] == GROUP_MEMORY_BYTES
    held = [int(mib) for mib in re.findall(r"held (\d+) MiB", text)]
    assert all(mib * 2**20 <= GROUP_MEMORY_BYTES for mib in held), f"the children held {held} MiB"
    if not held:
        assert "went over its memory limit of 512 MiB (all its processes together)" in text


@pytest.mark.parametrize("wall", WALLS)
def test_a_double_forked_daemon_dies_with_its_grading(wall, scene, monkeypatch, small_limits):
    """The daemon leaves the worker's session and parent; it still ends with the
    worker (its pid namespace, its group, or the launcher's init), and the next
    student's modules stay untouched."""
    monkeypatch.setenv("NNLAB_ISOLATION", wall)
    temp = scene.outside.parent / "tmp"  # where the daemon looks: the grader's folders
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    options = runner.GradingOptions(progress=scene.look)
    report = grade_exercise(2, scene.submit("double_fork_daemon", 2), options)
    assert scene.most_seen >= 1, "the daemon was never seen alive"
    _earned_nothing_and_left_nothing(report, scene, wall)


GRADE_ONE = """
import dataclasses, sys
from pathlib import Path
from grader.engine import oracles
from grader.engine import runner
from grader.engine.renderers import to_json

number, folder, timeout, out = int(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
if timeout:
    limits_for = runner.limits_for
    runner.limits_for = lambda e: dataclasses.replace(limits_for(e), call_timeout_s=timeout)
oracles.warm_up()
print("ready", flush=True)
sys.stdin.readline()
Path(out).write_text(to_json(runner.grade_exercise(number, folder)), "utf-8")
"""


def _grader(folder: Path, out: Path, wall: str, call_timeout_s: float = 0.0) -> subprocess.Popen:
    """A grader process for exercise 2 of `folder`, warmed up and waiting for a line on stdin."""
    process = subprocess.Popen(
        [sys.executable, "-c", GRADE_ONE, "2", str(folder), str(call_timeout_s), str(out)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, NNLAB_ISOLATION=wall),
    )
    assert process.stdout.readline().strip() == "ready"
    return process


def _go(process: subprocess.Popen) -> None:
    process.stdin.write("go\n")
    process.stdin.flush()


@pytest.mark.parametrize("wall", WALLS)
def test_a_cpu_hog_does_not_cost_its_neighbour_a_point(wall, scene, tmp_path):
    """Two students graded at once, as `grade batch --jobs 2` does: one forks 48 busy
    children at import (each in a session of its own) and spins in every call; the
    honest one beside it keeps full marks, the hog gets nothing and leaves nothing."""
    hog_folder = scene.submit("cpu_hog_children", 2)
    honest = _grader(KIT_ROOT / "solutions", tmp_path / "honest.json", wall)
    hog = _grader(hog_folder, tmp_path / "hog.json", wall, HOG_CALL_TIMEOUT_S)
    try:
        _go(hog)
        deadline = time.monotonic() + WAIT_S
        while len(live_processes_named(scene.token)) < HOG_CHILDREN_SEEN:
            assert hog.poll() is None and time.monotonic() < deadline, "the hog never started"
            time.sleep(0.1)
        _go(honest)
        honest.wait(timeout=WAIT_S)
        assert hog.poll() is None, "the hog's grading ended first: the neighbour was not tested"
        hog.wait(timeout=WAIT_S)
    finally:
        for process in (honest, hog):
            process.kill()
            process.wait()
    neighbour = json.loads((tmp_path / "honest.json").read_text("utf-8"))
    lost = [c["message"] for c in neighbour["checks"] if c["points"] < c["max_points"]]
    assert neighbour["score"] == neighbour["max_score"] > 0, lost
    attacker = json.loads((tmp_path / "hog.json").read_text("utf-8"))
    assert attacker["score"] == 0
    assert scene.survivors() == [], "processes of the hog outlived its grade"
    _skip_unless_applied(attacker["limits"], "cpu", "the neighbour kept its marks")
    assert attacker["limits"]["cgroup"]["cpu_cores"] == 1


def test_the_report_names_the_controls_that_applied(monkeypatch):
    """`limits.cgroup` says what each worker's group applied, or why there is none."""
    report = grade_exercise(1, KIT_ROOT / "solutions")
    plan = cgroups.plan()
    group = report.limits["cgroup"]
    if plan.parents:
        assert set(group["hierarchies"]) | set(group["not_applied"]) == set(cgroups.CONTROLS)
        assert group["pids"] in (report.limits["processes"], None)
    else:
        assert group is None and report.limits["cgroup_unavailable"] == plan.unavailable
    monkeypatch.setenv(cgroups.CGROUPS_ENV, "off")
    monkeypatch.setattr(cgroups, "PLANS", {})
    report = grade_exercise(1, KIT_ROOT / "solutions")
    assert report.limits["cgroup"] is None
    assert "NNLAB_CGROUPS=off" in report.limits["cgroup_unavailable"]
    assert report.score == report.max_score > 0, "the rlimits alone still grade"
