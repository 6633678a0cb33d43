"""A worker's process tree: kill it, and measure the CPU time it used.

A worker's children may call setsid() and so escape a process-group kill.
They cannot escape their parent: every descendant is found through the
parent links in /proc, stopped (so that nothing forks while we look), and
then killed. A worker's orphans are re-parented to an init that is itself a
descendant: bubblewrap's, or under the rlimit wall the launcher's (launcher.py:
pid 1 of a pid namespace as root, a child subreaper otherwise); where the
worker has a control group, cgroup.kill ends them all anyway (cgroups.py).

The same parent links give the tree's CPU time, read from the kernel (learner
code can stop its own clocks, not the kernel's accounting); the client reads
it where no control group counts the worker's CPU time.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time

MAX_ROUNDS = 100  # each round stops the newly found processes; a bomb runs out of forks
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_CPUCLOCK_SCHED = 2  # Linux: a process's CPU-time clock id is (~pid << 3) | CPUCLOCK_SCHED


def kill_tree(pid: int) -> None:
    """SIGKILL process `pid`, its process group and all its descendants.

    Inputs:
    - pid: a process this process started (the leader of its own process group).

    Returns nothing; processes already gone are skipped.
    """
    stopped: set[int] = set()
    family = {pid}
    for _ in range(MAX_ROUNDS):
        family = {pid} | _descendants(pid)
        new = family - stopped
        if not new:
            break
        for member in new:
            _signal(member, signal.SIGSTOP)
        stopped |= new
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    for member in family:
        _signal(member, signal.SIGKILL)
    # A process that ended between a scan and its SIGSTOP may have left its pid
    # to a stranger: whatever was stopped but is no longer family goes on.
    for member in stopped - family:
        _signal(member, signal.SIGCONT)


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signum)


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by process `pid` and every descendant (user + system).

    Inputs:
    - pid: a process this process started.

    Returns the sum over the tree of each process's own CPU time (all its
    threads, ended ones included) and of the children it has waited for
    (cutime + cstime): a process that ends between two readings still counts,
    in its parent. A process gone before it is read counts nothing.
    """
    return sum(_cpu_seconds(member) for member in {pid} | _descendants(pid))


def _cpu_seconds(pid: int) -> float:
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    # After "(comm)": state is field 3 of proc(5), so field k is fields[k - 3].
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    try:
        # Nanoseconds, where /proc/<pid>/stat counts clock ticks (10 ms).
        own = time.clock_gettime((~pid << 3) | _CPUCLOCK_SCHED)
    except OSError:  # a process that ended since its stat was read
        own = (utime + stime) / CLOCK_TICKS
    return own + (cutime + cstime) / CLOCK_TICKS


def _stat_fields(pid: int | str) -> list[bytes] | None:
    """The fields of /proc/<pid>/stat after "(comm)" (None when it cannot be read)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
            return stat.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _descendants(pid: int) -> set[int]:
    """Every process whose chain of parents leads to `pid` (not `pid` itself)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(entry.name)
        if fields is None:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    result, stack = set(), [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in result:
                result.add(child)
                stack.append(child)
    return result
