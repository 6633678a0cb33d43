"""`grade batch`: grade a whole class, locally or on a Dask cluster, and resume.

Each immediate sub-folder or `.zip` of the submissions folder is one student
(grader/instructor/batch/submissions.py reads them). Only the exercise modules
are read from it (a "snapshot": file name -> bytes), and the snapshot, not the
student's folder, is what gets graded, in a fresh grader process per student
(grader/instructor/batch/job.py) whose learner code runs in the sandbox. Each
student's record (record.StudentRecord) is written atomically as soon as it is
done; a record made by the same grader version from the same snapshot is
reused, so a batch killed half-way resumes where it stopped.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path, PurePosixPath

import grader
from grader.course.registry import exercises, get_exercise, merged_spans, ranges_text
from grader.engine.atomic import write_atomically
from grader.engine.seeds import seed_fingerprint
from grader.instructor.batch.export import gradescope_json, write_class_files
from grader.instructor.batch.job import grade_task, kill_running_jobs
from grader.instructor.batch.record import ERROR, GRADED, StudentRecord
from grader.instructor.batch.submissions import (
    Submission,
    UnreadableSubmission,
    discover,
    read_submission,
    snapshot_hash,
)
from grader.messages import text


class ExerciseSelectionError(ValueError):
    """An --exercises value that names no exercise or an unknown one."""


@dataclass
class BatchOptions:
    """How to run a batch (all but `out` optional).

    - exercises: the exercise numbers to grade, in order.
    - jobs: local grading processes run at once.
    - scheduler: a Dask scheduler address ("tcp://host:8786"); None grades locally.
    - regrade: grade again even when an identical record exists.
    - lang, data_dir: as for one exercise (see runner.GradingOptions).
    - seed: the instructor's secret seed for hidden checks ("" none; see
      runner.GradingOptions.seed); a record graded under another seed is graded again.
    - student_view: also write the pages to hand back to students
      (export.STUDENT_VIEW: hidden checks as name and pass/fail only).
    """

    out: Path
    exercises: list[int] = field(default_factory=list)
    jobs: int = 1
    scheduler: str | None = None
    regrade: bool = False
    lang: str = "en"
    data_dir: Path | None = None
    seed: str = ""
    student_view: bool = False


@dataclass
class BatchSummary:
    """What a batch did: every student's record, and counts of each outcome."""

    records: list[StudentRecord]
    graded: int = 0
    skipped: int = 0
    failed: int = 0
    duration_s: float = 0.0


def parse_exercises(selection: str) -> list[int]:
    """Exercise numbers from "all", "3", "1-11" or "1,3,5-7"; raises ExerciseSelectionError.

    Numbers the course does not have are named as ranges ("exercises 16-99 do not
    exist; there are 1-15"), from the registry.
    """
    available = [e.number for e in exercises() if e.available]
    if selection.strip().lower() == "all":
        return available
    spans: list[tuple[int, int]] = []
    try:
        for part in selection.split(","):
            low, dash, high = part.strip().partition("-")
            spans.append((int(low), int(high if dash else low)))
            if spans[-1][0] > spans[-1][1]:
                raise ValueError
    except ValueError:
        raise ExerciseSelectionError(
            f"--exercises {selection!r}: use 'all', a number, a range like 1-11, or a list "
            "like 1,3,5-7"
        ) from None
    known = [e.number for e in exercises()]
    absent = _uncovered(spans, known)
    if absent:
        count = sum(high - low + 1 for low, high in absent)
        key = "exercise_absent" if count == 1 else "exercises_absent"
        there = ranges_text(merged_spans([(n, n) for n in known]))
        sentence = text(key, numbers=ranges_text(absent), known=there)
        raise ExerciseSelectionError(f"--exercises {selection!r}: {sentence}")
    chosen = [n for n in known if any(low <= n <= high for low, high in spans)]
    closed = [get_exercise(n) for n in chosen if n not in available]
    if closed:
        sentences = [text("exercise_not_available", number=e.number, title=e.title) for e in closed]
        raise ExerciseSelectionError(f"--exercises {selection!r}: {'; '.join(sentences)}")
    return chosen


def _uncovered(spans: list[tuple[int, int]], known: list[int]) -> list[tuple[int, int]]:
    """The parts of the (low, high) `spans` that hold no number of `known`, sorted."""
    gaps: list[tuple[int, int]] = []
    for low, high in merged_spans(spans):
        start = low  # the first number of this span not yet placed
        for n in sorted(k for k in known if low <= k <= high):
            if n > start:
                gaps.append((start, n - 1))
            start = n + 1
        if start <= high:
            gaps.append((start, high))
    return gaps


@cache
def grader_version() -> str:
    """The package version plus a fingerprint of the grader's code, checks and registry."""
    root = Path(grader.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".toml") and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return f"{grader.__version__}+{digest.hexdigest()[:12]}"


