"""Checks kiln's OpenLineage events with the openlineage-python client.

    python validate.py EVENTS.ndjson

Each event is rebuilt from the client's generated attrs classes (RunEvent, Run,
Job, InputDataset, OutputDataset and one facet class per facet key), passing
the JSON object's members as keyword arguments, so the client rejects unknown
and missing fields and runs its validators (uuid `runId`, date-time
`eventTime`, URIs). The values are also checked against the classes' declared
types, which attrs does not enforce. A facet key this script does not map to a
class is an error. The rebuilt event is then serialised with the client's
`Serde` and compared with the input, so anything the client would drop, rename
or fill in (such as a missing `producer`) is an error too.

Prints the number of valid events, or one line naming the first invalid event
and what is wrong with it, and exits 1.
"""

from __future__ import annotations

import enum
import json
import re
import sys
import types
import typing

import attr
from openlineage.client.event_v2 import RunEvent
from openlineage.client.generated import base
from openlineage.client.generated.data_quality_assertions_dataset import (
    DataQualityAssertionsDatasetFacet,
)
from openlineage.client.generated.dataset_version_dataset import DatasetVersionDatasetFacet
from openlineage.client.generated.output_statistics_output_dataset import (
    OutputStatisticsOutputDatasetFacet,
)
from openlineage.client.generated.processing_engine_run import ProcessingEngineRunFacet
from openlineage.client.generated.schema_dataset import SchemaDatasetFacet
from openlineage.client.generated.source_code_location_job import SourceCodeLocationJobFacet
from openlineage.client.generated.symlinks_dataset import SymlinksDatasetFacet
from openlineage.client.serde import Serde

# The facets kiln may emit, by the kind of facet map they belong in (the value
# type of the `facets`, `inputFacets` or `outputFacets` field that holds them).
FACETS: dict[type, dict[str, type]] = {
    base.RunFacet: {"processing_engine": ProcessingEngineRunFacet},
    base.JobFacet: {"sourceCodeLocation": SourceCodeLocationJobFacet},
    base.DatasetFacet: {
        "version": DatasetVersionDatasetFacet,
        "schema": SchemaDatasetFacet,
        "symlinks": SymlinksDatasetFacet,
    },
    base.InputDatasetFacet: {"dataQualityAssertions": DataQualityAssertionsDatasetFacet},
    base.OutputDatasetFacet: {"outputStatistics": OutputStatisticsOutputDatasetFacet},
}
for kind, known in FACETS.items():
    for cls in known.values():
        assert issubclass(cls, kind), (cls, kind)


class Invalid(Exception):
    """What is wrong, and where in the event."""

    def __init__(self, where: str, what: str) -> None:
        super().__init__(f"{where or 'event'}: {what}")


