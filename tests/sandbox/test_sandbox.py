"""The sandbox holds: whatever learner code does, the grader survives and judges."""

import importlib
import json
import os
import secrets
import site
import socket
import stat
import sys
import sysconfig
import time
from pathlib import Path

import numpy as np
import pytest
from scene import live_processes_named

from grader.engine.policy import SANDBOX_POLICY
from grader.engine.runner import grade_exercise
from grader.sandbox import (
    ForbiddenImport,
    LearnerCrashed,
    LearnerError,
    LearnerProxy,
    LearnerTimeout,
    Limits,
    NotImplementedYet,
    SandboxUnavailable,
    cgroups,
    client,
    isolation,
)
from grader.sandbox import worker as wire
from grader.sandbox.isolation import choose_wall, private_views, refuse_kit_on_path

from conftest import write_module

HOSTILE = """
import os, sys, json
import numpy as np

def forever(x):
    while True:
        pass

def nap(x):
    import time
    time.sleep(600)

def hoard(x):
    return np.ones((50_000_000_000,))

def vanish(x):
    os._exit(0)

def liar(x):
    print(json.dumps({"ok": True, "value": {"result": 1.0}, "score": 100}))
    sys.stdout.flush()
    raise ValueError("nope")

def quitter(x):
    sys.exit(0)

def pickler(x):
    return np.array([object()], dtype=object)

def sneaky_tf(x):
    import importlib
    return importlib.import_module("tensor" + "flow")

def todo(x):
    raise NotImplementedError

def double(x):
    return 2 * x
"""


@pytest.fixture
def proxy(tmp_path):
    folder = write_module(tmp_path, "hostile", HOSTILE)
    learner = LearnerProxy(
        folder / "hostile.py", "hostile", Limits(call_timeout_s=1.5), **SANDBOX_POLICY
    )
    yield learner
    learner.close()


def call_after_reset(learner, name):
    learner.begin_check()
    return getattr(learner, name)(np.ones(2))


def test_an_endless_loop_times_out_and_the_next_check_gets_a_fresh_worker(proxy):
    started = time.monotonic()
    with pytest.raises(LearnerTimeout, match="did not finish within 1.5 s"):
        call_after_reset(proxy, "forever")
    # Judged on its CPU time: a loaded machine may stretch the wait, never past the cap.
    assert time.monotonic() - started < client.WALL_CAP_FACTOR * 1.5 + client.WALL_CAP_GRACE_S + 2
    np.testing.assert_array_equal(call_after_reset(proxy, "double"), [2.0, 2.0])


def test_a_huge_allocation_is_a_memory_error(proxy):
    with pytest.raises(LearnerError, match="ran out of memory"):
        call_after_reset(proxy, "hoard")
    np.testing.assert_array_equal(call_after_reset(proxy, "double"), [2.0, 2.0])


def test_os_exit_is_a_crash_with_a_plain_message(proxy):
    with pytest.raises(LearnerCrashed, match="exited with code 0"):
        call_after_reset(proxy, "vanish")
    np.testing.assert_array_equal(call_after_reset(proxy, "double"), [2.0, 2.0])


def test_printed_fake_json_is_inert(proxy):
    with pytest.raises(LearnerError, match="raised ValueError: nope"):
        call_after_reset(proxy, "liar")


def test_sys_exit_is_reported_not_obeyed(proxy):
    with pytest.raises(LearnerError, match="SystemExit"):
        call_after_reset(proxy, "quitter")
    np.testing.assert_array_equal(call_after_reset(proxy, "double"), [2.0, 2.0])


def test_object_arrays_are_refused_never_unpickled(proxy):
    with pytest.raises(LearnerError, match="cannot be checked"):
        call_after_reset(proxy, "pickler")


def test_importing_tensorflow_at_run_time_is_blocked(proxy):
    with pytest.raises(ForbiddenImport, match="tensorflow"):
        call_after_reset(proxy, "sneaky_tf")
    assert proxy.forbidden == ["tensorflow"]


def test_not_implemented_is_named_as_such(proxy):
    with pytest.raises(NotImplementedYet, match="`todo` is not implemented yet"):
        call_after_reset(proxy, "todo")


