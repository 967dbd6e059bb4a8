"""Every row checked as the online loader checks it, before anything is written to Neo4j.

The same pydantic models (`graphsvc.models`), the same role resolution (`RoleIndex`) and the same
rules and messages (`graphsvc.rules`) as `graphsvc load`; what the loader would reject goes to the
same rejects files with the same reasons, named here by file and line. The rules that need the
graph are answered from compact indexes (`tables.py`): a record's type by id, the active
connections' endpoints-and-roles keys, the edges of acyclic relationship types. A CSV file's
header is checked once, before its first row: a wrong column stops the import at line 1.

Rows stream: `records()` and `connections()` are generators of the valid rows; nothing holds a
file's rows.
"""

import csv
import re
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from graphsvc import loader, readers
from graphsvc.graph.batch import validation_message
from graphsvc.identifiers import type_label
from graphsvc.models import ConnectionCreate, RecordCreate
from graphsvc.offline_import.summary import ImportSummary, OfflineImportError, Progress
from graphsvc.offline_import.tables import Interned

EVERY = 50_000  # rows between progress calls
_SURROGATE = re.compile("[\udc80-\udcff]")
FIELD_LIMIT = 1 << 20  # a CSV cell longer than this is a broken file, not a value
Source = tuple[int, int, Any, Any]  # row number, line, the row as a dict, its source (rejects)
Checked = tuple[int, int, Any, str | None, tuple[Any, ...] | None]  # see model_checked


def _csv_rows(path: Path, kind: loader.Kind) -> tuple[list[str], Iterator[Source]]:
    """The header and the rows, as `loader.read_csv` makes them. Bytes that are not UTF-8 come
    through as lone surrogates, which the models refuse, so the row fails naming its field."""
    f = path.open(encoding="utf-8-sig", errors="surrogateescape", newline="")
    csv.field_size_limit(FIELD_LIMIT)
    reader = csv.reader(f, strict=True)
    try:
        header = next(reader, [])
    except csv.Error as exc:
        f.close()
        raise OfflineImportError(f"{path.name} line 1: {exc}") from None
    try:
        _check_header(path, kind, header)
    except OfflineImportError:
        f.close()
        raise

    def rows() -> Iterator[Source]:
        number = 0
        with f:
            try:
                for cells in reader:
                    if not cells:
                        continue
                    number += 1
                    if len(cells) != len(header):
                        raise OfflineImportError(
                            f"{path.name} line {reader.line_num}: {len(cells)} cells, the header "
                            f"has {len(header)} (an unquoted comma or line break?)"
                        )
                    source = dict(zip(header, cells, strict=True))
                    yield number, reader.line_num, readers.csv_row(kind, source), cells
            except csv.Error as exc:
                raise OfflineImportError(f"{path.name} line {reader.line_num}: {exc}") from None

    return header, rows()


def _check_header(path: Path, kind: loader.Kind, header: list[str]) -> None:
    where = f"{path.name} line 1 (the header)"
    columns = [c for c in header if c != loader.ERROR_KEY]
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise OfflineImportError(f"{where}: column(s) {', '.join(repeated)} given twice")
    if kind == "records":
        missing = [c for c in ("id", "type", "name") if c not in columns]
        probe = {"id": "x", "type": "x", "name": "x"}
        attributes = {c: "x" for c in columns if c not in probe}
        try:  # the attribute names, by the model's own rule
            RecordCreate.model_validate(probe | {"attributes": attributes})
        except ValidationError as exc:
            raise OfflineImportError(f"{where}: {validation_message(exc)}") from None
    elif kind == "connections":
        known = set(ConnectionCreate.model_fields)
        unknown = [c for c in columns if c not in known]
        if unknown:
            raise OfflineImportError(
                f"{where}: unknown column(s) {', '.join(unknown)}; a connection has "
                f"{', '.join(ConnectionCreate.model_fields)}"
            )
        missing = [c for c in ("id", "record1_id", "record2_id") if c not in columns]
    else:
        missing = [] if "name" in columns else ["name"]
    if missing:
        raise OfflineImportError(f"{where}: no column {', '.join(missing)}")


def check_header(path: Path, kind: loader.Kind) -> list[str] | None:
    """A CSV file's header, checked at once (before minutes spent on the files before it);
    None for the other formats."""
    if loader.detect_format(path) != "csv":
        return None
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as f:
        try:
            header = next(csv.reader(f, strict=True), [])
        except csv.Error as exc:
            raise OfflineImportError(f"{path.name} line 1: {exc}") from None
    _check_header(path, kind, header)
    return header


def source_rows(path: Path, kind: loader.Kind) -> tuple[list[str] | None, Iterator[Source]]:
    """CSV header (None for other formats) and rows, any format the loader reads."""
    fmt = loader.detect_format(path)
    if fmt == "csv":
        return _csv_rows(path, kind)
    rows = loader.read_rows(path, kind, fmt)
    return None, ((r.number, r.number, r.data, r.source) for r in rows)


