"""Grade one exercise: the one entry every caller grades through.

`grade exercise`, `grade watch`, a notebook's `check()`, each job of `grade
batch` and `grade selfcheck` all call `grade`. It takes, once, the decisions
that are the same for every caller:

- the language of the hints: `options.lang`, else $NNLAB_LANG, else the locale's;
- TensorFlow's warm-up: started as soon as the submission is read, unless a module
  is missing or does not compile (then no check runs: `Submitted.compiles` says so);
- every digit in NumPy's reprs while the checks run, so the failing input a report
  prints, on a screen or in a batch's files, is the input that failed;
- the hints the report shows: those the learner revealed and the one that belongs to
  what failed (report.choose_hints).

The run of the checks itself is grader/engine/runner.py's.
"""

from __future__ import annotations

from pathlib import Path

from grader.engine import oracles, runner
from grader.engine.report import Report, choose_hints
from grader.engine.reproduction import reproducible_reprs
from grader.engine.runner import GradingOptions
from grader.messages import resolve_lang


def grade(
    number: int,
    submission: Path | None = None,
    options: GradingOptions | None = None,
    hints_revealed: int = 0,
) -> Report:
    """Grade exercise `number` of `submission`.

    Inputs:
    - number: the exercise number (registry).
    - submission: a folder of exercise modules or a checkout; None: the default.
    - options: GradingOptions (language, progress callbacks, folders, Keras
      comparison, secret seed); None: the defaults.
    - hints_revealed: how many hints the learner revealed with `grade hint`.

    Returns the Report, its `hint` (and `lang`) in the options' language; learner
    mistakes of any kind are in it, never raised. Raises UnknownExercise or
    runner.NotAvailable for an exercise that cannot be graded, and KeyboardInterrupt
    when interrupted (its worker stopped, no report).
    """
    options = options or GradingOptions()
    lang = resolve_lang(options.lang)
    submitted = runner.read_exercise(number, submission)
    if submitted.compiles:
        oracles.warm_up()  # its import overlaps the worker's start and pytest's collection
    with reproducible_reprs():
        report = runner.run_checks(submitted, options)
    report.lang = lang
    report.hints_revealed = hints_revealed
    report.hint = choose_hints(report, submitted.exercise, hints_revealed, lang)
    return report
