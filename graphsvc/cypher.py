"""Loads the Cypher kept in `cypher/`: the service's queries in `cypher/service/` (one query per
file, looked up by file stem), the schema in `cypher/schema/`, the Browser's files in `cypher/browser/`."""

from functools import cache
from pathlib import Path
from typing import LiteralString

from graphsvc.config import get_settings


def cypher_dir() -> Path:
    return get_settings().cypher_dir


@cache
def load(name: str) -> LiteralString:
    """The query in `cypher/service/<name>.cypher`.

    The files are part of the code base, so this is the one place where file text is trusted
    as a query (the driver's LiteralString guard against string-built queries).
    """
    path = cypher_dir() / "service" / f"{name}.cypher"
    text: LiteralString = path.read_text(encoding="utf-8")  # type: ignore[assignment,unused-ignore]
    return text


def schema_statements() -> list[LiteralString]:
    """Every statement of `cypher/schema/*.cypher`, in file order, split on `;`."""
    statements: list[LiteralString] = []
    for path in sorted((cypher_dir() / "schema").glob("*.cypher")):
        text: LiteralString = "\n".join(  # type: ignore[assignment,unused-ignore]
            line
            for line in path.read_text(encoding="utf-8").splitlines()
            if not line.lstrip().startswith("//")
        )
        statements += [s.strip() for s in text.split(";") if s.strip()]
    return statements


def names() -> list[str]:
    return sorted(p.stem for p in (cypher_dir() / "service").glob("*.cypher"))