class Checker:
    """The rejects file of one input, and the summary that counts its rejected rows."""

    def __init__(self, path: Path, kind: loader.Kind, summary: ImportSummary) -> None:
        self.path, self.kind, self.summary = path, kind, summary
        self.writer = loader.RejectsWriter(loader.rejects_path(path), loader.detect_format(path))
        self.header = check_header(path, kind)
        self.deferred: dict[int, str] = {}  # row number -> error, for rows sent without source

    def reject(self, number: int, line: int, source: Any, error: str) -> None:
        """A row the loader would reject; `source` as `source_rows` gives it (CSV: cells), or
        None for a CSV row whose cells are read again when the file is closed."""
        if source is None:
            self.deferred[number] = error
            self.summary.count(self.kind, error, f"{self.path.name} line {line}")
            return
        if self.header is not None and isinstance(source, list):
            source = dict(zip(self.header, source, strict=True))
        if isinstance(source, dict) and any(map(_undecoded, source.values())):
            # the CSV reader kept bytes that are not UTF-8 as lone surrogates; the rejects
            # file is UTF-8, so they are written as U+FFFD
            source = {k: _utf8(v) for k, v in source.items()}
            error += " (the file is not UTF-8 there)"
        row = loader.Row(number, {}, source)  # the writer needs only the source
        self.summary.reject(self.kind, self.writer, row, error, f"{self.path.name} line {line}")

    def close(self) -> None:
        if self.deferred and self.header is not None:
            try:  # the rows' cells, read again (a valid row crosses from the helper without)
                for number, _, _, cells in source_rows(self.path, self.kind)[1]:
                    if number in self.deferred:
                        source = dict(zip(self.header, cells, strict=True))
                        self.writer.write(loader.Row(number, {}, source), self.deferred[number])
            except OfflineImportError:
                pass  # the file broke further on: that error is the one reported
        self.writer.close()
        if self.writer.count:
            self.summary.rejects.append(self.writer.path)


def _undecoded(value: Any) -> bool:
    return isinstance(value, str) and not value.isascii() and _SURROGATE.search(value) is not None


def _utf8(value: Any) -> Any:
    return _SURROGATE.sub("\ufffd", value) if isinstance(value, str) else value


def invalid(data: Any) -> str | None:
    return data["_invalid"] if isinstance(data, dict) and "_invalid" in data else None


# -- records ------------------------------------------------------------------------------------
@dataclass
class Records:
    """Each imported record's type, by id: ordinals in `ids`, type numbers in `types`."""

    ids: Interned
    types: "array[int]" = field(default_factory=lambda: array("H"))
    type_names: list[str] = field(default_factory=list)
    numbers: dict[str, int] = field(default_factory=dict)


ValidRecord = tuple[str, str, str, str, dict[str, Any]]  # id, label, type, name, attributes


def model_checked(path: Path, kind: loader.Kind) -> Iterator[Checked]:
    """Each row against its model (`RecordCreate`, `ConnectionCreate`): needs no other row, so
    it runs in the helper process. (row number, line, source, error, None) for a row that
    fails; (row number, line, source, None, fields) else, without the source of a CSV row (half
    the cost of handing rows over; `Checker` reads a rejected one again) or of a record (a valid
    record is never rejected later)."""
    model = RecordCreate if kind == "records" else ConnectionCreate
    what = "upserts are by id" if kind == "records" else "connections are upserted by id"
    fmt = loader.detect_format(path)
    for number, line, data, source in source_rows(path, kind)[1]:
        try:
            body = model.model_validate(data)
        except ValidationError as exc:
            yield number, line, source, invalid(data) or validation_message(exc), None
            continue
        if body.id is None:
            yield number, line, source, f"id: required in a batch ({what})", None
        elif isinstance(body, RecordCreate):
            yield number, line, None, None, (body.id, body.type, body.name, body.attributes)
        else:
            if fmt == "csv":  # a CSV row's cells are read again if the row is rejected
                source = None
            fields = (
                body.id, body.record1_id, body.record2_id, body.record1_role_id, body.record1_role,
                body.record2_role_id, body.record2_role, body.state, body.description,
                body.effective_start, body.effective_end,
            )  # fmt: skip
            yield number, line, source, None, fields


def records(
    path: Path, rows: Iterable[Checked], index: Records, summary: ImportSummary, progress: Progress
) -> tuple[list[str] | None, Iterator[ValidRecord]]:
    """The CSV attribute columns (None for other formats) and the valid records, streamed; a
    repeated id is an error once the file is read (the constraints come after the import).
    `rows`: `model_checked(path, "records")`, from the helper process."""
    header = check_header(path, "records")
    total = loader.count_rows(path, loader.detect_format(path))
    skip = (loader.ERROR_KEY, "id", "type", "name")
    attributes = None if header is None else [c for c in header if c not in skip]

    def valid() -> Iterator[ValidRecord]:
        check = Checker(path, "records", summary)
        repeated: list[str] = []
        labels: dict[str, str] = {}
        done = 0
        add, types = index.ids.add, index.types
        try:
            for number, line, source, error, fields in rows:
                done += 1
                if done % EVERY == 0:
                    progress("records", done, total)
                if error is not None:
                    check.reject(number, line, source, error)
                    continue
                record_id, record_type, name, values = fields or ()
                if add(record_id) < 0:
                    repeated.append(f"{record_id} ({path.name} line {line})")
                    continue
                number_of_type = index.numbers.setdefault(record_type, len(index.type_names))
                if number_of_type == len(index.type_names):
                    index.type_names.append(record_type)
                    labels[record_type] = type_label(record_type)
                types.append(number_of_type)
                yield record_id, labels[record_type], record_type, name, values
        finally:
            check.close()
        progress("records", done, done)
        summary.records = len(index.ids)
        if repeated:
            raise OfflineImportError(
                f"{len(repeated)} repeated record id(s) in {path.name}, e.g. "
                f"{', '.join(repeated[:5])}; the import needs each id once"
            )

    return attributes, valid()
