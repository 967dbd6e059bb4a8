"""`graphsvc sync dataverse` against a local org and token endpoint (tests/sync/dataverse_org.py):
after every step the graph equals a full load of the org's state at that step, `graphsvc check`
stays clean, a kill -9 between pages resumes to the same graph, and what cannot go on exits 1.
Real MSAL, real httpx over TLS, real Neo4j; nothing is mocked.

Over ~300 lines on purpose: one org walked through its steps in order; the steps share it.
"""

import copy
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from neo4j import Driver

from graphsvc.config import Settings
from tests.helpers import query, run_check, wipe
from tests.sync.dataverse_org import (
    CLIENT_ID,
    SECRET,
    TENANT,
    Org,
    OrgServer,
    State,
    Step,
    export_file,
    make_client_certificate,
    make_tls,
)

TABLES = "connectionroles,connectionroleassociations,contacts,accounts,connections"


def gid(prefix: str, n: int) -> str:
    return f"{prefix}{n:07d}-0000-0000-0000-000000000000"


def role(n: int, name: str, category: int) -> dict[str, Any]:
    return {
        "connectionroleid": gid("r", n),
        "name": name,
        "category": category,
        "description": None,
    }


def association(n: int, a: int, b: int) -> dict[str, Any]:
    return {
        "connectionroleassociationid": gid("e", n),
        "connectionroleid": gid("r", a),
        "associatedconnectionroleid": gid("r", b),
    }


def pair(
    n: int,
    one: str,
    role1: int,
    two: str,
    role2: int,
    description: str | None = None,
    state: int = 0,
) -> dict[str, dict[str, Any]]:
    """A connection's two Dataverse rows: the `ismaster` one and its twin, turned round."""
    types = {"c": "contact", "a": "account"}
    master, twin = gid("d", 2 * n), gid("d", 2 * n + 1)

    def row(
        cid: str, other: str, r1: str, ro1: int, r2: str, ro2: int, is_master: bool
    ) -> dict[str, Any]:
        return {
            "connectionid": cid,
            "_relatedconnectionid_value": other,
            "ismaster": is_master,
            "_record1id_value": r1,
            "record1objecttypecode": types[r1[0]],
            "_record1roleid_value": gid("r", ro1),
            "_record2id_value": r2,
            "record2objecttypecode": types[r2[0]],
            "_record2roleid_value": gid("r", ro2),
            "statecode": state,
            "statuscode": 2 if state else 1,
            "effectivestart": "2020-01-01T00:00:00Z" if state else None,
            "effectiveend": "2021-06-30T00:00:00Z" if state else None,
            "description": description,
        }

    return {
        master: row(master, twin, one, role1, two, role2, True),
        twin: row(twin, master, two, role2, one, role1, False),
    }


def c(n: int) -> str:
    return gid("c", n)


def a(n: int) -> str:
    return gid("a", n)


def initial_state() -> State:
    roles = [
        role(1, "Referral", 4),
        role(2, "Referred by", 4),
        role(3, "Friend", 3),
        role(4, "Employer", 1),
        role(5, "Employee", 1),
        role(6, "Colleague", 1),
    ]
    associations = [
        association(1, 1, 2),
        association(2, 2, 1),
        association(3, 3, 3),
        association(4, 4, 5),
        association(5, 5, 4),
        association(6, 6, 6),
    ]
    contacts = [
        {"contactid": c(i), "fullname": f"Contact {i}", "emailaddress1": f"c{i}@example.com"}
        for i in range(1, 9)
    ]
    accounts = [{"accountid": a(i), "name": f"Account {i}", "telephone1": "555"} for i in (1, 2)]
    connections: dict[str, dict[str, Any]] = {}
    for spec in [
        (1, c(1), 2, c(2), 1),
        (2, c(2), 2, c(3), 1),
        (3, c(3), 2, c(4), 1),
        (4, c(1), 5, a(1), 4),
        (5, c(2), 5, a(1), 4),
        (6, c(3), 5, a(2), 4),
        (7, c(4), 3, c(5), 3),
        (8, c(5), 3, c(6), 3),
        (9, c(6), 6, c(7), 6),
        (10, c(7), 3, c(8), 3, "old friends"),
        (11, c(8), 5, a(2), 4, None, 1),
        (12, c(5), 5, a(1), 4),
    ]:
        connections |= pair(*spec)  # type: ignore[arg-type]
    return {
        "connectionroles": {r["connectionroleid"]: r for r in roles},
        "connectionroleassociations": {x["connectionroleassociationid"]: x for x in associations},
        "contacts": {x["contactid"]: x for x in contacts},
        "accounts": {x["accountid"]: x for x in accounts},
        "connections": connections,
    }


def drop_pair(state: State, n: int) -> None:
    for cid in (gid("d", 2 * n), gid("d", 2 * n + 1)):
        state["connections"].pop(cid)


def scenario() -> list[Step]:
    s0 = initial_state()

    s1 = copy.deepcopy(s0)  # inserts, a connection moved to other roles, a twin-only update
    s1["contacts"][c(9)] = {"contactid": c(9), "fullname": "New Person", "emailaddress1": None}
    s1["connections"] |= pair(13, c(9), 3, c(1), 3)
    s1["connections"] |= pair(7, c(4), 6, c(5), 6)
    s1["connections"] |= pair(10, c(7), 3, c(8), 3, "changed on the twin")
    s1["contacts"][c(2)] |= {"fullname": "Jane Smith", "emailaddress1": None}
    s1["connectionroles"][gid("r", 3)]["description"] = "a friend"
    step1 = Step(s1, hidden={"connections": {gid("d", 20)}})  # pair 10's master row

    s2 = copy.deepcopy(s1)  # deletes: connections (by either twin), a record, a role, a link
    drop_pair(s2, 1)
    drop_pair(s2, 2)
    del s2["contacts"][c(6)]
    drop_pair(s2, 8)
    drop_pair(s2, 9)
    s2["connections"] |= pair(7, c(4), 3, c(5), 3)
    del s2["connectionroles"][gid("r", 6)]
    del s2["connectionroleassociations"][gid("e", 6)]
    del s2["connectionroleassociations"][gid("e", 4)]
    del s2["connectionroleassociations"][gid("e", 5)]
    step2 = Step(
        s2,
        hidden={"connections": {gid("d", 2), gid("d", 5)}},  # pair 1: only its twin's delete
        ghost_deletes={
            "connections": [gid("d", 999)],
            "contacts": [c(999)],
            "connectionroles": [gid("r", 999)],
        },
    )

    s3 = copy.deepcopy(s2)  # after a 429 and an expired token
    s3["accounts"][a(3)] = {"accountid": a(3), "name": "Account 3", "telephone1": None}
    s3["connections"] |= pair(14, a(3), 4, c(1), 5)
    s3["connections"] |= pair(11, c(8), 5, a(2), 4, None, 0)
    return [Step(s0), step1, step2, Step(s3)]


# -- running the CLI ------------------------------------------------------------------------
def env(settings: Settings, base: str, ca: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "NEO4J_URI": settings.neo4j_uri,
        "NEO4J_USER": settings.neo4j_user,
        "NEO4J_PASSWORD": settings.neo4j_password.get_secret_value(),
        "NEO4J_DATABASE": settings.neo4j_database,
        "GRAPHSVC_DATAVERSE_TENANT_ID": TENANT,
        "GRAPHSVC_DATAVERSE_CLIENT_ID": CLIENT_ID,
        "GRAPHSVC_DATAVERSE_CLIENT_SECRET": SECRET,
        "GRAPHSVC_DATAVERSE_AUTHORITY_HOST": base,
        "GRAPHSVC_DATAVERSE_INSTANCE_DISCOVERY": "false",
        "GRAPHSVC_DATAVERSE_CA_BUNDLE": str(ca),
        "GRAPHSVC_DATAVERSE_PAGE_SIZE": "5",
        **extra,
    }


