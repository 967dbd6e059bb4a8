"""One sync run per org at a time: a lease in Neo4j (`:SyncLease {org}`).

Two runs against one org would apply pages out of order (an older version of a row written over
a newer one) and each save its own delta link, so a change could be lost for good. A run takes
the org's lease before its first page and gives it back when it ends; while it runs, a heartbeat
extends it every `TTL / 4` seconds. A run that is killed leaves the lease behind: another run
takes it over once it has expired (`TTL` after the last heartbeat), or at once when the holder
was a process on this host that no longer exists. Every page's state save renews the lease in
its own transaction and fails when the lease was lost, so a run that lost it (Neo4j out of reach
for longer than `TTL`) never moves the org's state; it also renews before applying each page.
"""

import asyncio
import contextlib
import os
import socket
import uuid
from types import TracebackType
from typing import Any

from graphsvc.sync.state import LeaseError, SyncStore

TTL = 60  # seconds


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


class SyncLease:
    def __init__(self, store: SyncStore, org: str) -> None:
        self.store = store
        self.org = org
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.holder = f"{self.host}:{self.pid}:{uuid.uuid4().hex[:12]}"
        self._heartbeat: asyncio.Task[None] | None = None

    async def __aenter__(self) -> "SyncLease":
        held = await self.store.take_lease(self.org, self.holder, self.host, self.pid, TTL, None)
        if not held["taken"] and self._gone(held):
            held = await self.store.take_lease(
                self.org, self.holder, self.host, self.pid, TTL, held["holder"]
            )
        if not held["taken"]:
            raise LeaseError(
                f"another sync of {self.org} is running (host {held['host']}, pid {held['pid']}, "
                f"since {held['since']}); its lease ends at {held['expires_at']} unless it renews "
                f"it: stop that run, or wait for it to finish"
            )
        self._heartbeat = asyncio.create_task(self._beat())
        return self

    def _gone(self, held: dict[str, Any]) -> bool:
        """The holder was a process on this host that has ended (killed, crashed)."""
        return (
            held["host"] == self.host and isinstance(held["pid"], int) and not _alive(held["pid"])
        )

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(TTL / 4)
            # A failed heartbeat (Neo4j briefly out of reach) is not fatal: the next one or the
            # page's own renewal tells whether the lease is still held.
            with contextlib.suppress(Exception):
                if not await self.store.renew_lease(self.org, self.holder, TTL):
                    return

    async def renew(self) -> None:
        """Before a page is applied: still ours, for another TTL; LeaseError when lost."""
        if not await self.store.renew_lease(self.org, self.holder, TTL):
            raise LeaseError.lost(self.org)

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._heartbeat:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        # Neo4j may be why the run ended: the lease then expires by itself.
        with contextlib.suppress(Exception):
            await self.store.release_lease(self.org, self.holder)
