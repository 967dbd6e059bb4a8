"""Dependencies injected into routes."""

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

if TYPE_CHECKING:
    from graphsvc.api.app import Database


def get_database(request: Request) -> "Database":
    db: Database = request.app.state.db
    return db


DatabaseDep = Annotated["Database", Depends(get_database)]
