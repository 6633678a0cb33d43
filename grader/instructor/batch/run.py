"""`grade batch`: grade a whole class, locally or on a Dask cluster, and resume.

Each immediate sub-folder or `.zip` of the submissions folder is one student.
Only the exercise modules are read from it (a "snapshot": file name -> bytes),
and the snapshot, not the student's folder, is what gets graded, in a fresh
grader process per student (grader/instructor/batch/job.py) whose learner code runs in
the sandbox. Each student's record is written atomically as soon as it is
done; a record made by the same grader version from the same snapshot is
reused, so a batch killed half-way resumes where it stopped.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import itertools
import json
import os
import stat
import time
import zipfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import BinaryIO

import grader
from grader.course.registry import exercises, get_exercise, merged_spans, ranges_text
from grader.engine.atomic import write_atomically
from grader.engine.seeds import seed_fingerprint
from grader.engine.submission import (
    MAX_MODULE_BYTES,
    MissingSubmission,
    open_below,
    open_regular,
    read_regular,
)
from grader.instructor.batch.export import gradescope_json, student_folder, write_class_files
from grader.instructor.batch.job import grade_task, kill_running_jobs
from grader.messages import text

MAX_ZIP_BYTES = 64 << 20
# Files and folders (or zip members) looked at per student where modules may be:
# far more than a repository's top and its folders' tops hold, few enough to
# list in a moment.
MAX_ENTRIES = 100_000
# A zip's table of contents, which zipfile parses whole when it opens the archive.
MAX_ZIP_DIRECTORY_BYTES = 4 << 20


class UnreadableSubmission(Exception):
    """A submission that cannot be read: its message is shown in the student's row."""


class ExerciseSelectionError(ValueError):
    """An --exercises value that names no exercise or an unknown one."""


@dataclass(frozen=True)
class Submission:
    """One student's submission: `name` is the student, `path` a folder or a .zip."""

    name: str
    path: Path

    @property
    def folder(self) -> str:
        """The student's folder under the results (batch_export.student_folder)."""
        return student_folder(self.name)


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
      (batch_export.STUDENT_VIEW: hidden checks as name and pass/fail only).
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

    records: list[dict]
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


def discover(folder: Path) -> list[Submission]:
    """The submissions in `folder`: each sub-folder and `.zip` file, sorted by name.

    A student is named by the folder, or the zip without `.zip` (the whole file
    name when a folder already has that name), exactly, whatever characters it
    holds; bytes that are not UTF-8 are shown as escapes ("\\xe9"). Hidden
    folders (.git), macOS's "._" shadow files and symbolic links are skipped.
    """
    found: dict[str, Submission] = {}
    for path in sorted(folder.iterdir()):
        if path.is_symlink() or path.name.startswith("._"):
            continue
        if path.is_dir() and not path.name.startswith("."):
            candidates = [path.name]
        elif path.is_file() and path.suffix.lower() == ".zip":
            candidates = [path.name[: -len(path.suffix)], path.name]
        else:
            continue
        name = _unused(map(_text_name, candidates), found)
        found[name] = Submission(name, path)
    return [found[name] for name in sorted(found)]


