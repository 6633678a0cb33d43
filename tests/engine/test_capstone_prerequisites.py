"""Capstones before exercises 1-9 are done, and capstones in CI logs (issue 14, items 8 and 18).

A capstone trains the learner's network from their own functions. The trainer
lists the functions a declared network needs (`needed_functions`), tries each
once on tiny inputs in the worker, and the grader names the missing ones by
exercise; the checks that need the trained network are then not run ("skipped",
no points), never "failed 0/0". Where no progress bars can be drawn, each epoch
prints one plain line.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import types
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest
from grade_cli import GRADE, KIT_ROOT, grade
from learner_modules import solution_module, stub_module

from grader.engine import oracles
from grader.engine.capstone import (
    MissingFunction,
    TrainerOutputError,
    describe_finished_epoch,
    describe_missing,
    progress_record,
    read_probe,
    validate,
)
from grader.engine.renderers import gradescope_results, to_junit
from grader.engine.report import Report
from grader.messages import translate
from grader.sandbox import trainer

KIT = KIT_ROOT
SOLUTIONS = KIT / "solutions"
# The modules a capstone's network is built from: exercises 1-9 and 18 (recurrent layers).
LAYER_MODULES = sorted([*(p.stem for p in SOLUTIONS.glob("ex0[1-9]_*.py")), "ex18_recurrent"])

MLP = [
    {"layer": "dense", "units": 16, "activation": "relu", "kernel_initializer": "he_normal"},
    {"layer": "dropout", "rate": 0.3},
    {"layer": "dense", "units": 12, "activation": "sigmoid"},
    {"layer": "dense", "units": 10, "activation": "tanh"},
    {"layer": "dense", "units": 10, "activation": "softmax"},
]
CNN = [
    {"layer": "conv2d", "filters": 3, "kernel_size": 3, "padding": "same", "activation": "relu"},
    {"layer": "max_pool", "pool_size": 2},
    {"layer": "conv2d", "filters": 2, "kernel_size": [2, 3], "stride": 2, "activation": "linear"},
    {"layer": "avg_pool", "pool_size": 2, "stride": 1, "padding": "same"},
    {"layer": "flatten"},
    {"layer": "dense", "units": 10, "activation": "softmax"},
]
NETWORKS = {
    "mlp-adam-decay": (
        MLP,
        {
            "optimizer": "adam",
            "learning_rate": 1e-3,
            "epochs": 1,
            "batch_size": 8,
            "decay": {"decay_steps": 10, "decay_rate": 0.9},
        },
    ),
    "cnn-rmsprop": (
        CNN,
        {"optimizer": "rmsprop", "learning_rate": 1e-3, "epochs": 1, "batch_size": 8},
    ),
    "sgd": (MLP[-1:], {"optimizer": "sgd", "learning_rate": 0.1, "epochs": 1, "batch_size": 8}),
    "momentum": (
        MLP[-1:],
        {"optimizer": "sgd", "momentum": 0.9, "learning_rate": 0.1, "epochs": 1, "batch_size": 8},
    ),
    "lstm-clipnorm": (
        [
            {
                "layer": "lstm",
                "units": 4,
                "return_sequences": True,
                "kernel_initializer": "he_normal",
            },
            {"layer": "lstm", "units": 3},
            {"layer": "dropout", "rate": 0.2},
            {"layer": "dense", "units": 10, "activation": "softmax"},
        ],
        {
            "optimizer": "adam",
            "learning_rate": 1e-2,
            "epochs": 1,
            "batch_size": 8,
            "global_clipnorm": 1.0,
        },
    ),
    "simple-rnn-mse": (
        [
            {"layer": "simple_rnn", "units": 4},
            {"layer": "dense", "units": 5, "activation": "tanh"},
            {"layer": "dense", "units": 1},
        ],
        {"optimizer": "rmsprop", "learning_rate": 1e-3, "epochs": 2, "batch_size": 8},
    ),
}
REGRESSION = {"simple-rnn-mse"}  # one number per input: float sequences and float targets


@pytest.fixture(scope="module")
def keras():
    return oracles.keras()


class _Recorder(types.ModuleType):
    """A learner module as the trainer sees it, noting each function the trainer calls."""

    def __init__(self, module: types.ModuleType, calls: set):
        super().__init__(module.__name__)
        self._module, self._calls = module, calls

    def __getattr__(self, name: str):
        value = getattr(self._module, name)
        if not callable(value):
            return value

        def recorded(*args, **kwargs):
            self._calls.add((self.__name__, name))
            return value(*args, **kwargs)

        return recorded


def _network(name: str, keras):
    """NETWORKS[name] validated for (8, 8) inputs: ten classes, or one number (REGRESSION)."""
    return validate(*NETWORKS[name], (8, 8), None if name in REGRESSION else 10, keras)


def _training_data(name: str):
    """24 inputs and targets for NETWORKS[name]: uint8 images and class numbers, or float
    sequences (N, T, D) and float targets for a network that predicts numbers."""
    rng = np.random.default_rng(3)
    if name in REGRESSION:
        x = rng.uniform(-1, 1, (24, 8, 8)).astype(np.float32)
        return x, x[:, :, 0].sum(axis=1).astype(np.float32)
    return rng.integers(0, 256, (24, 8, 8), dtype=np.uint8), rng.integers(0, 10, 24)


@pytest.mark.parametrize("network", NETWORKS, ids=list(NETWORKS))
def test_the_needed_functions_are_exactly_those_the_trainer_calls(network, keras, worker_modules):
    spec = _network(network, keras)
    calls: set = set()
    worker_modules({name: _Recorder(solution_module(name), calls) for name in LAYER_MODULES})
    x, y = _training_data(network)
    result = trainer.fit_and_predict(spec.layers, spec.training, list(spec.input_shape), x, y)

    needed = trainer.needed_functions(spec.layers, spec.training)
    assert len(needed) == len(set(needed)), "each function is listed once"
    assert set(needed) == calls
    predictions = result["val_predictions"]
    assert predictions.dtype.kind == ("f" if spec.regression else "i"), predictions.dtype
    assert [sorted(w) for w in result["weights"]] == [sorted(w) for w in spec.weight_shapes]


@pytest.mark.parametrize("network", NETWORKS, ids=list(NETWORKS))
def test_each_trial_call_fits_the_reference_function(network, keras):
    """The trial run's tiny inputs are valid ones: every reference function takes them."""
    spec = _network(network, keras)
    modules = {name: solution_module(name) for name in LAYER_MODULES}
    for call in trainer.planned_calls(spec.layers, spec.training, np.random.default_rng(0)):
        getattr(modules[call.module], call.name)(*call.args, **call.kwargs)