def join(where: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else key


def unwrap_optional(hint: typing.Any) -> tuple[typing.Any, bool]:
    """`X | None` as (X, True); anything else as (hint, False)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return hint, False


def convert(where: str, hint: typing.Any, value: typing.Any) -> typing.Any:
    """`value` from the JSON event as the client expects a field of type
    `hint`: attrs classes, lists of them, facet maps and enums are built;
    plain values are type-checked and passed through."""
    hint, optional = unwrap_optional(hint)
    if value is None:
        if optional:
            return None
        raise Invalid(where, "is null")
    if hint is typing.Any:
        return value
    origin = typing.get_origin(hint)
    if origin is list:
        if not isinstance(value, list):
            raise Invalid(where, f"is not an array: {value!r}")
        (item,) = typing.get_args(hint)
        return [convert(join(where, i), item, v) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise Invalid(where, f"is not an object: {value!r}")
        _, item = typing.get_args(hint)
        if item in FACETS:
            return {k: facet(join(where, k), item, k, v) for k, v in value.items()}
        return {k: convert(join(where, k), item, v) for k, v in value.items()}
    if isinstance(hint, type) and attr.has(hint):
        return build(where, hint, value)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        try:
            return hint(value)
        except ValueError:
            allowed = "|".join(m.value for m in hint)
            raise Invalid(where, f"{value!r} is not one of {allowed}") from None
    if hint is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif hint in (str, bool):
        ok = isinstance(value, hint)
    else:
        raise Invalid(where, f"has a type this script does not know: {hint!r}")
    if not ok:
        raise Invalid(where, f"is not of type {hint.__name__}: {value!r}")
    return value


def facet(where: str, kind: type, key: str, value: typing.Any) -> typing.Any:
    cls = FACETS[kind].get(key)
    if cls is None:
        raise Invalid(where, f"unknown {kind.__name__} {key!r} (known: {', '.join(FACETS[kind])})")
    return build(where, cls, value)


def build(where: str, cls: type, value: typing.Any) -> typing.Any:
    """An instance of the attrs class `cls` made from the JSON object `value`,
    its members passed as keyword arguments."""
    if not isinstance(value, dict):
        raise Invalid(where, f"is not an object: {value!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in attr.fields(cls)}
    kwargs = {}
    for key, v in value.items():
        f = fields.get(key)
        if f is None:
            # An unknown member: let the client refuse it.
            kwargs[key] = v
        elif f.init:
            kwargs[f.alias] = convert(join(where, key), hints[key], v)
        # Members the client computes itself (`schemaURL`, `_schemaURL`) are
        # not arguments; they are compared after the round trip.
    try:
        return cls(**kwargs)
    except (TypeError, ValueError, OverflowError) as e:
        raise blame(where, cls, kwargs, e) from None


def blame(where: str, cls: type, kwargs: dict[str, typing.Any], error: Exception) -> Invalid:
    """The field whose validator refuses its value, or the error itself."""
    for f in attr.fields(cls):
        if f.validator is None or f.alias not in kwargs:
            continue
        value = kwargs[f.alias]
        try:
            f.validator(None, f, value)
        except Exception as e:  # noqa: BLE001
            return Invalid(join(where, f.name), f"{value!r} is refused by {cls.__name__}: {one_line(e)}")
    return Invalid(where, one_line(error))


def one_line(e: Exception) -> str:
    return " ".join(str(e).split()) or type(e).__name__


def drop_empty(value: typing.Any) -> typing.Any:
    """Without members that are `{}` or `[]`: the client gives every facet
    map and list a default of `{}` or `[]` and writes it out, where kiln
    leaves an empty one out; the spec reads both the same."""
    if isinstance(value, dict):
        out = {k: drop_empty(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in ({}, [])}
    if isinstance(value, list):
        return [drop_empty(v) for v in value]
    return value


SCHEMA_URL = re.compile(r"^(https://openlineage\.io/spec/(?:facets/)?)(\d+)-(\d+)-(\d+)(/.*)$")


def same_schema(ours: str, theirs: str) -> bool:
    """Whether the schema URL kiln wrote names the same schema definition as
    the one the client writes (which is always its own version's): the same
    document and `$defs` entry at the same major version, no newer."""
    if ours == theirs:
        return True
    a, b = SCHEMA_URL.match(ours), SCHEMA_URL.match(theirs)
    if not a or not b or a[1] != b[1] or a[5] != b[5] or a[2] != b[2]:
        return False
    return (int(a[3]), int(a[4])) <= (int(b[3]), int(b[4]))


def compare(where: str, ours: typing.Any, theirs: typing.Any) -> None:
    """Raises at the first place where the client's serialisation differs."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        for key in sorted(ours.keys() | theirs.keys()):
            at = join(where, key)
            if key not in theirs:
                raise Invalid(at, f"is dropped by the client: {ours[key]!r}")
            if key not in ours:
                raise Invalid(at, f"is missing; the client would write {theirs[key]!r}")
            if key in ("schemaURL", "_schemaURL") and isinstance(ours[key], str):
                if not same_schema(ours[key], theirs[key]):
                    raise Invalid(at, f"{ours[key]!r} is not the client's {theirs[key]!r}")
                continue
            compare(at, ours[key], theirs[key])
    elif isinstance(ours, list) and isinstance(theirs, list):
        if len(ours) != len(theirs):
            raise Invalid(where, f"has {len(ours)} items; the client writes {len(theirs)}")
        for i, (a, b) in enumerate(zip(ours, theirs)):
            compare(join(where, i), a, b)
    elif type(ours) is not type(theirs) or ours != theirs:
        raise Invalid(where, f"{ours!r} becomes {theirs!r} in the client")


def check(line: str) -> None:
    try:
        event = json.loads(line)
    except ValueError as e:
        raise Invalid("", f"is not JSON: {one_line(e)}") from None
    built = build("", RunEvent, event)
    compare("", drop_empty(event), drop_empty(Serde.to_dict(built)))


def main() -> int:
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} EVENTS.ndjson", file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        lines = f.read().splitlines()
    count = 0
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            check(line)
        except Invalid as e:
            print(f"event on line {n} is invalid: {e}")
            return 1
        count += 1
    print(count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
