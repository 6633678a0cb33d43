"""The per-layer training profile (grader/engine/profile.py): the trainer's untrusted stopwatch
read as plain numbers or refused, laid out in the network's order, the function a learner's
batches wait for named, and the pace of a training turned into the time it has left."""

from __future__ import annotations

import math

import pytest

from grader.engine import profile
from grader.engine.capstone import progress_record, trusted_progress
from grader.engine.profile import (
    ETA_AFTER_BATCHES,
    KIT,
    MAX_CALLS,
    MAX_SECONDS,
    MOSTLY,
    SLOW_FACTOR,
    SLOW_SHARE,
    Timings,
    Watch,
    build_profile,
    describe_pace,
    describe_remaining,
    finding,
    parts_of,
    read_timings,
    remaining_seconds,
    table_of,
)

# An MLP as capstone.validate normalises it: the flatten it puts in front, two dense layers.
LAYERS = [
    {"layer": "flatten", "out_shape": [784]},
    {
        "layer": "dense",
        "kernel_initializer": "glorot_uniform",
        "activation": "relu",
        "units": 32,
        "out_shape": [32],
    },
    {
        "layer": "dense",
        "kernel_initializer": "glorot_uniform",
        "activation": "softmax",
        "units": 10,
        "out_shape": [10],
    },
]
TRAINING = {
    "loss": "softmax_cross_entropy",
    "optimizer": "adam",
    "optimizer_options": {},
    "learning_rate": 0.01,
    "epochs": 1,
    "batch_size": 256,
    "validation_split": 0.1,
}
CONV = {"layer": "conv2d", "filters": 32, "kernel_size": [3, 3], "activation": "relu"}
PARTS = parts_of({"": LAYERS}, "adam")
FUNCTIONS = {
    "flatten",
    "dense_forward",
    "dense_backward",
    "relu",
    "relu_backward",
    "softmax_cross_entropy",
    "adam_step",
}
# What the trainer sends: 10 batches in 2 s, the calls in the order it first made them.
STOPWATCH = {
    "batches": 10,
    "seconds": 2.0,
    "calls": [
        ["layer 1", "flatten", 0.01],
        ["layer 2", "dense_forward", 0.1],
        ["layer 2", "relu", 0.02],
        ["layer 3", "dense_forward", 0.03],
        ["", "softmax_cross_entropy", 0.04],
        ["layer 3", "dense_backward", 0.05],
        ["layer 2", "relu_backward", 0.02],
        ["layer 2", "dense_backward", 1.2],
        ["optimizer", "adam_step", 0.2],
    ],
}
TEMPLATE_WORDS = ("takes", "of each batch", "reference", "exercise", "hint", "teaches", "your ")


def _read(raw):
    return read_timings(raw, set(PARTS), FUNCTIONS)


def _with(**changes) -> dict:
    return {**STOPWATCH, **changes}


def _calls(*calls) -> dict:
    return _with(calls=[list(call) for call in calls])


def _timings(seconds: float, batches: int = 1, **calls: float) -> Timings:
    """Timings of `batches` batches in `seconds`; calls as part_function=seconds, the part
    "layer 2" unless the name says "optimizer" or "loss"."""
    named = {}
    for name, spent in calls.items():
        part = {"adam_step": "optimizer", "softmax_cross_entropy": ""}.get(name, "layer 2")
        named[(part, name)] = spent
    return Timings(batches, seconds, named)


# ---------------------------------------------------------------- read_timings


def test_a_stopwatch_is_read_as_plain_numbers_with_repeated_calls_added_up():
    timings = _read(
        _calls(
            ("layer 2", "dense_backward", 0.25),
            ("optimizer", "adam_step", 0.125),
            ("layer 2", "dense_backward", 0.5),
        )
    )
    assert timings == Timings(
        10, 2.0, {("layer 2", "dense_backward"): 0.75, ("optimizer", "adam_step"): 0.125}
    )
    assert _read(_with(calls=[])) == Timings(10, 2.0, {})


def test_the_stopwatch_of_a_gan_names_each_network_s_parts():
    parts = parts_of({"generator": LAYERS[1:], "discriminator": [CONV, LAYERS[2]]}, "adam")
    assert parts == {
        "generator layer 1": "dense 32 relu",
        "generator layer 2": "dense 10 softmax",
        "generator optimizer": "adam",
        "discriminator layer 1": "conv2d 32 3x3 relu",
        "discriminator layer 2": "dense 10 softmax",
        "discriminator optimizer": "adam",
        "": "loss",
    }


