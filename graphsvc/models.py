"""Pydantic models shared by the API, the repository and the loaders.

One module over ~300 lines on purpose: it is the API's contract (what /docs shows), read in one
place, and its validators (attribute keys and values, dates) are shared by every resource's models.
"""

import math
import re
from datetime import date, datetime
from functools import lru_cache
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    PlainValidator,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from graphsvc.identifiers import (
    ATTRIBUTE_KEY_PATTERN,
    ID_PATTERN,
    RESERVED_ATTRIBUTES,
    check_record_type,
)
from graphsvc.text import check_name, check_text, check_unicode

MAX_ATTRIBUTES = 200  # per record: each new key is a property key Neo4j keeps for good
INT64 = 2**63  # Neo4j integers are 64-bit

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
RecordType = Annotated[str, AfterValidator(check_record_type)]
# Every name-like field (record name, role name, a role referred to by name) obeys one rule,
# graphsvc/text.py: surrounding blanks trimmed, then not blank, no control, bidi-control or
# unpaired-surrogate characters. Descriptions are free text: line breaks and tabs allowed.
Name = Annotated[str, AfterValidator(check_name), StringConstraints(min_length=1, max_length=500)]
RoleName = Annotated[
    str, AfterValidator(check_name), StringConstraints(min_length=1, max_length=100)
]
Text = Annotated[str, AfterValidator(check_text), StringConstraints(max_length=2000)]
State = Literal["active", "inactive"]
Category = Literal[
    "business", "family", "social", "sales", "other", "stakeholder", "sales_team", "service"
]
Scalar = Annotated[str, StringConstraints(max_length=10000)] | bool | int | float


