"""The observation file of one provider for generated cities (CSV or XLSX), in the long form
ingest reads: columns built as arrays, with the rows to break changed on the way."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.ingest.models import REQUIRED_COLUMNS
from pipeline.synth.broken import BrokenRow, corrupt, first_not_in, with_mark
from pipeline.synth.csvfiles import csv_bytes, csv_quote, format_array
from pipeline.synth.info import GeneratedInfo
from pipeline.synth.simulate import Simulation
from pipeline.synth.xlsx import save_xlsx

OBS_COLUMNS = REQUIRED_COLUMNS + ("status", "note")
MULTI_COLUMNS = ("city",) + OBS_COLUMNS


def source_id(provider: str) -> str:
    """The id of a generated provider's source in ``sources.csv``."""
    return "SYN-" + provider.upper()


@dataclass
class Block:
    """The rows of one provider for some cities: columns as arrays, ready for CSV or XLSX."""

    cities: np.ndarray
    years: np.ndarray
    variables: np.ndarray
    numbers: np.ndarray
    decimals: np.ndarray
    units: np.ndarray
    signed: np.ndarray
    """Per row: an amount in LCU of a city abroad, written with the profile's currency sign."""

    def __len__(self) -> int:
        return len(self.numbers)


def block(sim: Simulation, var_ids: list[str], city_idx: np.ndarray) -> Block:
    nv, ny, nc = len(var_ids), len(sim.years), len(city_idx)
    stack = np.stack([sim.values[v][city_idx] for v in var_ids], axis=-1)  # cities × years × vars
    codes = np.array([sim.cities[i].code for i in city_idx], dtype=object)
    rules = sim.profile.rules
    lcu = np.array([sim.catalogue.variables[v].unit == "LCU" for v in var_ids], dtype=bool)
    return Block(
        cities=np.repeat(codes, ny * nv),
        years=np.tile(np.repeat(np.array(sim.years), nv), nc),
        variables=np.tile(np.array(var_ids, dtype=object), nc * ny),
        numbers=stack.reshape(-1),
        decimals=np.tile(np.array([rules[v].decimals for v in var_ids]), nc * ny),
        units=np.tile(np.array([sim.catalogue.variables[v].unit for v in var_ids], dtype=object), nc * ny),
        signed=np.repeat(sim.abroad()[city_idx], ny * nv) & np.tile(lcu, nc * ny),
    )


def value_strings(b: Block):
    out = None
    for d in np.unique(b.decimals):
        mask = b.decimals == d
        formatted = format_array(np.where(mask, b.numbers, 0.0), int(d))
        out = formatted if out is None else pc.if_else(pa.array(mask), formatted, out)
    return out



def write_provider(folder: Path, provider: str, var_ids: list[str], sim: Simulation, city_idx: np.ndarray,
                    header: Sequence[str], as_xlsx: bool, broken: dict[int, str], info: GeneratedInfo) -> str:
    """One provider's observation file; returns its name. ``broken`` maps row positions (0-based
    over the data rows) to the rule to break there. Amounts in LCU of cities abroad carry the
    profile's currency sign (``€1234.50``)."""
    b = block(sim, var_ids, city_idx)
    n = len(b)
    with_city = header[0] == "city"
    name = f"{provider}.{'xlsx' if as_xlsx else 'csv'}"
    rel_file = (Path(folder.name) / "observations" / name).as_posix() if not with_city else f"observations/{name}"
    source = source_id(provider)
    values = value_strings(b)
    extra: list[dict[str, str]] = []
    changes: dict[int, dict[str, str]] = {}
    dup_no = 0
    # A lone group (1,395) is read as the file's other numbers say, so an ambiguous one needs a file
    # that writes both decimal marks: two rows that are not broken are written so (1234,0 and 1234.0).
    spare = first_not_in(broken, 2, n) if "ambiguous_separator" in broken.values() else []
    if len(spare) == 2:
        for p, mark in zip(spare, ",."):
            changes[p] = {"value": with_mark(values[p].as_py(), mark)}
    for pos, rule in sorted(broken.items()):
        var_id, year, code = str(b.variables[pos]), int(b.years[pos]), str(b.cities[pos])
        if rule == "not_whole_number" and not sim.catalogue.variables[var_id].integer:
            rule = "not_a_number"
        if rule == "ambiguous_separator" and len(spare) < 2:
            rule = "not_a_number"
        if rule == "duplicate_observation":
            extra.append({"pos": pos})
            dup_no += 1
            row = n + 1 + dup_no
        else:
            changes[pos] = corrupt(rule, var_id, values[pos].as_py(), str(b.units[pos]))
            row = pos + 2
        info.broken.append(BrokenRow(rel_file, "observations" if as_xlsx else None, row, code, year, var_id, rule))
    info.observations += n + len(extra)
    sign = sim.profile.foreign.sign if sim.profile.foreign is not None else ""

    if as_xlsx:
        def rows():
            cities, years, variables, units = b.cities.tolist(), b.years.tolist(), b.variables.tolist(), b.units.tolist()
            numbers, decimals, signed = b.numbers.tolist(), b.decimals.tolist(), b.signed.tolist()
            order = list(range(n)) + [e["pos"] for e in extra]
            for i in order:
                val = int(numbers[i]) if decimals[i] == 0 else float(numbers[i])
                if signed[i]:
                    val = f"{sign}{numbers[i]:.{decimals[i]}f}"
                cells = {"city": cities[i], "year": years[i], "variable": variables[i], "value": val, "unit": units[i],
                         "source_id": source, "status": None, "note": None}
                if i in changes and i < n:
                    cells.update({k: (v if v != "" else None) for k, v in changes.pop(i).items()})
                yield [cells[c] for c in header]
        save_xlsx(folder / "observations" / name, [("observations", header, rows())])
        return name

    if b.signed.any():
        values = pc.if_else(pa.array(b.signed), pc.binary_join_element_wise(sign, values, ""), values)
    cols = {"city": pa.array(b.cities, pa.string()), "year": pa.array(b.years).cast(pa.string()),
            "variable": pa.array(b.variables, pa.string()), "value": values, "unit": pa.array(b.units, pa.string()),
            "source_id": source, "status": "", "note": ""}
    if changes:
        for col in {c for ch in changes.values() for c in ch}:
            arr = cols[col].to_pylist() if not isinstance(cols[col], str) else [cols[col]] * n
            for pos, ch in changes.items():
                if col in ch:
                    arr[pos] = csv_quote(ch[col])
            cols[col] = pa.array(arr, pa.string())
    data = csv_bytes(header, [cols[c] for c in header])
    if extra:
        lines = data.decode("utf-8").split("\n")
        data += "".join(lines[e["pos"] + 1] + "\n" for e in extra).encode("utf-8")
    (folder / "observations" / name).write_bytes(data)
    return name


# --- the shipped sample city -------------------------------------------------------------------------
