"""HTTP-level rules applied before any route: JSON bodies only, HEAD wherever GET works, and an
answer within a deadline."""

import asyncio
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Header = tuple[bytes, bytes]

# The body types graphsvc reads. Anything else (text/plain, forms, no type at all) is refused
# with 415 before a route runs: those are the types a web page may POST cross-site without a
# CORS preflight, so an open (keyless, loopback) API could otherwise be written to by any page
# its user visits.
BODY_TYPES = ("application/json", "application/x-ndjson")
BODY_METHODS = ("POST", "PUT", "PATCH")


class JsonBodiesOnly:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in BODY_METHODS:
            raw = dict(scope["headers"]).get(b"content-type", b"")
            media = raw.decode("latin-1").split(";")[0].strip().lower()
            if media not in BODY_TYPES:
                await _unsupported(send, media)
                return
        await self.app(scope, receive, send)


async def _unsupported(send: Send, media: str) -> None:
    shown = f"'{media[:60]}'" if media else "none"
    detail = (
        f"Content-Type {shown} is not accepted; send application/json "
        "(or application/x-ndjson to /batch)"
    )
    await _error(send, 415, detail, "Content-Type")


async def _error(
    send: Send, status: int, detail: str, field: str | None, headers: tuple[Header, ...] = ()
) -> None:
    """An error answered before (or instead of) a route, in the shape every error has."""
    body = json.dumps({"detail": detail, "field": field}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class HeadAsGet:
    """HEAD answers as GET would, headers only (FastAPI's GET routes do not take HEAD)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


class Deadline:
    """Every request answers within `seconds`: 503 if nothing was sent by then.

    Neo4j ends a slow query at its time limit, and a killed Neo4j closes its sockets; what neither
    ends is a Neo4j that froze or a network that silently drops packets: the request would wait
    for TCP to notice, for hours. graphsvc's Neo4j does not ask the driver to time out every
    socket read (`server.bolt.connection_keep_alive_for_requests`, graphsvc/neo4j_local.py),
    which cost 0.2-0.5 ms per query, so this one timer per request is the bound instead."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        deadline = asyncio.timeout(self.seconds)
        try:
            async with deadline:
                await self.app(scope, receive, watched)
        except TimeoutError:
            if not deadline.expired():
                raise  # not this deadline's
            if started:
                return  # the answer was under way: the client sees it cut short
            await _late(send, self.seconds)


async def _late(send: Send, seconds: float) -> None:
    detail = (
        f"Neo4j did not answer within {seconds:g} s (GRAPHSVC_REQUEST_DEADLINE); a write may or "
        "may not have been applied: read before writing again"
    )
    await _error(send, 503, detail, None, ((b"retry-after", b"5"),))
