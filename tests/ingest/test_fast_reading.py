"""The fast paths of reading give what the exact readers give: the check that a CSV is regular (numpy
against the regular expression it replaced) and the cells of a plain worksheet (straight from its XML
against openpyxl)."""

from __future__ import annotations

import re
from datetime import date, datetime

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from pipeline.ingest import SHEET_ROLES, fastcsv, reading, xlsxfast
from pipeline.limits import Limits

_BLANK_LINE = re.compile(rb"(?:^|\n)[ \t\r;,]*(?:\n|$)")


def _irregular_line(delim: str, width: int) -> re.Pattern[bytes]:
    d = re.escape(delim.encode())
    field = rb'(?:"[^"\n]*(?:""[^"\n]*)*"|[^"\n' + d + rb']*)'
    return re.compile(rb"(?m)^(?!" + field + rb"(?:" + d + field + rb"){" + str(width - 1).encode() + rb"}\r?$).+$")


def reference_regular(body: bytes, delim: str, width: int) -> bool:
    """The check as one regular expression over the whole body (the reference)."""
    return not _BLANK_LINE.search(body.rstrip(b"\r\n")) and not _irregular_line(delim, width).search(body)


CELLS = st.sampled_from([b"", b"a", b"12", b'"q,x"', b'"a""b"', b" ", b"\r", b'"x\ny"', b'a"b', b"x;y", b"\t"])


@st.composite
def bodies(draw) -> tuple[bytes, str, int]:
    delim = draw(st.sampled_from([",", ";", "\t"]))
    width = draw(st.sampled_from([1, 2, 3, 8]))
    lines = [delim.encode().join(draw(st.lists(CELLS, min_size=max(0, width - 1), max_size=width + 1)))
             for _ in range(draw(st.integers(0, 5)))]
    end = draw(st.sampled_from([b"", b"\n", b"\r\n", b"\n\n", b"\r\n\r\n", b"\n\r", b"\r"]))
    return draw(st.sampled_from([b"\n", b"\r\n"])).join(lines) + end, delim, width


@settings(max_examples=400, deadline=None)
@given(bodies(), st.sampled_from([3, 8, 1 << 20]))
def test_regular_is_the_regular_expression(case, chunk):
    body, delim, width = case
    before = fastcsv._CHUNK
    fastcsv._CHUNK = chunk  # small chunks: lines meet the chunk boundaries
    try:
        got = bool(body.strip()) and fastcsv.regular(body, delim, width)
    finally:
        fastcsv._CHUNK = before
    assert got == (bool(body.strip()) and reference_regular(body, delim, width))


def _sheets(path) -> list[tuple[str, list | None, list]]:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return [(ws.title, xlsxfast.values(ws), list(ws.iter_rows(values_only=True))) for ws in wb.worksheets]
    finally:
        wb.close()


def test_a_plain_workbook_is_read_as_openpyxl_reads_it(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "observations"
    ws.append(["city", "year", "variable", "value", "unit", "source_id", "status", "note"])
    ws.append(["0201011", 2023, "population", 101234, "persons", "GUS", None, None])
    ws.append(["0201011", 2023, "area_km2", 12.5, "km2", "GUS", "estimated", "a & b <c> \"d\" 'e'"])
    ws.append([None, None, None, None])
    ws.append(["0201011", 2022, "share", 1e-7, "%", "GUS", None, "ąę €  two  spaces "])
    ws.append(["0201011", 2022, "flag", True, "", "GUS", None, "line\nbreak"])
    ws["B9"] = -3
    ws["J9"] = "beyond the header"
    other = wb.create_sheet("sources")
    other.append(["source_id", "organisation"])
    other.append(["GUS", "Statistics Poland"])
    wb.save(tmp_path / "plain.xlsx")
    sheets = _sheets(tmp_path / "plain.xlsx")
    assert [s[0] for s in sheets] == ["observations", "sources"]
    for _title, fast, exact in sheets:
        assert fast is not None and fast == exact


@pytest.mark.parametrize("cell", [date(2024, 1, 31), datetime(2024, 1, 31, 12, 30), "=1+2",
                                  CellRichText(["a ", TextBlock(InlineFont(b=True), "bold")])])
def test_a_sheet_with_more_than_plain_values_is_left_to_openpyxl(tmp_path, cell):
    wb = openpyxl.Workbook()
    wb.active.append(["variable", "value"])
    wb.active.append(["population", cell])
    wb.save(tmp_path / "rich.xlsx")
    [(_, fast, exact)] = _sheets(tmp_path / "rich.xlsx")
    assert fast is None and len(exact) == 2


def test_read_xlsx_gives_the_same_tables_either_way(tmp_path, monkeypatch):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["city", "year", "variable", "value", "unit", "source_id", "status", "note"])
    for n in range(50):
        ws.append(["0201011", 2000 + n % 20, f"v{n}", n * 1.25 if n % 3 else n, "persons", "GUS", None, None if n % 4 else "x"])
    ws.append([None] * 8)
    ws.append(["0201011", 2023, "extra", 1, "persons", "GUS", None, None, "stray"])
    wb.save(tmp_path / "book.xlsx")
    fast = reading.read_xlsx(tmp_path / "book.xlsx", "book.xlsx", SHEET_ROLES, limits=Limits())
    monkeypatch.setattr(xlsxfast, "values", lambda ws: None)
    exact = reading.read_xlsx(tmp_path / "book.xlsx", "book.xlsx", SHEET_ROLES, limits=Limits())
    assert [(t.sheet, t.header, t.data, t.problems, t.repairs) for t in fast] == \
        [(t.sheet, t.header, t.data, t.problems, t.repairs) for t in exact]
