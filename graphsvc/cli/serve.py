"""`graphsvc serve` (the HTTP API under uvicorn) and `graphsvc keys create`."""

import re

import typer
import uvicorn

from graphsvc.api.security import SCOPES, digest, new_key, parse_keys
from graphsvc.cli.common import fail
from graphsvc.config import get_settings


def serve(
    host: str = typer.Option(None, help="bind address (default GRAPHSVC_HOST or 127.0.0.1)"),
    port: int = typer.Option(None, help="port (default GRAPHSVC_PORT or 8000)"),
    workers: int = typer.Option(1, help="uvicorn worker processes (Neo4j needs cores too)"),
) -> None:
    """Run the HTTP API with uvicorn."""
    settings = get_settings()
    host, port = host or settings.host, port or settings.port
    try:
        keys = parse_keys(settings.api_keys)
    except ValueError as exc:
        raise fail(str(exc)) from None
    if not keys:
        if host not in ("127.0.0.1", "localhost", "::1"):
            typer.secho(
                f"no API keys configured (GRAPHSVC_API_KEYS): binding to 127.0.0.1, "
                f"not {host}; create one with `graphsvc keys create`",
                fg="yellow",
            )
        else:
            typer.echo("no API keys configured: the API is open, on 127.0.0.1 only")
        host = "127.0.0.1"
    else:
        typer.echo(f"API keys required ({len(keys)} configured)")
    typer.echo(f"graphsvc API:  http://{host}:{port}/docs")
    typer.echo(
        f"Neo4j Browser: http://127.0.0.1:{settings.neo4j_http_port}/browser/ "
        f"(user {settings.neo4j_user})"
    )
    uvicorn.run(
        "graphsvc.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=settings.access_log,
        # On SIGTERM, requests still running after 5 s are cancelled (their transactions roll
        # back): a deploy or Ctrl-C never waits on a slow client or a long batch.
        timeout_graceful_shutdown=5,
    )


def create_key(
    name: str = typer.Option(..., help="who or what uses the key (letters, digits, - _)"),
    scope: str = typer.Option("read", help="read (GET only) or write (everything)"),
) -> None:
    """Make a new API key: prints the key once, and the settings entry that stores its hash."""
    if scope not in SCOPES:
        raise fail(f"--scope must be read or write, not '{scope}'")
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
        raise fail("--name must be 1-64 letters, digits, - or _")
    key = new_key()
    entry = f"{name}:{scope}:{digest(key)}"
    typer.echo(f"key (shown once, keep it secret): {key}")
    typer.echo("add this entry to GRAPHSVC_API_KEYS (comma-separated), e.g. in .env:")
    typer.echo(f"GRAPHSVC_API_KEYS={entry}")
