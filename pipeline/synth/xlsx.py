"""XLSX workbooks written directly as Office Open XML (inline strings, no styles beyond the
default): openpyxl needs ~200 µs a row, far too slow for national-scale files. The bytes depend
only on the content (fixed zip times and attributes)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

ZIP_TIME = (2024, 1, 1, 0, 0, 0)
XLSX_MAX_ROWS = 1_000_000
"""Above this many rows a provider's file is written as CSV even if XLSX was drawn (sheet limit)."""

_XML_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _col(i: int) -> str:
    name = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        name = chr(65 + r) + name
    return name


def _cell(ref: str, v) -> str:
    if v is None or v == "":
        return ""
    if isinstance(v, bool):
        return f'<c r="{ref}" t="b"><v>{int(v)}</v></c>'
    if isinstance(v, (int, np.integer)):
        return f'<c r="{ref}"><v>{int(v)}</v></c>'
    if isinstance(v, (float, np.floating)):
        return f'<c r="{ref}"><v>{float(v)!r}</v></c>'
    t = _XML_BAD.sub("", str(v)).translate(_XML_ESCAPE)
    space = ' xml:space="preserve"' if t != t.strip() else ""
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{t}</t></is></c>'


def _sheet_xml(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    cols = [_col(i) for i in range(len(header))]
    parts = []
    n = 0
    for r, values in enumerate([list(header), *rows], start=1):
        n = r
        parts.append(f'<row r="{r}">' + "".join(_cell(f"{c}{r}", v) for c, v in zip(cols, values)) + "</row>")
    dim = f"A1:{cols[-1]}{n}"
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<dimension ref="{dim}"/><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
            'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetData>'
            + "".join(parts) + "</sheetData></worksheet>").encode("utf-8")


def save_xlsx(path: Path, sheets: list[tuple[str, Sequence[str], Iterable[Sequence]]]) -> None:
    """A minimal Office Open XML workbook (inline strings, no styles beyond the default), written
    directly: openpyxl needs ~200 µs a row, far too slow for national-scale files. The bytes
    depend only on the content (fixed zip times and attributes)."""
    ns_main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    ns_rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    ns_pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    files: list[tuple[str, bytes]] = []
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(sheets) + 1))
    files.append(("[Content_Types].xml", (head + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        + overrides + "</Types>").encode()))
    files.append(("_rels/.rels", (head + f'<Relationships xmlns="{ns_pkg}">'
        f'<Relationship Id="rId1" Type="{ns_rel}/officeDocument" Target="xl/workbook.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
        'Target="docProps/core.xml"/></Relationships>').encode()))
    files.append(("docProps/core.xml", (head + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>pipeline.synth</dc:creator>'
        '<dcterms:created xsi:type="dcterms:W3CDTF">2024-01-01T00:00:00Z</dcterms:created>'
        '<dcterms:modified xsi:type="dcterms:W3CDTF">2024-01-01T00:00:00Z</dcterms:modified>'
        '</cp:coreProperties>').encode()))
    sheet_list = "".join(f'<sheet name="{title.translate(_XML_ESCAPE)}" sheetId="{i}" r:id="rId{i}"/>'
                         for i, (title, _, _) in enumerate(sheets, start=1))
    files.append(("xl/workbook.xml", (head + f'<workbook xmlns="{ns_main}" xmlns:r="{ns_rel}"><sheets>{sheet_list}</sheets></workbook>').encode()))
    rels = "".join(f'<Relationship Id="rId{i}" Type="{ns_rel}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                   for i in range(1, len(sheets) + 1))
    rels += f'<Relationship Id="rId{len(sheets) + 1}" Type="{ns_rel}/styles" Target="styles.xml"/>'
    files.append(("xl/_rels/workbook.xml.rels", (head + f'<Relationships xmlns="{ns_pkg}">{rels}</Relationships>').encode()))
    files.append(("xl/styles.xml", (head + f'<styleSheet xmlns="{ns_main}">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        '</styleSheet>').encode()))
    for i, (_, header, rows) in enumerate(sheets, start=1):
        files.append((f"xl/worksheets/sheet{i}.xml", _sheet_xml(header, rows)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            z.writestr(info, data, compresslevel=6)
    path.write_bytes(out.getvalue())
