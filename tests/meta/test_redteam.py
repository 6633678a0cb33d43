"""Red team: hostile submissions earn nothing they did not compute and harm nothing.

Every module in tests/meta/redteam/ is a whole submission attacking the grader one
way. Each is graded behind both walls (NNLAB_ISOLATION=bwrap and =rlimits):
it must score 0 on the exercise it attacks (a capstone attack keeps only the
point for its honestly declared network), leave no process behind, and the
next exercise graded in the same process must still earn full marks.

What the rlimit wall cannot stop -- learner code there runs with the
grader's own rights -- is recorded, not hidden: each such attack names its
weakness, and only under that wall, with the report naming it, may it get through.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from scene import KIT_ROOT, WALLS, Scene

from grader.engine import runner
from grader.engine.renderers import to_json
from grader.engine.report import Report
from grader.engine.runner import GradingOptions, grade_exercise

CALL_TIMEOUT_S = 1.5
PROCESSES = 32


def _unpickled(report: Report, scene: Scene) -> str:
    marker = scene.outside / "unpickled-by-the-grader"
    return f"the grader unpickled the payload ({marker} exists)" if marker.exists() else ""


def _scored(report: Report, scene: Scene) -> str:
    return f"it scored {report.score:g}/{report.max_score:g}" if report.score > 0 else ""


def _reached_the_bar(report: Report, scene: Scene) -> str:
    passed = [c for c in report.checks if c.name.startswith("test_accuracy") and c.points > 0]
    return f"it passed the accuracy check: {passed[0].message}" if passed else ""


def _wrote_outside(report: Report, scene: Scene) -> str:
    marker = scene.outside / "written-by-the-learner"
    return f"it wrote {marker}" if marker.exists() else ""


def _connected(report: Report, scene: Scene) -> str:
    port = scene.listener.getsockname()[1]
    return f"it connected to 127.0.0.1:{port}" if scene.connected() else ""


def _nothing(report: Report, scene: Scene) -> str:
    return ""


AS_THE_GRADER = "the rlimit wall runs learner code with the grader's own rights: "


@dataclass(frozen=True)
class Attack:
    """One red-team module and what proves the wall held.

    - evidence: a pattern the report's messages must show (the attack was met, not missed).
    - breach: (report, scene) -> what got through, "" when nothing did.
    - weakness: why the rlimit wall cannot stop it ("": both walls must).
    - spawns: the fewest of its named processes that must have been seen alive.
    - honest: checks it may pass because it did their work (a capstone's declared network).
    - control: a replacement that makes the module honest; it must then earn full marks.
    """

    module: str
    evidence: str = ""
    exercise: int = 2
    breach: Callable[[Report, Scene], str] = _nothing
    weakness: str = ""
    spawns: int = 0
    honest: frozenset[str] = frozenset()
    control: tuple[str, str] | None = None


ATTACKS = [
    Attack("endless_loop", r"did not finish within 1\.5 s"),
    Attack("memory_bomb", "ran out of memory"),
    Attack("fork_bomb", spawns=2),
    Attack("exit_at_import", "exited with code 0"),
    Attack("ignores_sigterm", r"`step` did not finish within", spawns=1),
    Attack("runaway_thread", spawns=1),
    Attack("fake_results", "raised ValueError: all checks passed"),
    Attack("patches_numpy"),
    Attack("imports_tensorflow", "imports tensorflow: exercises must be written with NumPy only"),
    Attack(
        "imports_tensorflow_by_built_up_name",
        "imports tensorflow: exercises must be written with NumPy only",
        control=('"tens" + "orflow"', '"ma" + "th"'),
    ),
    Attack(
        "imports_the_solutions",
        "found no solutions to copy",
        breach=_scored,
        weakness=AS_THE_GRADER + "it finds solutions/ on disk and imports it",
    ),
    Attack("pickle_payload", "cannot be checked|garbled", breach=_unpickled),
    # The worker gets no test images and is judged by its weights, so labels read off
    # the disk (the rlimit wall lets it) buy nothing: both walls must hold. Its old-style
    # answer does not even fit the call (tests/meta/test_redteam_capstone.py has the rest).
    Attack(
        "reads_test_labels",
        r"missing 1 required positional argument: 'x_test'|returned None as weights",
        exercise=12,
        breach=_reached_the_bar,
        honest=frozenset({"network_and_training_settings_are_valid"}),
    ),
    Attack(
        "writes_outside",
        breach=_wrote_outside,
        weakness=AS_THE_GRADER + "it can write wherever the grader can",
    ),
    Attack(
        "opens_socket",
        breach=_connected,
        weakness="the rlimit wall has no network namespace: it reaches the grader's network",
    ),
]


@pytest.fixture
def quick_limits(monkeypatch):
    """Short call timeouts and a small process limit, for every exercise graded."""
    limits_for = runner.limits_for
    monkeypatch.setattr(
        runner,
        "limits_for",
        lambda exercise: dataclasses.replace(
            limits_for(exercise), call_timeout_s=CALL_TIMEOUT_S, processes=PROCESSES
        ),
    )


def _text(report: Report) -> str:
    return "\n".join([report.notice, *(c.message for c in report.checks)])


@pytest.mark.parametrize("wall", WALLS)
@pytest.mark.parametrize("attack", ATTACKS, ids=lambda attack: attack.module)
def test_an_attack_earns_nothing_and_harms_nothing(attack, wall, scene, monkeypatch, quick_limits):
    monkeypatch.setenv("NNLAB_ISOLATION", wall)
    folder = scene.submit(attack.module, attack.exercise)
    submitted = {p.name: p.read_bytes() for p in folder.iterdir()}
    options = GradingOptions(progress=scene.look, report_dir=scene.outside.parent / "plots")
    report = grade_exercise(attack.exercise, folder, options)

    assert json.loads(to_json(report))["isolation"] == wall
    assert report.limits["processes"] == PROCESSES
    assert scene.survivors() == [], "processes of the attack outlived its grade"
    assert scene.most_seen >= attack.spawns, "the attack's processes were never seen alive"
    if attack.spawns and wall == "bwrap":
        assert scene.most_seen <= PROCESSES, "the process limit did not hold"
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == submitted
    after = grade_exercise(1, KIT_ROOT / "solutions")
    assert after.isolation == wall
    assert after.score == after.max_score > 0, "the next exercise lost points"

    breach = attack.breach(report, scene)
    if breach:
        # Only the rlimit wall may be breached, only by an attack whose weakness is
        # documented, and the report must own up to the weak wall it was graded behind.
        assert wall == "rlimits" and attack.weakness, f"got through the {wall} wall: {breach}"
        assert report.isolation == "rlimits"
        return
    earned = {c.name for c in report.checks if c.points > 0}
    assert earned <= attack.honest, f"earned points on {sorted(earned - attack.honest)}"
    assert re.search(attack.evidence, _text(report)), _text(report)
    if attack.control:
        honest = grade_exercise(
            attack.exercise, scene.submit(attack.module, attack.exercise, attack.control)
        )
        assert honest.score == honest.max_score > 0, "the control, without the attack, must pass"
