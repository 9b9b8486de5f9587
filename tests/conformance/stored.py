"""Random tables of objects, arrays, places, lists and durations, written
as Parquet, Arrow and JSON lines: kiln must judge the three alike.

    python stored.py [--tables N] [--seed S] [--kiln PATH]

A columnar file stores these values as structs, lists and durations; a
JSON file writes them as objects, arrays and text. kiln judges stored
values by the JSON text a JSON file would hold, so each table's findings
(code, field, count) must be the same in all three forms, and no form may
be unreadable. Fields get random types of the kinds the columns hold,
formats and constraints (`unique`, `enum` drawn from the column's own
values, `required`, lengths, duration bounds). Prints a summary and exits 1
on any difference.
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq

ROWS = 6


def column(rng: random.Random):
    """A column: its Arrow type, its values, and the field types that read it."""
    kind = rng.choice(["object", "point", "pair", "geojson", "array", "ints", "texts", "duration"])
    pick = lambda pool: [rng.choice(pool) for _ in range(ROWS)]  # noqa: E731
    if kind == "object":
        pool = [{"a": 1, "b": "x"}, {"a": 2, "b": None}, {"a": None, "b": "y"}, None]
        return pa.struct([("a", pa.int64()), ("b", pa.string())]), pick(pool), [("object", None)]
    if kind == "point":
        pool = [{"lon": 90.0, "lat": 45.0}, {"lon": 181.0, "lat": 0.0}, {"lon": -180.0, "lat": 90.0},
                {"lon": None, "lat": 1.0}, None]
        return (pa.struct([("lon", pa.float64()), ("lat", pa.float64())]), pick(pool),
                [("geopoint", "object"), ("object", None)])
    if kind == "pair":
        pool = [[90.0, 45.0], [1.0, 95.0], [1.0, 2.0, 3.0], [], None, [-180.0, -90.0]]
        return pa.list_(pa.float64()), pick(pool), [("geopoint", "array"), ("array", None)]
    if kind == "geojson":
        pool = [{"type": "Point", "coordinates": [1.0, 2.0]}, {"type": "Point", "coordinates": None},
                {"type": "LineString", "coordinates": [1.0]}, {"type": "Circle", "coordinates": [1.0, 2.0]}, None]
        return (pa.struct([("type", pa.string()), ("coordinates", pa.list_(pa.float64()))]), pick(pool),
                [("geojson", None), ("object", None)])
    if kind == "array":
        pool = [[1, 2], [2, 1], [], [None], None, [3]]
        return pa.list_(pa.int64()), pick(pool), [("array", None)]
    # A list is text between delimiters: no empty list (its text is the
    # missing value) and no null item (no text at all).
    if kind == "ints":
        pool = [[1, 2], [2, 1], None, [3], [10, 20, 30]]
        return pa.list_(pa.int64()), pick(pool), [("list", "integer"), ("array", None)]
    if kind == "texts":
        pool = [["a", "b"], ["a"], None, ["b", "a"], ["1", "2"]]
        return pa.list_(pa.string()), pick(pool), [("list", "string"), ("array", None)]
    pool = [datetime.timedelta(days=1), datetime.timedelta(hours=24), datetime.timedelta(days=31),
            datetime.timedelta(seconds=-5), None]
    return pa.duration("us"), pick(pool), [("duration", None)]


def iso(d: datetime.timedelta) -> str:
    """A duration as a JSON file writes it, in whole microseconds."""
    us = d.days * 86_400_000_000 + d.seconds * 1_000_000 + d.microseconds
    sign, us = ("-", -us) if us < 0 else ("", us)
    seconds, micro = divmod(us, 1_000_000)
    return f"{sign}PT{seconds}.{micro:06d}S" if micro else f"{sign}PT{seconds}S"


def as_json(value, field_type: str):
    """A stored value as a JSON lines cell of a field of `field_type`."""
    if value is None:
        return None
    if isinstance(value, datetime.timedelta):
        return iso(value)
    if field_type == "list":
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if v is not None}
    return value


def field(rng: random.Random, name: str, kinds, values) -> dict:
    field_type, fmt = rng.choice(kinds)
    f = {"name": name, "type": field_type}
    if field_type == "list":
        f["itemType"] = fmt
    elif fmt:
        f["format"] = fmt
    cons = {}
    if rng.random() < 0.5:
        cons["unique"] = True
    if rng.random() < 0.3:
        cons["required"] = True
    present = [as_json(v, field_type) for v in values if v is not None]
    if present and rng.random() < 0.4 and field_type != "duration":
        cons["enum"] = rng.sample(present, k=min(len(present), rng.randint(1, 2)))
    if field_type in ("object", "array", "list") and rng.random() < 0.4:
        cons[rng.choice(["minLength", "maxLength"])] = rng.randint(0, 2)
    if field_type == "duration" and rng.random() < 0.6:
        cons[rng.choice(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"])] = rng.choice(
            ["P1D", "PT24H", "P1M", "PT0S"])
    if cons:
        f["constraints"] = cons
    return f


def findings(kiln: str, repo: Path, data: Path) -> tuple:
    p = subprocess.run([kiln, "check", "--no-cache", "--json", "--schema", "s.json", str(data)],
                       cwd=repo, capture_output=True, text=True)
    if p.returncode not in (0, 1) or "panicked" in p.stderr:
        return ("exit", p.returncode, p.stdout[-400:] + p.stderr[-400:])
    report = json.loads(p.stdout)
    got = report["files"][0]
    return tuple(sorted((f["code"], f.get("field"), f["count"]) for f in got.get("findings", []))) + tuple(
        ("not checked", n.get("field"), n.get("check")) for n in got.get("notChecked", []))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--kiln", default="kiln")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    differ = 0
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
        for t in range(args.tables):
            names, arrays, fields = [], [], []
            for i in range(rng.randint(1, 3)):
                dtype, values, kinds = column(rng)
                names.append(f"c{i}")
                arrays.append(pa.array(values, type=dtype))
                fields.append(field(rng, f"c{i}", kinds, values))
            table = pa.Table.from_arrays(arrays, names=names)
            (repo / "s.json").write_text(json.dumps({"fields": fields}))
            pq.write_table(table, str(repo / "t.parquet"))
            feather.write_feather(table, str(repo / "t.arrow"), compression="uncompressed")
            types = {f["name"]: f["type"] for f in fields}
            with open(repo / "t.ndjson", "w") as out:
                for row in table.to_pylist():
                    out.write(json.dumps({k: as_json(v, types[k]) for k, v in row.items()}) + "\n")
            got = {form: findings(args.kiln, repo, repo / f"t.{form}") for form in ("parquet", "arrow", "ndjson")}
            if len(set(got.values())) != 1 or any(g and g[0] == "exit" for g in got.values()):
                differ += 1
                if differ <= 5:
                    print(f"table {t}: {json.dumps(fields)}\n  rows: {table.to_pylist()}")
                    for form, g in got.items():
                        print(f"  {form}: {g}")
    print(f"stored: {args.tables} tables, seed {args.seed}: {differ} judged differently")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
