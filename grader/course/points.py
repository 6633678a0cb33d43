"""What an exercise is scored out of: the points of the checks this grader holds.

Counted on the check files' syntax trees (their `@points(n)` decorators), so
nothing is imported and the count is the same in the instructor kit (every
check) and in a student release (the public checks only).
"""

from __future__ import annotations

import ast

from grader.course.registry import Exercise


def points_checked(exercise: Exercise) -> float:
    """The points exercise `exercise` is scored out of by this grader.

    It is the sum of the points of the checks this grader holds, as
    `grade exercise` counts them: every check in the instructor kit, the public
    ones in a student release. An exercise without a check file counts its
    registry points.
    """
    if not exercise.check_file.is_file():
        return float(exercise.points)
    return check_points(exercise.check_file.read_text("utf-8"))


def check_points(source: str) -> float:
    """The points a check module's tests are worth: the sum of their @points(n)."""
    total = 0.0
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            for decorator in node.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and decorator_name(decorator) == "points"
                    and isinstance(decorator.args[0], ast.Constant)
                ):
                    total += float(decorator.args[0].value)
    return total


def decorator_name(decorator: ast.expr) -> str:
    """The last name of a decorator: `hidden`, `points` for @points(2), `fixture`, ..."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    if isinstance(target, ast.Attribute):
        return target.attr
    return target.id if isinstance(target, ast.Name) else ""