def _probe(spec) -> list[MissingFunction]:
    """The missing functions as the grader reads them from the trainer's own probe."""
    answer = trainer.probe_functions(spec.layers, spec.training)
    return read_probe(answer, trainer.needed_functions(spec.layers, spec.training))


def test_the_probe_names_stubs_helpers_missing_names_and_missing_files(keras, worker_modules):
    spec = validate(MLP, NETWORKS["mlp-adam-decay"][1], (8, 8), 10, keras)
    modules = {name: solution_module(name) for name in LAYER_MODULES}
    worker_modules(modules)
    assert _probe(spec) == [], "the solutions are all written"

    ex08 = modules["ex08_dropout_init"]
    ex08.fans = stub_module("ex08_dropout_init").fans  # he_normal calls the learner's own fans
    del ex08.dropout_backward
    modules["ex02_activations"] = stub_module("ex02_activations")
    modules["ex04_dense"] = None  # the file is not in the folder: import fails
    worker_modules(modules)
    missing = _probe(spec)
    assert missing == [
        MissingFunction("ex08_dropout_init", "fans", "not_implemented"),
        MissingFunction("ex04_dense", "dense_forward", "no_module"),
        MissingFunction("ex04_dense", "dense_backward", "no_module"),
        MissingFunction("ex02_activations", "relu", "not_implemented"),
        MissingFunction("ex02_activations", "relu_backward", "not_implemented"),
        MissingFunction("ex08_dropout_init", "dropout_backward", "not_defined"),
        MissingFunction("ex02_activations", "sigmoid", "not_implemented"),
        MissingFunction("ex02_activations", "sigmoid_backward", "not_implemented"),
        MissingFunction("ex02_activations", "tanh", "not_implemented"),
        MissingFunction("ex02_activations", "tanh_backward", "not_implemented"),
    ]
    assert describe_missing(missing).split("\n") == [
        "your network needs functions of exercises 2, 4, 8 that are not ready yet; "
        "finish those first:",
        "  exercise 2: `relu`, `relu_backward`, `sigmoid`, `sigmoid_backward`, `tanh`, "
        "`tanh_backward`, not implemented yet",
        "  exercise 4: `dense_forward`, `dense_backward`, but ex04_dense.py is not in your folder",
        "  exercise 8: `fans`, not implemented yet",
        "  exercise 8: `dropout_backward`, not defined in ex08_dropout_init.py",
    ]


