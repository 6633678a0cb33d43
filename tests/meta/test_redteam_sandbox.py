"""Red team, the sandbox (issue #12): libraries out of reach, a decoder that only
parses, and a clock that learner code does not own.

Each attack is a whole submission from tests/meta/redteam/, graded as in
test_redteam.py; what it must not get: points, a grader traceback, or any
effect on the grader's side.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import re
import site
import sysconfig

import numpy as np
import pytest
from scene import WALLS, Scene

from grader.engine import runner
from grader.engine.renderers import to_json
from grader.engine.report import Report
from grader.engine.runner import grade_exercise

LIBRARIES = ("scipy", "tensorflow", "sklearn", "torch")
GENEROUS_CALL_TIMEOUT_S = 120.0  # importing a big library under the rlimit wall takes a while


def _messages(report: Report) -> str:
    return "\n".join([report.notice, *(c.message for c in report.checks)])


def _no_grader_traceback(report: Report) -> None:
    assert "internal error in the grader" not in _messages(report), _messages(report)


def _host_package_folders() -> list[str]:
    """Every folder this machine's Python keeps installed packages in."""
    stdlib = sysconfig.get_path("stdlib")
    folders = {os.path.join(stdlib, name) for name in ("site-packages", "dist-packages")}
    folders |= {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    return sorted(folders | set(site.getsitepackages()))


def _submit_import_attack(scene: Scene, libraries: tuple[str, ...]):
    """The blocker-removing attack for exercise 2, told where the host keeps its packages."""
    folder = scene.submit("removes_the_import_blocker", 2)
    module = folder / "ex02_activations.py"
    source = module.read_text("utf-8").replace("__SITE_FOLDERS__", repr(_host_package_folders()))
    source = source.replace(f"LIBRARIES = {LIBRARIES!r}", f"LIBRARIES = {libraries!r}")
    module.write_text(source, "utf-8")
    return folder


# ---------------------------------------------------------------- libraries


def test_behind_bubblewrap_no_forbidden_library_can_be_imported(scene, monkeypatch):
    """With the import blocker gone and every host package folder on sys.path, none of
    SciPy, TensorFlow, scikit-learn or PyTorch is found, installed here or not."""
    monkeypatch.setenv("NNLAB_ISOLATION", "bwrap")
    assert importlib.util.find_spec("tensorflow"), "TensorFlow, a dependency, is installed here"
    report = grade_exercise(2, _submit_import_attack(scene, LIBRARIES))

    assert report.score == 0
    _no_grader_traceback(report)
    text = _messages(report)
    for library in LIBRARIES:
        # The import was tried, past the blocker, and found nothing.
        assert f"{library}: ModuleNotFoundError: No module named '{library}'" in text, text
    assert "not allowed in nnlab" not in text, "the blocker, not the wall, stopped it"
    assert json.loads(to_json(report))["forbidden_libraries_reachable"] is False


def test_under_the_rlimit_wall_the_report_says_libraries_are_reachable(scene, monkeypatch):
    """The rlimit wall's documented weakness: the attack imports a library, and the
    report says that libraries were within reach."""
    monkeypatch.setenv("NNLAB_ISOLATION", "rlimits")
    limits_for = runner.limits_for
    monkeypatch.setattr(
        runner,
        "limits_for",
        lambda exercise: dataclasses.replace(
            limits_for(exercise), call_timeout_s=GENEROUS_CALL_TIMEOUT_S
        ),
    )
    # The quickest to import of those installed (TensorFlow always is).
    library = next(filter(importlib.util.find_spec, ("scipy", "sklearn", "tensorflow")))
    report = grade_exercise(2, _submit_import_attack(scene, (library,)))

    _no_grader_traceback(report)
    assert report.isolation == "rlimits"
    assert json.loads(to_json(report))["forbidden_libraries_reachable"] is True
    assert report.score == report.max_score, f"{library} was not reachable: {_messages(report)}"


# ---------------------------------------------------------------- the decoder


@pytest.mark.parametrize("wall", WALLS)
def test_forged_answers_make_the_grader_run_nothing(wall, scene, monkeypatch, tmp_path):
    """Answers rewritten on the wire (an rng named "test", malformed values) are the
    learner's failures: nothing of NumPy's is called, nothing is written, no traceback."""
    monkeypatch.setenv("NNLAB_ISOLATION", wall)
    called = []
    monkeypatch.setattr(np.random, "test", lambda *args, **kwargs: called.append(args))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    report = grade_exercise(2, scene.submit("forges_wire_values", 2))

    assert report.score == 0
    _no_grader_traceback(report)
    assert called == [], "the grader called np.random.test"
    assert list(cwd.iterdir()) == [], "the grader wrote into its working directory"
    for check in report.checks:
        assert re.search(r"garbled data|malformed answer|raised Exception", check.message), (
            f"{check.name}: {check.message}"
        )
    assert "must name one of PCG64" in _messages(report)


# ---------------------------------------------------------------- the clock


@pytest.mark.parametrize("wall", WALLS)
@pytest.mark.parametrize("attack", ["fake_clock", "answers_repeats_from_memory"])
def test_a_pixel_loop_fails_the_vectorisation_check_whatever_it_does_to_clocks(
    attack, wall, scene, monkeypatch
):
    """The grader times the worker's CPU itself: stopped clocks in the worker and an
    instant repeat from memory change nothing. Every other check passes."""
    monkeypatch.setenv("NNLAB_ISOLATION", wall)
    report = grade_exercise(5, scene.submit(attack, 5))

    _no_grader_traceback(report)
    failed = {c.name: c.message for c in report.checks if c.status != "passed"}
    assert list(failed) == ["conv2d_forward_is_vectorised"], failed
    assert "of CPU time" in failed["conv2d_forward_is_vectorised"]
    assert "vectorise it" in failed["conv2d_forward_is_vectorised"]
    vectorised = next(c for c in report.checks if c.name == "conv2d_forward_is_vectorised")
    assert report.score == report.max_score - vectorised.max_points
