#!/usr/bin/env python3
"""Property test "no false pass": kiln check never passes a table that
frictionless-py finds invalid, except where departures.json says why.

    $HOME/.cache/kiln-tools/py/bin/python tests/conformance/property.py \
        [--seed S] [--cases N] [--kiln PATH] [--jobs J] [--json OUT] [--keep DIR] \
        [--no-shrink] [--max-details M]

Random Table Schemas (every type: string with its formats, number, integer,
boolean, date, time, datetime, year, yearmonth, duration, object, array;
random formats, options, constraints, missingValues, primaryKey, unique,
fieldsMatch) and tables valid against them are drawn from a seeded
generator. Each valid ("base") table is mutated into several cases, each
with 1-3 random edits:

  cell    out-of-range, empty-required, quoted-empty, outside-enum,
          non-number, malformed-timestamp, type-breaking
  row     blank-row (empty line, delimiters only, blank line before the
          header), short-row, long-row, duplicate-row (keys)
  header  rename-label, reorder (labels or whole columns), duplicate-label

Every case is written as CSV; a case with cell edits only is sometimes also
written as NDJSON or Parquet (run.py's writers). frictionless-py validates
every file (in worker processes); kiln checks them with one
`kiln check FILE... --schema SCHEMA --json --no-cache` per schema (run.py's
batching). Base tables are checked too, as controls.

A false pass is a file frictionless-py finds invalid and kiln passes
(exit 0). Mutations that fall in a documented departure class
(DEPARTURE_CASES below, each naming its entry of departures.json) are
skipped, but only when the case with those edits undone is valid to
frictionless-py, so a departure never hides another edit.

Prints `property: N cases, K false passes (D documented departures
skipped)`, then each false pass (the table's text, the schema, both
verdicts), then one minimal (shrunk) example per class of false pass.
Exit 1 if any false pass remains, 0 otherwise (2 on a setup error).
"""

from __future__ import annotations

import argparse
import base64
import copy
import datetime as dt
import json
import os
import random
import re
import sys
import time
import uuid
import warnings
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field as dc_field
from decimal import Decimal
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run as harness  # noqa: E402  (run.py: writers, frictionless and kiln runners)
from cases import HAVE_PYARROW, PROFILE_V2, Case  # noqa: E402

# ---------------------------------------------------------------------------
# Documented departures that make a false pass (frictionless-py invalid,
# kiln valid). Each key names the case of departures.json it stands for;
# the mapping of mutations onto them is `cell_departure` / `row_departure`.
#
# The other false-pass departures are never generated:
# - con-minimum-duration-*: frictionless-py refuses minimum/maximum on a
#   duration field (a schema error, not an invalid table), so durations get
#   no bounds here.
# - con-maximum-integer-float-*: a non-integer bound on an integer field
#   crashes frictionless-py; integer bounds here are integers.
# The departures where kiln fails a table frictionless-py passes (`1_000`,
# `2024-1-5`, `24:00:00`, `PT`, labels with blanks, ...) cannot make a false
# pass and need no mapping.
# ---------------------------------------------------------------------------

DEPARTURE_CASES = {
    "date-year-0": "type-date-year-0",
    "year-five-digit": "type-year-five-digit",
    "year-negative": "type-year-neg",
    "integer-group-char": "type-integer-group-comma-ok",
    "date-any": "type-date-any-words",
    "blank-line-before-header": "row-blank-before-header",
    # kiln compares labels as written: under `partial`, a label with a blank
    # added is no field's column, and the field's cells go unchecked
    "label-blanks": "hdr-equal-space-label",
}


def strptime_regex(fmt: str) -> re.Pattern:
    """A regex for a strptime pattern, the year in group `Y` (any digits, a sign)."""
    parts = {"%Y": r"(?P<Y>[-+]?\d{4,}?)", "%m": r"\d{1,2}", "%d": r"\d{1,2}", "%b": r"[A-Za-z]+",
             "%H": r"\d{1,2}", "%M": r"\d{1,2}", "%S": r"\d{1,2}", "%I": r"\d{1,2}", "%p": r"[AaPp][Mm]",
             "%z": r"\S+", "%y": r"\d{2}"}
    out, i = "", 0
    while i < len(fmt):
        tok = fmt[i:i + 2]
        if tok in parts:
            out += parts[tok]
            i += 2
        else:
            out += re.escape(fmt[i])
            i += 1
    return re.compile(out)


def overwritten(muts: list, i: int) -> bool:
    """Whether cell edit `i` is undone by a later edit of the same cell, no
    row or column edit between them: it left nothing in the table."""
    m = muts[i]
    if m.get("op") != "cell":
        return False
    for later in muts[i + 1:]:
        if later.get("op") != "cell":
            return False
        if (later["row"], later["col"]) == (m["row"], m["col"]):
            return True
    return False


def cell_departure(col: "Col", text: str) -> Optional[str]:
    """The documented departure a cell edit falls in, or None."""
    t, fmt = col.type, col.desc.get("format", "default")
    if t == "datetime" and fmt == "default" and text.startswith("0000-"):
        # type-date-year-0 again: a default datetime's date part in year 0000.
        return "date-year-0"
    if t == "datetime" and fmt not in ("default", "any"):
        # type-date-year-0 again: a datetime in a pattern whose year is 0000.
        m = strptime_regex(fmt.replace("fmt:", "")).fullmatch(text)
        if m and "Y" in m.groupdict() and re.fullmatch(r"0+", m.group("Y")):
            return "date-year-0"
    if t == "date":
        # type-date-year-0, "Table Schema, date: XML Schema 1.1 allows year
        # 0000" (why: "Python has no year 0; kiln accepts it"): a date whose
        # year is 0000, in the field's own format.
        pat = "%Y-%m-%d" if fmt in ("default", "any") else fmt.replace("fmt:", "")
        m = strptime_regex(pat).fullmatch(text)
        if m and "Y" in m.groupdict() and re.fullmatch(r"0+", m.group("Y")):
            return "date-year-0"
        # type-date-any-words, "Table Schema, date format `any`:
        # implementation-defined" (why: "frictionless-py reads `Jan 26 2024`
        # with dateutil; kiln reads the forms listed in the README"): any
        # non-ISO cell of a `format: any` date is read by each tool its way.
        if fmt == "any" and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return "date-any"
    if t == "year":
        # type-year-five-digit, "Table Schema, year: XML Schema gYear (four
        # digits or more)" (why: "Python cannot read years past 9999; kiln
        # accepts them").
        if re.fullmatch(r"\d{5,}", text) and int(text) > 9999:
            return "year-five-digit"
        # type-year-neg, "Table Schema, year: XML Schema gYear (a sign is
        # allowed)" (why: "frictionless-py refuses negative years; kiln
        # accepts them"): `-` and four digits or more.
        if re.fullmatch(r"-\d{4,}", text):
            return "year-negative"
    if t == "integer" and col.desc.get("groupChar") and col.desc["groupChar"] in text:
        # type-integer-group-comma-ok / type-integer-not-bare-group-dollar,
        # "Table Schema v2, integer: `groupChar`" (why: "frictionless-py 5.21
        # has no groupChar on integers; kiln applies it").
        return "integer-group-char"
    return None


def row_departure(kind: str, variant: str) -> Optional[str]:
    # row-blank-before-header, "Table Dialect, headerRows: default the first
    # row" (why: "kiln's reader skips blank lines before the header;
    # frictionless-py takes the blank line as the header").
    if kind == "blank-row" and variant == "before-header":
        return "blank-line-before-header"
    return None


# ---------------------------------------------------------------------------
# Cells, tables, rendering
# ---------------------------------------------------------------------------


class Quoted(str):
    """A cell written quoted in CSV (`""` for an empty one)."""


class JsonValue(str):
    """A cell written in JSON lines as this JSON value (of any kind), in CSV
    as its JSON text."""

    def __new__(cls, value):
        cell = super().__new__(cls, json.dumps(value))
        cell.value = value
        return cell


# JSON values of every kind, for edits of a JSON cell's kind
JSON_VALUES = [5, -1, 2020, 5.5, 5.0, 1e3, True, False, {"a": 1}, [1, 2], [2020, 1], "x"]


@dataclass
class Table:
    schema: dict
    header: list
    rows: list
    prefix: str = ""  # text before the header line (a blank line)

    def copy(self) -> "Table":
        return Table(copy.deepcopy(self.schema), list(self.header), [list(r) for r in self.rows], self.prefix)


def csv_text(t: Table) -> str:
    def cell(c: str) -> str:
        if isinstance(c, Quoted) or any(ch in c for ch in ',"\r\n'):
            return '"' + c.replace('"', '""') + '"'
        return c

    lines = [",".join(cell(c) for c in t.header)] + [",".join(cell(c) for c in r) for r in t.rows]
    return t.prefix + "".join(line + "\n" for line in lines)


def write_table(t: Table, fmt: str, path: Path) -> None:
    if fmt == "csv":
        path.write_bytes(csv_text(t).encode("utf-8"))
    else:  # ndjson / parquet: run.py's writers (a rectangular table, labels = names)
        rows = [[c if isinstance(c, JsonValue) else str(c) for c in r] for r in t.rows]
        harness.write_case(Case("p", "property", t.schema, t.header, rows), fmt, path)


# ---------------------------------------------------------------------------
# Columns: a field descriptor, valid values, and invalid values by kind
# ---------------------------------------------------------------------------

LOWER = "abcdefghijklmnopqrstuvwxyz"
WORD_CHARS = LOWER + LOWER + "0123456789"
EXOTIC = ["é", "ü", "ß", "ж", "中", "😀"]

# values of other types, for type-breaking edits
CROSS_TYPE = ["abc", "1", "1.5", "-3", "true", "false", "2024-01-26", "15:00:00", "2024-01-26T15:00:00",
              "2024", "2024-01", "P1D", '{"a": 1}', "[1, 2]", " ", "null", "None", "N/A", "#N/A", "x y",
              "ünï", "1e3", "0x1F", "Infinity", "-"]


UNICODE_DIGITS = ["０１２３４５６７８９", "٠١٢٣٤٥٦٧٨٩", "०१२३४५६७८९", "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗"]


