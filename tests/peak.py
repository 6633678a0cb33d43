"""Run a command and measure its own peak memory, free of the test process's.

A child forked (or vforked) from a big process, such as a pytest session that
has imported TensorFlow, inherits that process's resident set in its
ru_maxrss until it execs. So the command is started by a small launcher: the
launcher forks the command from its own small address space, waits for it
with wait4 and writes that child's peak to a file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading

_LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as handle:
    handle.write(str(usage.ru_maxrss * 1024))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(command: list[str], env: dict, stdout, stderr, timeout_s: float):
    """Run `command` to its end; return (exit code, its peak RSS in bytes, including the
    children it waited for). A command still running after `timeout_s` is killed."""
    with tempfile.NamedTemporaryFile("r") as peak:
        launcher = [sys.executable, "-c", _LAUNCHER, peak.name, *command]
        process = subprocess.Popen(
            launcher, stdout=stdout, stderr=stderr, env=env, start_new_session=True
        )
        watchdog = threading.Timer(timeout_s, lambda: os.killpg(process.pid, 9))
        watchdog.start()
        try:
            code = process.wait()
        finally:
            watchdog.cancel()
        text = peak.read().strip()
    return code, int(text) if text else 0
