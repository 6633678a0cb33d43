"""Where a capstone's training time went: the trainer's stopwatch, read and laid out.

The trainer times each of the learner's functions inside the worker, around every
call of every training batch (grader/sandbox/trainer.py, `Stopwatch`). What it sends
is untrusted: `read_timings` keeps plain, bounded numbers for the parts and functions
this side expects of the network, or nothing at all. A profile earns no points; it
tells a learner which of their functions their epoch waits for.

Where the kit's reference solutions are at hand (a checkout of the kit, an
instructor's machine), the same network is trained for a few batches on the
references, in a process of its own with the worker's BLAS threads, so that each
function's time has a yardstick: a learner's function many times slower than the
reference's, and taking a large share of the batch, is named with the exercise and
hint that teach how to vectorise it.
"""

from __future__ import annotations

import functools
import json
import math
import numbers
import os
import subprocess
import sys
from dataclasses import asdict, dataclass, field

from grader.course.paths import solutions_folder
from grader.course.registry import exercises
from grader.messages import text
from grader.sandbox.isolation import MEMORY_REUSE
from grader.sandbox.trainer import needed_functions

MAX_CALLS = 1000  # (part, function) pairs: a network of MAX_LAYERS makes a few hundred
MAX_SECONDS = 1e7
MAX_BATCHES = 10**10  # of a training: 100 epochs of capstone.MAX_BATCHES
REFERENCE_BATCHES = 40
WARM_UP_BATCHES = 3  # trained first and not timed: a learner's first batches are few among many
REFERENCE_TIMEOUT_S = 60.0  # a learner's huge network must not hold a grading up for long
SLOW_FACTOR = 3.0  # a function this many times the reference's time ...
SLOW_SHARE = 0.25  # ... that takes at least this share of a batch is named
MOSTLY = 0.5  # without a reference: a function taking this share of a batch is named
ETA_AFTER_BATCHES = 25  # a pace measured on fewer batches says little
KIT = "kit"  # the part of a batch outside the learner's functions: the kit's own work


@dataclass
class Timings:
    """The trainer's stopwatch, read: `batches` timed, their wall `seconds`, the seconds of
    each (part, function) over those batches, and the seconds per sample of its fastest
    batch (`fastest`; empty from a stopwatch that does not keep them)."""

    batches: int
    seconds: float
    calls: dict[tuple[str, str], float]
    fastest: dict[tuple[str, str], float] = field(default_factory=dict)


@dataclass
class Row:
    """One line of a profile: a learner function's time per batch in one part of the network.

    part: "layer 3", "optimizer", "" (the loss) or KIT (the kit's own work per batch);
    layer: what that part is ("conv2d 32 3x3 relu"); direction: "forward", "backward",
    "step", "loss" or "kit"; ms: milliseconds per batch; share: of a batch's time;
    reference_ms: the reference's time for the same call (None: not measured); factor:
    how many times the reference's time this function takes, fastest batch against
    fastest batch (mean against mean without them; None without a reference).
    """

    part: str
    layer: str
    function: str
    direction: str
    ms: float
    share: float
    reference_ms: float | None = None
    factor: float | None = None


@dataclass
class Profile:
    """Where one training's batches went (label: which training, "" when there is one)."""

    label: str
    batches: int
    ms_per_batch: float
    rows: list[Row] = field(default_factory=list)
    reference_ms_per_batch: float | None = None
    finding: str = ""

    def to_dict(self) -> dict:
        """The JSON form, as a Report keeps it (`profiles`)."""
        return asdict(self)


def describe_layer(spec: dict) -> str:
    """A normalised layer in a few words, e.g. "conv2d 32 3x3 relu" or "max_pool 2x2"."""
    kind = spec["layer"]
    words = [kind]
    if "filters" in spec:
        words += [str(spec["filters"]), "x".join(str(k) for k in spec["kernel_size"])]
    elif "pool_size" in spec:
        words.append("x".join(str(k) for k in spec["pool_size"]))
    elif "units" in spec:
        words.append(str(spec["units"]))
    elif "rate" in spec:
        words.append(f"{spec['rate']:g}")
    if spec.get("activation") not in (None, "linear"):
        words.append(str(spec["activation"]))
    return " ".join(words)