def test_a_missing_function_is_named(proxy):
    with pytest.raises(LearnerError, match="hostile.py does not define `nothing`"):
        call_after_reset(proxy, "nothing")


def test_a_syntax_error_names_the_line(tmp_path):
    folder = write_module(tmp_path, "broken", "def f(x):\n    return x +\n")
    learner = LearnerProxy(folder / "broken.py", "broken", **SANDBOX_POLICY)
    try:
        with pytest.raises(LearnerError, match="could not be imported: SyntaxError.*line 2"):
            learner.f(1)
    finally:
        learner.close()


def test_exit_at_import_is_a_crash(tmp_path):
    folder = write_module(tmp_path, "early", "import os\nos._exit(0)\n")
    learner = LearnerProxy(folder / "early.py", "early", **SANDBOX_POLICY)
    try:
        with pytest.raises(LearnerCrashed):
            learner.f(1)
    finally:
        learner.close()


def test_an_exercise_that_imports_tensorflow_earns_zero(kit_root, tmp_path):
    source = (kit_root / "solutions" / "ex02_activations.py").read_text("utf-8")
    source = source.replace("import numpy as np", "import numpy as np\nimport tensorflow as tf", 1)
    write_module(tmp_path, "ex02_activations", source)
    report = grade_exercise(2, tmp_path)
    assert report.score == 0
    assert "tensorflow" in report.notice and "NumPy only" in report.notice
    assert all(c.status != "passed" for c in report.checks)


def test_a_hanging_submission_fails_every_check_without_hanging_the_grader(kit_root, tmp_path):
    source = (kit_root / "solutions" / "ex01_tensors.py").read_text("utf-8")
    source = source.replace("import numpy as np", "import numpy as np\nwhile True:\n    pass", 1)
    write_module(tmp_path, "ex01_tensors", source)
    started = time.monotonic()
    report = grade_exercise(1, tmp_path)
    assert report.score == 0
    assert {c.status for c in report.checks} == {"timeout"}
    assert time.monotonic() - started < 200


def test_a_missing_file_is_a_plain_message(tmp_path):
    report = grade_exercise(1, tmp_path)
    assert report.score == 0
    assert "ex01_tensors.py was not found" in report.notice


def test_several_modules_and_streamed_progress(tmp_path):
    write_module(tmp_path, "first", "def f(x):\n    return x + 1\n")
    write_module(
        tmp_path,
        "second",
        "import nnlab_channel\nimport first\n\n"
        "def g(n):\n    for i in range(n):\n        nnlab_channel.report({'step': i})\n"
        "    return first.f(n)\n",
    )
    learner = LearnerProxy(
        tmp_path / "first.py",
        "first",
        extra_modules={"second": tmp_path / "second.py"},
        **SANDBOX_POLICY,
    )
    seen = []
    try:
        assert learner.f(1) == 2
        assert learner.call("g", 3, module="second", on_progress=seen.append) == 4
        assert seen == [{"step": 0}, {"step": 1}, {"step": 2}]
    finally:
        learner.close()


def test_an_exercise_imports_the_staged_modules_it_builds_on(tmp_path):
    """Exercise 20 does `from ex04_dense import dense_forward`: the worker loads the
    exercise module first, so a module it imports comes from the submission, by name,
    whenever it is asked for (and is loaded once)."""
    base = "LOADS = [1]\n\ndef f(x):\n    return x + 1\n\ndef loads():\n    return len(LOADS)\n"
    write_module(tmp_path, "base", base)
    write_module(
        tmp_path,
        "user",
        "import base\nbase.LOADS.append(2)\n\ndef g(x):\n    return base.f(x) * 10\n",
    )
    learner = LearnerProxy(
        tmp_path / "user.py", "user", extra_modules={"base": tmp_path / "base.py"}, **SANDBOX_POLICY
    )
    try:
        assert learner.g(1) == 20
        assert learner.call("f", 2, module="base") == 3
        assert learner.call("loads", module="base") == 2  # one module, not a second copy
    finally:
        learner.close()


