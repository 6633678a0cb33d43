"""Red team, the grading itself: submissions are regular files, hidden checks run apart.

- A symbolic link to the reference (the module, the `exercises/` folder, a
  capstone's exercise modules, Gradescope's layout) earns nothing and leaks nothing.
- A FIFO or a device in a module's place is refused at once, plainly.
- Hidden checks get a worker of their own, so no hidden input reaches a visible
  message; an instructor's secret seed changes every hidden check's inputs, and
  only hidden ones.
- A function whose answer changes for the same input is reported as the
  learner's non-determinism, not as the grader's internal error.
- Exercise 19's trainer paths: hostile recurrent layers (the learner's exercise 18,
  called by the trainer in the sandbox) and hostile network values cost exactly the
  checks they touch their points, each with a plain message.
- Exercise 21's trainer answer: samples in place of the generator's weights, weights
  of the wrong shape, NaN or overflowing, or a history out of form, earn no trained
  check a point; a history of absurd but finite numbers is displayed, not a crash.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from scene import KIT_ROOT, REDTEAM

from grader.course.registry import get_exercise
from grader.engine import runner
from grader.engine.runner import GradingOptions, grade_exercise
from grader.engine.submission import LAYER_EXERCISES

SOLUTIONS = KIT_ROOT / "solutions"
WALLS = ("bwrap", "rlimits")


def _messages(report) -> str:
    return "\n".join([report.notice, *(c.message for c in report.checks)])


def _no_reference_text(report, *numbers: int) -> None:
    """No line of the references' fenced answers appears in the report's messages."""
    text = _messages(report)
    for number in numbers:
        source = (SOLUTIONS / get_exercise(number).filename).read_text("utf-8")
        assert "BEGIN SOLUTION" not in text
        body = re.findall(r"# BEGIN SOLUTION\n(.*?)# END SOLUTION", source, re.S)
        for line in {line.strip() for block in body for line in block.splitlines()}:
            if len(line) > 30:
                assert line not in text, f"the report carries the reference's line {line!r}"


@pytest.mark.parametrize("wall", WALLS)
def test_a_link_to_the_reference_earns_nothing(tmp_path, monkeypatch, wall):
    monkeypatch.setenv("NNLAB_ISOLATION", wall)
    record = get_exercise(2)
    (tmp_path / record.filename).symlink_to(SOLUTIONS / record.filename)
    report = grade_exercise(2, tmp_path)
    assert report.score == 0
    assert "symbolic link" in report.notice
    _no_reference_text(report, 2)


def test_a_linked_exercises_folder_earns_nothing(tmp_path):
    (tmp_path / "exercises").symlink_to(SOLUTIONS, target_is_directory=True)
    report = grade_exercise(2, tmp_path)
    assert report.score == 0
    assert "symbolic link" in report.notice


def test_links_among_a_capstones_exercise_modules_are_refused(tmp_path):
    capstone = get_exercise(12)
    shutil.copy(SOLUTIONS / capstone.filename, tmp_path / capstone.filename)
    for number in sorted(LAYER_EXERCISES):
        name = get_exercise(number).filename
        if number in (5, 7):
            (tmp_path / name).symlink_to(SOLUTIONS / name)
        else:
            shutil.copy(SOLUTIONS / name, tmp_path / name)
    report = grade_exercise(12, tmp_path)
    assert report.score == 0
    assert "symbolic link" in report.notice
    _no_reference_text(report, 5, 7)


def test_a_fifo_or_a_device_in_a_modules_place_is_refused_at_once(tmp_path):
    record = get_exercise(2)
    fifo = tmp_path / "fifo"
    fifo.mkdir()
    os.mkfifo(fifo / record.filename)
    report = grade_exercise(2, fifo)  # would block forever if the FIFO were read
    assert report.score == 0 and "named pipe" in report.notice
    device = tmp_path / "device"
    device.mkdir()
    (device / record.filename).symlink_to("/dev/zero")
    report = grade_exercise(2, device)
    assert report.score == 0 and "symbolic link" in report.notice


def test_a_folder_or_an_oversized_file_in_a_modules_place_is_refused(tmp_path):
    record = get_exercise(2)
    (tmp_path / "dir" / record.filename).mkdir(parents=True)
    report = grade_exercise(2, tmp_path / "dir")
    assert report.score == 0 and "a folder" in report.notice
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / record.filename).write_bytes(b"#" * (2**20 + 1))
    report = grade_exercise(2, tmp_path / "big")
    assert report.score == 0 and "larger than" in report.notice


def test_gradescope_layout_with_a_link_to_the_reference_earns_nothing(tmp_path):
    root = tmp_path / "autograder"
    (root / "source" / "solutions").mkdir(parents=True)
    record = get_exercise(2)
    reference = root / "source" / "solutions" / record.filename
    shutil.copy(SOLUTIONS / record.filename, reference)
    (root / "submission").mkdir()
    (root / "submission" / record.filename).symlink_to(reference)
    env = dict(os.environ, NNLAB_AUTOGRADER_ROOT=str(root))
    done = subprocess.run(
        [sys.executable, "-m", "grader.cli", "exercise", "2", "--format", "gradescope"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    results = json.loads((root / "results" / "results.json").read_text("utf-8"))
    assert results["score"] == 0
    assert "symbolic link" in json.dumps(results)


def _tokens(report, hidden: bool) -> set[str]:
    found = set()
    for check in report.checks:
        if check.visible != hidden:
            found.update(re.findall(r"worker (\w+) digest", check.message))
    return found


def _digests(report) -> dict[str, str]:
    return {
        c.name: re.search(r"digest (\w+) calls", c.message).group(1)
        for c in report.checks
        if "digest" in c.message
    }


def _submit(tmp_path: Path, module: str, exercise: int) -> Path:
    folder = tmp_path / module
    folder.mkdir(exist_ok=True)
    shutil.copy(REDTEAM / f"{module}.py", folder / get_exercise(exercise).filename)
    return folder


@pytest.mark.parametrize("wall", WALLS)
def test_hidden_checks_inputs_never_reach_a_visible_message(tmp_path, monkeypatch, wall):
    monkeypatch.setenv("NNLAB_ISOLATION", wall)
    report = grade_exercise(2, _submit(tmp_path, "smuggles_hidden_inputs", 2))
    visible, hidden = _tokens(report, hidden=False), _tokens(report, hidden=True)
    assert visible and hidden, _messages(report)
    assert not visible & hidden, "a hidden check and a visible one shared a worker"


def test_a_secret_seed_changes_hidden_inputs_only(tmp_path, monkeypatch):
    folder = _submit(tmp_path, "smuggles_hidden_inputs", 2)
    monkeypatch.delenv("NNLAB_SEED", raising=False)
    plain = grade_exercise(2, folder)
    spring = grade_exercise(2, folder, GradingOptions(seed="spring 2027"))
    again = grade_exercise(2, folder, GradingOptions(seed="spring 2027"))
    monkeypatch.setenv("NNLAB_SEED", "autumn 2027")
    autumn = grade_exercise(2, folder)
    hidden = {c.name for c in plain.checks if not c.visible and "digest" in c.message}
    generated = hidden & {"tanh_backward_matches_gradient_tape"}
    assert generated, "exercise 2 should have a hidden check with generated inputs"
    for report in (spring, again, autumn):
        for name, digest in _digests(report).items():
            if name not in hidden:
                assert digest == _digests(plain)[name], f"the seed changed visible {name}"
    for name in generated:
        assert _digests(spring)[name] == _digests(again)[name], "one seed, one set of inputs"
        assert len({_digests(r)[name] for r in (plain, spring, autumn)}) == 3
    assert plain.seed == ""
    assert spring.seed.startswith("sha256:") and "spring" not in json.dumps(spring.to_dict())
    assert autumn.seed not in ("", spring.seed)


def test_an_answer_that_changes_on_replay_is_the_learners_non_determinism(tmp_path):
    source = (SOLUTIONS / get_exercise(2).filename).read_text("utf-8")
    flaky = (
        source
        + "\n\n_CALLS = [0]\n_relu = relu\n\n\ndef relu(x):\n"
        + "    _CALLS[0] += 1\n"
        + "    return _relu(x) + (1.0 if _CALLS[0] % 3 == 0 else 0.0)\n"
    )
    (tmp_path / get_exercise(2).filename).write_text(flaky, "utf-8")
    report = grade_exercise(2, tmp_path)
    relu_checks = [c for c in report.checks if "relu_matches" in c.name]
    assert relu_checks and relu_checks[0].points == 0
    assert "internal error" not in _messages(report)
    assert "different result when the same input was tried again" in relu_checks[0].message


def test_the_exercise_time_limit_holds_during_a_check(tmp_path, monkeypatch):
    """Calls that sleep just under the call timeout and answer wrong: each check stops
    at its share of the exercise's time, and the exercise at its limit, mid-check."""
    limit, sleep = 16.0, 2.5
    record = dataclasses.replace(get_exercise(2), time_limit_s=limit, call_timeout_s=3.0)
    monkeypatch.setattr(runner, "get_exercise", lambda number: record)
    source = (REDTEAM / "slow_wrong.py").read_text("utf-8").replace("__SLEEP__", str(sleep))
    (tmp_path / record.filename).write_text(source, "utf-8")
    started = time.monotonic()
    report = grade_exercise(2, tmp_path)
    took = time.monotonic() - started
    assert report.score == 0
    shares = [c for c in report.checks if "used its share of the exercise's time" in c.message]
    assert shares, _messages(report)
    stopped = [c for c in report.checks if "time limit of 16 s was reached" in c.message]
    not_run = [c for c in report.checks if c.message.startswith("not run")]
    assert stopped or not_run, _messages(report)
    assert "internal error" not in _messages(report)
    # Without the watchdog, shrinking alone took minutes; the limit plus worker start-ups
    # and a generous margin for a loaded machine:
    assert took < limit + 60, f"grading took {took:.0f} s for a {limit:g} s exercise"


