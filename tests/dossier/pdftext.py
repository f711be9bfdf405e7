"""The text of a PDF printed by Chromium, with where each glyph stands, read with pikepdf alone (the
project's own dependency: no poppler, no pdfminer). Enough for what the dossier's PDF tests ask —
which words are on a page, in which line, and whether any glyph lies outside the page — not a
general PDF text extractor: simple and Type0 fonts with a /ToUnicode map, text in the page's
content stream and in the form XObjects it draws.

    pages = read_pdf(Path("dossier-0001-en.pdf"))
    pages[0].lines()   # ["Testville (0001) TEST:2014 · build 0123456789ab", ..., "Page 1 of 21"]
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def mul(m: Matrix, n: Matrix) -> Matrix:
    """``m`` then ``n`` (PDF's row-vector convention: m × n)."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return (a * x + c * y + e, b * x + d * y + f)


@dataclass(frozen=True)
class Glyph:
    text: str
    x0: float
    x1: float
    y: float
    """The baseline, in PDF user space of the page (origin at the bottom left)."""
    size: float
    """The font size as drawn (the font size times the scale of the text and graphics matrices)."""


class Font:
    """What a test needs of a font: its codes to text, and each code's advance width."""

    def __init__(self, font: pikepdf.Dictionary):
        self.two_bytes = font.get("/Subtype") == "/Type0"
        self.widths: dict[int, float] = {}
        self.default_width = 1000.0 if self.two_bytes else 0.0
        self.to_text: dict[int, str] = {}
        if self.two_bytes:
            cid = font.DescendantFonts[0]
            self.default_width = float(cid.get("/DW", 1000))
            w = list(cid.get("/W", []))
            i = 0
            while i < len(w):
                first = int(w[i])
                if isinstance(w[i + 1], pikepdf.Array):
                    for n, width in enumerate(w[i + 1]):
                        self.widths[first + n] = float(width)
                    i += 2
                else:
                    for code in range(first, int(w[i + 1]) + 1):
                        self.widths[code] = float(w[i + 2])
                    i += 3
        else:
            first = int(font.get("/FirstChar", 0))
            for n, width in enumerate(font.get("/Widths", [])):
                self.widths[first + n] = float(width)
        if "/ToUnicode" in font:
            self._read_cmap(font.ToUnicode.read_bytes().decode("latin-1"))

    def _read_cmap(self, cmap: str) -> None:
        def text(hexes: str) -> str:
            data = bytes.fromhex(hexes)
            return data.decode("utf-16-be", errors="replace")

        for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
            for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>", block):
                self.to_text[int(src, 16)] = text(dst)
        for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
            for lo, hi, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]*>|\[[^\]]*\])", block):
                lo_code, hi_code = int(lo, 16), int(hi, 16)
                if dst.startswith("["):
                    for n, item in enumerate(re.findall(r"<([0-9A-Fa-f]*)>", dst)):
                        self.to_text[lo_code + n] = text(item)
                else:
                    start = bytes.fromhex(dst[1:-1])
                    base = int.from_bytes(start, "big")
                    for n in range(hi_code - lo_code + 1):
                        self.to_text[lo_code + n] = (base + n).to_bytes(len(start), "big").decode("utf-16-be", errors="replace")

    def codes(self, data: bytes) -> list[int]:
        if self.two_bytes:
            return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data) - 1, 2)]
        return list(data)


