"""OpenAPI descriptions of the error responses routes declare."""

from typing import Any

from pydantic import BaseModel


class ErrorBody(BaseModel):
    detail: str
    field: str | None = None


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    text = {
        404: "an unknown record, role or connection; `detail` names the id",
        409: "conflict: duplicate id, identical connection, role in use, or a loop of an acyclic role",
        422: "invalid input; `detail` and `field` name what and why",
        503: "Neo4j is unavailable; retry after `Retry-After` seconds",
    }
    return {code: {"model": ErrorBody, "description": text[code]} for code in codes}
