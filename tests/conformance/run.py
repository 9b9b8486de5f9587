#!/usr/bin/env python3
"""Conformance harness: kiln check vs frictionless-py on generated tables.

Pinned reference implementation (installed in $HOME/.cache/kiln-tools/py,
Python 3.11.7):

    pip install frictionless==5.21.0 ijson==3.6.0 jsonlines==4.0.0 pyarrow==26.0.1

(ijson and jsonlines are frictionless' `json` extra, needed for NDJSON.
pyarrow is optional: without it no Parquet files are written. frictionless'
own Parquet reader needs pandas, so Parquet files are read here with pyarrow
and handed to frictionless as inline rows.)

Usage:

    $HOME/.cache/kiln-tools/py/bin/python tests/conformance/run.py \
        [--kiln PATH] [--json OUT] [--filter TEXT] [--jobs N] [--per-file] \
        [--keep DIR] [--emit-departures FILE]

Every case of cases.py is written in each of its formats into one kiln
repository in a temporary folder (`git init` + `kiln init`). frictionless-py
validates each file in this process; kiln checks them with
`kiln check FILE... --schema SCHEMA --json --no-cache`, one invocation per
distinct schema (a file's exit code is derived from its verdict in the report:
valid 0, invalid 1, unreadable 3; an invocation that exits 2 or leaves a file
out is re-run one file at a time). `--per-file` runs one invocation per file.

A disagreement is a file where the two verdict classes differ: valid,
invalid (kiln exit 1 or 3) or schema-error (kiln exit 2). Exit code 0 when
every disagreement is listed in departures.json (entries: case, format --
or "*" for every format --, clause, frictionless, kiln), 1 otherwise.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cases as cases_mod  # noqa: E402

EXT = {"csv": "csv", "tsv": "tsv", "ndjson": "ndjson", "parquet": "parquet"}
MAX_SAMPLE_ROWS = 5


# ---------------------------------------------------------------------------
# Writing cases
# ---------------------------------------------------------------------------

def field_by_name(schema: dict, name: str):
    for f in schema.get("fields", []):
        if f.get("name") == name:
            return f
    return {}


def missing_values(schema: dict, f: dict) -> list:
    mv = f.get("missingValues", schema.get("missingValues", [""]))
    return [m["value"] if isinstance(m, dict) else m for m in mv]


def render_delimited(header, rows, delim: str) -> str:
    def cell(c: str) -> str:
        if any(ch in c for ch in (delim, '"', "\r", "\n")):
            return '"' + c.replace('"', '""') + '"'
        return c

    lines = []
    if header is not None:
        lines.append(delim.join(cell(c) for c in header))
    for r in rows:
        lines.append(delim.join(cell(c) for c in r))
    return "".join(line + "\n" for line in lines)


# ASCII digits only: `\d` alone would take `１２` for a JSON number
INT_RE = re.compile(r"-?(0|[1-9]\d*)", re.ASCII)
NUM_RE = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?", re.ASCII)
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
TIME_RE = re.compile(r"\d{2}:\d{2}:\d{2}", re.ASCII)
DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?", re.ASCII)
NO_VALUE = object()


def _default_format(f: dict) -> bool:
    return f.get("format", "default") == "default"


def json_value(cell: str, f: dict):
    """The JSON value a producer would write for this cell (not the null case)."""
    if hasattr(cell, "value"):
        return cell.value  # a JSON value given as such
    t = f.get("type", "any")
    if t in ("integer", "number") and (INT_RE.fullmatch(cell) or (t == "number" and NUM_RE.fullmatch(cell))):
        return json.loads(cell)
    if t == "boolean" and "trueValues" not in f and "falseValues" not in f and cell in ("true", "false"):
        return cell == "true"
    if t in ("object", "array"):
        try:
            v = json.loads(cell)
        except ValueError:
            return cell
        if isinstance(v, dict if t == "object" else list):
            return v
    return cell


def typed_value(cell: str, f: dict):
    """A native value for a typed Parquet column, or NO_VALUE."""
    t = f.get("type", "any")
    try:
        if t == "integer" and INT_RE.fullmatch(cell) and -(2**63) <= int(cell) < 2**63:
            return int(cell)
        if t == "number" and NUM_RE.fullmatch(cell):
            return float(cell)
        if t == "boolean" and "trueValues" not in f and "falseValues" not in f and cell in ("true", "false"):
            return cell == "true"
        if t == "date" and _default_format(f) and DATE_RE.fullmatch(cell):
            return dt.date.fromisoformat(cell)
        if t == "time" and _default_format(f) and TIME_RE.fullmatch(cell):
            return dt.time.fromisoformat(cell)
        if t == "datetime" and _default_format(f) and DATETIME_RE.fullmatch(cell):
            return dt.datetime.fromisoformat(cell)
    except ValueError:
        return NO_VALUE
    return NO_VALUE


def render_ndjson(case) -> str:
    if case.json_rows is not None:
        return "".join(json.dumps(dict(zip(case.header, r))) + "\n" for r in case.json_rows)
    out = []
    for r in case.rows:
        obj = {}
        for name, cell in zip(case.header, r):
            f = field_by_name(case.schema, name)
            if cell == "" and "" in missing_values(case.schema, f):
                obj[name] = None
            else:
                obj[name] = json_value(cell, f)
        out.append(json.dumps(obj, ensure_ascii=False))
    return "".join(line + "\n" for line in out)


def write_parquet(case, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrays, names = [], []
    for i, name in enumerate(case.header):
        f = field_by_name(case.schema, name)
        mv = missing_values(case.schema, f)
        cells = [r[i] for r in case.rows]
        typed = []
        for c in cells:
            if c == "" and "" in mv:
                typed.append(None)
                continue
            v = typed_value(c, f)
            if v is NO_VALUE:
                typed = None
                break
            typed.append(v)
        if typed is not None and any(v is not None for v in typed):
            arr = pa.array(typed)
        else:
            arr = pa.array([None if (c == "" and "" in mv) else c for c in cells], type=pa.string())
        arrays.append(arr)
        names.append(name)
    pq.write_table(pa.Table.from_arrays(arrays, names=names), str(path))


def write_case(case, fmt: str, path: Path) -> None:
    if fmt == "csv":
        text = case.csv_text if case.csv_text is not None else render_delimited(case.header, case.rows, ",")
        path.write_bytes(text.encode("utf-8"))
    elif fmt == "tsv":
        path.write_bytes(render_delimited(case.header, case.rows, "\t").encode("utf-8"))
    elif fmt == "ndjson":
        path.write_bytes(render_ndjson(case).encode("utf-8"))
    elif fmt == "parquet":
        write_parquet(case, path)
    else:
        raise ValueError(fmt)


# ---------------------------------------------------------------------------
# frictionless-py
# ---------------------------------------------------------------------------

CONSTRAINT_NOTE = re.compile(r'constraint "([A-Za-z]+)"')
FL_SCHEMA_ERRORS = {"schema-error", "field-error"}
FL_UNREADABLE = {"source-error", "scheme-error", "format-error", "encoding-error", "compression-error",
                 "resource-error", "dialect-error", "control-error"}


def fl_error_type(err) -> str:
    t = err.type
    if t == "constraint-error":
        m = CONSTRAINT_NOTE.search(getattr(err, "note", "") or "")
        if m:
            return f"constraint-error:{m.group(1)}"
    return t


def fl_summarise(errors) -> dict:
    """errors: iterable of (type, field, row, note)."""
    groups: dict = {}
    for t, field, row, note in errors:
        key = f"{t}|{field or ''}"
        g = groups.setdefault(key, {"type": t, "field": field, "count": 0, "rows": [], "note": note})
        g["count"] += 1
        if row is not None and len(g["rows"]) < MAX_SAMPLE_ROWS:
            g["rows"].append(row)
    return {"errors": list(groups.values())}


def fl_exc_message(e) -> str:
    reasons = [r.message for r in getattr(e, "reasons", []) or []]
    return "; ".join(reasons) or e.error.message


def fl_validate(path: Path, fmt: str, schema: dict) -> dict:
    import frictionless
    from frictionless import Dialect, FrictionlessException, Resource, Schema, formats

    # A resource without `$schema` imposes v1 on its table schema; follow the
    # table schema's own `$schema` (cases.py declares v2 on every schema).
    version = "v2" if "/2." in str(schema.get("$schema", "")) else "v1"
    try:
        sch = Schema.from_descriptor(copy.deepcopy(schema))
    except FrictionlessException as e:
        return {"verdict": "schema-error", **fl_summarise([(e.error.type, None, None, fl_exc_message(e))])}
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            table = pq.read_table(str(path))
            data = [table.column_names] + [list(r.values()) for r in table.to_pylist()]
            res = Resource(data=data, schema=sch, datapackage_version=version)
        elif fmt in ("csv", "tsv"):
            # Table Dialect defaults, stated so that frictionless does not sniff
            # a dialect from the sample (it would, e.g., turn on skipInitialSpace).
            delim = "," if fmt == "csv" else "\t"
            res = Resource(path=path.name, basepath=str(path.parent), format=fmt, encoding="utf-8",
                           schema=sch, dialect=Dialect(controls=[formats.CsvControl(
                               delimiter=delim, quote_char='"', double_quote=True, skip_initial_space=False)]),
                           datapackage_version=version)
        else:
            res = Resource(path=path.name, basepath=str(path.parent), format=fmt, encoding="utf-8", schema=sch,
                           datapackage_version=version)
        report = res.validate()
    except FrictionlessException as e:
        t = e.error.type
        verdict = "schema-error" if t in FL_SCHEMA_ERRORS else "invalid"
        return {"verdict": verdict, **fl_summarise([(t, None, None, fl_exc_message(e))])}
    except Exception as e:  # a crash of the reference implementation
        return {"verdict": "crash", **fl_summarise([("python-exception", None, None, f"{type(e).__name__}: {e}")])}
    errs = []
    for task in report.tasks:
        for err in task.errors:
            errs.append((fl_error_type(err), getattr(err, "field_name", None), getattr(err, "row_number", None),
                         getattr(err, "note", "") or getattr(err, "message", "")))
    for err in report.errors:
        errs.append((err.type, None, None, err.message))
    types = {e[0] for e in errs}
    if types & FL_SCHEMA_ERRORS:
        verdict = "schema-error"
    else:
        verdict = "valid" if report.valid else "invalid"
    return {"verdict": verdict, **fl_summarise(errs)}


# ---------------------------------------------------------------------------
# kiln
# ---------------------------------------------------------------------------

KILN_CODE = {"valid": 0, "invalid": 1, "unreadable": 3}


def kiln_file_result(entry: dict) -> dict:
    return {
        "exit": KILN_CODE.get(entry.get("verdict"), 99),
        "verdict": entry.get("verdict"),
        "findings": [
            {"code": x.get("code"), "field": x.get("field"), "count": x.get("count"),
             "severity": x.get("severity"), "rows": [s.get("row") for s in x.get("samples", [])][:MAX_SAMPLE_ROWS],
             "message": x.get("message")}
            for x in entry.get("findings", [])
        ],
        "notChecked": entry.get("notChecked", []),
    }


def run_kiln(kiln: str, repo: Path, rel_paths: list, schema_rel: str, env=None) -> dict:
    """Returns {rel_path: result}; re-runs one file at a time when needed."""
    cmd = [kiln, "check", *rel_paths, "--schema", schema_rel, "--json", "--no-cache", "-q"]
    try:
        p = subprocess.run(cmd, cwd=repo, capture_output=True, text=True, timeout=120, env=env)
    except subprocess.TimeoutExpired:
        if len(rel_paths) > 1:
            return {k: v for rp in rel_paths for k, v in run_kiln(kiln, repo, [rp], schema_rel, env).items()}
        return {rel_paths[0]: {"exit": "timeout", "verdict": None, "findings": [], "notChecked": [], "stderr": ""}}
    report = None
    if p.stdout.strip():
        try:
            report = json.loads(p.stdout)
        except ValueError:
            report = None
    by_path = {}
    if report is not None and p.returncode in (0, 1, 3):
        for entry in report.get("files", []):
            by_path[entry.get("path")] = entry
    if len(rel_paths) > 1 and (p.returncode not in (0, 1, 3) or any(rp not in by_path for rp in rel_paths)):
        return {k: v for rp in rel_paths for k, v in run_kiln(kiln, repo, [rp], schema_rel, env).items()}
    out = {}
    for rp in rel_paths:
        if rp in by_path:
            r = kiln_file_result(by_path[rp])
            if len(rel_paths) == 1:
                r["exit"] = p.returncode
        else:
            r = {"exit": p.returncode, "verdict": None, "findings": [], "notChecked": []}
        r["stderr"] = p.stderr.replace(str(repo) + os.sep, "").strip()[-2000:]
        out[rp] = r
    return out


def kiln_class(k: dict) -> str:
    return {0: "valid", 1: "invalid", 3: "invalid", 2: "schema-error"}.get(k["exit"], "crash")


# ---------------------------------------------------------------------------
# Comparison and output
# ---------------------------------------------------------------------------

def fl_text(fl: dict) -> str:
    parts = [fl["verdict"]]
    if fl["verdict"] in ("schema-error", "crash") and fl["errors"]:
        return f"{fl['verdict']}: {fl['errors'][0]['note'][:160]}"
    errs = [f"{e['type']}({e['field']})×{e['count']}" if e["field"] else f"{e['type']}×{e['count']}"
            for e in fl["errors"]]
    if errs:
        parts.append(" ".join(errs))
    return ": ".join(parts)


def kiln_text(k: dict) -> str:
    parts = [f"exit {k['exit']}"]
    codes = [f"{x['code']}({x['field']})×{x['count']}" if x.get("field") else f"{x['code']}×{x['count']}"
             for x in k["findings"]]
    if codes:
        parts.append(" ".join(codes))
    nc = [f"{n.get('check')}({n.get('field')})" for n in k.get("notChecked", [])]
    if nc:
        parts.append("not checked: " + " ".join(nc))
    if k["exit"] == 2 and k.get("stderr"):
        parts.append(k["stderr"].splitlines()[0][:160])
    return ": ".join(parts)


def disagreement_kind(flv: str, kc: str) -> str:
    if flv == "invalid" and kc == "valid":
        return "kiln-false-valid"
    if flv == "valid" and kc == "invalid":
        return "kiln-false-invalid"
    if kc == "schema-error":
        return "kiln-schema-error"
    if flv == "schema-error":
        return "frictionless-schema-error"
    return f"{flv}/{kc}"


def load_departures(path: Path) -> list:
    if not path.exists():
        return []
    data = json.loads(path.read_text())
    assert isinstance(data, list), "departures.json must be a list"
    return data


def is_departure(departures: list, case: str, fmt: str) -> bool:
    return any(d.get("case") == case and d.get("format") in (fmt, "*") for d in departures)


def work_root(keep, prefix):
    """The folder the cases are written in: `keep` if given (and kept),
    else a temporary folder (removed with the returned handle)."""
    if keep:
        root = Path(keep)
        root.mkdir(parents=True)
        return root, None
    cleanup = tempfile.TemporaryDirectory(prefix=prefix)
    return Path(cleanup.name), cleanup


def init_repo(repo: Path, kiln: str):
    """A new git + kiln repository with data/ and schemas/; an error text, or None."""
    (repo / "data").mkdir(parents=True)
    (repo / "schemas").mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    p = subprocess.run([kiln, "init"], cwd=repo, capture_output=True, text=True)
    if p.returncode != 0:
        return f"kiln init failed ({p.returncode}): {p.stderr}"
    return None


def schema_file(repo: Path, schema: dict, schema_files: dict) -> str:
    """The schema's file in repo/schemas (written once per distinct schema)."""
    text = json.dumps(schema, sort_keys=True, ensure_ascii=False, indent=1)
    h = hashlib.sha256(text.encode()).hexdigest()[:12]
    if h not in schema_files:
        rel = f"schemas/{h}.json"
        (repo / rel).write_text(text, encoding="utf-8")
        schema_files[h] = rel
    return schema_files[h]


