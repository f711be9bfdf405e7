"""Raw files into a staging table of text cells, each with its file, sheet and row.

CSV is read by DuckDB itself when the file is regular (the common, large case: one regular
expression over the bytes checks that every line has exactly the header's number of fields). A
file with blank lines, quoted line breaks or ragged rows is read by Python's csv module instead, which
knows the exact line of every record; both give the same staging rows. XLSX is read with
openpyxl (DuckDB's excel extension would be downloaded at run time). Nothing here interprets a
value: that is done in SQL by :mod:`pipeline.ingest.normalise`.

What is read is bounded by :class:`pipeline.limits.Limits`: a workbook's zip directory is checked
before anything is inflated (``xlsx_too_large``), a table stops at ``max_rows_per_file`` rows
(``too_many_rows``) and a cell longer than ``max_field_chars`` is refused (``field_too_large``);
each problem ends with the limit's name and environment variable.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from xml.etree import ElementTree

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.ingest.models import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from pipeline.i18n import N_, msg
from pipeline.ingest.normalise import escape_controls, escape_message
from pipeline.ingest import xlsxfast
from pipeline.ingest.fastcsv import regular, stage_csv
from pipeline.limits import Limits
from pipeline.limits import limits as current_limits
from pipeline.problems import Problem
from pipeline.store.models import Repair

STAGING_COLUMNS = ("city", "year", "variable", "value", "unit", "source_id", "status", "note")
STAGE_COLUMNS = ("file_id", "sheet", "row", *STAGING_COLUMNS)
"""The columns of a staging table of cells (:func:`to_arrow`, :func:`pipeline.ingest.fastcsv.stage_csv`)."""
DELIMITERS = {",": None, ";": "semicolon_separator", "\t": "tab_separator"}


@dataclass
class Table:
    """The cells of one table (a CSV file or one worksheet) with their rows, and what was found."""

    file_id: str
    sheet: str | None = None
    role: str = "observations"
    header: list[str] = field(default_factory=list)
    data: pa.Table | None = None
    """Column ``row`` (int) and one text column per header name."""
    staged: int = 0
    """Rows read by DuckDB straight into the staging table (:func:`pipeline.ingest.fastcsv.stage_csv`)
    instead of ``data``."""
    problems: list[Problem] = field(default_factory=list)
    repairs: list[Repair] = field(default_factory=list)
    decimal_mark: str | None = None
    """The decimal mark the format itself fixes (a JSON response always writes ``.``): evidence
    for reading a lone group (``2.782``), as another number of the file would be."""

    def problem(self, rule: str, message: dict, row: int | None = None, column: str | None = None, value: str | None = None) -> None:
        """Record a problem (``message`` is a :func:`pipeline.i18n.msg`); a control character in its
        words is shown escaped (``\\x00``)."""
        self.problems.append(Problem(file=self.file_id, sheet=self.sheet, row=row, column=column, rule=rule,
                                     **escape_message(message), value=escape_controls(value)))

    def repair(self, rule: str, row: int | None = None, column: str | None = None, original: str | None = None, repaired: str | None = None) -> None:
        self.repairs.append(Repair(file_id=self.file_id, sheet=self.sheet, row=row, column=column, rule=rule, original=original, repaired=repaired))


def decode(data: bytes, table: Table) -> str | None:
    """UTF-8 text without BOM, or None with the problem recorded."""
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        table.problem("empty_file", msg(N_("the file is empty; remove it or fill it with a header and rows")))
        return None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
        table.repair("bom_removed")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        template = N_("the file is not UTF-8 (byte {start}: {reason}).")
        try:
            data.decode("cp1250")
            template = N_("the file is not UTF-8 (byte {start}: {reason}). It looks like Windows-1250 (common for Polish "
                          "Excel exports): save it as 'CSV UTF-8'.")
        except UnicodeDecodeError:
            pass
        table.problems.append(
            Problem(file=table.file_id, line=line, rule="encoding", value=repr(data[e.start:e.start + 4]),
                    **msg(template, start=e.start, reason=e.reason))
        )
        return None


def check_header(header: list[str], table: Table, required: Iterable[str], optional: Iterable[str]) -> bool:
    """Normalise header names (trim, lower case); record missing, unknown and repeated columns."""
    required, optional = tuple(required), tuple(optional)
    names = [(h or "").strip().lower().replace(" ", "_") for h in header]
    for raw, name in zip(header, names):
        if raw != name and raw is not None:
            table.repair("header_normalised", row=1, column=name, original=raw, repaired=name)
    ok = True
    for col in required:
        if col not in names:
            table.problem("missing_column", msg(N_("required column {column} is missing (required: {required})"),
                                                column=repr(col), required=", ".join(required)), row=1, column=col)
            ok = False
    seen: set[str] = set()
    for name in names:
        if name in seen:
            table.problem("duplicate_column", msg(N_("column {column} appears twice"), column=repr(name)), row=1, column=name)
            ok = False
        seen.add(name)
        if name and name not in required and name not in optional:
            table.problem("unknown_column", msg(N_("column {column} is not part of the contract (allowed: {allowed}); rename it "
                                                   "or put its content in 'note'"),
                                                column=repr(name), allowed=", ".join(required + optional)), row=1, column=name)
            ok = False
        if not name:
            table.problem("unknown_column", msg(N_("a column has no name; remove it or name it")), row=1)
            ok = False
    table.header = names
    return ok


def read_csv_table(con: duckdb.DuckDBPyConnection, path: Path, data: bytes, file_id: str,
                   required: Iterable[str] = REQUIRED_COLUMNS, optional: Iterable[str] = OPTIONAL_COLUMNS,
                   limits: Limits | None = None, stage: str | None = None) -> Table:
    """The table of a CSV file; with ``stage`` (a table of :data:`STAGE_COLUMNS`), the rows of a
    regular file go into it, not into ``data`` (they are never held in Python)."""
    limits = limits or current_limits()
    table = Table(file_id)
    text = decode(data, table)
    if text is None:
        return table
    first = text.split("\n", 1)[0]
    delim = max(DELIMITERS, key=lambda d: first.count(d))
    if DELIMITERS[delim]:
        table.repair(DELIMITERS[delim], row=1, original=delim)
    with _field_size_limit(len(text)):
        try:
            header = next(csv.reader([first], delimiter=delim))
        except csv.Error as e:
            table.problem("csv_syntax", msg(N_("the header cannot be read as CSV ({detail}); check its quotes and separators"),
                                            detail=e), row=1)
            return table
        if not check_header(header, table, required, optional):
            return table
        body = data[data.index(b"\n") + 1:] if b"\n" in data else b""
        done = False
        if body.strip() and regular(body, delim, len(table.header)):
            try:
                if stage is not None and set(table.header) <= set(STAGING_COLUMNS):
                    stage_csv(con, path, delim, table, limits, stage)
                else:
                    _duckdb_csv(con, path, delim, table, limits)
                done = True
            except duckdb.Error:
                pass  # ragged rows, a line longer than DuckDB reads: the exact reader names each of them
        if not done:
            _python_csv(text, delim, table, limits)
    check_cells(table, limits)
    return table


@contextmanager
def _field_size_limit(chars: int) -> Iterator[None]:
    """Let the csv module read a field as long as the whole text (the cell is then refused with its
    row and column by :func:`check_cells`, not by a ``csv.Error``); restored afterwards."""
    before = csv.field_size_limit()
    csv.field_size_limit(max(before, chars + 1))
    try:
        yield
    finally:
        csv.field_size_limit(before)


def too_many_rows(table: Table, limits: Limits, row: int) -> None:
    template = (N_("the worksheet has more than {max_rows} rows (row {row} is past the limit); split it into several files; "
                   "limit {limit} = {limit_value}; raise it with the environment variable {env}") if table.sheet is not None else
                N_("the file has more than {max_rows} rows (row {row} is past the limit); split it into several files; "
                   "limit {limit} = {limit_value}; raise it with the environment variable {env}"))
    table.problem("too_many_rows", msg(template, max_rows=f"{limits.max_rows_per_file:,}", row=row,
                                       **limits.hint_args("max_rows_per_file")), row=row)
    table.data = None


def _duckdb_csv(con: duckdb.DuckDBPyConnection, path: Path, delim: str, table: Table, limits: Limits) -> None:
    cols = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(table.header)))
    rel = con.sql(
        f"""SELECT row_number() OVER () + 1 AS _row, * FROM (
              SELECT * FROM read_csv(?, header = true, delim = ?, quote = '"', escape = '"', auto_detect = false,
                                     all_varchar = true, columns = {{{cols}}})
              LIMIT ?)""",
        params=[str(path), delim, limits.max_rows_per_file + 1],
    )
    arrow = rel.to_arrow_table()
    if arrow.num_rows > limits.max_rows_per_file:  # a regular file: the data row n is line n + 1
        too_many_rows(table, limits, limits.max_rows_per_file + 2)
        return
    table.data = arrow.rename_columns(["row", *table.header]).cast(
        pa.schema([("row", pa.int32()), *((h, pa.string()) for h in table.header)]))


def _python_csv(text: str, delim: str, table: Table, limits: Limits) -> None:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    width = len(table.header)
    rows: list[int] = []
    cols: list[list[str | None]] = [[] for _ in range(width)]
    start, records = 1, 0
    with _field_size_limit(len(text)):
        try:
            next(reader)
            start = reader.line_num + 1
            for record in reader:
                row = start
                start = reader.line_num + 1
                if not any(c.strip() for c in record):
                    table.repair("empty_row_skipped", row=row)
                    continue
                records += 1
                if records > limits.max_rows_per_file:  # ragged rows count too: each would be a problem
                    too_many_rows(table, limits, row)
                    return
                if len(record) != width:
                    table.problem("wrong_field_count", msg(N_("the row has {fields} fields, the header {width}; check separators "
                                                              "and quotes"), fields=len(record), width=width),
                                  row=row, value=delim.join(record)[:80])
                    continue
                rows.append(row)
                for i, c in enumerate(record):
                    cols[i].append(c)
        except csv.Error as e:
            table.problem("csv_syntax", msg(N_("the file cannot be read as CSV from line {line} on ({detail}); check its quotes "
                                               "and separators"), line=start, detail=e), row=start)
            return
    table.data = _columns(table.header, rows, cols)


def check_cells(table: Table, limits: Limits) -> None:
    """Refuse a cell longer than ``max_field_chars`` (``field_too_large``), naming its row and
    column; the table is then not loaded."""
    if table.data is None or table.data.num_rows == 0:
        return
    rows = table.data.column("row")
    found = False
    for name in table.header:
        column = table.data.column(name)
        too_long = pc.fill_null(pc.greater(pc.utf8_length(column), limits.max_field_chars), False)
        if not pc.any(too_long).as_py():
            continue
        found = True
        for i in pc.indices_nonzero(too_long).to_pylist():
            too_large(table, limits, rows[i].as_py(), name, column[i].as_py())
    if found:
        table.data = None


def too_large(table: Table, limits: Limits, row: int, column: str, cell: str) -> None:
    """The problem of a cell longer than ``max_field_chars``."""
    table.problem("field_too_large", msg(N_("the cell has {chars} characters; a cell holds a figure or a short note, not a "
                                            "document; limit {limit} = {limit_value}; raise it with the environment "
                                            "variable {env}"), chars=f"{len(cell):,}", **limits.hint_args("max_field_chars")),
                  row=row, column=column, value=cell[:40] + "…")


def _columns(header: list[str], rows: list[int], cols: list[list[str | None]]) -> pa.Table:
    return pa.table({"row": pa.array(rows, pa.int32()), **{h: pa.array(c, pa.string()) for h, c in zip(header, cols)}})


def cell_text(v: object) -> str | None:
    """A spreadsheet cell as the text a person sees (numbers to 15 significant digits)."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return f"{v:.15g}"
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    return str(v)