TOO_MANY = [["optimizer", "adam_step", 0.0]] * (MAX_CALLS + 1)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("a profile", id="a string"),
        pytest.param(None, id="None"),
        pytest.param(list(STOPWATCH.items()), id="a list"),
        pytest.param({k: v for k, v in STOPWATCH.items() if k != "batches"}, id="no batches"),
        pytest.param(_with(batches=True), id="batches True"),
        pytest.param(_with(batches=0), id="batches 0"),
        pytest.param(_with(batches=-3), id="batches negative"),
        pytest.param(_with(batches="10"), id="batches a string"),
        pytest.param(_with(batches=10.0), id="batches a float"),
        pytest.param(_with(batches=10**400), id="batches beyond any float"),
        pytest.param({k: v for k, v in STOPWATCH.items() if k != "seconds"}, id="no seconds"),
        pytest.param(_with(seconds=math.nan), id="seconds NaN"),
        pytest.param(_with(seconds=math.inf), id="seconds inf"),
        pytest.param(_with(seconds=-1.0), id="seconds negative"),
        pytest.param(_with(seconds=MAX_SECONDS * 2), id="seconds above MAX_SECONDS"),
        pytest.param(_with(seconds=True), id="seconds True"),
        pytest.param(_with(seconds="2"), id="seconds a string"),
        pytest.param({k: v for k, v in STOPWATCH.items() if k != "calls"}, id="no calls"),
        pytest.param(_with(calls="layer 2"), id="calls a string"),
        pytest.param(_with(calls={"layer 2": 0.1}), id="calls a dict"),
        pytest.param(_with(calls=tuple(STOPWATCH["calls"])), id="calls a tuple"),
        pytest.param(_with(calls=TOO_MANY), id="more calls than MAX_CALLS"),
        pytest.param(_calls(("layer 2", "dense_backward")), id="a call of 2"),
        pytest.param(_calls(("layer 2", "dense_backward", 0.1, 0.1)), id="a call of 4"),
        pytest.param(_with(calls=[("layer 2", "dense_backward", 0.1)]), id="a call a tuple"),
        pytest.param(_with(calls=["layer 2"]), id="a call a string"),
        pytest.param(_calls(("layer 9", "dense_backward", 0.1)), id="unknown part"),
        pytest.param(_calls(("layer 2", "conv2d_backward", 0.1)), id="unknown function"),
        pytest.param(_calls((["layer 2"], "dense_backward", 0.1)), id="part a list"),
        pytest.param(_calls(("layer 2", {"f": 1}, 0.1)), id="function a dict"),
        pytest.param(_calls(("layer 2", "dense_backward", math.nan)), id="call NaN"),
        pytest.param(_calls(("layer 2", "dense_backward", True)), id="call True"),
        pytest.param(_calls(("layer 2", "dense_backward", -0.1)), id="call negative"),
        pytest.param(_calls(("layer 2", "dense_backward", "0.1")), id="call a string"),
        pytest.param(
            _calls(("layer 2", "dense_backward", 1.5), ("layer 2", "dense_forward", 1.5)),
            id="calls longer than the batches",
        ),
    ],
)
def test_a_stopwatch_the_trainer_did_not_send_is_refused(raw):
    assert _read(raw) is None


# ---------------------------------------------------------------- build_profile


def test_a_profile_lists_the_network_in_order_with_the_kit_s_remainder_last():
    built = build_profile(_read(STOPWATCH), PARTS, None)
    assert built.batches == 10 and built.ms_per_batch == pytest.approx(200.0)
    assert [(row.part, row.function) for row in built.rows] == [
        ("layer 1", "flatten"),
        ("layer 2", "dense_forward"),
        ("layer 2", "relu"),
        ("layer 2", "relu_backward"),
        ("layer 2", "dense_backward"),
        ("layer 3", "dense_forward"),
        ("layer 3", "dense_backward"),
        ("optimizer", "adam_step"),
        ("", "softmax_cross_entropy"),
        (KIT, ""),
    ]
    rows = {(row.part, row.function): row for row in built.rows}
    slow = rows["layer 2", "dense_backward"]
    assert (slow.layer, slow.direction) == ("dense 32 relu", "backward")
    assert slow.ms == pytest.approx(120.0) and slow.share == pytest.approx(0.6)
    assert rows["optimizer", "adam_step"].direction == "step"
    assert rows["", "softmax_cross_entropy"].direction == "loss"
    assert rows["layer 3", "dense_forward"].direction == "forward"
    kit = built.rows[-1]
    assert kit.direction == KIT and kit.ms == pytest.approx(200.0 - 167.0)
    assert kit.share == pytest.approx(33.0 / 200.0)
    assert all(row.reference_ms is None for row in built.rows)
    assert built.reference_ms_per_batch is None and built.label == ""