# ---- exercise 19: the recurrent capstone's trainer paths

SPEC_CHECKS = (
    "adding_network_and_training_settings_are_valid",
    "rows_network_and_training_settings_are_valid",
)
TRAINED_CHECKS = (
    "adding_parameter_count_matches_the_same_model_in_keras",
    "adding_test_error_is_below_the_bar",
    "rows_parameter_count_matches_the_same_model_in_keras",
    "rows_test_accuracy_reaches_the_bar",
)
COMPARISONS = ("adding_network_in_keras_for_comparison", "rows_network_in_keras_for_comparison")
NOT_PLAIN = ("internal error", "Traceback", "<grader.", " object at 0x")


@dataclass(frozen=True)
class SequenceAttack:
    """An attack on exercise 19, appended to the reference module of exercise `into`: 18
    (tests/meta/redteam/recurrent_layers_ex18.py: the layers the trainer calls in the
    sandbox) or 19 (network_spec_ex19.py: the networks the module declares).

    - value: what the module's marker becomes (its docstring lists them); the test id.
    - evidence: a pattern in the message of each check in `loses`.
    - loses: the checks that must lose their points; the spec checks not in it keep theirs.
    - whole: grade every check (the attack stops both trainings at their first batch, or
      both networks before training); False stops at the first failure, for an attack
      that lets the adding network train to its end (the MNIST one would take minutes).
    - walls: the walls it is graded behind.
    """

    value: str
    into: int
    evidence: str
    loses: tuple[str, ...] = TRAINED_CHECKS
    whole: bool = True
    walls: tuple[str, ...] = ("bwrap",)

    @property
    def module(self) -> str:
        """The red-team module appended to the reference."""
        return "recurrent_layers_ex18" if self.into == 18 else "network_spec_ex19"

    @property
    def marker(self) -> str:
        """The placeholder in the module that `value` replaces."""
        return "__ATTACK__" if self.into == 18 else "__SPEC__"


