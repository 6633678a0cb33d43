"""What serves the instructor: `grade batch` (batch/), `grade release` (release/),
Gradescope's autograder paths and `grade selfcheck`. It grades through grader.engine.
"""
