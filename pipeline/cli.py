"""``iso37120``: the command line, a thin face over the stages.

Each command imports what it needs when it runs (DuckDB, pandas, Great Expectations, Jinja2,
openpyxl…), so that ``--help`` and the light commands start at once.

Exit codes: 0 done; 1 validation errors block the release; 2 bad input or usage (the problems
are printed as a table and, with ``--problems``, written as JSON). No traceback for bad input.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import sys
import time
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pipeline import i18n
from pipeline.i18n import N_, Nn_
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


# --- the language of the output -----------------------------------------------------------------

LANG_ENV = "ISO37120_LANG"
"""The language of the console's words (``pl``, ``en``); without it, the locale's (``LC_ALL``,
``LC_MESSAGES``, ``LANG``: ``pl_PL.UTF-8`` is ``pl``) when a message catalogue exists for it, else
English. Help texts (``--help``), rule ids, file names, ids and codes stay as they are."""


def _code(value: str) -> str:
    """``pl_PL.UTF-8`` → ``pl``; ``C`` and ``POSIX`` → ``c`` / ``posix`` (no catalogue: English)."""
    return value.strip().split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()


@functools.lru_cache(maxsize=16)
def _language(given: str, locale_vars: tuple[str, ...], root: str | None) -> str:
    present = i18n.languages(root)
    if given.strip():
        code = _code(given)
        return code if code in present else "en"
    for value in locale_vars:  # POSIX: the first one set decides
        if value.strip():
            code = _code(value)
            return code if code in present else "en"
    return "en"


def output_language() -> str:
    """The language of the CLI's output, from the environment (see :data:`LANG_ENV`)."""
    return _language(os.environ.get(LANG_ENV, ""), tuple(os.environ.get(v, "") for v in ("LC_ALL", "LC_MESSAGES", "LANG")),
                     os.environ.get(i18n.ENV_VAR))


