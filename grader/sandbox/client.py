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
from grader.sandbox.wording import Said, say

WORKER_SCRIPT = Path(wire.__file__)
STARTUP_GRACE_S = 5.0  # Python and NumPy's own start, on top of the learner's import
WALL_CAP_FACTOR = 4.0  # a wait ends after this many times its limit of wall-clock time ...
WALL_CAP_GRACE_S = 5.0  # ... plus this, whatever the worker's CPU time says
POLL_S = 0.1  # how often a wait looks at the worker's CPU time
OUTPUT_TAIL_BYTES = 2000
MAX_MESSAGE_CHARS = 2000  # of an error message the worker sends (the worker cuts it there too)
EXIT_SIGNALS = {
    "SIGKILL": "exit_killed",
    "SIGXCPU": "exit_cpu",
    "SIGXFSZ": "exit_output",
    "SIGSEGV": "exit_segfault",
}
"""The catalogue sentence that says why a worker ended by a signal, by the signal's name."""


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

    A problem the sandbox finds is a sentence of the kit's catalogue: made as
    `NotImplementedYet(key="not_implemented", name="f")`, it keeps `.key` and
    `.fields`, and str() is that sentence in the installed wording (wording.py),
    then its `details`, one line each (catalogue sentences, or the learner's own
    output). A problem made from a plain text (the engine's own: a budget's
    sentence, a capstone's) has the key "" and says that text.

    Problems that do not depend on the input (not implemented, a hang, a
    crash, a forbidden import) derive from BaseException only, so hypothesis
    stops at once instead of shrinking an input that cannot matter.
    LearnerError is also an Exception: hypothesis shrinks it to the smallest
    input that makes the learner's code raise.
    """

    status = "error"

    def __init__(self, text: str = "", /, *, key: str = "", details=(), **fields):
        super().__init__(text or key)
        self.key, self.fields, self.details = key, fields, tuple(details)
        self._text = text

    def __str__(self) -> str:
        head = say(self.key, **self.fields) if self.key else self._text
        return "\n".join([head, *map(str, self.details)])


class LearnerError(LearnerProblem, Exception):
    """Learner code raised an exception (or returned something uncheckable)."""

    def __init__(self, text: str = "", /, error_type: str = "Exception", **said):
        super().__init__(text, **said)
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
    group (its gid is its uid) and a home folder of its own (isolation.py). The worker
    blocks the imports of `forbidden` (top-level module names); no folder of `protect`
    may be on its import path.
    """

    def __init__(
        self,
        modules: dict[str, Path],
        limits: Limits,
        wall: Wall,
        forbidden: tuple[str, ...],
        protect: tuple[Path, ...],
    ):
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
            name = Path(error.filename or next(iter(modules.values()))).name
            raise LearnerError(
                key="module_unreadable", file=name, reason=error.strerror or str(error)
            ) from None
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
                [*arguments, json.dumps(identity), json.dumps(list(forbidden))],
                limits.blas_threads,
                protect,
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

    def exit_description(self) -> Said:
        """How the worker ended, in a learner's words (waits up to 2 s for it to end)."""
        try:
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return Said("exit_no_answer")
        if self.wall.name == "bwrap" and code - 128 in signal.valid_signals():
            code = -(code - 128)  # bwrap exits with 128 + the signal that ended the worker
        if code >= 0:
            return Said("exit_code", code=code)
        try:
            name = signal.Signals(-code).name
        except ValueError:  # a real-time signal has no name
            name = f"signal {-code}"
        if name == "SIGKILL" and self.group is not None and self.group.memory_kills():
            return Said("exit_memory", mib=f"{self.limits.memory_bytes / 2**20:g}")
        if name in EXIT_SIGNALS:
            return Said(EXIT_SIGNALS[name])
        return Said("exit_signal", signal=name)

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


class Stopwatch:
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
    - forbidden: the top-level module names learner code may not import (the
      engine's policy): the worker blocks exactly these, and `forbidden` lists
      those it tried.
    - protect: folders the worker's import path may not reach (the grader's package,
      the reference solutions): none of them, no folder above one and no folder
      holding one of the same name (isolation.refuse_kit_on_path).

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
        *,
        forbidden: tuple[str, ...],
        protect: tuple[Path, ...],
    ):
        if not protect:
            raise ValueError("protect must name the folders the worker may not reach")
        self._forbidden = tuple(forbidden)
        self._protect = tuple(Path(folder) for folder in protect)
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
                self._worker = _Worker(
                    self._modules, self._limits, self._wall, self._forbidden, self._protect
                )
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
                header, _ = self._receive(worker, watch, phase=None)
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
            raise MissingName(
                error_type="AttributeError",
                key="missing_name",
                file=self._module_file.name,
                name=name,
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
            raise self._fail(self._crash(worker, Said("receiving_inputs"))) from None
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
            garbled = LearnerError(key="garbled", name=payload["name"], problem=str(problem))
            raise self._fail(garbled) from None

    def _stopwatch(self, worker: _Worker, limit: float, started: float, usage) -> Stopwatch:
        """A Stopwatch for one wait, its wall-clock cap no later than the budget's end."""
        watch = Stopwatch(worker, limit, started, usage)
        if self.budget is not None:
            watch.cap = min(watch.cap, self.budget.end)
        return watch

    def _receive(self, worker: _Worker, watch: Stopwatch, phase: str | None):
        """The worker's next message, once one starts to arrive before `watch` is over.

        `phase` is the function the worker is running, or None while it imports the module.
        """
        try:
            passed = _await_message(worker.response_fd, watch)
            if passed is None:
                # The rest of a message that has begun: within the cap, and a moment.
                deadline = max(watch.cap, time.monotonic() + WALL_CAP_GRACE_S)
                header, blobs = wire.receive_message(worker.response_fd, deadline)
        except wire.ChannelTimeout:
            passed = round(time.monotonic() - watch.started, 1)
        except wire.ChannelClosed:
            when = Said("while_importing") if phase is None else Said("during_call", name=phase)
            raise self._fail(self._crash(worker, when)) from None
        except wire.WireError as problem:
            raise self._fail(LearnerError(key="malformed_answer", problem=str(problem))) from None
        if passed is not None:
            if self.budget is not None and time.monotonic() >= self.budget.end:
                raise self._fail(BudgetSpent(self.budget.message))
            limit = f"{passed:g}"
            if phase is None:
                raise self._fail(LearnerTimeout(key="import_timed_out", limit=limit))
            raise self._fail(LearnerTimeout(key="timed_out", what=f"`{phase}`", limit=limit))
        forbidden = header.get("forbidden", [])
        if not isinstance(forbidden, list):
            malformed = LearnerError(key="malformed_answer", problem="bad `forbidden`")
            raise self._fail(malformed)
        # Only names of the list the worker was given count: wire text never becomes a
        # library name.
        forbidden = [name for name in self._forbidden if name in forbidden]
        if forbidden:
            self.forbidden = sorted(set(self.forbidden) | set(forbidden))
            names = ", ".join(self.forbidden)
            raise self._fail(ForbiddenImport(key="forbidden_call", names=names))
        return header, blobs

    def _crash(self, worker: _Worker, when: Said) -> LearnerCrashed:
        """The problem a worker that died `when` (a catalogue phrase) is: how it ended, and
        the last lines the learner's code printed."""
        tail = worker.output_tail()
        details = (Said("last_output"), tail[-600:]) if tail else ()
        return LearnerCrashed(
            key="crashed", when=when, how=worker.exit_description(), details=details
        )


def _await_message(fd: int, watch: Stopwatch) -> float | None:
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


def _where(error) -> tuple[Said, ...]:
    """The learner's last frames, from an error report: up to 3 catalogue lines
    ("  at line 3, in f: ..."); a frame not of the form the worker sends is left out."""
    frames = error.get("where") if isinstance(error, dict) else None
    if not isinstance(frames, list):
        return ()
    return tuple(filter(None, map(_frame, frames[-3:])))


def _frame(frame) -> Said | None:
    """One frame of an error report as its catalogue line: {"file": its file's name or ""
    (one module), "line": int, "function": its name (absent for a syntax error), "code"}."""
    line = frame.get("line") if isinstance(frame, dict) else None
    if type(line) is not int:
        return None
    fields = {"line": line, "code": _wire_text(frame, "code", limit=300)}
    file = _wire_text(frame, "file", limit=255)
    if "function" in frame:
        fields["function"] = _wire_text(frame, "function", limit=100)
        return (
            Said("at_file_line_in", file=file, **fields) if file else Said("at_line_in", **fields)
        )
    return Said("at_file_line", file=file, **fields) if file else Said("at_line", **fields)


def _error_problem(error, name: str) -> LearnerProblem:
    """The problem an error report from the worker describes (any malformed part left out)."""
    kind = _wire_text(error, "type", "Exception", limit=100)
    message = _wire_text(error, "message")
    if kind == "NotImplementedError":
        return NotImplementedYet(key="not_implemented", name=name)
    if kind == "UncheckableValue":
        return LearnerError(error_type=kind, key="uncheckable", name=name, message=message)
    where = _where(error)
    if kind == "MemoryError":
        return LearnerError(error_type=kind, key="out_of_memory", name=name, details=where)
    if not message:
        return LearnerError(error_type=kind, key="raised_bare", name=name, kind=kind, details=where)
    fields = {"name": name, "kind": kind, "message": message}
    return LearnerError(error_type=kind, key="raised", details=where, **fields)


def _import_problem(header: dict, filename: str) -> LearnerProblem:
    """The problem a failed import's report from the worker describes."""
    error = header.get("error")
    fields = {
        "file": _wire_text(error, "file", limit=255) or filename,
        "kind": _wire_text(error, "type", "Exception", limit=100),
        "message": _wire_text(error, "message"),
    }
    return LearnerError(
        error_type=fields["kind"], key="import_failed", details=_where(error), **fields
    )
