"""Control groups: each worker in a group of its own that bounds and counts all it starts.

Rlimits bound one process at a time, and not shared memory at all: a worker
that forks children holding memfd pages outgrows any of them. A control group
bounds the worker and every process it starts, together:

- memory: `memory.max` (v2) / `memory.limit_in_bytes` (v1); anonymous memory,
  shared memory, memfd and tmpfs pages all count; no swap (`memory.swap.max = 0`
  / `memory.memsw.limit_in_bytes`); over it, the kernel kills in the group only.
- pids: `pids.max`, processes and threads together.
- cpu: `cpu.max` (v2) / `cpu.cfs_quota_us` (v1): at most `cores` CPUs, so a worker
  that forks 48 busy children takes one core, never its neighbour's.
- its CPU time (`cpu.stat` / `cpuacct.usage`) and the time it waited for a CPU
  (`cpu.pressure`), which the grader's timeouts read (client.py);
- kill: `cgroup.kill` (v2) ends every process of the group at once, a
  double-forked daemon included.

Where. cgroup v2 supplies every controller it offers; a controller it lacks
comes from that controller's v1 hierarchy (a hybrid host mounts the v1
controllers at /sys/fs/cgroup/<name> and a controller-less v2 at
/sys/fs/cgroup/unified: there the v2 group still gives kill, CPU time and CPU
pressure). Worker groups are made below the grader's own group in each
hierarchy (read from /proc/self/cgroup), named `nnlab-worker-<grader pid>-<random>`:

- v1 allows processes beside child groups: worker groups go right below the grader's.
- v2 gives controllers to the children of a group only if that group holds no
  process itself (its root excepted). At the root, worker groups go right below
  it (a controller the root offers is enabled for its children if it is not yet).
  Elsewhere, a grader alone in its group first moves itself into a leaf group
  `nnlab-grader` below it and enables the controllers there; a grader started
  later inside that leaf (a batch job) uses the leaf's parent. A group shared
  with other processes is never rearranged: its worker groups get no v2
  controllers (kill and accounting still work), v1 supplies what it can.

Nothing outside the grader's own groups is changed. A group left behind by a
grader that was killed is removed by the next grader that plans (its creator's
pid is in its name). `NNLAB_CGROUPS=off` turns groups off (the report says so).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

CGROUPS_ENV = "NNLAB_CGROUPS"
CONTROLS = ("memory", "pids", "cpu")
WORKER_PREFIX = "nnlab-worker-"
GRADER_LEAF = "nnlab-grader"
CPU_PERIOD_US = 100_000
V2 = "v2"  # the key of the v2 hierarchy in a plan; v1 hierarchies go by controller name
REMOVE_WAIT_S = 5.0
_KILL_ROUNDS = 100

PLANS: dict[int, Plan] = {}
"""Each process's plan (`plan()` makes it once; a test empties it to make it again)."""
_plans_lock = threading.Lock()


@dataclass(frozen=True)
class Mount:
    """One control-group hierarchy mounted on this machine (a line of /proc/self/mountinfo)."""

    version: int
    path: Path
    root: str  # the folder of the hierarchy mounted there (mountinfo's 4th field)
    controllers: frozenset[str]  # a v1 mount's controllers


@dataclass(frozen=True)
class Plan:
    """Where this grader process makes its workers' groups, and what they apply.

    - parents: hierarchy ("v2", or a v1 controller's name) -> folder the groups go in.
    - sources: control ("memory", "pids", "cpu") -> the hierarchy that applies it.
    - missing: control -> why no group applies it here.
    - unavailable: why there are no groups at all ("" when there are).
    """

    parents: dict[str, Path]
    sources: dict[str, str]
    missing: dict[str, str]
    unavailable: str = ""
    cpu_time: str | None = None  # the hierarchy that counts the group's CPU time

    def describe(self, memory_bytes: int, pids: int, cores: int) -> dict | None:
        """What a worker's group applies, for reports (None: no group at all).

        Inputs: the group's memory limit in bytes, its process limit and its CPU cores.
        Returns {"memory_bytes", "swap_bytes", "pids", "cpu_cores", "cpu_time",
        "kill", "hierarchies", "not_applied"}; a control the host cannot apply is
        None, with its reason under "not_applied".
        """
        if not self.parents:
            return None
        applies = self.sources.__contains__
        return {
            "memory_bytes": memory_bytes if applies("memory") else None,
            "swap_bytes": 0 if applies("memory") else None,
            "pids": pids if applies("pids") else None,
            "cpu_cores": cores if applies("cpu") else None,
            "cpu_time": "cgroup" if self.cpu_time else "process tree",
            "kill": "cgroup.kill" if V2 in self.parents else "signals to each member",
            "hierarchies": {control: _version(key) for control, key in self.sources.items()},
            "not_applied": dict(self.missing),
        }