def _(text: str) -> str:
    """``text`` (a msgid) in the output language."""
    return i18n.gettext(output_language())(text)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for the count ``n``, in the output language."""
    return i18n.ngettext(output_language())(singular, plural, n)


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def show(console: Console, title: str, columns: list[str], rows: list[list[str]]) -> None:
    """A table on a terminal; in a log or a pipe, one line per row with ' | ' between cells, so
    that nothing is folded or cut."""
    if console.is_terminal:
        from rich.table import Table

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


# The title of the problems, by what they were found in (``ProblemsFound.what``).
PROBLEMS_IN = {
    "input": Nn_("{n} problem in the input", "{n} problems in the input"),
    "catalogue": Nn_("{n} problem in the catalogue", "{n} problems in the catalogue"),
    "configuration": Nn_("{n} problem in the configuration", "{n} problems in the configuration"),
    "publish configuration": Nn_("{n} problem in the publish configuration", "{n} problems in the publish configuration"),
    "store": Nn_("{n} problem in the store", "{n} problems in the store"),
    "build": Nn_("{n} problem in the build", "{n} problems in the build"),
    "release": Nn_("{n} problem in the release", "{n} problems in the release"),
}


def print_problems(problems: list[Problem], what: str, problems_file: Path | None = None) -> None:
    """The problems as a table in the output language; the JSON file keeps the English message
    with its template and fields (``message_id``, ``message_args``)."""
    lang = output_language()
    translate = i18n.gettext(lang)  # looked up once: a national build may report many thousands
    n = len(problems)
    singular, plural, _unused = PROBLEMS_IN.get(what) or (None, None, None)
    title = (ngettext(singular, plural, n).format(n=n) if singular else
             ngettext("{n} problem in the {what}", "{n} problems in the {what}", n).format(n=n, what=what))
    show(err, title,
         [_("file"), _("sheet"), _("row/line"), _("column/field"), _("value"), _("rule"), _("message")],
         [[p.file, p.sheet or "", str(p.row or p.line or ""), p.column or p.field or "", (p.value or "")[:40], p.rule,
           p.message_in(lang, translate)] for p in problems])
    if problems_file is not None:
        problems_file.parent.mkdir(parents=True, exist_ok=True)
        problems_file.write_text(json.dumps([p.model_dump() for p in problems], indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        err.print(_("The problems are also in {file}.").format(file=problems_file))
    err.print(_("Nothing was written. Fix the files named above and run again."))


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
        raise typer.BadParameter(_("{text}: give years as 2019-2023 or 2019,2021,2023").format(text=repr(text))) from None


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
        raise typer.BadParameter(_("give either --unit (one gmina) or --all-gminas, not both"))
    if parent and not all_gminas:
        raise typer.BadParameter(_("--parent goes with --all-gminas"))
    cat = _catalogue(catalogue)
    if "bdl" not in cat.sources:
        err.print("[red]" + _("No BDL mapping:") + "[/red] " + _("{catalogue}/sources/bdl.yaml is missing.").format(catalogue=catalogue))
        raise typer.Exit(EXIT_BAD_INPUT)
    try:
        with BdlClient(api_key=api_key) as client:
            if check_mapping:
                typer.echo(format_check_report(check(client, cat.sources["bdl"])))
                return
            if all_gminas:
                if not years:
                    raise typer.BadParameter(_("give --years"))
                with err.status(_("asking BDL for every gmina…")):
                    national = fetch_all_gminas(client, raw, _years(years), cat.sources["bdl"], parent=parent,
                                                variables=variable or None, folder_name=folder_name)
                _all_gminas_written(national, raw)
                return
            if not unit or not years:
                raise typer.BadParameter(_("give --unit (TERYT) and --years, or --all-gminas and --years"))
            with err.status(_("asking BDL…")):
                folder = fetch_snapshot(client, raw, unit, _years(years), cat.sources["bdl"], name=name,
                                        variables=variable or None, folder_name=folder_name)
    except BdlError as e:
        err.print(f"[red]BDL:[/red] {e}", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    typer.echo(_("Snapshot written to {folder}/ (its files and their SHA-256 are listed in snapshot.yaml). The next build "
                 "reads it; nothing else uses the network.").format(folder=folder))


def _all_gminas_written(national, raw: Path) -> None:
    """The city files of a national snapshot's folder, and what the user does next."""
    from pipeline.catalogue.sources import powiat_rights
    from pipeline.fetch import write_city_files

    n = len(national.gminas)
    head = ngettext("Snapshot of {n} gmina written to {folder}/ ({requests} responses; their SHA-256 are listed in "
                    "snapshot.yaml)",
                    "Snapshot of {n} gminas written to {folder}/ ({requests} responses; their SHA-256 are listed in "
                    "snapshot.yaml)", n).format(n=n, folder=national.folder, requests=national.requests)
    parts = ngettext("; {parts} part of a gmina (a town or rural area of an urban-rural gmina, a district) is in the "
                     "responses but is no city",
                     "; {parts} parts of gminas (towns and rural areas of urban-rural gminas, districts) are in the "
                     "responses but are no cities", national.parts).format(parts=national.parts) if national.parts else ""
    typer.echo(f"{head}{parts}.")
    files = write_city_files(raw, national.gminas, national.regions, national.folder.name)
    for path in files.written:
        typer.echo(ngettext("Wrote {path} ({n} city, one per gmina).", "Wrote {path} ({n} cities, one per gmina).", n).format(
            path=path, n=n) if path.name == "cities.yaml" else
            _("Wrote {path} (the header only: the BDL source comes from the snapshot).").format(path=path))
    for path in files.kept:
        typer.echo(_("Kept {path} as it is (a raw file is never overwritten).").format(path=path))
    if files.not_declared:
        shown = ", ".join(files.not_declared[:10]) + ("…" if len(files.not_declared) > 10 else "")
        missing = len(files.not_declared)
        words = ngettext("{n} gmina of the snapshot is not in {file}: {shown}. Add it (or move cities.yaml away to have it "
                         "written anew), or the build refuses its values (unknown_city).",
                         "{n} gminas of the snapshot are not in {file}: {shown}. Add them (or move cities.yaml away to have "
                         "it written anew), or the build refuses their values (unknown_city).", missing)
        err.print("[yellow]" + words.format(n=missing, file=raw / "cities.yaml", shown=shown) + "[/yellow]", highlight=False)
    if national.powiat_variables:
        rights = sum(powiat_rights(g.id) for g in national.gminas)
        words = ngettext("Published for powiats, not gminas: {variables}. Their values go to the {n} city with powiat rights "
                         "(same territory); another gmina takes its county's value only if its entry in cities.yaml lists "
                         "the variable under accept_powiat.",
                         "Published for powiats, not gminas: {variables}. Their values go to the {n} cities with powiat "
                         "rights (same territory); another gmina takes its county's value only if its entry in cities.yaml "
                         "lists the variable under accept_powiat.", rights)
        err.print("[yellow]" + words.format(variables=", ".join(national.powiat_variables), n=rights) + "[/yellow]",
                  highlight=False)
    typer.echo(_("Next: a build of many cities needs the dataset's portal id, `dataset_id: <slug>` in config/publish.yaml "
                 "(or --config); then `iso37120 build {raw}` reads the snapshot offline.").format(raw=raw))


# --- catalog -----------------------------------------------------------------------------------


