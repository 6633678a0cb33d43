"""Feedback that teaches: verdicts, side-by-side values, reproducible inputs, named mistakes."""

import numpy as np
import pytest
from grade_cli import grade, mutated
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader.checks.checking import CheckFailure, expect_close, expect_equal
from grader.checks.mistakes import (
    Mistake,
    axis_mix_ups,
    not_normalised,
    recognise,
    wrong_reductions,
)
from grader.course.registry import get_exercise
from grader.engine.collector import failing_example
from grader.engine.report import CheckResult, Report
from grader.engine.reproduction import reproducible_reprs
from grader.engine.runner import grade_exercise
from grader.learner.terminal import print_text
from grader.messages import keys_in, text, translate

from mutants import MUTANTS


def failure(got, expected, **options) -> str:
    with pytest.raises(CheckFailure) as caught:
        expect_close(got, expected, what="f(x)", **options)
    return str(caught.value)


# ---------------------------------------------------------------- the verdict and the values


def test_a_value_mismatch_gives_verdict_errors_worst_element_and_its_neighbours():
    expected = np.arange(48, dtype=np.float64).reshape(6, 8)
    got = expected.copy()
    got[3, 5] = 100.0
    lines = failure(got, expected).splitlines()
    assert lines[0] == "f(x) has the right shape (6, 8) (dtype float64), but 1 of 48 values differ"
    assert lines[1] == "max abs error 71, max rel error 2.45"
    assert lines[2] == "worst element at index (3, 5): got 100, expected 29"
    assert lines[3] == "expected (left) and got (right) around it, [1:6, 3:8]:"
    window = lines[4:9]
    assert len(window) == 5  # rows 1..5, columns 3..7
    left, right = window[2].split("|")
    assert left.split() == ["27", "28", ">29<", "30", "31"]
    assert right.split() == ["27", "28", ">100<", "30", "31"]


def test_images_show_a_window_of_rows_and_columns_at_the_worst_channel():
    expected = np.zeros((2, 7, 7, 3))
    got = expected.copy()
    got[1, 0, 6, 2] = 5.0
    message = failure(got, expected)
    assert "worst element at index (1, 0, 6, 2): got 5, expected 0" in message
    assert "[1, 0:3, 4:7, 2]" in message
    assert "max rel error" not in message  # no relative error against an expected 0


def test_a_wrong_shape_is_the_first_and_only_verdict():
    message = failure(np.zeros((2, 3)), np.zeros((2, 4)))
    assert message == "f(x) has shape (2, 3), expected (2, 4)"


def test_integer_results_are_called_out():
    message = failure(np.array([0, 1, 2]), np.array([0.5, 1.5, 2.5]))
    assert "values are integers (dtype int64)" in message


def test_scalars_say_got_and_expected():
    message = failure(2.0, 1.5)
    assert message.splitlines()[0] == "f(x) is 2, expected 1.5"
    with pytest.raises(CheckFailure, match=r"n is 3, expected 4"):
        expect_equal(3, 4, what="n")


# ---------------------------------------------------------------- named mistakes


def test_generic_mistakes_are_named_without_context():
    rng = np.random.default_rng(1)
    batch = rng.standard_normal((4, 3))
    assert text("sign_flipped") in failure(-batch, batch)
    assert text("transposed") in failure(batch.T, batch)
    assert text("batch_too_large", factor=4) in failure(batch * 4, batch)
    assert text("batch_too_small", factor=4) in failure(batch / 4, batch)
    assert text("too_small", factor=2) in failure(batch / 2, batch)
    assert text("scaled", factor="1.5") in failure(batch * 1.5, batch)
    images = rng.standard_normal((2, 3, 4, 5))
    assert "transposed with (0, 1, 3, 2)" in failure(images.transpose(0, 1, 3, 2), images)
    overflowed = batch.copy()
    overflowed[0, 0] = np.nan
    assert text("overflow") in failure(overflowed, batch)


def test_a_checks_candidates_name_the_mistake_and_ambiguity_is_said():
    right, wrong = np.arange(4.0), np.arange(4.0)[::-1]
    flipped = Mistake(lambda: wrong, "flipped_kernel")
    unrelated = Mistake(np.zeros(4), "a mistake that does not fit")
    broken = Mistake(lambda: 1 / 0, "a candidate that cannot be computed")
    message = failure(wrong, right, mistakes=[broken, unrelated, flipped])
    assert message.endswith(text("flipped_kernel"))
    also = Mistake(wrong.copy(), "same_wrong_side")
    message = failure(wrong, right, mistakes=lambda: [flipped, also])
    assert text("several_mistakes") in message
    assert f"- {text('same_wrong_side')}" in message