def perturb(rng: random.Random, text: str) -> str:
    """A near miss of a valid text: a non-ASCII digit, an odd blank, a
    changed case, a doubled or dropped character."""
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    r = rng.randrange(9)
    if r == 0 and digits:
        i = rng.choice(digits)
        return text[:i] + rng.choice(UNICODE_DIGITS)[int(text[i])] + text[i + 1:]
    if r == 1:
        return rng.choice(["\u00a0", "\u2009", "\u200b", "\t", " ", "\u3000"]) + text
    if r == 2:
        return text + rng.choice(["\u00a0", "\u200b", "\t", " ", "\x00", "."])
    if r == 3 and text:
        i = rng.randrange(len(text))
        return text[:i] + text[i] + text[i:]
    if r == 4 and len(text) > 1:
        i = rng.randrange(len(text))
        return text[:i] + text[i + 1:]
    if r == 5:
        return text.swapcase() if text.swapcase() != text else text + "x"
    if r == 6:
        seps = [i for i, ch in enumerate(text) if not ch.isalnum()]
        if seps:
            i = rng.choice(seps)
            return text[:i] + rng.choice(["\u2010", "\u2212", "\uff1a", "/", "", "\u2024"]) + text[i + 1:]
    if r == 7:
        return rng.choice(["+", "-", "\u2212", "~"]) + text
    return text[::-1] if text[::-1] != text else text + "0"


def word(rng: random.Random, lo: int = 1, hi: int = 8, exotic: bool = True) -> str:
    n = rng.randint(lo, hi)
    chars = [rng.choice(WORD_CHARS) for _ in range(n)]
    if exotic and n and rng.random() < 0.1:
        chars[rng.randrange(n)] = rng.choice(EXOTIC)
    if n >= 3 and rng.random() < 0.1:
        chars[rng.randrange(1, n - 1)] = " "
    return "".join(chars)


class Col:
    """One field. Subclasses pick their options and constraints in
    `setup`, draw keys (comparable values) in `fresh` and render them."""

    type = "any"
    ordered = False  # has minimum/maximum
    domain = (0, 0)
    unit = 1
    uniqueable = True

    def __init__(self, rng: random.Random, name: str):
        self.name = name
        self.desc: dict = {"name": name, "type": self.type}
        self.cons: dict = {}
        self.enum_keys = None
        self.lo = self.hi = None  # (key, exclusive)
        self.missing: list = []
        self.setup(rng)

    # -- to override
    def setup(self, rng):
        pass

    def fresh(self, rng):
        raise NotImplementedError

    def render(self, rng, key) -> str:
        return str(key)

    def jsonv(self, key):
        return key

    def equivalent(self, rng, text: str) -> Optional[str]:
        """Another text for the same value (a logical duplicate), or None."""
        return None

    def malformed(self, rng) -> Optional[str]:
        return None

    def non_number(self, rng) -> Optional[str]:
        return None

    malformed_share = 0.0  # of type-breaking edits that use `malformed`

    def type_breaking(self, rng) -> Optional[str]:
        if self.malformed_share:
            return self.malformed(rng) if rng.random() < self.malformed_share else rng.choice(CROSS_TYPE)
        return rng.choice(CROSS_TYPE)

    def length_out_of_range(self, rng) -> Optional[str]:
        return None

    # -- shared
    def finish(self, rng, allow_enum=True, allow_bounds=True):
        """Draw bounds and an enum, then write the descriptor's constraints."""
        if self.ordered and allow_bounds and rng.random() < 0.35:
            lo, hi = self.domain
            a, b = sorted(self.rand(rng, lo, hi) for _ in range(2))
            gap = max(4 * self.unit, (hi - lo) // 50)
            if b - a < gap:
                a, b = max(lo, a - gap), min(hi, b + gap)
            a, b = a - a % self.unit, b - b % self.unit
            side = rng.choice(["lo", "hi", "both", "both"])
            if side in ("lo", "both"):
                self.lo = (a, rng.random() < 0.3)
                self.cons["exclusiveMinimum" if self.lo[1] else "minimum"] = self.jsonv(a)
            if side in ("hi", "both"):
                self.hi = (b, rng.random() < 0.3)
                self.cons["exclusiveMaximum" if self.hi[1] else "maximum"] = self.jsonv(b)
        if allow_enum and rng.random() < 0.15:
            keys = []
            for _ in range(rng.randint(1, 4)):
                k = self.fresh(rng)
                if k not in keys:
                    keys.append(k)
            self.enum_keys = keys
            self.cons["enum"] = [self.jsonv(k) for k in keys]
        if rng.random() < 0.3:
            self.cons["required"] = True
        if self.cons:
            self.desc["constraints"] = self.cons

    def draw_lengths(self, rng, lo, hi):
        """A minLength in lo..hi and a maxLength above it, each drawn or not."""
        self.minlen = self.maxlen = None
        if rng.random() < 0.3:
            self.minlen = rng.randint(lo, hi)
            self.cons["minLength"] = self.minlen
        if rng.random() < 0.3:
            self.maxlen = (self.minlen or lo) + rng.randint(0, 3)
            self.cons["maxLength"] = self.maxlen

    def rand(self, rng, lo, hi):
        return rng.randint(lo, hi)

    def bounded_range(self):
        lo, hi = self.domain
        if self.lo:
            lo = self.lo[0] + (self.unit if self.lo[1] else 0)
        if self.hi:
            hi = self.hi[0] - (self.unit if self.hi[1] else 0)
        return lo, hi

    def value(self, rng):
        """(key, text) of a valid, non-missing value."""
        for _ in range(20):
            key = rng.choice(self.enum_keys) if self.enum_keys else self.fresh(rng)
            text = self.render(rng, key)
            if text not in self.missing:
                return key, text
        return key, text

    @property
    def required(self) -> bool:
        return bool(self.cons.get("required"))

    def out_of_range(self, rng) -> Optional[str]:
        if self.ordered and (self.lo or self.hi):
            sides = [s for s in ("lo", "hi") if getattr(self, s)]
            side = rng.choice(sides)
            key, excl = getattr(self, side)
            d = self.unit * rng.choice([1, 1, 2, 7, 100])
            if excl and rng.random() < 0.5:
                k = key
            else:
                k = key - d if side == "lo" else key + d
            special = self.special_out_of_range(rng, side)
            if special and rng.random() < 0.2:
                return special
            return self.render(rng, k)
        return self.length_out_of_range(rng)

    def special_out_of_range(self, rng, side) -> Optional[str]:
        return None

    def outside_enum(self, rng) -> Optional[str]:
        if not self.enum_keys:
            return None
        for _ in range(30):
            k = self.fresh_unbounded(rng)
            if k not in self.enum_keys:
                return self.render(rng, k)
        return None

    def fresh_unbounded(self, rng):
        saved = self.enum_keys
        self.enum_keys = None
        try:
            return self.fresh(rng)
        finally:
            self.enum_keys = saved

    def label(self) -> str:
        """type[format, options] for class names."""
        bits = []
        if self.desc.get("format", "default") != "default":
            bits.append(str(self.desc["format"]))
        for k in ("decimalChar", "groupChar", "bareNumber", "trueValues"):
            if k in self.desc:
                bits.append(f"{k}={json.dumps(self.desc[k], ensure_ascii=False)}")
        return self.type + (f"[{', '.join(bits)}]" if bits else "")


class StringCol(Col):
    type = "string"
    PATTERNS = [
        ("[a-z]+", lambda r: "".join(r.choice(LOWER) for _ in range(r.randint(1, 6)))),
        ("[A-Z]{2}-\\d{1,3}", lambda r: "".join(r.choice("ABCXYZ") for _ in range(2)) + "-" + str(r.randint(0, 999))),
        ("\\d{3}", lambda r: f"{r.randint(0, 999):03d}"),
        ("[a-f0-9]{4}", lambda r: "".join(r.choice("abcdef0123456789") for _ in range(4))),
        ("(ab|cd)+", lambda r: "".join(r.choice(["ab", "cd"]) for _ in range(r.randint(1, 3)))),
        ("x.*", lambda r: "x" + word(r, 0, 4)),
        ("[^@]+@[^@]+", lambda r: word(r, 1, 4, False) + "@" + word(r, 1, 4, False)),
    ]
    BAD = {
        "email": ["not-an-email", "a@", "@example.com", "a@b", "a b@example.com", "a@@example.com", "a@example..com",
                  "a@-example.com", "a.@example.com", ".a@example.com", "a@example.c", "a@[1.2.3.4]",
                  '"a b"@example.com', "a@localhost", "a@ex_ample.com", "a@example.com.", "ä@example.com",
                  "a@exämple.com", "a@example.123", "a..b@example.com", "a@example", "a@.com", "a@example.com "],
        "uri": ["no scheme here", "example.org/a", "http//x", "://x", "http://exa mple.org", "1http://x", "http:",
                "a:b", "http://[::1", "http://x/%zz", "http://x y/", "/relative/path", "http://ex ample.org/",
                "mailto:", "ht tp://x", "http://x/\\", "http://x:port/", "", "http://[1.2.3.4]/"],
        "uuid": ["123-abc", "123e4567e89b12d3a456426614174000", "{123e4567-e89b-12d3-a456-426614174000}",
                 "urn:uuid:123e4567-e89b-12d3-a456-426614174000", "123E4567-E89B-12D3-A456-426614174000",
                 "123e4567-e89b-12d3-a456-42661417400g", "123e4567-e89b-12d3-a456-4266141740000",
                 "123e4567-e89b-12d3-a456_426614174000", "123e4567-e89b-12d3-a456-42661417400",
                 " 123e4567-e89b-12d3-a456-426614174000", "00000000-0000-0000-0000-000000000000"],
        "binary": ["!!!", "abc", "a===", "aGVsbG8", "aGVs bG8=", "aGVsbG8==", "aGVsbG8=x", "=aGVsbG8",
                   "aGVs\tbG8=", "YQ", "YQ=", "Y", "a-b_", "aGVsbG8=\n", "Zm9v!"],
    }

    def setup(self, rng):
        r = rng.random()
        self.fmt = "default"
        if r < 0.4:
            self.fmt = rng.choice(["email", "uri", "uuid", "binary"])
            self.desc["format"] = self.fmt
        self.pattern = None
        self.minlen = self.maxlen = None
        if self.fmt == "default":
            r = rng.random()
            if r < 0.25:
                self.pattern = rng.choice(self.PATTERNS)
                self.cons["pattern"] = self.pattern[0]
            elif r < 0.55:
                if rng.random() < 0.6:
                    self.minlen = rng.randint(1, 3)
                    self.cons["minLength"] = self.minlen
                if rng.random() < 0.6 or self.minlen is None:
                    self.maxlen = (self.minlen or 1) + rng.randint(0, 6)
                    self.cons["maxLength"] = self.maxlen
        self.finish(rng)

    def fresh(self, rng):
        if self.fmt == "email":
            return f"{word(rng, 1, 6, False).replace(' ', '')}@{word(rng, 2, 6, False).replace(' ', 'x')}." \
                   f"{rng.choice(['com', 'org', 'net', 'io'])}"
        if self.fmt == "uri":
            return f"{rng.choice(['http', 'https', 'ftp'])}://{rng.choice(['example.org', 'a.b.c', 'x.io'])}/" \
                   f"{word(rng, 0, 6, False).replace(' ', '-')}"
        if self.fmt == "uuid":
            return str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if self.fmt == "binary":
            return base64.b64encode(bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 9)))).decode()
        if self.pattern:
            return self.pattern[1](rng)
        lo = self.minlen or 1
        hi = self.maxlen if self.maxlen is not None else max(lo, 8)
        return word(rng, lo, hi)

    def type_breaking(self, rng):
        if self.fmt != "default":
            return rng.choice(self.BAD[self.fmt])
        if self.pattern:
            v = self.pattern[1](rng)
            return rng.choice([v + "1", "1" + v, v.upper() if v.upper() != v else v + "!", " " + v, v + " ", "",
                               v + "\n", v[:-1] if len(v) > 1 else "?", "ü" + v, "1٣" + v, v + "\t", "-" + v])
        return None

    def length_out_of_range(self, rng):
        opts = []
        if self.maxlen is not None:
            n = self.maxlen + rng.choice([1, 1, 2, 5])
            opts.append(rng.choice([word(rng, n, n, False).replace(" ", "z"), "é" * n, "😀" * n, "a" * (n - 1) + " "]))
        if self.minlen is not None and self.minlen > 1:
            n = rng.randint(1, self.minlen - 1)
            opts.append(rng.choice(["a" * n, "ü" * n, " " * n]))
        return rng.choice(opts) if opts else None

    def equivalent(self, rng, text):
        return None