@catalog_app.command("list")
def catalog_list(
    catalogue: CatalogueOpt = Path("indicators"),
    edition: Annotated[str | None, typer.Option(help="Only this edition, e.g. iso37120-2014.")] = None,
    theme: Annotated[str | None, typer.Option(help="Only this theme number (e.g. 16) or profile category.")] = None,
    tier: Annotated[str | None, typer.Option(help="core, supporting, profile, or indicator (a standard without tiers).")] = None,
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
            "theme_en": theme_name.en, "theme_pl": theme_name.pl, "tier": ind.tier.value, "tier_basis": ind.tier_basis.value,
            "confidence": ind.confidence.value,
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
        show(out, ngettext("{n} indicator", "{n} indicators", len(rows)).format(n=len(rows)),
             [_("id"), _("theme"), _("tier"), _("name (en)"), _("name (pl)"), _("unit")],
             [[r["id"], str(r["theme"]), r["tier"] + ("" if r["tier_basis"] == "confirmed" else " " + _("(inferred)")),
               r["name_en"], r["name_pl"], r["unit_en"]] for r in rows])


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
    out.print(_("{uid} · theme {theme} {theme_en} / {theme_pl} · {tier} · unit: {unit_en} ({unit_pl})").format(
        uid=ind.uid, theme=ind.theme, theme_en=theme.en, theme_pl=theme.pl, tier=ind.tier.value, unit_en=ind.unit.en,
        unit_pl=ind.unit.pl))
    out.print(_("tier {basis}; confidence in the title and calculation {confidence}").format(
        basis=_("inferred, not confirmed by the standard's text: a city that holds the text corrects it in this file")
        if ind.tier_basis.value == "inferred" else _("confirmed"), confidence=ind.confidence.value))
    links = [lk for lk in cat.crosswalks.links if ind.uid in (lk.from_uid, lk.to_uid)]
    if links:
        out.print("\n[bold]" + _("Crosswalks") + "[/bold]")
        for lk in links:
            out.print(f"  {lk.from_uid} → {lk.to_uid}: {lk.relation.value}" + (f" — {lk.note.en}" if lk.note else ""))
    out.print("\n[bold]" + _("Definition") + f"[/bold]\n{ind.definition.en}\n[italic]{ind.definition.pl}[/italic]")
    precision = (_("rounded half away from zero to the decimals its input is written with") if ind.calculation.kind == "direct"
                 else _("rounded half away from zero to {decimals} decimals, at least {digits} significant digits below 1").format(
                     decimals=ind.decimals, digits=ind.significant_digits))
    out.print("\n[bold]" + _("Calculation") + f"[/bold] ({ind.calculation.kind}, {precision})\n  {indicator_formula(ind)}")
    if ind.decimals_reason:
        out.print("  " + _("fewer than 2 decimals: {reason}").format(reason=ind.decimals_reason.en))
    for v in variables:
        out.print(f"  [cyan]{v.id}[/cyan] — {v.name.en} \\[" + _("{unit}, {kind}, from {provider}").format(
            unit=v.unit, kind=v.kind.value, provider=v.provider) + f"]: {v.description.en}")
    if ind.checks:
        out.print("\n[bold]" + _("Checks") + "[/bold]")
        from pipeline.validate.checks import CHECKS

        default = " " + _("(default)")
        for c in ind.checks:
            severity = c.severity or CHECKS[c.kind].severity
            params = ", ".join(f"{k}={v}" for k, v in c.model_dump(exclude_none=True, exclude={"kind", "severity"}).items())
            out.print(f"  {c.kind}{' ' + params if params else ''} → {severity.value}"
                      f"{'' if c.severity else default}: {CHECKS[c.kind].summary}")
    if ind.notes:
        out.print("\n[bold]" + _("Notes") + f"[/bold]\n{ind.notes.en}\n[italic]{ind.notes.pl}[/italic]")
    out.print("\n" + _("Defined in {file}").format(file=cat.files[ind.uid]))


@catalog_app.command("check")
def catalog_check(catalogue: CatalogueOpt = Path("indicators")) -> None:
    """Check every definition and reference; list every problem with its file, line and field."""
    cat = _catalogue(catalogue)
    for ed in cat.editions.values():
        inds = cat.of_edition(ed.id)
        counts = {t: sum(1 for i in inds if i.tier.value == t) for t in ("core", "supporting", "profile")}
        themes = len({i.theme for i in inds if i.tier.value != "profile"})
        inferred = sum(1 for i in inds if i.tier_basis.value == "inferred" and i.tier.value in ("core", "supporting"))
        if not counts["core"] and not counts["supporting"]:
            out.print(ngettext("{edition}: {n} indicator in {themes} themes (no core/supporting split)",
                               "{edition}: {n} indicators in {themes} themes (no core/supporting split)",
                               len(inds)).format(edition=ed.id, n=len(inds), themes=themes))
            continue
        if inferred:
            out.print(ngettext("{edition}: the tier of {n} core or supporting indicator is inferred, not confirmed",
                               "{edition}: the tiers of {n} core and supporting indicators are inferred, not confirmed",
                               inferred).format(edition=ed.id, n=inferred))
        out.print(ngettext("{edition}: {n} indicator ({core} core, {supporting} supporting, {profile} profile) in {themes} themes",
                           "{edition}: {n} indicators ({core} core, {supporting} supporting, {profile} profile) in {themes} themes",
                           len(inds)).format(edition=ed.id, n=len(inds), core=counts["core"], supporting=counts["supporting"],
                                             profile=counts["profile"], themes=themes))
    out.print(_("{variables} variables, {providers} providers. The catalogue is valid.").format(
        variables=len(cat.variables), providers=len(cat.providers)))


@catalog_app.command("crosswalk")
def catalog_crosswalk(
    catalogue: CatalogueOpt = Path("indicators"),
    edition: Annotated[str | None, typer.Option(help="Only the links from or to this edition.")] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """List the crosswalks: which indicator of one standard continues (same, renamed, changed) or
    relates to which of another."""
    cat = _catalogue(catalogue)
    links = [lk for lk in cat.crosswalks.links
             if edition is None or edition in (lk.from_uid.split(":")[0], lk.to_uid.split(":")[0])]
    rows = [{"from": lk.from_uid, "to": lk.to_uid, "relation": lk.relation.value,
             "continues_series": lk.relation.continues, "break_in_series": lk.relation.breaks,
             "note_en": lk.note.en if lk.note else "", "note_pl": lk.note.pl if lk.note else ""} for lk in links]
    if format is Format.json:
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    elif format is Format.csv:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=["from", "to", "relation", "continues_series", "break_in_series", "note_en", "note_pl"],
                           lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        sys.stdout.write(buf.getvalue())
    else:
        show(out, ngettext("{n} crosswalk link", "{n} crosswalk links", len(rows)).format(n=len(rows)),
             [_("from"), _("to"), _("relation"), _("note")],
             [[r["from"], r["to"], r["relation"], r["note_en"]] for r in rows])


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
            err.print(_("Stale schemas: {schemas}. Run `iso37120 schemas`.").format(schemas=", ".join(stale)))
            raise typer.Exit(1)
        out.print(_("The schemas are up to date."))
        return
    for path in gen.write(directory):
        out.print(_("wrote {path}").format(path=path))


# --- templates ---------------------------------------------------------------------------------


@app.command()
def templates(
    out_dir: Annotated[Path, typer.Option("--out", help="Where to write the workbooks.")] = Path("data/templates"),
    catalogue: CatalogueOpt = Path("indicators"),
    edition: Annotated[list[str] | None, typer.Option(help="Only the variables these editions' indicators use, each once: the standards a city reports (repeatable; default: all editions).")] = None,
    provider: Annotated[str | None, typer.Option("--provider", help="Only this provider's workbook (a providers.yaml id).")] = None,
    single: Annotated[bool, typer.Option("--single", help="One workbook for all providers (all-providers.xlsx).")] = False,
    years: Annotated[str | None, typer.Option(help="Pre-fill one row per variable and year: 2019-2023 or 2019,2020.")] = None,
) -> None:
    """Write XLSX collection workbooks for data providers, one per provider (or one for all)."""
    from pipeline.templates import TemplateError, parse_years, write_templates

    cat = _catalogue(catalogue)
    try:
        paths = write_templates(cat, out_dir, editions=edition or None, provider=provider, single=single,
                                years=parse_years(years) if years else None)
    except TemplateError as e:
        err.print(f"[red]{e}[/red]")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    for path in paths:
        out.print(_("wrote {path}").format(path=path))
    out.print(ngettext("{n} workbook in {folder}.", "{n} workbooks in {folder}.", len(paths)).format(n=len(paths), folder=out_dir))


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
    out.print(ngettext("Ingested {observations} observations of {n} city from {files} files into {store}.",
                       "Ingested {observations} observations of {n} cities from {files} files into {store}.",
                       len(result.cities)).format(observations=result.observations, n=len(result.cities),
                                                  files=len(result.files), store=store))
    if rules:
        out.print(_("Repairs: {repairs}").format(repairs=", ".join(f"{k} ×{v}" for k, v in sorted(rules.items()))))


StoreOpt = Annotated[Path, typer.Option("--store", help="The DuckDB store of the build, or a release folder (data/out).")]


def _open_store(path: Path, read_only: bool = False):
    """A store file, or a release folder (its Parquet export, loaded in memory)."""
    from pipeline.store import connect, open_store

    if path.is_dir() and (path / "store").is_dir():
        return open_store(path)
    if not path.is_file():
        err.print("[red]" + _("No store at {path}.").format(path=path) + "[/red] "
                  + _("Run `iso37120 build` (or `iso37120 ingest`) first, or give a release folder such as data/out."))
        raise typer.Exit(EXIT_BAD_INPUT)
    return connect(path, read_only=read_only)


LEVEL_ROWS = 50
"""Above this many (city, year) rows the closing summary counts cities per year and level instead
of listing them (a national build has 25,000); the full table is the store's ``certification``."""


def print_levels(levels, catalogue) -> None:
    editions = list(dict.fromkeys(lv.edition for lv in levels))
    several = len(editions) > 1
    lang = output_language()
    names = {(e.id, lv.id): getattr(lv.name, lang, lv.name.en) for e in catalogue.editions.values() for lv in e.certification_levels}

    def level(lv) -> str:
        return names.get((lv.edition, lv.level), lv.level) if lv.level else "—"

    if len(levels) <= LEVEL_ROWS:
        show(out, _("Coverage and certification level"),
             [_("city"), *([_("standard")] if several else []), _("year"), _("core"), _("core + supporting"), _("level")],
             [[lv.city_code, *([lv.edition] if several else []), str(lv.year), f"{lv.core_reported}/{lv.core_defined}",
               f"{lv.total_reported}/{lv.total_defined}", level(lv)] for lv in levels])
        return
    counts: dict[tuple[str, int, str], int] = {}
    for lv in levels:
        key = (lv.edition, lv.year, level(lv))
        counts[key] = counts.get(key, 0) + 1
    cities = len({lv.city_code for lv in levels})
    show(out, ngettext("Cities per certification level ({n} city; each city and year in the store table certification, "
                       "on the comparison page and on the site's city pages)",
                       "Cities per certification level ({n} cities; each city and year in the store table certification, "
                       "on the comparison page and on the site's city pages)", cities).format(n=cities),
         [*([_("standard")] if several else []), _("year"), _("level"), _("cities")],
         [[*([e] if several else []), str(y), level, str(n)]
          for (e, y, level), n in sorted(counts.items(), key=lambda kv: (editions.index(kv[0][0]), kv[0][1], kv[0][2]))])


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
    out.print(ngettext("{results} result, {reported} reported, in {store}.", "{results} results, {reported} reported, in {store}.",
                       summary.results).format(results=summary.results, reported=summary.reported, store=store))
    print_levels(summary.levels, cat)


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


SEVERITY_RANK = {"error": 0, "warning": 1, "information": 2}


def print_validation(rep, limit: int = 40, where: Path | str | None = None) -> None:
    """The validation summary; above ``limit`` open findings, also their count per rule (and
    ``where`` every finding is listed)."""
    from pipeline.dossier import i18n as words
    from pipeline.validate.base import finding_text

    lang = output_language()
    show(out, _("Validation by level and severity"), [_("level"), _("severity"), _("findings"), _("accepted")],
         [[str(r.level), words.enum("severity", r.severity, lang), str(r.findings), str(r.accepted)] for r in rep.summary])
    out.print(ngettext("{rules} rules ran; {n} error not accepted.", "{rules} rules ran; {n} errors not accepted.",
                       rep.blocking).format(rules=len(rep.rules), n=rep.blocking), highlight=False)
    pending = [f for f in rep.findings if not f.accepted and f.severity != "information"]

    def place(f) -> str:
        if not f.file_id:
            return ""
        return (f.file_id + (f" [{f.sheet}]" if f.sheet else "")
                + (" " + _("row {row}").format(row=f.row) if f.row else ""))

    def message(f) -> str:
        return finding_text(f.message_id, f.message_args, lang, f.message)

    if len(pending) > limit:  # at scale: the rules that fire, with their counts, before the first findings
        by_rule: dict[tuple[str, str], tuple[int, set]] = {}
        for f in pending:
            n, cities = by_rule.get((f.severity, f.rule_id), (0, set()))
            by_rule[(f.severity, f.rule_id)] = (n + 1, cities | {f.city_code} if f.city_code else cities)
        ranked = sorted(by_rule.items(), key=lambda kv: (SEVERITY_RANK.get(kv[0][0], 9), -kv[1][0], kv[0][1]))
        show(out, _("Findings not accepted by rule ({shown} of {n} rules shown)").format(shown=min(limit, len(ranked)),
                                                                                       n=len(ranked)),
             [_("severity"), _("rule"), _("findings"), _("cities")],
             [[words.enum("severity", sev, lang), rule, str(n), str(len(cities))] for (sev, rule), (n, cities) in ranked[:limit]])
        if where:
            out.print(_("Every finding, with its place, is in {file}.").format(file=where), highlight=False)
    if pending:
        show(out, _("Findings not accepted ({shown} of {n} shown)").format(shown=min(limit, len(pending)), n=len(pending)),
             [_("severity"), _("rule"), _("city"), _("year"), _("observed"), _("message"), _("place")],
             [[words.enum("severity", f.severity, lang), f.rule_id, f.city_code or "", str(f.year or ""), f.observed or "",
               message(f), place(f)]
              for f in pending[:limit]])
    stale = [f for f in rep.findings if f.test == "unused_exception"]
    if stale:  # an acceptance that matched nothing: the finding it meant is still open, or it is out of date
        show(out, _("Accepted exceptions that match no finding ({shown} of {n} shown)").format(
                 shown=min(limit, len(stale)), n=len(stale)),
             [_("accepts rule"), _("city"), _("year"), _("variable"), _("why it is unused"), _("place")],
             [[f.observed or "", f.city_code or "", str(f.year or ""), f.variable or "", message(f), place(f)]
              for f in stale[:limit]])
        out.print(_("Correct or remove them in exceptions.yaml: an acceptance accepts only the finding it names "
                    "(rule id, and city, year and variable where given)."), highlight=False)


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
    print_validation(rep, where=report)
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
        out.print(ngettext("wrote {path} ({bytes} byte)", "wrote {path} ({bytes} bytes)", f.bytes).format(
            path=out_dir / f.path, bytes=f"{f.bytes:,}"), highlight=False)
    out.print((_("Dataset {dataset} version {version} ({date}, derived from the inputs): {rows} rows, {reported} values "
                 "reported, {first}–{last}.") if report.release_date_derived else
               _("Dataset {dataset} version {version} ({date}): {rows} rows, {reported} values reported, {first}–{last}."))
              .format(dataset=report.dataset_id, version=report.version, date=report.release_date, rows=report.rows,
                      reported=report.reported, first=report.first_year, last=report.last_year), highlight=False)


INPUT_CHANGES = {"added": N_("added"), "removed": N_("removed"), "changed": N_("changed")}


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="The earlier release (a folder with store/, or a store file).")],
    new: Annotated[Path, typer.Argument(help="The later release.")] = Path("data/out"),
    format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    limit: Annotated[int, typer.Option(help="Rows shown per table in text (json has them all).")] = 40,
) -> None:
    """What changed between two releases: values changed (with the inputs marked revised that
    explain them), indicators newly or no longer reported, and inputs added, removed or changed."""
    from pipeline.diff import diff_releases

    try:
        d = diff_releases(old, new)
    except FileNotFoundError as e:
        err.print(f"[red]{e}[/red]")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if format == "json":
        sys.stdout.write(d.model_dump_json(indent=2) + "\n")
        return
    show(out, ngettext("{n} value changed ({unexplained} explained by no input marked revised)",
                       "{n} values changed ({unexplained} explained by no input marked revised)",
                       len(d.values_changed)).format(n=len(d.values_changed), unexplained=d.unexplained),
         [_("city"), _("indicator"), _("year"), _("old value"), _("new value"), _("inputs marked revised")],
         [[c.city_code, c.indicator_uid, str(c.year), c.old, c.new,
           "; ".join(f"{r.variable} {r.year}" + (f": {r.note}" if r.note else "") for r in c.revised_inputs) or "—"]
          for c in d.values_changed[:limit]])
    for title, rows in ((N_("Newly reported: {n}"), d.newly_reported), (N_("No longer reported: {n}"), d.no_longer_reported)):
        show(out, _(title).format(n=len(rows)), [_("city"), _("indicator"), _("year"), _("old status"), _("new status")],
             [[c.city_code, c.indicator_uid, str(c.year), c.old_status or "—", c.new_status or "—"] for c in rows[:limit]])
    show(out, _("Inputs added, removed or changed: {n}").format(n=len(d.inputs)),
         [_("file"), _("change"), _("old SHA-256"), _("new SHA-256")],
         [[c.file_id, _(INPUT_CHANGES[c.change]), (c.old_sha256 or "—")[:12], (c.new_sha256 or "—")[:12]] for c in d.inputs[:limit]])


