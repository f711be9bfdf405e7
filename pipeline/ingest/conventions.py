"""How a country writes the decimal mark, as the last evidence for a lone group.

Data, not code. A lone group (``675,360`` or ``1.395``) in a file whose other figures show no
decimal mark is read by the convention of the city's country (ISO 3166-1 alpha-2): ``675,360``
is 675360 in a British table and 675.36 in a Polish one. A country missing here (or one with two
conventions, as Canada and Switzerland) gives no evidence, and the figure stays ambiguous. To
cover another country, add it here.
"""

from __future__ import annotations

DOT = frozenset("""
    AU BD CN EG GB GH HK IE IL IN JM JP KE KR LK MT MX MY NG NP NZ PH PK SA SG TH TW UG US ZW
""".split())
"""Countries that write a decimal point (and comma thousands)."""

COMMA = frozenset("""
    AL AM AR AT AZ BA BE BG BO BR BY CL CO CR CZ DE DK DZ EC EE ES FI FO FR GE GR HR HU ID IS IT KZ
    LT LU LV MA MD ME MK MN MZ NL NO PE PL PT PY RO RS RU SE SI SK TN TR UA UY UZ VE VN
""".split())
"""Countries that write a decimal comma (and space or dot thousands)."""


def decimal_mark(country: str) -> str | None:
    """``.`` or ``,`` for the country, or None where it gives no evidence."""
    c = country.upper()
    return "." if c in DOT else "," if c in COMMA else None