def test_a_candidate_of_the_learners_shape_explains_a_wrong_shape():
    valid = Mistake(lambda: np.zeros((1, 2, 2, 1)), "the output has the shape of VALID padding")
    message = failure(np.ones((1, 2, 2, 1)), np.zeros((1, 4, 4, 1)), mistakes=[valid])
    assert message.splitlines() == [
        "f(x) has shape (1, 2, 2, 1), expected (1, 4, 4, 1)",
        "the output has the shape of VALID padding",
    ]
    same_values = Mistake(np.ones((1, 2, 2, 1)), "the one whose values it has")
    message = failure(np.ones((1, 2, 2, 1)), np.zeros((1, 4, 4, 1)), mistakes=[valid, same_values])
    assert message.splitlines()[1:] == ["the one whose values it has"], "values before shapes"


# ---------------------------------------------------------------- axis mix-ups (item 9)


def _softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def test_probabilities_normalised_along_the_wrong_axis_are_named():
    z = np.random.default_rng(0).standard_normal((3, 4))
    right = _softmax(z)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    summed_over_axis_0 = e / e.sum(axis=0, keepdims=True)
    assert recognise(summed_over_axis_0, right, [not_normalised()]) == text("rows_not_normalised")
    assert recognise(np.log(summed_over_axis_0), np.log(right), [not_normalised(log=True)]) == (
        text("log_rows_not_normalised")
    )
    assert recognise(right, _softmax(z, axis=0), [not_normalised(axis=0)]) == text(
        "not_normalised_along", axis=0, other=1
    )
    # Rows that sum to 1 with wrong values, or nothing normalised at all: not an axis mistake.
    assert recognise(right[:, ::-1], right, [not_normalised()]) != text("rows_not_normalised")
    assert recognise(e, right, [not_normalised()]) == ""
    # A sum that underflowed to 0 / 0 in some columns still shows the axis it was taken along.
    with np.errstate(all="ignore"):
        big = np.array([[1e4, 0.0, -1e4], [1e4, 1e4 - 1.0, 5.0]])
        e = np.exp(big - big.max(axis=-1, keepdims=True))
        nan_columns = e / e.sum(axis=0, keepdims=True)
    assert np.isnan(nan_columns).any()
    assert recognise(nan_columns, _softmax(big), [not_normalised()]) == text("rows_not_normalised")


def test_a_wrong_reduction_of_a_loss_is_named_by_its_axis():
    terms = np.random.default_rng(1).random((3, 4))
    right = terms.sum(axis=1).mean()
    mistakes = wrong_reductions(terms, ("mean", "sum"))

    def named(got):
        return recognise(np.asarray(got), np.asarray(right), mistakes)

    assert named(terms.sum()) == text("summed_not_averaged", axis=0)
    assert named(terms.mean()) == text("averaged_not_summed", axis=1)
    assert named(terms.mean(axis=1).sum()) == text(
        "reductions_exchanged", first="np.mean", a=0, second="np.sum", b=1
    )
    assert named(terms.sum(axis=1)) == text("not_reduced", axis=0, op="np.mean")
    everywhere = wrong_reductions(terms, ("mean", "mean"))
    assert recognise(np.asarray(terms.sum()), np.asarray(terms.mean()), everywhere) == text(
        "summed_everywhere"
    )
    # Over an axis of length 1 the sum is the mean: only the axis that tells them apart is named.
    row = terms[:1]
    one = recognise(
        np.asarray(row.sum()), np.asarray(row.mean()), wrong_reductions(row, ("mean", "mean"))
    )
    assert one == text("summed_not_averaged", axis=1)


def test_an_operation_over_the_wrong_axes_is_named():
    x = np.random.default_rng(2).standard_normal((2, 4, 4, 3))
    mistakes = axis_mix_ups(lambda axes: x.max(axis=axes), right=(1, 2), wrong=[(1, 3), (2, 3)])
    message = failure(x.max(axis=(1, 3)), x.max(axis=(1, 2)), mistakes=mistakes)
    assert message.splitlines()[-1] == text("wrong_axes", got=(1, 3), expected=(1, 2))
    assert keys_in(message)[-1] == "wrong_axes"


# ---------------------------------------------------------------- the failing input
# (the failing call as Python to paste: tests/engine/test_reproduction.py)