@app.command()
def verify(
    release_dir: Annotated[Path, typer.Argument(help="A release folder (with manifest.json and archive/).")] = Path("data/out"),
) -> None:
    """Re-run a release from its archived inputs and report any output that differs, file by file."""
    import tempfile

    from pipeline.build import ReleaseBlocked, verify as run

    with tempfile.TemporaryDirectory(prefix="iso37120-verify-") as scratch:
        try:
            with err.status(_("re-running the release…")):
                report = run(release_dir, Path(scratch))
        except ProblemsFound as e:
            fail_on_problems(e)
        except ReleaseBlocked as e:
            err.print("[red]" + ngettext("The re-run is blocked by {n} validation error", "The re-run is blocked by {n} validation errors",
                                         e.report.blocking).format(n=e.report.blocking)
                      + "[/red]: " + _("the release cannot be reproduced."))
            raise typer.Exit(EXIT_BLOCKED) from None
    lang = output_language()
    if report.integrity:
        n = len(report.integrity)
        show(out, ngettext("Verify {folder}: {n} file or claim does not match the manifest",
                           "Verify {folder}: {n} files or claims do not match the manifest", n).format(folder=release_dir, n=n),
             [_("path"), _("what"), _("status"), _("manifest SHA-256"), _("SHA-256 found"), _("what it means")],
             [[m.path, m.what, m.status, m.manifest_sha256 or "", m.actual_sha256 or "",
               i18n.render(m.message_id, m.message_args, lang, m.message)] for m in report.integrity])
    show(out, ngettext("Verify {folder}: {n} file compared with a re-run", "Verify {folder}: {n} files compared with a re-run",
                       report.files_compared).format(folder=release_dir, n=report.files_compared),
         [_("path"), _("status"), _("released SHA-256"), _("re-run SHA-256")],
         [[d.path, d.status, d.released_sha256 or "", d.rerun_sha256 or ""] for d in report.differences])
    if report.code_version != report.rerun_code_version:
        out.print(_("Code version differs: released with {released}, re-run with {rerun}.").format(
            released=report.code_version, rerun=report.rerun_code_version), highlight=False)
    if report.identical:
        typer.echo(_("Reproduced: every output is byte-identical and matches the manifest (build {build}).").format(
            build=report.build_id[:12]))
        return
    mismatches = ngettext("NOT reproduced: {n} mismatch with the manifest", "NOT reproduced: {n} mismatches with the manifest",
                          len(report.integrity)).format(n=len(report.integrity))
    differ = ngettext("{n} file differs from the re-run.", "{n} files differ from the re-run.",
                      len(report.differences)).format(n=len(report.differences))
    typer.echo(f"{mismatches}, {differ}")
    raise typer.Exit(EXIT_BLOCKED)


