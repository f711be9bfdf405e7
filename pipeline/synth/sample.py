"""The shipped, fictional sample city Zielonogród (``data/raw/zielonogrod``), written from
``profile.yaml`` and ``sample_city.yaml`` with its providers' local habits."""

from __future__ import annotations

import dataclasses
import shutil
from collections import defaultdict
from pathlib import Path

import numpy as np

from pipeline.catalogue import Catalogue
from pipeline.catalogue.models import VariableKind
from pipeline.ingest.models import (
    SOURCE_COLUMNS,
    SOURCE_OPTIONAL,
    City,
    SourceRow,
    Status,
)
from pipeline.synth.csvfiles import write_csv_rows
from pipeline.synth.generate import providers_of
from pipeline.synth.info import GeneratedInfo
from pipeline.synth.names import SimCity
from pipeline.synth.observations import OBS_COLUMNS
from pipeline.synth.profile import ProfileError, load_profile, read_yaml
from pipeline.synth.sample_readme import sample_readme
from pipeline.synth.simulate import simulate
from pipeline.synth.styles import Style, local_number
from pipeline.synth.xlsx import save_xlsx
from pipeline.synth.yamlwrite import yaml_dump

SAMPLE = Path(__file__).with_name("sample_city.yaml")


def sample_config(catalogue: Catalogue, path: Path = SAMPLE) -> dict:
    """``sample_city.yaml``, checked against the catalogue (every variable, status and provider
    known; a file and one default source per provider). Raises :class:`ProfileError` listing every
    problem."""
    cfg = read_yaml(path)
    problems = []
    known = set(catalogue.variables)
    for section in ("not_available", "zero"):
        problems += [f"{section}: unknown variable {v}" for v in cfg.get(section) or {} if v not in known]
    for st in cfg.get("statuses") or []:
        problems += [f"statuses: unknown variable {v}" for v in st["variables"] if v not in known]
        if st["status"] not in {s.value for s in Status}:
            problems.append(f"statuses: unknown status {st['status']}")
    for nt in cfg.get("notes") or []:
        problems += [f"notes: unknown variable {v}" for v in nt["variables"] if v not in known]
    providers = cfg.get("providers") or {}
    for p in catalogue.providers:
        if p not in providers and any(v.provider == p and v.kind is not VariableKind.text for v in catalogue.variables.values()):
            problems.append(f"providers: no file for provider {p}")
    for p, spec in providers.items():
        if p not in catalogue.providers:
            problems.append(f"providers: unknown provider {p}")
        defaults = [s for s in spec.get("sources", []) if s.get("default")]
        if len(defaults) != 1:
            problems.append(f"providers.{p}: exactly one source needs `default: true`")
    if problems:
        raise ProfileError("sample_city.yaml does not fit the catalogue:\n  " + "\n  ".join(problems))
    return cfg


