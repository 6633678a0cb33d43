"""Kill a worker and everything it started, including processes that left its group.

A worker's children may call setsid() and so escape a process-group kill.
They cannot escape their parent: every descendant is found through the
parent links in /proc, stopped (so that nothing forks while we look), and
then killed. Under bubblewrap the worker's orphans are re-parented to the
sandbox's init, itself a descendant, and its death ends the pid namespace.
"""

from __future__ import annotations

import contextlib
import os
import signal

MAX_ROUNDS = 100  # each round stops the newly found processes; a bomb runs out of forks


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


def _descendants(pid: int) -> set[int]:
    """Every process whose chain of parents leads to `pid` (not `pid` itself)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
                fields = stat.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    result, stack = set(), [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in result:
                result.add(child)
                stack.append(child)
    return result