ALL_LANGS = "all"


def _langs(lang: str) -> list[str]:
    """``all`` (every language that has a message catalogue), one language, or several: ``en,pl``."""
    from pipeline.i18n import languages

    present = languages()
    wanted = list(present) if lang in (ALL_LANGS, "both") else [x.strip() for x in lang.split(",") if x.strip()]
    unknown = [x for x in wanted if x not in present]
    if unknown or not wanted:
        raise typer.BadParameter(_("{lang}: the languages with a message catalogue are {languages} (or {all})").format(
            lang=repr(lang), languages=", ".join(present), all=ALL_LANGS))
    return wanted


STAGE_WORDS = {
    "ingest": N_("ingest"), "calculate": N_("calculate"), "validate": N_("validate"), "publish": N_("publish"),
    "export": N_("export"), "dossier": N_("dossier"), "site": N_("site"), "release": N_("release"), "up to date": N_("up to date"),
    "checking the release against its manifest": N_("checking the release against its manifest"),
}
"""The stages as the progress shows them."""


def _stage_word(stage: str) -> str:
    """A stage as the progress shows it, in the output language."""
    return _(STAGE_WORDS[stage]) if stage in STAGE_WORDS else stage


COUNT_WORDS = {
    "ingest": N_("{stage}: {done} of {total} files, {rows} rows read"),
    None: N_("{stage}: {done} of {total} cities"),
}
"""How far a long stage is, by stage (None: any other)."""
LONG = {"ingest": 100}
"""A stage counting this many (files; by default ten cities) is long, as is one that has run for
:data:`LONG_SECONDS` (a national ingest reads a score of large files): off a terminal, a line is
logged per tenth of it."""
LONG_SECONDS = 10


