"""Dependencies injected into routes: everything a route needs from the process's graph handle
(driver, database, timeout, schema), which the app's lifespan keeps in `app.state.db`. Only
this module reads that state, so routes never import the app."""

from typing import Annotated

from fastapi import Depends, Request

from graphsvc.graph.batch import BatchWriter
from graphsvc.graph.handle import Graph
from graphsvc.graph.repository import Repository
from graphsvc.graph.traversals import Traversals


async def get_database(request: Request) -> Graph:
    db: Graph = request.app.state.db
    return db


DatabaseDep = Annotated[Graph, Depends(get_database)]


async def get_repository(db: DatabaseDep) -> Repository:
    return Repository(db)


RepositoryDep = Annotated[Repository, Depends(get_repository)]


async def get_traversals(request: Request, db: DatabaseDep) -> Traversals:
    return Traversals(db.driver, db.database, timeout=request.app.state.query_timeout)


TraversalsDep = Annotated[Traversals, Depends(get_traversals)]


async def get_batch_writer(db: DatabaseDep) -> BatchWriter:
    return BatchWriter(db)


BatchWriterDep = Annotated[BatchWriter, Depends(get_batch_writer)]
