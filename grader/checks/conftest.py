"""Fixtures every check can ask for: the learner, TensorFlow, the reference."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from grader.checks.checking import CheckFailure
from grader.course.paths import solutions_path
from grader.engine import data, oracles
from grader.engine.collector import COLLECTOR
from grader.engine.reproduction import RecordingLearner


def _collector(config):
    return config.stash[COLLECTOR]


@pytest.fixture(scope="session")
def exercise(pytestconfig):
    """The registry record of the exercise being graded."""
    return _collector(pytestconfig).exercise


@pytest.fixture
def note(request):
    """Call note(text) to show text with the check's result even when it passes."""
    return lambda text: request.node.user_properties.append(("note", str(text)))


@pytest.fixture(scope="session")
def collector(pytestconfig):
    """The collector (grader.engine.collector): report folder, training progress, artifacts."""
    return _collector(pytestconfig)


@pytest.fixture(scope="session")
def learner(pytestconfig):
    """The learner's module, as a proxy into the sandbox worker.

    Each call of one of its functions is noted (grader.engine.reproduction), so that a
    failed check can print the call that failed as Python to paste.
    """
    collector = _collector(pytestconfig)
    return RecordingLearner(collector.learner, collector.calls)


@pytest.fixture(scope="session")
def dataset_or_failure(collector):
    """dataset_or_failure(name) -> what `grader.engine.data.load(name)` returns, from the
    data folders the grading was given; a missing or corrupt dataset is a plain
    CheckFailure ("the <name> data could not be loaded: ...") of the checks needing it."""

    def load(name: str):
        try:
            return data.load(name, collector.data_dir)
        except (data.DatasetNotFound, data.DatasetCorrupt) as problem:
            raise CheckFailure(f"the {name} data could not be loaded: {problem}") from None

    return load


@pytest.fixture(scope="session")
def tf():
    """The TensorFlow module (trusted oracle)."""
    return oracles.tensorflow()


@pytest.fixture(scope="session")
def keras():
    """The Keras 3 module (trusted oracle)."""
    return oracles.keras()


@pytest.fixture(scope="session")
def reference(exercise):
    """The kit's reference solution module, loaded in the trusted process (with the
    references of the exercises it uses importable while it loads)."""
    path = solutions_path(exercise.filename)
    spec = importlib.util.spec_from_file_location(f"reference_{exercise.module}", path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return module


@pytest.fixture
def check_seed(request, collector):
    """check_seed(default) -> the seed of a check's own random draws.

    Without an instructor's secret seed (runner.GradingOptions.seed) it is
    `default`, so checks stay reproducible; with one, a hidden check gets a seed
    derived from the secret and its name, so its inputs change from one secret
    to the next, like the generated inputs of hidden hypothesis checks.
    """
    hidden = request.node.get_closest_marker("hidden") is not None
    return lambda default: collector.seed_for(request.node.name, default, hidden)
