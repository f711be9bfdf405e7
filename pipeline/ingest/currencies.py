"""Currency signs and codes that a figure may carry, and the currencies each can denote.

Data, not code (it reaches SQL as the table ``currency_signs``): :data:`SIGNS` maps what a city
may write before or after a number (compared without regard to case) to the ISO 4217 codes it
can stand for; every code of :data:`CODES` also stands for itself. Ingest accepts (and removes)
a sign only on a money variable whose currency (the city's ``currency`` for the registry unit
``LCU``, else the registry unit) is one of the codes the sign can denote. To understand another
sign, add it here.
"""

from __future__ import annotations

CODES: tuple[str, ...] = (
    "PLN", "EUR", "USD", "GBP", "CHF", "CAD", "AUD", "NZD", "JPY", "CNY", "CZK", "SEK", "NOK", "DKK",
    "ISK", "HUF", "RON", "BGN", "RSD", "BRL", "MXN", "ARS", "CLP", "COP", "INR", "ZAR", "AED", "SAR",
    "TRY", "UAH", "ILS", "KRW", "SGD", "HKD", "TWD",
)
"""ISO 4217 codes understood when written in a figure (``12 EUR``, ``usd 12``)."""

DOLLARS = ("USD", "CAD", "AUD", "NZD", "HKD", "SGD", "MXN", "ARS", "CLP", "COP", "TWD")

SIGNS: dict[str, tuple[str, ...]] = {
    "$": DOLLARS,
    "US$": ("USD",),
    "C$": ("CAD",),
    "CA$": ("CAD",),
    "A$": ("AUD",),
    "AU$": ("AUD",),
    "NZ$": ("NZD",),
    "HK$": ("HKD",),
    "S$": ("SGD",),
    "Mex$": ("MXN",),
    "R$": ("BRL",),
    "€": ("EUR",),
    "£": ("GBP",),
    "¥": ("JPY", "CNY"),
    "￥": ("JPY", "CNY"),
    "zł": ("PLN",),
    "zl": ("PLN",),
    "Kč": ("CZK",),
    "kr": ("SEK", "NOK", "DKK", "ISK"),
    "kr.": ("SEK", "NOK", "DKK", "ISK"),
    "Fr.": ("CHF",),
    "SFr.": ("CHF",),
    "lei": ("RON",),
    "лв": ("BGN",),
    "лв.": ("BGN",),
    "₹": ("INR",),
    "₩": ("KRW",),
    "₪": ("ILS",),
    "₴": ("UAH",),
    "₺": ("TRY",),
}
"""Signs (other than the codes themselves) and the currencies each can denote."""


def sign_rows() -> list[tuple[str, str]]:
    """(sign in lower case, ISO code) for every sign and code: the table ``currency_signs``."""
    rows = {(code.lower(), code) for code in CODES}
    rows |= {(sign.lower(), code) for sign, codes in SIGNS.items() for code in codes}
    return sorted(rows)