def student_record(
    student: str,
    numbers: list[int],
    reports: dict[int, dict],
    *,
    submission_hash: str = "",
    error: str = "",
    notice: str = "",
    duration_s: float = 0.0,
) -> StudentRecord:
    """A student's record (report.json): the requested exercises' reports, scores and status.

    An exercise with no report counts 0 of its registry points. `notice` is a plain
    remark that does not make the record an error (modules_notice).
    """
    graded = [reports[n] for n in numbers if n in reports]
    missing = [n for n in numbers if n not in reports]
    if missing and not error:
        error = "not graded: exercise " + ", ".join(map(str, missing))
    return StudentRecord(
        student=student,
        submission_hash=submission_hash,
        grader_version=grader_version(),
        status=ERROR if error else GRADED,
        error=error,
        notice=notice,
        score=sum(r["score"] for r in graded),
        max_score=sum(r["max_score"] for r in graded)
        + sum(get_exercise(n).points for n in missing),
        duration_s=round(duration_s, 3),
        exercises_requested=list(numbers),
        exercises=graded,
    )


def modules_notice(files: dict[str, bytes], numbers: list[int]) -> str:
    """The gradebook's remark on a snapshot `files` for exercises `numbers`: "no exercise
    modules found", the requested modules not found, or "" when each is there."""
    if not files:
        return text("no_modules")
    absent = [get_exercise(n).filename for n in numbers if get_exercise(n).filename not in files]
    return text("modules_missing", files=", ".join(absent)) if absent else ""


def _load_record(path: Path) -> StudentRecord | None:
    """The record in report.json file `path`, or None when it holds none that can be read."""
    try:
        return StudentRecord.from_dict(json.loads(path.read_text("utf-8")))
    except (OSError, ValueError):
        return None


def _previous_record(out: Path, submission: Submission) -> StudentRecord | None:
    """The student's record on disk from an earlier batch, if it is theirs."""
    record = _load_record(out / submission.folder / "report.json")
    return record if record and record.student == submission.name else None


@dataclass
class _Pending:
    """A student with exercises to grade: the snapshot, and the reports kept from earlier."""

    submission: Submission
    files: dict[str, bytes]
    digest: str
    reused: dict[int, dict]
    missing: list[int]
    notice: str


@dataclass
class _Resumed:
    """A student whose every requested exercise an earlier batch graded: nothing to do."""

    record: StudentRecord


def _plan(submission: Submission, options: BatchOptions) -> StudentRecord | _Resumed | _Pending:
    """A finished record (unreadable), a resumed one (nothing left to grade) or the work to do."""
    numbers = options.exercises
    try:
        files = read_submission(submission)
    except Exception as problem:  # noqa: BLE001 - one submission must not stop the class
        reason = str(problem) if isinstance(problem, UnreadableSubmission) else repr(problem)
        return student_record(
            submission.name, numbers, {}, error=f"unreadable submission: {reason}"
        )
    digest = snapshot_hash(files)
    notice = modules_notice(files, numbers)
    reused: dict[int, dict] = {}
    old = None if options.regrade else _previous_record(options.out, submission)
    if old and old.grader_version == grader_version() and old.submission_hash == digest:
        seed = seed_fingerprint(options.seed)
        reused = {r["exercise"]: r for r in old.exercises if r.get("seed", "") == seed}
    missing = [n for n in numbers if n not in reused]
    if not missing:
        # Resumed: the time is the one the record was graded in, as its report.json says.
        record = student_record(
            submission.name,
            numbers,
            reused,
            submission_hash=digest,
            notice=notice,
            duration_s=float(old.duration_s) if old else 0.0,
        )
        return _Resumed(record)
    return _Pending(submission, files, digest, reused, missing, notice)


def _request(pending: _Pending, options: BatchOptions) -> dict:
    return {
        "student": pending.submission.name,
        "files": {name: base64.b64encode(data).decode() for name, data in pending.files.items()},
        "exercises": pending.missing,
        "lang": options.lang,
        "data_dir": str(options.data_dir) if options.data_dir else "",
        "seed": options.seed,
        "threads": _threads_per_job(options),
    }