def test_a_missing_module_an_exercise_builds_on_is_a_plain_import_failure(tmp_path):
    write_module(
        tmp_path, "user", "from ex04_dense import dense_forward\n\ndef g(x):\n    return x\n"
    )
    learner = LearnerProxy(tmp_path / "user.py", "user", **SANDBOX_POLICY)
    try:
        with pytest.raises(LearnerError, match="could not be imported: .*ex04_dense"):
            learner.g(1)
    finally:
        learner.close()


# ---------------------------------------------------------------- the walls

WALLS = ("bwrap", "rlimits")

INSPECTOR = """
import os, sys, socket

def inside():
    try:
        import grader
        kit = grader.__file__
    except ImportError:
        kit = None
    status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
    return {
        "path": list(sys.path),
        "kit": kit,
        "uid": os.getuid(),
        "capabilities": status["CapEff"].strip(),
        "root": sorted(os.listdir("/")),
        "beside": sorted(os.listdir(os.path.dirname(__file__))),
        "cwd": os.getcwd(),
    }

def connect(port):
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        return True

def spawn(n):
    import time
    children = []
    for _ in range(n):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            time.sleep(30)
            os._exit(0)
        children.append(pid)
    for pid in children:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    return len(children)

def daemonize(name):
    import ctypes, time
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            ctypes.CDLL(None).prctl(15, name.encode(), 0, 0, 0)
            while True:
                time.sleep(1)
        os._exit(0)
    os.wait()
    return True

def kill_myself():
    os.kill(os.getpid(), 9)

def leave(code):
    os._exit(code)

def shout(n):
    sys.stdout.write("x" * n)
    sys.stdout.flush()

def look(paths):
    return {p: sorted(os.listdir(p)) if os.path.isdir(p) else None for p in paths}

def module_file(name):
    import importlib
    return importlib.import_module(name).__file__

def _spin(seconds):
    import time
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass

def burn(seconds, where):
    # Spend `seconds` of CPU time here, in a thread, in a child, or in an orphan
    # (a grandchild that left the session), all ended before the call returns.
    import threading
    if where == "thread":
        thread = threading.Thread(target=_spin, args=(seconds,))
        thread.start()
        thread.join()
    elif where == "child":
        pid = os.fork()
        if pid == 0:
            _spin(seconds)
            os._exit(0)
        os.waitpid(pid, 0)
    elif where == "orphan":
        done, signal = os.pipe()
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.close(done)
                _spin(seconds)
                os._exit(0)
            os._exit(0)
        os.close(signal)
        os.wait()
        os.read(done, 1)  # end of file: the orphan has ended
    else:
        _spin(seconds)
    return True
"""


@pytest.fixture(params=WALLS)
def wall(request, monkeypatch):
    """Run the test behind each wall in turn (NNLAB_ISOLATION)."""
    monkeypatch.setenv("NNLAB_ISOLATION", request.param)
    return request.param


@pytest.fixture
def inspector(tmp_path, wall):
    folder = write_module(tmp_path / "submission", "inspector", INSPECTOR)
    (folder / "secret_beside.py").write_text("ANSWER = 42\n", "utf-8")
    learner = LearnerProxy(
        folder / "inspector.py", "inspector", Limits(processes=16), **SANDBOX_POLICY
    )
    yield learner
    learner.close()


def test_the_proxy_names_its_wall(inspector, wall):
    assert inspector.isolation == wall
    assert inspector.forbidden_libraries_reachable == (wall == "rlimits")


def test_the_kit_is_never_on_the_workers_import_path(inspector, kit_root):
    seen = inspector.inside()
    assert seen["kit"] is None, "the worker could import the grader"
    assert not [p for p in seen["path"] if str(kit_root) in p or p in ("", ".")]
    assert seen["beside"] == ["inspector.py"], "the worker saw files beside the submission"


def test_a_path_above_or_at_the_kit_is_refused(kit_root):
    protect = (kit_root / "grader", kit_root / "solutions")
    refuse_kit_on_path(["/usr/lib/python3/dist-packages"], protect)
    for entry in (kit_root, kit_root.parent, kit_root / "solutions" / ".."):
        with pytest.raises(SandboxUnavailable, match="refusing"):
            refuse_kit_on_path([str(entry)], protect)