def _version(key: str) -> str:
    return "v2" if key == V2 else "v1"


def plan() -> Plan:
    """This process's Plan (made on first use, once per process: a forked child plans anew)."""
    pid = os.getpid()
    with _plans_lock:
        if pid not in PLANS:
            PLANS[pid] = make_plan()
        return PLANS[pid]


def make_plan() -> Plan:
    """What this process can do with control groups now: where each worker's group goes
    and which limits it can set, or why none (a Plan; `plan()` caches it per process)."""
    if os.environ.get(CGROUPS_ENV, "").strip().lower() in ("off", "0", "no", "false"):
        return Plan({}, {}, {}, f"turned off ({CGROUPS_ENV}=off)")
    try:
        mounted, membership = cgroup_mounts(), cgroup_membership()
    except OSError as error:
        return Plan({}, {}, {}, f"cgroups cannot be read here: {error.strerror}")
    if not mounted:
        return Plan({}, {}, {}, "no cgroup file system is mounted")
    parents: dict[str, Path] = {}
    sources: dict[str, str] = {}
    reasons: dict[str, str] = {}
    v2 = next((m for m in mounted if m.version == 2), None)
    own = _own_folder(v2, membership.get("")) if v2 else None
    if own is not None and _can_make_groups(own):
        folder, controllers, why = _v2_parent(own, membership[""] == "/" and v2.root == "/")
        if _can_make_groups(folder):
            parents[V2] = folder
            sources.update({control: V2 for control in controllers})
            reasons.update({control: why for control in CONTROLS if why})
    elif own is not None:
        reasons = {control: "cgroup v2 is not writable here" for control in CONTROLS}
    wanted = [c for c in CONTROLS if c not in sources]
    if V2 not in parents:
        wanted.append("cpuacct")  # CPU time: v2 counts it in every group
    keys: dict[Path, str] = {}  # a v1 mount point -> its key in `parents`
    cpu_time = V2 if V2 in parents else None
    for controller in wanted:
        mount = next((m for m in mounted if controller in m.controllers), None)
        key = keys.get(mount.path) if mount else None  # controllers mounted together
        if key is None:
            folder = _own_folder(mount, membership.get(controller)) if mount else None
            if folder is None or not _can_make_groups(folder):
                if controller in CONTROLS:
                    reasons.setdefault(controller, _why_not(controller, mount, folder))
                continue
            key = controller
            parents[key], keys[mount.path] = folder, key
        if controller in CONTROLS:
            sources[controller] = key
        else:
            cpu_time = key
    missing = {c: reasons.get(c) or "not available" for c in CONTROLS if c not in sources}
    if not parents:
        return Plan({}, {}, missing, "no cgroup here can be written (run as root?)")
    for folder in set(parents.values()):
        _remove_stale_groups(folder)
    return Plan(parents, sources, missing, cpu_time=cpu_time)


def _why_not(controller: str, mount: Mount | None, folder: Path | None) -> str:
    if mount is None:
        return f"the {controller} controller is not available (neither in cgroup v2 nor v1)"
    if folder is None:
        return f"the grader's {controller} cgroup is outside the mounted hierarchy"
    return f"the grader's {controller} cgroup is not writable ({folder})"


def cgroup_mounts() -> list[Mount]:
    """The cgroup file systems mounted here, from /proc/self/mountinfo."""
    found = []
    with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as mountinfo:
        for line in mountinfo:
            left, _, right = line.partition(" - ")
            fields, kind = left.split(), right.split()
            if len(fields) < 5 or len(kind) < 3 or kind[0] not in ("cgroup", "cgroup2"):
                continue
            path = Path(fields[4].replace("\\040", " "))
            options = frozenset(kind[2].split(","))
            version = 2 if kind[0] == "cgroup2" else 1
            found.append(Mount(version, path, fields[3], options if version == 1 else frozenset()))
    return found


