"""`graphsvc neo4j start|stop|status`: the local Neo4j server (graphsvc/neo4j_local.py)."""

import typer

from graphsvc.cli.common import fail
from graphsvc.config import get_settings
from graphsvc.neo4j_local import LauncherError, LocalNeo4j


def start() -> None:
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
        f"Browser http://127.0.0.1:{st.http_port}/browser/ "
        "(user neo4j; `graphsvc neo4j status` shows the password)"
    )


def stop() -> None:
    """Stop the local Neo4j cleanly (data is kept)."""
    try:
        stopped = LocalNeo4j(get_settings()).stop()
    except LauncherError as exc:
        raise fail(str(exc)) from None
    typer.echo("Neo4j stopped." if stopped else "Neo4j is not running; nothing to do.")


def status() -> None:
    """Version, pid, ports and data directory of the local Neo4j."""
    st = LocalNeo4j(get_settings()).status()
    typer.echo(f"state:   {'running' if st.running else 'stopped'}")
    typer.echo(f"version: Neo4j Community {st.version}")
    typer.echo(f"pid:     {st.pid if st.pid else '-'}")
    typer.echo(f"bolt:    bolt://127.0.0.1:{st.bolt_port}")
    typer.echo(f"http:    http://127.0.0.1:{st.http_port}/browser/")
    typer.echo(f"data:    {st.data_dir}")
    typer.echo(f"log:     {st.log}")
    settings = get_settings()
    source = settings.neo4j_password_source
    if source == "NEO4J_PASSWORD":
        typer.echo("password: from NEO4J_PASSWORD (user neo4j)")
    elif source:
        typer.echo(
            f"password: {settings.neo4j_password.get_secret_value()} "
            f"(user neo4j; generated on first start, kept in {source})"
        )
    else:
        typer.echo("password: none yet (generated on first start unless NEO4J_PASSWORD is set)")
    if not st.running:
        raise typer.Exit(3)  # like `neo4j status` and LSB: 3 = not running