def parts_of(networks: dict[str, list[dict]], optimizer: str) -> dict[str, str]:
    """Every part the trainer may time, and what it is: `networks` maps a network's name
    ("" for the one network of a capstone; "generator", "discriminator") to its layers."""
    parts = {}
    for name, layers in networks.items():
        for number, layer in enumerate(layers, start=1):
            parts[f"{name} layer {number}".strip()] = describe_layer(layer)
        parts[f"{name} optimizer".strip()] = optimizer
    parts[""] = "loss"
    return parts


def _seconds(value) -> float | None:
    """A non-negative, finite number of seconds no larger than MAX_SECONDS, else None."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    value = float(value)
    return value if math.isfinite(value) and 0 <= value <= MAX_SECONDS else None


def read_timings(raw, parts: set[str], functions: set[str]) -> Timings | None:
    """The trainer's `profile` as Timings, or None when it is not what the trainer sends.

    Inputs: raw, the decoded value (anything); parts and functions, the names this side
    expects (parts_of's keys; the learner functions the network calls). A profile whose
    calls add up to more than its batches took was not measured by the kit's stopwatch.
    """
    if not isinstance(raw, dict):
        return None
    batches, seconds = raw.get("batches"), _seconds(raw.get("seconds"))
    if isinstance(batches, bool) or not isinstance(batches, int) or not 1 <= batches <= MAX_BATCHES:
        return None
    if seconds is None:
        return None
    timed = _timed_calls(raw.get("calls"), parts, functions)
    fastest = _timed_calls(raw.get("fastest", []), parts, functions)
    if timed is None or fastest is None or not fastest.keys() <= timed.keys():
        return None
    if sum(timed.values()) > seconds * 1.01 + 1e-3:
        return None
    return Timings(batches, seconds, timed, fastest)


def _timed_calls(calls, parts: set[str], functions: set[str]) -> dict | None:
    """[[part, function, seconds], ...] as {(part, function): seconds summed}, or None when
    it is not such a list of known names and plain seconds."""
    if not isinstance(calls, list) or len(calls) > MAX_CALLS:
        return None
    timed: dict[tuple[str, str], float] = {}
    for call in calls:
        if not isinstance(call, list) or len(call) != 3:
            return None
        part, function, spent = call[0], call[1], _seconds(call[2])
        if not (isinstance(part, str) and isinstance(function, str)) or spent is None:
            return None
        if part not in parts or function not in functions:
            return None
        timed[(part, function)] = timed.get((part, function), 0.0) + spent
    return timed


def _direction(part: str, function: str) -> str:
    if part.endswith("optimizer"):
        return "step"
    if not part:
        return "loss"
    return "backward" if function.endswith("_backward") else "forward"


def build_profile(
    timings: Timings, parts: dict[str, str], reference: Timings | None, label: str = ""
) -> Profile:
    """The Profile of `timings` (read_timings' answer): one row per (part, function) in the
    order of `parts` (the network's order), the kit's own share last, and the finding
    (`finding`) when one function stands out."""
    ms_per_batch = 1e3 * timings.seconds / timings.batches
    order = {part: i for i, part in enumerate(parts)}
    rows = []
    for (part, function), seconds in sorted(timings.calls.items(), key=lambda c: order[c[0][0]]):
        ms = 1e3 * seconds / timings.batches
        theirs = factor = None
        if reference is not None and (part, function) in reference.calls:
            theirs = 1e3 * reference.calls[(part, function)] / reference.batches
            factor = _factor(timings, reference, (part, function))
        share = ms / ms_per_batch if ms_per_batch > 0 else 0.0
        direction = _direction(part, function)
        rows.append(Row(part, parts[part], function, direction, ms, share, theirs, factor))
    kit_ms = max(ms_per_batch - sum(row.ms for row in rows), 0.0)
    kit_share = kit_ms / ms_per_batch if ms_per_batch > 0 else 0.0
    rows.append(Row(KIT, "", "", KIT, kit_ms, kit_share))
    profile = Profile(label, timings.batches, ms_per_batch, rows)
    if reference is not None:
        profile.reference_ms_per_batch = 1e3 * reference.seconds / reference.batches
    profile.finding = finding(profile)
    return profile


def _factor(timings: Timings, reference: Timings, key: tuple[str, str]) -> float | None:
    """How many times the reference's time `key` takes: fastest batch against fastest batch
    when both stopwatches kept them (a busy moment in either run does not count), else
    the means; None when the reference's time is 0."""
    if key in timings.fastest and reference.fastest.get(key):
        return timings.fastest[key] / reference.fastest[key]
    theirs = reference.calls[key] / reference.batches
    return timings.calls[key] / timings.batches / theirs if theirs > 0 else None


def _where_taught(function: str) -> str:
    """Which exercise teaches `function`, and the hint on making it fast when one belongs
    to its speed check: catalogue words, e.g. "see hint 3 of exercise 7"."""
    for exercise in exercises():
        if function in exercise.functions:
            number = exercise.hint_for([f"{function}_is_vectorised"])
            if number is not None:
                return text("profile_see_hint", hint=number, exercise=exercise.number)
            return text("profile_see_exercise", exercise=exercise.number)
    return ""


def _where(row: Row) -> str:
    """Where a row's function works: "layer 2 (dense 32 relu)", or "loss"."""
    return f"{row.part} ({row.layer})" if row.part else row.layer


def finding(profile: Profile) -> str:
    """The sentence naming the function a learner's batches wait for, or "".

    With the reference's times: of the functions that take at least SLOW_SHARE of a
    batch and SLOW_FACTOR times the reference's time, the one with the largest share
    (a right function slowed by a busy moment may take more). Without: a function
    that takes MOSTLY of a batch (the reference's own largest share is about a fifth)."""
    rows = [row for row in profile.rows if row.direction != KIT]
    if not rows:
        return ""
    if profile.reference_ms_per_batch is not None:
        slow = [
            row
            for row in rows
            if row.factor is not None and row.share >= SLOW_SHARE and row.factor >= SLOW_FACTOR
        ]
        if not slow:
            return ""
        worst = max(slow, key=lambda row: row.share)
        return text(
            "profile_slow_function",
            function=worst.function,
            where=_where(worst),
            share=f"{worst.share:.0%}",
            factor=f"{worst.factor:.1f}",
            how=_where_taught(worst.function),
        )
    worst = max(rows, key=lambda row: row.share)
    where = _where(worst)
    if worst.share >= MOSTLY:
        return text(
            "profile_most_time",
            function=worst.function,
            where=where,
            share=f"{worst.share:.0%}",
            how=_where_taught(worst.function),
        )
    return ""


class Watch:
    """Follows one training's stopwatch through its progress messages and makes its Profile.

    The trainer sends its stopwatch with every progress message, so a training that
    timed out or was stopped still has a profile: the last one seen.
    """

    def __init__(
        self,
        layers: list[dict],
        training: dict,
        input_shape: tuple,
        label: str = "",
        discriminator: list[dict] | None = None,
    ):
        self.layers, self.training, self.input_shape = layers, training, input_shape
        self.label, self.discriminator = label, discriminator
        if discriminator is None:
            networks = {"": layers}
        else:
            networks = {"generator": layers, "discriminator": discriminator}
        self.parts = parts_of(networks, str(training["optimizer"]))
        needed = needed_functions(layers, training, discriminator)
        self.functions = {function for _, function in needed}
        self.last = None

    def seen(self, message) -> None:
        """Keep the stopwatch of a progress message (any value the worker sent)."""
        if isinstance(message, dict) and "profile" in message:
            self.last = message["profile"]

    def profile(self, final=None, with_reference: bool = True) -> Profile | None:
        """The Profile of the trainer's final stopwatch (`final`, from its answer) or of the
        last one seen, with the reference's times when `with_reference` and solutions/ is
        at hand; None when there is no stopwatch that reads as the trainer's."""
        timings = read_timings(final if final is not None else self.last, *self._names())
        if timings is None:
            return None
        if not with_reference:
            return build_profile(timings, self.parts, None, self.label)
        from grader.engine.runner import capstone_threads  # runner loads pytest: only here

        reference = reference_timings(
            self.layers,
            self.training,
            self.input_shape,
            *self._names(),
            discriminator=self.discriminator,
            blas_threads=capstone_threads(),
        )
        return build_profile(timings, self.parts, reference, self.label)

    def _names(self) -> tuple[set[str], set[str]]:
        return set(self.parts), self.functions


# ---------------------------------------------------------------- the reference's times

_REFERENCE_SCRIPT = """
import json, sys, types
import numpy as np
sys.path.insert(0, sys.argv[1])
sys.modules["nnlab_channel"] = types.SimpleNamespace(report=lambda message: None)
from grader.sandbox import trainer
request = json.load(sys.stdin)
rng = np.random.default_rng(0)
shape, n = request["input_shape"], request["samples"]
if request["kind"] == "numbers":
    x = rng.standard_normal((n, *shape)).astype(np.float32)
    y = rng.standard_normal(n).astype(np.float32)
else:
    x = rng.integers(0, 256, (n, *shape), dtype=np.uint8)
    y = rng.integers(0, max(request["classes"], 1), n)  # a GAN has no labels

def train(count):
    if request["kind"] == "gan":
        images = x[:count].reshape(count, 28, -1)
        disc = request["discriminator"]
        return trainer.fit_gan(request["layers"], disc, request["training"], images)
    layers, training = request["layers"], request["training"]
    return trainer.fit_and_predict(layers, training, shape, x[:count], y[:count])

train(request["warm_up"])  # BLAS threads started, memory mapped: not a learner's cost either
print(json.dumps(train(n)["profile"]))
"""


def reference_timings(
    layers: list[dict],
    training: dict,
    input_shape: tuple,
    parts: set[str],
    functions: set[str],
    discriminator: list[dict] | None = None,
    blas_threads: int = 1,
) -> Timings | None:
    """The reference solutions' Timings for the same network, or None without solutions/.

    Trains REFERENCE_BATCHES batches of random inputs of the network's shapes (the
    values hardly change the time), after WARM_UP_BATCHES untimed ones, in a process of
    its own with `blas_threads` BLAS threads and the worker's memory settings. Any
    failure means no yardstick: None.
    """
    folder = solutions_folder()
    if not folder.is_dir():
        return None
    if discriminator is not None:
        kind, classes = "gan", 0
    elif training.get("loss") == "mse":
        kind, classes = "numbers", 0
    else:
        kind, classes = "classes", int(layers[-1]["units"])
    samples = REFERENCE_BATCHES * int(training["batch_size"])
    warm_up = WARM_UP_BATCHES * int(training["batch_size"])
    shape = [784] if kind == "gan" else list(input_shape)
    once = dict(training, epochs=1, validation_split=0.0)
    request = {
        "kind": kind,
        "classes": classes,
        "samples": samples,
        "warm_up": warm_up,
        "input_shape": shape,
        "layers": layers,
        "discriminator": discriminator,
        "training": once,
    }
    answer = _run_reference(json.dumps(request, sort_keys=True), str(folder), blas_threads)
    return read_timings(answer, parts, functions) if answer is not None else None


@functools.lru_cache(maxsize=64)
def _run_reference(request: str, folder: str, blas_threads: int):
    """The decoded profile of one reference run (cached: a class's batch grades the same
    network many times), or None when the run failed."""
    threads = str(blas_threads)
    environment = dict(os.environ, OPENBLAS_NUM_THREADS=threads, OMP_NUM_THREADS=threads)
    environment.update(MEMORY_REUSE)
    try:
        done = subprocess.run(
            [sys.executable, "-c", _REFERENCE_SCRIPT, folder],
            input=request,
            capture_output=True,
            text=True,
            timeout=REFERENCE_TIMEOUT_S,
            env=environment,
        )
        return json.loads(done.stdout) if done.returncode == 0 else None
    except (subprocess.TimeoutExpired, ValueError, OSError):
        return None


# ---------------------------------------------------------------- while training


def remaining_seconds(progress: dict) -> float | None:
    """About how many seconds the training has left at the pace of its progress record
    (capstone.progress_record's form), or None before ETA_AFTER_BATCHES batches."""
    batch, batches, seconds = progress.get("batch"), progress.get("batches"), progress["seconds"]
    if not batch or not batches or math.isnan(seconds) or seconds <= 0:
        return None
    if progress["epoch"] == 1 and batch < ETA_AFTER_BATCHES:
        return None
    per_batch = seconds / batch
    left = (batches - batch) + (progress["epochs"] - progress["epoch"]) * batches
    return left * per_batch


def _amount(seconds: float, lang: str) -> str:
    """A duration in a few words: "40 s", "14 min", "2.5 h"."""
    if seconds < 90:
        return text("profile_seconds", lang, seconds=max(1, round(seconds)))
    if seconds < 90 * 60:
        return text("profile_minutes", lang, minutes=round(seconds / 60))
    return text("profile_hours", lang, hours=f"{seconds / 3600:.1f}")


def describe_remaining(seconds: float, lang: str = "en") -> str:
    """The time left in words, e.g. "about 14 min left at this pace", in `lang`."""
    return text("profile_remaining", lang, amount=_amount(seconds, lang))


def describe_pace(progress: dict, lang: str = "en") -> str:
    """How long the training has left at the pace of its progress record, and whether that
    runs past the exercise's time limit (when the record says both time_limit_s and
    elapsed_s); "" before ETA_AFTER_BATCHES batches."""
    left = remaining_seconds(progress)
    if left is None:
        return ""
    said = describe_remaining(left, lang)
    limit, elapsed = progress.get("time_limit_s"), progress.get("elapsed_s")
    if limit and elapsed is not None and elapsed + left > limit:
        said += text("profile_over_limit", lang, limit=_amount(limit, lang))
    return said


# ---------------------------------------------------------------- as a table


@dataclass
class Table:
    """A profile laid out for a reader of one language: title, column headers, rows of
    text (the first cell of a part only on its first row) and the finding."""

    title: str
    headers: list[str]
    rows: list[list[str]]
    finding: str


def _ms(value) -> str:
    return f"{value:.2f}" if isinstance(value, int | float) and math.isfinite(value) else ""


PART_WORDS = ("optimizer", "loss", "generator", "discriminator")


def _part_word(word: str, lang: str) -> str:
    """A word of a part's name in `lang` (the kit's words; a layer's kind stays as Keras
    names it)."""
    return text(f"profile_{word}", lang) if word in PART_WORDS else word


def table_of(profile: dict, lang: str = "en") -> Table:
    """The Table of a profile in its JSON form (Profile.to_dict, as a Report keeps it)."""
    from grader.messages import translate

    batches = f"{int(profile.get('batches', 0)):,}"
    fields = {"batches": batches, "ms": _ms(profile.get("ms_per_batch"))}
    reference = profile.get("reference_ms_per_batch")
    if reference is not None:
        title = text("profile_title_reference", lang, reference=_ms(reference), **fields)
    else:
        title = text("profile_title", lang, **fields)
    if profile.get("label"):
        title = f"{profile['label']}: {title}"
    columns = ["part", "function", "ms", "share"]
    if reference is not None:  # the factor the finding uses: fastest batch against fastest
        columns.append("reference")
    headers = [text(f"column_{name}", lang) for name in columns]
    rows, previous = [], None
    for row in profile.get("rows", []):
        part = str(row.get("part", ""))
        if row.get("direction") == KIT:
            shown = text("profile_kit", lang)
        elif part == previous:
            shown = ""
        else:  # "layer 3" + "conv2d 32 3x3 relu" -> "3 conv2d 32 3x3 relu"
            words = f"{part.replace('layer ', '')} {row.get('layer', '')}".split()
            shown = " ".join(_part_word(word, lang) for word in words)
        previous = part
        share, factor = row.get("share"), row.get("factor")
        cells = [
            shown,
            str(row.get("function", "")),
            _ms(row.get("ms")),
            f"{share:.1%}" if isinstance(share, int | float) else "",
        ]
        if reference is not None:
            cells.append(f"{factor:.1f}x" if isinstance(factor, int | float) else "")
        rows.append(cells)
    return Table(title, headers, rows, translate(str(profile.get("finding", "")), lang))
