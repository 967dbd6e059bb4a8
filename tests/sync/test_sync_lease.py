"""One sync run per org (graphsvc/sync/lease.py), against the real Neo4j: runs that start
together get one lease; a lease left by a dead process or let expire is taken over, one still
held is refused by name; the heartbeat keeps a long run's lease; a run that lost its lease
saves nothing."""

import asyncio
import subprocess
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from neo4j import AsyncDriver, Driver

from graphsvc.config import Settings
from graphsvc.dataverse.changes import ROLES_TABLE, Page
from graphsvc.graph.db import create_async_driver
from graphsvc.sync import lease
from graphsvc.sync.apply import Applied
from graphsvc.sync.lease import SyncLease
from graphsvc.sync.state import LeaseError, SyncStore, TableState
from tests.helpers import query, wipe

ORG = "https://contoso.crm.dynamics.com"


def with_store(settings: Settings, work: Callable[[SyncStore], Coroutine[Any, Any, None]]) -> None:
    async def go() -> None:
        driver: AsyncDriver
        async with create_async_driver(settings) as driver:
            await work(SyncStore(driver, settings.neo4j_database))

    asyncio.run(go())


def held_by(driver: Driver) -> list[dict[str, Any]]:
    return query(
        driver,
        "MATCH (l:SyncLease) RETURN l.org AS org, l.holder AS holder, l.pid AS pid",
    )


async def try_take(store: SyncStore) -> SyncLease | None:
    contender = SyncLease(store, ORG)
    try:
        return await contender.__aenter__()
    except LeaseError:
        return None


def test_of_runs_started_together_one_takes_the_lease(settings: Settings, driver: Driver) -> None:
    wipe(driver)
    winners: list[str] = []

    async def rounds(store: SyncStore) -> None:
        for _ in range(25):  # the first round creates the lease; the others find it free
            taken = [t for t in await asyncio.gather(*(try_take(store) for _ in range(6))) if t]
            assert len(taken) == 1, f"{len(taken)} runs hold the lease at once"
            [held] = held_by(driver)
            assert held["holder"] == taken[0].holder
            winners.append(taken[0].holder)
            await taken[0].__aexit__(None, None, None)

    with_store(settings, rounds)
    assert len(set(winners)) == 25
    assert held_by(driver) == [{"org": ORG.lower(), "holder": None, "pid": None}]


def test_a_lease_still_held_is_refused_by_name_and_one_left_behind_is_taken_over(
    settings: Settings, driver: Driver
) -> None:
    wipe(driver)
    gone = subprocess.Popen(["true"])
    gone.wait()

    def leave(host: str, pid: int, expires_in: int) -> None:
        query(
            driver,
            """MERGE (l:SyncLease {org: $org})
               SET l.holder = $host + ':' + toString($pid) + ':old', l.host = $host, l.pid = $pid,
                   l.since = datetime(), l.expires_at = datetime() + duration({seconds: $s})""",
            org=ORG,
            host=host,
            pid=pid,
            s=expires_in,
        )

    async def attempts(store: SyncStore) -> None:
        here = SyncLease(store, ORG).host
        leave("elsewhere", 4242, 600)  # a run on another host, alive as far as we can tell
        with pytest.raises(LeaseError, match=r"another sync of .* \(host elsewhere, pid 4242,"):
            await SyncLease(store, ORG).__aenter__()
        assert held_by(driver)[0]["holder"] == "elsewhere:4242:old"

        for host, pid, expires_in in [("elsewhere", 4242, -1), (here, gone.pid, 600)]:
            leave(host, pid, expires_in)  # expired; or a process of this host that has ended
            taken = await SyncLease(store, ORG).__aenter__()
            assert held_by(driver)[0]["holder"] == taken.holder
            await taken.__aexit__(None, None, None)

    with_store(settings, attempts)


def test_the_heartbeat_keeps_a_long_run_s_lease(
    settings: Settings, driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    wipe(driver)
    monkeypatch.setattr(lease, "TTL", 2)

    async def long_run(store: SyncStore) -> None:
        async with SyncLease(store, ORG) as running:
            await asyncio.sleep(5)  # 2.5 TTLs: without the heartbeat the lease has expired
            assert await try_take(store) is None
            await running.renew()
        assert held_by(driver)[0]["holder"] is None

    with_store(settings, long_run)


def test_a_run_that_lost_its_lease_saves_nothing(settings: Settings, driver: Driver) -> None:
    wipe(driver)

    async def lost(store: SyncStore) -> None:
        running = await SyncLease(store, ORG).__aenter__()
        # Neo4j was out of reach for longer than the lease: it expired and another run took it.
        query(driver, "MATCH (l:SyncLease) SET l.holder = 'elsewhere:1:new'")
        with pytest.raises(LeaseError, match="lost its lease"):
            await running.renew()
        page = Page(ROLES_TABLE, "roles", next_link=None, delta_link=f"{ORG}/delta")
        with pytest.raises(LeaseError, match="lost its lease"):
            await store.save(
                ORG,
                page,
                Applied(created=1),
                TableState(delta_link=f"{ORG}/delta"),
                True,
                (running.holder, lease.TTL),
            )
        await running.__aexit__(None, None, None)  # gives back nothing it no longer holds

    with_store(settings, lost)
    assert query(driver, "MATCH (s:SyncState) RETURN count(s) AS n") == [{"n": 0}]
    assert held_by(driver)[0]["holder"] == "elsewhere:1:new"
