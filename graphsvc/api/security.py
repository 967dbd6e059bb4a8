"""API keys with a `read` or `write` scope, and the request body size limit.

Keys are never stored: settings hold `name:scope:sha256(key)` entries, and a request's key is
hashed and compared in constant time. Reads (GET, HEAD) need `read` or `write`; anything else
needs `write`. With no keys configured the API is open, which is why `serve` then refuses to
bind anywhere but the loopback interface.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphsvc.errors import GraphError

SCOPES = ("read", "write")
api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="an API key from `graphsvc keys create`"
)


class UnauthorizedError(GraphError):
    status_code = 401


class ForbiddenError(GraphError):
    status_code = 403


@dataclass(frozen=True)
class ApiKey:
    name: str
    scope: str
    digest: str


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return "gsk_" + secrets.token_urlsafe(32)


def parse_keys(text: str) -> list[ApiKey]:
    keys = []
    for entry in filter(None, (e.strip() for e in text.split(","))):
        name, scope, hexdigest = entry.split(":")
        if scope not in SCOPES or len(hexdigest) != 64:
            raise ValueError(f"GRAPHSVC_API_KEYS entry '{name}' must be name:read|write:<sha256>")
        keys.append(ApiKey(name, scope, hexdigest))
    return keys


# Probes and the static files the Neo4j Browser fetches stay open; every other route (present or
# future) needs a key once keys are configured.
OPEN_PATHS = ("/health", "/ready", "/browser/")


async def require_key(
    request: Request, key: Annotated[str | None, Depends(api_key_header)] = None
) -> None:
    keys: list[ApiKey] = request.app.state.api_keys
    if not keys or request.url.path.startswith(OPEN_PATHS):
        return
    if key is None and request.headers.get("authorization", "").lower().startswith("bearer "):
        key = request.headers["authorization"][7:].strip()
    if not key:
        raise UnauthorizedError("an API key is required (header X-API-Key)", field="X-API-Key")
    hashed = digest(key)
    match = next((k for k in keys if hmac.compare_digest(k.digest, hashed)), None)
    if match is None:
        raise UnauthorizedError("unknown API key", field="X-API-Key")
    if request.method not in ("GET", "HEAD") and match.scope != "write":
        raise ForbiddenError(
            f"API key '{match.name}' has scope read; this request needs write", field="X-API-Key"
        )


class BodyLimit:
    """413 for a request body over `limit` bytes, declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._reject(send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._reject(send)

    async def _reject(self, send: Send) -> None:
        body = f'{{"detail": "request body over the {self.limit} byte limit"}}'.encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass
