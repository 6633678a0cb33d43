"""What serves the learner: their progress file, `grade watch`, `check()` in a notebook,
putting a stub back, and the terminal view. It grades through grader.engine.grade.
"""
