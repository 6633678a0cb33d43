"""The training profile in every report a learner or an instructor reads: exercise 12 graded
for real on a learner whose dense_backward loops over the batch's rows and units (right,
and about 70 times slower than the reference: named even when a busy machine slows the
reference's run several times), and on the references themselves; and a training that runs
out of time, which keeps the profile seen so far and says what it waited for."""

from __future__ import annotations

import json
import re
import types

import pytest
from grade_cli import grade
from html_page import Page

from grader.course.registry import get_exercise
from grader.engine import oracles, profile
from grader.engine.capstone import CapstoneProblem, profiled, train_in_sandbox, trained, validate
from grader.engine.profile import Timings, Watch, table_of
from grader.engine.renderers import RENDERERS
from grader.engine.report import Report
from grader.engine.runner import GradingOptions, grade_exercise
from grader.instructor.batch.html import escape, render_student_html
from grader.instructor.batch.record import StudentRecord
from grader.learner.terminal import report_text
from grader.sandbox.client import LearnerTimeout
from grader.sandbox.trainer import needed_functions

LAYERS = [
    {"layer": "dense", "units": 32, "activation": "relu"},
    {"layer": "dense", "units": 10, "activation": "softmax"},
]
TRAINING = {"optimizer": "adam", "learning_rate": 0.01, "epochs": 1, "batch_size": 256}
EX12 = f"LAYERS = {LAYERS!r}\nTRAINING = {TRAINING!r}\n"
SLOW_DENSE_BACKWARD = '''

def dense_backward(dout, x, w):
    """Loops over the batch's rows and the layer's units: right, and slow."""
    dx = np.zeros(x.shape, dtype=np.result_type(dout, w))
    dw = np.zeros(w.shape, dtype=np.result_type(dout, x))
    for i in range(len(x)):
        dx[i] = w @ dout[i]
        for j in range(w.shape[1]):
            dw[:, j] += x[i] * dout[i, j]
    return dx, dw, dout.sum(axis=0)
'''
# The flatten the kit puts in front of a dense first layer is layer 1.
SLOW_FINDING = re.compile(
    r"your dense_backward in layer 2 \(dense 32 relu\) takes \d+% of each batch, "
    r"\d+\.\dx the reference's time: exercise 4 teaches it; vectorise it as its docstring says"
)