def group_digits(s: str, g: str) -> str:
    out = []
    while len(s) > 3:
        out.insert(0, s[-3:])
        s = s[:-3]
    out.insert(0, s)
    return g.join(out)


class NumberCol(Col):
    type = "number"
    ordered = True
    OPTIONS = [{}, {}, {}, {"decimalChar": ","}, {"groupChar": ","}, {"groupChar": " "},
               {"groupChar": ".", "decimalChar": ","}, {"bareNumber": False}, {"bareNumber": False, "groupChar": ","},
               {"groupChar": "'"}]

    def setup(self, rng):
        self.opts = dict(rng.choice(self.OPTIONS))
        self.desc.update(self.opts)
        self.scale = rng.choice([1, 100])  # keys are in 1/scale
        self.domain = (-1000 * self.scale, 2_000_000 * self.scale) if rng.random() < 0.5 else (-50 * self.scale, 50 * self.scale)
        self.finish(rng)

    def fresh(self, rng):
        lo, hi = self.bounded_range()
        return rng.randint(lo, hi)

    def dec(self, key) -> Decimal:
        return (Decimal(key) / self.scale) if self.scale != 1 else Decimal(key)

    def jsonv(self, key):
        d = self.dec(key)
        return int(d) if d == d.to_integral_value() else float(d)

    def render(self, rng, key, plain=False):
        d = self.dec(key)
        neg = d < 0
        s = f"{abs(d):f}"
        ip, _, fp = s.partition(".")
        if fp and rng.random() < 0.5:
            fp = fp.rstrip("0")
        elif not fp and self.scale != 1 and rng.random() < 0.2:
            fp = "0"
        g = self.opts.get("groupChar")
        if g and not plain and rng.random() < 0.6:
            ip = group_digits(ip, g)
        dc = self.opts.get("decimalChar", ".")
        text = ip + (dc + fp if fp else "")
        if not self.opts and not plain:
            r = rng.random()
            if r < 0.05:
                text = f"{abs(d):E}"
            elif r < 0.08 and not neg:
                text = "+" + text
        text = ("-" if neg else "") + text
        if self.opts.get("bareNumber") is False and not neg and not plain and rng.random() < 0.5:
            text = rng.choice(["€", "$", "EUR ", "£"]) + text if rng.random() < 0.5 else text + rng.choice(["%", " €", " USD", "‰"])
        return text

    def special_out_of_range(self, rng, side):
        return rng.choice(["NaN", "nan", "-INF" if side == "lo" else "INF", "-Infinity" if side == "lo" else "inf"])

    def equivalent(self, rng, text):
        d = self.dec(self._key_of(text)) if self._key_of(text) is not None else None
        if d is None:
            return None
        return rng.choice([f"{d:f}" + ("0" if "." in f"{d:f}" else ".0"), f"{d:E}"]) if not self.opts else None

    def _key_of(self, text):
        try:
            return int(Decimal(text) * self.scale)
        except Exception:
            return None

    def non_number(self, rng):
        opts = ["abc", "1.2.3", "0x10", "1e", "e5", "--1", "+-1", "1..2", "1 2", "1/2", "½", "١٢", "1e5.5", "0b101",
                "1__0", ".", "-", "+", "five", "12abc34", "1.5.6%", "true", "2024-01-01", "∞", "1d5", "0x1p3",
                "１２", "1e1000", "NaN%", "1,2,3", "(5)", "5-", "1E+", "₹5", "٣.٥", ".e1", "1.e", "+.", "- 1",
                "1_000", "1 000", "1'000", "0.0.1", "--", "1e-", "Inf inity", "nAn", "infinit", "0xFF"]
        dc = self.opts.get("decimalChar", ".")
        g = self.opts.get("groupChar")
        if dc == ",":
            opts += ["1.5", "1.000", "1,5,5"]
        else:
            opts += ["1,5"] if g != "," else ["1,5.5.5"]
        if self.opts.get("bareNumber") is not False:
            opts += ["$5", "5%", "€ 5", "5 EUR"]
        return rng.choice(opts)

    def type_breaking(self, rng):
        return self.non_number(rng) if rng.random() < 0.5 else rng.choice(CROSS_TYPE)


class IntegerCol(Col):
    type = "integer"
    ordered = True

    def setup(self, rng):
        r = rng.random()
        self.opts = {}
        if r < 0.15:
            self.opts = {"bareNumber": False}
        elif r < 0.20:
            # kiln applies groupChar on integers, frictionless-py 5.21 does
            # not (documented); base values never hold it.
            self.opts = {"groupChar": ","}
        self.desc.update(self.opts)
        self.domain = (-500, 5000) if rng.random() < 0.7 else (-(2**40), 2**40)
        self.finish(rng)

    def fresh(self, rng):
        lo, hi = self.bounded_range()
        return rng.randint(lo, hi)

    def render(self, rng, key, plain=False):
        text = str(key)
        if not plain and key >= 0 and rng.random() < 0.05:
            text = "+" + text
        if self.opts.get("bareNumber") is False and key >= 0 and not plain and rng.random() < 0.5:
            text = rng.choice(["€", "$", "USD "]) + text if rng.random() < 0.5 else text + rng.choice(["%", " €", "kg"])
        return text

    def equivalent(self, rng, text):
        try:
            k = int(text)
        except ValueError:
            return None
        return rng.choice(["0" + str(k) if k >= 0 else "-0" + str(-k), "+" + str(k) if k >= 0 else str(k) + " "])

    def non_number(self, rng):
        opts = ["1.5", "1e3", "abc", "1.0", "0x10", "--1", "1-", "+", "-", "1 2", "١٢", "１２", "2.", ".5", "1e0",
                "0b1", "1_000", "1__0", "true", "NaN", "INF", "1,000", "1 000", "٣", "9223372036854775808",
                "99999999999999999999", "-9223372036854775809", "0o17", "1.", "1/1", "½", "²", "+-1", "1e", "00",
                "−1", "１"]
        if self.opts.get("bareNumber") is not False:
            opts += ["5%", "$5", "12abc34"]
        else:
            opts += ["12abc34", "1.5%", "$-", "%"]
        return rng.choice(opts)

    def type_breaking(self, rng):
        return self.non_number(rng) if rng.random() < 0.5 else rng.choice(CROSS_TYPE)


class BooleanCol(Col):
    type = "boolean"
    uniqueable = False

    def setup(self, rng):
        if rng.random() < 0.3:
            self.trues = rng.sample(["yes", "Y", "on", "si", "ja", "T", "1", "oui"], rng.randint(1, 2))
            self.falses = rng.sample([v for v in ["no", "N", "off", "nein", "F", "0", "non"]], rng.randint(1, 2))
            self.desc["trueValues"] = self.trues
            self.desc["falseValues"] = self.falses
        else:
            self.trues = ["true", "True", "TRUE", "1"]
            self.falses = ["false", "False", "FALSE", "0"]
        if rng.random() < 0.15:
            self.enum_keys = [rng.choice([True, False])]
            self.cons["enum"] = list(self.enum_keys)
        self.finish(rng, allow_enum=False)

    def fresh(self, rng):
        return rng.random() < 0.5

    def render(self, rng, key):
        return rng.choice(self.trues if key else self.falses)

    def outside_enum(self, rng):
        if not self.enum_keys:
            return None
        return self.render(rng, not self.enum_keys[0])

    def type_breaking(self, rng):
        opts = ["maybe", "2", "yes", "no", "tRuE", " true", "true ", "T", "on", "-1", "1.0", "01", "TRUE ", "ja",
                "False.", "truee", "Yes", "Y", "y", "N", "", "null", "t", "f", "１", "True\t", "⊤"]
        return rng.choice([o for o in opts if o not in self.trues + self.falses] or ["maybe"])


MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def render_parts(fmt: str, y, m, d, H=0, M=0, S=0, tz="") -> str:
    """strftime for impossible dates too (fields given as numbers or text)."""
    def num(v, w):
        return v if isinstance(v, str) else f"{v:0{w}d}"

    subs = {"%Y": num(y, 4), "%m": num(m, 2), "%d": num(d, 2),
            "%b": (MONTHS[m - 1] if isinstance(m, int) and 1 <= m <= 12 else "Foo"),
            "%H": num(H, 2), "%M": num(M, 2), "%S": num(S, 2),
            "%I": num((H % 12) or 12, 2) if isinstance(H, int) else H,
            "%p": ("PM" if isinstance(H, int) and H >= 12 else "AM"), "%z": tz, "%y": num(y % 100, 2) if isinstance(y, int) else y}
    out, i = "", 0
    while i < len(fmt):
        tok = fmt[i:i + 2]
        if tok in subs:
            out += subs[tok]
            i += 2
        else:
            out += fmt[i]
            i += 1
    return out


IMPOSSIBLE_DATES = [(2023, 2, 29), (2024, 2, 30), (2024, 4, 31), (2024, 13, 1), (2024, 0, 10), (2024, 1, 0),
                    (2024, 1, 32), (1900, 2, 29), (2100, 2, 29), (2024, 6, 31), (2024, 99, 99), (0, 1, 1),
                    (10000, 1, 1), (2024, 2, 29)]
OTHER_DATE_FORMS = ["%Y-%m-%d", "%d/%m/%Y", "%Y/%m/%d", "%d.%m.%Y", "%Y%m%d", "%m/%d/%Y", "%d-%m-%Y",
                    "%Y-%m-%dT00:00:00", "%Y-%m-%d 00:00", "%d %b %Y", "%b %d %Y", "%Y-%m"]


class DateCol(Col):
    type = "date"
    ordered = True
    FORMATS = ["default"] * 5 + ["%d/%m/%Y", "%Y/%m/%d", "fmt:%d.%m.%Y", "%d %b %Y", "%Y%m%d", "any"]
    domain = (dt.date(1900, 1, 1).toordinal(), dt.date(2099, 12, 31).toordinal())

    def setup(self, rng):
        self.fmt = rng.choice(self.FORMATS)
        if self.fmt != "default":
            self.desc["format"] = self.fmt
        self.py = "%Y-%m-%d" if self.fmt in ("default", "any") else self.fmt.replace("fmt:", "")
        # `any`: no bounds nor enum (the tools read non-ISO forms their own way)
        self.finish(rng, allow_enum=self.fmt == "default", allow_bounds=self.fmt != "any")

    def fresh(self, rng):
        lo, hi = self.bounded_range()
        return rng.randint(lo, hi)

    def jsonv(self, key):
        return dt.date.fromordinal(key).strftime(self.py) if self.fmt != "any" else dt.date.fromordinal(key).isoformat()

    def render(self, rng, key):
        d = dt.date.fromordinal(key)
        return render_parts(self.py, d.year, d.month, d.day)

    def equivalent(self, rng, text):
        return None

    def malformed(self, rng):
        r = rng.random()
        if r < 0.4:
            y, m, d = rng.choice(IMPOSSIBLE_DATES)
            return render_parts(self.py, y, m, d)
        if r < 0.7:
            d = dt.date.fromordinal(self.fresh(rng))
            form = rng.choice([f for f in OTHER_DATE_FORMS if f != self.py])
            return render_parts(form, d.year, d.month, d.day)
        d = dt.date.fromordinal(self.fresh(rng))
        base = render_parts(self.py, d.year, d.month, d.day)
        return rng.choice([base + "Z", "+" + base, "-" + base, " " + base, base + " ", base + "\t", base[:-1],
                           base + "0", render_parts(self.py, d.year, str(d.month), str(d.day)),
                           render_parts(self.py, str(d.year)[2:], d.month, d.day), "2024-W04-1", "2024-026",
                           base.replace("-", "/"), base + "T", base + "+01:00", "０" + base[1:],
                           render_parts(self.py, f"{d.year:05d}", d.month, d.day)])

    malformed_share = 0.5