def test_a_profile_puts_the_reference_s_time_beside_each_call():
    reference = Timings(20, 0.5, {("layer 2", "dense_backward"): 0.2, ("layer 1", "flatten"): 0})
    built = build_profile(_read(STOPWATCH), PARTS, reference, label="digits")
    rows = {(row.part, row.function): row for row in built.rows}
    assert rows["layer 2", "dense_backward"].reference_ms == pytest.approx(10.0)
    assert rows["layer 1", "flatten"].reference_ms == 0.0
    assert rows["layer 2", "dense_forward"].reference_ms is None  # not in the reference's
    assert built.reference_ms_per_batch == pytest.approx(25.0)
    assert built.label == "digits" and built.to_dict()["rows"][0]["function"] == "flatten"


# ---------------------------------------------------------------- finding


def test_a_slow_function_is_named_with_its_share_factor_and_exercise():
    built = build_profile(
        _read(STOPWATCH), PARTS, Timings(20, 0.5, {("layer 2", "dense_backward"): 0.2})
    )
    # dense_backward: 120 ms of 200 per batch, the reference's 10 ms; exercise 4 has no hint
    # that belongs to a dense_backward_is_vectorised check.
    assert built.finding == (
        "your dense_backward in layer 2 (dense 32 relu) takes 60% of each batch, "
        "12.0x the reference's time: exercise 4 teaches it; vectorise it as its docstring says"
    )


@pytest.mark.parametrize(
    ("function", "layer", "how"),
    [
        (
            "conv2d_backward",
            "conv2d 32 3x3 relu",
            "hint 2 of exercise 7 shows how to make it fast (grade hint 7 --all)",
        ),
        (
            "conv2d_forward",
            "conv2d 32 3x3 relu",
            "hint 3 of exercise 5 shows how to make it fast (grade hint 5 --all)",
        ),
    ],
)
def test_a_slow_function_whose_exercise_has_a_speed_hint_points_to_that_hint(function, layer, how):
    """curriculum.toml gives hint 2 of exercise 7 to conv2d_backward_is_vectorised and hint
    3 of exercise 5 to conv2d_forward_is_vectorised."""
    parts = parts_of({"": [LAYERS[0], CONV]}, "adam")
    timings = Timings(1, 1.0, {("layer 2", function): 0.8})
    reference = Timings(1, 0.2, {("layer 2", function): 0.1})
    built = build_profile(timings, parts, reference)
    assert built.finding == (
        f"your {function} in layer 2 ({layer}) takes 80% of each batch, "
        f"8.0x the reference's time: {how}"
    )


@pytest.mark.parametrize(
    ("share", "factor"),
    [
        pytest.param(SLOW_SHARE * 0.9, SLOW_FACTOR * 10, id="slow but a small share"),
        pytest.param(0.9, SLOW_FACTOR * 0.9, id="most of the batch but near the reference"),
    ],
)
def test_a_function_is_named_only_when_both_slow_and_large(share, factor):
    mine = share * 1.0
    timings = _timings(1.0, dense_backward=mine)
    reference = _timings(1.0, dense_backward=mine / factor)
    assert build_profile(timings, PARTS, reference).finding == ""
    # the same function, slow and large, is named
    named = build_profile(
        _timings(1.0, dense_backward=0.9),
        PARTS,
        _timings(1.0, dense_backward=0.9 / SLOW_FACTOR / 2),
    )
    assert named.finding.startswith("your dense_backward in layer 2 (dense 32 relu) takes 90%")


def test_the_factor_compares_the_fastest_batches_when_both_stopwatches_kept_them():
    """A busy machine slows some batches: on average this dense_backward takes 12x the
    reference's time, but its fastest batch is as fast as the reference's fastest."""
    key = ("layer 2", "dense_backward")
    timings = Timings(10, 2.0, {key: 1.2}, fastest={key: 0.001})
    reference = Timings(20, 0.5, {key: 0.2}, fastest={key: 0.001})
    built = build_profile(timings, PARTS, reference)
    (row,) = [row for row in built.rows if (row.part, row.function) == key]
    assert row.factor == pytest.approx(1.0) and row.reference_ms == pytest.approx(10.0)
    assert built.finding == ""
    slow = Timings(10, 2.0, {key: 1.2}, fastest={key: 0.012})
    assert "12.0x the reference's time" in build_profile(slow, PARTS, reference).finding


