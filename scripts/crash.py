#!/usr/bin/env python3
"""Crash trials: `kill -9` kiln at random moments of every mutating command.

Each trial copies a prepared repository, starts one command, kills it after
a random fraction of the time that command takes uninterrupted, and checks
what kiln promises after a crash:

  * `kiln fsck` finds nothing corrupt;
  * no workspace file whose content was not in the store was lost or altered;
  * the same command, run again, completes;
  * afterwards, in copy and reflink modes, no workspace file shares an inode
    with a store object, and `fsck` is still clean.

  python3 scripts/crash.py --trials 1000          # by hand (bench/RESULTS.md)
  python3 scripts/crash.py --trials 24 --seed 1   # the slice CI runs

Needs the `blake3` module (scripts/test.sh installs it) and a built kiln
(`--kiln`, default: the debug build under CARGO_TARGET_DIR).
"""

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import blake3

LINK_MODES = {
    "copy": '["reflink", "copy"]',
    "hardlink": '["hardlink", "copy"]',
    "symlink": '["symlink", "copy"]',
}
BIG = 12 << 20  # over the 8 MiB line where kiln adopts and ranges parts


class Trial:
    def __init__(self, kiln, work):
        self.kiln = kiln
        self.root = Path(work)
        self.env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", HOME=str(self.root.parent))
        self.env.pop("KILN_LOG", None)

    def run(self, *args, check=True):
        r = subprocess.run(
            [self.kiln, *args], cwd=self.root, env=self.env, capture_output=True, text=True
        )
        if check and r.returncode != 0:
            raise Failure(f"kiln {' '.join(args)} exited {r.returncode}: {r.stderr.strip()}")
        return r

    def git(self, *args):
        subprocess.run(
            ["git", *args], cwd=self.root, env=self.env, check=True, capture_output=True
        )

    def start(self, args):
        return subprocess.Popen(
            [self.kiln, *args],
            cwd=self.root,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


class Failure(Exception):
    pass


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() or path.is_symlink():
        path.unlink()
    path.write_bytes(data)


def workspace_files(root):
    """Workspace data files (not pointers, not kiln's or git's folders)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in (".git", ".kiln")]
        for f in filenames:
            p = Path(dirpath) / f
            rel = str(p.relative_to(root))
            if rel.endswith(".kiln") or f == ".gitignore":
                continue
            out[rel] = p
    return out


def file_hash(path):
    try:
        return blake3.blake3(path.read_bytes()).hexdigest()
    except (FileNotFoundError, IsADirectoryError):
        return None


def store_ids(root):
    objects = root / ".kiln" / "cache" / "objects"
    ids, inodes = set(), set()
    if objects.is_dir():
        for d in objects.iterdir():
            for f in d.iterdir():
                ids.add(d.name + f.name)
                inodes.add((f.stat().st_dev, f.stat().st_ino))
    return ids, inodes


def prepare(template, kiln, mode):
    """A repository with small files, a large file and a folder remote."""
    t = Trial(kiln, template)
    template.mkdir(parents=True)
    t.git("init", "-q", "-b", "main")
    t.git("config", "user.name", "crash")
    t.git("config", "user.email", "crash@example.com")
    t.run("init")
    config = template / ".kiln" / "config.toml"
    text = re.sub(r"(?m)^link = .*$", f"link = {LINK_MODES[mode]}", config.read_text())
    if "link = " not in text:
        text += f"\n[cache]\nlink = {LINK_MODES[mode]}\n"
    config.write_text(text)
    rng = random.Random(7)
    for i in range(300):
        write(template / "data" / "small" / f"f{i:03}.txt", rng.randbytes(4096))
    write(template / "data" / "big.bin", rng.randbytes(BIG))
    t.run("remote", "add", "origin", str(template.parent / "remote"), "--default")
    return t


def scenario_setup(t, name):
    """Brings a fresh copy to the state the command starts from; returns argv."""
    if name == "add-small":
        return ["add", "data/small"]
    if name == "add-big":
        return ["add", "data/big.bin"]
    t.run("add", "data/small", "data/big.bin")
    t.git("add", "-A")
    t.git("commit", "-qm", "data")
    if name == "checkout":
        shutil.rmtree(t.root / "data" / "small")
        (t.root / "data" / "big.bin").unlink()
        return ["checkout"]
    if name == "push":
        return ["push"]
    if name in ("fetch", "pull"):
        t.run("push")
        shutil.rmtree(t.root / ".kiln" / "cache")
        if name == "pull":
            for p in workspace_files(t.root).values():
                p.chmod(0o644) if not p.is_symlink() else None
            shutil.rmtree(t.root / "data" / "small")
            (t.root / "data" / "big.bin").unlink()
        return [name]
    if name == "gc":
        write(t.root / "data" / "small" / "f000.txt", b"changed\n")
        t.run("add", "data/small")
        return ["gc", "--workspace"]
    if name == "run":
        return ["run", "-n", "count", "-d", "data/big.bin", "-o", "out/count.txt", "--",
                "sh", "-c", "mkdir -p out && wc -c < data/big.bin > out/count.txt"]
    if name == "repro":
        t.run("run", "-n", "count", "-d", "data/small", "-o", "out/count.txt", "--",
              "sh", "-c", "mkdir -p out && ls data/small | wc -l > out/count.txt")
        write(t.root / "data" / "small" / "f999.txt", b"new\n")
        t.run("add", "data/small")
        return ["repro"]
    if name == "unprotect":
        return ["unprotect", "data/small", "data/big.bin"]
    raise ValueError(name)


SCENARIOS = ["add-small", "add-big", "checkout", "push", "fetch", "pull", "gc", "run",
             "repro", "unprotect"]


def check_after(t, mode, before, label):
    fsck = json.loads(t.run("fsck", "--json").stdout)
    if fsck["corrupt"]:
        raise Failure(f"{label}: fsck found corrupt objects {fsck['corrupt']}")
    ids, _ = store_ids(t.root)
    now = workspace_files(t.root)
    for rel, digest in before.items():
        # A link into a store that was emptied had no content to lose.
        if digest is None or digest in ids:
            continue
        if rel not in now or file_hash(now[rel]) != digest:
            raise Failure(f"{label}: {rel} was lost or altered and its content is not stored")


def check_inodes(t, mode, label):
    if mode != "copy":
        return
    _, inodes = store_ids(t.root)
    for rel, p in workspace_files(t.root).items():
        st = p.lstat()
        if (st.st_dev, st.st_ino) in inodes:
            raise Failure(f"{label}: {rel} shares its inode with a store object")


def one(kiln, templates, base, mode, name, rng, durations):
    work = Path(tempfile.mkdtemp(dir=base))
    shutil.copytree(templates[mode].parent, work, symlinks=True, dirs_exist_ok=True)
    t = Trial(kiln, work / "repo")
    argv = scenario_setup(t, name)
    before = {rel: file_hash(p) for rel, p in workspace_files(t.root).items()}
    label = f"{mode}/{name}"
    key = (mode, name)
    if key not in durations:
        started = time.monotonic()
        t.run(*argv)
        durations[key] = time.monotonic() - started
        shutil.rmtree(work)
        return one(kiln, templates, base, mode, name, rng, durations)
    proc = t.start(argv)
    time.sleep(rng.uniform(0, durations[key] * 1.1))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    label += f" (killed at {proc.returncode})"
    check_after(t, mode, before, label)
    # The rerun completes, and leaves nothing half-done behind.
    rerun = t.run(*argv, check=False)
    if rerun.returncode != 0:
        raise Failure(f"{label}: the rerun failed: {rerun.stderr.strip()}")
    check_after(t, mode, before, label + ", after the rerun")
    check_inodes(t, mode, label + ", after the rerun")
    shutil.rmtree(work)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=None)
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    ap.add_argument("--kiln", default=str(Path(target) / "debug" / "kiln"))
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    base = Path(tempfile.mkdtemp(prefix="kiln-crash-"))
    # A copy of its own: a rebuild during a long run must not pull the
    # binary away under it.
    kiln = str(base / "kiln")
    shutil.copy2(Path(args.kiln).resolve(), kiln)
    templates = {}
    for mode in LINK_MODES:
        templates[mode] = prepare(base / f"template-{mode}" / "repo", kiln, mode).root
    durations = {}
    passed, failed = 0, 0
    counts = {}
    started = time.monotonic()
    try:
        for i in range(args.trials):
            mode = list(LINK_MODES)[i % len(LINK_MODES)]
            name = SCENARIOS[(i // len(LINK_MODES)) % len(SCENARIOS)]
            try:
                one(kiln, templates, base, mode, name, rng, durations)
                passed += 1
            except Failure as e:
                failed += 1
                print(f"FAIL trial {i} ({mode}/{name}): {e}", file=sys.stderr)
            counts[(mode, name)] = counts.get((mode, name), 0) + 1
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"seed {seed}; {len(counts)} command/link-mode pairs; "
          f"{time.monotonic() - started:.0f} s", file=sys.stderr)
    print(f"crash: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