def submit_kiln(pool, kiln: str, repo: Path, by_schema: dict, size: int = 48, env=None) -> list:
    """kiln on each schema's files (by_schema: schema_rel -> [rel_path]), `size`
    files an invocation; futures of run_kiln's {rel_path: result}."""
    futures = []
    for srel, rels in by_schema.items():
        for i in range(0, len(rels), size):
            futures.append(pool.submit(run_kiln, kiln, repo, rels[i:i + size], srel, env))
    return futures


def same_reading(a: dict, b: dict) -> bool:
    """Whether two kiln results say the same: exit, and each finding's code,
    field, count, severity and sample rows."""
    keep = lambda r: (r["exit"], [(f["code"], f["field"], f["count"], f["severity"], f["rows"])
                                  for f in r["findings"]])
    return keep(a) == keep(b)


def resolve_kiln(arg) -> str:
    return os.path.abspath(arg) if arg and os.sep in arg else (arg or default_kiln())


def default_kiln() -> str:
    if os.environ.get("KILN"):
        return os.environ["KILN"]
    found = shutil.which("kiln")
    if found:
        return found
    root = HERE.parent.parent
    for p in (root / "target" / "release" / "kiln", root / "target" / "debug" / "kiln"):
        if p.exists():
            return str(p)
    return "kiln"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kiln", default=None, help="kiln binary (default: $KILN, kiln on PATH, target/{release,debug}/kiln)")
    ap.add_argument("--json", dest="json_out", metavar="OUT", help="write the full results here")
    ap.add_argument("--filter", default="", help="only cases whose name contains this text")
    ap.add_argument("--jobs", type=int, default=2, help="kiln processes at once (default 2)")
    ap.add_argument("--per-file", action="store_true", help="one kiln invocation per file")
    ap.add_argument("--keep", metavar="DIR", help="write the cases into DIR (must not exist) and keep them")
    ap.add_argument("--departures", default=str(HERE / "departures.json"))
    ap.add_argument("--both-paths", action="store_true",
                    help="also check every file with KILN_TEST_SLOW_PATHS=1 (no typed read, no "
                         "fingerprinted repeat counting, no own pattern parser) and require the same results")
    ap.add_argument("--emit-departures", metavar="FILE", help="write the current disagreements as departures entries")
    args = ap.parse_args()
    kiln = resolve_kiln(args.kiln)
    warnings.filterwarnings("ignore")
    try:
        import frictionless  # noqa: F401
    except ImportError:
        print("frictionless is not importable: run with $HOME/.cache/kiln-tools/py/bin/python "
              "(pip install frictionless==5.21.0 ijson==3.6.0 jsonlines==4.0.0 pyarrow==26.0.1)", file=sys.stderr)
        return 2
    t0 = time.monotonic()

    all_cases = [c for c in cases_mod.all_cases() if args.filter in c.name]
    root, cleanup = work_root(args.keep, "kiln-conformance-")
    repo = root / "repo"
    err = init_repo(repo, kiln)
    if err:
        print(err, file=sys.stderr)
        return 2

    # write the cases; one schema file per distinct schema
    schema_files: dict = {}
    items = []  # (case, fmt, rel_path, schema_rel)
    for c in all_cases:
        srel = schema_file(repo, c.schema, schema_files)
        for fmt in c.formats:
            rel = f"data/{c.name}.{EXT[fmt]}"
            write_case(c, fmt, repo / rel)
            items.append((c, fmt, rel, srel))

    # kiln in the background, grouped by schema
    by_schema = defaultdict(list)
    for c, fmt, rel, srel in items:
        by_schema[srel].append(rel)
    pool = ThreadPoolExecutor(max_workers=max(1, args.jobs))
    futures = submit_kiln(pool, kiln, repo, by_schema, 1 if args.per_file else 48)
    slow_futures = []
    if args.both_paths:
        slow_env = dict(os.environ, KILN_TEST_SLOW_PATHS="1")
        slow_futures = submit_kiln(pool, kiln, repo, by_schema, 1 if args.per_file else 48, slow_env)

    # frictionless in this process, meanwhile
    fl_results = {}
    for c, fmt, rel, srel in items:
        fl_results[rel] = fl_validate(repo / rel, fmt, c.schema)
    t_fl = time.monotonic() - t0

    kiln_results = {}
    for fut in futures:
        kiln_results.update(fut.result())
    slow_results = {}
    for fut in slow_futures:
        slow_results.update(fut.result())
    pool.shutdown()
    t_all = time.monotonic() - t0

    departures = load_departures(Path(args.departures))
    results, disagreements = [], []
    for c, fmt, rel, srel in items:
        fl = fl_results[rel]
        k = kiln_results[rel]
        kc = kiln_class(k)
        agree = fl["verdict"] == kc
        row = {
            "case": c.name, "format": fmt, "clause": c.clause, "file": rel,
            "schema": c.schema, "agree": agree,
            "frictionless": fl, "kiln": k,
            "frictionlessSummary": fl_text(fl), "kilnSummary": kiln_text(k),
        }
        if not agree:
            row["kind"] = disagreement_kind(fl["verdict"], kc)
            row["departure"] = is_departure(departures, c.name, fmt)
            disagreements.append(row)
        results.append(row)

    # table
    unlisted = [d for d in disagreements if not d["departure"]]
    if disagreements:
        w_case = max(len(d["case"]) for d in disagreements)
        print(f"{'case':<{w_case}}  {'format':<7}  {'kind':<18}  frictionless  |  kiln")
        for d in sorted(disagreements, key=lambda d: (d["kind"], d["clause"], d["case"], d["format"])):
            mark = " " if d["departure"] else "*"
            print(f"{d['case']:<{w_case}}  {d['format']:<7}  {d['kind']:<18}{mark} {d['frictionlessSummary']}  |  "
                  f"{d['kilnSummary']}")
        print()
    n_cases = len(all_cases)
    n_files = len(items)
    n_agree = sum(r["agree"] for r in results)
    cases_agree = sum(all(r["agree"] for r in results if r["case"] == c.name) for c in all_cases)
    kinds = Counter(d["kind"] for d in disagreements)
    print(f"{n_cases} cases, {n_files} files: {n_agree} files agree, {len(disagreements)} disagree "
          f"({', '.join(f'{k} {v}' for k, v in sorted(kinds.items())) or 'none'}); "
          f"{cases_agree}/{n_cases} cases agree in every format")
    print(f"{len(disagreements) - len(unlisted)} disagreements are listed departures, {len(unlisted)} are not (marked *)")
    stale = [d for d in departures
             if not any(x["case"] == d.get("case") and d.get("format") in (x["format"], "*") for x in disagreements)]
    if stale:
        print(f"{len(stale)} departures no longer disagree: " + ", ".join(f"{d.get('case')}/{d.get('format')}" for d in stale))
    paths_differ = [rel for rel in slow_results if not same_reading(kiln_results[rel], slow_results[rel])]
    if args.both_paths:
        for rel in paths_differ:
            print(f"fast and slow paths differ on {rel}: {kiln_text(kiln_results[rel])}  |  "
                  f"{kiln_text(slow_results[rel])}")
        print(f"both paths: {len(slow_results) - len(paths_differ)} files read alike, "
              f"{len(paths_differ)} differ")
    print(f"time: {t_all:.1f}s (frictionless done at {t_fl:.1f}s)")

    if args.json_out:
        Path(args.json_out).write_text(json.dumps({
            "kiln": kiln,
            "frictionless": __import__("frictionless").__version__,
            "cases": n_cases, "files": n_files, "agree": n_agree,
            "disagree": len(disagreements), "unlisted": len(unlisted),
            "results": results,
        }, indent=1, ensure_ascii=False, default=str))
    if args.emit_departures:
        Path(args.emit_departures).write_text(json.dumps([
            {"case": d["case"], "format": d["format"], "clause": d["clause"],
             "frictionless": d["frictionlessSummary"], "kiln": d["kilnSummary"]}
            for d in disagreements
        ], indent=1, ensure_ascii=False) + "\n")
    if cleanup is not None:
        cleanup.cleanup()
    return 1 if unlisted or paths_differ else 0


if __name__ == "__main__":
    sys.exit(main())