def read_xlsx(path: Path, file_id: str, sheet_roles: dict[str, tuple[tuple[str, ...], tuple[str, ...]]],
              limits: Limits | None = None) -> list[Table]:
    """Every worksheet of a workbook as a table, by role.

    ``sheet_roles`` maps a role to its (required, optional) columns; a sheet named like a role
    (``sources``) takes that role, any other sheet whose header has the observation columns is
    an observation table, and the rest are skipped and recorded. The zip directory is checked
    against ``limits`` before openpyxl inflates anything.
    """
    import openpyxl

    limits = limits or current_limits()
    refused = check_workbook_size(path, file_id, limits)
    if refused is not None:
        return [refused]
    out: list[Table] = []
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # zipfile.BadZipFile, KeyError, InvalidFileException...
        t = Table(file_id)
        t.problem("unreadable_workbook", msg(N_("not a readable XLSX workbook ({error}: {detail})"),
                                             error=type(e).__name__, detail=e))
        return [t]
    try:
        for ws in wb.worksheets:
            plain = xlsxfast.values(ws)  # read straight from the XML, when the sheet is as simple as exports are
            rows = iter(plain) if plain is not None else ws.iter_rows(values_only=True)
            header = next(rows, None)
            t = Table(file_id, sheet=ws.title)
            names = [(cell_text(h) or "").strip().lower().replace(" ", "_") for h in (header or ())]
            while names and not names[-1]:
                names.pop()
            role = ws.title.strip().lower() if ws.title.strip().lower() in sheet_roles else None
            if role is None and {"variable", "value"} <= set(names):
                role = "observations"
            if role is None:
                t.repair("sheet_skipped", original=ws.title)
                out.append(t)
                continue
            required, optional = sheet_roles[role]
            t.role = role
            if not check_header([cell_text(h) for h in (header or ())][: len(names)], t, required, optional):
                out.append(t)
                continue
            width = len(t.header)
            row_numbers: list[int] = []
            cols: list[list[str | None]] = [[] for _ in range(width)]
            over, records = False, 0
            for r, values in enumerate(rows, start=2):
                texts = [cell_text(v) for v in values[:width]] + [None] * max(0, width - len(values))
                extra = [cell_text(v) for v in values[width:] if v not in (None, "")]
                if not any((x or "").strip() for x in texts) and not extra:
                    continue  # spreadsheets end in many blank rows; they are not repairs
                records += 1
                if records > limits.max_rows_per_file:
                    too_many_rows(t, limits, r)  # and read no further
                    over = True
                    break
                if extra:
                    t.problem("wrong_field_count", msg(N_("the row has cells beyond the last named column")), row=r, value=extra[0])
                    continue
                row_numbers.append(r)
                for i, x in enumerate(texts):
                    cols[i].append(x)
            if over:
                out.append(t)
                continue
            if plain is None and _has_formulas(path, getattr(ws, "_worksheet_path", None)):
                _formulas_of_empty_cells(path, ws.title, t.header, row_numbers, cols)
            t.data = _columns(t.header, row_numbers, cols)
            check_cells(t, limits)
            out.append(t)
    finally:
        wb.close()
    return out


