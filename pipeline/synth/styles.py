"""How each provider of the sample city writes its file (``providers`` in ``sample_city.yaml``):
delimiters, decimal marks, thousands separators, currency signs, padding."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.synth.observations import OBS_COLUMNS


@dataclass(frozen=True)
class Style:
    """How one provider writes its file (see ``providers`` in ``sample_city.yaml``)."""

    file: str
    delimiter: str = ","
    decimal: str = "."
    thousands: str = ""
    bom: bool = False
    header: tuple[str, ...] = OBS_COLUMNS
    order: str = "year"
    blank_line_between_years: bool = False
    pad_values: bool = False
    currency: str = ""
    """How an amount is written, ``{number}`` the figure and ``{code}`` its currency (the city's
    for LCU): ``"{number} zł"``, ``"{code} {number}"``; empty: no sign."""
    text_values: bool = False
    units: tuple[tuple[str, str], ...] = ()
    info_sheet: str | None = None

    @property
    def xlsx(self) -> bool:
        return self.file.endswith(".xlsx")


def local_number(x: float, decimals: int, style: Style, currency: str | None = None) -> str:
    """A figure as the provider writes it: decimal comma or point, thousands separators (space with
    a decimal comma; a comma with a decimal point, leaving lone groups such as ``2,782`` that the
    file's decimals settle), and, for an amount in ``currency``, the provider's currency sign."""
    d = decimals
    if style.decimal == "," and d == 3:
        d = 4  # "0,287" would be ambiguous (a decimal or a thousands separator); "0,2870" is not
    text = f"{abs(x):.{d}f}" if d else str(round(abs(x)))
    whole, _, frac = text.partition(".")
    if style.thousands and len(whole) > 3 and (style.decimal == "," or style.thousands == "," or not frac):
        groups = []
        while len(whole) > 3:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        whole = style.thousands.join([whole, *groups])
    text = whole + (style.decimal + frac if frac else "")
    if x < 0:
        text = "-" + text
    if currency and style.currency:
        text = style.currency.format(number=text, code=currency)
    return text