def _learner_folder(folder, kit_root, slow: bool):
    """`folder` holding solutions 1-9 (dense_backward replaced by a loop when `slow`) and
    an exercise 12 of LAYERS and TRAINING."""
    folder.mkdir()
    for module in (kit_root / "solutions").glob("ex0[1-9]_*.py"):
        (folder / module.name).write_bytes(module.read_bytes())
    if slow:
        with (folder / "ex04_dense.py").open("a", encoding="utf-8") as ex04:
            ex04.write(SLOW_DENSE_BACKWARD)
    (folder / "ex12_mnist_mlp.py").write_text(EX12, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def slow_folder(tmp_path_factory, kit_root):
    return _learner_folder(tmp_path_factory.mktemp("slow") / "exercises", kit_root, slow=True)


@pytest.fixture(scope="module")
def slow_report(slow_folder, tmp_path_factory) -> Report:
    plots = tmp_path_factory.mktemp("slow-plots")
    return grade_exercise(12, slow_folder, GradingOptions(report_dir=plots))


@pytest.fixture(scope="module")
def slow_profile(slow_report) -> dict:
    (only,) = slow_report.profiles
    return only


def _words(text: str) -> str:
    """`text` with its whitespace collapsed: a terminal wraps long lines where it likes."""
    return " ".join(text.split())


# ---------------------------------------------------------------- a slow layer, named


def test_the_report_names_the_slow_function_against_the_reference(slow_profile):
    assert SLOW_FINDING.fullmatch(slow_profile["finding"]), slow_profile["finding"]
    assert slow_profile["reference_ms_per_batch"] > 0
    assert slow_profile["batches"] == 211  # 54,000 images (a tenth held out) in batches of 256
    rows = {(row["part"], row["function"]): row for row in slow_profile["rows"]}
    slow = rows["layer 2", "dense_backward"]
    assert slow["reference_ms"] > 0 and slow["ms"] > slow["reference_ms"]
    assert max(slow_profile["rows"], key=lambda row: row["share"]) == slow
    assert ("optimizer", "adam_step") in rows and ("", "softmax_cross_entropy") in rows


def test_the_json_report_carries_the_profile(slow_report, slow_profile):
    assert json.loads(RENDERERS["json"](slow_report))["profiles"] == [slow_profile]
    assert Report.from_dict(slow_report.to_dict()).profiles == [slow_profile]


def test_gradescope_shows_the_finding_in_its_output(slow_report, slow_profile):
    output = json.loads(RENDERERS["gradescope"](slow_report))["output"]
    assert f"exercise 12: {slow_profile['finding']}" in output.splitlines()


def test_the_terminal_report_shows_the_table_and_the_finding(slow_report, slow_profile):
    screen = _words(report_text(slow_report, "text", "en"))
    table = table_of(slow_profile)
    assert _words(table.title) in screen
    assert "dense_backward" in screen and "the kit itself" in screen
    assert _words(slow_profile["finding"]) in screen
    chinese = _words(report_text(slow_report, "text", "zh"))
    assert _words(table_of(slow_profile, "zh").finding) in chinese and "倍" in chinese


def test_the_batch_page_shows_the_table_with_its_text_escaped(slow_report, slow_profile):
    student = StudentRecord(student="ada", score=2.0, max_score=10.0)
    student.exercises = [slow_report.to_dict()]
    source = render_student_html(student)
    page = Page(source)
    (table,) = [t for t in page.find_all("table") if "profile" in t.attrs.get("class", "")]
    laid_out = table_of(slow_profile)
    assert page.one("caption", within=table).text == laid_out.title
    assert [cell.text for cell in page.find_all("th", within=table)] == laid_out.headers
    cells = [
        [cell.text for cell in page.find_all("td", within=row)]
        for row in page.find_all("tr", within=table)
    ]
    assert [row for row in cells if row] == laid_out.rows
    (alert,) = [p for p in page.find_all("p") if p.text == slow_profile["finding"]]
    assert alert.attrs["class"] == "alert"
    # the finding says "the reference's time": its quote is written as a character reference
    assert escape(slow_profile["finding"]) in source and slow_profile["finding"] not in source


def test_the_cli_prints_the_finding_and_fails_the_grade(slow_folder, tmp_path):
    done = grade(slow_folder, 12, "--report-dir", str(tmp_path / "plots"), cwd=tmp_path)
    assert done.returncode == 1, done.stderr[-2000:]
    lines = [line.strip() for line in done.stdout.splitlines()]
    assert any(SLOW_FINDING.fullmatch(line) for line in lines), done.stdout[-3000:]
    assert any(line.startswith("Where your training's time went: 211 batches") for line in lines)


def test_the_references_own_layers_are_not_named(tmp_path, kit_root):
    folder = _learner_folder(tmp_path / "exercises", kit_root, slow=False)
    report = grade_exercise(12, folder, GradingOptions(report_dir=tmp_path / "plots"))
    (only,) = report.profiles
    assert only["finding"] == "" and only["reference_ms_per_batch"] > 0
    assert all(row["reference_ms"] is not None for row in only["rows"][:-1])


# ---------------------------------------------------------------- a training that runs out of time


@pytest.fixture(scope="module")
def spec():
    return validate(LAYERS, TRAINING, (28, 28), 10, oracles.keras())


def _stopwatch(slow_seconds: float) -> dict:
    """What the trainer sends after 25 batches of 4 ms, `slow_seconds` in dense_backward."""
    return {
        "batches": 25,
        "seconds": 0.1,
        "calls": [
            ["layer 2", "dense_forward", 0.005],
            ["layer 2", "dense_backward", slow_seconds],
            ["optimizer", "adam_step", 0.005],
        ],
    }


def _reference(monkeypatch, timings: Timings | None) -> None:
    monkeypatch.setattr(profile, "reference_timings", lambda *args, **options: timings)


REFERENCE = Timings(40, 0.04, {("layer 2", "dense_backward"): 0.004})  # 0.1 ms a batch


def test_a_problem_keeps_the_profile_seen_and_says_what_was_slow(spec, monkeypatch):
    _reference(monkeypatch, REFERENCE)
    watch = Watch(spec.layers, spec.training, spec.input_shape)
    watch.seen({"epoch": 1, "batch": 25, "profile": _stopwatch(0.08)})
    problem = CapstoneProblem("the training of your network did not finish within 180 s", "timeout")
    kept = profiled(problem, watch)
    assert kept is problem and kept.status == "timeout"
    assert kept.profile.batches == 25
    first, finding = str(kept).split("\n")
    assert first == "the training of your network did not finish within 180 s"
    assert finding == kept.profile.finding
    assert finding.startswith("your dense_backward in layer 2 (dense 32 relu) takes 80% of each")
    assert "32.0x the reference's time" in finding


def test_without_the_reference_a_problem_names_what_took_most_of_each_batch(spec, monkeypatch):
    _reference(monkeypatch, None)
    watch = Watch(spec.layers, spec.training, spec.input_shape)
    watch.seen({"epoch": 1, "batch": 25, "profile": _stopwatch(0.08)})
    kept = profiled(CapstoneProblem("stopped", "timeout"), watch)
    assert str(kept) == (
        "stopped\nyour dense_backward in layer 2 (dense 32 relu) takes 80% of each batch: "
        "exercise 4 teaches it; vectorise it as its docstring says"
    )


def test_a_crash_keeps_the_profile_but_is_not_blamed_on_a_slow_function(spec, monkeypatch):
    _reference(monkeypatch, REFERENCE)
    watch = Watch(spec.layers, spec.training, spec.input_shape)
    watch.seen({"epoch": 1, "batch": 25, "profile": _stopwatch(0.08)})
    kept = profiled(CapstoneProblem("your code's process died", "error"), watch)
    assert str(kept) == "your code's process died"
    assert kept.profile.finding.startswith("your dense_backward in layer 2")


def test_a_problem_without_a_stopwatch_or_a_finding_is_left_as_it_was(spec, monkeypatch):
    _reference(monkeypatch, REFERENCE)
    watch = Watch(spec.layers, spec.training, spec.input_shape)
    watch.seen({"epoch": 1, "batch": 25, "profile": "forged"})
    kept = profiled(CapstoneProblem("stopped", "timeout"), watch)
    assert str(kept) == "stopped" and kept.profile is None
    watch.seen({"epoch": 1, "batch": 25, "profile": _stopwatch(0.0001)})
    kept = profiled(CapstoneProblem("stopped", "timeout"), watch)
    assert str(kept) == "stopped" and kept.profile.finding == ""


class _TimingOut:
    """Stands in for the worker: the trial run finds every function ready, then the training
    sends one progress message with `stopwatch` and runs out of time."""

    def __init__(self, stopwatch: dict):
        self.stopwatch = stopwatch

    def call(self, name, *args, on_progress=None, **options):
        if name == "probe_functions":
            return ["ready"] * len(needed_functions(*args))
        on_progress({"epoch": 1, "batch": 25, "batches": 211, "profile": self.stopwatch})
        raise LearnerTimeout("`fit_and_predict` did not finish within 180 s")


def test_a_training_that_times_out_reports_its_profile(spec, monkeypatch):
    _reference(monkeypatch, None)
    data = (([], []), ([], []))
    with pytest.raises(CapstoneProblem) as raised:
        train_in_sandbox(_TimingOut(_stopwatch(0.08)), spec, data, None, time_limit_s=180)
    problem = raised.value
    assert problem.status == "timeout" and problem.profile.batches == 25
    assert str(problem).split("\n") == [
        "the training of your network did not finish within 180 s",
        problem.profile.finding,
    ]
    # the check fixture gives the report that profile, as it gives a finished training's
    collector = types.SimpleNamespace(profiles=[], on_training=None)
    with pytest.raises(CapstoneProblem):
        trained(_TimingOut(_stopwatch(0.08)), spec, data, get_exercise(12), collector, None)
    assert collector.profiles == [problem.profile.to_dict()]
