"""One student's grading job: the unit of work of `grade batch`, local or on Dask.

`grade_task(request)` is what a local thread or a Dask worker runs. It starts
a fresh grader process (`python -m grader.instructor.batch.job RESULT_FILE`, the request
on its stdin) so that nothing one submission does -- a worker left hanging,
memory held by TensorFlow, a grader bug it triggers -- can reach the next
student, and a per-student time limit can always be enforced by killing it.
The process writes its result as JSON after every exercise, so a job killed
part-way still returns the exercises it finished.

A request is plain data: {"student", "files": {filename: base64}, "exercises":
[numbers], "lang", "data_dir", "seed", "threads" (a capstone's BLAS threads, or None)}.
A result is the student's record without the batch's bookkeeping: {"student",
"exercises": [Report.to_dict()], "artifacts": {relative path: base64}, "error": ""}.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from grader.engine.atomic import write_atomically
from grader.sandbox.reaping import kill_tree

# A grading job may use this much longer than its exercises' time limits add up
# to (TensorFlow's import, starting workers, writing plots) before it is killed.
JOB_OVERHEAD_S = 60.0
STDERR_TAIL_BYTES = 4000

_running: set[subprocess.Popen] = set()
_running_lock = threading.Lock()


def job_time_limit(numbers: list[int]) -> float:
    """Seconds one student's job may run: its exercises' time limits plus overhead."""
    from grader.course.registry import get_exercise

    return sum(get_exercise(n).time_limit_s + 30.0 for n in numbers) + JOB_OVERHEAD_S


def grade_task(request: dict) -> dict:
    """Grade one student's submission in a fresh grader process; returns the result dict.

    Inputs:
    - request: {"student", "files", "exercises", "lang", "data_dir", "seed"} (module docstring).

    Returns:
    - {"student", "exercises": [report dicts], "artifacts": {...}, "error": str}; error is
      a plain message when the job died or ran out of time (finished exercises are kept).
    """
    limit = job_time_limit(request["exercises"])
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="nnlab-job-") as scratch:
        result_file = Path(scratch) / "result.json"
        command = [sys.executable, "-m", "grader.instructor.batch.job", str(result_file)]
        environment = dict(os.environ)
        if request.get("threads"):
            environment["NNLAB_CAPSTONE_THREADS"] = str(request["threads"])
        with subprocess.Popen(
            command,
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
            cwd=scratch,
        ) as process:
            with _running_lock:
                _running.add(process)
            error = ""
            try:
                _, stderr = process.communicate(json.dumps(request).encode(), timeout=limit)
            except subprocess.TimeoutExpired:
                # The whole tree: the job's sandbox workers run in sessions of their own.
                kill_tree(process.pid)
                process.wait()
                stderr = b""
                error = f"grading stopped: the job ran longer than its limit of {limit:.0f} s"
            finally:
                with _running_lock:
                    _running.discard(process)
            if not error and process.returncode != 0:
                tail = stderr[-STDERR_TAIL_BYTES:].decode("utf-8", "replace").strip()
                last = tail.splitlines()[-1] if tail else "no message"
                error = (
                    f"the grader process stopped unexpectedly (exit {process.returncode}): {last}"
                )
        result = _read_result(result_file, request["student"])
    if error:
        result["error"] = error
    result["duration_s"] = round(time.monotonic() - started, 3)
    return result


def kill_running_jobs() -> None:
    """Kill every job this process started that is still running (an interrupted batch)."""
    with _running_lock:
        processes = list(_running)
    for process in processes:
        kill_tree(process.pid)


def _read_result(path: Path, student: str) -> dict:
    try:
        result = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {"student": student, "exercises": [], "artifacts": {}, "error": ""}
    result.setdefault("error", "")
    return result


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when the batch that started it dies."""
    with contextlib.suppress(Exception):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def _materialise(files: dict[str, str], folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name, encoded in files.items():
        (folder / Path(name).name).write_bytes(base64.b64decode(encoded))
    return folder


def _collect_artifacts(report_dir: Path) -> dict[str, str]:
    return {
        str(path.relative_to(report_dir)): base64.b64encode(path.read_bytes()).decode()
        for path in sorted(report_dir.rglob("*"))
        if path.is_file()
    }


def map_strings(value: object, change: Callable[[str], str]) -> object:
    """JSON-like data (dicts, lists, scalars) with `change` applied to every string value.

    Keys are left alone: they are the grader's field names, not data.
    """
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {key: map_strings(item, change) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [map_strings(item, change) for item in value]
    return value


def valid_text(text: str) -> str:
    """`text` as valid Unicode: a lone surrogate (which UTF-8 cannot encode) becomes "\\udc80"."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def as_student(report: dict, scratch: dict[str, str]) -> dict:
    """A report dict with each scratch folder's path (a key of `scratch`) replaced, in every
    string value, by what stands for it (the student's name), and only valid text left.

    Inputs: report, Report.to_dict() of a job's grading; scratch, {path: replacement}.
    Returns a new dict (the same keys; the strings changed).
    """

    def change(text: str) -> str:
        for path, replacement in scratch.items():
            text = text.replace(path, replacement)
        return valid_text(text)

    return map_strings(report, change)


def run_job(request: dict, result_file: Path) -> None:
    """Grade the request's exercises in this process, rewriting result_file after each.

    Report paths are made relative to the student ("alice/ex01_tensors.py"), so
    the same submission gives the same record wherever it was graded. The
    student's name replaces the scratch folders' paths as a value inside the
    report's strings, never inside serialised text.
    """
    from grader.engine.grade import grade
    from grader.engine.runner import GradingOptions

    student = request["student"]
    result = {"student": student, "exercises": [], "artifacts": {}, "error": ""}
    with tempfile.TemporaryDirectory(prefix="nnlab-submission-") as scratch:
        submission = _materialise(request["files"], Path(scratch) / "submission")
        report_dir = Path(scratch) / "report"
        options = GradingOptions(
            lang=request.get("lang", "en"),
            report_dir=report_dir,
            data_dir=Path(request["data_dir"]) if request.get("data_dir") else None,
            seed=str(request.get("seed", "")),
        )
        # The scratch folders' names are random: they must not make two gradings differ.
        scratch_paths = {str(submission): student, str(report_dir): student}
        for number in request["exercises"]:
            report = grade(number, submission, options)
            result["exercises"].append(as_student(report.to_dict(), scratch_paths))
            if report_dir.exists():
                result["artifacts"] = _collect_artifacts(report_dir)
            write_atomically(result_file, json.dumps(result, ensure_ascii=False))


def main() -> None:
    """Entry point of the job process: request on stdin, result file path as argv[1]."""
    _die_with_parent()
    request = json.loads(sys.stdin.buffer.read())
    result_file = Path(sys.argv[1])
    run_job(request, result_file)
    sys.stdout.flush()
    sys.stderr.flush()
    # As in `grade`: skip TensorFlow's slow interpreter teardown once results are written.
    os._exit(0)


if __name__ == "__main__":
    main()