@dataclass
class Page:
    number: int
    width: float
    height: float
    glyphs: list[Glyph] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The page's text, one string per line from top to bottom (glyphs whose baselines are closer
        than half their size are one line: a table row's cells); pieces of a line farther
        apart than a space are joined with one space; ligatures (ﬁ) and no-break spaces are
        written as plain letters and spaces (NFKC)."""
        rows: list[tuple[float, float, list[Glyph]]] = []  # (baseline, size, glyphs): cells of a table row side by side
        for g in sorted(self.glyphs, key=lambda g: (-g.y, g.x0)):  # set in smaller type sit a little higher or lower
            row = next((r for r in rows if abs(r[0] - g.y) < 0.5 * min(r[1], g.size)), None)
            if row is None:
                rows.append((g.y, g.size, [g]))
            else:
                row[2].append(g)
        out = []
        for _, _, glyphs in sorted(rows, key=lambda r: -r[0]):
            text, end = "", None
            for g in sorted(glyphs, key=lambda g: g.x0):
                if end is not None and g.x0 - end > 0.3 * g.size and not text.endswith(" ") and g.text != " ":
                    text += " "
                text += g.text
                end = g.x1
            out.append(re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip())
        return [line for line in out if line]

    def text(self) -> str:
        return "\n".join(self.lines())


def _read_page(page: pikepdf.Page, number: int) -> Page:
    box = [float(v) for v in page.mediabox]
    out = Page(number, box[2] - box[0], box[3] - box[1])
    fonts: dict[int, Font] = {}

    def font_of(resources, name) -> Font | None:
        fdict = resources.get("/Font", {}).get(name) if resources is not None else None
        if fdict is None:
            return None
        key = fdict.objgen if fdict.is_indirect else id(fdict)
        if key not in fonts:
            fonts[key] = Font(fdict)
        return fonts[key]

    def run(stream, resources, ctm: Matrix, depth: int = 0) -> None:
        stack: list[Matrix] = []
        tm = tlm = IDENTITY
        font: Font | None = None
        size = char_space = word_space = leading = rise = 0.0
        scale = 1.0
        for operands, op in pikepdf.parse_content_stream(stream):
            op = str(op)
            if op == "q":
                stack.append(ctm)
            elif op == "Q":
                ctm = stack.pop() if stack else ctm
            elif op == "cm":
                ctm = mul(tuple(float(v) for v in operands), ctm)
            elif op == "BT":
                tm = tlm = IDENTITY
            elif op == "Tf":
                font, size = font_of(resources, operands[0]), float(operands[1])
            elif op == "Tc":
                char_space = float(operands[0])
            elif op == "Tw":
                word_space = float(operands[0])
            elif op == "Tz":
                scale = float(operands[0]) / 100
            elif op == "TL":
                leading = float(operands[0])
            elif op == "Ts":
                rise = float(operands[0])
            elif op == "Tm":
                tm = tlm = tuple(float(v) for v in operands)
            elif op in ("Td", "TD"):
                tx, ty = float(operands[0]), float(operands[1])
                if op == "TD":
                    leading = -ty
                tm = tlm = mul((1, 0, 0, 1, tx, ty), tlm)
            elif op == "T*":
                tm = tlm = mul((1, 0, 0, 1, 0, -leading), tlm)
            elif op in ("Tj", "'", '"', "TJ"):
                if op in ("'", '"'):
                    tm = tlm = mul((1, 0, 0, 1, 0, -leading), tlm)
                items = operands[0] if op == "TJ" else [operands[-1]]
                for item in items:
                    if isinstance(item, pikepdf.String) and font is not None:
                        for code in font.codes(bytes(item)):
                            advance = (font.widths.get(code, font.default_width) / 1000 * size + char_space
                                       + (word_space if code == 32 and not font.two_bytes else 0)) * scale
                            m = mul(tm, ctm)
                            x0, y0 = apply(m, 0, rise)
                            x1, _ = apply(m, advance, rise)
                            drawn = abs(size) * (m[2] ** 2 + m[3] ** 2) ** 0.5
                            out.glyphs.append(Glyph(font.to_text.get(code, "\ufffd"), min(x0, x1), max(x0, x1), y0, drawn))
                            tm = mul((1, 0, 0, 1, advance, 0), tm)
                    elif not isinstance(item, pikepdf.String):  # a TJ adjustment, in thousandths of the font size
                        tm = mul((1, 0, 0, 1, -float(item) / 1000 * size * scale, 0), tm)
            elif op == "Do" and depth < 8 and resources is not None:
                xobj = resources.get("/XObject", {}).get(operands[0])
                if xobj is not None and xobj.get("/Subtype") == "/Form":
                    matrix = tuple(float(v) for v in xobj.get("/Matrix", IDENTITY))
                    run(xobj, xobj.get("/Resources", resources), mul(matrix, ctm), depth + 1)

    run(page, page.obj.get("/Resources"), IDENTITY)
    return out


def read_pdf(path: Path) -> list[Page]:
    with pikepdf.open(path) as pdf:
        return [_read_page(p, n) for n, p in enumerate(pdf.pages, start=1)]


@dataclass(frozen=True)
class Bookmark:
    title: str
    page: int | None
    """The page (from 1) the bookmark opens, if it names one."""
    count: int | None
    children: tuple[Bookmark, ...]


def read_outline(path: Path) -> tuple[int | None, list[Bookmark]]:
    """The outline's own /Count and its items as a tree."""
    with pikepdf.open(path) as pdf:
        if "/Outlines" not in pdf.Root:
            return None, []
        pages = {p.objgen: n for n, p in enumerate((p.obj for p in pdf.pages), start=1)}
        named: dict[str, object] = {}
        if "/Dests" in pdf.Root:
            for k, v in pdf.Root.Dests.items():
                named[str(k).lstrip("/")] = v
        if "/Names" in pdf.Root and "/Dests" in pdf.Root.Names:
            for k, v in pikepdf.NameTree(pdf.Root.Names.Dests).items():
                named[str(k)] = v

        def page_of(item) -> int | None:
            dest = item.get("/Dest")
            if dest is None and "/A" in item:
                dest = item.A.get("/D")
            if isinstance(dest, (pikepdf.Name, pikepdf.String)):
                dest = named.get(str(dest).lstrip("/"))
            if isinstance(dest, pikepdf.Dictionary):
                dest = dest.get("/D")
            if isinstance(dest, pikepdf.Array) and len(dest):
                return pages.get(dest[0].objgen)
            return None

        def walk(first) -> list[Bookmark]:
            out, item = [], first
            while item is not None:
                count = item.get("/Count")
                out.append(Bookmark(str(item.get("/Title", "")), page_of(item), int(count) if count is not None else None,
                                    tuple(walk(item.First)) if "/First" in item else ()))
                item = item.get("/Next")
            return out

        outlines = pdf.Root.Outlines
        count = outlines.get("/Count")
        return (int(count) if count is not None else None), (walk(outlines.First) if "/First" in outlines else [])