def graphsvc(environ: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "graphsvc", *args],
        env=environ,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def snapshot(driver: Driver) -> dict[str, list[dict[str, Any]]]:
    """The graph as a load decides it (no timestamps), in a stable order, in Cypher."""
    return {
        "records": query(
            driver,
            """MATCH (n:Record)
               RETURN n.id AS id, apoc_free_labels AS labels,
                      [k IN keys(n) WHERE NOT k IN ['created_at', 'updated_at'] | [k, n[k]]] AS props
               ORDER BY id""".replace("apoc_free_labels", "[l IN labels(n) | l]"),
        ),
        "roles": query(
            driver, "MATCH (r:ConnectionRole) RETURN properties(r) AS role ORDER BY r.id"
        ),
        "keys": query(driver, "MATCH (k:ConnectionKey) RETURN properties(k) AS key ORDER BY k.id"),
        "edges": query(
            driver,
            """MATCH (x:Record)-[e]->(y:Record)
               RETURN type(e) AS type, x.id AS source, y.id AS target,
                      [k IN keys(e) WHERE NOT k IN ['created_at', 'updated_at'] | [k, toString(e[k])]] AS props
               ORDER BY e.connection_id, e.side""",
        ),
    }


def sort_props(snap: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    for rows in snap.values():
        for row in rows:
            for key in ("props", "labels"):
                if key in row:
                    row[key] = sorted(row[key])
    return snap


def assert_same_graph(
    driver: Driver, expected: dict[str, list[dict[str, Any]]], what: str = ""
) -> None:
    actual = sort_props(snapshot(driver))
    for part, rows in expected.items():
        missing = [r for r in rows if r not in actual[part]]
        extra = [r for r in actual[part] if r not in rows]
        assert actual[part] == rows, f"{what} {part}: missing {missing}, extra {extra}"


def full_load(environ: dict[str, str], tmp: Path, base: str, state: State) -> None:
    """What a person would do with a full export of the org: `graphsvc load --format dataverse`."""
    files = {t: export_file(tmp / f"{t}.json", base, t, rows) for t, rows in state.items()}
    steps = [
        ["roles", files["connectionroles"], "--associations", files["connectionroleassociations"]],
        ["records", files["contacts"]],
        ["records", files["accounts"]],
        ["connections", files["connections"]],
    ]
    for kind, path, *more in ([str(arg) for arg in step] for step in steps):
        done = graphsvc(environ, "load", kind, path, "--format", "dataverse", *more, cwd=tmp)
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture
def tls(tmp_path: Path) -> tuple[Path, Path, Path]:
    return make_tls(tmp_path)


@pytest.fixture
def org_server(tls: tuple[Path, Path, Path]) -> Iterator[OrgServer]:
    with OrgServer(Org(scenario()), tls) as server:
        yield server


def expected_graphs(
    driver: Driver, environ: dict[str, str], tmp: Path, base: str, steps: list[Step]
) -> list[dict[str, list[dict[str, Any]]]]:
    graphs = []
    for number, step in enumerate(steps):
        wipe(driver)
        folder = tmp / f"full-{number}"
        folder.mkdir()
        full_load(environ, folder, base, step.state)
        graphs.append(sort_props(snapshot(driver)))
    wipe(driver)
    return graphs


def sync(environ: dict[str, str], base: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return graphsvc(
        environ, "sync", "dataverse", "--url", base, "--tables", TABLES, "--once", cwd=cwd
    )


def sync_in_background(environ: dict[str, str], base: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "graphsvc", "sync", "dataverse", "--url", base, "--tables", TABLES],
        env=environ,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# -- the tests ------------------------------------------------------------------------------
@pytest.mark.slow
def test_each_step_equals_a_full_load_of_the_org(
    org_server: OrgServer,
    tls: tuple[Path, Path, Path],
    settings: Settings,
    driver: Driver,
    tmp_path: Path,
) -> None:
    org, base = org_server.org, org_server.base
    environ = env(settings, base, tls[0])
    expected = expected_graphs(driver, environ, tmp_path, base, org.steps)
    assert len(expected[0]["keys"]) == 12 and len(expected[2]["keys"]) == 9

    for number in range(len(org.steps)):
        if number == 3:
            org.throttle["connections"] = 1
            org.expire_at["contacts"] = org.requests["contacts"] + 1
            tokens = org.tokens_issued
        started = time.time()
        done = sync(environ, base, tmp_path)
        assert done.returncode == 0, f"step {number}: {done.stdout}{done.stderr}"
        assert_same_graph(driver, expected[number], f"step {number}")
        report = run_check(settings)
        assert not report.problems, f"step {number}: {report.problems[:5]}"
        if number == 3:
            throttled = [t for t, status, _ in org.log if status == 429 and t >= started]
            after = [
                t
                for t, status, p in org.log
                if status == 200 and "connections" in p and t > throttled[0]
            ]
            assert after and after[0] - throttled[0] >= 1.0  # Retry-After: 1 was honoured
            assert "throttled 1 time(s)" in done.stderr
            assert [s for t, s, p in org.log if t >= started and "contacts" in p][:2] == [401, 200]
            assert org.tokens_issued == tokens + 2  # the run's token, and its replacement
        if number < len(org.steps) - 1:
            org.advance()
    assert "connections:" in done.stdout and "deleted" in done.stdout

    status = graphsvc(environ, "sync", "dataverse", "--status", cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert f"{base.lower()} connections: last sync 20" in status.stdout
    [roles] = query(
        driver,
        "MATCH (s:SyncState {table: 'connectionroles'}) RETURN s.deleted AS deleted, s.pending_deletes AS pending",
    )
    assert roles == {"deleted": 1, "pending": []}  # Colleague, once its connections were gone


@pytest.mark.slow
def test_kill_9_between_pages_resumes_to_the_same_graph(
    org_server: OrgServer,
    tls: tuple[Path, Path, Path],
    settings: Settings,
    driver: Driver,
    tmp_path: Path,
) -> None:
    org, base = org_server.org, org_server.base
    environ = env(settings, base, tls[0])
    [expected] = expected_graphs(driver, environ, tmp_path, base, org.steps[:1])
    org.hold["connections"] = 3  # the third page of connections waits until the process is killed
    proc = sync_in_background(environ, base, tmp_path)
    try:
        assert org.holding.wait(120), "the sync never asked for the third page"
        [state] = query(
            driver,
            "MATCH (s:SyncState {table: 'connections'}) RETURN s.next_link AS next, s.pages AS pages",
        )
        assert state["pages"] == 2 and "$skiptoken" in state["next"]
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
        org.release.set()
    edges_after_kill = query(driver, "MATCH (:Record)-[e]->(:Record) RETURN count(e) AS n")[0]["n"]
    assert 0 < edges_after_kill < 24
    seen = len(org.log)
    org.hold.clear()

    done = sync(environ, base, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    resumed = [p for _, _, p in org.log[seen:] if "/connections" in p]
    assert resumed[0].endswith(state["next"].split(base, 1)[1])  # not from the first page again
    assert_same_graph(driver, expected)
    assert not run_check(settings).problems
    [counts] = query(
        driver,
        "MATCH (s:SyncState {table: 'connections'}) RETURN s.created AS created, s.pages AS pages",
    )
    assert counts == {"created": 12, "pages": 5}


@pytest.mark.slow
def test_a_second_sync_of_the_org_is_refused_while_the_first_runs(
    org_server: OrgServer,
    tls: tuple[Path, Path, Path],
    settings: Settings,
    driver: Driver,
    tmp_path: Path,
) -> None:
    org, base = org_server.org, org_server.base
    environ = env(settings, base, tls[0])
    [expected] = expected_graphs(driver, environ, tmp_path, base, org.steps[:1])
    org.hold["connections"] = 3  # the first run waits for its third page of connections
    first = sync_in_background(environ, base, tmp_path)
    try:
        assert org.holding.wait(120), "the first sync never asked for the third page"
        asked = len(org.log)
        second = sync(environ, base, tmp_path)
        assert second.returncode == 1 and "Traceback" not in second.stderr
        assert f"another sync of {base.lower()} is running" in second.stderr, second.stderr
        assert f"pid {first.pid}" in second.stderr
        assert len(org.log) == asked  # refused before it asked the org for anything
        status = graphsvc(environ, "sync", "dataverse", "--status", cwd=tmp_path)
        assert f"{base.lower()}: a run is syncing it now (host " in status.stdout, status.stdout
        assert f"pid {first.pid}, since 20" in status.stdout
        org.release.set()
        out, err = first.communicate(timeout=120)
        assert first.returncode == 0, out + err
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
        org.release.set()
    assert_same_graph(driver, expected)
    org.hold.clear()
    again = sync(environ, base, tmp_path)  # the first gave the lease back
    assert again.returncode == 0, again.stdout + again.stderr
    status = graphsvc(environ, "sync", "dataverse", "--status", cwd=tmp_path)
    assert status.returncode == 0 and "a run is syncing" not in status.stdout, status.stdout
    assert_same_graph(driver, expected)


def test_cannot_go_on_exits_1_with_a_message(
    org_server: OrgServer,
    tls: tuple[Path, Path, Path],
    settings: Settings,
    driver: Driver,
    tmp_path: Path,
) -> None:
    base = org_server.base
    wrong = env(settings, base, tls[0], GRAPHSVC_DATAVERSE_CLIENT_SECRET="not-it")
    done = sync(wrong, base, tmp_path)
    assert done.returncode == 1
    assert (
        "Entra ID refused a token: invalid_client" in done.stderr and "Traceback" not in done.stderr
    )

    org_server.org.throttle["contacts"] = 100
    busy = env(settings, base, tls[0], GRAPHSVC_DATAVERSE_MAX_RETRIES="2")
    done = graphsvc(busy, "sync", "dataverse", "--url", base, "--tables", "contacts", cwd=tmp_path)
    assert done.returncode == 1
    assert (
        "keeps answering 429" in done.stderr
        and "resumes from the last committed page" in done.stderr
    )

    no_ca = env(settings, base, tls[0])
    del no_ca["GRAPHSVC_DATAVERSE_CA_BUNDLE"]
    done = sync(no_ca, base, tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "CERTIFICATE_VERIFY_FAILED" in done.stderr or "certificate" in done.stderr.lower()

    for args, message in [
        (["--url", "http://plain.example.com"], "--url must be the org's https address"),
        (["--url", base, "--every", "soon"], "--every takes a duration"),
        (["--url", base, "--tables", "Bad Table"], "--tables takes entity set names"),
    ]:
        done = graphsvc(no_ca, "sync", "dataverse", *args, cwd=tmp_path)
        assert done.returncode == 1 and message in done.stderr, done.stderr


def test_delta_files_apply_the_same_changes(
    settings: Settings, driver: Driver, tmp_path: Path, tls: tuple[Path, Path, Path]
) -> None:
    """`graphsvc load ... --format dataverse-delta`: the pages of a sync, handed over as files."""
    base = "https://contoso.crm.dynamics.com"
    environ = env(settings, base, tls[0])
    steps = scenario()
    [expected] = expected_graphs(driver, environ, tmp_path, base, steps[2:3])
    org = Org(steps)
    for number in range(3):  # the initial pages, then the deltas of steps 1 and 2
        for table in TABLES.split(","):
            kind = {"connectionroles": "roles", "connectionroleassociations": "roles"}.get(
                table, "connections" if table == "connections" else "records"
            )
            if number == 0:
                items = list(steps[0].state[table].values())
                context = f"{base}/api/data/v9.2/$metadata#{table}"
            else:
                items = org.changes(table, number - 1, number)
                context = f"{base}/api/data/v9.2/$metadata#{table}/$delta"
            value = [
                {
                    "@odata.context": f"{base}/api/data/v9.2/$metadata#{table}/$deletedEntity",
                    "id": i["$deleted"],
                    "reason": "deleted",
                }
                if "$deleted" in i
                else i
                for i in items
            ]
            path = tmp_path / f"{number}-{table}.json"
            path.write_text(json.dumps({"@odata.context": context, "value": value}))
            done = graphsvc(
                environ, "load", kind, str(path), "--format", "dataverse-delta", cwd=tmp_path
            )
            in_use = number == 2 and table == "connectionroles"  # Colleague: connections first
            assert done.returncode == (1 if in_use else 0), done.stdout + done.stderr
            if in_use:
                assert "is still in use" in done.stderr
        if number == 2:
            retry = graphsvc(
                environ,
                "load",
                "roles",
                str(tmp_path / "2-connectionroles.json"),
                "--format",
                "dataverse-delta",
                cwd=tmp_path,
            )
            assert retry.returncode == 0, retry.stdout + retry.stderr
    assert_same_graph(driver, expected)
    assert not run_check(settings).problems


def test_rows_that_fail_are_retried_on_the_next_run(
    org_server: OrgServer,
    tls: tuple[Path, Path, Path],
    settings: Settings,
    driver: Driver,
    tmp_path: Path,
) -> None:
    """A connection whose record is not there yet fails, goes to the rejects file, and is applied
    by the next run once the record has come (the delta link moved on: it would be lost)."""
    org, base = org_server.org, org_server.base
    environ = env(settings, base, tls[0])
    [expected] = expected_graphs(driver, environ, tmp_path, base, org.steps[:1])
    without_accounts = "connectionroles,connectionroleassociations,contacts,connections"
    done = graphsvc(
        environ, "sync", "dataverse", "--url", base, "--tables", without_accounts, cwd=tmp_path
    )
    assert done.returncode == 1
    assert "not found (record2_id)" in done.stderr
    rejects = json.loads((tmp_path / "connections.rejects.json").read_text())["value"]
    assert {r["connectionid"] for r in rejects} >= {gid("d", 8), gid("d", 9)}  # pair 4, both rows
    [pending] = query(
        driver, "MATCH (s:SyncState {table: 'connections'}) RETURN s.pending_rows AS rows"
    )
    assert len(json.loads(pending["rows"])) == len(rejects)

    done = sync(environ, base, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert_same_graph(driver, expected)
    assert not run_check(settings).problems


def test_certificate_credential(
    org_server: OrgServer,
    tls: tuple[Path, Path, Path],
    settings: Settings,
    driver: Driver,
    tmp_path: Path,
) -> None:
    """A certificate instead of a secret: MSAL signs a client assertion that the local token
    endpoint verifies against the registered certificate."""
    base = org_server.base
    pem, cert = make_client_certificate(tmp_path)
    org_server.org.client_certificate = cert
    environ = env(settings, base, tls[0], GRAPHSVC_DATAVERSE_CERTIFICATE_PATH=str(pem))
    del environ["GRAPHSVC_DATAVERSE_CLIENT_SECRET"]
    done = graphsvc(
        environ, "sync", "dataverse", "--url", base, "--tables", "contacts", cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "contacts: 8 rows" in done.stdout
    other, _ = make_client_certificate(tmp_path / "..")  # a certificate the tenant does not know
    environ["GRAPHSVC_DATAVERSE_CERTIFICATE_PATH"] = str(other)
    done = graphsvc(
        environ, "sync", "dataverse", "--url", base, "--tables", "contacts", cwd=tmp_path
    )
    assert done.returncode == 1 and "Entra ID refused a token: invalid_client" in done.stderr