class TimeCol(Col):
    type = "time"
    ordered = True
    domain = (0, 86399)

    def setup(self, rng):
        self.fmt = rng.choice(["default"] * 3 + ["%H:%M", "%I:%M %p", "%H:%M:%S"])
        if self.fmt != "default":
            self.desc["format"] = self.fmt
        self.py = "%H:%M:%S" if self.fmt == "default" else self.fmt
        self.unit = 60 if "%S" not in self.py else 1
        self.finish(rng)
        self.frac = self.fmt == "default" and not self.lo and not self.hi and not self.enum_keys and rng.random() < 0.3

    def rand(self, rng, lo, hi):
        return rng.randint(lo // self.unit, hi // self.unit) * self.unit

    def fresh(self, rng):
        lo, hi = self.bounded_range()
        return self.rand(rng, -(-lo // self.unit) * self.unit, hi)

    def jsonv(self, key):
        return render_parts(self.py, 0, 1, 1, key // 3600, key // 60 % 60, key % 60)

    def render(self, rng, key):
        text = self.jsonv(key)
        if getattr(self, "frac", False) and rng.random() < 0.5:
            text += "." + str(rng.randint(0, 999999)).zfill(rng.choice([1, 3, 6]))[:rng.choice([1, 3, 6])]
        return text

    def malformed(self, rng):
        if self.fmt == "%H:%M":
            return rng.choice(["15:30:00", "25:30", "15:60", "3:5", "15h30", "24:00", "1530", "15:30 ", "-1:30",
                               "15:3", "15::30", "99:99"])
        if self.fmt == "%I:%M %p":
            return rng.choice(["13:30 PM", "00:30 AM", "03:30", "03:30 XM", "3:30 pm", "03:60 PM", "03:30PM",
                               "03:30  PM", "15:30 PM", "12:00 MM", "03:30 P.M."])
        return rng.choice(["25:00:00", "15:60:00", "15:00:61", "15:00:60", "3pm", "15:00", "15:0:00", "15-00-00",
                           "150000", "T15:00:00", "15:00:00.", "15:00:00,5", "24:00:01", "-01:00:00", " 15:00:00",
                           "15:00:00 ", "1:00:00", "15:00:00.1234567890", "15:00:00+25:00", "15:00:00 PM",
                           "12:00:00 AM", "15:00:00+01", "15:00:00Z", "24:00:00", "15:00:00.-1", "１5:00:00",
                           "99:99:99", "15:00:00Q", "15:00:00.5Z"])

    malformed_share = 0.5


EPOCH = dt.datetime(1970, 1, 1)


class DatetimeCol(Col):
    type = "datetime"
    ordered = True
    domain = (int((dt.datetime(1950, 1, 1) - EPOCH).total_seconds()), int((dt.datetime(2090, 1, 1) - EPOCH).total_seconds()))

    def setup(self, rng):
        self.fmt = rng.choice(["default"] * 4 + ["%d/%m/%Y %H:%M:%S", "%Y-%m-%dT%H:%M:%S%z"])
        if self.fmt != "default":
            self.desc["format"] = self.fmt
        # one zone style a field: comparing aware and naive values crashes frictionless-py
        if self.fmt == "default":
            self.tz = rng.choice(["", "", "Z", "+01:00", "-05:30"])
        elif "%z" in self.fmt:
            self.tz = rng.choice(["+0100", "-0500", "+0000"])
        else:
            self.tz = ""
        self.finish(rng)
        self.frac = self.fmt == "default" and not self.lo and not self.hi and not self.enum_keys and rng.random() < 0.3

    def fresh(self, rng):
        lo, hi = self.bounded_range()
        return rng.randint(lo, hi)

    def parts(self, key):
        d = EPOCH + dt.timedelta(seconds=key)
        return d.year, d.month, d.day, d.hour, d.minute, d.second

    def jsonv(self, key):
        y, m, d, H, M, S = self.parts(key)
        if self.fmt == "default":
            return render_parts("%Y-%m-%dT%H:%M:%S", y, m, d, H, M, S) + self.tz
        return render_parts(self.fmt, y, m, d, H, M, S, self.tz)

    def render(self, rng, key):
        text = self.jsonv(key)
        if getattr(self, "frac", False) and rng.random() < 0.5:
            frac = "." + str(rng.randint(0, 999999)).zfill(6)[:rng.choice([1, 3, 6])]
            text = text[:19] + frac + text[19:]
        return text

    def malformed(self, rng):
        y, m, d, H, M, S = self.parts(self.fresh_unbounded(rng))
        if self.fmt != "default":
            r = rng.random()
            if r < 0.5:
                yy, mm, dd = rng.choice(IMPOSSIBLE_DATES)
                return render_parts(self.fmt, yy, mm, dd, H, M, S, self.tz)
            if r < 0.7:
                return render_parts(self.fmt, y, m, d, rng.choice([24, 25, 99]), M, S, self.tz)
            if r < 0.85:
                return render_parts("%Y-%m-%dT%H:%M:%S", y, m, d, H, M, S)
            base = render_parts(self.fmt, y, m, d, H, M, S, self.tz)
            return rng.choice([base + " ", base[:-1], base + "Z", render_parts(self.fmt, y, m, d, H, M, S, "+01:00"),
                               render_parts(self.fmt, y, m, d, H, M, S, "Z"), render_parts(self.fmt, y, m, d, H, M, S, "+25:00")])
        iso = render_parts("%Y-%m-%d", y, m, d)
        clock = render_parts("%H:%M:%S", 0, 1, 1, H, M, S)
        yy, mm, dd = rng.choice(IMPOSSIBLE_DATES)
        return rng.choice([
            f"{iso}T25:00:00", f"{render_parts('%Y-%m-%d', yy, mm, dd)}T{clock}", f"{iso}T{H:02d}:60:00",
            f"{iso}T{H:02d}:{M:02d}:61", iso, f"{iso}T{H:02d}:{M:02d}", f"{iso} {clock}", f"{iso}T{clock}+0100",
            f"{iso}T{clock}+25:00", f"{iso}T{clock}+01", f"{iso}T{clock} Z", f"{iso}t{clock}", f"{iso}T{clock}.",
            f"{iso}T{clock},5", f"{iso}T{clock}.1234567", f"{render_parts('%Y-%m-%d', y, str(m), d)}T{clock}",
            f"{render_parts('%Y%m%d', y, m, d)}T{clock.replace(':', '')}", f"0000-01-01T{clock}",
            f"{y + 10000}-{m:02d}-{d:02d}T{clock}", f"-{iso}T{clock}", f"{iso}T{clock}z", f"{iso}T24:00:00",
            f"{iso}T{clock}+01:00:00", f"{iso}T{clock}-00:00", f" {iso}T{clock}", f"{iso}T{clock} ",
            f"{iso}T{clock}Z+01:00", f"{iso}T{clock}.5.5", f"{iso}TT{clock}", f"{iso}T{clock}+1:00",
            f"{iso}T{clock}+01:60", f"{iso}T{clock}+14:01", f"{iso}T{clock}−01:00"])

    malformed_share = 0.5


class YearCol(Col):
    type = "year"
    ordered = True
    domain = (1000, 9999)

    def setup(self, rng):
        self.finish(rng)

    def fresh(self, rng):
        lo, hi = self.bounded_range()
        return rng.randint(lo, hi)

    def render(self, rng, key):
        return f"{key:04d}" if key >= 0 else f"-{-key:04d}"

    def malformed(self, rng):
        return rng.choice(["24", "12345", "-0044", "2024.0", "abc", "+2024", "0000", " 2024", "2024 ", "20 24",
                           "２０２４", "1e3", "-044", "024", "2024-", "2,024", "0x7E8", "-12345", "1_000", "99999",
                           "-2024", "2024a", "MMXXIV", "٢٠٢٤", "20240"])

    malformed_share = 0.5


class YearmonthCol(Col):
    type = "yearmonth"
    ordered = True
    domain = (1900 * 12, 2099 * 12 + 11)

    def setup(self, rng):
        self.finish(rng)

    def fresh(self, rng):
        lo, hi = self.bounded_range()
        return rng.randint(lo, hi)

    def jsonv(self, key):
        return f"{key // 12:04d}-{key % 12 + 1:02d}"

    def render(self, rng, key):
        return self.jsonv(key)

    def malformed(self, rng):
        return rng.choice(["2024-13", "2024-00", "2024/01", "202401", "2024-01-26", "2024-1", "24-01", "-2024-01",
                           "2024-", "2024-01 ", " 2024-01", "2024-1a", "0000-01", "12345-01", "2024--01", "2024-001",
                           "2024-99", "Jan 2024", "2024-W01", "2024-+1", "+2024-01", "2024-01Z", "2024-１"])

    malformed_share = 0.5


class DurationCol(Col):
    type = "duration"
    uniqueable = False  # PT60M equals PT1H: logical duplicates are each tool's own

    def setup(self, rng):
        # no minimum/maximum: frictionless-py refuses them on a duration (departure
        # con-minimum-duration-*, a schema error rather than a false pass)
        self.finish(rng, allow_bounds=False)

    def fresh(self, rng):
        parts = []
        date = [(u, rng.randint(1, 30)) for u in "YMD" if rng.random() < 0.35]
        clock = [(u, rng.randint(1, 59)) for u in "HMS" if rng.random() < 0.35]
        if not date and not clock:
            if rng.random() < 0.2:
                return f"P{rng.randint(1, 9)}W"
            clock = [("H", rng.randint(1, 23))]
        text = "P" + "".join(f"{n}{u}" for u, n in date)
        if clock:
            text += "T" + "".join(f"{n}{u}" for u, n in clock)
        if clock and clock[-1][0] == "S" and rng.random() < 0.2:
            text = text[:-1] + ".5S"
        return text

    def malformed(self, rng):
        return rng.choice(["P", "PT", "1 day", "P1.5D", "P1DT", "PT1H1H", "P1M1Y", "PT-1H", "P1YT", "p1d", "P1D ",
                           "PT1,5S", "P-1D", "1D", "PT1.5H", "P1Y2M3DT4H5M6.5.5S", "P1W2D", "PT1S1M", "P0.5Y",
                           "P1H", "P1S", "-P1D", "+P1D", "P1Y-2M", "PT", "P T1H", "PT1H ", "Pinf", "P1e3D", "P１D",
                           "PT0.5.5S", "P1,5D", "P1DT1.5M", "T1H"])

    malformed_share = 0.6


def json_text(rng, v) -> str:
    return json.dumps(v, ensure_ascii=rng.random() < 0.5, separators=rng.choice([(",", ":"), (", ", ": ")]))


def json_scalar(rng):
    return rng.choice([rng.randint(-9, 99), word(rng, 1, 4), True, None, 1.5, [], {"k": 1}])


class JsonCol(Col):
    """object and array: JSON values, with lengths in members or items."""
    uniqueable = False

    def setup(self, rng):
        self.draw_lengths(rng, 0, 2)
        self.finish(rng, allow_enum=False)


class ObjectCol(JsonCol):
    type = "object"

    def fresh(self, rng):
        lo = self.minlen or 0
        hi = self.maxlen if self.maxlen is not None else lo + 3
        n = rng.randint(lo, hi)
        keys = rng.sample(["a", "b", "c", "d", "x", "y", "z", "é"], n)
        return json.dumps({k: json_scalar(rng) for k in keys}, sort_keys=True)

    def render(self, rng, key):
        return json_text(rng, json.loads(key))

    def length_out_of_range(self, rng):
        opts = []
        if self.maxlen is not None:
            n = self.maxlen + rng.choice([1, 2])
            opts.append(json.dumps({f"k{i}": i for i in range(n)}))
        if self.minlen:
            n = rng.randint(0, self.minlen - 1)
            opts.append(json.dumps({f"k{i}": i for i in range(n)}))
        if self.maxlen is not None and self.maxlen >= 1:
            # the same key twice: one member to Python
            opts.append('{"a": 1, "a": 2}' if self.maxlen == 1 else None)
        opts = [o for o in opts if o]
        return rng.choice(opts) if opts else None

    def type_breaking(self, rng):
        return rng.choice(["[1]", "not json", '"str"', "{'a': 1}", "{a:1}", '{"a":1,}', "1", "null", "{",
                           '{"a":1}x', "true", "[]", '{"a":1}{"b":2}', '{"a": NaN}', '{"a": 01}', '{"a": .5}',
                           '{"a": "\x01"}', '{"a": undefined}', "{}}", '{"a" 1}', '{1: 2}', "", " ", '{"a":1} ',
                           '\ufeff{"a":1}', '{"a": Infinity}', '{"a": "\\x41"}', '{"a": 1e999}'])


class ArrayCol(JsonCol):
    type = "array"

    def fresh(self, rng):
        lo = self.minlen or 0
        hi = self.maxlen if self.maxlen is not None else lo + 4
        return json.dumps([json_scalar(rng) for _ in range(rng.randint(lo, hi))])

    def render(self, rng, key):
        return json_text(rng, json.loads(key))

    def length_out_of_range(self, rng):
        opts = []
        if self.maxlen is not None:
            opts.append(json.dumps(list(range(self.maxlen + rng.choice([1, 2])))))
        if self.minlen:
            opts.append(json.dumps(list(range(rng.randint(0, self.minlen - 1)))))
        return rng.choice(opts) if opts else None

    def type_breaking(self, rng):
        return rng.choice(['{"a":1}', "1", "not json", "[1,", "[1,]", "'[1]'", "(1,2)", "[1] [2]", "null", '"[1]"',
                           "[01]", "[1 2]", "[NaN]", "[.5]", "[", "]", "[]]", "[1,,2]", "", " ", "[Infinity]",
                           "[\"a\\q\"]", "[1e999]", "['a']", "[True]", "[None]", "[-]", "[+1]"])


class GeopointCol(Col):
    """geopoint, default format: `lon, lat` within the globe."""
    type = "geopoint"
    uniqueable = False  # `90, 45` equals `90.0,45`: logical duplicates

    def setup(self, rng):
        self.finish(rng, allow_bounds=False)

    def fresh(self, rng):
        return f"{rng.randint(-180, 180)}, {rng.randint(-90, 90)}"

    def render(self, rng, key):
        lon, lat = key.split(", ")
        if rng.random() < 0.3:
            lon += rng.choice([".0", ".00", "e0"])
        return lon + rng.choice([", ", ","]) + lat

    def malformed(self, rng):
        return rng.choice(["181, 0", "0, 91", "-181,0", "0,-90.0001", "180.00000001, 0", "abc", "1,2,3", "90 45",
                           "90;45", "[90, 45]", "90,", ",45", "NaN, 0", "inf, 0", "1e3, 0", "90,45x", "90, 45, ",
                           '{"lon": 90, "lat": 45}', "x90, 45", "0x10, 5", "1_0, 5", "٩٠, 45"])

    malformed_share = 0.7


class ListCol(Col):
    """list: items of one type between a delimiter, lengths in items."""
    type = "list"
    uniqueable = False
    ITEMS = {
        "string": lambda rng: word(rng, 1, 5),
        "integer": lambda rng: str(rng.randint(-99, 999)),
        "number": lambda rng: rng.choice(["1.5", "-2", "0.25", "1e3", "7"]),
        "boolean": lambda rng: rng.choice(["true", "false", "True", "FALSE", "1", "0"]),
        "date": lambda rng: f"20{rng.randint(10, 29)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
    }
    BAD_ITEMS = {
        "integer": ["x", "1.5", "", " 1", "1e3", "0x1", "--1"],
        "number": ["x", "", "1,5", "1.2.3", "abc"],
        "boolean": ["yes", "", "t", "2", "TRUE "],
        "date": ["2024-13-01", "2024-1-5", "01/02/2024", "", "2024-02-30"],
    }

    def setup(self, rng):
        self.item = rng.choice(list(self.ITEMS))
        self.desc["itemType"] = self.item
        self.delim = rng.choice([",", ",", ";", "|"])
        if self.delim != ",":
            self.desc["delimiter"] = self.delim
        self.draw_lengths(rng, 1, 3)
        self.finish(rng, allow_enum=False, allow_bounds=False)

    def items(self, rng, n):
        out = [self.ITEMS[self.item](rng) for _ in range(n)]
        return [i for i in out if self.delim not in i] or ["1"]

    def fresh(self, rng):
        lo = self.minlen or 1
        hi = self.maxlen if self.maxlen is not None else lo + 3
        items = self.items(rng, rng.randint(lo, hi))
        while len(items) < lo:
            items.append(items[0])
        return self.delim.join(items[:hi])

    def length_out_of_range(self, rng):
        opts = []
        if self.maxlen is not None:
            opts.append(self.maxlen + rng.choice([1, 2]))
        if self.minlen and self.minlen > 1:
            opts.append(rng.randint(1, self.minlen - 1))
        if not opts:
            return None
        n = rng.choice(opts)
        items = self.items(rng, n)
        while len(items) < n:
            items.append(items[0])
        return self.delim.join(items[:n])

    def type_breaking(self, rng):
        bad = self.BAD_ITEMS.get(self.item)
        if not bad:
            return None
        items = self.fresh(rng).split(self.delim)
        items[rng.randrange(len(items))] = rng.choice(bad)
        text = self.delim.join(items)
        return text or None


COL_TYPES = [StringCol, StringCol, NumberCol, IntegerCol, BooleanCol, DateCol, TimeCol, DatetimeCol, YearCol,
             YearmonthCol, DurationCol, ObjectCol, ArrayCol, GeopointCol, ListCol]
KEYABLE = ("string", "integer", "number", "date", "year", "yearmonth", "time", "datetime")


# ---------------------------------------------------------------------------
# Schemas and base tables
# ---------------------------------------------------------------------------

@dataclass
class Group:
    gid: int
    schema: dict
    cols: list
    base: Table
    keys: list  # [[col index, ...]] whose tuples must be unique (primaryKey, unique fields)
    cases: list = dc_field(default_factory=list)


def random_schema(rng: random.Random):
    n = rng.randint(1, 5)
    cols = []
    for i in range(n):
        cls = rng.choice(COL_TYPES)
        cols.append(cls(rng, f"{cls.type[:3]}{i + 1}"))
    schema: dict = {"$schema": PROFILE_V2, "fields": [c.desc for c in cols]}
    r = rng.random()
    if r < 0.2:
        schema["missingValues"] = ["", "NA"]
    elif r < 0.3:
        schema["missingValues"] = ["NA"]
    elif r < 0.35:
        schema["missingValues"] = []
    elif r < 0.45:
        schema["missingValues"] = ["", "-", "n/a"]
    for c in cols:
        if rng.random() < 0.05:
            c.desc["missingValues"] = rng.choice([["-"], [], ["", "?"]])
        c.missing = harness.missing_values(schema, c.desc)
    keys = []
    keyable = [i for i, c in enumerate(cols) if c.type in KEYABLE and not c.enum_keys]
    if keyable and rng.random() < 0.3:
        pk = sorted(rng.sample(keyable, min(len(keyable), rng.choice([1, 1, 2]))))
        names = [cols[i].name for i in pk]
        schema["primaryKey"] = names if len(names) > 1 or rng.random() < 0.7 else names[0]
        keys.append(pk)
    for i, c in enumerate(cols):
        if c.uniqueable and not c.enum_keys and rng.random() < 0.1:
            c.cons["unique"] = True
            c.desc["constraints"] = c.cons
            keys.append([i])
    if rng.random() < 0.25:
        schema["fieldsMatch"] = rng.choice(["exact", "equal", "subset", "superset", "partial"])
    return schema, cols, keys


def in_pk(schema: dict, name: str) -> bool:
    pk = schema.get("primaryKey", [])
    return name in ([pk] if isinstance(pk, str) else pk)


def base_table(rng: random.Random, schema: dict, cols: list, keys: list) -> Table:
    nrows = rng.randint(2, 6)
    rows, keyrows = [], []
    seen = [set() for _ in keys]
    for _ in range(nrows):
        for _attempt in range(30):
            cells, ks = [], []
            for c in cols:
                nullable = c.missing and not c.required and not in_pk(schema, c.name)
                if nullable and rng.random() < 0.12:
                    cells.append(rng.choice(c.missing))
                    ks.append(None)
                else:
                    k, t = c.value(rng)
                    cells.append(t)
                    ks.append(k)
            if all(k is None for k in ks):
                continue  # every cell missing: a blank row
            tuples = [tuple(ks[i] for i in key) for key in keys]
            if all(any(v is None for v in tup) or tup not in s for tup, s in zip(tuples, seen)):
                for tup, s in zip(tuples, seen):
                    s.add(tup)
                rows.append(cells)
                keyrows.append(ks)
                break
    header = [c.name for c in cols]
    return Table(schema, header, rows)


# ---------------------------------------------------------------------------
# Mutations: data, replayed on a copy of the base table
# ---------------------------------------------------------------------------

CELL_KINDS = ["out-of-range", "empty-required", "quoted-empty", "outside-enum", "non-number",
              "malformed-timestamp", "type-breaking", "json-kind"]
ROW_KINDS = ["blank-row", "short-row", "long-row", "duplicate-row"]
HEADER_KINDS = ["rename-label", "reorder", "duplicate-label"]
TEMPORAL = ("date", "time", "datetime", "year", "yearmonth", "duration")


def apply(base: Table, muts: list) -> Table:
    t = base.copy()
    for m in muts:
        op = m["op"]
        if op == "cell":
            v = m["value"]
            t.rows[m["row"]][m["col"]] = Quoted(v) if m.get("quoted") else v
        elif op == "insert-row":
            t.rows.insert(m["row"], list(m["cells"]))
        elif op == "truncate-row":
            del t.rows[m["row"]][m["keep"]:]
        elif op == "extend-row":
            t.rows[m["row"]].extend(m["cells"])
        elif op == "prefix":
            t.prefix = m["text"]
        elif op == "label":
            t.header[m["col"]] = m["value"]
        elif op == "swap-labels":
            i, j = m["cols"]
            t.header[i], t.header[j] = t.header[j], t.header[i]
        elif op == "swap-columns":
            i, j = m["cols"]
            t.header[i], t.header[j] = t.header[j], t.header[i]
            for r in t.rows:
                if i < len(r) and j < len(r):
                    r[i], r[j] = r[j], r[i]
        else:
            raise ValueError(op)
    return t


def draw_cell(rng: random.Random, kind: str, col: Col, schema: dict) -> Optional[tuple]:
    """(value, quoted) for a cell edit of this kind on this column, or None."""
    if kind == "out-of-range":
        v = col.out_of_range(rng)
    elif kind == "empty-required":
        if not (col.required or in_pk(schema, col.name)) or not col.missing:
            return None
        v = rng.choice(col.missing)
    elif kind == "quoted-empty":
        return ("", True)
    elif kind == "outside-enum":
        v = col.outside_enum(rng)
    elif kind == "non-number":
        v = col.non_number(rng)
        if v is not None and rng.random() < 0.3:
            v = perturb(rng, col.value(rng)[1])
    elif kind == "malformed-timestamp":
        v = col.malformed(rng) if col.type in TEMPORAL else None
        if v is not None and rng.random() < 0.3:
            v = perturb(rng, col.value(rng)[1])
    elif kind == "json-kind":
        return (JsonValue(rng.choice(JSON_VALUES)), False)
    elif kind == "type-breaking":
        v = col.type_breaking(rng)
        if v is not None and col.type not in ("string", "object", "array") and rng.random() < 0.2:
            v = perturb(rng, col.value(rng)[1])
    else:
        raise ValueError(kind)
    if v is None:
        return None
    return (v, rng.random() < 0.05 and v != "")


def draw_mutation(rng: random.Random, g: Group, t: Table, muts: list) -> Optional[dict]:
    cols = g.cols
    width = len(cols)
    r = rng.random()
    if r < 0.62:  # a cell edit
        kind = rng.choice(CELL_KINDS)
        if not t.rows:
            return None
        # prefer a column the kind applies to
        order = list(range(width))
        rng.shuffle(order)
        for j in order:
            col = cols[j]
            got = draw_cell(rng, kind, col, g.schema)
            if got is None:
                continue
            # the column still at its place (no swapped columns before), a full row
            if any(m["op"] == "swap-columns" for m in muts):
                return None
            rows = [i for i, row in enumerate(t.rows) if len(row) == width]
            if not rows:
                return None
            v, quoted = got
            return {"op": "cell", "kind": kind, "row": rng.choice(rows), "col": j, "field": col.name,
                    "type": col.label(), "value": v, "quoted": quoted, "departure": cell_departure(col, v)}
        return None
    if r < 0.85:  # a row edit
        kind = rng.choice(ROW_KINDS)
        if kind == "blank-row":
            variant = rng.choice(["empty-line", "empty-line", "delimiters-only", "before-header"])
            if variant == "before-header":
                if muts or t.prefix:
                    return None  # alone: the departure would hide every other edit
                return {"op": "prefix", "kind": kind, "variant": variant, "text": "\n",
                        "departure": row_departure(kind, variant)}
            cells = [] if variant == "empty-line" else [""] * width
            if variant == "delimiters-only" and width == 1:
                cells = [Quoted("")]
            return {"op": "insert-row", "kind": kind, "variant": variant, "row": rng.randint(0, len(t.rows)),
                    "cells": cells}
        if not t.rows:
            return None
        i = rng.randrange(len(t.rows))
        if kind == "short-row":
            if len(t.rows[i]) < 2:
                return None
            return {"op": "truncate-row", "kind": kind, "row": i, "keep": rng.randint(1, len(t.rows[i]) - 1)}
        if kind == "long-row":
            cells = [rng.choice(["", "x", "1", Quoted("")]) for _ in range(rng.choice([1, 1, 2]))]
            return {"op": "extend-row", "kind": kind, "row": i, "cells": cells}
        if kind == "duplicate-row":
            cells = list(t.rows[i])
            variant = "same"
            if g.keys and rng.random() < 0.3 and len(cells) == width:
                variant = "equivalent"
                for key in g.keys:
                    for j in key:
                        e = cols[j].equivalent(rng, cells[j])
                        if e is not None and e not in cols[j].missing:
                            cells[j] = e
            # A copy of a cell an earlier edit gave a documented departure's
            # value (a date in year 0000) falls under that departure too.
            deps = sorted({cell_departure(col, str(c)) for col, c in zip(cols, cells)} - {None})
            return {"op": "insert-row", "kind": kind, "variant": variant, "row": rng.randint(0, len(t.rows)),
                    "cells": cells, "departure": deps[0] if deps else None}
        return None
    # a header edit
    kind = rng.choice(HEADER_KINDS)
    if kind == "rename-label":
        j = rng.randrange(width)
        old = t.header[j]
        new = rng.choice([old + "_x", old.upper(), "", old + "2", "Unnamed", old[:-1], old + " ",
                          old.capitalize(), "x" + old])
        if new == old:
            return None
        return {"op": "label", "kind": kind, "col": j, "value": new,
                "departure": "label-blanks" if new.strip() == old else None}
    if width < 2:
        return None
    i, j = rng.sample(range(width), 2)
    if kind == "reorder":
        variant = rng.choice(["labels", "columns"])
        return {"op": "swap-labels" if variant == "labels" else "swap-columns", "kind": kind, "variant": variant,
                "cols": [i, j]}
    return {"op": "label", "kind": "duplicate-label", "col": i, "value": t.header[j]}


def mutate(rng: random.Random, g: Group) -> list:
    n = rng.choices([1, 2, 3], weights=[65, 25, 10])[0]
    muts: list = []
    t = g.base.copy()
    tries = 0
    while len(muts) < n and tries < 40:
        tries += 1
        m = draw_mutation(rng, g, t, muts)
        if m is None:
            continue
        if muts and any(x.get("departure") == "blank-line-before-header" for x in muts):
            break
        muts.append(m)
        t = apply(t, [m])
    return muts


def cell_only(muts: list) -> bool:
    return all(m["op"] == "cell" and not m.get("quoted") for m in muts)


def describe(m: dict) -> str:
    k = m["kind"]
    if m["op"] == "cell":
        q = " quoted" if m.get("quoted") else ""
        return f"{k}({m['field']}: {m['type']}) row {m['row'] + 1} := {json.dumps(m['value'], ensure_ascii=False)}{q}"
    if m["op"] == "insert-row":
        return f"{k}/{m['variant']} at row {m['row'] + 1}"
    if m["op"] == "truncate-row":
        return f"{k} row {m['row'] + 1} keeps {m['keep']} cells"
    if m["op"] == "extend-row":
        return f"{k} row {m['row'] + 1} + {len(m['cells'])} cells"
    if m["op"] == "prefix":
        return f"{k}/{m['variant']}"
    if m["op"] == "label":
        return f"{k} column {m['col'] + 1} := {json.dumps(m['value'], ensure_ascii=False)}"
    return f"{k}/{m.get('variant')} columns {m['cols'][0] + 1}<->{m['cols'][1] + 1}"


# ---------------------------------------------------------------------------
# Running the tools
# ---------------------------------------------------------------------------

def _fl_init():
    warnings.filterwarnings("ignore")
    import frictionless  # noqa: F401


def fl_batch(items: list) -> list:
    """[(abs path, fmt, schema)] -> [frictionless result] (in a worker process)."""
    return [harness.fl_validate(Path(p), fmt, schema) for p, fmt, schema in items]


@dataclass
class File:
    case: dict  # the case (or base) this file is of
    fmt: str
    rel: str
    srel: str
    fl: Optional[dict] = None
    kiln: Optional[dict] = None


def is_false_pass(f: File) -> bool:
    return f.fl["verdict"] == "invalid" and harness.kiln_class(f.kiln) == "valid"


def check_one(env, t: Table, fmt: str = "csv", name: str = "one"):
    """frictionless and kiln on one table, in this process: (fl, kiln)."""
    repo, kiln = env
    path = repo / "scratch" / f"{name}.{harness.EXT[fmt]}"
    path.parent.mkdir(exist_ok=True)
    write_table(t, fmt, path)
    srel = f"scratch/{name}.schema.json"
    (repo / srel).write_text(json.dumps(t.schema, ensure_ascii=False, indent=1), encoding="utf-8")
    fl = harness.fl_validate(path, fmt, t.schema)
    k = harness.run_kiln(kiln, repo, [f"scratch/{path.name}"], srel)[f"scratch/{path.name}"]
    return fl, k


# ---------------------------------------------------------------------------
# Classes of false passes and shrinking
# ---------------------------------------------------------------------------

def fl_error_types(fl: dict) -> list:
    return sorted({e["type"] for e in fl["errors"]})


def field_label(fdesc: dict) -> str:
    bits = [f"{k}={json.dumps(fdesc[k], ensure_ascii=False)}" for k in ("format", "bareNumber", "groupChar", "decimalChar")
            if k in fdesc and fdesc[k] != "default"]
    return fdesc.get("type", "any") + (f"[{', '.join(bits)}]" if bits else "")


def class_of(case: dict, fl: dict, k: dict) -> str:
    """What frictionless-py objects to (error type on a field's type and
    format) and what kiln says it did not check: false passes alike here
    share a cause, whatever the edits that led to them."""
    schema = case["table"].schema
    errs = set()
    for e in fl["errors"]:
        if e["type"] in ("primary-key", "unique-error") and len(fl["errors"]) > 1:
            continue  # a consequence of a cell's error (its row's key reads as null)
        fdesc = harness.field_by_name(schema, e["field"]) if e.get("field") else {}
        errs.add(e["type"] + (f" on {field_label(fdesc)}" if fdesc else ""))
    text = "frictionless " + ", ".join(sorted(errs))
    nc = sorted({n.get("check") for n in k.get("notChecked", [])})
    if nc:
        text += f"; kiln did not check {', '.join(nc)}"
    return text


def drop_field(t: Table, j: int) -> Optional[Table]:
    u = t.copy()
    fields = u.schema["fields"]
    if j < len(fields):
        name = fields[j]["name"]
        if in_pk(u.schema, name):
            return None
        del fields[j]
        if not fields:
            return None
    if j < len(u.header):
        del u.header[j]
    for r in u.rows:
        if j < len(r):
            del r[j]
    return u


def shrink(env, t: Table, fmt: str, fl0: dict, budget: int = 120) -> tuple:
    """A smaller table (and schema) that is still a false pass with the same
    frictionless error types; (table, fl, kiln)."""
    want = fl_error_types(fl0)
    best, best_fl, best_k = t, fl0, None
    tries = 0

    def ok(u: Table):
        nonlocal tries
        tries += 1
        if u is None:
            return None
        try:
            fl, k = check_one(env, u, fmt, "shrink")
        except Exception:
            return None
        if fl["verdict"] == "invalid" and harness.kiln_class(k) == "valid" and fl_error_types(fl) == want:
            return fl, k
        return None

    changed = True
    while changed and tries < budget:
        changed = False
        # rows, last first
        for i in reversed(range(len(best.rows))):
            if len(best.rows) <= 1 or tries >= budget:
                break
            u = best.copy()
            del u.rows[i]
            got = ok(u)
            if got:
                best, (best_fl, best_k), changed = u, got, True
        # columns
        for j in reversed(range(max(len(best.header), len(best.schema["fields"])))):
            if tries >= budget or len(best.header) <= 1:
                break
            got = ok(drop_field(best, j))
            if got:
                best, (best_fl, best_k), changed = drop_field(best, j), got, True
        # schema-level keys
        for key in ("primaryKey", "missingValues", "fieldsMatch"):
            if key in best.schema and tries < budget:
                u = best.copy()
                del u.schema[key]
                got = ok(u)
                if got:
                    best, (best_fl, best_k), changed = u, got, True
        # constraints and options of each field
        for fi, fdesc in enumerate(best.schema["fields"]):
            for key in list(fdesc.get("constraints", {})):
                if tries >= budget:
                    break
                u = best.copy()
                cons = u.schema["fields"][fi]["constraints"]
                del cons[key]
                if not cons:
                    del u.schema["fields"][fi]["constraints"]
                got = ok(u)
                if got:
                    best, (best_fl, best_k), changed = u, got, True
            for key in ("missingValues", "bareNumber", "groupChar", "decimalChar"):
                if key in best.schema["fields"][fi] and tries < budget:
                    u = best.copy()
                    del u.schema["fields"][fi][key]
                    got = ok(u)
                    if got:
                        best, (best_fl, best_k), changed = u, got, True
    if best_k is None:
        best_fl, best_k = check_one(env, best, fmt, "shrink")
    return best, best_fl, best_k


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------

def show_text(text: str, indent: str = "    | ") -> str:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines = lines[:-1]
    out = []
    for line in lines[:24]:
        shown = line.replace("\r", "\\r").replace("\t", "\\t")
        out.append(indent + (shown if shown else "(blank line)"))
    if len(lines) > 24:
        out.append(indent + f"... {len(lines) - 24} more lines")
    return "\n".join(out)


def compact_schema(schema: dict) -> str:
    s = {k: v for k, v in schema.items() if k != "$schema"}
    return json.dumps(s, ensure_ascii=False)


def table_text(t: Table, fmt: str) -> str:
    if fmt == "ndjson":
        rows = [[c if isinstance(c, JsonValue) else str(c) for c in r] for r in t.rows]
        return harness.render_ndjson(Case("p", "property", t.schema, t.header, rows))
    return csv_text(t)


def print_false_pass(n: int, f: File) -> None:
    c = f.case
    print(f"#{n} {c['name']} [{f.fmt}]" + ("  (the unmutated base table)" if not c["muts"] else ""))
    for m in c["muts"]:
        print(f"  edit: {describe(m)}")
    print("  schema: " + compact_schema(c["table"].schema))
    print(f"  table ({'CSV text' if f.fmt != 'ndjson' else 'NDJSON text'}"
          f"{'; written as Parquet' if f.fmt == 'parquet' else ''}):")
    print(show_text(table_text(c["table"], f.fmt)))
    print(f"  frictionless: {harness.fl_text(f.fl)}")
    print(f"  kiln:         {harness.kiln_text(f.kiln)}")


# ---------------------------------------------------------------------------

def generate(seed: int, n_cases: int) -> list:
    rng = random.Random(seed)
    groups, total, gid = [], 0, 0
    while total < n_cases:
        schema, cols, keys = random_schema(rng)
        base = base_table(rng, schema, cols, keys)
        g = Group(gid, schema, cols, base, keys)
        gid += 1
        for k in range(min(rng.randint(6, 14), n_cases - total)):
            muts = mutate(rng, g)
            if not muts:
                continue
            t = apply(base, muts)
            fmts = ["csv"]
            if cell_only(muts) and any(m["kind"] == "json-kind" for m in muts):
                fmts.append("ndjson")  # where a JSON value's kind is the edit
            elif cell_only(muts) and rng.random() < 0.25:
                fmts.append("parquet" if HAVE_PYARROW and rng.random() < 0.4 else "ndjson")
            g.cases.append({"name": f"p{g.gid}-{k + 1}", "muts": muts, "table": t, "formats": fmts})
            total += 1
        groups.append(g)
    return groups


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cases", type=int, default=300, help="mutated tables (default 300)")
    ap.add_argument("--kiln", default=None, help="kiln binary (default: $KILN, kiln on PATH, target/{release,debug}/kiln)")
    ap.add_argument("--jobs", type=int, default=2, help="kiln processes and frictionless workers at once (default 2)")
    ap.add_argument("--json", dest="json_out", metavar="OUT", help="write every false pass here")
    ap.add_argument("--keep", metavar="DIR", help="write the cases into DIR (must not exist) and keep them")
    ap.add_argument("--no-shrink", action="store_true", help="no minimal example per class of false pass")
    ap.add_argument("--max-details", type=int, default=None, help="print at most this many false passes in full")
    ap.add_argument("--departures", default=str(HERE / "departures.json"))
    args = ap.parse_args()
    kiln = harness.resolve_kiln(args.kiln)
    warnings.filterwarnings("ignore")
    try:
        import frictionless  # noqa: F401
    except ImportError:
        print("frictionless is not importable: run with $HOME/.cache/kiln-tools/py/bin/python", file=sys.stderr)
        return 2
    departures = {d["case"]: d for d in harness.load_departures(Path(args.departures))}
    for key, case in DEPARTURE_CASES.items():
        if case not in departures:
            print(f"departure {key}: case {case} is not in {args.departures}", file=sys.stderr)
            return 2
    t0 = time.monotonic()

    groups = generate(args.seed, args.cases)
    t_gen = time.monotonic() - t0

    root, cleanup = harness.work_root(args.keep, "kiln-property-")
    repo = root / "repo"
    err = harness.init_repo(repo, kiln)
    if err:
        print(err, file=sys.stderr)
        return 2
    env = (repo, kiln)

    schema_files: dict = {}
    files: list = []
    by_schema = defaultdict(list)
    fl_tasks = []
    for g in groups:
        srel = harness.schema_file(repo, g.schema, schema_files)
        items = []
        base_case = {"name": f"p{g.gid}-base", "muts": [], "table": g.base, "formats": ["csv"]}
        for c in [base_case] + g.cases:
            for fmt in c["formats"]:
                rel = f"data/{c['name']}.{harness.EXT[fmt]}"
                write_table(c["table"], fmt, repo / rel)
                f = File(c, fmt, rel, srel)
                files.append(f)
                by_schema[srel].append(rel)
                items.append((str(repo / rel), fmt, g.schema))
        fl_tasks.append(items)
    t_write = time.monotonic() - t0

    jobs = max(1, args.jobs)
    # frictionless-py in worker processes (forked before kiln's threads start)
    with ProcessPoolExecutor(max_workers=jobs, initializer=_fl_init) as fpool, ThreadPoolExecutor(max_workers=jobs) as kpool:
        ffutures = [fpool.submit(fl_batch, items) for items in fl_tasks]
        kfutures = harness.submit_kiln(kpool, kiln, repo, by_schema)
        fl_results = {}
        for items, fut in zip(fl_tasks, ffutures):
            for (p, _fmt, _s), res in zip(items, fut.result()):
                fl_results[os.path.relpath(p, repo)] = res
        t_fl = time.monotonic() - t0
        kiln_results = {}
        for fut in kfutures:
            kiln_results.update(fut.result())
        t_kiln = time.monotonic() - t0
    for f in files:
        f.fl = fl_results[f.rel]
        f.kiln = kiln_results[f.rel]
    t_run = time.monotonic() - t0

    # false passes, documented departures skipped
    false_passes, skipped = [], []
    group_of = {}
    for g in groups:
        for c in g.cases:
            group_of[c["name"]] = g
    for f in files:
        if not is_false_pass(f):
            continue
        deps = [m for m in f.case["muts"] if m.get("departure")]
        if deps:
            # undo the departure edits: documented only when frictionless-py
            # then passes the table, or kiln then fails it too (the other
            # edits' errors needed the departure's cell to show, as a
            # duplicate row whose key a departure's value changed)
            g = group_of[f.case["name"]]
            muts = f.case["muts"]
            rest = [m for i, m in enumerate(muts) if not m.get("departure") and not overwritten(muts, i)]
            undone = apply(g.base, rest)
            fl, k = check_one(env, undone, f.fmt, "undone")
            if fl["verdict"] == "valid" or harness.kiln_class(k) != "valid":
                skipped.append((f, sorted({m["departure"] for m in deps})))
                continue
        false_passes.append(f)
    t_cmp = time.monotonic() - t0

    n_cases = sum(len(g.cases) for g in groups)
    fp_cases = sorted({f.case["name"] for f in false_passes})
    sk_cases = sorted({f.case["name"] for f, _ in skipped} - set(fp_cases))
    print(f"property: {n_cases} cases, {len(fp_cases)} false passes ({len(sk_cases)} documented departures skipped)")

    # context
    base_files = [f for f in files if not f.case["muts"]]
    case_files = [f for f in files if f.case["muts"]]
    fmts = Counter(f.fmt for f in case_files)
    fl_v = Counter(f.fl["verdict"] for f in case_files)
    k_v = Counter(harness.kiln_class(f.kiln) for f in case_files)
    print(f"seed {args.seed}: {len(groups)} schemas, {len(case_files)} files "
          f"({', '.join(f'{k} {v}' for k, v in sorted(fmts.items()))}); "
          f"frictionless: {', '.join(f'{k} {v}' for k, v in sorted(fl_v.items()))}; "
          f"kiln: {', '.join(f'{k} {v}' for k, v in sorted(k_v.items()))}")
    base_bad = [f for f in base_files if f.fl["verdict"] != "valid"]
    print(f"base tables: {len(base_files)}, {len(base_files) - len(base_bad)} valid to frictionless-py"
          + (f" ({', '.join(sorted({harness.fl_text(f.fl)[:80] for f in base_bad})[:3])})" if base_bad else ""))
    if skipped:
        sk = Counter(d for _f, ds in skipped for d in ds)
        print("departures skipped: " + ", ".join(f"{k} ({DEPARTURE_CASES[k]}) {v}" for k, v in sorted(sk.items())))
    odd = [f for f in files if f.fl["verdict"] in ("crash", "schema-error")
           or harness.kiln_class(f.kiln) in ("crash", "schema-error")]
    if odd:
        print(f"not compared (a schema error or a crash): {len(odd)} files; " + "; ".join(
            sorted({f"frictionless {harness.fl_text(f.fl)[:70]} / kiln {harness.kiln_text(f.kiln)[:70]}"
                    for f in odd})[:4]))
    print(f"time: {t_cmp:.1f}s (generate {t_gen:.1f}s, write {t_write - t_gen:.1f}s, validate {t_run - t_write:.1f}s: "
          f"frictionless done at {t_fl:.1f}s, kiln at {t_kiln:.1f}s; compare {t_cmp - t_run:.1f}s)")

    classes: dict = defaultdict(list)
    for f in false_passes:
        classes[class_of(f.case, f.fl, f.kiln)].append(f)

    if false_passes:
        print()
        print(f"False passes ({len(false_passes)} files of {len(fp_cases)} cases; schemas are shown without "
              f"their `$schema`, the Table Schema v2 profile):")
        shown = false_passes if args.max_details is None else false_passes[:args.max_details]
        for n, f in enumerate(shown, 1):
            print()
            print_false_pass(n, f)
        if len(shown) < len(false_passes):
            print(f"\n... {len(false_passes) - len(shown)} more (--max-details)")
        print()
        print(f"Classes of false passes ({len(classes)}):")
        for cls, fs in sorted(classes.items(), key=lambda kv: -len(kv[1])):
            f = fs[0]
            print()
            print(f"* {cls}: {len(fs)} files, e.g. #{false_passes.index(f) + 1} {f.case['name']} [{f.fmt}]")
            for m in f.case["muts"]:
                print(f"  edit: {describe(m)}")
            if args.no_shrink:
                continue
            t, fl, k = shrink(env, f.case["table"], f.fmt, f.fl)
            print("  minimal schema: " + compact_schema(t.schema))
            print(show_text(table_text(t, f.fmt), "    | "))
            print(f"  frictionless: {harness.fl_text(fl)}")
            print(f"  kiln:         {harness.kiln_text(k)}")
        print(f"\ntime with shrinking: {time.monotonic() - t0:.1f}s")

    if args.json_out:
        Path(args.json_out).write_text(json.dumps({
            "seed": args.seed, "cases": n_cases, "kiln": kiln,
            "falsePasses": [{"case": f.case["name"], "format": f.fmt, "edits": [describe(m) for m in f.case["muts"]],
                             "schema": f.case["table"].schema, "table": table_text(f.case["table"], f.fmt),
                             "frictionless": f.fl, "kiln": f.kiln, "class": class_of(f.case, f.fl, f.kiln)}
                            for f in false_passes],
            "skipped": [{"case": f.case["name"], "format": f.fmt, "departures": ds} for f, ds in skipped],
        }, indent=1, ensure_ascii=False, default=str))
    if cleanup is not None:
        cleanup.cleanup()
    print(f"total time: {time.monotonic() - t0:.1f}s", file=sys.stderr)
    return 1 if false_passes else 0


if __name__ == "__main__":
    sys.exit(main())
