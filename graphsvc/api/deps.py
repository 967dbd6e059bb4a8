"""Dependencies injected into routes."""

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from graphsvc.graph.repository import Repository
from graphsvc.graph.traversals import Traversals

if TYPE_CHECKING:
    from graphsvc.graph.handle import Graph as Database


async def get_database(request: Request) -> "Database":
    db: Database = request.app.state.db
    return db


DatabaseDep = Annotated["Database", Depends(get_database)]


async def get_repository(request: Request) -> Repository:
    db = request.app.state.db
    return Repository(db)


RepositoryDep = Annotated[Repository, Depends(get_repository)]


async def get_traversals(request: Request) -> Traversals:
    db = request.app.state.db
    return Traversals(db.driver, db.database, timeout=request.app.state.query_timeout)


TraversalsDep = Annotated[Traversals, Depends(get_traversals)]