TRAINING_RAISED = r"^the training of your network raised \w+Error: "
SPEC_LOST = SPEC_CHECKS + TRAINED_CHECKS
SEQUENCE_ATTACKS = [
    SequenceAttack(
        "escape",
        18,
        TRAINING_RAISED + r"escape: wrote nothing \(\w+\); read nothing \(\w+\)",
        walls=WALLS,
    ),
    SequenceAttack("wrong_shape", 18, TRAINING_RAISED),
    SequenceAttack("giant", 18, r"^the training of your network ran out of memory"),
    SequenceAttack("objects", 18, TRAINING_RAISED),
    SequenceAttack(
        "nan",
        18,
        r"^your trained network cannot be judged: .* `kernel` for ADDING_LAYERS\[0\] \(lstm\) "
        r"holding [\d,]+ NaN or infinite values",
        loses=("adding_parameter_count_matches_the_same_model_in_keras",),
        whole=False,
    ),
    SequenceAttack("sly_list", 19, r"^`(ADDING_)?LAYERS` raised RuntimeError", SPEC_LOST),
    SequenceAttack(
        "sly_dicts", 19, r"^your network cannot be built: (ADDING_)?LAYERS\[0\]: `units`", SPEC_LOST
    ),
    SequenceAttack("deep", 19, r"^`(ADDING_)?LAYERS` raised RecursionError", SPEC_LOST),
    # A long plain list, and a layer too wide to build: refused before Keras builds them.
    SequenceAttack("long", 19, r"^your network cannot be built: ", SPEC_LOST),
    SequenceAttack("wide", 19, r"^your network cannot be built: ", SPEC_LOST),
]


