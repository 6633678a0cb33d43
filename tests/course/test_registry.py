"""The registry lists the whole course, consistently."""

from grader.course.paths import KIT_ROOT
from grader.course.registry import exercises, get_exercise
from grader.course.stubs import MODULES


def test_every_exercise_of_the_curriculum_is_listed_in_order():
    numbers = [e.number for e in exercises()]
    assert sorted(numbers) == list(range(1, len(numbers) + 1))
    assert len({e.module for e in exercises()}) == len(numbers)
    assert all(e.module.startswith(f"ex{e.number:02d}_") for e in exercises())
    solutions = {path.stem for path in (KIT_ROOT / "solutions").glob(MODULES)}
    assert solutions <= {e.module for e in exercises()}, "a solution no exercise lists"


def test_titles_and_hints_exist_in_english_and_chinese():
    for exercise in exercises():
        assert exercise.title.strip() and exercise.title_zh.strip()
        assert len(exercise.hints) >= 2 and len(exercise.hints_zh) >= 2
        assert all(h.strip() for h in exercise.hints + exercise.hints_zh)


def test_available_exercises_have_checks_solution_and_stub():
    for exercise in exercises():
        if exercise.available:
            assert exercise.check_file.is_file()
            assert (KIT_ROOT / "solutions" / exercise.filename).is_file()
            assert (KIT_ROOT / "exercises" / exercise.filename).is_file()
            assert exercise.points > 0


def test_time_limits_are_positive():
    assert all(e.call_timeout_s > 0 and e.time_limit_s >= e.call_timeout_s for e in exercises())


def test_unknown_exercise_is_a_clear_error():
    import pytest

    from grader.course.registry import UnknownExercise

    with pytest.raises(
        UnknownExercise, match="there is no exercise 99; the course has exercises 1-"
    ):
        get_exercise(99)


def test_exercise_numbers_read_as_ranges():
    from grader.course.registry import merged_spans, ranges_text

    assert merged_spans([(5, 5), (1, 3), (4, 4), (9, 12), (11, 20)]) == [(1, 5), (9, 20)]
    assert ranges_text([(1, 15)]) == "1-15"
    assert ranges_text([(1, 3), (7, 7)]) == "1-3, 7"


def test_the_course_order_is_the_order_of_the_blocks_not_of_the_numbers():
    """16 and 17 need no layers, so the learning path takes them right after 3."""
    numbers = [e.number for e in exercises()]
    assert numbers[:6] == [1, 2, 3, 16, 17, 4]


def test_the_readme_lists_every_exercise_in_course_order_with_its_points():
    readme = (KIT_ROOT / "README.md").read_text("utf-8")
    expected = exercise_table()
    assert expected in readme, f"README.md's exercise table should read:\n{expected}"


def exercise_table() -> str:
    """The README's exercise table, as the registry states it."""
    rows = ["| # | exercise | file | points |", "| --- | --- | --- | --- |"]
    for e in exercises():
        rows.append(f"| {e.number} | {e.title} | `exercises/{e.filename}` | {e.points} |")
    return "\n".join(rows)