def test_hypothesis_inputs_keep_every_digit_while_grading():
    tried = []

    @settings(database=None, derandomize=True)
    @given(x=hnp.arrays(np.float64, 2, elements=st.integers(1, 9).map(lambda k: k / 3)))
    def check(x):
        tried.append(x.copy())
        assert x.sum() < 0.5, "wrong"

    with reproducible_reprs(), pytest.raises(AssertionError) as caught:
        check()
    name, value = failing_example(caught.value).split("=", 1)
    value = value.split(", # or any other")[0]  # hypothesis' comment on a value it found
    rebuilt = eval(value, {"array": np.array})  # noqa: S307 -- hypothesis' repr of the input
    assert name == "x" and np.array_equal(rebuilt, tried[-1]), "not the failing input"


# ---------------------------------------------------------------- translated and drawn


def test_the_fixed_words_are_translated_and_the_check_specific_ones_kept():
    message = failure(np.arange(4.0)[::-1], np.arange(4.0), mistakes=[])
    chinese = translate(message, "zh")
    assert "f(x) 的形状 (4,) 正确（dtype 为 float64），但 4 个值中有 4 个不对" in chinese
    assert "最大绝对误差 3" in chinese and "误差最大的元素在索引" in chinese
    assert translate("a check's own sentence", "zh") == "a check's own sentence"
    assert translate(message, "en") == message


PASTE = "\n".join(
    [text("reproduce"), "import numpy as np", "from ex03_softmax_losses import mse", "mse(1.5)"]
)


def _report() -> Report:
    stub = "`softmax` is not implemented yet (it raises NotImplementedError)"
    values = failure(np.arange(6.0).reshape(2, 3) * 2, np.arange(6.0).reshape(2, 3))
    return Report(
        exercise=3,
        title="Softmax and losses",
        checks=[
            CheckResult("softmax_matches_tensorflow", "failed", 0, 2, stub),
            CheckResult("softmax_along_axis_0", "failed", 0, 1, stub),
            CheckResult("mse_matches_keras", "failed", 0, 1, f"{values}\n{PASTE}"),
            CheckResult("sse_worked_example", "passed", 1, 1),
        ],
        hint="first hint\nsecond hint",
    )


def test_the_text_report_in_english_and_chinese(tmp_path):
    from rich.console import Console

    for lang, expected in (
        ("en", ["Exercise 3: Softmax and losses", "(same as above)", "Hint: second hint"]),
        ("zh", ["练习 3：Softmax 与损失函数", "（同上）", "提示：second hint", "得分：1/5"]),
        ("zh", ["softmax 与 TensorFlow 一致", "沿轴 0 的 softmax", text("reproduce", "zh")]),
    ):
        console = Console(file=(tmp_path / lang).open("w"), width=120)
        print_text(_report(), console, lang)
        console.file.close()
        screen = (tmp_path / lang).read_text()
        assert all(line in screen for line in expected), screen
    english = (tmp_path / "en").read_text()
    assert "Score: 1/5" in english and "every value is 2 times too large" in english
    assert "\nmse(1.5)\n" in english and text("reproduce") in english
    assert "softmax matches tensorflow" in english
    assert english.count("is not implemented yet") == 1


def test_json_messages_carry_the_revealed_hints_and_their_own_in_english():
    report = _report()
    report.hints_revealed = 2
    first, second, *_ = get_exercise(3).hints
    messages = [check["message"] for check in report.to_dict()["checks"]]
    assert messages[0].endswith(f"hint: {first}\nhint: {second}")
    assert report.full_message(report.checks[0], "zh").endswith(f"提示：{first}\n提示：{second}")
    assert messages[3] == "", "a check that passed has no hint"
    assert Report.from_dict(report.to_dict()).to_dict()["checks"] == report.to_dict()["checks"]


def test_exports_give_each_failing_check_only_the_hint_that_belongs_to_it():
    exercise = get_exercise(5)
    report = Report(
        exercise=5,
        title=exercise.title,
        checks=[
            CheckResult("conv_output_size_matches_tensorflow", "failed", 0, 1, "off by one"),
            CheckResult("conv2d_forward_is_vectorised", "failed", 0, 1, "too slow"),
        ],
    )
    unmatched, slow = (check["message"] for check in report.to_dict()["checks"])
    assert unmatched == "off by one", "no hint belongs: none, not hint 1 on every row"
    assert slow == f"too slow\nhint: {exercise.hints[2]}"


# ---------------------------------------------------------------- on real mistakes