def _threads_per_job(options: BatchOptions) -> int | None:
    """A local job's share of this machine's cores for a capstone's BLAS threads (None on a
    Dask cluster: its workers' own settings hold)."""
    if options.scheduler:
        return None
    return max(1, (os.cpu_count() or 1) // max(1, options.jobs))


def _save(options: BatchOptions, pending: _Pending, result: dict) -> StudentRecord:
    """The student's record from the job's `result` (job.grade_task) and the reports kept
    from an earlier batch, written with the job's artifacts into the student's folder."""
    reports = dict(pending.reused)
    reports.update({r["exercise"]: r for r in result.get("exercises", [])})
    # The job's time plus the grading time of the exercises kept from an earlier batch.
    reused_s = sum(float(r.get("duration_s", 0.0)) for r in pending.reused.values())
    record = student_record(
        pending.submission.name,
        options.exercises,
        reports,
        submission_hash=pending.digest,
        error=result.get("error", ""),
        notice=pending.notice,
        duration_s=float(result.get("duration_s", 0.0)) + reused_s,
    )
    # Exercises graded earlier but not requested now stay in the record for later batches.
    record.exercises += [r for n, r in sorted(reports.items()) if n not in options.exercises]
    folder = options.out / pending.submission.folder
    for relative, encoded in result.get("artifacts", {}).items():
        parts = [p for p in PurePosixPath(relative).parts if p not in ("..", "/")]
        write_atomically(folder.joinpath(*parts), base64.b64decode(encoded))
    _write_student_files(folder, record)
    return record


def _write_student_files(folder: Path, record: StudentRecord) -> None:
    write_atomically(
        folder / "report.json", json.dumps(record.to_dict(), indent=2, ensure_ascii=False)
    )
    write_atomically(folder / "results.json", gradescope_json(record))


def _results(todo: list[_Pending], options: BatchOptions) -> Iterable[tuple[_Pending, dict]]:
    """(pending, job result) pairs as jobs finish: local threads or a Dask cluster."""
    if options.scheduler:
        yield from _dask_results(todo, options)
        return
    with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        futures = {pool.submit(grade_task, _request(p, options)): p for p in todo}
        try:
            for future in as_completed(futures):
                yield futures[future], future.result()
        finally:
            for future in futures:
                future.cancel()
            kill_running_jobs()


def _dask_results(todo: list[_Pending], options: BatchOptions) -> Iterable[tuple[_Pending, dict]]:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:
        raise RuntimeError(
            "--scheduler needs Dask: pip install 'nnlab[cluster]' (dask[distributed])"
        ) from None
    with Client(options.scheduler, timeout="20s") as client:
        futures = {
            client.submit(
                grade_task, _request(p, options), key=f"nnlab-{p.submission.folder}-{p.digest[:12]}"
            ): p
            for p in todo
        }
        try:
            for future in dask_completed(futures):
                pending = futures[future]
                try:
                    yield pending, future.result()
                except Exception as problem:  # noqa: BLE001 - the cluster's failure, not ours
                    yield pending, {"error": f"the Dask cluster failed this job: {problem}"}
        finally:
            client.cancel(list(futures))


def _class_records(
    submissions: list[Submission], records: dict[str, StudentRecord], out: Path
) -> list[StudentRecord]:
    """Every student's record for the class files: this run's, else the one on disk
    (a --regrade stopped half-way); students with neither are left out."""
    chosen = []
    for submission in submissions:
        record = records.get(submission.name) or _previous_record(out, submission)
        if record:
            chosen.append(record)
    return chosen


def run_batch(
    submissions_dir: Path,
    options: BatchOptions,
    on_record: Callable[[StudentRecord, int, int], None] | None = None,
) -> BatchSummary:
    """Grade every submission in `submissions_dir`; write results under `options.out`.

    Inputs:
    - submissions_dir: a folder of student sub-folders and/or .zip files.
    - options: BatchOptions.
    - on_record: callable(record, done, total) called as each student is finished or skipped.

    Returns:
    - a BatchSummary of this run's records; the class files (gradebook.csv, junit.xml,
      report.html) are written at the end, also when the batch is interrupted, and cover
      every student: one not finished in this run keeps the record of an earlier batch.
    """
    started = time.monotonic()
    options.out.mkdir(parents=True, exist_ok=True)
    submissions = discover(submissions_dir)
    summary = BatchSummary(records=[])
    records: dict[str, StudentRecord] = {}
    todo: list[_Pending] = []
    total = len(submissions)

    def finish(record: StudentRecord, skipped: bool = False) -> None:
        records[record.student] = record
        if skipped:
            summary.skipped += 1
        elif record.graded:
            summary.graded += 1
        else:
            summary.failed += 1
        if on_record:
            on_record(record, len(records), total)

    try:
        for submission in submissions:
            planned = _plan(submission, options)
            if isinstance(planned, _Pending):
                todo.append(planned)
            elif isinstance(planned, _Resumed):
                finish(planned.record, skipped=True)
            else:
                _write_student_files(options.out / submission.folder, planned)
                finish(planned)
        for pending, result in _results(todo, options):
            finish(_save(options, pending, result))
    finally:
        summary.records = [records[s.name] for s in submissions if s.name in records]
        with contextlib.suppress(OSError):
            write_class_files(
                options.out,
                _class_records(submissions, records, options.out),
                options.exercises,
                options.lang,
                student_view=options.student_view,
            )
        summary.duration_s = time.monotonic() - started
    return summary
