"""What the import reports: its error, its summary, and its progress (phase, rows done)."""

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from graphsvc import loader

# progress(phase, rows done, rows in all or None); phase: "roles", "records", "connections",
# "neo4j-admin", "start", "schema + roles", "done"
Progress = Callable[[str, int, int | None], None]


class OfflineImportError(Exception):
    """Why the import cannot go ahead, in one line (or a few, for a list of problems)."""


@dataclass
class ImportSummary:
    roles: int = 0
    records: int = 0
    connections: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    rejects: list[Path] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # the first few, for the console
    convert_seconds: float = 0.0
    import_seconds: float = 0.0
    finish_seconds: float = 0.0
    admin_command: list[str] = field(default_factory=list)

    def reject(
        self, kind: str, writer: loader.RejectsWriter, row: loader.Row, error: str, where: str
    ) -> None:
        """A row the online loader would reject: into the rejects file, its reason named."""
        writer.write(row, error)
        self.count(kind, error, where)

    def count(self, kind: str, error: str, where: str) -> None:
        self.rejected[kind] = self.rejected.get(kind, 0) + 1
        if len(self.failures) < 10:
            self.failures.append(f"{where}: {error}")


class StderrProgress:
    """One line per phase and one every few seconds within it, on stderr (the default)."""

    def __init__(self, every: float = 5.0) -> None:
        self.every = every
        self.phase = ""
        self.began = self.started = self.shown = time.monotonic()
        self.done = -1

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if phase != self.phase:
            self.phase, self.started, self.shown = phase, now, now
            cpu = os.times()  # this process and its children waited for (helper, neo4j-admin)
            used = cpu.user + cpu.system + cpu.children_user + cpu.children_system
            print(
                f"[{now - self.began:6.1f} s, cpu {used:6.1f} s] {phase}...",
                file=sys.stderr,
                flush=True,
            )
        elif done != self.done and (
            now - self.shown >= self.every or (total is not None and done >= total)
        ):
            self.shown, self.done = now, done
            rate = done / max(now - self.started, 1e-9)
            of = f" of {total:,}" if total is not None else ""
            line = (
                f"{done}% built"
                if phase == "indexes"
                else f"{done:,}{of} rows checked ({rate:,.0f}/s)"
            )
            print(f"  {phase}: {line}", file=sys.stderr, flush=True)