def test_the_fastest_batches_are_read_only_for_calls_the_stopwatch_summed():
    kept = _read(_with(fastest=[["layer 2", "dense_backward", 0.002]]))
    assert kept.fastest == {("layer 2", "dense_backward"): 0.002}
    for fastest in (
        [["layer 3", "relu", 0.002]],  # not among the calls
        [["layer 9", "dense_backward", 0.002]],
        [["layer 2", "dense_backward", -1.0]],
        "fast",
    ):
        assert _read(_with(fastest=fastest)) is None, fastest


def test_a_slow_function_is_named_beside_a_right_one_with_a_larger_share():
    """A right dense_forward slowed by a busy moment takes 60%; the slow dense_backward
    (30x, 30%) is the one named. Of two slow ones, the larger share."""
    timings = _timings(1.0, dense_backward=0.3, dense_forward=0.6)
    reference = _timings(1.0, dense_backward=0.01, dense_forward=0.5)
    assert "your dense_backward in layer 2" in build_profile(timings, PARTS, reference).finding
    reference = _timings(1.0, dense_backward=0.5, dense_forward=0.05)
    assert "your dense_forward in layer 2" in build_profile(timings, PARTS, reference).finding
    reference = _timings(1.0, dense_backward=0.01, dense_forward=0.05)
    assert "your dense_forward in layer 2" in build_profile(timings, PARTS, reference).finding


def test_without_the_reference_a_function_taking_most_of_a_batch_is_named():
    built = build_profile(_timings(1.0, dense_backward=MOSTLY + 0.2), PARTS, None)
    assert built.finding == (
        "your dense_backward in layer 2 (dense 32 relu) takes 70% of each batch: "
        "exercise 4 teaches it; vectorise it as its docstring says"
    )
    assert build_profile(_timings(1.0, dense_backward=MOSTLY * 0.9), PARTS, None).finding == ""
    assert finding(build_profile(Timings(1, 1.0, {}), PARTS, None)) == ""


# ---------------------------------------------------------------- table_of


def _table(reference=None, lang="en", **changes):
    built = build_profile(_read(_with(**changes)), PARTS, reference)
    return built, table_of(built.to_dict(), lang)


REFERENCE = Timings(20, 1.0, {("layer 2", "dense_backward"): 0.2})


def test_the_table_has_a_title_headers_and_the_part_only_on_its_first_row():
    built, table = _table(batches=1234, seconds=246.8, calls=STOPWATCH["calls"])
    assert table.title == "Where your training's time went: 1,234 batches, 200.00 ms each"
    assert table.headers == ["layer", "function", "ms/batch", "share"]  # no reference measured
    assert [row[:2] for row in table.rows] == [
        ["1 flatten", "flatten"],
        ["2 dense 32 relu", "dense_forward"],
        ["", "relu"],
        ["", "relu_backward"],
        ["", "dense_backward"],
        ["3 dense 10 softmax", "dense_forward"],
        ["", "dense_backward"],
        ["optimizer adam", "adam_step"],
        ["loss", "softmax_cross_entropy"],
        ["the kit itself", ""],
    ]
    assert table.rows[4][2:] == ["0.97", "0.5%"]  # 1.2 s over 1,234 batches of 200 ms
    assert {len(row) for row in table.rows} == {4} and table.finding == built.finding == ""


def test_the_table_with_the_reference_says_its_time_and_the_finding():
    built, table = _table(REFERENCE)
    assert table.title == (
        "Where your training's time went: 10 batches, 200.00 ms each (the reference's: 50.00 ms)"
    )
    assert table.headers[-1] == "x reference"  # the factor the finding uses
    assert table.rows[4] == ["", "dense_backward", "120.00", "60.0%", "12.0x"]
    assert table.rows[1][-1] == ""  # not measured on the reference
    assert table.finding == built.finding and "12.0x the reference's time" in table.finding


def test_a_labelled_profile_says_which_training_in_its_title():
    built = build_profile(_read(STOPWATCH), PARTS, None, label="adding problem")
    title = table_of(built.to_dict()).title
    assert title.startswith("adding problem: Where your training's time went: 10 batches")