def _grade_mutant(kit_root, tmp_path, mistake: str) -> Report:
    mutant = next(m for m in MUTANTS if m.mistake == mistake)
    exercise = get_exercise(mutant.exercise)
    source = (kit_root / "solutions" / exercise.filename).read_text("utf-8")
    (tmp_path / exercise.filename).write_text(source.replace(mutant.old, mutant.new), "utf-8")
    return grade_exercise(mutant.exercise, tmp_path)


def _message(report: Report, check: str) -> str:
    return next(c.message for c in report.checks if c.name == check)


def test_a_flipped_kernel_is_named(kit_root, tmp_path):
    report = _grade_mutant(kit_root, tmp_path, "flipped kernel")
    message = _message(report, "conv2d_forward_with_valid_padding_matches_tensorflow")
    assert text("flipped_kernel") in message
    assert f"{text('reproduce')}\nimport numpy as np\nfrom ex05_convolution import" in message
    assert "\nx = np.array([[[[" in message and "\nconv2d_forward(x, w, " in message


def test_conv_same_padding_on_the_wrong_side_is_named(kit_root, tmp_path):
    report = _grade_mutant(kit_root, tmp_path, "SAME padding puts the odd zero first")
    message = _message(report, "conv2d_forward_with_same_padding_matches_tensorflow")
    assert text("same_wrong_side") in message


def test_pooling_same_padding_on_the_wrong_side_is_named(kit_root, tmp_path):
    report = _grade_mutant(kit_root, tmp_path, "pooling SAME padding puts the odd cell first")
    assert text("same_wrong_side") in _message(report, "max_pool_forward_matches_tensorflow")


def test_softmax_overflow_and_a_gradient_off_by_the_batch_size_are_named(kit_root, tmp_path):
    report = _grade_mutant(kit_root, tmp_path, "softmax without the max shift")
    assert text("softmax_overflow") in _message(report, "softmax_is_stable_for_logits_of_1e4")
    report = _grade_mutant(kit_root, tmp_path, "softmax gradient not divided by N")
    message = _message(report, "softmax_cross_entropy_gradient_matches_gradient_tape")
    assert "times too large, and" in message and "is the batch size" in message


def test_softmax_summed_over_the_wrong_axis_is_named_with_its_own_hint(kit_root, tmp_path):
    folder = mutated(kit_root, tmp_path, "softmax sums over axis 0")
    screen = grade(folder, 3).stdout
    assert screen.count(text("rows_not_normalised")) == 2, screen  # both failing softmax checks
    assert "times too large" not in screen and "FloatingPointError" not in screen
    assert text("softmax_overflow") not in screen
    hints = get_exercise(3).hints
    assert f"Hint: {hints[3][:40]}" in screen and f"Hint: {hints[0][:40]}" not in screen
    chinese = grade(folder, 3, env={"NNLAB_LANG": "zh"}).stdout
    assert text("rows_not_normalised", "zh") in chinese
    assert f"提示：{get_exercise(3).hints_zh[3][:20]}" in chinese


def test_the_sandboxs_own_sentences_translate_too(tmp_path):
    # An error at import (a syntax error is found before the sandbox: test_cli_usage.py).
    (tmp_path / "ex02_activations.py").write_text("import numpy as np\n\nraise ValueError('no')\n")
    report = grade_exercise(2, tmp_path)
    message = report.full_message(report.checks[0], "zh")
    assert "ex02_activations.py 无法导入：ValueError：no" in message
    assert "位置：第 3 行，<module> 中：raise ValueError('no')" in message


def test_an_unscored_extra_not_run_does_not_fail_the_exercise():
    checks = [CheckResult("test_accuracy_reaches_the_bar", "passed", 8, 8)]
    extra = CheckResult("the_same_network_in_keras_for_comparison", "skipped", 0, 0, "use ...")
    assert Report(exercise=12, title="t", checks=[*checks, extra]).passed
    from grader.engine.renderers import classroom_results, gradescope_results

    with_extra = Report(exercise=12, title="t", checks=[*checks, extra])
    assert [t["name"] for t in gradescope_results([with_extra])["tests"]] == [
        "12. test_accuracy_reaches_the_bar"
    ], "an optional check not run is no failed 0/0 row in Gradescope"
    classroom = classroom_results(with_extra)
    assert classroom["status"] == "pass" and len(classroom["tests"]) == 1
    scored = CheckResult("parameter_count_matches", "skipped", 0, 1, "needs `relu`")
    assert not Report(exercise=12, title="t", checks=[*checks, scored]).passed
