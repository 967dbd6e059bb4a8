"""A generator run in a helper process, its items handed back in order, in chunks.

Reading a row and checking it against its model needs nothing but the row, so a second process
does that while this one applies the rules that need every row before it and writes the files:
on two cores the import's Python part takes about the time of the slower half, not of both.
The helper is forked (it inherits the roles and everything else it needs, nothing is pickled
but the items), runs ahead by at most a pipe's worth of chunks, and is stopped with the
generator. An error in it is raised again here, an `OfflineImportError` as itself.
"""

import multiprocessing
import traceback
import weakref
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any

from graphsvc.offline_import.summary import OfflineImportError

CHUNK = 2_000


def _serve(out: Connection, work: Callable[..., Iterator[Any]], args: tuple[Any, ...]) -> None:
    try:
        chunk: list[Any] = []
        for item in work(*args):
            chunk.append(item)
            if len(chunk) >= CHUNK:
                out.send(chunk)
                chunk = []
        out.send(chunk)
        out.send(None)
    except OfflineImportError as exc:
        out.send(OfflineImportError(str(exc)))
    except BaseException:
        out.send(RuntimeError(f"import helper failed:\n{traceback.format_exc()}"))
    finally:
        out.close()


class Helper:
    """`work(*args)`'s items, computed in a process forked now (before the caller builds its
    big indexes, so the fork shares little), handed over in order as they are iterated; inline
    where fork is missing. `close()` (or dropping it) stops the process."""

    def __init__(self, work: Callable[..., Iterator[Any]], *args: Any) -> None:
        if "fork" not in multiprocessing.get_all_start_methods():
            self._items: Iterator[Any] = work(*args)
            self._stop: Callable[[], None] = lambda: None
            return
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_serve, args=(send, work, args), daemon=True)
        process.start()
        send.close()
        self._items = _receive(receive)
        self._stop = weakref.finalize(self, _stop, process, receive)

    def __iter__(self) -> Iterator[Any]:
        return self._items

    def close(self) -> None:
        self._stop()


def _receive(receive: Connection) -> Iterator[Any]:
    while True:
        try:
            chunk = receive.recv()
        except EOFError:
            raise RuntimeError("import helper ended without a word") from None
        if chunk is None:
            return
        if isinstance(chunk, BaseException):
            raise chunk
        yield from chunk


def _stop(process: multiprocessing.process.BaseProcess, receive: Connection) -> None:
    receive.close()
    if process.is_alive():
        process.terminate()
    process.join()