def check_workbook_size(path: Path, file_id: str, limits: Limits) -> Table | None:
    """The workbook refused before anything is inflated, or None: its zip directory must be
    readable and its parts must inflate to at most ``max_xlsx_uncompressed_bytes`` together (a
    zip bomb of a few megabytes inflates to gigabytes). The sizes the directory declares bound
    what :mod:`zipfile` inflates, so the check holds for a directory that lies."""
    t = Table(file_id)
    try:
        with zipfile.ZipFile(path) as z:
            parts = z.infolist()
            total = sum(p.file_size for p in parts)
            if total <= limits.max_xlsx_uncompressed_bytes:
                return None
            largest = max(parts, key=lambda p: p.file_size)
            sheet = _sheet_of_part(z, largest.filename)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as e:
        t.problem("unreadable_workbook", msg(N_("not a readable XLSX workbook ({error}: {detail}); save it again as .xlsx"),
                                             error=type(e).__name__, detail=e))
        return t
    template = (N_("the workbook's parts inflate to {total} bytes; the largest is {part} (sheet {sheet}), {part_bytes} bytes. "
                   "Is it a zip bomb, or a sheet of stray formatting? Save only the data; limit {limit} = {limit_value}; raise "
                   "it with the environment variable {env}") if sheet else
                N_("the workbook's parts inflate to {total} bytes; the largest is {part}, {part_bytes} bytes. Is it a zip bomb, "
                   "or a sheet of stray formatting? Save only the data; limit {limit} = {limit_value}; raise it with the "
                   "environment variable {env}"))
    t.problem("xlsx_too_large", msg(template, total=f"{total:,}", part=largest.filename, sheet=repr(sheet) if sheet else None,
                                    part_bytes=f"{largest.file_size:,}", **limits.hint_args("max_xlsx_uncompressed_bytes")))
    return t