def test_an_unknown_or_unavailable_wall_is_a_plain_error(monkeypatch):
    monkeypatch.setenv("NNLAB_ISOLATION", "chroot")
    with pytest.raises(SandboxUnavailable, match="bwrap, rlimits or auto"):
        choose_wall()
    monkeypatch.setenv("NNLAB_ISOLATION", "bwrap")
    monkeypatch.setattr(isolation, "working_bwrap_flags", lambda: None)
    with pytest.raises(SandboxUnavailable, match="bubblewrap does not work here"):
        choose_wall()
    monkeypatch.setenv("NNLAB_ISOLATION", "auto")
    assert choose_wall().name == "rlimits"


@pytest.mark.parametrize("wall", ["bwrap"], indirect=True)
def test_behind_bubblewrap_the_worker_sees_only_runtime_and_submission(inspector, wall):
    seen = inspector.inside()
    assert seen["uid"] != 0 and int(seen["capabilities"], 16) == 0
    assert seen["root"] == [
        "dev",
        "lib",
        "lib64",
        "nnlab",
        "proc",
        "root",
        "submission",
        "tmp",
        "usr",
    ]
    assert seen["cwd"] == "/tmp"
    assert seen["path"][-1] == "/nnlab/site"


@pytest.mark.parametrize("wall", ["bwrap"], indirect=True)
def test_behind_bubblewrap_there_is_no_network(inspector, wall):
    with (
        socket.create_server(("127.0.0.1", 0)) as server,
        pytest.raises(LearnerError, match="OSError|ConnectionRefusedError"),
    ):
        inspector.connect(server.getsockname()[1])


def test_the_process_limit_holds(inspector, wall):
    """RLIMIT_NPROC counts per uid: it holds for a worker under its own uid (and the
    group's pids.max for the whole worker, where there is a group)."""
    if os.getuid() != 0 and wall == "rlimits":
        pytest.skip("an unprivileged grader's rlimit worker shares the grader's uid")
    assert 0 < inspector.spawn(40) < 16


def test_a_root_grader_runs_its_worker_under_a_uid_of_its_own(inspector, wall):
    """Also under the rlimit wall: the launcher shows it the runtime (a view over the
    folders it may not enter, e.g. /root), and nothing else of those folders."""
    if os.getuid() != 0:
        pytest.skip("only a root grader switches uids")
    if wall == "rlimits" and not choose_wall().namespaces:
        pytest.skip("no mount namespaces here: the rlimit worker keeps root's uid")
    seen = inspector.inside()
    assert seen["uid"] != 0 and int(seen["capabilities"], 16) == 0
    closed = {view[0] for view in private_views([os.path.realpath(sys.executable)])}
    for folder in closed:
        shown = inspector.look([folder])[folder]
        runtime = os.path.relpath(os.path.realpath(sys.executable), folder).split(os.sep)[0]
        assert shown == [runtime], f"the worker sees {shown} in {folder}"


def test_staging_folders_are_the_graders_and_shared_only_with_the_worker(inspector, wall):
    inspector.names()  # the worker has started
    worker = inspector._worker
    tempdir, staged = worker.tempdir.stat(), worker.tempdir / "submission"
    assert tempdir.st_uid == os.getuid() and stat.S_IMODE(tempdir.st_mode) & 0o007 == 0
    for path in (staged, *staged.iterdir()):
        info = path.stat()
        closed = 0o027 if path.is_dir() else 0o227  # no one writes a copy, no other reads
        assert info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & closed == 0, path
    if worker.wall.switches_uid:
        uid = inspector.inside()["uid"]
        assert staged.stat().st_gid == uid and stat.S_IMODE(staged.stat().st_mode) == 0o750
    else:
        assert stat.S_IMODE(staged.stat().st_mode) == 0o700