def test_the_table_reads_in_chinese():
    _, table = _table(REFERENCE, lang="zh")
    assert (
        table.title == "你的训练时间花在哪里：10 个批次，每批 200.00 毫秒（参考答案：50.00 毫秒）"
    )
    assert table.headers == ["层", "函数", "毫秒/批", "占比", "参考答案的倍数"]
    assert table.rows[-1][0] == "工具包自身"
    assert [row[0] for row in table.rows[-3:-1]] == ["优化器 adam", "损失"]
    assert table.finding == (
        "你的 dense_backward（layer 2 (dense 32 relu)）占每个批次时间的 60%，是参考答案的 12.0 倍："
        "练习 4 讲的就是它；按其文档说明把它向量化"
    )
    for words in (table.title, *table.headers, table.finding):
        assert not any(word in words for word in TEMPLATE_WORDS), words


def test_the_finding_without_the_reference_reads_in_chinese_too():
    built = build_profile(
        _timings(1.0, conv2d_backward=0.9), parts_of({"": [LAYERS[0], CONV]}, "adam"), None
    )
    translated = table_of(built.to_dict(), "zh").finding
    assert translated == (
        "你的 conv2d_backward（layer 2 (conv2d 32 3x3 relu)）占每个批次时间的 90%："
        "练习 7 的第 2 条提示讲了如何让它变快（grade hint 7 --all）"
    )


# ---------------------------------------------------------------- the time left


def _progress(**raw):
    """A progress message of a training of 3 epochs, as the display gets it."""
    return progress_record({"epoch": 1, "fraction": 0.5, **raw}, epochs=3)


def test_the_time_left_is_the_pace_of_the_epoch_times_the_batches_left():
    # 50 of 100 batches in 10 s: 0.2 s each; 50 left in this epoch and 200 in the next two.
    assert remaining_seconds(_progress(batch=50, batches=100, seconds=10.0)) == pytest.approx(50)
    later = _progress(epoch=2, batch=25, batches=100, seconds=2.5)
    assert remaining_seconds(later) == pytest.approx(0.1 * (75 + 100))
    last = _progress(epoch=3, batch=100, batches=100, seconds=20.0)
    assert remaining_seconds(last) == 0


def test_the_time_left_waits_for_the_first_batches_of_the_first_epoch():
    early = ETA_AFTER_BATCHES - 1
    assert remaining_seconds(_progress(batch=early, batches=100, seconds=1.0)) is None
    assert remaining_seconds(_progress(batch=ETA_AFTER_BATCHES, batches=100, seconds=1.0))
    # a later epoch has the pace of the earlier ones behind it
    assert remaining_seconds(_progress(epoch=2, batch=1, batches=100, seconds=0.1)) is not None


@pytest.mark.parametrize(
    "raw",
    [
        {"batches": 100, "seconds": 10.0},
        {"batch": 50, "seconds": 10.0},
        {"batch": 50, "batches": 100},
        {"batch": 50, "batches": 100, "seconds": 0.0},
        {"batch": 50, "batches": 100, "seconds": math.inf},
    ],
)
def test_no_time_left_is_guessed_without_a_pace(raw):
    assert remaining_seconds(_progress(**raw)) is None


@pytest.mark.parametrize(
    ("seconds", "english", "chinese"),
    [
        (0.2, "about 1 s left at this pace", "按当前速度还需约 1 秒"),
        (30.4, "about 30 s left at this pace", "按当前速度还需约 30 秒"),
        (14 * 60 + 10, "about 14 min left at this pace", "按当前速度还需约 14 分钟"),
        (3 * 3600, "about 3.0 h left at this pace", "按当前速度还需约 3.0 小时"),
    ],
    ids=["under a second", "seconds", "minutes", "hours"],
)
def test_the_time_left_reads_in_seconds_minutes_or_hours(seconds, english, chinese):
    assert describe_remaining(seconds) == english
    assert describe_remaining(seconds, "zh") == chinese


def test_the_time_left_says_when_it_runs_past_the_exercise_s_limit():
    """100 s gone, 50 of 100 batches of epoch 1 of 3 in 100 s: 500 s left, 600 s in all."""
    pace = {**_progress(batch=50, batches=100, seconds=100.0), "elapsed_s": 100.0}
    assert describe_pace(pace) == "about 8 min left at this pace"  # no limit said
    within = describe_pace({**pace, "time_limit_s": 900})
    assert within == "about 8 min left at this pace"
    assert describe_pace({**pace, "time_limit_s": 300}) == (
        "about 8 min left at this pace: the training would run past the 5 min this "
        "exercise allows and be stopped"
    )
    assert describe_pace({**pace, "time_limit_s": 300}, "zh") == (
        "按当前速度还需约 8 分钟：训练将超过本练习允许的 5 分钟 而被中止"
    )
    early = {**_progress(batch=2, batches=100, seconds=1.0), "elapsed_s": 1.0, "time_limit_s": 1}
    assert describe_pace(early) == ""


