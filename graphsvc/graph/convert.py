"""Neo4j's temporal values to Python's."""

from typing import Any

from neo4j.time import Date, DateTime


def native(value: Any) -> Any:
    """Convert neo4j.time values (also inside dicts and lists) to datetime/date."""
    if isinstance(value, DateTime | Date):
        return value.to_native()
    if isinstance(value, dict):
        return {k: native(v) for k, v in value.items()}
    if isinstance(value, list):
        return [native(v) for v in value]
    return value