def test_a_daemon_dies_with_its_worker(inspector, wall):
    """A grandchild that left the session and lost its parent dies with the worker: with
    its pid namespace (bwrap; the launcher's as root), its control group, or the
    launcher's init, which adopts it."""
    name = "nnd" + secrets.token_hex(6)
    assert inspector.daemonize(name)
    assert _within(5, lambda: live_processes_named(name)), "the daemon never started"
    inspector.close()
    assert _within(5, lambda: not live_processes_named(name)), "the daemon survived"


@pytest.mark.parametrize("wall", ["rlimits"], indirect=True)
def test_without_namespaces_or_groups_the_launchers_init_ends_a_daemon(tmp_path, monkeypatch, wall):
    """As an unprivileged grader sees it: no pid namespace, no control group; the
    launcher's init is a child subreaper, the daemon is re-parented to it and killed."""
    monkeypatch.setattr(isolation, "launcher_namespaces_work", lambda: False)
    monkeypatch.setenv(cgroups.CGROUPS_ENV, "off")
    monkeypatch.setattr(cgroups, "PLANS", {})
    folder = write_module(tmp_path, "inspector", INSPECTOR)
    learner = LearnerProxy(folder / "inspector.py", "inspector", **SANDBOX_POLICY)
    name = "nnd" + secrets.token_hex(6)
    try:
        assert learner.daemonize(name)
        assert _within(5, lambda: live_processes_named(name)), "the daemon never started"
        with pytest.raises(LearnerCrashed, match="exited with code 7"):
            learner.leave(7)  # the worker ends first: its init must still end the daemon
        assert _within(5, lambda: not live_processes_named(name)), "the daemon survived"
    finally:
        learner.close()