def _text_name(name: str) -> str:
    """A file name as text: undecodable bytes (surrogate escapes) become "\\xNN"."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _unused(candidates: Iterable[str], taken: dict[str, Submission]) -> str:
    """The first candidate name not taken, else the last one numbered ("x (2)")."""
    candidates = list(candidates)
    for name in candidates:
        if name not in taken:
            return name
    number = 2
    while f"{candidates[-1]} ({number})" in taken:
        number += 1
    return f"{candidates[-1]} ({number})"


def read_submission(submission: Submission) -> dict[str, bytes]:
    """The submission's exercise modules: {file name: bytes} (only files the course names).

    A module is taken from the top of the submission, from a folder in it
    (such as `exercises/`), or from that folder's `exercises/` (a downloaded repository's
    `name-main/exercises/`), the shallowest first; nothing deeper is looked at.
    Only regular files are read, each once and capped at MAX_MODULE_BYTES: no
    link is followed, a FIFO or device is refused without being read, a zip
    member is streamed (never inflated whole). Raises UnreadableSubmission (a
    plain message) for a module that is a link, FIFO, device or too large, a
    broken zip, a zip naming a path outside itself, or more than MAX_ENTRIES
    files where modules are looked for.
    """
    wanted = frozenset(e.filename for e in exercises())
    try:
        if submission.path.is_dir():
            return _read_folder(submission.path, wanted)
        return _read_zip(submission.path, wanted)
    except MissingSubmission as refusal:
        raise UnreadableSubmission(_text_name(str(refusal))) from None
    except OSError as problem:
        raise UnreadableSubmission(
            f"{_text_name(submission.path.name)} could not be read ({problem.strerror})"
        ) from None


# (parts of the path below the submission, declared size, how to read it)
Entry = tuple[tuple[str, ...], int, Callable[[], bytes]]


def _is_place(folder: tuple[str, ...]) -> bool:
    """Whether a module may be taken from `folder` (its parts below the submission): the
    top, a visible folder in it, or that folder's exercises/."""
    if any(part.startswith(".") for part in folder):
        return False
    return len(folder) <= 1 or (len(folder) == 2 and folder[1] == "exercises")


def _snapshot(entries: Iterable[Entry], wanted: frozenset[str]) -> dict[str, bytes]:
    """Read the shallowest entry of each wanted module name found in a place (_is_place)."""
    chosen: dict[str, tuple[tuple[int, tuple[str, ...]], int, Callable[[], bytes]]] = {}
    for parts, size, read in entries:
        if parts[-1] not in wanted or not _is_place(parts[:-1]):
            continue
        rank = (len(parts), parts)
        if parts[-1] not in chosen or rank < chosen[parts[-1]][0]:
            chosen[parts[-1]] = (rank, size, read)
    files = {}
    for name, ((_, parts), size, read) in sorted(chosen.items()):
        if size > MAX_MODULE_BYTES:
            raise UnreadableSubmission(
                f"{_text_name('/'.join(parts))} is {size:,} bytes; an exercise module may be "
                f"at most {MAX_MODULE_BYTES:,}"
            )
        files[name] = read()
    return files


def _too_many(shown: str) -> str:
    return (
        f"{shown} holds more than {MAX_ENTRIES:,} files and folders where exercise modules "
        f"are looked for: submit the exercises (a folder of modules or a repository)"
    )


def _read_folder(root: Path, wanted: frozenset[str]) -> dict[str, bytes]:
    # O_NOFOLLOW: the student's folder itself may not be a link either (discover skips
    # links; this holds if one appears after it looked).
    top = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        return _snapshot(_folder_entries(top, _text_name(root.name), wanted), wanted)
    finally:
        os.close(top)


def _folder_entries(top: int, shown: str, wanted: frozenset[str]) -> Iterator[Entry]:
    """The entries with a wanted name in the folders below `top` where a module may be
    (_is_place), breadth first, without following links and never deeper; at most MAX_ENTRIES
    entries are looked at in all (else UnreadableSubmission)."""
    places: deque[tuple[str, ...]] = deque([()])
    seen = 0
    while places:
        place = places.popleft()
        listing = _list_folder(top, place, wanted)
        seen += len(listing)
        if seen > MAX_ENTRIES:
            raise UnreadableSubmission(_too_many(shown))
        for name, is_folder, size in listing:
            parts = (*place, name)
            if name in wanted:  # whatever it is: read_regular refuses all but a file
                yield parts, size, functools.partial(_read_below, top, place, name)
            elif is_folder and _is_place(parts):
                places.append(parts)


def _list_folder(
    top: int, place: tuple[str, ...], wanted: frozenset[str]
) -> list[tuple[str, bool, int]]:
    """(name, is a real folder, size) of at most MAX_ENTRIES + 1 entries of folder `place`
    below `top`; size (lstat, no link followed) only for wanted names, else 0. A place
    that is gone or has become a link lists nothing."""
    try:
        directory = open_below(top, place)
    except OSError:
        return []
    listing = []
    try:
        with os.scandir(directory) as entries:
            for entry in itertools.islice(entries, MAX_ENTRIES + 1):
                size = entry.stat(follow_symlinks=False).st_size if entry.name in wanted else 0
                listing.append((entry.name, entry.is_dir(follow_symlinks=False), size))
    finally:
        os.close(directory)
    return listing


