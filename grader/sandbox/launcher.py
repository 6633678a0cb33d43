"""A worker's launcher: its first process, which runs before any learner code.

The grader starts `python -I -S launcher.py CONFIG_JSON COMMAND...` (this file
imports only the standard library). The launcher:

1. asks Linux to SIGKILL it when the grader's thread that started it ends;
2. writes its pid into each of the worker's control groups (CONFIG "cgroups": the
   groups' cgroup.procs files), so that everything it and the worker start is in
   them (cgroups.py); writing from here, before exec, is the pre-exec step that
   a multi-threaded grader cannot safely run itself (subprocess's preexec_fn);
3. behind bubblewrap ("reaper": false) execs COMMAND, bwrap, which has its own
   pid namespace and init;
4. under the rlimit wall ("reaper": true) forks an init that starts COMMAND, the
   worker, and, once the worker has ended, ends whatever else it started: a
   double-forked daemon included. With "namespaces" (root) the init is pid 1 of
   a new pid namespace, whose end kills every process in it; the launcher also
   enters a new mount namespace and, over each folder that other users may not
   enter (CONFIG "views": [folder, [paths]]), mounts an empty tmpfs holding only
   the listed paths, bound from the host, so that a worker under a uid of its
   own can reach the runtime it needs (pyenv under /root, mode 0700) and nothing
   else there. Without namespaces the init is a child subreaper: orphans of the
   worker's tree are re-parented to it, and it kills them.

The launcher exits as the worker did (the same code, or the same signal).
Whatever fails before COMMAND runs is printed to stderr and ends the launcher
with CANNOT_LAUNCH.
"""

import contextlib
import ctypes
import json
import os
import resource
import signal
import stat
import struct
import sys

CANNOT_LAUNCH = 125
PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
CLONE_NEWNS = 0x00020000
CLONE_NEWPID = 0x20000000
MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 0x2, 0x4, 0x1000, 0x4000, 0x40000
_STATUS = struct.Struct("=i")
_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))


def _prctl(option: int, value: int) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0))


def _mount(source, target, kind, flags: int, data=None) -> None:
    def text(value):
        return None if value is None else os.fsencode(value)

    _check(_libc.mount(text(source), text(target), text(kind), ctypes.c_ulong(flags), text(data)))


def join_groups(procs_files: list) -> None:
    """Move this process into each control group whose cgroup.procs file is listed."""
    for path in procs_files:
        with open(path, "w", encoding="ascii") as procs:
            procs.write(str(os.getpid()))


def enter_namespaces(views: list) -> None:
    """Enter new mount and pid namespaces (the next child is pid 1) and build the views."""
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWPID))
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing mounted here reaches the host
    for folder, paths in views:
        _show_only(folder, paths)


def _show_only(folder: str, paths: list) -> None:
    """Cover `folder` with an empty tmpfs, then bind each of `paths` (inside it) back."""
    kept = sorted(set(paths), key=len)
    kept = [p for i, p in enumerate(kept) if not any(p.startswith(q + "/") for q in kept[:i])]
    handles = {path: os.open(path, os.O_PATH) for path in kept}  # before the tmpfs hides them
    _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m")
    old_mask = os.umask(0o022)
    try:
        for path, handle in handles.items():
            is_folder = stat.S_ISDIR(os.fstat(handle).st_mode)
            os.makedirs(path if is_folder else os.path.dirname(path), exist_ok=True)
            if not is_folder:
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644))
            _mount(f"/proc/self/fd/{handle}", path, None, MS_BIND | MS_REC)
            os.close(handle)
    finally:
        os.umask(old_mask)


def _close(fds: list) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


def _exec(command: list) -> None:
    # Python ignores these at start, and an ignored signal stays ignored across exec.
    for signum in (signal.SIGPIPE, signal.SIGXFSZ):
        signal.signal(signum, signal.SIG_DFL)
    try:
        os.execv(command[0], command)
    except OSError as error:
        print(f"nnlab launcher: cannot run {command[0]}: {error}", file=sys.stderr)
    os._exit(127)


def _children() -> list:
    """Pids of this process's children (zombies too), read from /proc."""
    me, found = os.getpid(), []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == me:
                found.append(int(entry))
    return found


def _end_children() -> None:
    """SIGKILL every child, and every orphan re-parented here meanwhile, until none is left."""
    while True:
        for child in _children():
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def run_init(command: list, keep_fds: list, status_fd: int) -> None:
    """The worker's init: start `command`, reap orphans until it ends, send its wait
    status on `status_fd`, then end everything else it started. Never returns."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    in_namespace = os.getpid() == 1
    if not in_namespace:
        _prctl(PR_SET_CHILD_SUBREAPER, 1)
    worker = os.fork()
    if worker == 0:
        os.close(status_fd)
        _exec(command)
    _close(keep_fds)
    while True:
        pid, status = os.wait()
        if pid == worker:
            break
    os.write(status_fd, _STATUS.pack(status))
    if not in_namespace:  # as pid 1, the namespace's end kills what is left
        _end_children()
    os._exit(0)


def _exit_as(status: int) -> None:
    """End this process the way wait status `status` says a process ended."""
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        with contextlib.suppress(OSError, ValueError):  # SIGKILL, SIGSTOP: cannot be handled
            signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        os._exit(128 + signum)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def main(argv: list) -> None:
    """Entry point: `launcher.py CONFIG_JSON COMMAND...` (module docstring)."""
    config, command = json.loads(argv[1]), argv[2:]
    try:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        join_groups(config.get("cgroups", []))
        if config.get("reaper") and config.get("namespaces"):
            enter_namespaces(config.get("views", []))
    except OSError as error:
        print(f"nnlab launcher: {error}", file=sys.stderr)
        os._exit(CANNOT_LAUNCH)
    if not config.get("reaper"):
        _exec(command)
    keep_fds = [int(fd) for fd in config.get("keep_fds", [])]
    status_read, status_write = os.pipe()
    init = os.fork()
    if init == 0:
        os.close(status_read)
        run_init(command, keep_fds, status_write)
    os.close(status_write)
    _close(keep_fds)  # the worker's pipes: its death must reach the grader as end of file
    report = b""
    while chunk := os.read(status_read, _STATUS.size):
        report += chunk
    _, init_status = os.waitpid(init, 0)
    _exit_as(_STATUS.unpack(report)[0] if len(report) == _STATUS.size else init_status)


if __name__ == "__main__":
    main(sys.argv)
