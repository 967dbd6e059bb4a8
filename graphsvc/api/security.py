"""API keys with a `read` or `write` scope, and the request body size limit.

Keys are never stored: settings hold `name:scope:sha256(key)` entries, and a request's key is
hashed and compared in constant time. Reads (GET, HEAD) need `read` or `write`; anything else
needs `write`. With no keys configured the API is open, which is why `serve` then refuses to
bind anywhere but the loopback interface.
"""

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphsvc.errors import ForbiddenError, PayloadTooLargeError, UnauthorizedError

SCOPES = ("read", "write")
NAME_PATTERN = r"[A-Za-z0-9_-]{1,64}"
api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="an API key from `graphsvc keys create`"
)


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
    """The `name:scope:sha256` entries; a malformed one is an error naming its position (never
    echoing the entry: it might be a key pasted by mistake)."""
    keys = []
    for number, entry in enumerate((e.strip() for e in text.split(",")), start=1):
        if not entry:
            continue
        parts = entry.split(":")
        name = parts[0] if len(parts) == 3 and re.fullmatch(NAME_PATTERN, parts[0]) else None
        problem = (
            "must be name:scope:sha256-hex (as printed by `graphsvc keys create`)"
            if name is None
            else f"has scope '{parts[1][:20]}'; the scope must be read or write"
            if parts[1] not in SCOPES
            else "must end in the key's SHA-256 as 64 hex digits (never the key itself)"
            if not re.fullmatch(r"[0-9a-f]{64}", parts[2])
            else None
        )
        if problem:
            label = f"entry {number}" + (f" ('{name}')" if name else "")
            raise ValueError(f"GRAPHSVC_API_KEYS {label} {problem}")
        assert name is not None
        keys.append(ApiKey(name, parts[1], parts[2]))
    return keys


# Probes, the static files the Neo4j Browser fetches, and the API's description (/docs, /redoc,
# /openapi.json: FastAPI adds them outside the app's dependencies) stay open; they hold no data,
# and the contract is public in the repository anyway. Every other route, present or future,
# needs a key once keys are configured.
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
    """413 for a request body over `limit` bytes, declared or streamed (chunked).

    A streamed body is counted as it is read; past the limit, reading stops with an exception.
    Whatever the app answers then (FastAPI turns a failed body read into a 400) is replaced by
    the 413, so the client learns why."""

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
        over = False
        rejected = False

        async def counted() -> Message:
            nonlocal seen, over
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                over = True
                raise _TooLarge
            return message

        async def guarded(message: Message) -> None:
            nonlocal rejected
            if not over:
                await send(message)
            elif not rejected:
                rejected = True
                await self._reject(send)

        try:
            await self.app(scope, counted, guarded)
        except _TooLarge:
            if not rejected:
                await self._reject(send)

    async def _reject(self, send: Send) -> None:
        error = PayloadTooLargeError(f"request body over the {self.limit} byte limit")
        body = json.dumps(error.body()).encode()
        await send(
            {
                "type": "http.response.start",
                "status": error.status_code,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass
