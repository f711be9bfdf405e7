"""Fictional cities: TERYT-shaped codes that cannot clash with a real gmina, and Polish-sounding names."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from pipeline.synth.profile import Foreign

_STEMS = ["Cisowo", "Biało", "Czarno", "Jasno", "Wysoko", "Sucho", "Kamienno", "Dębo", "Brzozo", "Lipo",
          "Wierzbo", "Jeziorno", "Rzeczno", "Górno", "Dolno", "Złoto", "Srebrno", "Modro", "Bukowo", "Grabo",
          "Jodło", "Olszo", "Sosno", "Wrzoso", "Borowo", "Łąko", "Polno", "Leśno", "Miodo", "Różano"]
_ENDS = ["gród", "wice", "dział", "pole", "brzeg", "las", "góra", "staw", "bór", "wola", "mierz", "szyn",
         "łęka", "dół", "most", "ziec"]
_ASCII = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")


@dataclass
class SimCity:
    code: str
    name_pl: str
    name_en: str
    region: str | None = None
    country: str = "PL"
    currency: str = "PLN"


def city_code(i: int) -> str:
    """A TERYT-shaped code in voivodeship 99, which does not exist, so it cannot clash with a
    real gmina; counties 10–98 (the sample city uses county 01)."""
    county, gmina = divmod(i, 99)
    if county + 10 > 98:
        return f"99X{i:06d}"
    return f"99{county + 10:02d}{gmina + 1:02d}1"


def sim_city(i: int, seed: int, foreign: Foreign | None = None) -> SimCity:
    """Generated city ``i`` (0-based) of ``seed``: at home, or abroad if it is one of ``foreign``'s."""
    h = hashlib.sha256(f"{seed}:{i}".encode()).digest()
    name = _STEMS[h[0] % len(_STEMS)] + _ENDS[h[1] % len(_ENDS)]
    if i >= len(_STEMS) * len(_ENDS) // 2:
        name += f" {['Górny', 'Dolny', 'Nowy', 'Stary', 'Wielki', 'Mały'][h[2] % 6]}"
    if foreign is not None and foreign.of(i):
        return SimCity(code=city_code(i), name_pl=name, name_en=name.translate(_ASCII),
                       country=foreign.country, currency=foreign.currency)
    return SimCity(code=city_code(i), name_pl=name, name_en=name.translate(_ASCII))
