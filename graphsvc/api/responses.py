"""Responses routes declare or send beyond their models: the errors (OpenAPI descriptions) and
answers the graph layer serialised itself."""

from typing import Any

from fastapi.responses import Response
from pydantic import BaseModel


class Json(Response):
    """An answer already JSON (graphsvc.graph.answers), sent as it is: the route declares its
    model as `response_model` for the schema."""

    media_type = "application/json"


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