_SMALL_PART = 1 << 20
"""Parts read to name a sheet (the workbook's list of sheets and its links) are read only below
this size."""


def _sheet_of_part(z: zipfile.ZipFile, part: str) -> str | None:
    """The name of the worksheet stored in ``part`` (``xl/worksheets/sheet1.xml``), when the
    workbook's small index parts tell it."""
    try:
        book, rels = z.getinfo("xl/workbook.xml"), z.getinfo("xl/_rels/workbook.xml.rels")
        if book.file_size > _SMALL_PART or rels.file_size > _SMALL_PART:
            return None
        book_xml, rels_xml = ElementTree.fromstring(z.read(book)), ElementTree.fromstring(z.read(rels))
    except (KeyError, OSError, zipfile.BadZipFile, ElementTree.ParseError):
        return None

    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    targets = {}
    for rel in rels_xml.iter():
        if local(rel.tag) == "Relationship" and rel.get("Id") and rel.get("Target"):
            target = rel.get("Target").lstrip("/")
            targets[rel.get("Id")] = target if target.startswith("xl/") else "xl/" + target
    for sheet in book_xml.iter():
        rid = next((v for k, v in sheet.attrib.items() if local(k) == "id"), None)
        if local(sheet.tag) == "sheet" and rid is not None and targets.get(rid) == part:
            return sheet.get("name")
    return None


