"""The Neo4j Browser experience: style sheet, guide, demo data, and a real headless Chromium.

The Chromium test drives the Browser that the test Neo4j serves on its HTTP port. When that
server's `browser.post_connect_cmd` points at a free localhost port (as `graphsvc neo4j start`
writes it, and as `.ci/run` arranges), the API is started on that port and the test proves that
connecting alone applies the style and opens the guide; otherwise it runs the same commands
itself. The screenshot is saved as `test-artifacts/browser.png`.

Over ~300 lines on purpose: the guide, its queries and a real Chromium session share the fixtures.
"""

import asyncio
import html
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
import yaml
from fastapi.testclient import TestClient
from neo4j import Driver
from playwright.sync_api import Page, sync_playwright

from graphsvc.api.app import create_app
from graphsvc.config import REPO_ROOT, Settings
from graphsvc.demo import ACCOUNTS, CONNECTIONS, CONTACTS, ROLES, load_demo
from graphsvc.graph.db import create_async_driver
from graphsvc.graph.handle import Graph
from graphsvc.graph.repository import Repository
from graphsvc.neo4j_local import LocalNeo4j, browser_post_connect_cmd, port_in_use
from tests.helpers import free_port, local_test_settings, query

CYPHER = REPO_ROOT / "cypher"
GUIDE = CYPHER / "browser" / "guide.html"
QUERIES = sorted(p.stem for p in (CYPHER / "browser").glob("browser_*.cypher"))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
CONTACT_BLUE, ACCOUNT_ORANGE = "#4C8EDA", "#F79767"
ARTIFACT = REPO_ROOT / "test-artifacts" / "browser.png"
REFERRAL_TREE = {"John Doe", "Jane Doe", "Mark Lee", "Alice Smith", "Bob Brown"} | {
    "Carol White",
    "Dave Green",
    "Eve Black",
    "Frank Moore",
}


def params_of(name: str) -> str:
    text = (CYPHER / "browser" / f"{name}.cypher").read_text(encoding="utf-8")
    match = re.search(r"^// :params (.*)$", text, re.M)
    assert match, f"cypher/browser/{name}.cypher has no `// :params {{...}}` line"
    return match.group(1)


def load(settings: Settings) -> tuple[int, int]:
    async def run() -> tuple[int, int]:
        driver = create_async_driver(settings)
        try:
            report = await load_demo(Repository(Graph(driver, settings.neo4j_database)))
            return report.created, report.existing
        finally:
            await driver.close()

    return asyncio.run(run())


# -- files and routes --------------------------------------------------------------------------
def test_guide_holds_every_browser_query_verbatim_with_its_params() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    shown = {
        name: html.unescape(body)
        for name, body in re.findall(r'<pre[^>]*data-query="([^"]+)"[^>]*>(.*?)</pre>', guide, re.S)
    }
    params = {
        name: html.unescape(body)
        for name, body in re.findall(
            r'<pre[^>]*data-params="([^"]+)"[^>]*>(.*?)</pre>', guide, re.S
        )
    }
    assert sorted(shown) == QUERIES
    for name in QUERIES:
        assert (
            shown[name]
            == (CYPHER / "browser" / f"{name}.cypher").read_text(encoding="utf-8").rstrip()
        )
        assert params[name] == f":params {params_of(name)}"


def test_style_sheet_styles_types_roles_and_captions() -> None:
    grass = (CYPHER / "browser" / "graphsvc.grass").read_text(encoding="utf-8")
    # The Browser's GRASS parser knows no comments: one would corrupt the next selector.
    assert "/*" not in grass and "//" not in grass.replace("http://", "")
    for selector in ("node.Record", "node.Contact", "node.Account", "relationship"):
        assert re.search(rf"^{re.escape(selector)} {{", grass, re.M), selector
    for role in ("REFERRAL", "REFERRED_BY", "EMPLOYER", "EMPLOYEE", "FRIEND", "CONNECTED_TO"):
        assert f"relationship.{role} {{" in grass
    assert "caption: '{name}';" in grass and "caption: '<type>';" in grass