def _read_below(top: int, place: tuple[str, ...], name: str) -> bytes:
    """The bytes of regular file `place`/`name` below `top` (see submission.read_regular)."""
    directory = open_below(top, place)
    try:
        return read_regular(directory, name, Path(*place, name)).source
    finally:
        os.close(directory)


def _read_zip(path: Path, wanted: frozenset[str]) -> dict[str, bytes]:
    shown = _text_name(path.name)
    parent = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fd = open_regular(parent, path.name, Path(shown))
    finally:
        os.close(parent)
    with os.fdopen(fd, "rb") as handle:
        if os.fstat(fd).st_size > MAX_ZIP_BYTES:
            raise UnreadableSubmission(f"{shown} is larger than {MAX_ZIP_BYTES >> 20} MiB")
        with _open_zip(handle, shown) as archive:
            return _snapshot(_zip_entries(archive, shown), wanted)


def _open_zip(handle: BinaryIO, shown: str) -> zipfile.ZipFile:
    """The zip archive in `handle`, its table of contents checked for size before
    zipfile parses it whole (about 600 bytes of memory per member)."""
    # The end record zipfile itself reads to find the table of contents (a private
    # helper of zipfile; test_batch covers it).
    end = zipfile._EndRecData(handle)
    if end and end[zipfile._ECD_SIZE] > MAX_ZIP_DIRECTORY_BYTES:
        raise UnreadableSubmission(_too_many(shown))
    try:
        return zipfile.ZipFile(handle)
    except Exception as problem:  # noqa: BLE001 - a damaged zip raises many kinds of error
        raise UnreadableSubmission(f"{shown} is not a readable zip file ({problem})") from None


def _zip_entries(archive: zipfile.ZipFile, shown: str) -> Iterator[Entry]:
    """The archive's files as entries; raises UnreadableSubmission for more than
    MAX_ENTRIES members or a member whose name leads outside the archive."""
    members = archive.infolist()
    if len(members) > MAX_ENTRIES:
        raise UnreadableSubmission(_too_many(shown))
    for member in members:
        name = member.filename.replace("\\", "/")
        parts = PurePosixPath(name).parts
        if ".." in parts or PureWindowsPath(name).anchor:
            raise UnreadableSubmission(
                f"{shown} holds {name}, a path outside the archive: a zip of a folder never "
                f"does, so it is not graded (zip the folder of exercises again)"
            )
        if member.is_dir() or not parts or "__MACOSX" in parts:
            continue
        yield parts, member.file_size, functools.partial(_read_member, archive, member, shown)


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, shown: str) -> bytes:
    """A member's bytes: at most its declared size (which _snapshot checked against
    MAX_MODULE_BYTES), inflated at most that much at a time, so a zip bomb cannot
    make the batch hold more (archive.read inflates all the compressed bytes at once)."""
    where = f"{member.filename} in {shown}"
    if stat.S_ISLNK(member.external_attr >> 16):
        raise UnreadableSubmission(
            f"{where} is a symbolic link: links are not graded, submit the file itself"
        )
    # zipfile asks zlib for at most n bytes per read(n), but inflates bzip2 and LZMA
    # a whole compressed read at a time (a few KiB of bzip2 can hold gigabytes).
    if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise UnreadableSubmission(
            f"{where} is compressed with method {member.compress_type}, which is not "
            f"graded: zip the folder again with the usual (deflate) compression"
        )
    try:
        with archive.open(member) as stream:
            return stream.read(MAX_MODULE_BYTES)
    except Exception as problem:  # noqa: BLE001 - zipfile and zlib raise their own errors
        raise UnreadableSubmission(
            f"{where} cannot be read: the zip is damaged ({problem})"
        ) from None