def test_the_probe_names_the_recurrent_functions_not_written_yet(keras, worker_modules):
    spec = _network("lstm-clipnorm", keras)
    modules = {name: solution_module(name) for name in LAYER_MODULES}
    worker_modules(modules)
    assert _probe(spec) == [], "the solutions are all written"

    worker_modules({**modules, "ex18_recurrent": stub_module("ex18_recurrent")})
    missing = _probe(spec)
    assert missing == [
        MissingFunction("ex18_recurrent", name, "not_implemented")
        for name in ("lstm_bias_init", "lstm_forward", "lstm_backward", "clip_gradients")
    ]
    assert describe_missing(missing) == (
        "your network needs `lstm_bias_init`, `lstm_forward`, `lstm_backward`, "
        "`clip_gradients` (exercise 18), which are not implemented yet"
    )

    ex18 = solution_module("ex18_recurrent")
    ex18.lstm_step_forward = stub_module(
        "ex18_recurrent"
    ).lstm_step_forward  # lstm_forward's helper
    worker_modules({**modules, "ex18_recurrent": ex18})
    assert _probe(spec) == [
        MissingFunction("ex18_recurrent", "lstm_step_forward", "not_implemented")
    ]

    worker_modules({**modules, "ex18_recurrent": None})  # the file is not in the folder
    header, *lines = describe_missing(_probe(spec)).split("\n")
    assert "18" in header
    assert lines == [
        "  exercise 18: `lstm_bias_init`, `lstm_forward`, `lstm_backward`, `clip_gradients`, "
        "but ex18_recurrent.py is not in your folder",
    ]


@pytest.mark.parametrize(
    ("missing", "english", "chinese"),
    [
        (
            [MissingFunction("ex02_activations", "relu_backward", "not_implemented")],
            "your network needs `relu_backward` (exercise 2), which is not implemented yet",
            "你的网络需要 `relu_backward`（练习 2），但它还没有实现",
        ),
        (
            [
                MissingFunction("ex09_optimizers", "adam_step", "not_implemented"),
                MissingFunction("ex09_optimizers", "exponential_decay", "not_implemented"),
            ],
            "your network needs `adam_step`, `exponential_decay` (exercise 9), "
            "which are not implemented yet",
            "你的网络需要 `adam_step`, `exponential_decay`（练习 9），但它们还没有实现",
        ),
    ],
)
def test_one_exercise_missing_reads_as_one_sentence_in_both_languages(missing, english, chinese):
    assert describe_missing(missing) == english
    assert translate(english, "zh") == chinese


NEEDED = [("ex02_activations", "relu"), ("ex04_dense", "dense_forward")]


@pytest.mark.parametrize(
    "answer",
    [
        "ready",
        ["ready"],
        ["ready", "ready", "ready"],
        ["ready", "fine"],
        ["ready", np.zeros(3)],
        ["ready", ["not_implemented", 1, 2]],
        ["ready", ["not_implemented", "ex04_dense"]],
        ["ready", {"not_implemented": "dense_forward"}],
        None,
    ],
)
def test_a_probe_answer_out_of_its_fixed_form_is_refused(answer):
    with pytest.raises(TrainerOutputError, match="the trial run of your functions returned"):
        read_probe(answer, NEEDED)