def cgroup_membership() -> dict[str, str]:
    """The grader's group in each hierarchy: "" (v2) or a v1 controller -> its path."""
    groups = {}
    with open("/proc/self/cgroup", encoding="utf-8", errors="replace") as cgroup:
        for line in cgroup:
            parts = line.rstrip("\n").split(":", 2)
            if len(parts) != 3:
                continue
            for controller in parts[1].split(",") if parts[1] else [""]:
                groups[controller] = parts[2]
    return groups


def _own_folder(mount: Mount | None, path: str | None) -> Path | None:
    """The folder of group `path` under `mount` (None if it lies outside the mount)."""
    if mount is None or path is None:
        return None
    root = mount.root.rstrip("/")
    if root and not (path == root or path.startswith(root + "/")):
        return None
    folder = mount.path / path[len(root) :].lstrip("/")
    return folder if folder.is_dir() else None


def _v2_parent(own: Path, at_root: bool) -> tuple[Path, frozenset[str], str]:
    """(folder for worker groups, the controllers they get, why the others are missing)."""
    offered = frozenset(CONTROLS) & _words(own / "cgroup.controllers")
    if at_root:
        return own, _enable(own, offered), ""
    parent = own.parent
    if own.name == GRADER_LEAF and _words(parent / "cgroup.subtree_control") >= offered:
        return parent, offered, ""
    if not offered:
        return own, offered, "cgroup v2 offers no such controller here"
    if _words(own / "cgroup.procs") == {str(os.getpid())}:
        leaf = own / GRADER_LEAF
        try:
            leaf.mkdir(exist_ok=True)
            (leaf / "cgroup.procs").write_text(str(os.getpid()))
        except OSError as error:
            return own, frozenset(), f"the grader could not move into a leaf group: {error}"
        return own, _enable(own, offered), ""
    why = "the grader shares its cgroup v2 group with other processes (no controllers below it)"
    return own, frozenset(), why


def _enable(folder: Path, controllers: frozenset[str]) -> frozenset[str]:
    """Enable `controllers` for the children of `folder`; return those enabled now."""
    for controller in controllers - _words(folder / "cgroup.subtree_control"):
        with contextlib.suppress(OSError):
            (folder / "cgroup.subtree_control").write_text(f"+{controller}")
    return controllers & _words(folder / "cgroup.subtree_control")


def _words(path: Path) -> set[str] | frozenset[str]:
    try:
        return set(path.read_text().split())
    except OSError:
        return frozenset()


def _can_make_groups(folder: Path) -> bool:
    probe = folder / f"nnlab-probe-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        probe.mkdir()
    except OSError:
        return False
    with contextlib.suppress(OSError):
        probe.rmdir()
    return True


