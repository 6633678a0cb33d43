"""The wall around a worker: bubblewrap where it works, rlimits alone where it does not.

Under bubblewrap (`bwrap`) the worker sees only the Python runtime, NumPy,
its own script and the modules being graded, all read-only, plus a private
tmpfs `/tmp`; it has no network, its own pid/ipc/uts namespaces, and runs
under a uid of its own, so it can neither read what it is graded against nor
signal the grader. The runtime is the standard library without its
`site-packages` / `dist-packages` folders (under pyenv and the like they live
inside it): learner code that takes the import blocker off `sys.meta_path`
still finds no SciPy, TensorFlow or any other installed package. Without
bubblewrap the wall is the rlimits the worker sets on itself: learner code then
runs with the grader's own rights, or, when the grader is root, under a uid of
its own; every library installed on the machine is importable once the blocker
is removed (`Wall.forbidden_libraries_reachable`).

Both walls start the worker through launcher.py, which first puts it into its
control groups (cgroups.py). Under the rlimit wall the launcher also starts an
init that outlives the worker just long enough to end whatever it left behind;
as root that init is pid 1 of a pid namespace of its own, and the worker sees
the folders others may not enter (e.g. /root, where pyenv keeps the runtime)
replaced by views holding only the runtime it needs (`Wall.namespaces`), so
that it can give up root for a uid of its own.

`NNLAB_ISOLATION` chooses: `bwrap` (a missing or broken bwrap is an error),
`rlimits` (force the weak wall, e.g. for tests and CI's second pass), or unset
/ `auto` (bwrap when it works).

Inside the sandbox:
    <stdlib>             the host's stdlib folder and lib-dynload, at their host
                         paths, read-only; site-packages and dist-packages in them are empty
    /nnlab/worker.py     the worker script
    /nnlab/site/         numpy and numpy.libs, nothing else of site-packages
    /submission/<m>.py   the modules being graded (copies, read-only)
    /tmp                 a private tmpfs, the working directory
"""

from __future__ import annotations

import functools
import glob
import json
import os
import secrets
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ISOLATION_ENV = "NNLAB_ISOLATION"
SANDBOX_ROOT = Path("/nnlab")
SANDBOX_SUBMISSION = Path("/submission")
SANDBOX_TMP_BYTES = 256 * 2**20
PROBE_TIMEOUT_S = 10
LAUNCHER_SCRIPT = Path(__file__).resolve().with_name("launcher.py")
# Workers that start as root switch to a uid of their own: RLIMIT_NPROC counts
# processes per uid, so a fork bomb then exhausts only its own worker's quota.
# The range is far above real accounts and the subordinate-uid ranges that user
# namespaces map (from 100000, 65536 per user).
WORKER_UID_BASE = 0x7E000000
WORKER_UID_SPAN = 2**24
# Folders of installed packages that an interpreter may keep inside its stdlib folder.
PACKAGE_FOLDERS = ("site-packages", "dist-packages")

_NAMESPACES = ("--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts")
# As root: no user namespace (a namespaced uid maps back to root, which
# RLIMIT_NPROC ignores); the worker drops from root to its own uid itself.
_ROOT_FLAGS = (*_NAMESPACES, "--unshare-cgroup-try", "--cap-add", "CAP_SETUID")
_ROOT_FLAGS += ("--cap-add", "CAP_SETGID")
# Any user: a user namespace as well, as `nobody` inside it (--disable-userns: bwrap >= 0.8).
_USER_FLAGS = ("--unshare-all", "--unshare-user", "--uid", "65534", "--gid", "65534")
_CANDIDATES = {
    "root": (_ROOT_FLAGS, (*_USER_FLAGS, "--disable-userns"), _USER_FLAGS),
    "user": ((*_USER_FLAGS, "--disable-userns"), _USER_FLAGS),
}


class SandboxUnavailable(RuntimeError):
    """The wall asked for (NNLAB_ISOLATION) cannot be built on this machine."""


@dataclass(frozen=True)
class Wall:
    """How workers are isolated.

    - name: "bwrap" or "rlimits" (what the report records).
    - flags: bwrap's namespace and identity flags that the probe found working.
    - switches_uid: each worker starts as root and switches to a fresh uid (fresh_uid).
    - namespaces: (rlimit wall, root) each worker gets pid and mount namespaces of its
      own from its launcher, with views that let a fresh uid reach the runtime.
    """

    name: str
    flags: tuple[str, ...] = ()
    switches_uid: bool = False
    namespaces: bool = False

    @property
    def forbidden_libraries_reachable(self) -> bool:
        """Whether learner code that removes the import blocker can import the libraries
        installed on this machine (SciPy, TensorFlow, ...): only bubblewrap hides them."""
        return self.name != "bwrap"


