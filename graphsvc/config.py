"""Settings, read from the environment (and a `.env` file if present).

Neo4j connection settings use the conventional `NEO4J_*` names; everything else is `GRAPHSVC_*`.
"""

from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import (
    AliasChoices,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
CACHE_HOME = Path.home() / ".cache" / "graphsvc"
# The Cypher: in an installed wheel inside the package (pyproject.toml maps cypher/ to
# graphsvc/queries/), in a checkout or an editable install at the top of the repository.
_PACKAGED_CYPHER = Path(__file__).resolve().parent / "queries"
DEFAULT_CYPHER_DIR = _PACKAGED_CYPHER if _PACKAGED_CYPHER.is_dir() else REPO_ROOT / "cypher"


def _neo4j(name: str) -> AliasChoices:
    return AliasChoices(f"NEO4J_{name}", f"GRAPHSVC_NEO4J_{name}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GRAPHSVC_", env_file=".env", extra="ignore", populate_by_name=True
    )

    # Where the service finds Neo4j. Empty URI: the local server below (bolt://127.0.0.1:<bolt_port>).
    neo4j_uri: Annotated[str, Field(validation_alias=_neo4j("URI"))] = ""
    neo4j_user: Annotated[str, Field(validation_alias=_neo4j("USER"))] = "neo4j"
    # No well-known default: unset, it is read from the local server's password file, which
    # `graphsvc neo4j start` generates on first start (see neo4j_password_file).
    neo4j_password: Annotated[SecretStr, Field(validation_alias=_neo4j("PASSWORD"))] = SecretStr("")
    neo4j_database: Annotated[str, Field(validation_alias=_neo4j("DATABASE"))] = "neo4j"

    # The local Neo4j server that `graphsvc neo4j start` assembles from Maven Central.
    neo4j_version: str = "5.26.30"
    neo4j_browser_version: str = "5.24.0"
    neo4j_cache_dir: Path = CACHE_HOME
    neo4j_home: Path = CACHE_HOME / "instance"
    neo4j_data_dir: Path | None = None  # default: <neo4j_home>/data
    neo4j_bolt_port: int = 7687
    neo4j_http_port: int = 7474
    neo4j_heap: str = "1g"
    neo4j_pagecache: str = "1g"
    neo4j_start_timeout: float = 120.0

    # The HTTP service.
    host: str = "127.0.0.1"
    port: int = 8000
    cypher_dir: Path = DEFAULT_CYPHER_DIR
    # API keys, comma-separated `name:scope:sha256-of-key` entries (`graphsvc keys create` makes
    # one). Empty: no authentication, and `serve` binds to 127.0.0.1 only.
    api_keys: str = ""
    max_body_bytes: int = 32 * 1024 * 1024
    # uvicorn's line per request (0.15-0.2 ms of a ~2 ms call): off where a proxy in front logs.
    access_log: bool = True
    query_timeout: float = 10.0  # seconds a query may run before Neo4j cuts it off (then 503)
    # Seconds an API request may wait in all before it answers 503: the bound on a Neo4j that
    # froze or a network that went silent, which no query time limit ends (api/http.py Deadline).
    request_deadline: float = Field(default=120.0, gt=0)
    # Seconds one `graphsvc load` batch may run: thousands of rows with their checks, watched by
    # an operator and resumable, so longer than an API request's limit.
    load_timeout: float = 120.0

    _password_source: str = PrivateAttr(default="")
    # `graphsvc sync dataverse`: the Entra ID app registration (client credentials) and limits.
    dataverse_tenant_id: str = ""
    dataverse_client_id: str = ""
    dataverse_client_secret: SecretStr = SecretStr("")
    dataverse_certificate_path: Path | None = None  # PEM: private key and certificate
    dataverse_certificate_password: SecretStr = SecretStr("")
    dataverse_authority_host: str = "https://login.microsoftonline.com"
    # Microsoft's instance discovery / authority validation; off only for another authority.
    dataverse_instance_discovery: bool = True
    dataverse_ca_bundle: Path | None = None  # a private CA (proxy, test server); else the system's
    dataverse_page_size: int = Field(default=5000, ge=1, le=5000)
    dataverse_timeout: float = 60.0
    dataverse_max_retries: int = 8  # throttled (429/503) or unreachable, per request
    dataverse_max_wait: float = 900.0  # seconds of Retry-After honoured per run before giving up

    @model_validator(mode="after")
    def _derive_defaults(self) -> "Settings":
        if not self.neo4j_uri:
            self.neo4j_uri = f"bolt://127.0.0.1:{self.neo4j_bolt_port}"
        if self.neo4j_data_dir is None:
            self.neo4j_data_dir = self.neo4j_home / "data"
        if self.neo4j_password.get_secret_value():
            self._password_source = "NEO4J_PASSWORD"
        elif self.neo4j_password_file.is_file():
            password = self.neo4j_password_file.read_text().strip()
            self.neo4j_password = SecretStr(password)
            self._password_source = str(self.neo4j_password_file)
        return self

    @property
    def neo4j_password_file(self) -> Path:
        """The local server's generated password (owner-only), used when NEO4J_PASSWORD is unset."""
        return self.neo4j_home / "password"

    @property
    def neo4j_password_source(self) -> str:
        """Where the password came from: NEO4J_PASSWORD, the password file, or '' (none yet)."""
        return self._password_source


class SettingsError(ValueError):
    """A setting that does not validate, named as it is set (GRAPHSVC_QUERY_TIMEOUT=abc)."""


@cache
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError(settings_message(exc)) from None


def settings_message(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else "?"
        env = f"NEO4J_{name[6:].upper()}" if name in _NEO4J_ALIASED else f"GRAPHSVC_{name.upper()}"
        shown = (
            ""
            if "password" in name or "secret" in name or "keys" in name
            else (f" (got {str(error.get('input'))[:60]!r})")
        )
        problems.append(f"{env}: {error['msg']}{shown}")
    return "invalid setting: " + "; ".join(problems)


_NEO4J_ALIASED = ("neo4j_uri", "neo4j_user", "neo4j_password", "neo4j_database")