def _remove_stale_groups(folder: Path) -> None:
    """Remove worker groups whose grader is gone (it was killed before it could)."""
    with contextlib.suppress(OSError):
        for entry in folder.iterdir():
            if not entry.name.startswith(WORKER_PREFIX):
                continue
            creator = entry.name[len(WORKER_PREFIX) :].split("-")[0]
            if creator.isdigit() and not _alive(int(creator)):
                _end_group(entry)
                with contextlib.suppress(OSError):
                    entry.rmdir()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class WorkerGroup:
    """The control groups of one worker: one folder in each hierarchy the plan uses.

    Inputs: the Plan, the memory limit in bytes (no swap), the process limit
    and the number of CPU cores. Raises OSError when a group cannot be made
    (whatever was made is removed).
    """

    def __init__(self, chosen: Plan, memory_bytes: int, pids: int, cores: int):
        name = f"{WORKER_PREFIX}{os.getpid()}-{secrets.token_hex(6)}"
        self.folders: dict[str, Path] = {}
        self._sources = dict(chosen.sources)
        self._cpu_time = chosen.cpu_time
        try:
            for key, parent in chosen.parents.items():
                folder = parent / name
                folder.mkdir()
                self.folders[key] = folder
            self._configure(memory_bytes, pids, cores)
        except OSError:
            self.remove()
            raise

    def _configure(self, memory_bytes: int, pids: int, cores: int) -> None:
        settings = {
            ("memory", True): [("memory.max", memory_bytes), ("memory.swap.max", 0)],
            ("memory", False): [
                ("memory.limit_in_bytes", memory_bytes),
                ("memory.memsw.limit_in_bytes", memory_bytes),
            ],
            ("pids", True): [("pids.max", pids)],
            ("pids", False): [("pids.max", pids)],
            ("cpu", True): [("cpu.max", f"{cores * CPU_PERIOD_US} {CPU_PERIOD_US}")],
            ("cpu", False): [
                ("cpu.cfs_period_us", CPU_PERIOD_US),
                ("cpu.cfs_quota_us", cores * CPU_PERIOD_US),
            ],
        }
        for control, key in self._sources.items():
            folder = self.folders[key]
            for name, value in settings[control, key == V2]:
                swap = name in ("memory.swap.max", "memory.memsw.limit_in_bytes")
                if swap and not (folder / name).exists():  # no swap accounting: no swap to use
                    continue
                (folder / name).write_text(str(value))
        if self._sources.get("memory") == V2:
            # Over the limit the whole group goes at once, not one process at a time.
            with contextlib.suppress(OSError):
                (self.folders[V2] / "memory.oom.group").write_text("1")

    @property
    def procs_files(self) -> list[str]:
        """The cgroup.procs file of each folder: a process joins by writing its pid there."""
        return [str(folder / "cgroup.procs") for folder in self.folders.values()]

    def cpu_seconds(self) -> float | None:
        """CPU seconds used so far by every process that was ever in the group (None:
        no hierarchy here counts it)."""
        if self._cpu_time == V2:
            value = _field(self.folders[V2] / "cpu.stat", "usage_usec")
            return None if value is None else value / 1e6
        if self._cpu_time is not None:
            with contextlib.suppress(OSError, ValueError):
                return int((self.folders[self._cpu_time] / "cpuacct.usage").read_text()) / 1e9
        return None

    def stall_seconds(self) -> float | None:
        """Seconds during which some process of the group was ready to run but waited
        for a CPU (v2's cpu.pressure; None where there is none)."""
        if V2 not in self.folders:
            return None
        try:
            lines = (self.folders[V2] / "cpu.pressure").read_text().splitlines()
        except OSError:
            return None
        for line in lines:
            if line.startswith("some "):
                total = line.rpartition("total=")[2]
                return int(total) / 1e6 if total.isdigit() else None
        return None

    def memory_kills(self) -> int:
        """How many processes the kernel killed for going over the group's memory limit."""
        key = self._sources.get("memory")
        if key is None:
            return 0
        name = "memory.events" if key == V2 else "memory.oom_control"
        return int(_field(self.folders[key] / name, "oom_kill") or 0)

    def kill(self) -> None:
        """SIGKILL every process in the group (cgroup.kill, else each member until none is left)."""
        _end_group(*self.folders.values())

    def remove(self) -> None:
        """Kill every process in the group, then remove its folders (waiting a little for
        the dying to leave; a folder still busy after that is left to a later grader)."""
        self.kill()
        deadline = time.monotonic() + REMOVE_WAIT_S
        for folder in self.folders.values():
            while True:
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    _end_group(folder)
                    time.sleep(0.01)
        self.folders = {}


def _field(path: Path, name: str) -> int | None:
    """The integer after `name` in a flat-keyed cgroup file (cpu.stat, memory.events)."""
    try:
        for line in path.read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == name and value.strip().isdigit():
                return int(value)
    except OSError:
        pass
    return None


def _end_group(*folders: Path) -> None:
    """SIGKILL every process in the groups at `folders`."""
    for folder in folders:
        kill = folder / "cgroup.kill"
        if kill.exists():
            with contextlib.suppress(OSError):
                kill.write_text("1")
                continue
        for _ in range(_KILL_ROUNDS):
            members = _words(folder / "cgroup.procs")
            if not members:
                break
            for member in members:
                with contextlib.suppress(ProcessLookupError, PermissionError, ValueError):
                    os.kill(int(member), signal.SIGKILL)
            time.sleep(0.001)
