"""The `graphsvc` command (typer): this module only assembles it; each command lives in a small
module of its own, a thin shell over the same core functions the API uses."""

import typer

from graphsvc.cli import check, demo, export, import_, load, neo4j, schema, serve, sync
from graphsvc.config import SettingsError

app = typer.Typer(
    help="graphsvc: CRM connections in Neo4j.", no_args_is_help=True, pretty_exceptions_enable=False
)


def _group(name: str, help: str) -> typer.Typer:
    group = typer.Typer(help=help, no_args_is_help=True)
    app.add_typer(group, name=name)
    return group


neo4j_app = _group("neo4j", "The local Neo4j Community server (no Docker needed).")
neo4j_app.command("start")(neo4j.start)
neo4j_app.command("stop")(neo4j.stop)
neo4j_app.command("import")(import_.neo4j_import)
neo4j_app.command("status")(neo4j.status)

schema_app = _group("schema", "The Neo4j schema in cypher/schema/.")
schema_app.command("apply")(schema.apply)

app.command("demo")(demo.demo)
app.command("serve")(serve.serve)

keys_app = _group("keys", "API keys.")
keys_app.command("create")(serve.create_key)

load_app = _group(
    "load", "Load roles, records or connections from CSV, JSON Lines or a Dataverse export."
)
load_app.command("roles")(load.roles)
load_app.command("records")(load.records)
load_app.command("connections")(load.connections)

app.command("check")(check.check)

sync_app = _group("sync", "Keep the graph in step with a live system.")
sync_app.command("dataverse")(sync.dataverse)

app.command("export")(export.export)

__all__ = ["app", "main"]


def main() -> None:
    """The console script: `app`, where a setting that does not validate is a one-line error
    naming it (exit 1), not a traceback."""
    try:
        app()
    except SettingsError as exc:
        typer.secho(f"error: {exc}", err=True, fg="red")
        raise SystemExit(1) from None
