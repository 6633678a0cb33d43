"""The runner: how check outcomes become report lines."""

from grader.engine.runner import _failing_example


def test_failing_input_names_only_generated_arguments():
    error = AssertionError("wrong")
    error.add_note(
        "Failing test case: test_x(\n    learner=learner,\n    tf=<module 'tensorflow'>,\n"
        "    z=array([[1., 2.],\n           [3., 4.]]),\n    axis=0,\n)"
    )
    assert _failing_example(error) == "z=array([[1., 2.], [3., 4.]]), axis=0"
    older = AssertionError("wrong")
    older.add_note("Falsifying example: test_y(\n    x=array([0.]),\n)")
    assert _failing_example(older) == "x=array([0.])"
