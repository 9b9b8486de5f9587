"""Random geojson, topojson, geopoint and list values, judged by kiln and by
frictionless-py cell by cell: each must find exactly the same cells invalid.

    python places.py [--values N] [--seed S] [--kiln PATH]

Values are drawn near the profiles' edges (a geometry without coordinates,
a position of one or three numbers, a null crs, a feature in a collection
that is no object, arcs of fractions, points just past the globe, list
items of another type), so that most are invalid and each rule is met from
both sides. The generator leaves out the documented departures (digits
Python reads and the spec does not: `1_0`, non-ASCII digits, blanks around
an integer item). Prints one line a column and exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path


def draw(rng: random.Random):
    def num():
        return rng.choice([0, 1, -2.5, 180, 1e3, True, "1", None])

    def pos():
        if rng.random() < 0.05:
            return num()
        return [num() if rng.random() < 0.1 else rng.randint(-50, 50) for _ in range(rng.choice([2, 2, 2, 1, 3]))]

    def arr(f, lo=0, hi=5):
        return [f() for _ in range(rng.randint(lo, hi))]

    def geom(depth=0):
        kind = rng.choice(["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
                           "GeometryCollection", "Circle"])
        coordinates = {
            "Point": pos, "Circle": pos, "MultiPoint": lambda: arr(pos), "LineString": lambda: arr(pos, 1, 4),
            "MultiLineString": lambda: arr(lambda: arr(pos, 1, 4)), "Polygon": lambda: arr(lambda: arr(pos, 2, 6)),
            "MultiPolygon": lambda: arr(lambda: arr(lambda: arr(pos, 2, 6), 0, 2), 0, 2),
        }
        g = {"type": kind}
        if kind == "GeometryCollection":
            if rng.random() < 0.9 and depth < 2:
                g["geometries"] = arr(lambda: geom(depth + 1), 0, 3)
        elif rng.random() < 0.93:
            g["coordinates"] = coordinates[kind]()
        return g

    def feature():
        if rng.random() < 0.05:
            return rng.choice([1, "x", [1]])
        f = {}
        if rng.random() < 0.9:
            f["type"] = rng.choice(["Feature", "Feature", "Feat"])
        if rng.random() < 0.9:
            f["geometry"] = None if rng.random() < 0.3 else geom()
        if rng.random() < 0.9:
            f["properties"] = rng.choice([{}, None, {"a": 1}, [], "x"])
        return f

    def geojson():
        k = rng.random()
        if k < 0.45:
            v = geom()
        elif k < 0.7:
            v = feature()
        elif k < 0.9:
            v = {"type": "FeatureCollection"}
            if rng.random() < 0.95:
                v["features"] = arr(feature, 0, 3)
        else:
            v = rng.choice([[1, 2], "x", 5, {"coordinates": [1, 2]}])
        if isinstance(v, dict) and rng.random() < 0.15:
            v["crs"] = rng.choice([
                None, "x", {"type": "name", "properties": {"name": "x"}}, {"type": "name", "properties": {}},
                {"type": "link", "properties": {"href": "http://a"}}, {"type": "link", "properties": {"href": 1}},
                {"type": "name", "properties": {"name": "x"}, "extra": 1}, {"type": "other", "properties": {}}])
        if isinstance(v, dict) and rng.random() < 0.1:
            v["bbox"] = rng.choice([[1, 2, 3, 4], [1, "x"], "b"])
        return v

    def topojson():
        if rng.random() < 0.5:
            t = {"type": rng.choice(["Topology", "Topology", "Topo"])}
            if rng.random() < 0.9:
                t["objects"] = {"a": rng.choice([
                    {"type": "LineString", "arcs": [0, 1]}, {"type": "Point", "coordinates": [1, 2, 3]},
                    {"type": "Polygon", "arcs": [[0.5]]}, {"arcs": [0]}, 5])}
            if rng.random() < 0.9:
                t["arcs"] = rng.choice([[[[0, 0], [1, 1]]], [[[0, 0]]], [[[0, 0], None]], [[[0], [1, 1]]], []])
            if rng.random() < 0.2:
                t["transform"] = rng.choice([{"scale": [1, 1], "translate": [0, 0]}, {"scale": [1]}, {"scale": [1, 1]}])
            if rng.random() < 0.2:
                t["bbox"] = rng.choice([[[0, 0], [1, 1]], [0, 0, 1, 1], [[0], [1], [2]]])
            return t
        g = {"type": rng.choice(["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
                                 "GeometryCollection", "X"])}
        if g["type"] == "Point":
            g["coordinates"] = rng.choice([[1, 2], [1], [1, 2, 3], "x"])
        elif g["type"] == "MultiPoint":
            g["coordinates"] = rng.choice([[[1, 2]], [[1]], []])
        elif g["type"] == "GeometryCollection":
            g["geometries"] = rng.choice([[], [{"type": "Point", "coordinates": [1, 2]}], [5]])
        else:
            g["arcs"] = rng.choice([[0, 1], [[0, 1]], [[[0]]], [0.5], []])
        if rng.random() < 0.2:
            g["id"] = rng.choice(["a", 1, 1.5, None])
        if rng.random() < 0.2:
            g["properties"] = rng.choice([{}, None, []])
        return g

    def coordinate(bound):
        return rng.choice([str(rng.randint(-bound, bound)), f"{bound}.0", f"-{bound}.0000001", f"{bound + 1}",
                           f"{rng.randint(-9, 9)}e1", "1e3", "x", "", "NaN", "-0", ".5", "5."])

    def geopoint():
        text = coordinate(180) + rng.choice([", ", ",", " , ", ";", ""]) + coordinate(90)
        return text + rng.choice(["", "", "", ",1", " "])

    def integers():
        items = [rng.choice([str(rng.randint(-99, 999)), "x", "1.5", "", "1e3", "+7", "-0", "0x1"])
                 if rng.random() < 0.15 else str(rng.randint(-99, 999)) for _ in range(rng.randint(1, 4))]
        return ",".join(items)

    return [json.dumps(geojson()), json.dumps(topojson()), geopoint(), integers()]


FIELDS = [
    {"name": "g", "type": "geojson"},
    {"name": "t", "type": "geojson", "format": "topojson"},
    {"name": "p", "type": "geopoint"},
    {"name": "l", "type": "list", "itemType": "integer"},
]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--values", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--kiln", default="kiln")
    a = ap.parse_args()
    from frictionless import Dialect, Resource, Schema, formats

    rng = random.Random(a.seed)
    rows = [draw(rng) for _ in range(a.values)]
    # A cell whose text is empty is missing to both: no verdict to compare.
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        with open(d / "p.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow([x["name"] for x in FIELDS])
            w.writerows(rows)
        schema = {"$schema": "https://datapackage.org/profiles/2.0/tableschema.json", "fields": FIELDS}
        (d / "p.json").write_text(json.dumps(schema))
        # Table Dialect's defaults, stated: frictionless-py otherwise sniffs
        # the dialect from the first rows, and where many cells start with a
        # blank it skips initial spaces, so that a blank cell is empty.
        dialect = Dialect(controls=[formats.CsvControl(delimiter=",", quote_char='"', double_quote=True,
                                                       skip_initial_space=False)])
        report = Resource(path="p.csv", basepath=tmp, schema=Schema.from_descriptor(schema), dialect=dialect,
                          datapackage_version="v2").validate(limit_errors=0)
        theirs = {x["name"]: set() for x in FIELDS}
        for task in report.tasks:
            for err in task.errors:
                assert err.type == "type-error", err
                theirs[err.field_name].add(err.row_number - 1)
        subprocess.run(["git", "init", "-q"], cwd=d, check=True)
        run = subprocess.run([a.kiln, "check", "--no-cache", "--json", "--max-samples", str(a.values + 1),
                              "--schema", "p.json", "p.csv"], cwd=d, capture_output=True, text=True)
        assert run.returncode in (0, 1), run.stdout + run.stderr
        ours = {x["name"]: set() for x in FIELDS}
        for finding in json.loads(run.stdout)["files"][0]["findings"]:
            assert finding["code"] == "cell/type", finding
            ours[finding["field"]] = {s["row"] for s in finding["samples"]}
    differ = 0
    for i, field in enumerate(FIELDS):
        name = field["name"]
        false_valid, false_invalid = sorted(theirs[name] - ours[name]), sorted(ours[name] - theirs[name])
        differ += len(false_valid) + len(false_invalid)
        print(f"{name} ({field['type']}{', ' + field['format'] if 'format' in field else ''}): "
              f"{len(theirs[name])} invalid to frictionless-py, {len(ours[name])} to kiln, "
              f"{len(false_valid)} false valid, {len(false_invalid)} false invalid")
        for row in (false_valid + false_invalid)[:5]:
            print(f"  row {row}: {rows[row - 1][i]}")
    print(f"places: {a.values} rows, seed {a.seed}: {differ} cells differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
