"""The Neo4j Browser's style sheet and guide, fetched by the Browser on connect.

Neo4j's `browser.post_connect_cmd` runs `:style <url>` and `:play <url>` against these routes. The
Browser page lives on Neo4j's origin, so every response allows any origin, and the guide's fetch
(which sends `pragma` and `cache-control` headers) gets its CORS preflight answered.
"""

from fastapi import APIRouter, Response

from graphsvc.cypher import cypher_dir

router = APIRouter(prefix="/browser", tags=["neo4j browser"])

CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, OPTIONS",
    "Access-Control-Allow-Headers": "pragma, cache-control, content-type",
    "Access-Control-Max-Age": "600",
}
FILES = {"graphsvc.grass": "text/plain; charset=utf-8", "guide.html": "text/html; charset=utf-8"}


def _file(name: str) -> Response:
    text = (cypher_dir() / "browser" / name).read_text(encoding="utf-8")
    return Response(text, media_type=FILES[name], headers=CORS)


@router.get("/graphsvc.grass", response_class=Response)
def browser_style() -> Response:
    """The GRASS style sheet (`:style http://localhost:8000/browser/graphsvc.grass`)."""
    return _file("graphsvc.grass")


@router.get("/guide.html", response_class=Response)
def browser_guide() -> Response:
    """The Browser guide (`:play http://localhost:8000/browser/guide.html`)."""
    return _file("guide.html")


@router.options("/{name}", include_in_schema=False)
def browser_preflight(name: str) -> Response:
    return Response(status_code=204 if name in FILES else 404, headers=CORS)