def choose_wall() -> Wall:
    """The wall for the next worker, from NNLAB_ISOLATION and what the machine offers.

    Returns a Wall; raises SandboxUnavailable for `NNLAB_ISOLATION=bwrap` without a
    working bwrap, or for a value it does not know.
    """
    wanted = os.environ.get(ISOLATION_ENV, "auto").strip().lower() or "auto"
    if wanted not in ("auto", "bwrap", "rlimits"):
        raise SandboxUnavailable(f"{ISOLATION_ENV} must be bwrap, rlimits or auto, not {wanted!r}")
    root = os.getuid() == 0
    rlimits = Wall("rlimits", switches_uid=root, namespaces=root and launcher_namespaces_work())
    if wanted == "rlimits":
        return rlimits
    flags = working_bwrap_flags()
    if flags is None:
        if wanted == "bwrap":
            raise SandboxUnavailable(
                f"{ISOLATION_ENV}=bwrap but bubblewrap does not work here "
                "(install it: apt-get install bubblewrap; it needs user or mount namespaces)"
            )
        return rlimits
    return Wall("bwrap", flags, switches_uid=root and flags == _ROOT_FLAGS)


def fresh_uid() -> int:
    """A uid no account and no other worker is likely to use (for one worker)."""
    return WORKER_UID_BASE + secrets.randbelow(WORKER_UID_SPAN)


@functools.cache
def working_bwrap_flags() -> tuple[str, ...] | None:
    """The first set of bwrap flags that runs `true` here (probed once per process).

    The probe uses every bwrap feature the worker's sandbox needs (--perms,
    --size: bwrap >= 0.8), so an older bwrap counts as not working.
    """
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return None
    mounts = ["--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--perms", "1777"]
    mounts += ["--size", "1048576", "--tmpfs", "/tmp", "--perms", "0755", "--dir", "/tmp/nnlab"]
    for flags in _CANDIDATES["root" if os.getuid() == 0 else "user"]:
        try:
            done = subprocess.run(
                [bwrap, *flags, *mounts, "true"],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=PROBE_TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return flags
    return None


@functools.cache
def launcher_namespaces_work() -> bool:
    """Whether the launcher can give a worker pid and mount namespaces here (probed
    once per process: a root grader in a container may lack CAP_SYS_ADMIN)."""
    config = {"reaper": True, "namespaces": True, "views": []}
    command = [_runtime().executable, "-I", "-S", str(LAUNCHER_SCRIPT), json.dumps(config)]
    try:
        done = subprocess.run(
            [*command, shutil.which("true") or "/bin/true"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=PROBE_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


# ---------------------------------------------------------------- the runtime


@dataclass(frozen=True)
class _Runtime:
    """What the worker's Python needs from the host, as host paths."""

    executable: str
    import_path: tuple[str, ...]  # the stdlib entries of `python -I -S`
    hidden: tuple[str, ...]  # package folders inside those binds, shown empty
    files: tuple[str, ...]  # further read-only binds (libpython, system libraries)
    symlinks: tuple[tuple[str, str], ...]  # (target, link): /lib -> usr/lib and the like
    numpy: tuple[Path, ...]  # numpy's package dir and its bundled libraries


@functools.cache
def _runtime() -> _Runtime:
    executable = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    import_path = _unique(
        [sysconfig.get_path("stdlib"), str(sysconfig.get_config_var("DESTSHARED") or "")]
    )
    files = []
    if sysconfig.get_config_var("Py_ENABLE_SHARED"):
        libdir = str(sysconfig.get_config_var("LIBDIR") or "")
        soname = str(sysconfig.get_config_var("INSTSONAME") or "")
        if os.path.isfile(os.path.join(libdir, soname)):
            files.append(os.path.join(libdir, soname))
    symlinks = []
    for top in ("/lib", "/lib64", "/lib32", "/libx32", "/usr/lib64"):
        if os.path.islink(top):
            symlinks.append((os.readlink(top), top))
        elif os.path.isdir(top):
            files.append(top)
    files.extend(_system_library_dirs())
    site = Path(np.__file__).resolve().parent.parent
    numpy = tuple(p for p in (site / "numpy", site / "numpy.libs") if p.is_dir())
    files = _unique(files)
    hidden = _package_folders([*import_path, *files])
    return _Runtime(executable, tuple(import_path), hidden, tuple(files), tuple(symlinks), numpy)


def _package_folders(dirs: list[str]) -> tuple[str, ...]:
    """The folders of installed packages inside `dirs`: <dir>/site-packages and
    <dir>/python3*/site-packages (and dist-packages), as pyenv, Debian and Fedora lay
    them out."""
    found = []
    for folder in dirs:
        for name in PACKAGE_FOLDERS:
            found += glob.glob(os.path.join(glob.escape(folder), name))
            found += glob.glob(os.path.join(glob.escape(folder), "python3*", name))
    return tuple(sorted({path for path in found if os.path.isdir(path)}))


def _system_library_dirs() -> list[str]:
    """Folders of the C library and the dynamic loader this process runs on."""
    dirs = []
    with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
        for line in maps:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            name = os.path.basename(path)
            if name.startswith(("libc.so", "libc-", "ld-linux", "ld64")):
                dirs.append(os.path.dirname(os.path.realpath(path)))
    return dirs


def _unique(paths: list[str]) -> list[str]:
    """Existing paths, without duplicates or paths inside another one of the list."""
    kept = []
    for path in sorted({p for p in paths if p and os.path.exists(p)}, key=len):
        if not any(path == k or path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return kept


def refuse_kit_on_path(entries: list[str], protect: tuple[Path, ...]) -> None:
    """Raise SandboxUnavailable if an import path entry would reach a protected folder.

    Inputs: the worker's import path entries; `protect`, the folders its code may
    not import from (the caller's: the grader's package and the reference solutions).
    An entry reaches a protected folder when it is that folder or a folder above it
    (`import main.solutions...` as a namespace package, from the kit's root or its
    parent), or holds a folder of the same name (another copy of the kit).
    """
    folders = [Path(folder).resolve() for folder in protect]
    for entry in entries:
        path = Path(entry).resolve()
        for folder in folders:
            reaches = path == folder or path in folder.parents
            if reaches or (path / folder.name).exists():
                raise SandboxUnavailable(
                    f"refusing to start a worker with {entry} on its import path"
                )


# ---------------------------------------------------------------- the command


def stage_modules(
    folder: Path, modules: dict[str, Path], gid: int | None = None
) -> dict[str, Path]:
    """Copy each module to `folder`/<name>.py, read-only; return name -> copy.

    With `gid` (a worker under a uid of its own), the folder and copies belong to
    the grader and group `gid`, readable by that group alone; without, by the
    grader's own user alone. The worker imports the copies: it never learns
    where the submission lives nor sees the files beside it.
    """
    folder.mkdir(mode=0o700)
    staged = {}
    for name, source in modules.items():
        target = folder / f"{name}.py"
        shutil.copyfile(source, target)
        _share(target, gid, 0o440 if gid is not None else 0o400)
        staged[name] = target
    _share(folder, gid, 0o750 if gid is not None else 0o700)
    return staged


def _share(path: Path, gid: int | None, mode: int) -> None:
    """Give `path` to group `gid` (if any), then set its mode."""
    if gid is not None:
        os.chown(path, -1, gid, follow_symlinks=False)
    path.chmod(mode)


# glibc hands arrays of a few MiB (a conv layer's im2col matrix) back to the system when
# they are freed, and page-faults them in again at the next batch: a CNN's training ran
# 15-20% slower. Arrays up to 64 MiB are reused from the heap instead.
MEMORY_REUSE = {"MALLOC_MMAP_THRESHOLD_": str(64 << 20), "MALLOC_TRIM_THRESHOLD_": str(256 << 20)}


def worker_command(
    wall: Wall,
    worker_script: Path,
    tempdir: Path,
    staged: dict[str, Path],
    arguments: list[str],
    blas_threads: int,
    protect: tuple[Path, ...],
    uid: int | None = None,
    cgroup_procs: tuple[str, ...] = (),
    keep_fds: tuple[int, ...] = (),
) -> tuple[list[str], dict[str, str], Path]:
    """The command line that starts the worker behind `wall`, its environment and folder.

    Inputs:
    - wall: the chosen Wall.
    - worker_script: the host path of worker.py.
    - tempdir: the worker's private host folder (mkdtemp: the grader's, mode 0700).
    - staged: module name -> host path of its staged copy (see stage_modules).
    - arguments: the worker's arguments after the module list (fds, limits, ...).
    - blas_threads: how many threads NumPy's BLAS may start.
    - protect: folders the worker's import path may not reach (refuse_kit_on_path).
    - uid: the uid the worker switches to (None: it keeps the grader's); under the
      rlimit wall its folders in `tempdir` are then shared with that uid's group
      (the worker's gid is its uid), and its home folder is its own.
    - cgroup_procs: cgroup.procs files of the worker's control groups (the launcher joins them).
    - keep_fds: the worker's pipe ends, which the launcher's own processes close.

    Returns (command, environment, cwd): run the command in `cwd` with that environment.
    """
    runtime = _runtime()
    if wall.name == "bwrap":
        site = SANDBOX_ROOT / "site"
        script = SANDBOX_ROOT / "worker.py"
        modules = {name: SANDBOX_SUBMISSION / path.name for name, path in staged.items()}
        home, cwd = "/tmp", tempdir
    else:
        site, cwd = tempdir / "site", tempdir / "home"
        site.mkdir(mode=0o700)
        for entry in runtime.numpy:
            (site / entry.name).symlink_to(entry, target_is_directory=True)
        _share(site, uid, 0o750 if uid is not None else 0o700)
        cwd.mkdir(mode=0o700)  # the worker's home: its own, the only folder it may write
        if uid is not None:
            os.chown(cwd, uid, uid)
            _share(tempdir, uid, 0o750)
        script, modules, home = worker_script, staged, str(cwd)
    refuse_kit_on_path([*runtime.import_path, str(site)], protect)
    environment = {
        "HOME": home,
        "TMPDIR": home,
        "LANG": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": str(blas_threads),
        "OMP_NUM_THREADS": str(blas_threads),
        "MKL_NUM_THREADS": str(blas_threads),
        **MEMORY_REUSE,
    }
    python = [
        runtime.executable,
        "-I",
        "-S",
        "-c",
        f"import sys; sys.path.append({str(site)!r}); "
        f"import runpy; runpy.run_path({str(script)!r}, run_name='__main__')",
        json.dumps([[name, str(path)] for name, path in modules.items()]),
        *arguments,
    ]
    config = {"cgroups": list(cgroup_procs), "reaper": wall.name != "bwrap"}
    if wall.name != "bwrap":
        config.update(keep_fds=list(keep_fds), namespaces=wall.namespaces)
        if wall.namespaces:
            needed = [runtime.executable, *runtime.import_path, *runtime.files]
            needed += [*map(str, runtime.numpy), str(worker_script), str(tempdir)]
            config["views"] = private_views(needed)
        return _launched(runtime, config, python), environment, cwd
    staged_dir = next(iter(staged.values())).parent
    prefix = _bwrap_prefix(wall, runtime, worker_script, staged_dir)
    for name, value in environment.items():
        prefix.extend(["--setenv", name, value])
    return _launched(runtime, config, [*prefix, "--", *python]), {"PATH": os.defpath}, cwd


def _launched(runtime: _Runtime, config: dict, command: list[str]) -> list[str]:
    """`command`, started through the launcher with `config` (see launcher.py)."""
    return [runtime.executable, "-I", "-S", str(LAUNCHER_SCRIPT), json.dumps(config), *command]


def private_views(paths: list[str]) -> list[list]:
    """The views the launcher builds so that another uid can reach `paths`.

    Inputs: host paths the worker needs. Returns [[folder, [paths under it]], ...]:
    each folder is the outermost one on the way to some of `paths` that others may
    not enter (no x bit for others), e.g. /root for a runtime under /root/.pyenv.
    """
    views: dict[str, list[str]] = {}
    for path in paths:
        real = os.path.realpath(path)
        folder = _closed_folder(real)
        if folder is not None:
            views.setdefault(folder, []).append(real)
    return [[folder, sorted(set(inside))] for folder, inside in sorted(views.items())]


def _closed_folder(path: str) -> str | None:
    """The outermost folder above `path` that others may not enter (None: none is)."""
    parts = Path(path).parts
    for depth in range(2, len(parts)):
        folder = os.path.join(*parts[:depth])
        try:
            if not os.stat(folder).st_mode & 0o001:
                return folder
        except OSError:
            return None
    return None


def _bwrap_prefix(
    wall: Wall, runtime: _Runtime, worker_script: Path, staged_dir: Path
) -> list[str]:
    args = [shutil.which("bwrap") or "bwrap", *wall.flags, "--die-with-parent", "--new-session"]
    made: set[str] = set()

    def bind(source, dest) -> None:
        # bwrap creates missing parents 0700: unreadable once the worker is not root.
        for parent in reversed(Path(dest).parents[:-1]):
            if str(parent) not in made:
                made.add(str(parent))
                args.extend(["--perms", "0755", "--dir", str(parent)])
        args.extend(["--ro-bind", str(source), str(dest)])

    for path in (runtime.executable, *runtime.import_path, *runtime.files):
        bind(path, path)
    for path in runtime.hidden:
        # An empty read-only tmpfs over the folder; binding the stdlib entry by entry
        # instead costs ~0.1 s of mounts per worker.
        args.extend(["--tmpfs", path, "--remount-ro", path])
    for target, link in runtime.symlinks:
        args.extend(["--symlink", target, link])
    bind(worker_script, SANDBOX_ROOT / "worker.py")
    for entry in runtime.numpy:
        bind(entry, SANDBOX_ROOT / "site" / entry.name)
    bind(staged_dir, SANDBOX_SUBMISSION)
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--perms", "1777", "--size", str(SANDBOX_TMP_BYTES), "--tmpfs", "/tmp"]
    args += ["--chdir", "/tmp", "--clearenv"]
    return args
