"""The cell values of a plain worksheet, read straight from its XML: what openpyxl's read-only
``iter_rows(values_only=True)`` gives for it, several times faster.

openpyxl still opens the workbook (its parts, sheets, shared strings, styles and each sheet's
dimension, and every problem it finds there); only the rows are read here. A plain worksheet is
what programs that export data write: a dimension, cells with inline or shared strings, numbers
(not in a date format), booleans or nothing, every row and cell with its reference, rows in order
and inside the dimension, no formula. For any other (dates, rich text, formulas, errors...)
:func:`values` returns None and the sheet is read by openpyxl, which knows every case.
"""

from __future__ import annotations

from xml.etree import ElementTree

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
DIMENSION, ROW, CELL, VALUE, INLINE, TEXT, FORMULA = (
    MAIN + t for t in ("dimension", "row", "c", "v", "is", "t", "f"))


class NotPlain(Exception):
    """The sheet has something this reader leaves to openpyxl."""


def _cast_number(value: str) -> int | float:
    """As openpyxl reads a number."""
    if "." in value or "E" in value or "e" in value:
        return float(value)
    return int(value)


def _reference(ref: str) -> tuple[int, int]:
    """(row, column) of a cell reference such as ``AB12``."""
    col, n = 0, 0
    while n < len(ref) and "A" <= ref[n] <= "Z":
        col = col * 26 + ord(ref[n]) - 64
        n += 1
    if n == 0 or not ref[n:].isdigit():
        raise NotPlain(ref)
    return int(ref[n:]), col


def values(ws) -> list[tuple] | None:
    """Every row of an openpyxl read-only worksheet, as ``ws.iter_rows(values_only=True)`` gives
    them, or None if the sheet is not plain."""
    try:
        wb, part = ws.parent, ws._worksheet_path
        max_row, max_col = ws.max_row, ws.max_column
        strings, dates = ws._shared_strings, wb._date_formats
        if max_row is None or max_col is None or not wb.data_only:
            return None
        with wb._archive.open(part) as source:
            return list(_rows(source, max_row, max_col, strings, dates))
    except (NotPlain, AttributeError, KeyError, ValueError, IndexError, TypeError, OSError, ElementTree.ParseError):
        return None


def _rows(source, max_row: int, max_col: int, strings: list, dates: set[int]):
    counter = 1
    for _, element in ElementTree.iterparse(source):
        tag = element.tag
        if tag == FORMULA:
            raise NotPlain("formula")
        if tag != ROW:
            continue
        idx = int(element.get("r") or "x")
        if idx < counter or idx > max_row:
            raise NotPlain("row order")
        while counter < idx:  # a missing row is empty
            counter += 1
            yield (None,) * max_col
        row = [None] * max_col
        for cell in element:
            if cell.tag != CELL:
                raise NotPlain(cell.tag)
            r, col = _reference(cell.get("r") or "")
            if r != idx or col > max_col:
                raise NotPlain("cell")
            row[col - 1] = _value(cell, strings, dates)
        counter += 1
        element.clear()
        yield tuple(row)


def _text(element) -> str:
    """The text of an ``<is>`` holding one plain ``<t>`` (no rich text)."""
    if len(element) != 1 or element[0].tag != TEXT or len(element[0]):
        raise NotPlain("rich text")
    return element[0].text or ""


def _value(cell, strings: list, dates: set[int]) -> object:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        if len(cell) == 0:
            return None
        if len(cell) != 1 or cell[0].tag != INLINE:
            raise NotPlain("inline string")
        return _text(cell[0])
    if len(cell) == 0:
        return None
    if len(cell) != 1 or cell[0].tag != VALUE or len(cell[0]):
        raise NotPlain("value")
    value = cell[0].text or None
    if value is None:
        return None
    if kind == "n":
        style = cell.get("s")
        if style and int(style) in dates:
            raise NotPlain("date")
        return _cast_number(value)
    if kind == "s":
        text = strings[int(value)]
        if not isinstance(text, str):
            raise NotPlain("rich text")
        return text
    if kind == "b":
        return bool(int(value))
    if kind == "str":
        return value
    raise NotPlain(kind)