@pytest.mark.parametrize(
    ("attack", "wall"),
    [(attack, wall) for attack in SEQUENCE_ATTACKS for wall in attack.walls],
    ids=lambda value: value if isinstance(value, str) else value.value,
)
def test_exercise_19_holds_against_hostile_layers_and_networks(attack, wall, scene, monkeypatch):
    monkeypatch.setenv("NNLAB_ISOLATION", wall)
    secret = f"secret of the grader {scene.token}"
    (scene.outside / "secret").write_text(secret, "utf-8")
    folder = scene.submit(attack.module, 19, (attack.marker, attack.value), into=attack.into)
    options = GradingOptions(
        first_failure_stops=not attack.whole,
        progress=scene.look,
        report_dir=scene.outside.parent / "plots",
    )
    report = grade_exercise(19, folder, options)

    assert report.isolation == wall
    assert scene.survivors() == [], "processes of the attack outlived its grade"
    checks = {c.name: c for c in report.checks}
    if attack.whole:
        assert set(checks) == {*SPEC_CHECKS, *TRAINED_CHECKS, *COMPARISONS}, report.notice
    earned = {name for name, check in checks.items() if check.points > 0}
    assert earned == set(SPEC_CHECKS) & set(checks) - set(attack.loses), _messages(report)
    for check in report.checks:
        assert not any(words in check.message for words in NOT_PLAIN), check.message
    text = _messages(report)
    if (scene.outside / "written-by-the-learner").exists() or secret in text:
        # As in test_redteam.py: only the rlimit wall may be breached (it runs learner
        # code with the grader's own rights), and the report says which wall it was.
        assert wall == "rlimits", f"the attack got through the {wall} wall:\n{text}"
        return
    for name in attack.loses:
        assert re.search(attack.evidence, checks[name].message), checks[name].message


# ---- exercise 21: the GAN capstone judges its generator's weights, nothing else

GAN_VALID = "gan_networks_and_training_settings_are_valid"
GAN_TRAINED = (
    "generator_parameter_count_matches_the_same_model_in_keras",
    "samples_are_digits_the_judge_is_sure_of",
    "samples_spread_over_the_digits",
    "samples_are_close_to_real_digits_in_frechet_distance",
    "samples_are_not_copies_of_training_images",
)
GAN_COMPARISON = "gan_in_keras_for_comparison"
# What each answer of tests/meta/redteam/gan_trainer_ex21.py is told, after
# "your GAN cannot be judged: ".
GAN_ATTACKS = {
    "samples": r"the trainer returned an array of shape \(1000, 784\) and dtype float32 as "
    r"weights, expected a list with one dict of arrays per layer",
    "wrong_shape": r"weights `w` of shape \(784, 256\) for GENERATOR\[1\] \(dense\), "
    r"expected \(256, 784\)",
    "nan": r"weights `w` for GENERATOR\[0\] \(dense\) holding 25,600 NaN or infinite values",
    "overflow": r"its generator draws [\d,]+ NaN pixels",
    "history": r"the trainer's history has a value of type float as `loss`, "
    r"expected a finite number",
    # Epoch numbers and losses of +-1.7e308 are finite, but no curve could draw them.
    "absurd_history": r"the trainer's history has a value of type float as `epoch`, "
    r"expected a finite number \(at most 1e\+300 in size\)",
    "long_history": r"as its history, expected a list of at most 5 epoch records",
}


@pytest.mark.parametrize("wall", WALLS)
@pytest.mark.parametrize("attack", GAN_ATTACKS)
def test_exercise_21_judges_only_weights_it_can_use(attack, wall, scene, monkeypatch):
    """A trainer replaced in the worker answers at once with samples, or weights of the
    wrong shape, NaN, overflowing, or with a history out of form: every trained check
    loses its points with a plain message; the declared networks keep theirs."""
    monkeypatch.setenv("NNLAB_ISOLATION", wall)
    folder = scene.submit("gan_trainer_ex21", 21, ("__ATTACK__", attack), into=21)
    options = GradingOptions(progress=scene.look, report_dir=scene.outside.parent / "plots")
    report = grade_exercise(21, folder, options)

    assert report.isolation == wall
    assert scene.survivors() == [], "processes of the attack outlived its grade"
    checks = {c.name: c for c in report.checks}
    assert set(checks) == {GAN_VALID, *GAN_TRAINED, GAN_COMPARISON}, report.notice
    earned = {name for name, check in checks.items() if check.points > 0}
    assert earned == {GAN_VALID}, _messages(report)
    for check in report.checks:
        assert check.status != "error", f"{check.name}: {check.message}"
        assert not any(words in check.message for words in NOT_PLAIN), check.message
    for name in GAN_TRAINED:
        evidence = "^your GAN cannot be judged: .*" + GAN_ATTACKS[attack]
        assert re.search(evidence, checks[name].message), checks[name].message
