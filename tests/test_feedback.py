"""Feedback that teaches: verdicts, side-by-side values, reproducible inputs, named mistakes."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader.checking import CheckFailure, expect_close, expect_equal, reproducible_reprs
from grader.messages import paste_ready, text, translate
from grader.mistakes import Mistake
from grader.registry import get_exercise
from grader.report import CheckResult, Report, print_text
from grader.runner import _failing_example, grade_exercise

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


# ---------------------------------------------------------------- the failing input


def test_failing_input_becomes_python_that_rebuilds_it_exactly():
    example = (
        "z=array([[0.1, 0.30000000000000004], [-inf, nan]]), axis=0, "
        "k=3,  # or any other generated value, mode='same'"
    )
    lines = paste_ready(example)
    assert lines[0] == "import numpy as np"
    scope: dict = {}
    exec("\n".join(lines), scope)  # noqa: S102 -- the lines a learner would paste
    assert scope["z"][0, 1] == 0.30000000000000004 and np.isneginf(scope["z"][1, 0])
    assert (scope["axis"], scope["k"], scope["mode"]) == (0, 3, "same")


def test_an_object_listing_its_arguments_is_unpacked():
    lines = paste_ready("case=x=array([1., 2.]), stride=(1, 2), padding='valid'")
    assert lines[1:] == ["x = np.array([1., 2.])", "stride = (1, 2)", "padding = 'valid'"]


def test_hypothesis_inputs_keep_every_digit_while_grading():
    tried = []

    @settings(database=None, derandomize=True)
    @given(x=hnp.arrays(np.float64, 2, elements=st.integers(1, 9).map(lambda k: k / 3)))
    def check(x):
        tried.append(x.copy())
        assert x.sum() < 0.5, "wrong"

    with reproducible_reprs(), pytest.raises(AssertionError) as caught:
        check()
    scope: dict = {}
    exec("\n".join(paste_ready(_failing_example(caught.value))), scope)  # noqa: S102
    assert np.array_equal(scope["x"], tried[-1]), "the pasted input is not the failing one"


# ---------------------------------------------------------------- translated and drawn


def test_the_fixed_words_are_translated_and_the_check_specific_ones_kept():
    message = failure(np.arange(4.0)[::-1], np.arange(4.0), mistakes=[])
    chinese = translate(message, "zh")
    assert "f(x) 的形状 (4,) 正确（dtype 为 float64），但 4 个值中有 4 个不对" in chinese
    assert "最大绝对误差 3" in chinese and "误差最大的元素在索引" in chinese
    assert translate("a check's own sentence", "zh") == "a check's own sentence"
    assert translate(message, "en") == message


def _report() -> Report:
    stub = "`softmax` is not implemented yet (it raises NotImplementedError)"
    values = failure(np.arange(6.0).reshape(2, 3) * 2, np.arange(6.0).reshape(2, 3))
    return Report(
        exercise=3,
        title="Softmax and losses",
        checks=[
            CheckResult("softmax_matches_tensorflow", "failed", 0, 2, stub),
            CheckResult("softmax_along_axis_0", "failed", 0, 1, stub),
            CheckResult("mse_matches_keras", "failed", 0, 1, f"{values}\nfailing input: y=1.5"),
            CheckResult("sse_worked_example", "passed", 1, 1),
        ],
        hint="first hint\nsecond hint",
    )


def test_the_text_report_in_english_and_chinese(tmp_path):
    from rich.console import Console

    for lang, expected in (
        ("en", ["Exercise 3: Softmax and losses", "(same as above)", "Hint: second hint"]),
        ("zh", ["练习 3：Softmax and losses", "（同上）", "提示：second hint", "得分：1/5"]),
    ):
        console = Console(file=(tmp_path / lang).open("w"), width=120)
        print_text(_report(), console, lang)
        console.file.close()
        screen = (tmp_path / lang).read_text()
        assert all(line in screen for line in expected), screen
    english = (tmp_path / "en").read_text()
    assert "Score: 1/5" in english and "every value is 2 times too large" in english
    assert "y = 1.5" in english and "paste into Python to reproduce" in english
    assert english.count("is not implemented yet") == 1


def test_json_messages_carry_every_revealed_hint():
    report = _report()
    messages = [check["message"] for check in report.to_dict()["checks"]]
    assert messages[0].endswith("hint: first hint\nhint: second hint")
    assert report.full_message(report.checks[0], "zh").endswith(
        "提示：first hint\n提示：second hint"
    )


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
    assert "failing input: " in message and "x=array(" in message


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


def test_the_sandboxs_own_sentences_translate_too(tmp_path):
    (tmp_path / "ex02_activations.py").write_text("import numpy as np\n\ndef relu(x:\n    pass\n")
    report = grade_exercise(2, tmp_path)
    message = report.full_message(report.checks[0], "zh")
    assert "ex02_activations.py 无法导入：SyntaxError：" in message
    assert "位置：第 3 行：def relu(x:" in message