def _check_value(value: object) -> object:
    """What Neo4j could not store faithfully, refused before the union picks a type: integers
    beyond 64 bits (else read as a float, digits lost), NaN and infinities (JSON has no such
    values; `1e999` parses as infinity) and strings that are not valid Unicode."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, int) and not isinstance(item, bool) and not -INT64 <= item < INT64:
            raise ValueError("an integer must fit in 64 bits (-2^63 .. 2^63-1)")
        if isinstance(item, float) and not math.isfinite(item):
            raise ValueError("a number must be finite (no NaN, Infinity or overflow like 1e999)")
        if isinstance(item, str):
            check_unicode(item)
    return value


AttributeValue = Annotated[Scalar | list[Scalar], BeforeValidator(_check_value)]


@lru_cache(maxsize=4096)  # a load's rows repeat a few keys; only accepted keys are cached
def _check_attribute_key(key: str) -> None:
    if key in RESERVED_ATTRIBUTES:
        raise ValueError(f"attribute '{key}' is reserved (id, type, name, created_at, updated_at)")
    if not re.fullmatch(ATTRIBUTE_KEY_PATTERN, key):
        raise ValueError(f"attribute key '{key[:80]}' must match {ATTRIBUTE_KEY_PATTERN}")


def _check_attribute_keys(attributes: dict[str, object]) -> dict[str, object]:
    if len(attributes) > MAX_ATTRIBUTES:
        raise ValueError(f"{len(attributes)} attributes; a record takes at most {MAX_ATTRIBUTES}")
    for key, value in attributes.items():
        _check_attribute_key(key)
        if isinstance(value, list) and len({type(v) for v in value}) > 1:
            raise ValueError(f"attribute '{key}': a list must hold values of one type")
    return attributes


def _keys_are_unicode(data: object) -> object:
    """pydantic raises (a 500) rather than reports a key holding an unpaired surrogate."""
    if isinstance(data, dict):
        try:
            if "".join(data).isascii():  # the common case: two C calls, not two per key
                return data
        except TypeError:  # a key that is not a string: pydantic reports it
            pass
        for key in data:
            if isinstance(key, str) and not key.isascii():
                try:
                    check_unicode(key)
                except ValueError as exc:
                    raise ValueError(f"a key {exc}") from None
    return data


Attributes = Annotated[
    dict[str, AttributeValue],
    BeforeValidator(_keys_are_unicode),
    AfterValidator(_check_attribute_keys),
]
AttributeChanges = Annotated[
    dict[str, AttributeValue | None],
    BeforeValidator(_keys_are_unicode),
    AfterValidator(_check_attribute_keys),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _field_names_are_unicode(cls, data: object) -> object:
        return _keys_are_unicode(data)


# --- records ---------------------------------------------------------------------------------
class RecordBody(Strict):
    type: RecordType = Field(examples=["contact"])
    name: Name = Field(examples=["John Doe"])
    attributes: Attributes = Field(default_factory=dict)


class RecordCreate(RecordBody):
    id: Id | None = Field(default=None, description="omit for a server-generated UUID")


class RecordPatch(Strict):
    name: Name | None = None
    attributes: AttributeChanges | None = Field(
        default=None, description="merged into the record's attributes; null deletes a key"
    )


def _stored_timestamp(value: object) -> datetime | None:
    """A record's timestamp as Neo4j's toString() writes it, when it is not a plain ISO date-time.
    Every write path stores a UTC datetime(); one written by hand in the Browser may be in a named
    zone (the offset before `[Europe/Paris]` already says the instant), past year 9999 (Python's
    datetime ends there), missing or not a datetime at all: null, rather than a record no read
    can answer."""
    if isinstance(value, str):
        value = value.split("[", 1)[0]
    try:
        return _DATETIME.validate_python(value)
    except ValidationError:
        return None


_DATETIME = TypeAdapter(datetime)
# What graphsvc wrote passes the first member inside pydantic's core; only a value written by hand
# reaches the Python function. A validator around the whole field would run Python on every
# timestamp and attribute of every record an answer holds: chains and networks hold thousands.
StoredTimestamp = Annotated[
    datetime | Annotated[datetime | None, PlainValidator(_stored_timestamp)],
    Field(
        union_mode="left_to_right",
        description="null only for a value written outside graphsvc that is not a timestamp",
    ),
]


def stored_value(value: object) -> object:
    """An attribute as Neo4j holds it, as JSON. The API writes only its own scalars and lists of
    them; the Browser can store what the API has no type for: dates, times and durations (as ISO
    text), points (as a map), byte arrays, strings past the API's limit. Read back, they are shown
    as they are rather than failing every read of the record with 500."""
    if callable(iso_format := getattr(value, "iso_format", None)):
        return iso_format()
    if isinstance(value, tuple) and hasattr(value, "srid"):  # the driver's points are tuples
        return {"srid": value.srid, "coordinates": list(value)}
    if isinstance(value, bytes | bytearray):
        return list(value)
    if isinstance(value, list | tuple):
        return [stored_value(v) for v in value]
    return value


StoredValue = Annotated[
    JsonValue | Annotated[JsonValue, PlainValidator(stored_value)],
    Field(union_mode="left_to_right"),
]


class Record(BaseModel):
    id: str
    type: str
    name: str
    attributes: dict[str, StoredValue]
    created_at: StoredTimestamp
    updated_at: StoredTimestamp


class RecordPage(BaseModel):
    items: list[Record]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null at the end"
    )


# --- connection roles ------------------------------------------------------------------------
class RoleCreate(Strict):
    id: Id | None = None
    name: RoleName = Field(examples=["Referral"])
    category: Category = "other"
    description: Text = ""
    record_types: list[RecordType] = Field(default_factory=list, description="empty: any type")
    reciprocal_role_id: Id | None = None
    acyclic: bool = False


class RolePatch(Strict):
    name: RoleName | None = None
    category: Category | None = None
    description: Text | None = None
    record_types: list[RecordType] | None = None
    reciprocal_role_id: Id | None = Field(default=None, description="null removes the reciprocal")
    acyclic: bool | None = None


class Role(BaseModel):
    id: str
    name: str
    relationship_type: str
    category: str
    description: str
    record_types: list[str]
    reciprocal_role_id: str | None
    acyclic: bool


# --- connections -----------------------------------------------------------------------------
class _Dates(Strict):
    effective_start: date | None = None
    effective_end: date | None = None

    @field_validator("effective_end")
    @classmethod
    def _end_after_start(cls, end: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("effective_start")
        if start and end and end < start:
            raise ValueError(f"effective_end {end} is before effective_start {start}")
        return end


class ConnectionCreate(_Dates):
    id: Id | None = None
    record1_id: Id
    record2_id: Id
    record1_role_id: Id | None = None
    record2_role_id: Id | None = None
    record1_role: RoleName | None = Field(default=None, description="record1's role by name")
    record2_role: RoleName | None = Field(default=None, description="record2's role by name")
    description: Text = ""
    state: State = "active"

    @field_validator("record2_id")
    @classmethod
    def _two_records(cls, record2_id: str, info: ValidationInfo) -> str:
        if record2_id == info.data.get("record1_id"):
            raise ValueError(f"a record cannot be connected to itself ('{record2_id}')")
        return record2_id

    @model_validator(mode="after")
    def _one_way_per_role(self) -> Self:
        if self.record1_role_id and self.record1_role:
            raise ValueError("give record1_role_id or record1_role, not both")
        if self.record2_role_id and self.record2_role:
            raise ValueError("give record2_role_id or record2_role, not both")
        return self


class ConnectionPatch(_Dates):
    record1_role_id: Id | None = None
    record2_role_id: Id | None = None
    record1_role: RoleName | None = None
    record2_role: RoleName | None = None
    description: Text | None = None
    state: State | None = None


class RoleRef(BaseModel):
    id: str
    name: str


class ConnectionSide(BaseModel):
    id: str
    type: str
    name: str
    role: RoleRef | None


class Connection(BaseModel):
    id: str
    record1: ConnectionSide
    record2: ConnectionSide
    state: State
    description: str
    effective_start: date | None
    effective_end: date | None
    created_at: datetime
    updated_at: datetime


class RelatedRecord(BaseModel):
    """One connection seen from a record: the record at the other end and its role."""

    connection_id: str
    record: Record
    role: RoleRef | None = Field(description="the related record's role (what it is to this one)")
    own_role: RoleRef | None = Field(description="this record's role in the connection")
    state: State
    description: str
    effective_start: date | None
    effective_end: date | None


class RelatedRecordPage(BaseModel):
    items: list[RelatedRecord]
    next_cursor: str | None


# --- batch -----------------------------------------------------------------------------------
class BatchFailure(BaseModel):
    index: int = Field(description="the row's position in the batch (0-based), or its file row")
    id: str | None = Field(description="the row's id, when it had one")
    error: str = Field(description="why the row was not written, naming the field or record")


class BatchResult(BaseModel):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: list[BatchFailure] = Field(default_factory=list)


# --- traversals ------------------------------------------------------------------------------
class Hop(BaseModel):
    """One connection followed from one record to the next (`to` is `from`'s `to_role`)."""

    connection_id: str
    from_id: str
    to_id: str
    relationship_type: str = Field(examples=["REFERRAL"])
    from_role: RoleRef | None = Field(description="the from record's role in the connection")
    to_role: RoleRef | None = Field(description="the to record's role: what it is to from")


class TraversalPath(BaseModel):
    depth: int = Field(description="number of hops")
    records: list[Record] = Field(description="depth + 1 records, the start first; no repeats")
    connections: list[str] = Field(description="the connection id of each hop")
    hops: list[Hop]


class ChainsResponse(BaseModel):
    chains: list[TraversalPath] = Field(description="shortest first")
    truncated: bool = Field(description="true when `limit` cut the answer")


class PathsResponse(BaseModel):
    paths: list[TraversalPath]
    truncated: bool = Field(description="true when `limit` cut the answer")


class ReachResponse(BaseModel):
    per_depth: list[int] = Field(
        description="distinct records first reached at depth 1, 2, ... (to the deepest reached)"
    )
    total: int
    upline: list[Record] = Field(
        description="the chain back to the root through the reciprocal role, nearest first "
        "(at most 10 records)"
    )
    upline_truncated: bool = Field(
        default=False,
        description="true when the chain goes on past 10 hops: `upline` is its nearest part",
    )


class NetworkResponse(BaseModel):
    nodes: list[Record] = Field(description="the start first, then nearest first")
    edges: list[Hop] = Field(description="each connection between two nodes once")
    truncated: bool = Field(description="true when `limit` cut the nodes")


class ConnectionPage(BaseModel):
    items: list[Connection]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null at the end"
    )
