"""The bare-DuckDB floor: read the observation CSVs, compute every ratio and direct indicator in one
SQL statement, write a CSV. No repairs, no checks, no lineage: the least work the job can take."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipeline.catalogue import Catalogue


def floor(raw: Path, out_csv: Path, catalogue: Catalogue) -> int:
    con = duckdb.connect()
    files = sorted(str(p) for p in raw.rglob("observations/*.csv"))
    con.execute("""CREATE TABLE obs AS SELECT city, CAST(year AS INTEGER) AS year, variable,
                   TRY_CAST(replace(value, ',', '.') AS DOUBLE) AS value
                   FROM read_csv(?, union_by_name = true, all_varchar = true)""", [files])
    parts = []
    for ind in catalogue.indicators.values():
        c = ind.calculation
        if c.kind == "ratio":
            parts.append(f"""SELECT n.city, n.year, '{ind.uid}' AS indicator, round(n.value / d.value * {c.multiplier}, {ind.decimals}) AS value
                             FROM obs n JOIN obs d ON d.city = n.city AND d.year = n.year AND d.variable = '{c.denominator}'
                             WHERE n.variable = '{c.numerator}'""")
        elif c.kind == "direct":
            parts.append(f"SELECT city, year, '{ind.uid}', round(value, {ind.decimals}) FROM obs WHERE variable = '{c.variable}'")
    con.sql(f"{' UNION ALL '.join(parts)} ORDER BY ALL").write_csv(str(out_csv), header=True)
    return con.execute("SELECT count(*) FROM read_csv(?)", [str(out_csv)]).fetchall()[0][0]