_FORMULA_MARKS = (b"<f>", b"<f ", b":f>", b":f ")


def _has_formulas(path: Path, part: str | None) -> bool:
    """Whether the sheet's XML part holds any formula (``<f>``); True when that cannot be told.
    The part is scanned in chunks, never inflated whole into memory."""
    if part is None:
        return True
    try:
        with zipfile.ZipFile(path) as z, z.open(part) as f:
            tail = b""
            while chunk := f.read(1 << 20):
                window = tail + chunk
                if any(m in window for m in _FORMULA_MARKS):
                    return True
                tail = window[-3:]
    except (KeyError, OSError, zipfile.BadZipFile):
        return True
    return False


def _formulas_of_empty_cells(path: Path, sheet: str, header: list[str], rows: list[int], cols: list[list[str | None]]) -> None:
    """A formula whose result was never saved reads as empty; show the formula instead, so the
    problem says what is in the cell. (Reads the sheet a second time, only when it has formulas and
    a cell is empty.)"""
    import openpyxl

    empty = {(rows[n], i) for i, col in enumerate(cols) for n, v in enumerate(col) if v is None}
    if not empty:
        return
    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        index = {r: n for n, r in enumerate(rows)}
        for r, values in enumerate(wb[sheet].iter_rows(min_row=2, max_col=len(header), values_only=True), start=2):
            for i, v in enumerate(values):
                if (r, i) in empty and isinstance(v, str) and v.startswith("="):
                    cols[i][index[r]] = v
    finally:
        wb.close()


def to_arrow(tables: Iterable[Table], columns: Iterable[str]) -> pa.Table:
    """The rows of many tables as one Arrow table: file_id, sheet, row and the given columns
    (a column a table lacks is empty)."""
    columns = tuple(columns)
    schema = pa.schema([("file_id", pa.string()), ("sheet", pa.string()), ("row", pa.int32()),
                        *((c, pa.string()) for c in columns)])
    parts = []
    for t in tables:
        if t.data is None or t.data.num_rows == 0:
            continue
        n = t.data.num_rows
        parts.append(pa.table(
            [pa.repeat(pa.scalar(t.file_id, pa.string()), n), pa.repeat(pa.scalar(t.sheet, pa.string()), n), t.data.column("row"),
             *(t.data.column(c) if c in t.data.column_names else pa.nulls(n, pa.string()) for c in columns)],
            schema=schema))
    return pa.concat_tables(parts) if parts else schema.empty_table()
