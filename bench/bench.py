#!/usr/bin/env python3
"""kiln's benchmark: generates its data, times kiln beside the tools people
would use instead on the same machine in one run, and prints ratios.

    python3 bench/bench.py store       # add / status / checkout vs DVC and b3sum
    python3 bench/bench.py links       # add / checkout per link mode vs DVC, the copy floor, partial pulls
    python3 bench/bench.py links --on DIR   # the same on another file system (say, a journalled ext4)
    python3 bench/bench.py validate    # kiln check vs polars, pandera, frictionless
    python3 bench/bench.py verdicts    # issue 12's tables, clean and 0.1%/1% broken
    python3 bench/bench.py remote      # push / pull vs dvc-s3, against Garage
    python3 bench/bench.py corpus      # a sharded text corpus vs DuckDB, polars, datatrove
    python3 bench/bench.py drift       # diff --stats between two versions vs Evidently
    python3 bench/bench.py all
    python3 bench/bench.py validate --simd   # kiln built with SIMD (nightly Rust)

Everything it makes lives under bench/work/ (git-ignored): a virtualenv with
the other tools from PyPI, b3sum from crates.io, the generated data, and the
repositories the commands run in. Timings are wall-clock medians of several
runs with the page cache warm for every tool alike; memory is the peak
resident set of the measured process and its children.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
VENV = WORK / "venv"
TOOLS = WORK / "tools"
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache" / "kiln-target"))
KILN = TARGET / "release" / "kiln"
PY_TOOLS = ["dvc==3.*", "dvc-s3==3.*", "frictionless", "pandera[polars]", "polars", "duckdb",
            "datatrove", "regex", "tokenizers", "xxhash", "pyarrow", "zstandard", "evidently", "pandas<3"]


def sh(cmd, cwd=None, env=None, check=True, quiet=True):
    out = subprocess.DEVNULL if quiet else None
    r = subprocess.run(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.PIPE if quiet else None)
    if check and r.returncode != 0:
        err = r.stderr.decode(errors="replace") if r.stderr else ""
        sys.exit(f"bench: `{' '.join(map(str, cmd))}` failed ({r.returncode}): {err.strip()[-2000:]}")
    return r


def measure(cmd, cwd=None, env=None, ok=(0,)):
    """Runs cmd once; returns (seconds, peak RSS in MiB). Exit codes other
    than `ok` stop the benchmark (a validator's 1 is a verdict, not a fault)."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    elapsed = time.perf_counter() - start
    stderr = p.stderr.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code not in ok:
        sys.exit(f"bench: `{' '.join(map(str, cmd))}` exited {code}: {stderr.strip()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def timed(label, prepare, cmd_for, runs=3, ok=(0,)):
    """Median time and max memory of `runs` runs; prepare() makes a fresh state and returns a cwd."""
    times, mems = [], []
    for _ in range(runs):
        cwd = prepare()
        # Flush the preparation's own writes, so no tool pays for them.
        os.sync()
        t, m = measure(cmd_for(cwd), cwd=cwd, ok=ok)
        times.append(t)
        mems.append(m)
    result = (statistics.median(times), max(mems))
    print(f"  {label:<44} {result[0]:8.3f} s {result[1]:8.0f} MiB", flush=True)
    return result


def setup(simd):
    global KILN
    WORK.mkdir(parents=True, exist_ok=True)
    build = ["cargo", "build", "--release", "--locked", "--bin", "kiln"]
    env = dict(os.environ, CARGO_TARGET_DIR=str(TARGET))
    if simd:
        # Built as polars builds its own Python package: a nightly compiler,
        # polars' SIMD code, and an AVX2-class CPU.
        target = TARGET.with_name(TARGET.name + "-nightly")
        build = ["cargo", "+nightly", *build[1:], "--features", "simd"]
        env.update(CARGO_TARGET_DIR=str(target), RUSTFLAGS="-C target-cpu=x86-64-v3")
        KILN = target / "release" / "kiln"
    print(f"building kiln ({' '.join(build[1:])})…", flush=True)
    sh(build, cwd=ROOT, env=env, quiet=False)
    have = (VENV / "bin" / "python").exists() and subprocess.run(
        [VENV / "bin" / "python", "-c", "import dvc, duckdb, datatrove, zstandard, pandera, frictionless, evidently"],
        capture_output=True).returncode == 0
    if not have:
        print("installing the other tools from PyPI…", flush=True)
        if not (VENV / "bin" / "python").exists():
            sh([sys.executable, "-m", "venv", str(VENV)])
        sh([VENV / "bin" / "pip", "install", "--quiet", *PY_TOOLS], quiet=False)
    if not (TOOLS / "bin" / "b3sum").exists():
        print("installing b3sum from crates.io…", flush=True)
        sh(["cargo", "install", "--quiet", "--root", TOOLS, "b3sum"], quiet=False)


def tool(name):
    for d in (VENV / "bin", TOOLS / "bin"):
        if (d / name).exists():
            return str(d / name)
    return name


def write_random(path, size):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 1 << 24)
            f.write(os.urandom(n))
            left -= n


def make_files(dest, count, size, folders):
    if dest.exists() and sum(1 for _ in dest.rglob("*") if _.is_file()) == count:
        return
    shutil.rmtree(dest, ignore_errors=True)
    for i in range(count):
        p = dest / f"d{i % folders:03}" / f"f{i:06}.bin"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(os.urandom(size))


def git_repo(path, kind):
    """A fresh git repository initialised for `kind` (kiln or dvc)."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    sh(["git", "init", "-q", "-b", "main"], cwd=path)
    sh(["git", "config", "user.email", "bench@example.com"], cwd=path)
    sh(["git", "config", "user.name", "bench"], cwd=path)
    if kind == "kiln":
        sh([KILN, "init"], cwd=path)
    else:
        sh([tool("dvc"), "init", "-q"], cwd=path)
        sh([tool("dvc"), "config", "core.analytics", "false"], cwd=path)
        sh([tool("dvc"), "config", "core.autostage", "false"], cwd=path)
    return path


def populate(repo, source, name):
    """Copies the source data into the repository (not timed)."""
    dest = repo / name
    if source.is_dir():
        shutil.copytree(source, dest)
    else:
        shutil.copy(source, dest)


def ratio(a, b):
    return f"{a / b:.1f}×" if b > 0 else "n/a"


def fresh_repo(repos, kind, source, name, links=None):
    """A preparation: a new repository of `kind` holding a copy of `source`,
    with the link mode `links` (hardlink or symlink) when given."""
    def prepare():
        r = git_repo(repos / kind, kind)
        if links and kind == "kiln":
            cfg = r / ".kiln" / "config.toml"
            cfg.write_text(cfg.read_text().replace('link = ["reflink", "copy"]', f'link = ["{links}"]'))
        elif links:
            sh([tool("dvc"), "config", "cache.type", links], cwd=r)
        populate(r, source, name)
        return r
    return prepare


def plain_copy(repos, source, name):
    """A preparation shaped like the others' (the data copied into a fresh
    folder first): on this virtual machine, memory freed a while ago is much
    slower to write into than memory just freed, so a tool whose preparation
    writes less would get the faster pages."""
    def prepare():
        d = repos / "copy"
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        populate(d, source, name)
        return d
    return prepare


def emptied_repo(repo, name="files"):
    """A preparation: the repository with its data folder deleted."""
    def prepare():
        shutil.rmtree(repo / name, ignore_errors=True)
        return repo
    return prepare


def bench_store(runs):
    print("\n## store: add, status, checkout", flush=True)
    data = WORK / "data"
    big = data / "big.bin"
    if not big.exists() or big.stat().st_size != 1 << 30:
        print("generating 1 GiB…", flush=True)
        write_random(big, 1 << 30)
    print("generating 20,000 files of 50 KiB…", flush=True)
    small = data / "files20k"
    make_files(small, 20_000, 50 * 1024, 100)
    repos = WORK / "repos"
    rows = {}

    fresh = lambda kind, source, name: fresh_repo(repos, kind, source, name)
    plain = lambda source, name: plain_copy(repos, source, name)
    rows["b3sum+cp 1 GiB"] = timed(
        "b3sum + cp, 1 GiB",
        plain(big, "big.bin"),
        lambda cwd: ["sh", "-c", f'"{tool("b3sum")}" big.bin >/dev/null && cp big.bin copy.bin'],
        runs,
    )
    rows["kiln add 1 GiB"] = timed("kiln add, 1 GiB", fresh("kiln", big, "big.bin"), lambda cwd: [KILN, "add", "big.bin"], runs)
    rows["dvc add 1 GiB"] = timed("dvc add, 1 GiB", fresh("dvc", big, "big.bin"), lambda cwd: [tool("dvc"), "add", "-q", "big.bin"], runs)
    # The floor for any tool that leaves the workspace a copy of each file.
    rows["cp 20k"] = timed(
        "cp -r, 20,000 × 50 KiB",
        plain(small, "files"),
        lambda cwd: ["cp", "-r", "files", "copy"],
        runs,
    )
    rows["kiln add 20k"] = timed("kiln add, 20,000 × 50 KiB", fresh("kiln", small, "files"), lambda cwd: [KILN, "add", "files"], runs)
    rows["dvc add 20k"] = timed("dvc add, 20,000 × 50 KiB", fresh("dvc", small, "files"), lambda cwd: [tool("dvc"), "add", "-q", "files"], runs)
    # The repositories now hold the 20,000 files, added.
    rows["kiln status"] = timed("kiln status (no-op), 20,000 files", lambda: repos / "kiln", lambda cwd: [KILN, "status"], runs)
    rows["dvc status"] = timed("dvc data status (no-op), 20,000 files", lambda: repos / "dvc", lambda cwd: [tool("dvc"), "data", "status"], runs)

    emptied = lambda kind: emptied_repo(repos / kind)
    rows["kiln checkout"] = timed("kiln checkout, 20,000 files", emptied("kiln"), lambda cwd: [KILN, "checkout"], runs)
    rows["dvc checkout"] = timed("dvc checkout, 20,000 files", emptied("dvc"), lambda cwd: [tool("dvc"), "checkout", "-q"], runs)

    print("generating 200,000 small files…", flush=True)
    tiny = data / "files200k"
    make_files(tiny, 200_000, 256, 1000)
    rows["kiln add 200k"] = timed("kiln add, 200,000 × 256 B", fresh("kiln", tiny, "files"), lambda cwd: [KILN, "add", "files"], 1)
    rows["kiln status 200k"] = timed("kiln status, 200,000 files", lambda: repos / "kiln", lambda cwd: [KILN, "status"], 1)

    floor = symlink_floor(repos / "symfloor", runs)
    t = lambda k: rows[k][0]
    print("\n| target | measured | ratio | goal |")
    print("| --- | --- | --- | --- |")
    print(f"| add 1 GiB vs b3sum + cp | {t('kiln add 1 GiB'):.2f} s vs {t('b3sum+cp 1 GiB'):.2f} s | {ratio(t('kiln add 1 GiB'), t('b3sum+cp 1 GiB'))} | ≤ 1.5× |")
    print(f"| add 1 GiB vs dvc add | {t('kiln add 1 GiB'):.2f} s vs {t('dvc add 1 GiB'):.2f} s | {ratio(t('dvc add 1 GiB'), t('kiln add 1 GiB'))} faster | ≥ 3× |")
    print(f"| add 20,000 files vs dvc add | {t('kiln add 20k'):.2f} s vs {t('dvc add 20k'):.2f} s | {ratio(t('dvc add 20k'), t('kiln add 20k'))} faster | ≥ 10× |")
    print(f"| add 20,000 files vs cp -r of them | {t('kiln add 20k'):.2f} s vs {t('cp 20k'):.2f} s | {ratio(t('kiln add 20k'), t('cp 20k'))} | (the floor) |")
    print(f"| no-op status vs dvc data status | {t('kiln status'):.3f} s vs {t('dvc status'):.2f} s | {ratio(t('dvc status'), t('kiln status'))} faster | < 0.2 s and ≥ 10× |")
    print(f"| checkout 20,000 files vs dvc checkout | {t('kiln checkout'):.2f} s vs {t('dvc checkout'):.2f} s | {ratio(t('dvc checkout'), t('kiln checkout'))} faster | ≥ 5× |")
    print(f"| peak memory, add / status of 200,000 files | {rows['kiln add 200k'][1]:.0f} / {rows['kiln status 200k'][1]:.0f} MiB | | < 500 MiB |")


def bench_links(runs, on=None):
    """Add and checkout where no copy bounds them (hard links, symlinks),
    the copy floor, and the cost of a partial pull; the files and
    repositories under `on` where given (another file system)."""
    root = on or WORK
    root.mkdir(parents=True, exist_ok=True)
    dev, fs = subprocess.run(["df", "-T", str(root)], capture_output=True, text=True).stdout.split("\n")[1].split()[:2]
    # ext4 without a journal skips inodes freed in the last minutes when it
    # allocates one, which the preparation's deletions make costly.
    jbd2 = Path("/proc/fs/jbd2")
    journal = jbd2.exists() and any(p.name.startswith(Path(dev).name + "-") for p in jbd2.iterdir())
    print(f"\n## links: add and checkout by link mode, vs dvc; partial pulls "
          f"(in {root}: {fs} on {dev}, {'with' if journal else 'without'} a journal)", flush=True)
    small = root / "data" / "files20k"
    print("generating 20,000 files of 50 KiB…", flush=True)
    make_files(small, 20_000, 50 * 1024, 100)
    repos = root / "repos"
    rows = {}
    rows["cp+sync"] = timed(
        "cp -r + sync, 20,000 × 50 KiB",
        plain_copy(repos, small, "files"),
        lambda cwd: ["sh", "-c", "cp -r files copy && sync"],
        runs,
    )
    for mode in ("copy", "hardlink", "symlink"):
        links = None if mode == "copy" else mode
        for kind, add, checkout in (
            ("kiln", [KILN, "add", "files"], [KILN, "checkout"]),
            ("dvc", [tool("dvc"), "add", "-q", "files"], [tool("dvc"), "checkout", "-q"]),
        ):
            rows[f"{kind} add {mode}"] = timed(
                f"{kind} add, {mode}, 20,000 × 50 KiB",
                fresh_repo(repos, kind, small, "files", links),
                lambda cwd, add=add: add,
                runs,
            )
            rows[f"{kind} checkout {mode}"] = timed(
                f"{kind} checkout, {mode}, 20,000 files",
                emptied_repo(repos / kind),
                lambda cwd, checkout=checkout: checkout,
                runs,
            )

    # A partial pull: one folder of the hundred, against the whole.
    repo = fresh_repo(repos, "kiln", small, "files")()
    remote = repos / "links-remote"
    shutil.rmtree(remote, ignore_errors=True)
    sh([KILN, "remote", "add", "shelf", str(remote), "--default"], cwd=repo)
    sh([KILN, "add", "files"], cwd=repo)
    sh([KILN, "push"], cwd=repo)

    def wiped():
        shutil.rmtree(repo / ".kiln" / "cache", ignore_errors=True)
        shutil.rmtree(repo / ".kiln" / "state", ignore_errors=True)
        shutil.rmtree(repo / "files", ignore_errors=True)
        return repo
    rows["pull all"] = timed("kiln pull, 20,000 files", wiped, lambda cwd: [KILN, "pull"], runs)
    rows["pull part"] = timed("kiln pull files/d000 (200 files)", wiped, lambda cwd: [KILN, "pull", "files/d000"], runs)

    floor = symlink_floor(repos / "symfloor", runs)
    t = lambda k: rows[k][0]
    print("\n| target | measured | ratio | goal |")
    print("| --- | --- | --- | --- |")
    for mode in ("hardlink", "symlink"):
        for op in ("add", "checkout"):
            k, d = t(f"kiln {op} {mode}"), t(f"dvc {op} {mode}")
            print(f"| {op}, {mode}, vs dvc | {k:.2f} s vs {d:.2f} s | {ratio(d, k)} faster | ≥ 10× |")
    k, d = t("kiln checkout copy"), t("dvc checkout copy")
    print(f"| checkout, copy, vs dvc | {k:.2f} s vs {d:.2f} s | {ratio(d, k)} faster | ≥ 5× |")
    k, d = t("kiln add copy"), t("dvc add copy")
    print(f"| add, copy, vs dvc | {k:.2f} s vs {d:.2f} s | {ratio(d, k)} faster | (bound by the copy) |")
    print(f"| add, copy, vs cp -r + sync | {t('kiln add copy'):.2f} s vs {t('cp+sync'):.2f} s | {ratio(t('kiln add copy'), t('cp+sync'))} | ≤ 1.1× |")
    print(f"| pull of 1% of a folder vs all of it | {t('pull part'):.2f} s vs {t('pull all'):.2f} s | {100 * t('pull part') / t('pull all'):.1f}% | in proportion |")
    print(f"| symlink(2) alone, 20,000 links on 2 threads (the floor of a symlink checkout) | {floor:.2f} s | "
          f"10× dvc would be {t('dvc checkout symlink') / 10:.2f} s | |")


def symlink_floor(root, runs):
    """What the kernel alone takes to make 20,000 symlinks in 100 folders on
    two threads, right after the previous 20,000 were deleted (as each
    checkout's preparation deletes them), with targets as long as an object
    path: the floor under any tool's symlink checkout here."""
    import threading

    target = str(root / ".kiln" / "cache" / "ab" / ("c" * 62))
    names = [root / "files" / f"d{i // 200:03}" / f"f{i:05}" for i in range(20_000)]

    def make():
        for i in range(100):
            (root / "files" / f"d{i:03}").mkdir(parents=True, exist_ok=True)
        threads = [threading.Thread(target=lambda part=names[k::2]: [os.symlink(target, n) for n in part])
                   for k in range(2)]
        start = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        return time.perf_counter() - start

    times = []
    for _ in range(runs):
        make()
        shutil.rmtree(root / "files")
        os.sync()
        times.append(make())
        shutil.rmtree(root / "files")
    result = statistics.median(times)
    print(f"  {'symlink(2) alone, 20,000 links, 2 threads':<44} {result:8.3f} s", flush=True)
    return result


GEN_TABLE = """
import polars as pl, sys
n, csv, parquet = int(sys.argv[1]), sys.argv[2], sys.argv[3]
i = pl.int_range(0, n, eager=True)
df = pl.DataFrame({
    "id": i,
    "name": "user_" + i.cast(pl.String),
    "age": (i * 7919) % 121,
    "score": ((i * 104729) % 10000).cast(pl.Float64) / 100.0,
    "category": pl.Series(["a", "b", "c", "d", "e"])[(i * 31) % 5],
    "created": pl.date_range(pl.date(2020, 1, 1), pl.date(2029, 12, 31), eager=True).gather((i * 13) % 3653),
})
df.write_csv(csv)
df.write_parquet(parquet)
"""

SCHEMA_YAML = """\
rows: {min: 1}
fields:
  - name: id
    type: integer
    constraints: {required: true, unique: true}
  - name: name
    type: string
    constraints: {required: true, pattern: "user_[0-9]+"}
  - name: age
    type: integer
    constraints: {minimum: 0, maximum: 120}
  - name: score
    type: number
    constraints: {minimum: 0, maximum: 100}
  - name: category
    type: string
    constraints: {enum: [a, b, c, d, e]}
  - name: created
    type: date
"""

SCHEMA_JSON = {
    "fields": [
        {"name": "id", "type": "integer", "constraints": {"required": True, "unique": True}},
        {"name": "name", "type": "string", "constraints": {"required": True, "pattern": "user_[0-9]+"}},
        {"name": "age", "type": "integer", "constraints": {"minimum": 0, "maximum": 120}},
        {"name": "score", "type": "number", "constraints": {"minimum": 0, "maximum": 100}},
        {"name": "category", "type": "string", "constraints": {"enum": ["a", "b", "c", "d", "e"]}},
        {"name": "created", "type": "date"},
    ]
}

# Each prints the seconds its own work took (after Python and imports start).
POLARS_READ = """
import polars as pl, sys, time
t = time.perf_counter()
df = pl.read_csv(sys.argv[1], infer_schema=False)
print(time.perf_counter() - t)
"""

PANDERA = """
import sys, time
import polars as pl
import pandera.polars as pa

class Table(pa.DataFrameModel):
    id: int = pa.Field(nullable=False, unique=True)
    name: str = pa.Field(nullable=False, str_matches=r"^user_[0-9]+$")
    age: int = pa.Field(nullable=True, ge=0, le=120)
    score: float = pa.Field(nullable=True, ge=0, le=100)
    category: str = pa.Field(nullable=True, isin=["a", "b", "c", "d", "e"])
    created: pl.Date = pa.Field(nullable=True)

    @pa.dataframe_check
    def has_rows(cls, data) -> bool:
        return data.lazyframe.select(pl.len()).collect().item() >= 1

t = time.perf_counter()
path = sys.argv[1]
df = pl.read_parquet(path) if path.endswith(".parquet") else pl.read_csv(path, try_parse_dates=True)
Table.validate(df, lazy=True)
print(time.perf_counter() - t)
"""


class Sampler:
    """Peak resident and anonymous memory of a process tree, polled from /proc."""

    def __init__(self, pid):
        self.pid, self.rss, self.anon = pid, 0, 0

    def poll(self):
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        self.rss = max(self.rss, int(line.split()[1]) // 1024)
                    elif line.startswith("RssAnon:"):
                        self.anon = max(self.anon, int(line.split()[1]) // 1024)
        except OSError:
            pass


def measure_memory(cmd, cwd=None):
    """Runs cmd once; returns (seconds, peak RSS MiB, peak anonymous MiB)."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    s = Sampler(p.pid)
    while p.poll() is None:
        s.poll()
        time.sleep(0.02)
    return time.perf_counter() - start, s.rss, s.anon


def under_memory_limit(cmd, limit, cwd=None):
    """Runs cmd in a memory cgroup capped at `limit` bytes (page cache
    included); returns (seconds, exit code, times the cap was hit), or None
    where no cgroup can be made (not root, no memory controller)."""
    for base, cap in (("/sys/fs/cgroup", "memory.max"), ("/sys/fs/cgroup/memory", "memory.limit_in_bytes")):
        group = Path(base) / f"kiln-bench-{os.getpid()}"
        try:
            group.mkdir()
        except OSError:
            continue
        try:
            (group / cap).write_text(str(limit))
            procs = group / "cgroup.procs"
            start = time.perf_counter()
            p = subprocess.Popen(
                cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                preexec_fn=lambda: procs.write_text(str(os.getpid())),
            )
            code = p.wait()
            elapsed = time.perf_counter() - start
            events = group / ("memory.events" if cap == "memory.max" else "memory.failcnt")
            text = events.read_text()
            hits = int(text.split("max ")[1].split()[0]) if cap == "memory.max" else int(text)
            return elapsed, code, hits
        except OSError:
            continue
        finally:
            try:
                group.rmdir()
            except OSError:
                pass
    return None


def inner_time(script, *args, runs=3):
    """Median of the seconds a Python script reports for its own work."""
    out = []
    for _ in range(runs):
        r = subprocess.run([str(VENV / "bin" / "python"), "-c", script, *map(str, args)], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"bench: python script failed: {r.stderr.strip()[-2000:]}")
        out.append(float(r.stdout.strip().splitlines()[-1]))
    return statistics.median(out)


def first_rows(csv, dest, rows=1_000_000):
    """The header and the first `rows` rows of a CSV (made once), for the
    tools too slow to read the whole file."""
    if not dest.exists():
        with open(csv) as src, open(dest, "w") as dst:
            for i, line in enumerate(src):
                if i > rows:
                    break
                dst.write(line)
    return dest


def bench_validate(runs):
    import json

    print("\n## validate: kiln check vs polars, pandera, frictionless", flush=True)
    data = WORK / "data"
    data.mkdir(parents=True, exist_ok=True)
    csv, parquet = data / "table5m.csv", data / "table5m.parquet"
    if not csv.exists() or not parquet.exists():
        print("generating 5,000,000 rows…", flush=True)
        sh([VENV / "bin" / "python", "-c", GEN_TABLE, "5000000", csv, parquet])
    repo = git_repo(WORK / "repos" / "validate", "kiln")
    (repo / "table.yaml").write_text(SCHEMA_YAML)
    (repo / "table.json").write_text(json.dumps(SCHEMA_JSON))
    print(f"  CSV {csv.stat().st_size / 1e6:.0f} MB, Parquet {parquet.stat().st_size / 1e6:.0f} MB", flush=True)
    check = lambda path: lambda cwd: [KILN, "check", "--no-cache", "--schema", "table.yaml", str(path)]
    rows = {}
    rows["kiln csv"] = timed("kiln check, 5M-row CSV", lambda: repo, check(csv), runs)
    rows["kiln parquet"] = timed("kiln check, 5M-row Parquet", lambda: repo, check(parquet), runs)
    polars_read = inner_time(POLARS_READ, csv, runs=runs)
    print(f"  {'polars read_csv (all strings), in-process':<44} {polars_read:8.3f} s", flush=True)
    pandera_csv = inner_time(PANDERA, csv, runs=runs)
    print(f"  {'pandera (polars), read + validate CSV':<44} {pandera_csv:8.3f} s", flush=True)
    pandera_pq = inner_time(PANDERA, parquet, runs=runs)
    print(f"  {'pandera (polars), read + validate Parquet':<44} {pandera_pq:8.3f} s", flush=True)
    first = first_rows(csv, data / "table1m.csv")
    # frictionless reads only paths below its working folder.
    (data / "table.json").write_text(json.dumps(SCHEMA_JSON))
    fl = timed(
        "frictionless validate, first 1M rows",
        lambda: data,
        lambda cwd: [tool("frictionless"), "validate", "--schema", "table.json", first.name],
        1,
    )[0]
    kiln_1m = timed("kiln check, first 1M rows", lambda: repo, check(first), runs)[0]

    big = data / "table-big.csv"
    if not big.exists():
        print("generating a CSV over 2 GiB…", flush=True)
        with open(big, "w") as dst:
            with open(csv) as src:
                header = src.readline()
                body = src.read()
            dst.write(header)
            while dst.tell() < (2 << 30) + (64 << 20):
                dst.write(body)
    # The big file repeats ids on purpose: the unique check fails, which also
    # exercises the bounded second pass.
    t, rss, anon = measure_memory([KILN, "check", "--no-cache", "--schema", "table.yaml", str(big)], cwd=repo)
    print(f"  {'kiln check, %.1f GiB CSV' % (big.stat().st_size / 2**30):<44} {t:8.3f} s {rss:8.0f} MiB RSS, {anon:.0f} MiB anonymous", flush=True)

    capped = under_memory_limit([KILN, "check", "--no-cache", "--schema", "table.yaml", str(big)], 1 << 30, cwd=repo)
    if capped is None:
        print("  (no memory cgroup available: the 1 GiB-capped run is skipped)")
    else:
        ct, code, hits = capped
        # Exit 1 is the expected verdict (the repeated ids); 137 would be the OOM killer.
        print(f"  {'same, capped at 1 GiB (page cache counted)':<44} {ct:8.3f} s exit {code}, cap reached {hits} times", flush=True)

    k = rows["kiln csv"][0]
    print("\n| target | measured | ratio | goal |")
    print("| --- | --- | --- | --- |")
    print(f"| check 5M-row CSV vs polars reading it | {k:.2f} s vs {polars_read:.2f} s | {k / polars_read:.2f}× | ≤ 1.5× |")
    print(f"| check vs frictionless, first 1M rows | {kiln_1m:.2f} s vs {fl:.1f} s | {fl / kiln_1m:.0f}× faster | ≥ 50× |")
    print(f"| check vs pandera (polars), CSV | {k:.2f} s vs {pandera_csv:.2f} s | {pandera_csv / k:.1f}× faster | ≥ 1× |")
    print(f"| check vs pandera (polars), Parquet | {rows['kiln parquet'][0]:.2f} s vs {pandera_pq:.2f} s | {pandera_pq / rows['kiln parquet'][0]:.1f}× faster | ≥ 1× |")
    print(f"| peak memory, {big.stat().st_size / 2**30:.1f} GiB CSV | {rss:.0f} MiB RSS ({anon:.0f} MiB anonymous) | | < 1 GiB |")
    if capped is not None:
        verdict = "completes" if capped[1] in (0, 1) else f"fails (exit {capped[1]})"
        print(f"| same check in a 1 GiB memory cgroup | {verdict} in {capped[0]:.1f} s | | < 1 GiB |")


# Issue 12's tables: an integer id (required, unique), an integer age (a
# range), a number, a string with a pattern, an enum, a datetime, a time, a
# boolean, a year and a date in another format; clean, and with 0.1% and 1%
# of rows broken, each broken row in one way (a value out of range, an empty
# required cell, a value outside the enum, a non-number in the number
# column, a malformed timestamp). Text (CSV) and typed (Parquet; only the
# breaks a typed column can hold).
GEN_VERDICTS = """
import polars as pl, sys
n, broken, csv, parquet = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
i = pl.int_range(0, n, eager=True)
ts = pl.datetime_range(pl.datetime(2024, 1, 1), pl.datetime(2024, 12, 31), "1m", eager=True)
df = pl.DataFrame({
    "id": i,
    "age": (i * 7919) % 121,
    "score": ((i * 104729) % 10000).cast(pl.Float64) / 100.0,
    "name": "user_" + i.cast(pl.String),
    "category": pl.Series(["a", "b", "c", "d", "e"])[(i * 31) % 5],
    "ts": ts.gather((i * 13) % len(ts)).dt.strftime("%Y-%m-%dT%H:%M:%S"),
    "t": ts.gather((i * 17) % len(ts)).dt.strftime("%H:%M:%S"),
    "flag": (i % 3) == 0,
    "yr": 1990 + (i * 7) % 40,
    "d": ts.gather((i * 19) % len(ts)).dt.strftime("%d/%m/%Y"),
})
text = df.with_columns(pl.all().cast(pl.String))
every = int(1 / broken) if broken else 0
if every:
    k = (i % every == 0) & (i > 0)
    kind = (i // every) % 5
    text = text.with_columns(
        age=pl.when(k & (kind == 0)).then(pl.lit("500")).otherwise(pl.col("age")),
        name=pl.when(k & (kind == 1)).then(pl.lit("")).otherwise(pl.col("name")),
        category=pl.when(k & (kind == 2)).then(pl.lit("z")).otherwise(pl.col("category")),
        score=pl.when(k & (kind == 3)).then(pl.lit("n/a")).otherwise(pl.col("score")),
        ts=pl.when(k & (kind == 4)).then(pl.lit("2024-13-45T99:00")).otherwise(pl.col("ts")),
    )
    typed = df.with_columns(
        age=pl.when(k & (kind == 0)).then(500).otherwise(pl.col("age")),
        name=pl.when(k & (kind == 1)).then(None).otherwise(pl.col("name")),
        category=pl.when(k & (kind == 2)).then(pl.lit("z")).otherwise(pl.col("category")),
    )
else:
    typed = df
text.write_csv(csv)
typed.with_columns(pl.col("ts").str.to_datetime(strict=False), pl.col("t").str.to_time(strict=False)).write_parquet(parquet)
"""

VERDICTS_SCHEMA = """\
fields:
  - {name: id, type: integer, constraints: {required: true, unique: true}}
  - {name: age, type: integer, constraints: {minimum: 0, maximum: 120}}
  - {name: score, type: number}
  - {name: name, type: string, constraints: {required: true, pattern: "user_[0-9]+"}}
  - {name: category, type: string, constraints: {enum: [a, b, c, d, e]}}
  - {name: ts, type: datetime}
  - {name: t, type: time}
  - {name: flag, type: boolean, trueValues: ["true"], falseValues: ["false"]}
  - {name: yr, type: year}
  - {name: d, type: date, format: "%d/%m/%Y"}
"""

PANDERA_VERDICTS = """
import sys, time
import polars as pl
import pandera.polars as pa

class Table(pa.DataFrameModel):
    id: int = pa.Field(nullable=False, unique=True)
    age: int = pa.Field(nullable=True, ge=0, le=120)
    score: float = pa.Field(nullable=True)
    name: str = pa.Field(nullable=False, str_matches=r"^user_[0-9]+$")
    category: str = pa.Field(nullable=True, isin=["a", "b", "c", "d", "e"])
    ts: pl.Datetime = pa.Field(nullable=True)
    t: pl.Time = pa.Field(nullable=True)
    flag: bool = pa.Field(nullable=True)
    yr: int = pa.Field(nullable=True, ge=0)
    d: pl.Date = pa.Field(nullable=True)
    class Config:
        coerce = True

t = time.perf_counter()
path = sys.argv[1]
if path.endswith(".csv"):
    df = pl.read_csv(path, infer_schema=False).with_columns(
        pl.col("ts").str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False),
        pl.col("t").str.to_time("%H:%M:%S", strict=False),
        pl.col("d").str.to_date("%d/%m/%Y", strict=False),
        pl.col("flag") == "true",
    )
else:
    df = pl.read_parquet(path).with_columns(pl.col("d").str.to_date("%d/%m/%Y", strict=False))
try:
    Table.validate(df, lazy=True)
except (pa.errors.SchemaErrors, pa.errors.SchemaError):
    pass
print(time.perf_counter() - t)
"""

POLARS_READ_ANY = """
import polars as pl, sys, time
t = time.perf_counter()
p = sys.argv[1]
df = pl.read_csv(p, infer_schema=False) if p.endswith(".csv") else pl.read_parquet(p)
print(time.perf_counter() - t)
"""


def bench_verdicts(runs):
    import json

    print("\n## verdicts: the issue's tables, clean and broken, kiln vs polars, pandera, frictionless", flush=True)
    data = WORK / "verdicts"
    data.mkdir(parents=True, exist_ok=True)
    repo = git_repo(WORK / "repos" / "verdicts", "kiln")
    (repo / "t.yaml").write_text(VERDICTS_SCHEMA)
    print("| table | kiln | polars read | × polars | pandera | × faster than pandera | frictionless (1M rows, every error) | × faster than frictionless | verdict |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for broken in (0.0, 0.001, 0.01):
        csv, parquet = data / f"t-{broken}.csv", data / f"t-{broken}.parquet"
        if not csv.exists():
            sh([VENV / "bin" / "python", "-c", GEN_VERDICTS, "5000000", str(broken), csv, parquet])
        for path in (csv, parquet):
            cmd = lambda cwd, path=path: [KILN, "check", "--no-cache", "--schema", "t.yaml", str(path)]
            k = timed(f"kiln check {path.name}", lambda: repo, cmd, runs, ok=(0, 1))[0]
            code = subprocess.run(cmd(repo), cwd=repo, capture_output=True).returncode
            pr = inner_time(POLARS_READ_ANY, path, runs=runs)
            pd = inner_time(PANDERA_VERDICTS, path, runs=runs)
            fl_text = ""
            if path.suffix == ".csv":
                first = first_rows(path, data / f"first-{path.name}")
                import yaml

                (data / "t.json").write_text(json.dumps(yaml.safe_load(VERDICTS_SCHEMA)))
                # Every error, as kiln counts every one: by default frictionless
                # stops at its thousandth, a tenth of the way into the 1%-broken
                # table, and its time would be that of a tenth of the rows.
                fl = timed("frictionless, first 1M rows", lambda: data,
                           lambda cwd, first=first: [tool("frictionless"), "validate", "--limit-errors", "0",
                                                     "--schema", "t.json", first.name], 1,
                           ok=(0, 1))[0]
                k1 = timed("kiln, first 1M rows", lambda: repo,
                           lambda cwd, first=first: [KILN, "check", "--no-cache", "--schema", "t.yaml", str(first)], runs,
                           ok=(0, 1))[0]
                fl_text = f"{fl:.1f} s | {fl / k1:.0f}×"
            else:
                fl_text = "– | –"
            verdict = {0: "valid", 1: "invalid"}.get(code, f"exit {code}")
            print(f"| {path.name} | {k:.2f} s | {pr:.2f} s | {k / pr:.2f}× | {pd:.2f} s | {pd / k:.1f}× | {fl_text} | {verdict} |", flush=True)


# A pre-training corpus: 500 shards of documents (an id, a text, metadata
# {url, lang}) with planted faults: blank texts, over-long texts, texts
# repeated across shards, a language outside the list; and an evaluation
# set of which 1% is also in the training set.
GEN_CORPUS = r"""
import sys, numpy as np, polars as pl, zstandard
from pathlib import Path
docs, shards, root = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
rng = np.random.default_rng(7)
vocab = np.array([f"w{i}" for i in range(5000)])
langs = np.array(["en", "fr", "de", "es"])
per = docs // shards
def texts(n, start):
    lengths = rng.integers(5, 30, n)
    words = vocab[rng.integers(0, len(vocab), lengths.sum())]
    out, at = [], 0
    for i, k in enumerate(lengths):
        out.append(f"doc {start + i} " + " ".join(words[at:at + k]))
        at += k
    return out
def write(df, folder, name):
    for fmt in ("parquet", "jsonl"):
        d = root / fmt / folder
        d.mkdir(parents=True, exist_ok=True)
        if fmt == "parquet":
            df.write_parquet(d / f"{name}.parquet")
        else:
            raw = df.write_ndjson().encode()
            (d / f"{name}.jsonl.zst").write_bytes(zstandard.ZstdCompressor(level=3).compress(raw))
kept = []
for s in range(shards):
    start = s * per
    t = texts(per, start)
    for i in range(per):
        r = rng.random()
        if r < 0.0005: t[i] = ""
        elif r < 0.001: t[i] = "   "
        elif r < 0.0012: t[i] = " ".join(["long"] * 500)
        elif r < 0.0112 and kept: t[i] = kept[rng.integers(0, len(kept))]
    kept.extend(t[:: max(1, per // 50)])
    lang = langs[rng.integers(0, 4, per)].astype(object)
    lang[rng.random(per) < 0.001] = "xx"
    df = pl.DataFrame({"id": np.arange(start, start + per), "text": t}).with_columns(
        meta=pl.struct(url=pl.format("https://site{}.example/{}", pl.col("id") % 1000, pl.col("id")),
                       lang=pl.Series(lang.tolist())))
    write(df, "train", f"part-{s:05}")
    if s % 100 == 0:
        print(f"shard {s}", file=sys.stderr, flush=True)
n_eval = max(1000, docs // 100)
ev = texts(n_eval, docs)
for i in range(0, n_eval, 100):
    ev[i] = kept[rng.integers(0, len(kept))]
write(pl.DataFrame({"id": np.arange(docs, docs + n_eval), "text": ev}), "eval", "eval")
"""

CORPUS_SCHEMA = """fields:
  - {name: id, type: integer}
  - name: text
    type: string
    constraints: {required: true, notBlank: true, maxLength: 2000, unique: true}
  - {name: meta.lang, type: string, constraints: {enum: [en, fr, de, es]}}
  - {name: meta.url, type: string}
disjoint:
  - {dataset: FMT/eval, fields: [text]}
"""

# The same checks: blank texts, texts over 2,000 characters, repeated
# texts, languages outside the list, texts also in the evaluation set.
DUCKDB_CORPUS = r"""
import sys, time, duckdb
root, fmt = sys.argv[1], sys.argv[2]
def src(g):
    if fmt == "parquet":
        return f"read_parquet('{root}/{fmt}/{g}/*.parquet')"
    return f"read_json('{root}/{fmt}/{g}/*.jsonl.zst', format='newline_delimited', compression='zstd')"
t = time.perf_counter()
con = duckdb.connect()
q = (f"SELECT count(*) FILTER (WHERE trim(text) = ''), count(*) FILTER (WHERE length(text) > 2000), "
     f"count(text) - count(DISTINCT text), count(*) FILTER (WHERE meta.lang NOT IN ('en', 'fr', 'de', 'es')), "
     f"(SELECT count(*) FROM {src('train')} WHERE text IN (SELECT text FROM {src('eval')})) FROM {src('train')}")
print(con.execute(q).fetchall(), file=sys.stderr)
print(time.perf_counter() - t)
"""

POLARS_CORPUS = r"""
import sys, time, polars as pl
root, fmt = sys.argv[1], sys.argv[2]
def scan(g):
    if fmt == "parquet":
        return pl.scan_parquet(f"{root}/{fmt}/{g}/*.parquet")
    return pl.scan_ndjson(f"{root}/{fmt}/{g}/*.jsonl.zst")
t = time.perf_counter()
text = pl.col("text")
ev = scan("eval").select("text").collect()["text"]
r = scan("train").select(
    blank=(text.str.strip_chars() == "").sum(), long=(text.str.len_chars() > 2000).sum(),
    repeats=text.count() - text.n_unique(),
    lang=(~pl.col("meta").struct.field("lang").is_in(["en", "fr", "de", "es"])).sum(),
    leaked=text.is_in(ev.implode()).sum(),
).collect(engine="streaming")
print(r, file=sys.stderr)
print(time.perf_counter() - t)
"""

DATATROVE_DEDUP = r"""
import sys, time, tempfile
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import ParquetReader, JsonlReader
from datatrove.pipeline.dedup.exact_dedup import ExactDedupSignature, ExactFindDedups, ExactDedupConfig
root, fmt = sys.argv[1], sys.argv[2]
work = tempfile.mkdtemp()
def content(doc) -> bytes:
    return doc.text.encode()
cfg = ExactDedupConfig(content_getter=content)
src = f"{root}/{fmt}/train"
if fmt == "parquet":
    reader = ParquetReader(src, glob_pattern="*.parquet")
else:
    reader = JsonlReader(src, glob_pattern="*.jsonl.zst", compression="zstd")
t = time.perf_counter()
LocalPipelineExecutor([reader, ExactDedupSignature(f"{work}/sigs", cfg)], tasks=2, workers=2, logging_dir=f"{work}/l1").run()
LocalPipelineExecutor([ExactFindDedups(f"{work}/sigs", f"{work}/dups", cfg)], tasks=1, logging_dir=f"{work}/l2").run()
print(time.perf_counter() - t)
"""


NEW_SHARDS = r"""
import sys, time, polars as pl
train, outs = sys.argv[1], sys.argv[2:]
salt = time.time_ns()  # never seen before, so never in a cache
for i, out in enumerate(outs):
    df = pl.read_parquet(f"{train}/part-{i:05d}.parquet")
    df.with_columns(pl.col("text") + f" new{i}-{salt}").write_parquet(out)
"""


def bench_corpus(runs, docs):
    print(f"\n## corpus: {docs:,} documents in 500 shards, kiln vs DuckDB, polars, datatrove", flush=True)
    repo = WORK / "repos" / "corpus"
    marker = repo / f".generated-{docs}"
    if not marker.exists():
        repo = git_repo(repo, "kiln")
        print("generating the corpus…", flush=True)
        sh([VENV / "bin" / "python", "-c", GEN_CORPUS, str(docs), "500", str(repo)], quiet=False)
        marker.write_text("")
    print("| form | kiln | DuckDB | polars | datatrove (duplicates only) | kiln peak memory | verdict |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for fmt in ("parquet", "jsonl"):
        (repo / f"{fmt}.yaml").write_text(CORPUS_SCHEMA.replace("FMT", fmt))
        cmd = lambda cwd, fmt=fmt: [KILN, "check", "--no-cache", "--schema", f"{fmt}.yaml", f"{fmt}/train"]
        k = timed(f"kiln check {fmt}", lambda: repo, cmd, runs, ok=(0, 1))[0]
        if fmt == "parquet":
            full = k
        _, rss, _ = measure_memory(cmd(repo), cwd=repo)
        code = subprocess.run(cmd(repo), cwd=repo, capture_output=True).returncode
        dd = inner_time(DUCKDB_CORPUS, repo, fmt, runs=runs)
        pl_ = inner_time(POLARS_CORPUS, repo, fmt, runs=runs)
        dt = inner_time(DATATROVE_DEDUP, repo, fmt, runs=1)
        verdict = {0: "valid", 1: "invalid"}.get(code, f"exit {code}")
        print(f"| {fmt} | {k:.2f} s | {dd:.2f} s | {pl_:.2f} s | {dt:.1f} s | {rss:.0f} MiB | {verdict} |", flush=True)
    # A re-check after 1% more shards: five new shards, the rest cached.
    train = repo / "parquet" / "train"
    new = [train / f"zz-new-{i}.parquet" for i in range(5)]
    check = [KILN, "check", "--schema", "parquet.yaml", "parquet/train"]

    def five_new_shards():
        # The 500 checked and cached, then new documents (each text
        # changed, differently each run), so the new shards are read and
        # their keys merged, not answered by the cache.
        for f in new:
            f.unlink(missing_ok=True)
        sh(check, cwd=repo, check=False)
        sh([VENV / "bin" / "python", "-c", NEW_SHARDS, str(train)] + [str(f) for f in new])
        return repo

    recheck = timed("kiln re-check, 5 new shards of 505", five_new_shards, lambda cwd: check, runs, ok=(0, 1))[0]
    for f in new:
        f.unlink()
    print(f"\nre-check after adding 1% new shards: {recheck:.3f} s, {recheck / full:.1%} of the full check",
          flush=True)


# Two versions of a 5M-row table; the second shifts `income` (×1.25) and
# the mix of `country`, and draws every other column afresh from the same
# distribution (so sampling noise must not be flagged).
GEN_DRIFT = r"""
import sys, numpy as np, polars as pl
rows, out = int(sys.argv[1]), sys.argv[2]
countries = ["us", "de", "fr", "in", "br", "jp", "gb", "ca", "mx", "es"]
mix = [.30, .12, .10, .10, .08, .08, .07, .06, .05, .04]
moved = [.15, .12, .10, .25, .08, .08, .07, .06, .05, .04]
def version(seed, shifted):
    rng = np.random.default_rng(seed)
    return pl.DataFrame({
        "age": rng.normal(40, 12, rows).round().astype(np.int64),
        "income": rng.lognormal(10.5, 0.6, rows) * (1.25 if shifted else 1.0),
        "score": rng.uniform(0, 1, rows),
        "country": rng.choice(countries, rows, p=moved if shifted else mix),
        "device": rng.choice(["mobile", "desktop", "tablet"], rows, p=[.6, .3, .1]),
        "clicks": rng.poisson(3, rows),
    })
version(1, False).write_parquet(f"{out}/v1.parquet")
v2 = version(2, True)
v2.write_parquet(f"{out}/v2.parquet")
v2.write_csv(f"{out}/v2.csv")
"""

DRIFT_SCHEMA = """fields:
  - {name: age, type: integer}
  - {name: income, type: number}
  - {name: score, type: number}
  - {name: country, type: string}
  - {name: device, type: string}
  - {name: clicks, type: integer}
"""

# Evidently's data drift preset, end to end: read both versions, run the
# report, list the columns it flags. Prints the seconds, then the columns.
EVIDENTLY_DRIFT = r"""
import json, sys, time
t = time.perf_counter()
import pandas as pd
ref, cur = pd.read_parquet(sys.argv[1]), pd.read_parquet(sys.argv[2])
try:
    from evidently import Report
    from evidently.presets import DataDriftPreset
    snap = Report([DataDriftPreset()]).run(cur, ref).dict()
    flagged = sorted(m["config"]["column"] for m in snap["metrics"]
                     if m["config"].get("type", "").endswith("ValueDrift")
                     and m["value"] >= m["config"].get("threshold", 0.1))
except ImportError:
    from evidently.legacy.report import Report
    from evidently.legacy.metric_preset import DataDriftPreset
    r = Report(metrics=[DataDriftPreset()])
    r.run(reference_data=ref, current_data=cur)
    table = r.as_dict()["metrics"][1]["result"]["drift_by_columns"]
    flagged = sorted(c for c, v in table.items() if v["drift_detected"])
print(time.perf_counter() - t)
print(json.dumps(flagged))
"""


def bench_drift(runs, before):
    import json

    print("\n## drift: kiln diff --stats between two versions of a 5M-row table vs Evidently", flush=True)
    data = WORK / "drift"
    data.mkdir(parents=True, exist_ok=True)
    if not (data / "v2.csv").exists():
        print("generating the two versions…", flush=True)
        sh([VENV / "bin" / "python", "-c", GEN_DRIFT, "5000000", data], quiet=False)
    repo = git_repo(WORK / "repos" / "drift", "kiln")
    (repo / "t.yaml").write_text(DRIFT_SCHEMA)
    (repo / "data").mkdir()
    for v, first in (("v1", True), ("v2", False)):
        shutil.copy(data / f"{v}.parquet", repo / "data" / "t.parquet")
        sh([KILN, "add", "data/t.parquet", *(["--schema", "t.yaml"] if first else [])], cwd=repo)
        sh(["git", "add", "-A"], cwd=repo)
        sh(["git", "commit", "-qm", v], cwd=repo)

    def uncached():
        shutil.rmtree(repo / ".kiln" / "state", ignore_errors=True)
        return repo

    diff = lambda cwd: [KILN, "diff", "--stats", "HEAD~1", "HEAD", "--json"]
    k = timed("kiln diff --stats, nothing cached", uncached, diff, runs)[0]
    kc = timed("kiln diff --stats, profiles cached", lambda: repo, diff, runs)[0]
    out = json.loads(subprocess.run(diff(repo), cwd=repo, capture_output=True, text=True).stdout)
    kiln_flagged = sorted(c["name"] for c in out[0]["columns"] if c["drifted"])
    ev_times, ev_flagged = [], None
    for _ in range(runs):
        r = subprocess.run([VENV / "bin" / "python", "-c", EVIDENTLY_DRIFT, data / "v1.parquet",
                            data / "v2.parquet"], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"bench: Evidently failed: {r.stderr.strip()[-2000:]}")
        lines = r.stdout.strip().splitlines()
        ev_times.append(float(lines[-2]))
        ev_flagged = json.loads(lines[-1])
    ev = statistics.median(ev_times)
    print(f"  {'Evidently DataDriftPreset (read + report)':<44} {ev:8.3f} s", flush=True)
    print("\n| measure | kiln | Evidently | ratio | goal |")
    print("| --- | --- | --- | --- | --- |")
    print(f"| drift between two 5M-row versions, end to end | {k:.2f} s | {ev:.1f} s | {ev / k:.1f}× faster | ≥ 10× |")
    print(f"| columns flagged | {', '.join(kiln_flagged)} | {', '.join(ev_flagged)} | "
          f"{'same' if kiln_flagged == ev_flagged else 'DIFFERENT'} | same |")
    print(f"| diff --stats with both profiles cached | {kc:.3f} s | | | < 0.1 s |")
    # What the profile adds to a check: this kiln against one without it.
    if before:
        for name in ("v2.parquet", "v2.csv"):
            cmd = lambda b: (lambda cwd: [b, "check", "--no-cache", "--schema", "t.yaml", str(data / name)])
            now = timed(f"kiln check {name}", lambda: repo, cmd(KILN), runs)[0]
            old = timed(f"kiln check {name}, without profiles", lambda: repo, cmd(before), runs)[0]
            print(f"| check {name} with the profile vs without | {now:.2f} s vs {old:.2f} s | | "
                  f"{(now / old - 1) * 100:+.0f}% | ≤ +10% |", flush=True)


def bench_remote():
    print("\n## remote: push and pull against Garage on loopback, vs dvc-s3", flush=True)
    r = subprocess.run(["bash", str(ROOT / "bench" / "remote.sh")], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"bench: remote.sh failed: {r.stderr.strip()[-2000:]}")
    got = {}
    for line in r.stdout.splitlines():
        name, _, value = line.rpartition(": ")
        got[name] = float(value)
        print(f"  {name:<44} {float(value):8.3f} s", flush=True)
    g = lambda k: got[k]
    print("\n| target | measured | ratio | goal |")
    print("| --- | --- | --- | --- |")
    print(f"| push 20,000 × 50 KiB vs dvc push | {g('kiln push many'):.1f} s vs {g('dvc push many'):.1f} s | {g('dvc push many') / g('kiln push many'):.1f}× faster | ≥ 3× |")
    print(f"| pull 20,000 × 50 KiB vs dvc pull | {g('kiln pull many'):.1f} s vs {g('dvc pull many'):.1f} s | {g('dvc pull many') / g('kiln pull many'):.1f}× faster | ≥ 5× |")
    print(f"| push 1 GiB vs dvc push | {g('kiln push big'):.1f} s vs {g('dvc push big'):.1f} s | {g('dvc push big') / g('kiln push big'):.1f}× | ≥ 1× |")
    print(f"| pull 1 GiB vs dvc pull | {g('kiln pull big'):.1f} s vs {g('dvc pull big'):.1f} s | {g('dvc pull big') / g('kiln pull big'):.1f}× | ≥ 1× |")
    print(f"| push with nothing to do, 20,000 objects | {g('kiln no-op push many'):.2f} s (dvc {g('dvc no-op push many'):.1f} s) | | < 1 s |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("section", choices=["store", "links", "validate", "verdicts", "remote", "corpus", "drift", "all"])
    ap.add_argument("--docs", type=int, default=10_000_000, help="documents in the corpus benchmark")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--simd", action="store_true", help="build kiln with polars' SIMD code (nightly Rust)")
    ap.add_argument("--before", type=Path, help="drift: a kiln built without profiles, to time what they add")
    ap.add_argument("--on", type=Path, help="links: the folder to work in (another file system)")
    args = ap.parse_args()
    setup(args.simd)
    print(f"machine: {os.cpu_count()} cores; kiln {KILN}", flush=True)
    if args.section in ("store", "all"):
        bench_store(args.runs)
    if args.section in ("links", "all"):
        bench_links(args.runs, args.on and args.on.resolve())
    if args.section in ("validate", "all"):
        bench_validate(args.runs)
    if args.section in ("verdicts", "all"):
        bench_verdicts(args.runs)
    if args.section in ("remote", "all"):
        bench_remote()
    if args.section in ("corpus", "all"):
        bench_corpus(args.runs, args.docs)
    if args.section in ("drift", "all"):
        bench_drift(args.runs, args.before and args.before.resolve())


if __name__ == "__main__":
    main()