def test_a_probe_cannot_name_a_function_outside_the_course():
    """Where NotImplementedError was raised is believed only for the course's functions."""
    answer = [["not_implemented", "os", "system"], ["not_implemented", "ex04_dense", "_helper"]]
    assert read_probe(answer, NEEDED) == [
        MissingFunction("ex02_activations", "relu", "not_implemented"),
        MissingFunction("ex04_dense", "dense_forward", "not_implemented"),
    ]
    named = [["not_implemented", "ex02_activations", "step"], "ready"]
    assert read_probe(named, NEEDED) == [
        MissingFunction("ex02_activations", "step", "not_implemented")
    ]


# ---------------------------------------------------------------- the real CLI


def _grade(folder: Path, *options: str, number: int = 12) -> subprocess.CompletedProcess:
    """`grade exercise NUMBER --submission folder ...` run beside the folder."""
    return grade(folder, number, *options, cwd=folder.parent)


def _learner(tmp_path: Path, pristine_stubs: Path, solved: list[str]) -> Path:
    """A learner's folder: the stubs of exercises 1-11, the `solved` ones and
    exercise 12 taken from the solutions."""
    folder = tmp_path / "exercises"
    folder.mkdir()
    for stub in pristine_stubs.glob("ex*.py"):
        if int(stub.name[2:4]) < 12:
            shutil.copy(stub, folder / stub.name)
    for name in [*solved, "ex12_mnist_mlp"]:
        shutil.copy(SOLUTIONS / f"{name}.py", folder / f"{name}.py")
    return folder


def _rows(table: str) -> dict[str, list[str]]:
    """A text report's table rows: check name -> [points, status, message column]."""
    rows, lines = {}, []
    for line in [*table.splitlines(), ""]:
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if len(cells) == 4:
            lines.append(cells)
        elif lines:
            name, _, _, message = (" ".join(c[i] for c in lines if c[i]) for i in range(4))
            rows[name] = [*lines[0][1:3], message]
            lines = []
    return rows


def test_a_capstone_before_exercises_1_to_9_names_what_is_missing(tmp_path, pristine_stubs):
    folder = _learner(tmp_path, pristine_stubs, solved=[])
    result = _grade(folder, "--report-dir", str(tmp_path / "plots"))

    assert result.returncode == 1, result.stderr
    rows = _rows(result.stdout)
    assert rows["network and training settings are valid"][:2] == ["1/1", "passed"]
    for check, points in [
        ("parameter count matches the same model in keras", "0/1"),
        ("test accuracy reaches the bar", "0/8"),
        ("the same network in keras for comparison", "0/0"),
    ]:
        assert rows[check][:2] == [points, "not run"], rows
    assert not any(row[1] == "failed" for row in rows.values()), rows
    assert rows["parameter count matches the same model in keras"][2] == (
        "your network needs functions of exercises 1, 2, 3, 4, 8, 9 that are not ready yet; "
        "finish those first:"
    )
    for line in [
        "exercise 1: `scale_pixels`, `flatten`, `minibatches`, not implemented yet",
        "exercise 2: `relu`, `relu_backward`, not implemented yet",
        "exercise 3: `softmax_cross_entropy`, not implemented yet",
        "exercise 4: `dense_forward`, `dense_backward`, not implemented yet",
        "exercise 8: `glorot_uniform`, `dropout_forward`, `dropout_backward`, not implemented yet",
        "exercise 9: `adam_step`, not implemented yet",
    ]:
        assert f"  {line}\n" in result.stdout, result.stdout
    assert "fit_and_predict" not in result.stdout and "the answer is wrong" not in result.stdout
    assert "Score: 1/10" in result.stdout
    assert "Traceback" not in result.stderr