def _dossiers(value: str) -> str:
    from pipeline.build import DOSSIER_CHOICES

    if value not in DOSSIER_CHOICES:
        raise typer.BadParameter(_("{value}: use one of {choices}").format(value=repr(value), choices=", ".join(DOSSIER_CHOICES)))
    return value


@app.command()
def build(
    raw: Annotated[Path, typer.Argument(help="The raw folder: a folder of city folders, or one city's folder.")] = Path("data/raw"),
    out: Annotated[Path, typer.Option("--out", help="The release folder (replaced whole when the build succeeds).")] = Path("data/out"),
    reports: Annotated[Path, typer.Option("--reports", help="Where the dossiers and the validation report go (also when the release is blocked).")] = Path("reports"),
    store: Annotated[Path, typer.Option("--store", help="Where the build's working DuckDB store is kept for queries.")] = Path("data/work/store.duckdb"),
    lang: Annotated[str, typer.Option("--lang", help="Dossier languages: all (every message catalogue), one (pl) or several (en,pl).")] = ALL_LANGS,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Print the dossiers to PDF with headless Chromium when it is installed.")] = True,
    dossiers: Annotated[str, typer.Option("--dossiers", help="Certification dossiers in the release: auto (every city's up to 50 "
                                                             "cities, none above: the site has every city), all, or none.")] = "auto",
    force: Annotated[bool, typer.Option("--force", help="Build even if nothing changed since the release.")] = False,
    catalogue: CatalogueOpt = Path("indicators"),
    config: PublishConfigOpt = DEFAULT_PUBLISH_CONFIG,
    release_date: ReleaseDateOpt = None,
    problems: ProblemsOpt = None,
) -> None:
    """Run the yearly build: ingest, calculate, validate, publish, dossier; release atomically.

    Exit codes: 0 released (or already up to date); 1 validation errors block the release;
    2 bad input or usage. The previous release is never touched unless the new one is complete."""
    import duckdb
    from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

    from pipeline.build import ReleaseBlocked, build as run
    from pipeline.publish.tidy import PublishError

    cat = _catalogue(catalogue, problems)
    cfg = _publish_config(config, release_date, problems)
    langs = _langs(lang)
    notes: list[str] = []
    # what a failed build leaves: the release that was there, or nothing on a first build
    kept = (_("The previous release in {out}/ is unchanged") if (out / "manifest.json").is_file()
            else _("Nothing was released (there is no earlier release in {out}/)")).format(out=out)
    try:
        with Progress(SpinnerColumn(finished_text="✓"), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                      console=err, disable=not err.is_terminal) as bar:
            started = time.monotonic()
            stages: dict[str, TaskID] = {}  # each stage's bar
            running: list[str] = []  # the stage running
            began: dict[str, float] = {}  # when each stage started
            tenths: dict[str, int] = {}  # the tenths of each stage logged so far (a stage's workers may finish during the next)

            def end() -> None:  # the running stage is complete
                if not running:
                    return
                stage = running.pop()
                bar.update(stages[stage], total=1, completed=1)
                bar.stop_task(stages[stage])
                if not err.is_terminal:
                    now = time.monotonic()
                    err.print(f"{now - started:7.1f} s  " + _("{stage} took {seconds} s").format(
                        stage=_stage_word(stage), seconds=f"{now - began[stage]:.1f}"), highlight=False)

            def progress(stage: str, done: int | None = None, total: int | None = None, rows: int | None = None) -> None:
                shown = _stage_word(stage)
                now = time.monotonic()
                if stage not in stages:  # a new stage: the one before it is complete
                    end()
                    stages[stage] = bar.add_task(shown, total=None)
                    running.append(stage)
                    began[stage], tenths[stage] = now, 0
                    if not err.is_terminal:  # a log: one plain line as each stage starts and ends
                        err.print(f"{now - started:7.1f} s  {shown}", highlight=False)
                if done is None or not total:
                    return
                counts = _(COUNT_WORDS[stage if stage in COUNT_WORDS else None]).format(
                    stage=shown, done=done, total=total, rows=rows or 0)
                bar.update(stages[stage], description=counts, total=total, completed=done)
                long = total >= LONG.get(stage, 10) or now - began[stage] >= LONG_SECONDS
                if not err.is_terminal and long and done * 10 // total > tenths[stage]:  # and one per tenth of a long stage
                    tenths[stage] = done * 10 // total
                    err.print(f"{now - started:7.1f} s  {counts}", highlight=False)

            result = run(raw, out, cat, reports=reports, store=store, langs=langs, pdf=pdf, publish_config=cfg,
                         publish_config_file=str(config), force=force, progress=progress, note=notes.append,
                         dossiers=_dossiers(dossiers))
            end()
    except ProblemsFound as e:
        fail_on_problems(e, problems)
    except ReleaseBlocked as e:
        print_validation(e.report, where=e.report_file)
        err.print("[red]" + _("Release blocked:") + "[/red] "
                  + ngettext("{n} validation error is not accepted. {kept}; the full report is in {report}, and the build's "
                             "store in {store} (try `iso37120 explain`). Fix the inputs, or accept a finding in the city's "
                             "exceptions.yaml (who, role, date, reason).",
                             "{n} validation errors are not accepted. {kept}; the full report is in {report}, and the build's "
                             "store in {store} (try `iso37120 explain`). Fix the inputs, or accept a finding in the city's "
                             "exceptions.yaml (who, role, date, reason).", e.report.blocking).format(
                      n=e.report.blocking, kept=kept, report=e.report_file, store=store))
        raise typer.Exit(EXIT_BLOCKED) from None
    except (duckdb.OutOfMemoryException, duckdb.FatalException) as e:
        if "memory" not in str(e) and "allocate" not in str(e):
            raise
        from pipeline.store import MEMORY_LIMIT

        err.print("[red]" + _("The build ran out of DuckDB's memory limit ({limit}).").format(limit=MEMORY_LIMIT) + "[/red] "
                  + _("{kept}. Give it more, e.g. ISO37120_MEMORY_LIMIT=4GB iso37120 build ...").format(kept=kept),
                  highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except PublishError as e:
        err.print("[red]" + _("The open-data bundle failed its own checks") + "[/red] "
                  + _("({kept}): {error}. This is a defect of the pipeline, not of the inputs; please report it.").format(
                      kept=kept, error=e), highlight=False)
        raise typer.Exit(EXIT_DEFECT) from None
    for n in notes:
        err.print(f"[yellow]{n}[/yellow]", highlight=False)
    ing = result.ingest
    if result.up_to_date:
        typer.echo(_("Nothing changed since build {build}: {out}/ is up to date (use --force to build anyway).").format(
            build=result.manifest.build_id[:12], out=result.out))
    print_validation(result.validation, limit=10, where=Path(result.out) / "validation-report.json")
    print_levels(result.calculation.levels, cat)
    typer.echo(ngettext("Built {n} city from {files} files: {observations} observations ({repaired} values repaired), "
                        "{reported} of {results} indicator values reported, {blocking} blocking errors.",
                        "Built {n} cities from {files} files: {observations} observations ({repaired} values repaired), "
                        "{reported} of {results} indicator values reported, {blocking} blocking errors.",
                        len(ing.cities)).format(
        n=len(ing.cities), files=len(ing.files), observations=ing.observations, repaired=sum(ing.repairs.values()),
        reported=result.calculation.reported, results=result.calculation.results, blocking=result.validation.blocking))
    typer.echo(_("Release {build} in {out}/: open data in {out}/open-data/ (dataset {dataset}, version {version}), store "
                 "tables in {out}/store/, manifest.json; dossiers in {reports}/; working store {store}.").format(
        build=result.manifest.build_id[:12], out=result.out, dataset=result.publish.dataset_id,
        version=result.publish.version, reports=reports, store=store))


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
            err.print("[red]" + _("Cannot read the manifest {file}:").format(file=manifest_file) + f"[/red] {str(e).splitlines()[0]}")
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
        out.print(_("wrote {path}").format(path=path), highlight=False)
    if not paths:
        err.print(_("No city in {store}: nothing to render.").format(store=store))


if __name__ == "__main__":  # python -m pipeline.cli
    app()