def write_sample_city(out: Path, catalogue: Catalogue, overwrite: bool = False, config: Path = SAMPLE) -> GeneratedInfo:
    """Write the fictional sample city Zielonogród into ``out/<folder>/`` (``data/raw/zielonogrod``).

    Deterministic: the same catalogue, profile and ``sample_city.yaml`` give the same bytes. The
    result ingests with no problem (and some repairs: the providers' local formatting).
    """
    cfg = sample_config(catalogue, Path(config))
    folder = Path(out) / cfg["folder"]
    if folder.exists():
        if not overwrite:
            raise FileExistsError(f"{folder} exists; pass overwrite=True to write it again")
        shutil.rmtree(folder)
    years = [int(y) for y in cfg["years"]]
    seed = int(cfg["seed"])
    city = dict(cfg["city"])
    anchors = {k: ({int(y): float(x) for y, x in v.items()} if isinstance(v, dict) else float(v))
               for k, v in (cfg.get("anchors") or {}).items()}
    shifts = {k: {int(y): float(f) for y, f in v.items()} for k, v in (cfg.get("shifts") or {}).items()}
    # Notes without a status: an unusual figure explained (validation shows it as information).
    notes: dict[tuple[str, int], str] = {}
    for nt in cfg.get("notes") or []:
        for v in nt["variables"]:
            for y in nt["years"]:
                notes[(v, int(y))] = " ".join(nt["note"].split())
    noted: dict[str, list[int]] = defaultdict(list)
    for v, y in notes:
        noted[v].append(y)
    profile = load_profile(catalogue)
    sim = simulate(catalogue, 1, years, seed, profile=profile, editions=city["standards"],
                   anchors=anchors, shifts=shifts, noted=dict(noted),
                   cities=[SimCity(city["code"], city["name"]["pl"], city["name"]["en"], city.get("region"),
                                   country=city["country"], currency=city["currency"])])
    if sim.implausible:
        raise ProfileError("the sample city breaks checks that no status explains: "
                           + ", ".join(f"{i} {y} ({k})" for i, _, y, k in sim.implausible))
    zero = cfg.get("zero") or {}
    for v in zero:
        if np.any(sim.values[v] != 0):
            raise ProfileError(f"sample_city.yaml says {v} is zero, but profile.yaml does not generate 0")
    not_available = cfg.get("not_available") or {}
    status: dict[tuple[str, int], tuple[str, str]] = {}
    for st in cfg.get("statuses") or []:
        for v in st["variables"]:
            for y in st["years"]:
                if (v, int(y)) in status:
                    raise ProfileError(f"sample_city.yaml gives {v} {y} two statuses")
                status[(v, int(y))] = (st["status"], " ".join(st["note"].split()))
    for key in set(status) & set(notes):
        raise ProfileError(f"sample_city.yaml gives {key[0]} {key[1]} a status and a note: give the note with the status")

    # The city file: the text facts of the registry come from the config, every one of them.
    text_vars = [v.id for v in catalogue.variables.values() if v.kind is VariableKind.text]
    missing = [v for v in text_vars if v not in (city.get("text_facts") or {})]
    if missing:
        raise ProfileError(f"sample_city.yaml: text_facts lacks {', '.join(missing)}")
    city["text_facts"] = {k: " ".join(str(city["text_facts"][k]).split()) for k in text_vars}
    city["description"] = {k: " ".join(v.split()) for k, v in city["description"].items()}
    City.model_validate(city)
    (folder / "observations").mkdir(parents=True)
    (folder / "city.yaml").write_text(
        "# FICTIONAL sample city, written by pipeline.synth.write_sample_city; see README.md.\n" + yaml_dump(city),
        encoding="utf-8")

    # The source register and which source each variable comes from.
    source_of: dict[str, str] = {}
    register: list[dict[str, str]] = []
    styles: dict[str, Style] = {}
    for p, spec in cfg["providers"].items():
        for src in spec["sources"]:
            row = {c: str(src.get(c, "") or "") for c in SOURCE_COLUMNS + SOURCE_OPTIONAL}
            SourceRow.model_validate({k: v for k, v in row.items() if v})
            register.append(row)
            for v in src.get("variables", []):
                source_of[v] = src["source_id"]
        default = next(s["source_id"] for s in spec["sources"] if s.get("default"))
        for v in catalogue.variables.values():
            if v.provider == p:
                source_of.setdefault(v.id, default)
        keys = {f.name for f in dataclasses.fields(Style)} - {"units", "header"}
        opts = {k: v for k, v in spec.items() if k in keys}
        styles[p] = Style(**opts, header=tuple(spec.get("header", OBS_COLUMNS)),
                           units=tuple((spec.get("units") or {}).items()))
    write_csv_rows(folder / "sources.csv", SOURCE_COLUMNS + SOURCE_OPTIONAL,
                   [[r[c] for c in SOURCE_COLUMNS + SOURCE_OPTIONAL] for r in register])

    info = GeneratedInfo(out=Path(out), layout="folders", cities=[city["code"]], years=years,
                         files=[f"{folder.name}/city.yaml", f"{folder.name}/sources.csv"], observations=0, simulation=sim)
    for p, var_ids in providers_of(sim, city["standards"]).items():
        style = styles[p]
        units = dict(style.units)
        records = []
        order = [(y, v) for y in years for v in var_ids] if style.order == "year" else [(y, v) for v in var_ids for y in years]
        for y, v in order:
            var = catalogue.variables[v]
            x = sim.value(0, v, y)
            unit = units.get(var.unit, var.unit)
            st, note = status.get((v, y), ("", notes.get((v, y), "")))
            money = (city["currency"] if var.unit == "LCU" else var.unit) if var.kind is VariableKind.money else None
            if v in not_available:
                value, st, note = "", "not_available", " ".join(not_available[v].split())
            elif style.text_values or not style.xlsx:
                value = local_number(x, profile.rules[v].decimals, style, money)
            else:
                value = int(x) if profile.rules[v].decimals == 0 else float(x)
            if v in zero:
                note = " ".join(zero[v].split())
            if style.pad_values and isinstance(value, str) and value:
                value = value.rjust(9)
            cells = {"year": y, "variable": v, "value": value, "unit": unit, "source_id": source_of[v],
                     "status": st, "note": note}
            records.append([cells[c] for c in OBS_COLUMNS])
        info.observations += len(records)
        path = folder / "observations" / style.file
        if style.xlsx:
            sheets = [("observations", list(style.header), [[c if c != "" else None for c in r] for r in records])]
            if style.info_sheet:
                prov = catalogue.providers[p]
                sheets.append((style.info_sheet, ["Informacja", "Information"], [
                    [f"Dane przekazane przez: {prov.name.pl}", f"Figures supplied by: {prov.name.en}"],
                    ["Miasto fikcyjne — dane przykładowe.", "Fictional city — sample figures."],
                    ["Arkusz 'observations' zawiera dane; ten arkusz jest pomijany.", "The 'observations' sheet holds the figures; this one is skipped."],
                ]))
            save_xlsx(path, sheets)
        else:
            rows: list[list] = []
            for n, r in enumerate(records):
                if style.blank_line_between_years and n and r[0] != records[n - 1][0]:
                    rows.append([])
                rows.append([str(c) for c in r])
            write_csv_rows(path, style.header, rows, delimiter=style.delimiter, bom=style.bom)
        info.files.append(f"{folder.name}/observations/{style.file}")
    # Counts of persons given with decimals: full-time equivalents (posts filled), with an example.
    fte = {p: [(v, local_number(sim.value(0, v, years[-1]), profile.rules[v].decimals, styles[p]))
               for v in var_ids if catalogue.variables[v].kind is VariableKind.count and profile.rules[v].decimals
               and catalogue.variables[v].unit == "persons" and v not in not_available]
           for p, var_ids in providers_of(sim, city["standards"]).items()}
    readme = sample_readme(cfg, catalogue, styles, not_available, zero, status, notes, register, fte)
    (folder / "README.md").write_text(readme, encoding="utf-8")
    info.files.append(f"{folder.name}/README.md")
    info.files.sort()
    return info