def test_a_capstone_with_only_exercise_2_missing_says_so_in_every_format(tmp_path, pristine_stubs):
    solved = [name for name in LAYER_MODULES if name != "ex02_activations"]
    folder = _learner(tmp_path, pristine_stubs, solved)
    result = _grade(folder, "--format", "json", "--report-dir", str(tmp_path / "plots"))

    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    statuses = {c["name"]: (c["status"], c["points"], c["max_points"]) for c in data["checks"]}
    assert statuses == {
        "network_and_training_settings_are_valid": ("passed", 1, 1),
        "parameter_count_matches_the_same_model_in_keras": ("skipped", 0, 1),
        "test_accuracy_reaches_the_bar": ("skipped", 0, 8),
        "the_same_network_in_keras_for_comparison": ("skipped", 0, 0),
    }
    sentence = (
        "your network needs `relu`, `relu_backward` (exercise 2), which are not implemented yet"
    )
    skipped = [c for c in data["checks"] if c["status"] == "skipped"]
    assert all(c["message"] == sentence for c in skipped), skipped

    report = Report.from_dict(data)
    suite = ElementTree.fromstring(to_junit(report))
    assert (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("0", "0", "3")
    assert [
        case.find("skipped").get("message") for case in suite if case.find("skipped") is not None
    ] == [sentence] * 3
    gradescope = gradescope_results([report])
    assert gradescope["score"] == 1
    assert [t["score"] for t in gradescope["tests"]] == [1, 0, 0]  # not the comparison
    assert all(t["output"] == sentence for t in gradescope["tests"][1:])


# ---------------------------------------------------------------- item 18: epoch lines

FAST_NETWORK = """\
LAYERS = [{"layer": "dense", "units": 10, "activation": "softmax"}]
TRAINING = {"optimizer": "adam", "learning_rate": 0.01, "epochs": 2, "batch_size": 1024}
"""
EPOCH_LINE = re.compile(
    r"^epoch (\d)/2  loss \d+\.\d{4}  accuracy \d+\.\d\d%  val_accuracy \d+\.\d\d%  \d+\.\d s$"
)


def _fast_learner(tmp_path: Path, module: str = "ex12_mnist_mlp", source=FAST_NETWORK) -> Path:
    """A learner's folder with exercises 1-9 and 18 solved and a capstone `module` (its
    `source`) that trains in seconds."""
    folder = tmp_path / "exercises"
    folder.mkdir()
    for name in LAYER_MODULES:
        shutil.copy(SOLUTIONS / f"{name}.py", folder / f"{name}.py")
    (folder / f"{module}.py").write_text(source, encoding="utf-8")
    return folder


def test_a_piped_capstone_prints_one_line_per_epoch(tmp_path):
    folder = _fast_learner(tmp_path)
    result = _grade(folder, "--report-dir", str(tmp_path / "plots"))

    epochs = [EPOCH_LINE.match(line) for line in result.stderr.splitlines()]
    assert [match.group(1) for match in epochs if match] == ["1", "2"], result.stderr
    assert "Traceback" not in result.stderr
    assert "parameter count matches the same model in keras" in result.stdout
    assert "epoch 1/2" not in result.stdout, "the report on stdout stays as it was"
    comparison = _rows(result.stdout)["the same network in keras for comparison"]
    assert comparison[:2] == ["0/0", "not run"] and "--compare-keras" in comparison[2]


FAST_SEQUENCES = """\
LAYERS = [
    {"layer": "simple_rnn", "units": 2},
    {"layer": "dense", "units": 10, "activation": "softmax"},
]
TRAINING = {"optimizer": "adam", "learning_rate": 0.01, "epochs": 2, "batch_size": 4096}
ADDING_LAYERS = [{"layer": "simple_rnn", "units": 1}, {"layer": "dense", "units": 1}]
ADDING_TRAINING = {"optimizer": "adam", "learning_rate": 0.01, "epochs": 2, "batch_size": 4096}
"""
LABELLED_EPOCH_LINE = re.compile(
    r"^(adding problem): epoch (\d)/2  loss \d+\.\d{4}  val_loss \d+\.\d{4}  \d+\.\d s$"
    r"|^(MNIST rows): epoch (\d)/2  loss \d+\.\d{4}  accuracy \d+\.\d\d%  "
    r"val_accuracy \d+\.\d\d%  \d+\.\d s$"
)


def test_two_trainings_of_one_capstone_each_print_their_epoch_lines(tmp_path):
    """Exercise 19 trains two networks with the same epoch numbers: each epoch line names its
    training, and none is taken for one already printed. The adding problem has no accuracy."""
    folder = _fast_learner(tmp_path, "ex19_sequences", FAST_SEQUENCES)
    result = _grade(folder, "--report-dir", str(tmp_path / "plots"), number=19)

    matches = [LABELLED_EPOCH_LINE.match(line) for line in result.stderr.splitlines()]
    printed = [tuple(part for part in m.groups() if part) for m in matches if m]
    assert printed == [
        ("adding problem", "1"),
        ("adding problem", "2"),
        ("MNIST rows", "1"),
        ("MNIST rows", "2"),
    ], result.stderr
    assert "Traceback" not in result.stderr
    assert "adding test error is below the bar" in result.stdout


def test_the_epoch_line_comes_only_from_bounded_numbers():
    raw = {"epoch": 1, "epochs": 3, "fraction": 1.0, "loss": 0.41, "accuracy": 0.882}
    record = progress_record({**raw, "val_accuracy": 0.901, "seconds": 12.34, "done": True}, 3)
    assert describe_finished_epoch(record) == (
        "epoch 1/3  loss 0.4100  accuracy 88.20%  val_accuracy 90.10%  12.3 s"
    )
    assert progress_record({**raw, "done": "yes"}, 3)["done"] is False
    hostile = progress_record({**raw, "seconds": "x" * 10**6, "loss": [1], "done": True}, 3)
    assert describe_finished_epoch(hostile) == "epoch 1/3  loss nan  accuracy 88.20%  nan s"


def test_a_capstone_on_a_terminal_keeps_its_progress_bars(tmp_path):
    from terminal import Terminal

    assert shutil.which("tmux"), "this test needs tmux (apt-get install tmux)"
    folder = _fast_learner(tmp_path)
    command = [GRADE, "exercise", "12", "--submission", str(folder)]
    terminal = Terminal(f"nnlab-bars-{os.getpid()}", tmp_path, command, tmp_path / "screen.log")
    try:
        screen = terminal.wait_for("Score:", "epoch 2/2 ━")
    finally:
        terminal.close()
    assert "epoch 1/2 ━" in screen
    assert not any(EPOCH_LINE.match(line.strip()) for line in screen.splitlines()), screen


# ---------------------------------------------------------------- red team

FORGED_PROBES = {
    # A learner object crosses as a handle: never compared, never called.
    "object": r"the trial run of your functions returned an object that lives in your code's",
    # Blamed on what only the course may name: each needed function itself.
    "outside": r"^your network needs functions of exercises 1, 3, 4, 8, 9 that are not ready",
    "long": r"the trial run of your functions returned a value of type list, expected a list "
    r"of \d+ verdicts",
}


@pytest.mark.parametrize("wall", ["bwrap", "rlimits"])
@pytest.mark.parametrize("forgery", FORGED_PROBES)
def test_a_forged_trial_run_earns_nothing(forgery, wall, scene, monkeypatch):
    from grader.engine.runner import GradingOptions, grade_exercise

    monkeypatch.setenv("NNLAB_ISOLATION", wall)
    folder = scene.submit("capstone_forged_probe", 12, ("__FORGERY__", forgery))
    options = GradingOptions(progress=scene.look, report_dir=scene.outside.parent / "plots")
    report = grade_exercise(12, folder, options)

    assert report.isolation == wall
    assert scene.survivors() == [], "processes of the attack outlived its grade"
    checks = {c.name: c for c in report.checks}
    assert {name for name, c in checks.items() if c.points > 0} == {
        "network_and_training_settings_are_valid"
    }
    accuracy = checks["test_accuracy_reaches_the_bar"]
    assert re.search(FORGED_PROBES[forgery], accuracy.message), accuracy.message
    assert accuracy.status in ("failed", "skipped")
    for check in report.checks:
        assert "Traceback" not in check.message and "internal error" not in check.message