@pytest.mark.parametrize("wall", ["bwrap"], indirect=True)
def test_behind_bubblewrap_no_installed_package_is_in_sight(inspector, wall):
    """The stdlib is there without the site-packages folder pyenv keeps inside it, the
    venv's is absent, and extension modules still load from lib-dynload."""
    stdlib = sysconfig.get_path("stdlib")
    folders = {os.path.join(stdlib, name) for name in ("site-packages", "dist-packages")}
    folders |= {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    folders |= set(site.getsitepackages())
    on_host = {path: os.listdir(path) for path in folders if os.path.isdir(path)}
    assert any(on_host.values()), "no folder of installed packages to hide on this machine"
    seen = inspector.look(sorted(folders))
    assert {path: seen[path] for path in folders if seen[path]} == {}
    assert inspector.look([stdlib])[stdlib], "the stdlib is missing"
    destshared = sysconfig.get_config_var("DESTSHARED")
    host_ctypes = importlib.import_module("_ctypes").__file__
    assert host_ctypes.startswith(destshared), "_ctypes is not an extension module here"
    assert inspector.module_file("_ctypes") == host_ctypes


@pytest.mark.parametrize("where", ["here", "thread", "child"])
def test_the_workers_cpu_time_is_measured_by_the_grader(inspector, wall, where):
    """CPU time of the worker's process tree during the call, whoever in it spent it
    (a child that ended counts through its parent's cutime)."""
    assert inspector.call("burn", 0.3, where, timed=True)
    assert inspector.last_call_cpu_seconds >= 0.25
    assert inspector.last_call_seconds > 0
    assert inspector.call("burn", 0.0, "here") and inspector.last_call_cpu_seconds is None


@pytest.mark.parametrize("wall", ["bwrap"], indirect=True)
def test_behind_bubblewrap_an_orphans_cpu_time_counts_too(inspector, wall):
    """The sandbox's init adopts the orphan, and is itself in the worker's tree.

    (Under the rlimit wall an orphan is adopted outside the tree: reaping.py.)
    """
    assert inspector.call("burn", 0.3, "orphan", timed=True)
    assert inspector.last_call_cpu_seconds >= 0.25


def _within(seconds: float, condition) -> bool:
    """Whether `condition()` becomes true within `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# ---------------------------------------------------------------- groups and clocks


def test_a_worker_runs_in_groups_of_its_own_that_go_with_it(inspector, wall):
    inspector.names()
    worker = inspector._worker
    if worker.group is None:
        pytest.skip(f"no control groups here: {cgroups.plan().unavailable}")
    folders = list(worker.group.folders.values())
    for procs in worker.group.procs_files:
        members = {int(pid) for pid in Path(procs).read_text().split()}
        assert worker.process.pid in members, f"the launcher is not in {procs}"
    assert inspector.daemonize("nnd" + secrets.token_hex(6))
    inspector.close()
    assert not [folder for folder in folders if folder.exists()], "a group outlived its worker"


def test_a_sleeping_call_times_out_without_waiting_for_the_cap(proxy):
    """A call that waits uses no CPU: where the kernel reports the worker's waits for
    a CPU, its wall-clock time less those waits ends it at the limit; elsewhere the cap."""
    cap = client.WALL_CAP_FACTOR * 1.5 + client.WALL_CAP_GRACE_S
    with pytest.raises(LearnerTimeout, match=rf"did not finish within (1\.5|{cap:g}) s"):
        call_after_reset(proxy, "nap")


class _FakeWorker:
    """A worker whose CPU time and CPU wait are set by the test."""

    def __init__(self):
        self.limits = Limits(blas_threads=2)
        self.cpu, self.stall = 0.0, 0.0

    def usage(self):
        return self.cpu, self.stall


def test_the_stopwatch_judges_cpu_time_and_forgives_waiting_for_a_cpu():
    worker = _FakeWorker()
    watch = client.Stopwatch(worker, 10.0, time.monotonic() - 30.0, (0.0, 0.0))
    worker.cpu, worker.stall = 19.0, 25.0  # starved: 30 s of wall, 25 s of them waiting
    assert watch.over() is None
    worker.cpu = 20.5  # over 10 s on each of its 2 cores
    assert watch.over() == 10.0
    worker.cpu, worker.stall = 1.0, 15.0  # 15 s without waiting: it sleeps
    assert watch.over() == 10.0
    worker.stall = None  # no CPU pressure here: only CPU time and the cap judge
    assert watch.over() is None
    late = client.Stopwatch(worker, 10.0, time.monotonic() - 60.0, (0.0, None))
    assert late.over() == 10.0 * client.WALL_CAP_FACTOR + client.WALL_CAP_GRACE_S


def test_without_control_groups_the_rlimits_and_the_tree_clock_still_judge(tmp_path, monkeypatch):
    monkeypatch.setenv(cgroups.CGROUPS_ENV, "off")
    monkeypatch.setattr(cgroups, "PLANS", {})
    folder = write_module(tmp_path, "hostile", HOSTILE)
    learner = LearnerProxy(
        folder / "hostile.py", "hostile", Limits(call_timeout_s=1.5), **SANDBOX_POLICY
    )
    try:
        assert Limits().as_dict()["cgroup"] is None
        with pytest.raises(LearnerTimeout, match="did not finish within 1.5 s"):
            call_after_reset(learner, "forever")
        np.testing.assert_array_equal(call_after_reset(learner, "double"), [2.0, 2.0])
        assert learner._worker.group is None
    finally:
        learner.close()


def _fake_hierarchies(tmp_path, monkeypatch, v2_group: str, v2_files: dict) -> Path:
    """A cgroup v2 mount (its root offering pids) and a v1 memory mount, as folders; the
    grader is in `v2_group` (v2) and /job (v1 memory). Returns the v2 mount's folder."""
    v2, memory = tmp_path / "unified", tmp_path / "memory"
    layout = {v2: {"cgroup.controllers": "pids", "cgroup.subtree_control": "pids"}}
    layout.setdefault(v2 / v2_group.lstrip("/"), {}).update(v2_files)
    layout[memory / "job"] = {"cgroup.procs": ""}
    for folder, files in layout.items():
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (folder / name).write_text(text)
    mounts = [
        cgroups.Mount(2, v2, "/", frozenset()),
        cgroups.Mount(1, memory, "/", frozenset({"memory"})),
    ]
    monkeypatch.setattr(cgroups, "cgroup_mounts", lambda: mounts)
    monkeypatch.setattr(cgroups, "cgroup_membership", lambda: {"": v2_group, "memory": "/job"})
    monkeypatch.delenv(cgroups.CGROUPS_ENV, raising=False)
    return v2


def test_a_plan_takes_each_control_from_v2_where_it_offers_it_else_from_v1(tmp_path, monkeypatch):
    v2 = _fake_hierarchies(tmp_path, monkeypatch, "/", {})
    plan = cgroups.make_plan()
    assert plan.parents == {"v2": v2, "memory": tmp_path / "memory" / "job"}
    assert plan.sources == {"pids": "v2", "memory": "memory"}
    assert "cpu" in plan.missing and plan.cpu_time == "v2"
    described = plan.describe(2**30, 64, 1)
    assert described["hierarchies"] == {"pids": "v2", "memory": "v1"}
    assert described["cpu_cores"] is None and described["pids"] == 64
    assert described["kill"] == "cgroup.kill"


def test_a_plan_never_rearranges_a_v2_group_shared_with_other_processes(tmp_path, monkeypatch):
    procs = f"{os.getpid()}\n1\n"
    files = {"cgroup.controllers": "pids", "cgroup.subtree_control": "", "cgroup.procs": procs}
    v2 = _fake_hierarchies(tmp_path, monkeypatch, "/job", files)
    plan = cgroups.make_plan()
    assert plan.parents["v2"] == v2 / "job" and "pids" not in plan.sources
    assert "shares its cgroup v2 group" in plan.missing["pids"]
    assert not (v2 / "job" / cgroups.GRADER_LEAF).exists()
    assert (v2 / "job" / "cgroup.procs").read_text() == procs


def test_a_grader_started_in_the_leaf_uses_the_leafs_parent(tmp_path, monkeypatch):
    files = {"cgroup.controllers": "pids", "cgroup.procs": f"{os.getpid()}\n1\n"}
    v2 = _fake_hierarchies(tmp_path, monkeypatch, f"/job/{cgroups.GRADER_LEAF}", files)
    (v2 / "job" / "cgroup.subtree_control").write_text("pids")
    plan = cgroups.make_plan()
    assert plan.parents["v2"] == v2 / "job" and plan.sources["pids"] == "v2"


def test_a_worker_killed_by_a_signal_is_named_as_such(inspector):
    with pytest.raises(LearnerCrashed, match="it was killed"):
        inspector.kill_myself()


def test_any_exit_code_is_a_plain_message(inspector):
    with pytest.raises(LearnerCrashed, match="exited with code 200"):
        inspector.leave(200)


def test_output_is_capped_by_the_file_size_limit(tmp_path, wall):
    folder = write_module(tmp_path, "inspector", INSPECTOR)
    learner = LearnerProxy(
        folder / "inspector.py", "inspector", Limits(file_size_bytes=2**20), **SANDBOX_POLICY
    )
    try:
        with pytest.raises(LearnerError, match="File too large"):
            learner.shout(2 * 2**20)
        assert learner._worker.stdout_path.stat().st_size <= 2**20
    finally:
        learner.close()


def test_an_unreadable_module_is_a_plain_message(tmp_path):
    folder = write_module(tmp_path, "ex01_tensors", "")
    (folder / "ex01_tensors.py").unlink()
    (folder / "ex01_tensors.py").mkdir()  # a folder where the module should be: copying fails
    learner = LearnerProxy(folder / "ex01_tensors.py", "ex01_tensors", **SANDBOX_POLICY)
    learner.start()
    with pytest.raises(LearnerError, match="ex01_tensors.py could not be read"):
        learner.one_hot(np.array([1]), 2)
    learner.close()


# ---------------------------------------------------------------- the decoder


def _npy(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


HOSTILE_VALUES = {
    "an rng named after a function": ({"$rng": {"bit_generator": "test"}}, []),
    "an rng named after a dunder": ({"$rng": {"bit_generator": "__class__"}}, []),
    "an rng named by a list": ({"$rng": {"bit_generator": ["PCG64"]}}, []),
    "an rng that is a string": ({"$rng": "PCG64"}, []),
    "an rng state that is a string": ({"$rng": {"bit_generator": "PCG64", "state": "x"}}, []),
    "an rng state out of range": (
        {"$rng": {"bit_generator": "PCG64", "state": {"state": -1, "inc": 1}, "has_uint32": 0}},
        [],
    ),
    "an rng state of floats": (
        {"$rng": {"bit_generator": "PCG64", "state": {"state": 1.5, "inc": 1.5}}},
        [],
    ),
    "an rng key too short": (
        {"$rng": {"bit_generator": "MT19937", "state": {"key": [1], "pos": 0}}},
        [],
    ),
    "an rng state nested deep": (
        {"$rng": {"bit_generator": "SFC64", "state": {"a": {"b": {"c": {"d": 1}}}}}},
        [],
    ),
    "a scalar function not on the list": ({"$fn": "print", "params": []}, []),
    "a scalar function's params not a list": ({"$fn": "weighted_tanh_sum", "params": 3}, []),
    "a handle that is a string": ({"$handle": "1", "type": "Net"}, []),
    "a handle that is a bool": ({"$handle": True, "type": "Net"}, []),
    "a handle without a type": ({"$handle": 1}, []),
    "a negative method reference": ({"$method": -1, "name": "fit"}, []),
    "a tuple that is a number": ({"$tuple": 5}, []),
    "a dict that is a list": ({"$dict": [1]}, []),
    "an int-keyed dict that is an object": ({"$intdict": {"1": 2}}, []),
    "an int-keyed dict with a string key": ({"$intdict": [["1", 2]]}, []),
    "an int-keyed dict with a bool key": ({"$intdict": [[True, 2]]}, []),
    "an int-keyed dict entry that is not a pair": ({"$intdict": [[1, 2, 3]]}, []),
    "an array index that is a string": ({"$array": "0"}, [_npy(np.zeros(2))]),
    "an array index out of range": ({"$array": 1}, [_npy(np.zeros(2))]),
    "an array that is not .npy": ({"$array": 0}, [b"not an array"]),
    "an array claiming more than its blob": ({"$array": 0}, [_npy(np.zeros(4))[:-8]]),
    "an array of Python objects": ({"$array": 0}, [_npy(np.array([None]), allow_pickle=True)]),
    "a scalar that is an array": ({"$scalar": 0}, [_npy(np.zeros(2))]),
    "two tags": ({"$array": 0, "$tuple": []}, [_npy(np.zeros(2))]),
    "no tag": ({"plain": 1}, []),
    "nesting deeper than the stack": (_nested(100_000), []),
}


@pytest.mark.parametrize("data, blobs", HOSTILE_VALUES.values(), ids=HOSTILE_VALUES.keys())
def test_the_decoder_refuses_what_does_not_parse(data, blobs, monkeypatch):
    called = []
    monkeypatch.setattr(np.random, "test", lambda *args, **kwargs: called.append(args))
    with pytest.raises(wire.WireError):
        wire.decode_value(data, blobs)
    assert called == []


def test_dicts_keyed_by_integers_cross_the_wire_with_their_values():
    """cross_validate's {k: [accuracy per fold]}: int keys (also NumPy's) come back as ints."""
    blobs: list = []
    sent = {np.int64(1): [0.25, 0.5], 15: np.arange(3.0)}
    data = json.loads(json.dumps(wire.encode_value(sent, blobs)))
    received = wire.decode_value(data, blobs)
    assert list(received) == [1, 15] and all(type(k) is int for k in received)
    assert received[1] == [0.25, 0.5]
    np.testing.assert_array_equal(received[15], np.arange(3.0))


def test_a_dict_with_mixed_keys_is_refused_with_a_plain_reason():
    with pytest.raises(TypeError, match="all strings or all integers"):
        wire.encode_value({1: 0, "a": 1}, [])


@pytest.mark.parametrize("name", sorted(wire.BIT_GENERATORS))
def test_every_listed_bit_generator_crosses_the_wire(name):
    blobs: list = []
    sent = np.random.Generator(wire.BIT_GENERATORS[name](2024))
    sent.random(5)  # a state past the seed's
    data = json.loads(json.dumps(wire.encode_value(sent, blobs)))
    received = wire.decode_value(data, blobs)
    assert type(received.bit_generator).__name__ == name
    np.testing.assert_array_equal(received.random(7), sent.random(7))
