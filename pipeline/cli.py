"""``iso37120``: the command line, a thin face over the stages.

Exit codes: 0 done; 1 validation errors block the release; 2 bad input or usage (the problems
are printed as a table and, with ``--problems``, written as JSON). No traceback for bad input.
"""

from __future__ import annotations

import csv
import io
import json
import sys
import time
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.console import Console
from rich.table import Table

from pipeline.problems import Problem, ProblemsFound

EXIT_BLOCKED = 1
EXIT_BAD_INPUT = 2
EXIT_DEFECT = 3
"""The pipeline found a defect of its own (an output that fails its own checks)."""

app = typer.Typer(
    name="iso37120",
    help="ISO 37120 city indicators: from a city's raw inputs to an evidence dossier and an open-data bundle.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
catalog_app = typer.Typer(help="Read and check the indicator definitions.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")
fetch_app = typer.Typer(help="Freeze public statistics into a city's raw folder (the only command that uses the network).",
                        no_args_is_help=True)
app.add_typer(fetch_app, name="fetch")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

CatalogueOpt = Annotated[Path, typer.Option("--catalogue", "-c", help="The catalogue folder.", envvar="ISO37120_CATALOGUE")]
ProblemsOpt = Annotated[Path | None, typer.Option("--problems", help="Also write every problem found to this JSON file.")]


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def show(console: Console, title: str, columns: list[str], rows: list[list[str]]) -> None:
    """A table on a terminal; in a log or a pipe, one line per row with ' | ' between cells, so
    that nothing is folded or cut."""
    if console.is_terminal:
        t = Table(title=title, title_justify="left")
        for col in columns:
            t.add_column(col, overflow="fold")
        for r in rows:
            t.add_row(*r)
        console.print(t)
        return
    console.print(title, markup=False, highlight=False, soft_wrap=True)
    console.print("  " + " | ".join(columns), markup=False, highlight=False, soft_wrap=True)
    for r in rows:
        console.print("  " + " | ".join(r), markup=False, highlight=False, soft_wrap=True)


def print_problems(problems: list[Problem], what: str, problems_file: Path | None = None) -> None:
    show(err, f"{len(problems)} problem(s) in the {what}",
         ["file", "sheet", "row/line", "column/field", "value", "rule", "message"],
         [[p.file, p.sheet or "", str(p.row or p.line or ""), p.column or p.field or "", (p.value or "")[:40], p.rule, p.message]
          for p in problems])
    if problems_file is not None:
        problems_file.parent.mkdir(parents=True, exist_ok=True)
        problems_file.write_text(json.dumps([p.model_dump() for p in problems], indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        err.print(f"The problems are also in {problems_file}.")
    err.print("Nothing was written. Fix the files named above and run again.")


def fail_on_problems(e: ProblemsFound, problems_file: Path | None = None) -> None:
    print_problems(e.problems, e.what, problems_file)
    raise typer.Exit(EXIT_BAD_INPUT)


def _catalogue(path: Path, problems_file: Path | None = None):
    from pipeline.catalogue import load_catalogue

    try:
        return load_catalogue(path)
    except ProblemsFound as e:
        fail_on_problems(e, problems_file)


# --- fetch -------------------------------------------------------------------------------------


def _years(text: str) -> list[int]:
    """``2019-2023`` or ``2019,2021,2023``."""
    try:
        if "-" in text:
            first, last = (int(x) for x in text.split("-", 1))
            return list(range(first, last + 1))
        return [int(x) for x in text.split(",")]
    except ValueError:
        raise typer.BadParameter(f"{text!r}: give years as 2019-2023 or 2019,2021,2023") from None


@fetch_app.command("bdl")
def fetch_bdl(
    unit: Annotated[str | None, typer.Option(help="The gmina: its 7-digit TERYT code (2261011) or 12-digit BDL unit id.")] = None,
    years: Annotated[str, typer.Option(help="Reference years: 2019-2023 or 2019,2021,2023.")] = "",
    raw: Annotated[Path, typer.Option("--raw", help="The city's raw folder (with --all-gminas, the folder of many cities); the snapshot goes to <raw>/snapshots/bdl-<date>/.")] = Path("data/raw"),
    name: Annotated[str | None, typer.Option(help="The gmina's name, to find it with the units search (faster than the walk).")] = None,
    all_gminas: Annotated[bool, typer.Option("--all-gminas", help="Every gmina of the country (or of --parent) into one snapshot, from /data/by-variable, for a national build; also writes cities.yaml (one city per gmina) and sources.csv when absent.")] = False,
    parent: Annotated[str | None, typer.Option(help="With --all-gminas: only the gminas below this BDL unit (12 digits: a voivodeship 042200000000, a powiat).")] = None,
    variable: Annotated[list[str] | None, typer.Option("--variable", help="Only these registry variables (repeatable).")] = None,
    folder_name: Annotated[str | None, typer.Option(help="The snapshot folder's name (default bdl-<UTC date>).")] = None,
    api_key: Annotated[str | None, typer.Option(help="A BDL API key (X-ClientId): higher quotas.", envvar="BDL_API_KEY")] = None,
    check_mapping: Annotated[bool, typer.Option("--check-mapping", help="Compare the unverified mapping entries with the API's variable metadata; write nothing.")] = False,
    catalogue: CatalogueOpt = Path("indicators"),
) -> None:
    """Fetch the variables that indicators/sources/bdl.yaml maps from Statistics Poland's Local Data
    Bank (BDL) into a frozen snapshot: the responses as received, with their SHA-256, licence and
    retrieval time in snapshot.yaml. The build reads the snapshot offline like any input."""
    from pipeline.fetch import BdlClient, BdlError, check_mapping as check, fetch_all_gminas, fetch_snapshot, format_check_report

    if all_gminas and (unit or name):
        raise typer.BadParameter("give either --unit (one gmina) or --all-gminas, not both")
    if parent and not all_gminas:
        raise typer.BadParameter("--parent goes with --all-gminas")
    cat = _catalogue(catalogue)
    if "bdl" not in cat.sources:
        err.print(f"[red]No BDL mapping:[/red] {catalogue}/sources/bdl.yaml is missing.")
        raise typer.Exit(EXIT_BAD_INPUT)
    try:
        with BdlClient(api_key=api_key) as client:
            if check_mapping:
                typer.echo(format_check_report(check(client, cat.sources["bdl"])))
                return
            if all_gminas:
                if not years:
                    raise typer.BadParameter("give --years")
                with err.status("asking BDL for every gmina…"):
                    national = fetch_all_gminas(client, raw, _years(years), cat.sources["bdl"], parent=parent,
                                                variables=variable or None, folder_name=folder_name)
                _all_gminas_written(national, raw)
                return
            if not unit or not years:
                raise typer.BadParameter("give --unit (TERYT) and --years, or --all-gminas and --years")
            with err.status("asking BDL…"):
                folder = fetch_snapshot(client, raw, unit, _years(years), cat.sources["bdl"], name=name,
                                        variables=variable or None, folder_name=folder_name)
    except BdlError as e:
        err.print(f"[red]BDL:[/red] {e}", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    typer.echo(f"Snapshot written to {folder}/ (its files and their SHA-256 are listed in snapshot.yaml). "
               "The next build reads it; nothing else uses the network.")


def _all_gminas_written(national, raw: Path) -> None:
    """The city files of a national snapshot's folder, and what the user does next."""
    from pipeline.catalogue.sources import powiat_rights
    from pipeline.fetch import write_city_files

    n = len(national.gminas)
    typer.echo(f"Snapshot of {n} gminas written to {national.folder}/ ({national.requests} responses; their SHA-256 are "
               f"listed in snapshot.yaml){f'; {national.parts} parts of gminas (towns and rural areas of urban-rural gminas, districts) are in the responses but are no cities' if national.parts else ''}.")
    files = write_city_files(raw, national.gminas, national.regions, national.folder.name)
    for path in files.written:
        typer.echo(f"Wrote {path}" + (f" ({n} cities, one per gmina)." if path.name == "cities.yaml" else " (the header only: the BDL source comes from the snapshot)."))
    for path in files.kept:
        typer.echo(f"Kept {path} as it is (a raw file is never overwritten).")
    if files.not_declared:
        shown = ", ".join(files.not_declared[:10]) + ("…" if len(files.not_declared) > 10 else "")
        err.print(f"[yellow]{len(files.not_declared)} gmina(s) of the snapshot are not in {raw / 'cities.yaml'}: {shown}. Add them "
                  "(or move cities.yaml away to have it written anew), or the build refuses their values (unknown_city).[/yellow]",
                  highlight=False)
    if national.powiat_variables:
        rights = sum(powiat_rights(g.id) for g in national.gminas)
        err.print(f"[yellow]Published for powiats, not gminas: {', '.join(national.powiat_variables)}. Their values go to the "
                  f"{rights} cities with powiat rights (same territory); another gmina takes its county's value only if its "
                  "entry in cities.yaml lists the variable under accept_powiat.[/yellow]", highlight=False)
    typer.echo(f"Next: a build of many cities needs the dataset's portal id, `dataset_id: <slug>` in config/publish.yaml "
               f"(or --config); then `iso37120 build {raw}` reads the snapshot offline.")


# --- catalog -----------------------------------------------------------------------------------


@catalog_app.command("list")
def catalog_list(
    catalogue: CatalogueOpt = Path("indicators"),
    edition: Annotated[str | None, typer.Option(help="Only this edition, e.g. iso37120-2014.")] = None,
    theme: Annotated[str | None, typer.Option(help="Only this theme number (e.g. 16) or profile category.")] = None,
    tier: Annotated[str | None, typer.Option(help="core, supporting or profile.")] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """List the indicators, with their theme, tier, names and unit."""
    cat = _catalogue(catalogue)
    rows = []
    for ind in cat.indicators.values():
        if edition and ind.edition != edition or tier and ind.tier.value != tier or theme and str(ind.theme) != theme:
            continue
        theme_name = cat.theme_names[(ind.edition, ind.theme)]
        rows.append({
            "uid": ind.uid, "id": ind.id, "edition": ind.edition, "theme": ind.theme,
            "theme_en": theme_name.en, "theme_pl": theme_name.pl, "tier": ind.tier.value,
            "name_en": ind.name.en, "name_pl": ind.name.pl, "unit_en": ind.unit.en, "unit_pl": ind.unit.pl,
            "calculation": ind.calculation.kind, "variables": ind.variables,
        })
    if format is Format.json:
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    elif format is Format.csv:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else ["uid"], lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({**r, "variables": " ".join(r["variables"])})
        sys.stdout.write(buf.getvalue())
    else:
        show(out, f"{len(rows)} indicator(s)", ["id", "theme", "tier", "name (en)", "name (pl)", "unit"],
             [[r["id"], str(r["theme"]), r["tier"], r["name_en"], r["name_pl"], r["unit_en"]] for r in rows])


@catalog_app.command("show")
def catalog_show(
    indicator: Annotated[str, typer.Argument(help="Indicator id (5.1) or uid (iso37120-2014:5.1).")],
    catalogue: CatalogueOpt = Path("indicators"),
    edition: Annotated[str | None, typer.Option(help="Edition, when the id is in several.")] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """Show one indicator's whole definition, with its variables."""
    from pipeline.catalogue.formula import indicator_formula

    cat = _catalogue(catalogue)
    try:
        ind = cat.get(indicator, edition)
    except KeyError as e:
        err.print(f"[red]{e.args[0]}[/red]")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    variables = [cat.variables[v] for v in ind.variables]
    if format == "json":
        doc = {"uid": ind.uid, **ind.model_dump(mode="json"), "formula": indicator_formula(ind),
               "variables": [v.model_dump(mode="json") for v in variables],
               "file": str(cat.files[ind.uid])}
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        return
    theme = cat.theme_names[(ind.edition, ind.theme)]
    out.print(f"[bold]{ind.id}  {ind.name.en}[/bold]\n[italic]{ind.name.pl}[/italic]")
    out.print(f"{ind.uid} · theme {ind.theme} {theme.en} / {theme.pl} · {ind.tier.value} · unit: {ind.unit.en} ({ind.unit.pl})")
    out.print(f"\n[bold]Definition[/bold]\n{ind.definition.en}\n[italic]{ind.definition.pl}[/italic]")
    precision = ("the decimals its input is written with" if ind.calculation.kind == "direct" else
                 f"{ind.decimals} decimals, at least {ind.significant_digits} significant digits below 1")
    out.print(f"\n[bold]Calculation[/bold] ({ind.calculation.kind}, rounded half away from zero to {precision})\n  {indicator_formula(ind)}")
    if ind.decimals_reason:
        out.print(f"  fewer than 2 decimals: {ind.decimals_reason.en}")
    for v in variables:
        out.print(f"  [cyan]{v.id}[/cyan] — {v.name.en} [{v.unit}, {v.kind.value}, from {v.provider}]: {v.description.en}")
    if ind.checks:
        out.print("\n[bold]Checks[/bold]")
        from pipeline.validate.checks import CHECKS

        for c in ind.checks:
            severity = c.severity or CHECKS[c.kind].severity
            params = ", ".join(f"{k}={v}" for k, v in c.model_dump(exclude_none=True, exclude={"kind", "severity"}).items())
            out.print(f"  {c.kind}{' ' + params if params else ''} → {severity.value}"
                      f"{'' if c.severity else ' (default)'}: {CHECKS[c.kind].summary}")
    if ind.notes:
        out.print(f"\n[bold]Notes[/bold]\n{ind.notes.en}\n[italic]{ind.notes.pl}[/italic]")
    out.print(f"\nDefined in {cat.files[ind.uid]}")


@catalog_app.command("check")
def catalog_check(catalogue: CatalogueOpt = Path("indicators")) -> None:
    """Check every definition and reference; list every problem with its file, line and field."""
    cat = _catalogue(catalogue)
    for ed in cat.editions.values():
        inds = cat.of_edition(ed.id)
        counts = {t: sum(1 for i in inds if i.tier.value == t) for t in ("core", "supporting", "profile")}
        themes = len({i.theme for i in inds if i.tier.value != "profile"})
        out.print(f"{ed.id}: {len(inds)} indicators ({counts['core']} core, {counts['supporting']} supporting, "
                  f"{counts['profile']} profile) in {themes} themes")
    out.print(f"{len(cat.variables)} variables, {len(cat.providers)} providers. The catalogue is valid.")


# --- schemas -------------------------------------------------------------------------------------


@app.command()
def schemas(
    directory: Annotated[Path, typer.Option("--dir", help="Where to write them.")] = Path("schemas"),
    check: Annotated[bool, typer.Option("--check", help="Only report stale schemas (exit 1 if any).")] = False,
) -> None:
    """Generate the JSON Schemas of every file format into schemas/."""
    from pipeline import schemas as gen

    if check:
        stale = gen.stale(directory)
        if stale:
            err.print(f"Stale schemas: {', '.join(stale)}. Run `iso37120 schemas`.")
            raise typer.Exit(1)
        out.print("The schemas are up to date.")
        return
    for path in gen.write(directory):
        out.print(f"wrote {path}")


# --- templates ---------------------------------------------------------------------------------


@app.command()
def templates(
    out_dir: Annotated[Path, typer.Option("--out", help="Where to write the workbooks.")] = Path("data/templates"),
    catalogue: CatalogueOpt = Path("indicators"),
    edition: Annotated[str | None, typer.Option(help="Only the variables this edition's indicators use (default: all editions).")] = None,
    provider: Annotated[str | None, typer.Option("--provider", help="Only this provider's workbook (a providers.yaml id).")] = None,
    single: Annotated[bool, typer.Option("--single", help="One workbook for all providers (all-providers.xlsx).")] = False,
    years: Annotated[str | None, typer.Option(help="Pre-fill one row per variable and year: 2019-2023 or 2019,2020.")] = None,
) -> None:
    """Write XLSX collection workbooks for data providers, one per provider (or one for all)."""
    from pipeline.templates import TemplateError, parse_years, write_templates

    cat = _catalogue(catalogue)
    try:
        paths = write_templates(cat, out_dir, edition=edition, provider=provider, single=single,
                                years=parse_years(years) if years else None)
    except TemplateError as e:
        err.print(f"[red]{e}[/red]")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    for path in paths:
        out.print(f"wrote {path}")
    out.print(f"{len(paths)} workbook(s) in {out_dir}.")


# --- ingest ------------------------------------------------------------------------------------


@app.command()
def ingest(
    raw: Annotated[Path, typer.Argument(help="The raw folder: one city's folder, or a folder of city folders.")] = Path("data/raw"),
    store: Annotated[Path, typer.Option("--store", help="The DuckDB store to write.")] = Path("data/work/store.duckdb"),
    catalogue: CatalogueOpt = Path("indicators"),
    report: Annotated[Path | None, typer.Option(help="Write the ingest report (inventory, repairs) as JSON.")] = None,
    problems: ProblemsOpt = None,
) -> None:
    """Load a city's raw inputs into the store, with an inventory and a record of every repair."""
    from pipeline.ingest import ingest as run

    cat = _catalogue(catalogue)
    try:
        result = run(raw, cat, store)
    except ProblemsFound as e:
        fail_on_problems(e, problems)
    if report:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(result.model_dump_json(indent=2) + "\n", encoding="utf-8")
    rules = result.repairs
    out.print(f"Ingested {result.observations} observations of {len(result.cities)} city(ies) "
              f"from {len(result.files)} files into {store}.")
    if rules:
        out.print("Repairs: " + ", ".join(f"{k} ×{v}" for k, v in sorted(rules.items())))


StoreOpt = Annotated[Path, typer.Option("--store", help="The DuckDB store of the build, or a release folder (data/out).")]


def _open_store(path: Path, read_only: bool = False):
    """A store file, or a release folder (its Parquet export, loaded in memory)."""
    from pipeline.store import connect, open_store

    if path.is_dir() and (path / "store").is_dir():
        return open_store(path)
    if not path.is_file():
        err.print(f"[red]No store at {path}.[/red] Run `iso37120 build` (or `iso37120 ingest`) first, "
                  "or give a release folder such as data/out.")
        raise typer.Exit(EXIT_BAD_INPUT)
    return connect(path, read_only=read_only)


LEVEL_ROWS = 50
"""Above this many (city, year) rows the closing summary counts cities per year and level instead
of listing them (a national build has 25,000); the full table is the store's ``certification``."""


def print_levels(levels) -> None:
    if len(levels) <= LEVEL_ROWS:
        show(out, "Coverage and certification level", ["city", "year", "core", "core + supporting", "level"],
             [[lv.city_code, str(lv.year), f"{lv.core_reported}/{lv.core_defined}", f"{lv.total_reported}/{lv.total_defined}",
               lv.level or "—"] for lv in levels])
        return
    counts: dict[tuple[int, str], int] = {}
    for lv in levels:
        counts[(lv.year, lv.level or "—")] = counts.get((lv.year, lv.level or "—"), 0) + 1
    show(out, f"Cities per certification level ({len({lv.city_code for lv in levels})} cities; each city and year in the "
         "store table certification and on the comparison page)", ["year", "level", "cities"],
         [[str(y), level, str(n)] for (y, level), n in sorted(counts.items())])


@app.command()
def calculate(
    store: StoreOpt = Path("data/work/store.duckdb"),
    catalogue: CatalogueOpt = Path("indicators"),
) -> None:
    """Compute every indicator for every city and year in the store, with lineage and coverage."""
    from pipeline.calculate import calculate as run

    cat = _catalogue(catalogue)
    con = _open_store(store)
    try:
        summary = run(con, cat)
    finally:
        con.close()
    out.print(f"{summary.results} results, {summary.reported} reported, in {store}.")
    print_levels(summary.levels)


@app.command()
def explain(
    indicator: Annotated[str, typer.Argument(help="Indicator id (10.1) or uid.")],
    city: Annotated[str, typer.Option("--city", help="City code.")],
    year: Annotated[int, typer.Option("--year", help="Reference year.")],
    store: StoreOpt = Path("data/work/store.duckdb"),
    catalogue: CatalogueOpt = Path("indicators"),
    format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """Say where one value comes from: formula, inputs, raw file rows, hashes and sources."""
    from pipeline.calculate.explain import as_text, explain as run

    cat = _catalogue(catalogue)
    con = _open_store(store, read_only=True)
    try:
        e = run(con, cat, indicator, city, year)
    except KeyError as ex:
        err.print(f"[red]{ex.args[0]}[/red]")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    finally:
        con.close()
    if format == "json":
        sys.stdout.write(e.model_dump_json(indent=2) + "\n")
    else:
        typer.echo(as_text(e))


def print_validation(rep, limit: int = 40) -> None:
    show(out, "Validation by level and severity", ["level", "severity", "findings", "accepted"],
         [[str(r.level), r.severity, str(r.findings), str(r.accepted)] for r in rep.summary])
    out.print(f"{len(rep.rules)} rules ran; {rep.blocking} error(s) not accepted.", highlight=False)
    pending = [f for f in rep.findings if not f.accepted and f.severity != "information"]

    def place(f) -> str:
        return (f.file_id + (f" [{f.sheet}]" if f.sheet else "") + (f" row {f.row}" if f.row else "")) if f.file_id else ""

    if pending:
        show(out, f"Findings not accepted ({min(limit, len(pending))} of {len(pending)} shown)",
             ["severity", "rule", "city", "year", "observed", "message", "place"],
             [[f.severity, f.rule_id, f.city_code or "", str(f.year or ""), f.observed or "", f.message, place(f)]
              for f in pending[:limit]])
    stale = [f for f in rep.findings if f.test == "unused_exception"]
    if stale:  # an acceptance that matched nothing: the finding it meant is still open, or it is out of date
        show(out, f"Accepted exceptions that match no finding ({min(limit, len(stale))} of {len(stale)} shown)",
             ["accepts rule", "city", "year", "variable", "why it is unused", "place"],
             [[f.observed or "", f.city_code or "", str(f.year or ""), f.variable or "", f.message, place(f)]
              for f in stale[:limit]])
        out.print("Correct or remove them in exceptions.yaml: an acceptance accepts only the finding it names "
                  "(rule id, and city, year and variable where given).", highlight=False)


@app.command()
def validate(
    store: StoreOpt = Path("data/work/store.duckdb"),
    catalogue: CatalogueOpt = Path("indicators"),
    previous: Annotated[Path | None, typer.Option(help="The store of the previous release, to check revisions.")] = None,
    report: Annotated[Path | None, typer.Option(help="Write the full validation report as JSON.")] = None,
) -> None:
    """Run every validation rule on the store; exit 1 if an error is not accepted."""
    from pipeline.validate import validate as run

    cat = _catalogue(catalogue)
    con = _open_store(store)
    try:
        rep = run(con, cat, previous)
    finally:
        con.close()
    if report:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(rep.model_dump_json(indent=2) + "\n", encoding="utf-8")
    print_validation(rep)
    if rep.blocking:
        raise typer.Exit(EXIT_BLOCKED)


# --- publish -----------------------------------------------------------------------------------

PublishConfigOpt = Annotated[Path, typer.Option("--config", help="The open-data settings: publisher, licence, portal (a missing default file means the built-in defaults).")]
ReleaseDateOpt = Annotated[datetime | None, typer.Option("--release-date", formats=["%Y-%m-%d"],
                                                         help="Release date of the bundle, YYYY-MM-DD (default: from the configuration, else the latest retrieval date of the sources).")]
DEFAULT_PUBLISH_CONFIG = Path("config/publish.yaml")


def _publish_config(path: Path, release_date: datetime | None, problems_file: Path | None = None):
    from pipeline.publish import PublishConfig, load_config

    try:
        config = load_config(path) if path.is_file() or path != DEFAULT_PUBLISH_CONFIG else PublishConfig()
    except ProblemsFound as e:
        fail_on_problems(e, problems_file)
    return config.model_copy(update={"release_date": release_date.date()}) if release_date else config


@app.command()
def publish(
    store: StoreOpt = Path("data/work/store.duckdb"),
    out_dir: Annotated[Path, typer.Option("--out", help="The folder of the open-data bundle.")] = Path("data/out/open-data"),
    config: PublishConfigOpt = DEFAULT_PUBLISH_CONFIG,
    release_date: ReleaseDateOpt = None,
    catalogue: CatalogueOpt = Path("indicators"),
    problems: ProblemsOpt = None,
) -> None:
    """Write the open-data bundle: tidy CSV, Frictionless data package, DCAT-AP record, CSVW, JSON-stat, Parquet."""
    from pipeline.publish import publish as run

    cat = _catalogue(catalogue, problems)
    cfg = _publish_config(config, release_date, problems)
    con = _open_store(store, read_only=True)
    try:
        report = run(con, cat, out_dir, cfg, str(config))
    except ProblemsFound as e:
        fail_on_problems(e, problems)
    finally:
        con.close()
    for f in report.files:
        out.print(f"wrote {out_dir / f.path} ({f.bytes:,} bytes)", highlight=False)
    out.print(f"Dataset {report.dataset_id} version {report.version} ({report.release_date}"
              f"{', derived from the inputs' if report.release_date_derived else ''}): {report.rows} rows, "
              f"{report.reported} values reported, {report.first_year}–{report.last_year}.", highlight=False)


@app.command()
def verify(
    release_dir: Annotated[Path, typer.Argument(help="A release folder (with manifest.json and archive/).")] = Path("data/out"),
) -> None:
    """Re-run a release from its archived inputs and report any output that differs, file by file."""
    import tempfile

    from pipeline.build import ReleaseBlocked, verify as run

    with tempfile.TemporaryDirectory(prefix="iso37120-verify-") as scratch:
        try:
            with err.status("re-running the release…"):
                report = run(release_dir, Path(scratch))
        except ProblemsFound as e:
            fail_on_problems(e)
        except ReleaseBlocked as e:
            err.print(f"[red]The re-run is blocked by {e.report.blocking} validation error(s)[/red]: the release cannot be reproduced.")
            raise typer.Exit(EXIT_BLOCKED) from None
    if report.integrity:
        show(out, f"Verify {release_dir}: {len(report.integrity)} file(s) or claim(s) do not match the manifest",
             ["path", "what", "status", "manifest SHA-256", "SHA-256 found", "what it means"],
             [[m.path, m.what, m.status, m.manifest_sha256 or "", m.actual_sha256 or "", m.message] for m in report.integrity])
    show(out, f"Verify {release_dir}: {report.files_compared} files compared with a re-run",
         ["path", "status", "released SHA-256", "re-run SHA-256"],
         [[d.path, d.status, d.released_sha256 or "", d.rerun_sha256 or ""] for d in report.differences])
    if report.code_version != report.rerun_code_version:
        out.print(f"Code version differs: released with {report.code_version}, re-run with {report.rerun_code_version}.", highlight=False)
    if report.identical:
        typer.echo(f"Reproduced: every output is byte-identical and matches the manifest (build {report.build_id[:12]}).")
        return
    typer.echo(f"NOT reproduced: {len(report.integrity)} mismatch(es) with the manifest, "
               f"{len(report.differences)} file(s) differ from the re-run.")
    raise typer.Exit(EXIT_BLOCKED)


ALL_LANGS = "all"


def _langs(lang: str) -> list[str]:
    """``all`` (every language that has a message catalogue), one language, or several: ``en,pl``."""
    from pipeline.i18n import languages

    present = languages()
    wanted = list(present) if lang in (ALL_LANGS, "both") else [x.strip() for x in lang.split(",") if x.strip()]
    unknown = [x for x in wanted if x not in present]
    if unknown or not wanted:
        raise typer.BadParameter(f"{lang!r}: the languages with a message catalogue are {', '.join(present)} (or {ALL_LANGS})")
    return wanted


STAGES = ("ingest", "calculate", "validate", "publish", "export", "dossier", "release")


@app.command()
def build(
    raw: Annotated[Path, typer.Argument(help="The raw folder: a folder of city folders, or one city's folder.")] = Path("data/raw"),
    out: Annotated[Path, typer.Option("--out", help="The release folder (replaced whole when the build succeeds).")] = Path("data/out"),
    reports: Annotated[Path, typer.Option("--reports", help="Where the dossiers and the validation report go (also when the release is blocked).")] = Path("reports"),
    store: Annotated[Path, typer.Option("--store", help="Where the build's working DuckDB store is kept for queries.")] = Path("data/work/store.duckdb"),
    lang: Annotated[str, typer.Option("--lang", help="Dossier languages: all (every message catalogue), one (pl) or several (en,pl).")] = ALL_LANGS,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Print the dossiers to PDF with headless Chromium when it is installed.")] = True,
    force: Annotated[bool, typer.Option("--force", help="Build even if nothing changed since the release.")] = False,
    catalogue: CatalogueOpt = Path("indicators"),
    config: PublishConfigOpt = DEFAULT_PUBLISH_CONFIG,
    release_date: ReleaseDateOpt = None,
    problems: ProblemsOpt = None,
) -> None:
    """Run the yearly build: ingest, calculate, validate, publish, dossier; release atomically.

    Exit codes: 0 released (or already up to date); 1 validation errors block the release;
    2 bad input or usage. The previous release is never touched unless the new one is complete."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from pipeline.build import ReleaseBlocked, build as run
    from pipeline.publish.tidy import PublishError

    cat = _catalogue(catalogue, problems)
    cfg = _publish_config(config, release_date, problems)
    langs = _langs(lang)
    notes: list[str] = []
    # what a failed build leaves: the release that was there, or nothing on a first build
    kept = (f"The previous release in {out}/ is unchanged" if (out / "manifest.json").is_file()
            else f"Nothing was released (there is no earlier release in {out}/)")
    try:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                      console=err, transient=True, disable=not err.is_terminal) as bar:
            task = bar.add_task("building", total=len(STAGES))

            started = last = time.monotonic()
            previous: list[str] = []

            def progress(stage: str) -> None:
                nonlocal last
                bar.update(task, description=stage, completed=STAGES.index(stage) if stage in STAGES else len(STAGES))
                if not err.is_terminal:  # a log: one plain line per stage, with the time so far
                    now = time.monotonic()
                    done = f" ({previous[-1]} took {now - last:.1f} s)" if previous else ""
                    err.print(f"{now - started:7.1f} s  {stage}{done}", highlight=False)
                    last = now
                    previous.append(stage)

            result = run(raw, out, cat, reports=reports, store=store, langs=langs, pdf=pdf, publish_config=cfg,
                         publish_config_file=str(config), force=force, progress=progress, note=notes.append)
    except ProblemsFound as e:
        fail_on_problems(e, problems)
    except ReleaseBlocked as e:
        print_validation(e.report)
        err.print(f"[red]Release blocked:[/red] {e.report.blocking} validation error(s) are not accepted. "
                  f"{kept}; the full report is in {e.report_file}, and the "
                  f"build's store in {store} (try `iso37120 explain`). Fix the inputs, or accept a finding in the "
                  "city's exceptions.yaml (who, role, date, reason).")
        raise typer.Exit(EXIT_BLOCKED) from None
    except (duckdb.OutOfMemoryException, duckdb.FatalException) as e:
        if "memory" not in str(e) and "allocate" not in str(e):
            raise
        from pipeline.store import MEMORY_LIMIT

        err.print(f"[red]The build ran out of DuckDB's memory limit ({MEMORY_LIMIT}).[/red] {kept}. "
                  "Give it more, e.g. ISO37120_MEMORY_LIMIT=4GB iso37120 build ...",
                  highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except PublishError as e:
        err.print(f"[red]The open-data bundle failed its own checks[/red] ({kept}): {e}. "
                  "This is a defect of the pipeline, not of the inputs; please report it.",
                  highlight=False)
        raise typer.Exit(EXIT_DEFECT) from None
    for n in notes:
        err.print(f"[yellow]{n}[/yellow]", highlight=False)
    ing = result.ingest
    if result.up_to_date:
        typer.echo(f"Nothing changed since build {result.manifest.build_id[:12]}: {result.out}/ is up to date "
                   "(use --force to build anyway).")
    print_validation(result.validation, limit=10)
    print_levels(result.calculation.levels)
    typer.echo(f"Built {len(ing.cities)} city(ies) from {len(ing.files)} files: {ing.observations} observations "
               f"({sum(ing.repairs.values())} values repaired), {result.calculation.reported} of "
               f"{result.calculation.results} indicator values reported, {result.validation.blocking} blocking errors.")
    typer.echo(f"Release {result.manifest.build_id[:12]} in {result.out}/: open data in {result.out}/open-data/ "
               f"(dataset {result.publish.dataset_id}, version {result.publish.version}), store tables in "
               f"{result.out}/store/, manifest.json; dossiers in {reports}/; working store {store}.")


@app.command()
def dossier(
    store: StoreOpt = Path("data/work/store.duckdb"),
    out_dir: Annotated[Path, typer.Option("--out", help="Where to write the dossier files.")] = Path("reports"),
    lang: Annotated[str, typer.Option("--lang", help="all (every message catalogue), one (pl) or several (en,pl).")] = ALL_LANGS,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also print each HTML page to PDF with headless Chromium (skipped with a note when it is not installed).")] = True,
    manifest: Annotated[Path | None, typer.Option("--manifest", help="The release's manifest.json (default: the one beside the store, if any).")] = None,
    city: Annotated[list[str] | None, typer.Option("--city", help="Only this city code (repeat for more); without it, every city and the comparison across them.")] = None,
    catalogue: CatalogueOpt = Path("indicators"),
) -> None:
    """Render the evidence dossier of every city in the store (HTML per language, JSON, PDF) and the comparison across cities."""
    from pydantic import ValidationError

    from pipeline.dossier import render_dossier
    from pipeline.store.models import Manifest

    cat = _catalogue(catalogue)
    manifest_file = manifest or (store.parent / "manifest.json")
    release_manifest = None
    if manifest is not None or manifest_file.is_file():
        try:
            release_manifest = Manifest.model_validate_json(manifest_file.read_text(encoding="utf-8"))
        except (OSError, ValidationError) as e:
            err.print(f"[red]Cannot read the manifest {manifest_file}:[/red] {str(e).splitlines()[0]}")
            raise typer.Exit(EXIT_BAD_INPUT) from None
    con = _open_store(store, read_only=True)
    try:
        paths = render_dossier(con, cat, out_dir, _langs(lang),
                               manifest=release_manifest, pdf=pdf, cities=city,
                               note=lambda msg: err.print(f"[yellow]{msg}[/yellow]", highlight=False))
    except KeyError as e:
        err.print(f"[red]{e.args[0]}[/red]", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    finally:
        con.close()
    for path in paths:
        out.print(f"wrote {path}", highlight=False)
    if not paths:
        err.print(f"No city in {store}: nothing to render.")


if __name__ == "__main__":  # python -m pipeline.cli
    app()
