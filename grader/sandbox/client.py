"""The trusted side of the sandbox: start a worker, call into it, survive it.

`LearnerProxy` is what a check sees as `learner`: `learner.softmax(z)` sends
the call to a worker process that imported the learner's module, and returns
the decoded result. Whatever goes wrong in there -- an exception, a hang, a
crash, `os._exit`, an answer that is not data -- comes back as one of the
LearnerProblem exceptions below, with a plain message, and the next check
gets a fresh worker. Whatever the worker sends is parsed as data (worker.py's
decoder, and the header checks here): a malformed message is the learner's
failure, never the grader's. Workers run behind the wall that isolation.py
chooses (bubblewrap or rlimits alone), each in control groups of its own where
the host allows (cgroups.py: memory, processes and CPU share of all it starts,
together); closing one kills everything it started, and the time a call takes
is measured here, never reported by the worker (reaping.py).

Timeouts do not depend on what runs beside the worker: a call (or the import)
is over its limit when the worker's CPU time passes it, or, where the kernel
reports how long the worker waited for a CPU (cgroup v2's cpu.pressure), when
the wall-clock time without that wait passes it (a worker that sleeps); a
wall-clock cap of WALL_CAP_FACTOR times the limit plus WALL_CAP_GRACE_S ends
any wait, and a starved but honest worker stays far below it.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from grader.sandbox import cgroups
from grader.sandbox import worker as wire
from grader.sandbox.isolation import (
    SandboxUnavailable,
    Wall,
    choose_wall,
    fresh_uid,
    stage_modules,
    worker_command,
)
from grader.sandbox.reaping import kill_tree, tree_cpu_seconds

WORKER_SCRIPT = Path(wire.__file__)
STARTUP_GRACE_S = 5.0  # Python and NumPy's own start, on top of the learner's import
WALL_CAP_FACTOR = 4.0  # a wait ends after this many times its limit of wall-clock time ...
WALL_CAP_GRACE_S = 5.0  # ... plus this, whatever the worker's CPU time says
POLL_S = 0.1  # how often a wait looks at the worker's CPU time
OUTPUT_TAIL_BYTES = 2000
MAX_MESSAGE_CHARS = 2000  # of an error message the worker sends (the worker cuts it there too)


@dataclass(frozen=True)
class Limits:
    """Resource limits applied to a worker (its processes, its control group, its waits).

    - call_timeout_s: a call's limit, in CPU seconds per core (and wall-clock time
      without the waits for a CPU); the import gets STARTUP_GRACE_S more.
    - cpu_seconds, address_space_bytes, file_size_bytes, open_files: rlimits of each process.
    - processes: RLIMIT_NPROC (threads included), counted per uid: it holds for a
      worker under a uid of its own, not for one that runs as root; and `pids.max`
      of the worker's group, which holds for all.
    - memory_bytes: `memory.max` of the worker's group: all its processes together,
      shared memory and memfd included, no swap.
    - blas_threads: NumPy's BLAS threads, and the CPU cores the group may use (`cpu.max`).
    """

    call_timeout_s: float = 10.0
    cpu_seconds: int = 300
    address_space_bytes: int = 8 * 2**30
    file_size_bytes: int = 64 * 2**20
    open_files: int = 256
    processes: int = 64
    memory_bytes: int = 8 * 2**30
    blas_threads: int = 1

    def as_dict(self) -> dict:
        """The limits as a JSON-able dict (for the worker and for reports).

        "cgroup" says what each worker's control group applies here (cgroups.Plan.describe),
        or is None with the reason in "cgroup_unavailable"; then only the rlimits hold.
        """
        plan = cgroups.plan()
        described = plan.describe(self.memory_bytes, self.processes, self.blas_threads)
        extra = {"cgroup": described}
        if described is None:
            extra["cgroup_unavailable"] = plan.unavailable
        return {**asdict(self), **extra}


class LearnerProblem(BaseException):
    """Base of everything learner code can do wrong, as a plain message.

    Problems that do not depend on the input (not implemented, a hang, a
    crash, a forbidden import) derive from BaseException only, so hypothesis
    stops at once instead of shrinking an input that cannot matter.
    LearnerError is also an Exception: hypothesis shrinks it to the smallest
    input that makes the learner's code raise.
    """

    status = "error"


class LearnerError(LearnerProblem, Exception):
    """Learner code raised an exception (or returned something uncheckable)."""

    def __init__(self, message: str, error_type: str = "Exception"):
        super().__init__(message)
        self.error_type = error_type


class MissingName(LearnerError, AttributeError):
    """The module does not define a name a check asked for."""


class NotImplementedYet(LearnerProblem):
    """The function still raises NotImplementedError."""

    status = "failed"


class LearnerTimeout(LearnerProblem):
    """A call did not return within its wall-clock limit."""

    status = "timeout"


class BudgetSpent(LearnerTimeout):
    """The time set aside for the current check (or the whole exercise) ran out mid-call."""


@dataclass(frozen=True)
class Budget:
    """When the current check must stop (time.monotonic()), and the plain sentence why."""

    end: float
    message: str


class LearnerCrashed(LearnerProblem):
    """The worker process died (os._exit, a signal, a memory or CPU limit)."""


class ForbiddenImport(LearnerProblem):
    """The module tried to import a library that exercises may not use."""

    status = "failed"


class _Worker:
    """One worker process behind its wall: its pipes, control group, temp folder and output files.

    The temp folder (mkdtemp: unpredictable, mode 0700) belongs to the grader; a
    worker under a uid of its own gets read access to what it needs through its
    group (its gid is its uid) and a home folder of its own (isolation.py).
    """

    def __init__(self, modules: dict[str, Path], limits: Limits, wall: Wall):
        self.wall = wall
        self.limits = limits
        self.tempdir = Path(tempfile.mkdtemp(prefix="nnlab-worker-"))
        self.stdout_path = self.tempdir / "stdout.txt"
        self.stderr_path = self.tempdir / "stderr.txt"
        uid = fresh_uid() if wall.switches_uid else None
        try:
            staged = stage_modules(self.tempdir / "submission", modules, uid)
        except OSError as error:
            shutil.rmtree(self.tempdir, ignore_errors=True)
            name = Path(error.filename or "").name or "your module"
            raise LearnerError(f"{name} could not be read: {error.strerror}") from None
        self.group = _make_group(limits)
        request_read, self.request_fd = os.pipe()
        self.response_fd, response_write = os.pipe()
        identity = {"uid": uid, "required": wall.name == "bwrap" or wall.namespaces}
        arguments = [str(request_read), str(response_write), json.dumps(limits.as_dict())]
        try:
            command, environment, cwd = worker_command(
                wall,
                WORKER_SCRIPT,
                self.tempdir,
                staged,
                [*arguments, json.dumps(identity)],
                limits.blas_threads,
                uid=uid,
                cgroup_procs=tuple(self.group.procs_files) if self.group else (),
                keep_fds=(request_read, response_write),
            )
            # Output goes to files (never parsed): RLIMIT_FSIZE caps each one.
            with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
                self.process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    cwd=cwd,
                    env=environment,
                    pass_fds=(request_read, response_write),
                    start_new_session=True,
                )
        except BaseException:
            for fd in (self.request_fd, self.response_fd):
                os.close(fd)
            if self.group is not None:
                self.group.remove()
            shutil.rmtree(self.tempdir, ignore_errors=True)
            raise
        finally:
            os.close(request_read)
            os.close(response_write)
        self.ready: dict | None = None
        self.started = self.last_request = time.monotonic()
        # A new group has counted nothing yet; the stall is read (0 when the group is new).
        self.usage_at_start = (0.0, self.group.stall_seconds() if self.group else None)

    def usage(self) -> tuple[float, float | None]:
        """(CPU seconds, seconds spent waiting for a CPU or None) of the worker so far.

        CPU time is the group's (every process ever in it) where a control group
        counts it, else that of the worker's process tree (reaping.py); the wait
        is known only from a cgroup v2 group's CPU pressure.
        """
        cpu = self.group.cpu_seconds() if self.group is not None else None
        if cpu is None:
            cpu = tree_cpu_seconds(self.process.pid)
        stall = self.group.stall_seconds() if self.group is not None else None
        return cpu, stall

    def output_tail(self) -> str:
        """The last lines the learner's code printed (stdout and stderr)."""
        texts = []
        for path in (self.stdout_path, self.stderr_path):
            try:
                with open(path, "rb") as handle:
                    handle.seek(max(0, path.stat().st_size - OUTPUT_TAIL_BYTES))
                    texts.append(handle.read().decode("utf-8", "replace"))
            except OSError:
                pass
        return "\n".join(t.strip() for t in texts if t.strip())

    def exit_description(self) -> str:
        """How the worker ended, in a learner's words (waits up to 2 s for it to end)."""
        try:
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "stopped answering"
        if self.wall.name == "bwrap" and code - 128 in signal.valid_signals():
            code = -(code - 128)  # bwrap exits with 128 + the signal that ended the worker
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:  # a real-time signal has no name
                name = f"signal {-code}"
            if name == "SIGKILL" and self.group is not None and self.group.memory_kills():
                mib = self.limits.memory_bytes / 2**20
                return f"it went over its memory limit of {mib:g} MiB (all its processes together)"
            reasons = {
                "SIGKILL": "it was killed (likely over its memory or CPU limit)",
                "SIGXCPU": "it used up its CPU time limit",
                "SIGXFSZ": "it wrote more output than allowed",
                "SIGSEGV": "it crashed (segmentation fault)",
            }
            return reasons.get(name, f"it was ended by {name}")
        return f"it exited with code {code} (does your code call exit or os._exit?)"

    def close(self) -> None:
        """Kill the worker and everything it started; remove its group and files."""
        for fd in (self.request_fd, self.response_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self.group is not None:
            self.group.kill()
        kill_tree(self.process.pid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        if self.group is not None:
            self.group.remove()
        shutil.rmtree(self.tempdir, ignore_errors=True)


def _make_group(limits: Limits) -> cgroups.WorkerGroup | None:
    """A control group for one worker where this host has them (None where it has none)."""
    plan = cgroups.plan()
    if not plan.parents:
        return None
    try:
        return cgroups.WorkerGroup(plan, limits.memory_bytes, limits.processes, limits.blas_threads)
    except OSError as error:
        raise SandboxUnavailable(f"cannot make the worker's control group: {error}") from None


class _Stopwatch:
    """Whether a worker has had `limit` seconds for a wait, whatever runs beside it.

    Over when, since the start, its CPU time passes `limit` per core, or its
    wall-clock time without the time it waited for a CPU passes `limit` (where
    that wait is known), or its wall-clock time passes the cap. `over()` returns
    the limit that was passed, in seconds (None while none is).
    """

    def __init__(self, worker: _Worker, limit: float, started: float, usage) -> None:
        self.worker, self.limit, self.started = worker, limit, started
        self.cpu, self.stall = usage
        self.cap = started + WALL_CAP_FACTOR * limit + WALL_CAP_GRACE_S

    def over(self) -> float | None:
        now = time.monotonic()
        if now >= self.cap:
            return round(self.cap - self.started, 1)
        cpu, stall = self.worker.usage()
        if cpu - self.cpu > self.limit * max(1, self.worker.limits.blas_threads):
            return self.limit
        known = stall is not None and self.stall is not None
        if known and (now - self.started) - (stall - self.stall) > self.limit:
            return self.limit
        return None


class LearnerProxy:
    """The learner's module as checks see it: attribute access calls into a worker.

    Inputs:
    - module_file: path of the learner's exercise module.
    - module_name: the module's name (e.g. "ex03_softmax_losses").
    - limits: resource limits for each worker.
    - extra_modules: further modules the worker imports after it, name -> path
      (a capstone: the learner's exercises 1-9 and the kit's trainer); calls
      reach them with `call(..., module=name)`.

    `isolation` names the wall its workers run behind ("bwrap" or "rlimits",
    chosen here by NNLAB_ISOLATION and the machine; SandboxUnavailable if the
    wall asked for cannot be built); `forbidden_libraries_reachable` says whether
    learner code that removes the import blocker can import libraries installed
    on this machine (True under the rlimit wall).

    After each call, `last_call_seconds` is its wall-clock time measured here,
    around the request; after a call made with `timed=True`,
    `last_call_cpu_seconds` is the CPU time the worker's whole process tree
    spent on it (read from the kernel, so learner code cannot fake it).
    """

    def __init__(
        self,
        module_file: Path,
        module_name: str,
        limits: Limits | None = None,
        extra_modules: dict[str, Path] | None = None,
    ):
        self._module_file = Path(module_file).resolve()
        self._module_name = module_name
        self._modules = {module_name: self._module_file}
        self._modules.update({k: Path(v).resolve() for k, v in (extra_modules or {}).items()})
        self._limits = limits or Limits()
        self._worker: _Worker | None = None
        self._broken: LearnerProblem | None = None
        self.forbidden: list[str] = []
        self.last_call_seconds = 0.0
        self.last_call_cpu_seconds: float | None = None
        self._wall = choose_wall()
        self.isolation = self._wall.name
        self.forbidden_libraries_reachable = self._wall.forbidden_libraries_reachable
        self._import_failed = False
        self.budget: Budget | None = None  # set by the runner before each check

    def __repr__(self) -> str:
        return "learner"

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> None:
        """Start a worker now (so its start overlaps other work).

        A module that cannot be read fails every check with a plain message.
        """
        if self._worker is None and self._broken is None:
            try:
                self._worker = _Worker(self._modules, self._limits, self._wall)
            except LearnerError as unreadable:
                self._import_failed = True
                self._broken = unreadable

    def begin_check(self) -> None:
        """Forget the previous check's failure: the next call gets a working worker.

        A module that could not be imported stays broken: importing it again
        would fail (or hang) the same way.
        """
        if not self._import_failed:
            self._broken = None

    def close(self) -> None:
        """Stop the worker, if one runs."""
        if self._worker is not None:
            self._worker.close()
            self._worker = None

    def _startup_timeout(self) -> float:
        return self._limits.call_timeout_s + STARTUP_GRACE_S

    def _fail(self, problem: LearnerProblem) -> LearnerProblem:
        # A dead or hung worker is replaced for the next check; within this
        # check every further call fails at once, so hypothesis does not wait
        # on a timeout again for each example it shrinks.
        self.close()
        self._broken = problem
        return problem

    def _ready_worker(self) -> _Worker:
        if self._broken is not None:
            raise self._broken
        self.start()
        if self._broken is not None:
            raise self._broken
        worker = self._worker
        if worker.ready is None:
            try:
                watch = self._stopwatch(
                    worker, self._startup_timeout(), worker.started, worker.usage_at_start
                )
                header, _ = self._receive(worker, watch, phase="starting")
            except BudgetSpent:
                raise  # the check's time ran out, not the import's: the next check may import
            except LearnerProblem:
                self._import_failed = True
                raise
            if not header.get("ok"):
                self._import_failed = True
                raise self._fail(_import_problem(header, self._module_file.name))
            worker.ready = {"names": _public_names(header)}
        return worker

    # -- calls -------------------------------------------------------------

    def names(self) -> dict[str, str]:
        """Public names the module defines: name -> "callable" or "value"."""
        return dict(self._ready_worker().ready.get("names", {}))

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        kinds = self._defined(name)
        if kinds[name] == "callable":
            return RemoteFunction(self, None, name)
        return self._request({"op": "getattr", "name": name})["result"]

    def _defined(self, name: str) -> dict[str, str]:
        """The module's public names (as `names`); raises MissingName if `name` is not one."""
        kinds = self.names()
        if name not in kinds:
            # The catalogue's "missing_name" sentence (the sandbox imports nothing of grader).
            raise MissingName(
                f"{self._module_file.name} does not define `{name}`", "AttributeError"
            )
        return kinds

    def call(
        self,
        name: str,
        *args,
        obj: int | None = None,
        echo_args: bool = False,
        float_errors: str = "warn",
        module: str | None = None,
        timeout: float | None = None,
        on_progress=None,
        timed: bool = False,
        **kwargs,
    ):
        """Call function `name` (of the module, of `module`, or of worker object `obj`).

        `float_errors="raise"` turns NumPy overflow / divide / invalid warnings
        into FloatingPointError for this call. `timeout` replaces the call
        timeout; `on_progress(dict)` receives the progress messages the call
        streams (via `nnlab_channel.report`); `timed=True` measures the CPU time
        of the worker's process tree during the call (`last_call_cpu_seconds`).
        Returns the result, or with `echo_args` a tuple (result, args, kwargs)
        holding the arguments as the function left them (to detect mutation).
        """
        if obj is None and module is None:
            self._defined(name)  # else the worker's AttributeError would say it another way
        payload = {
            "op": "call",
            "name": name,
            "object": obj,
            "module": module,
            "echo_args": echo_args,
            "float_errors": float_errors,
        }
        self.last_call_cpu_seconds = None
        answer = self._request(
            payload, args, kwargs, timeout=timeout, on_progress=on_progress, timed=timed
        )
        result = _attach(self, answer["result"])
        if echo_args:
            return result, answer["args"], answer["kwargs"]
        return result

    def get_attribute(self, obj: int, name: str):
        """Read attribute `name` of worker object `obj` (methods come back callable)."""
        return _attach(
            self, self._request({"op": "getattr", "name": name, "object": obj})["result"]
        )

    def set_attribute(self, obj: int, name: str, value) -> None:
        """Set attribute `name` of worker object `obj` to `value`."""
        self._request({"op": "setattr", "name": name, "object": obj}, (value,), {})

    def _request(
        self,
        payload: dict,
        args=(),
        kwargs=None,
        timeout: float | None = None,
        on_progress=None,
        timed: bool = False,
    ) -> dict:
        """Send one request; return the decoded answer, a dict with "result" (and, for
        `echo_args`, "args" and "kwargs"). Sets last_call_seconds (and with `timed`,
        last_call_cpu_seconds) from measurements taken here."""
        worker = self._ready_worker()
        blobs: list = []
        payload = dict(payload)
        payload["args"] = wire.encode_value(tuple(args), blobs)
        payload["kwargs"] = wire.encode_value(dict(kwargs or {}), blobs)
        usage = worker.usage()
        worker.last_request = time.monotonic()
        try:
            wire.send_message(worker.request_fd, payload, blobs)
        except OSError:
            raise self._fail(self._crash(worker, "while receiving its inputs")) from None
        limit = timeout or self._limits.call_timeout_s
        watch = self._stopwatch(worker, limit, worker.last_request, usage)
        while True:
            header, out = self._receive(worker, watch, phase=payload["name"])
            if "progress" not in header:
                break
            if on_progress is not None and isinstance(header["progress"], dict):
                on_progress(header["progress"])
        self.last_call_seconds = time.monotonic() - worker.last_request
        if timed:
            # Clock ticks (a reaped child's time) may round the difference just below 0.
            self.last_call_cpu_seconds = max(worker.usage()[0] - usage[0], 0.0)
        if not header.get("ok"):
            raise _error_problem(header.get("error"), payload["name"])
        try:
            return _answer(wire.decode_value(header.get("value"), out), payload)
        except wire.WireError as problem:
            raise self._fail(
                LearnerError(f"`{payload['name']}` sent back garbled data: {problem}")
            ) from None

    def _stopwatch(self, worker: _Worker, limit: float, started: float, usage) -> _Stopwatch:
        """A _Stopwatch for one wait, its wall-clock cap no later than the budget's end."""
        watch = _Stopwatch(worker, limit, started, usage)
        if self.budget is not None:
            watch.cap = min(watch.cap, self.budget.end)
        return watch

    def _receive(self, worker: _Worker, watch: _Stopwatch, phase: str):
        """The worker's next message, once one starts to arrive before `watch` is over."""
        try:
            passed = _await_message(worker.response_fd, watch)
            if passed is None:
                # The rest of a message that has begun: within the cap, and a moment.
                deadline = max(watch.cap, time.monotonic() + WALL_CAP_GRACE_S)
                header, blobs = wire.receive_message(worker.response_fd, deadline)
        except wire.ChannelTimeout:
            passed = round(time.monotonic() - watch.started, 1)
        except wire.ChannelClosed:
            raise self._fail(self._crash(worker, f"during `{phase}`")) from None
        except wire.WireError as problem:
            raise self._fail(
                LearnerError(f"the worker sent a malformed answer: {problem}")
            ) from None
        if passed is not None:
            if self.budget is not None and time.monotonic() >= self.budget.end:
                raise self._fail(BudgetSpent(self.budget.message))
            what = "importing your module" if phase == "starting" else f"`{phase}`"
            message = f"{what} did not finish within {passed:g} s (an endless loop?)"
            raise self._fail(LearnerTimeout(message))
        forbidden = header.get("forbidden", [])
        if not isinstance(forbidden, list):
            raise self._fail(LearnerError("the worker sent a malformed answer: bad `forbidden`"))
        # Only names of the kit's own list count: wire text never becomes a library name.
        forbidden = [name for name in wire.FORBIDDEN_MODULES if name in forbidden]
        if forbidden:
            self.forbidden = sorted(set(self.forbidden) | set(forbidden))
            names = ", ".join(self.forbidden)
            raise self._fail(
                ForbiddenImport(f"your code tried to import {names}: exercises use NumPy only")
            )
        return header, blobs

    def _crash(self, worker: _Worker, when: str) -> LearnerCrashed:
        message = f"your code's process died {when}: {worker.exit_description()}"
        tail = worker.output_tail()
        if tail:
            message += f"\nlast output:\n{tail[-600:]}"
        return LearnerCrashed(message)


def _await_message(fd: int, watch: _Stopwatch) -> float | None:
    """Wait until `fd` has data to read; None then, or the limit `watch` says was passed."""
    while True:
        left = max(0.0, watch.cap - time.monotonic())
        if select.select([fd], [], [], min(POLL_S, left))[0]:
            return None
        passed = watch.over()
        if passed is not None:
            # An answer that came while the clocks were read still counts.
            return None if select.select([fd], [], [], 0)[0] else passed


class RemoteFunction:
    """A function (or bound method) living in the worker."""

    def __init__(self, proxy: LearnerProxy, obj: int | None, name: str):
        self._proxy, self._obj, self.__name__ = proxy, obj, name

    def __call__(self, *args, **kwargs):
        return self._proxy.call(self.__name__, *args, obj=self._obj, **kwargs)

    def __repr__(self) -> str:
        return f"learner.{self.__name__}"


class RemoteObject:
    """An instance of a learner's class, living in the worker (e.g. TwoLayerNet)."""

    def __init__(self, proxy: LearnerProxy, handle: wire.Handle):
        object.__setattr__(self, "_proxy", proxy)
        object.__setattr__(self, "_handle", handle)

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return self._proxy.get_attribute(self._handle.ident, name)

    def __setattr__(self, name: str, value) -> None:
        self._proxy.set_attribute(self._handle.ident, name, value)

    def __repr__(self) -> str:
        return f"<learner's {self._handle.type_name}>"


def _attach(proxy: LearnerProxy, value):
    """Turn handles in a decoded value into live remote objects."""
    if isinstance(value, wire.Handle):
        return RemoteObject(proxy, value)
    if isinstance(value, wire.MethodRef):
        return RemoteFunction(proxy, value.ident or None, value.name)
    if isinstance(value, tuple):
        return tuple(_attach(proxy, v) for v in value)
    if isinstance(value, list):
        return [_attach(proxy, v) for v in value]
    if isinstance(value, dict):
        return {k: _attach(proxy, v) for k, v in value.items()}
    return value


def _answer(answer, payload: dict) -> dict:
    """The decoded answer to `payload` if it has the form a request's answer has, else WireError."""
    if not isinstance(answer, dict) or "result" not in answer:
        raise wire.WireError("an answer must be an object with a result")
    if payload.get("echo_args") and not (
        isinstance(answer.get("args"), tuple) and isinstance(answer.get("kwargs"), dict)
    ):
        raise wire.WireError("an answer must echo the arguments as a tuple and a dict")
    return answer


def _public_names(ready: dict) -> dict[str, str]:
    """The ready message's names (name -> "callable" or "value"); anything else left out."""
    names = ready.get("names")
    if not isinstance(names, dict):
        return {}
    return {k: v for k, v in names.items() if isinstance(k, str) and v in ("callable", "value")}


def _wire_text(fields, key: str, default: str = "", limit: int = MAX_MESSAGE_CHARS) -> str:
    """fields[key] if `fields` is a dict and that is a string (cut to `limit`), else `default`."""
    value = fields.get(key, default) if isinstance(fields, dict) else default
    return value[:limit] if isinstance(value, str) else default


def _where(error) -> str:
    """The learner's last frames, from an error report: up to 3 lines of text."""
    lines = error.get("where") if isinstance(error, dict) else None
    if not isinstance(lines, list):
        return ""
    lines = [line[:300] for line in lines[-3:] if isinstance(line, str)]
    return ("\n  at " + "\n  at ".join(lines)) if lines else ""


def _error_problem(error, name: str) -> LearnerProblem:
    """The problem an error report from the worker describes (any malformed part left out)."""
    kind = _wire_text(error, "type", "Exception", limit=100)
    message = _wire_text(error, "message")
    if kind == "NotImplementedError":
        return NotImplementedYet(f"`{name}` is not implemented yet (it raises NotImplementedError)")
    if kind == "UncheckableValue":
        return LearnerError(f"`{name}` returned something that cannot be checked: {message}", kind)
    if kind == "MemoryError":
        return LearnerError(f"`{name}` ran out of memory (MemoryError){_where(error)}", kind)
    text = f"`{name}` raised {kind}: {message}" if message else f"`{name}` raised {kind}"
    return LearnerError(text + _where(error), kind)


def _import_problem(header: dict, filename: str) -> LearnerProblem:
    error = header.get("error")
    filename = _wire_text(error, "file", limit=255) or filename
    kind = _wire_text(error, "type", "Exception", limit=100)
    message = _wire_text(error, "message")
    return LearnerError(f"{filename} could not be imported: {kind}: {message}{_where(error)}", kind)