def snapshot_hash(files: dict[str, bytes]) -> str:
    """sha256 of a snapshot: file names and contents, independent of folder or zip."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


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
) -> dict:
    """A student's record (report.json): the requested exercises' reports, scores and status.

    An exercise with no report counts 0 of its registry points. `notice` is a plain
    remark that does not make the record an error (modules_notice).
    """
    graded = [reports[n] for n in numbers if n in reports]
    missing = [n for n in numbers if n not in reports]
    if missing and not error:
        error = "not graded: exercise " + ", ".join(map(str, missing))
    return {
        "student": student,
        "submission_hash": submission_hash,
        "grader_version": grader_version(),
        "status": "error" if error else "graded",
        "error": error,
        "notice": notice,
        "score": sum(r["score"] for r in graded),
        "max_score": sum(r["max_score"] for r in graded)
        + sum(get_exercise(n).points for n in missing),
        "duration_s": round(duration_s, 3),
        "exercises_requested": numbers,
        "exercises": graded,
    }


def modules_notice(files: dict[str, bytes], numbers: list[int]) -> str:
    """The gradebook's remark on a snapshot `files` for exercises `numbers`: "no exercise
    modules found", the requested modules not found, or "" when each is there."""
    if not files:
        return text("no_modules")
    absent = [get_exercise(n).filename for n in numbers if get_exercise(n).filename not in files]
    return text("modules_missing", files=", ".join(absent)) if absent else ""


def _load_record(path: Path) -> dict | None:
    try:
        record = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _previous_record(out: Path, submission: Submission) -> dict | None:
    """The student's record on disk from an earlier batch, if it is theirs."""
    record = _load_record(out / submission.folder / "report.json")
    return record if record and record.get("student") == submission.name else None


@dataclass
class _Pending:
    submission: Submission
    files: dict[str, bytes]
    digest: str
    reused: dict[int, dict]
    missing: list[int]
    notice: str


def _plan(submission: Submission, options: BatchOptions) -> _Pending | dict:
    """Either a finished record (unreadable, or nothing left to grade) or the work to do."""
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
    if (
        old
        and old.get("grader_version") == grader_version()
        and old.get("submission_hash") == digest
    ):
        seed = seed_fingerprint(options.seed)
        reused = {
            r["exercise"]: r
            for r in old.get("exercises", [])
            if "exercise" in r and r.get("seed", "") == seed
        }
    missing = [n for n in numbers if n not in reused]
    if not missing:
        # Resumed: the time is the one the record was graded in, as its report.json says.
        duration_s = float(old.get("duration_s", 0.0)) if old else 0.0
        record = student_record(
            submission.name,
            numbers,
            reused,
            submission_hash=digest,
            notice=notice,
            duration_s=duration_s,
        )
        return record | {"skipped": True}
    return _Pending(submission, files, digest, reused, missing, notice)


def _request(pending: _Pending, options: BatchOptions) -> dict:
    return {
        "student": pending.submission.name,
        "files": {name: base64.b64encode(data).decode() for name, data in pending.files.items()},
        "exercises": pending.missing,
        "lang": options.lang,
        "data_dir": str(options.data_dir) if options.data_dir else "",
        "seed": options.seed,
    }


def _save(options: BatchOptions, pending: _Pending, result: dict) -> dict:
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
    record["exercises"] += [r for n, r in sorted(reports.items()) if n not in options.exercises]
    folder = options.out / pending.submission.folder
    for relative, encoded in result.get("artifacts", {}).items():
        parts = [p for p in PurePosixPath(relative).parts if p not in ("..", "/")]
        write_atomically(folder.joinpath(*parts), base64.b64decode(encoded))
    _write_student_files(folder, record)
    return record


def _write_student_files(folder: Path, record: dict) -> None:
    write_atomically(folder / "report.json", json.dumps(record, indent=2, ensure_ascii=False))
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
    submissions: list[Submission], records: dict[str, dict], out: Path
) -> list[dict]:
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
    on_record: Callable[[dict, int, int], None] | None = None,
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
    records: dict[str, dict] = {}
    todo: list[_Pending] = []
    total = len(submissions)

    def finish(record: dict) -> None:
        records[record["student"]] = record
        if record.pop("skipped", False):
            summary.skipped += 1
        elif record["status"] == "graded":
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
                continue
            if not planned.get("skipped"):
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
