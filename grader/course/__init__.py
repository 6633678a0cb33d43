"""The curriculum: the registry of exercises (curriculum.toml), where the kit's parts are,
what each exercise is scored out of, and the stubs cut from the fenced solutions.

It imports nothing from the rest of grader but the catalogue (grader.messages).
"""
