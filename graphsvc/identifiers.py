"""The identifier rules of the API contract, and how labels and relationship types derive from them.

Labels and relationship types reach Cypher only as parameters of Neo4j's `$(...)` syntax, and only
after passing these patterns, so no user text can change a query's shape.
"""

import re
from functools import lru_cache

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
RECORD_TYPE_PATTERN = r"^[a-z][a-z0-9_]{0,49}$"
ATTRIBUTE_KEY_PATTERN = r"^[a-z][A-Za-z0-9_]{0,63}$"
RELATIONSHIP_TYPE_PATTERN = r"^[A-Z][A-Z0-9_]{0,63}$"

RESERVED_ATTRIBUTES = frozenset({"id", "type", "name", "created_at", "updated_at"})
NO_ROLE_TYPE = "CONNECTED_TO"  # the relationship type of a side without a role
# Labels graphsvc uses itself; a record type may not turn into one of them.
RESERVED_LABELS = frozenset({"Record", "ConnectionRole", "ConnectionKey"})

_NON_ALNUM = re.compile(r"[^A-Z0-9]+")


# A load's rows repeat a handful of types: the checks of a type are cached (bounded, and only
# what passed: a refused type raises again each time).
@lru_cache(maxsize=4096)
def type_label(record_type: str) -> str:
    """`sales_order` -> `SalesOrder` (the node label of a record type)."""
    return "".join(part[:1].upper() + part[1:] for part in record_type.split("_"))


@lru_cache(maxsize=4096)
def check_record_type(record_type: str) -> str:
    if not re.fullmatch(RECORD_TYPE_PATTERN, record_type):
        raise ValueError(f"must match {RECORD_TYPE_PATTERN} (e.g. contact, sales_order)")
    label = type_label(record_type)
    if label in RESERVED_LABELS or not label:
        raise ValueError(f"'{record_type}' is reserved: its label {label} is used by graphsvc")
    return record_type


def relationship_type(role_name: str) -> str:
    """`Referred by` -> `REFERRED_BY`: upper-case ASCII, runs of anything else become `_`."""
    derived = _NON_ALNUM.sub("_", role_name.upper()).strip("_")
    if not re.fullmatch(RELATIONSHIP_TYPE_PATTERN, derived):
        raise ValueError(
            f"its relationship type '{derived}' must match {RELATIONSHIP_TYPE_PATTERN}: "
            "the name needs an ASCII letter first and at most 64 letters/digits/underscores"
        )
    if derived == NO_ROLE_TYPE:
        raise ValueError(
            f"its relationship type {NO_ROLE_TYPE} is reserved for sides without a role"
        )
    return derived
