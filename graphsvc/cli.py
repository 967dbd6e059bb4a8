"""The `graphsvc` command: serve, demo, neo4j start|stop|status, schema apply."""

import asyncio

import typer
import uvicorn

from graphsvc.config import get_settings
from graphsvc.demo import load_demo
from graphsvc.graph.db import apply_schema_async, create_async_driver
from graphsvc.graph.repository import Repository
from graphsvc.neo4j_local import LauncherError, LocalNeo4j

app = typer.Typer(
    help="graphsvc: CRM connections in Neo4j.", no_args_is_help=True, pretty_exceptions_enable=False
)
neo4j_app = typer.Typer(
    help="The local Neo4j Community server (no Docker needed).", no_args_is_help=True
)
schema_app = typer.Typer(help="The Neo4j schema in cypher/schema/.", no_args_is_help=True)
app.add_typer(neo4j_app, name="neo4j")
app.add_typer(schema_app, name="schema")


def fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg="red")
    return typer.Exit(1)


@neo4j_app.command("start")
def neo4j_start() -> None:
    """Fetch Neo4j from Maven Central (first time only), start it, wait until Bolt answers."""
    server = LocalNeo4j(get_settings())
    try:
        started = server.start()
    except LauncherError as exc:
        raise fail(str(exc)) from None
    st = server.status()
    if not started:
        typer.echo(f"Neo4j is already running (pid {st.pid}); nothing to do.")
        return
    typer.echo(
        f"Neo4j {st.version} started (pid {st.pid}): bolt://127.0.0.1:{st.bolt_port}, "
        f"Browser http://127.0.0.1:{st.http_port}/browser/"
    )


@neo4j_app.command("stop")
def neo4j_stop() -> None:
    """Stop the local Neo4j cleanly (data is kept)."""
    try:
        stopped = LocalNeo4j(get_settings()).stop()
    except LauncherError as exc:
        raise fail(str(exc)) from None
    typer.echo("Neo4j stopped." if stopped else "Neo4j is not running; nothing to do.")


@neo4j_app.command("status")
def neo4j_status() -> None:
    """Version, pid, ports and data directory of the local Neo4j."""
    st = LocalNeo4j(get_settings()).status()
    typer.echo(f"state:   {'running' if st.running else 'stopped'}")
    typer.echo(f"version: Neo4j Community {st.version}")
    typer.echo(f"pid:     {st.pid if st.pid else '-'}")
    typer.echo(f"bolt:    bolt://127.0.0.1:{st.bolt_port}")
    typer.echo(f"http:    http://127.0.0.1:{st.http_port}/browser/")
    typer.echo(f"data:    {st.data_dir}")
    typer.echo(f"log:     {st.log}")
    if not st.running:
        raise typer.Exit(3)  # like `neo4j status` and LSB: 3 = not running


@schema_app.command("apply")
def schema_apply() -> None:
    """Create the constraints and indexes that are missing (safe to run again)."""
    settings = get_settings()

    async def run() -> int:
        driver = create_async_driver(settings)
        try:
            return await apply_schema_async(driver, settings.neo4j_database)
        finally:
            await driver.close()

    try:
        count = asyncio.run(run())
    except Exception as exc:  # the driver's errors are many; the user needs one line
        raise fail(f"could not apply the schema on {settings.neo4j_uri}: {exc}") from None
    typer.echo(f"schema applied ({count} statements, all IF NOT EXISTS)")


@app.command()
def demo() -> None:
    """Load a small sample (referrals 4 deep, accounts, friends); safe to run again."""
    settings = get_settings()

    async def run() -> tuple[int, int]:
        driver = create_async_driver(settings)
        try:
            await apply_schema_async(driver, settings.neo4j_database)
            report = await load_demo(Repository(driver, settings.neo4j_database))
            return report.created, report.existing
        finally:
            await driver.close()

    try:
        created, existing = asyncio.run(run())
    except Exception as exc:  # the driver's errors are many; the user needs one line
        raise fail(f"could not load the demo into {settings.neo4j_uri}: {exc}") from None
    typer.echo(f"demo loaded: {created} created, {existing} already there")
    typer.echo(
        f"Neo4j Browser: http://127.0.0.1:{settings.neo4j_http_port}/browser/ "
        "(the graphsvc guide opens on connect while `graphsvc serve` runs)"
    )


@app.command()
def serve(
    host: str = typer.Option(None, help="bind address (default GRAPHSVC_HOST or 127.0.0.1)"),
    port: int = typer.Option(None, help="port (default GRAPHSVC_PORT or 8000)"),
) -> None:
    """Run the HTTP API with uvicorn."""
    settings = get_settings()
    host, port = host or settings.host, port or settings.port
    typer.echo(f"graphsvc API:  http://{host}:{port}/docs")
    typer.echo(
        f"Neo4j Browser: http://127.0.0.1:{settings.neo4j_http_port}/browser/ "
        f"(user {settings.neo4j_user})"
    )
    uvicorn.run("graphsvc.api.app:create_app", factory=True, host=host, port=port, log_level="info")