def test_api_serves_style_and_guide_with_cors(client: TestClient) -> None:
    style = client.get("/browser/graphsvc.grass")
    assert style.status_code == 200
    assert style.headers["access-control-allow-origin"] == "*"
    assert "node.Contact" in style.text
    guide = client.get("/browser/guide.html")
    assert guide.status_code == 200
    assert guide.headers["content-type"].startswith("text/html")
    assert '<article class="guide">' in guide.text
    # The Browser fetches guides with pragma/cache-control headers: a CORS preflight first.
    preflight = client.options(
        "/browser/guide.html",
        headers={
            "Origin": "http://127.0.0.1:7474",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "pragma,cache-control",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "pragma" in preflight.headers["access-control-allow-headers"]
    assert client.options("/browser/nothing.html").status_code == 404


def test_local_server_conf_applies_style_and_guide_on_connect(tmp_path: Path) -> None:
    api_port = free_port()
    settings = local_test_settings(neo4j_home=tmp_path, port=api_port)
    LocalNeo4j(settings).write_conf()
    conf = (tmp_path / "conf" / "neo4j.conf").read_text()
    assert (
        "browser.post_connect_cmd=config autoComplete: false;"
        f"style http://localhost:{api_port}/browser/graphsvc.grass;"
        f"guide http://localhost:{api_port}/browser/guide.html\n"
    ) in conf
    assert "browser.remote_content_hostname_whitelist=guides.neo4j.com,localhost,127.0.0.1" in conf


def test_docker_compose_configures_the_browser() -> None:
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    env = compose["services"]["neo4j"]["environment"]
    assert env["NEO4J_browser_post__connect__cmd"] == browser_post_connect_cmd(8000)
    assert "localhost" in env["NEO4J_browser_remote__content__hostname__whitelist"]


# -- demo data and the guide's queries ---------------------------------------------------------
def test_demo_loads_once_and_again_changes_nothing(settings: Settings, driver: Driver) -> None:
    total = len(ROLES) + len(CONTACTS) + len(ACCOUNTS) + len(CONNECTIONS)
    assert load(settings) == (total, 0)
    counts = query(driver, "MATCH (n) RETURN count(n) AS nodes, COUNT { ()-->() } AS edges")
    assert load(settings) == (0, total)
    assert query(driver, "MATCH (n) RETURN count(n) AS nodes, COUNT { ()-->() } AS edges") == counts
    assert counts[0]["edges"] == 2 * len(CONNECTIONS)


def test_guide_queries_answer_on_the_demo_data(settings: Settings, driver: Driver) -> None:
    load(settings)

    def run(name: str) -> list[dict[str, Any]]:
        params = query(driver, f"RETURN {params_of(name)} AS p")[0]["p"]
        records, _, _ = driver.execute_query(
            (CYPHER / "browser" / f"{name}.cypher").read_text(), params
        )
        return [r.data() for r in records]

    jane = run("browser_record_connections")
    assert sorted((r["role"][1], r["other"]["name"]) for r in jane) == [
        ("EMPLOYER", "Acme Corp"),
        ("FRIEND", "Frank Moore"),
        ("REFERRAL", "Alice Smith"),
        ("REFERRAL", "Bob Brown"),
        ("REFERRED_BY", "John Doe"),
    ]
    chains = run("browser_referral_chain")
    assert {n["name"] for r in chains for n in r["chain"][::2]} == REFERRAL_TREE
    assert max(len(r["chain"]) // 2 for r in chains) == 4
    upline = run("browser_referral_upline")
    assert [n["name"] for n in upline[0]["upline"][::2]] == [
        "Dave Green",
        "Carol White",
        "Alice Smith",
        "Jane Doe",
        "John Doe",
    ]
    path = run("browser_shortest_path")[0]["path"]
    assert [n["name"] for n in path[::2]] == [
        "Dave Green",
        "Carol White",
        "Alice Smith",
        "Mark Lee",
    ]
    roles = {r["role"]: r for r in run("browser_roles_overview")}
    assert roles["Referral"]["reciprocal"] == "Referred by" and roles["Referral"]["edges"] == 8
    assert roles["Employer"]["edges"] == 9 and roles["Employer"]["active_edges"] == 8
    assert [r["connection"] for r in run("browser_inactive_connections")] == [
        "demo-employment-former"
    ]


# -- the real Browser ----------------------------------------------------------------------------
@contextmanager
def api_server(settings: Settings, port: int) -> Iterator[None]:
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, f"API did not start on {port}"
        time.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(10)


def post_connect_port(driver: Driver) -> int | None:
    """The API port the server's `browser.post_connect_cmd` fetches from, if it is ours."""
    rows = query(
        driver,
        "SHOW SETTINGS YIELD name, value WHERE name = $n RETURN value",
        n="browser.post_connect_cmd",
    )
    match = re.search(
        r"style http://localhost:(\d+)/browser/graphsvc\.grass", rows[0]["value"] if rows else ""
    )
    return int(match.group(1)) if match else None


@dataclass
class GraphView:
    nodes: dict[str, str]  # caption -> fill colour
    captions: list[str]  # relationship captions


def run_guide_slide(page: Page, slide: int, title: str, params_shown: str) -> GraphView:
    """Run a guide slide's `:params` block, then its query block; read the graph it draws."""
    guide = page.get_by_test_id("guidesDrawer")
    guide.get_by_test_id(f"pagination-{slide}").click()
    guide.get_by_role("heading", name=title).wait_for()
    guide.locator("pre.runnable").nth(0).click()
    page.get_by_test_id("editor-Run").click()
    page.get_by_test_id("frame").first.filter(has_text=params_shown).wait_for()
    query_text = guide.locator("pre.runnable").nth(1).inner_text()
    guide.locator("pre.runnable").nth(1).click()
    page.get_by_test_id("editor-Run").click()
    graph = page.get_by_test_id("frame").first
    graph.filter(has_text=query_text.splitlines()[0]).locator("svg g.node").first.wait_for()
    page.wait_for_timeout(1000)  # the force layout settles
    fold = graph.get_by_role("button", name="Collapse the node properties display")
    if fold.count():  # the Browser keeps the overview panel folded once it was
        fold.click()
    nodes = graph.locator("svg g.node").evaluate_all(
        "gs => gs.map(g => [g.textContent.replace(/\\s+/g, ' ').trim(),"
        " g.querySelector('circle.b-outline').getAttribute('fill')])"
    )
    captions = graph.locator("svg g.relationship text").evaluate_all(
        "ts => ts.map(t => t.textContent.trim())"
    )
    return GraphView(dict(nodes), captions)


def shown_as(captions: list[str], types: list[str]) -> bool:
    """The captions are these relationship types (the Browser cuts one short, with an ellipsis,
    when its arrow is shorter than the word)."""
    whole = sorted(c for c in captions if not c.endswith(("…", "...")))
    cut = [c.rstrip("….") for c in captions if c.endswith(("…", "..."))]
    rest = list(types)
    for caption in whole:
        if caption not in rest:
            return False
        rest.remove(caption)
    return len(cut) == len(rest) and all(any(t.startswith(c) for t in rest) for c in cut)


def run_in_editor(page: Page, command: str) -> None:
    page.locator("[data-testid=activeEditor] textarea").first.click()
    page.keyboard.type(command)
    page.get_by_test_id("editor-Run").click()


@pytest.mark.slow
def test_chromium_shows_styled_graph_and_guide(settings: Settings, driver: Driver) -> None:
    assert shutil.which(CHROMIUM), (
        f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)"
    )
    browser_url = f"http://127.0.0.1:{settings.neo4j_http_port}/browser/"
    assert port_in_use(settings.neo4j_http_port), (
        f"no Neo4j Browser at {browser_url}: set GRAPHSVC_NEO4J_HTTP_PORT to the test Neo4j's HTTP port"
    )
    load(settings)
    configured = post_connect_port(driver)
    automatic = configured is not None and not port_in_use(configured)
    if os.environ.get("CI"):
        assert automatic, (
            f"CI's Neo4j must fetch its post-connect style from a free port ({configured})"
        )
    port = configured if automatic and configured else free_port()
    base = f"http://localhost:{port}/browser"
    bolt = settings.neo4j_uri.split("://", 1)[1]

    with api_server(settings, port), sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = chromium.new_context(viewport={"width": 1400, "height": 1800})
        # Offline like CI: the Browser's fonts, analytics and feedback widgets fail fast.
        context.route(
            lambda url: not url.startswith(("http://127.0.0.1", "http://localhost", "ws://")),
            lambda route: route.abort(),
        )
        page = context.new_page()
        page.set_default_timeout(60_000)
        try:
            page.goto(
                f"{browser_url}?dbms=bolt://{settings.neo4j_user}@{bolt}&db={settings.neo4j_database}&preselectAuthMethod=NATIVE"
            )
            page.get_by_test_id("password").fill(settings.neo4j_password.get_secret_value())
            page.get_by_test_id("connect").click()
            page.get_by_text("You are connected as user").wait_for()
            if not automatic:
                for command in (
                    ":config autoComplete: false",
                    f":style {base}/graphsvc.grass",
                    f":guide {base}/guide.html",
                ):
                    run_in_editor(page, command)

            style = page.get_by_test_id("frame").filter(has_text=f":style {base}/graphsvc.grass")
            style.get_by_text("node.Contact").wait_for()
            assert CONTACT_BLUE in style.inner_text()

            guide = page.get_by_test_id("guidesDrawer")
            guide.get_by_role("heading", name="graphsvc in the Neo4j Browser").first.wait_for()
            jane = run_guide_slide(page, 2, "A record's connections by role", '"id": "jane-doe"')
            chain = run_guide_slide(page, 3, "A referral chain", '"id": "john-doe"')
        finally:  # also when it fails: the picture says what went wrong
            page.mouse.move(0, 0)
            ARTIFACT.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACT))
            chromium.close()

    assert set(chain.nodes) == REFERRAL_TREE
    assert set(chain.nodes.values()) == {CONTACT_BLUE}, "contacts are not in the style's blue"
    # "Connect result nodes" is off: the chain shows its REFERRAL edges, not their reciprocals.
    assert shown_as(chain.captions, ["REFERRAL"] * (len(REFERRAL_TREE) - 1))
    assert jane.nodes["Acme Corp"] == ACCOUNT_ORANGE, "accounts are not in the style's orange"
    assert shown_as(jane.captions, ["EMPLOYER", "FRIEND", "REFERRAL", "REFERRAL", "REFERRED_BY"])