# ---------------------------------------------------------------- Watch


def _stopwatch(batches: int, slow: float) -> dict:
    return _calls(("layer 2", "dense_backward", slow)) | {"batches": batches}


def test_a_watch_keeps_the_last_stopwatch_it_has_seen():
    watch = Watch(LAYERS, TRAINING, (28, 28))
    assert watch.profile(with_reference=False) is None  # nothing seen yet
    watch.seen({"epoch": 1, "batch": 1, "profile": _stopwatch(1, 0.5)})
    watch.seen({"epoch": 1, "batch": 25, "profile": _stopwatch(25, 1.5)})
    watch.seen({"epoch": 1, "done": True})  # an epoch's end carries no stopwatch
    watch.seen("not a message")
    built = watch.profile(with_reference=False)
    assert built.batches == 25 and built.rows[0].ms == pytest.approx(60.0)
    assert built.reference_ms_per_batch is None and built.rows[0].reference_ms is None
    assert built.finding == (
        "your dense_backward in layer 2 (dense 32 relu) takes 75% of each batch: "
        "exercise 4 teaches it; vectorise it as its docstring says"
    )
    final = watch.profile(_stopwatch(30, 0.3), with_reference=False)
    assert final.batches == 30 and final.finding == ""  # the trainer's answer comes first


def test_a_watch_uses_the_reference_s_times_of_the_same_network(monkeypatch):
    asked = []

    def reference(layers, training, input_shape, parts, functions, **options):
        asked.append((layers, training, input_shape, parts, functions, options))
        return Timings(20, 2.0, {("layer 2", "dense_backward"): 1.0})

    monkeypatch.setattr(profile, "reference_timings", reference)
    watch = Watch(LAYERS, TRAINING, (28, 28), label="digits")
    watch.seen({"profile": _stopwatch(2, 1.5)})
    built = watch.profile()
    assert built.label == "digits" and built.reference_ms_per_batch == pytest.approx(100.0)
    assert built.finding.startswith("your dense_backward in layer 2 (dense 32 relu) takes 75%")
    assert "15.0x the reference's time" in built.finding
    ((layers, training, shape, parts, functions, options),) = asked
    assert (layers, training, shape) == (LAYERS, TRAINING, (28, 28))
    assert parts == set(PARTS) and functions >= FUNCTIONS
    assert options["discriminator"] is None


@pytest.mark.parametrize(
    "garbage",
    [
        "a profile",
        {"batches": 1, "seconds": 1.0, "calls": [["layer 2", "os_system", 0.5]]},
        {"batches": 1, "seconds": 1.0, "calls": [["layer 2", "dense_backward", 5.0]]},
    ],
)
def test_a_watch_makes_no_profile_of_a_garbage_stopwatch(garbage, monkeypatch):
    monkeypatch.setattr(profile, "reference_timings", pytest.fail)  # never measured for garbage
    watch = Watch(LAYERS, TRAINING, (28, 28))
    watch.seen({"profile": garbage})
    assert watch.profile() is None
    assert watch.profile(garbage) is None


# ---------------------------------------------------------------- progress, hostile


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        (7, 7),
        (1, 1),
        (10**8, 10**8),
        (True, None),
        ("7", None),
        (7.0, None),
        (0, None),
        (-7, None),
        (10**8 + 1, None),
        (10**400, None),
        ([7], None),
    ],
    ids=["7", "1", "1e8", "True", "'7'", "7.0", "0", "-7", "1e8+1", "1e400", "[7]"],
)
def test_a_progress_message_keeps_its_batch_counts_only_as_plain_ints_in_range(value, kept):
    record = progress_record({"epoch": 1, "batch": value, "batches": value}, epochs=1)
    assert (record["batch"], record["batches"]) == (kept, kept)


def test_the_display_gets_the_time_limit_and_the_time_gone():
    seen = []
    forward = trusted_progress(seen.append, epochs=2, time_limit_s=900)
    forward({"epoch": 1, "fraction": 0.1, "batch": 30, "batches": 300, "seconds": 3.0})
    (record,) = seen
    assert record["time_limit_s"] == 900 and 0 <= record["elapsed_s"] < 60
    assert describe_pace(record) == "about 57 s left at this pace"  # (270 + 300) x 0.1 s
