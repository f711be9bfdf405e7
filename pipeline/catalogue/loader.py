"""Read the catalogue folder into typed definitions, reporting every problem with its place.

Layout (any number of edition folders; a new edition is a new folder, not new code)::

    indicators/
      providers.yaml              kinds of data providers
      variables.yaml              the input variable registry, shared by all editions
      <edition>/edition.yaml      themes, profile categories, certification levels
      <edition>/**/<id>.yaml      one indicator per file
      sources/<source>.yaml       public statistical sources: which registry variable each feeds
      crosswalks/<a>--<b>.yaml    which indicator of one edition continues which of another

YAML is read with ruamel.yaml's safe loader, which keeps line numbers, so a problem found by
pydantic or by a cross-reference check points at the line of the field that is wrong. A catalogue
that loads without a problem is kept in a cache (:mod:`pipeline.catalogue.cache`) for the next run.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel

from pipeline.catalogue.cache import cached
from pipeline.catalogue.crosswalks import CROSSWALKS_DIR, Crosswalks, load_crosswalks
from pipeline.catalogue.formula import FormulaError, indicator_formula
from pipeline.catalogue.models import (
    Edition,
    Indicator,
    Provider,
    ProviderRegistry,
    Ratio,
    Text,
    Tier,
    Variable,
    VariableKind,
    VariableRegistry,
)
from pipeline.catalogue.sources import SOURCES_DIR, SourceMapping, load_source_mappings
from pipeline.files import Walk, walk
from pipeline.i18n import N_, msg
from pipeline.problems import Problem, ProblemsFound
from pipeline.yamlio import YamlFile

DEFAULT_ROOT = Path("indicators")
EDITION_FILE = "edition.yaml"
VARIABLES_FILE = "variables.yaml"
PROVIDERS_FILE = "providers.yaml"
POPULATION = "population"


@dataclass(frozen=True)
class Catalogue:
    """Every definition of the catalogue folder, checked and cross-referenced."""

    root: Path
    editions: dict[str, Edition]
    providers: dict[str, Provider]
    variables: dict[str, Variable]
    indicators: dict[str, Indicator]
    """Keyed by ``uid`` (``iso37120-2014:5.1``), in the standard's order."""
    files: dict[str, Path] = field(default_factory=dict)
    """The file each indicator (by uid) and each edition (by id) was read from."""
    sources: dict[str, SourceMapping] = field(default_factory=dict)
    """Public statistical sources (``sources/<id>.yaml``) by id: which registry variable each of
    their variables feeds."""
    crosswalks: Crosswalks = field(default_factory=Crosswalks)
    """Which indicator of one edition continues which of another (``crosswalks/<a>--<b>.yaml``)."""

    @property
    def default_edition(self) -> str:
        """The edition a city reports when it names none: the one marked ``default``, else the
        first by id."""
        return next((e.id for e in self.editions.values() if e.default), min(self.editions, default=""))

    def of_edition(self, edition: str) -> list[Indicator]:
        return [i for i in self.indicators.values() if i.edition == edition]

    def used_by(self, editions: Iterable[str] | None = None) -> dict[str, list[Indicator]]:
        """The variables the indicators of ``editions`` (every edition when None) use, each once,
        in registry order, with the indicators that use them."""
        wanted = None if editions is None else set(editions)
        users: dict[str, list[Indicator]] = {}
        for ind in self.indicators.values():
            if wanted is None or ind.edition in wanted:
                for v in dict.fromkeys(ind.variables):
                    users.setdefault(v, []).append(ind)
        return {v: users[v] for v in self.variables if v in users}

    def input_name(self, ref: str) -> Text:
        """The name of an input of a value: a registry variable, or an indicator (by uid) whose
        value a city gave as reported."""
        return (self.variables.get(ref) or self.indicators[ref]).name

    def get(self, ref: str, edition: str | None = None, prefer: Sequence[str] = ()) -> Indicator:
        """An indicator by uid (``iso37120-2014:5.1``) or by id within an edition (``5.1``); an id
        that several editions use is the one of the first edition in ``prefer`` that has it (the
        standards a city reports)."""
        if ref in self.indicators:
            return self.indicators[ref]
        matches = [
            i for i in self.indicators.values() if i.id == ref and edition in (None, i.edition)
        ]
        preferred = [i for e in prefer for i in matches if i.edition == e]
        if len(matches) == 1 or preferred:
            return (preferred or matches)[0]
        if not matches:
            raise KeyError(f"no indicator {ref!r}" + (f" in edition {edition}" if edition else ""))
        raise KeyError(f"{ref!r} is in several editions; give the uid, e.g. {matches[0].uid}")

    @cached_property
    def theme_names(self) -> dict[tuple[str, int | str], Text]:
        out: dict[tuple[str, int | str], Text] = {}
        for ed in self.editions.values():
            out.update({(ed.id, t.number): t.name for t in ed.themes})
            out.update({(ed.id, c.id): c.name for c in ed.profile_categories})
        return out


def natural_key(indicator_id: str) -> tuple:
    """``5.2`` before ``5.9.1`` before ``5.10``; profile ids after the numbered themes."""
    if re.fullmatch(r"\d+(?:\.\d+){1,2}", indicator_id):
        parts = [int(x) for x in indicator_id.split(".")]
        return (0, *parts, *[0] * (3 - len(parts)), "")
    return (1, 0, 0, 0, indicator_id)


class _Collector:
    """The problems of one load, and the files read so far."""

    def __init__(self, root: Path):
        self.root = root
        self.problems: list[Problem] = []

    def shown(self, path: Path) -> str:
        try:
            return path.relative_to(self.root.parent).as_posix()
        except ValueError:
            return path.as_posix()

    def read(self, path: Path) -> YamlFile | None:
        f = YamlFile(path, self.shown(path), self.problems)
        return f if f.load() else None

    def file_problem(self, shown: str, rule: str, message: dict) -> None:
        """Record a problem of a whole file; ``message`` is a :func:`pipeline.i18n.msg`."""
        self.problems.append(Problem(file=shown, rule=rule, **message))


# --- the loader ------------------------------------------------------------------------------


def load_catalogue(root: Path = DEFAULT_ROOT) -> Catalogue:
    """Read and check every definition under ``root``; raise :class:`ProblemsFound` listing all
    problems if anything is wrong."""
    root = Path(root)
    c = _Collector(root)
    if not root.is_dir():
        raise ProblemsFound([Problem(file=str(root), rule="missing_folder", **msg(N_("catalogue folder not found")))], "catalogue")

    found = walk(root, "catalogue folder")  # what is read here is what the build hashes and archives
    return cached(root, found, lambda: _load(root, c, found))


def _load(root: Path, c: _Collector, found: Walk) -> Catalogue:
    c.problems += [p.model_copy(update={"file": c.shown(root / p.file)}) for p in found.problems]
    providers = _registry(c, root / PROVIDERS_FILE, ProviderRegistry, "providers")
    variables = _registry(c, root / VARIABLES_FILE, VariableRegistry, "variables")
    var_reads: dict[str, tuple[YamlFile, int]] = {}
    if variables is not None:
        read, reg = variables
        for n, v in enumerate(reg.variables):
            if v.id in var_reads:
                read.add("duplicate_id", msg(N_("variable {variable} is declared twice"), variable=repr(v.id)), ("variables", n, "id"), v.id)
            var_reads[v.id] = (read, n)
    provider_ids = {p.id for p in providers[1].providers} if providers else set()
    var_by_id = {v.id: v for v in variables[1].variables} if variables else {}
    if variables is not None:
        read, reg = variables
        for n, v in enumerate(reg.variables):
            if providers is not None and v.provider not in provider_ids:
                read.add("unknown_provider", msg(N_("provider {provider} is not in {file}"), provider=repr(v.provider), file=PROVIDERS_FILE), ("variables", n, "provider"), v.provider)
            if v.not_above is not None and v.not_above not in var_by_id:
                read.add("unknown_variable", msg(N_("not_above names unknown variable {variable}"), variable=repr(v.not_above)), ("variables", n, "not_above"), v.not_above)
            if v.integer and v.kind is not VariableKind.count:
                read.add("integer_not_count", msg(N_("only count variables can be integer")), ("variables", n, "integer"))
            whole = var_by_id.get(v.not_above or "")
            if whole is not None and (whole.unit, whole.kind) != (v.unit, v.kind):
                read.add("not_above_mismatch", msg(N_("{part} ({part_unit}, {part_kind}) cannot be a part of {whole} ({whole_unit}, {whole_kind}): unit and kind must agree"),
                                    part=v.id, part_unit=v.unit, part_kind=v.kind.value, whole=whole.id, whole_unit=whole.unit,
                                    whole_kind=whole.kind.value), ("variables", n, "not_above"), v.not_above)
            seen_chain, cur = {v.id}, whole
            while cur is not None and cur.id not in seen_chain:
                seen_chain.add(cur.id)
                cur = var_by_id.get(cur.not_above or "")
            if cur is not None and cur.id == v.id:
                read.add("not_above_cycle", msg(N_("not_above of {variable} leads back to itself"), variable=v.id), ("variables", n, "not_above"), v.not_above)

    editions: dict[str, Edition] = {}
    files: dict[str, Path] = {}
    indicators: list[tuple[YamlFile, Indicator]] = []
    compilable: list[tuple[YamlFile, Indicator]] = []
    for ed_dir in sorted(p for p in root.iterdir() if p.is_dir() and p.name not in (SOURCES_DIR, CROSSWALKS_DIR)
                         and not p.name.startswith(".") and p.resolve().is_relative_to(root.resolve())):
        ed_file = ed_dir / EDITION_FILE
        if not ed_file.is_file():
            c.file_problem(c.shown(ed_dir), "missing_edition_file", msg(N_("an edition folder needs {file}"), file=EDITION_FILE))
            continue
        read = c.read(ed_file)
        edition = read.model(Edition) if read else None
        if edition is None:
            continue
        if edition.id != ed_dir.name:
            read.add("edition_folder_mismatch", msg(N_("edition id {edition} differs from its folder name {folder}"),
                                                         edition=repr(edition.id), folder=repr(ed_dir.name)), ("id",), edition.id)
        editions[edition.id] = edition
        files[edition.id] = ed_file
        for path in found.files:
            if path == ed_file or not path.is_relative_to(ed_dir) or path.suffix.lower() not in (".yaml", ".yml"):
                continue
            read = c.read(path)
            ind = read.model(Indicator) if read else None
            if ind is None:
                continue
            before = len(c.problems)
            _check_indicator(c, read, ind, edition, var_by_id if variables else None)
            indicators.append((read, ind))
            if len(c.problems) == before:
                compilable.append((read, ind))

    seen: dict[str, YamlFile] = {}
    for read, ind in indicators:
        if ind.uid in seen:
            read.add("duplicate_id", msg(N_("indicator {indicator} is also defined in {first_file}"), indicator=ind.uid,
                                          first_file=seen[ind.uid].shown), ("id",), ind.id)
        seen[ind.uid] = read
        files[ind.uid] = read.path
    _check_groups(c, indicators)
    _check_compiles(c, compilable, var_by_id)
    sources, source_problems = load_source_mappings(root, var_by_id)
    c.problems += source_problems
    crosswalks, crosswalk_problems = load_crosswalks(root, editions, {ind.uid: ind for _, ind in indicators})
    c.problems += crosswalk_problems
    defaults = [e.id for e in editions.values() if e.default]
    if len(defaults) > 1:
        for e in defaults[1:]:
            c.file_problem(c.shown(files[e]), "two_default_editions",
                           msg(N_("{edition} is marked default, and so is {first}; mark one edition default"), edition=e, first=defaults[0]))
    if c.problems:
        raise ProblemsFound(c.problems, "catalogue")

    category_order = {(e.id, p.id): n for e in editions.values() for n, p in enumerate(e.profile_categories)}
    ordered = sorted((ind for _, ind in indicators),
                     key=lambda i: (i.edition, category_order.get((i.edition, i.theme), -1), natural_key(i.id)))
    return Catalogue(
        root=root,
        editions=editions,
        providers={p.id: p for p in providers[1].providers},
        variables=var_by_id,
        indicators={i.uid: i for i in ordered},
        files=files,
        sources=sources,
        crosswalks=crosswalks,
    )


_MISSING_REGISTRY = {
    "providers": N_("the providers registry {file} is missing"),
    "variables": N_("the variables registry {file} is missing"),
}


def _registry(c: _Collector, path: Path, cls: type[BaseModel], what: str):
    if not path.is_file():
        c.file_problem(c.shown(path), "missing_file", msg(_MISSING_REGISTRY[what], file=path.name))
        return None
    read = c.read(path)
    reg = read.model(cls) if read else None
    return (read, reg) if reg is not None else None


_UNIT_MULTIPLIERS = [
    (re.compile(r"per 100 000"), 100_000),
    (re.compile(r"per 1 000\b"), 1000),
    (re.compile(r"per 100\b(?! 000)"), 100),
    (re.compile(r"^%|% of|^percent"), 100),
]


def _check_indicator(c: _Collector, read: YamlFile, ind: Indicator, edition: Edition, variables: dict[str, Variable] | None) -> None:
    if read.path.stem != ind.id:
        read.add("file_name_mismatch", msg(N_("the file of indicator {indicator} must be named {indicator}.yaml"), indicator=ind.id), ("id",), ind.id)
    if ind.edition != edition.id:
        read.add("edition_mismatch", msg(N_("indicator says edition {edition} but lies in the folder of {folder}"),
                                             edition=repr(ind.edition), folder=repr(edition.id)), ("edition",), ind.edition)
    if ind.tier is Tier.profile and isinstance(ind.theme, str):
        category = next((p for p in edition.profile_categories if p.id == ind.theme), None)
        if category is None:
            read.add("unknown_theme", msg(N_("profile category {theme} is not declared in {file}"), theme=repr(ind.theme), file=EDITION_FILE), ("theme",), ind.theme)
        elif ind.id.count("-") == 2 and ind.id.split("-")[1] != category.code:
            read.add("theme_id_mismatch", msg(N_("profile id {indicator} says category {code}, but {category} has code {category_code}"),
                                                 indicator=ind.id, code=ind.id.split("-")[1], category=category.id,
                                                 category_code=category.code), ("theme",), ind.theme)
    elif ind.theme not in {t.number for t in edition.themes}:
        read.add("unknown_theme", msg(N_("theme {theme} is not among the themes of {edition}"), theme=repr(ind.theme), edition=edition.id), ("theme",), ind.theme)
    elif ind.id.split(".")[0] != str(ind.theme):
        read.add("theme_id_mismatch", msg(N_("indicator {indicator} must belong to theme {theme}"), indicator=ind.id, theme=ind.id.split(".")[0]), ("theme",), ind.theme)

    calc = ind.calculation
    try:
        used = ind.variables
    except FormulaError as e:
        read.add("formula_not_allowed", e.message, ("calculation", "expression"), getattr(calc, "expression", None))
        return
    if variables is not None:
        fields = {"ratio": ("numerator", "denominator"), "direct": ("variable",)}.get(calc.kind, ("expression",))
        for var in used:
            where = next((f for f in fields if getattr(calc, f) == var), fields[0])
            if var not in variables:
                read.add("unknown_variable", msg(N_("variable {variable} is not declared in {file}"), variable=repr(var), file=VARIABLES_FILE), ("calculation", where), var)
            elif variables[var].kind is VariableKind.text and calc.kind != "direct":
                read.add("text_in_arithmetic", msg(N_("text variable {variable} can only be reported directly"), variable=repr(var)), ("calculation", where), var)
        for f in ("numerator", "denominator"):
            ref = getattr(calc, f, None)
            if calc.kind == "expression" and ref is not None and ref not in used:
                read.add("unknown_variable", msg(N_("{field} {variable} is not used by the expression"), field=f, variable=repr(ref)), ("calculation", f), ref)

    unit = ind.unit.en
    expected = next((m for rx, m in _UNIT_MULTIPLIERS if rx.search(unit)), None)
    if calc.kind == "ratio":
        if expected is not None and calc.multiplier != expected:
            read.add("unit_multiplier_mismatch", msg(N_("unit {unit} needs multiplier {expected}, not {multiplier}"), unit=repr(unit),
                                                         expected=expected, multiplier=calc.multiplier), ("calculation", "multiplier"), calc.multiplier)
        if expected is None and calc.multiplier != 1:
            read.add("unit_multiplier_mismatch", msg(N_("unit {unit} names no scale, so the multiplier must be 1, not {multiplier}"),
                                                         unit=repr(unit), multiplier=calc.multiplier), ("calculation", "multiplier"), calc.multiplier)
        if re.search(r"per capita", unit) and calc.denominator != POPULATION:
            read.add("unit_denominator_mismatch", msg(N_("a per-capita unit needs denominator {denominator}"), denominator=repr(POPULATION)), ("calculation", "denominator"), calc.denominator)
        if re.search(r"per 100 000 (population|inhabitants)", unit) and calc.denominator != POPULATION:
            read.add("unit_denominator_mismatch", msg(N_("unit {unit} needs denominator {denominator}"), unit=repr(unit),
                                                          denominator=repr(POPULATION)), ("calculation", "denominator"), calc.denominator)
    kinds = [k.kind for k in ind.checks]
    for n, k in enumerate(ind.checks):
        if kinds.index(k.kind) != n and k.kind != "parts_sum":
            read.add("check_repeated", msg(N_("a second {kind} check; give each kind once per indicator"), kind=k.kind), ("checks", n, "kind"), k.kind)
        if k.kind == "share_bounds" and not (calc.kind == "ratio" and unit.startswith("%")):
            read.add("share_bounds_not_a_share", msg(N_("share_bounds needs a ratio whose unit is a percentage")), ("checks", n, "kind"), k.kind)
    if calc.kind != "direct" and ind.decimals < 2 and ind.decimals_reason is None:
        read.add("decimals_without_reason", msg(N_("a computed value keeps at least 2 decimals; {decimals} needs a decimals_reason"),
                                                       decimals=ind.decimals), ("decimals",), ind.decimals)
    if variables is not None and any(variables[v].kind is VariableKind.text for v in used if v in variables) and ind.checks:
        read.add("checks_on_text", msg(N_("a text value cannot be checked against ranges or changes; remove the checks")), ("checks",))


def _check_groups(c: _Collector, indicators: list[tuple[YamlFile, Indicator]]) -> None:
    groups: dict[tuple[str, str], list[tuple[YamlFile, int]]] = defaultdict(list)
    for read, ind in indicators:
        for n, chk in enumerate(ind.checks):
            if chk.kind == "parts_sum":
                groups[(ind.edition, chk.group)].append((read, n))
    by_read = {id(read): ind for read, ind in indicators}
    for (_, group), members in groups.items():
        if len(members) < 2:
            read, n = members[0]
            read.add("parts_sum_single", msg(N_("parts_sum group {group} has only this indicator; parts need at least two members"),
                                                   group=repr(group)), ("checks", n, "group"), group)
            continue
        first = by_read[id(members[0][0])]
        for read, n in members:
            ind, chk = by_read[id(read)], by_read[id(read)].checks[n]
            calc, ref = ind.calculation, first.calculation
            if not isinstance(calc, Ratio) or not isinstance(ref, Ratio) or calc.denominator != ref.denominator or calc.multiplier != chk.total:
                read.add("parts_sum_mismatch", msg(N_("the parts of {group} must be ratios over one denominator ({denominator}) with multiplier equal to the total {total}"),
                                                         group=repr(group), denominator=getattr(ref, "denominator", "?"), total=chk.total), ("checks", n, "group"), group)


def _check_compiles(c: _Collector, indicators: Iterable[tuple[YamlFile, Indicator]], variables: dict[str, Variable]) -> None:
    """Every calculation (of an otherwise valid definition) must compile in DuckDB against a table
    of the declared variables."""
    import duckdb

    from pipeline.catalogue.formula import render

    numeric = sorted(v.id for v in variables.values() if v.kind is not VariableKind.text)
    text = sorted(v.id for v in variables.values() if v.kind is VariableKind.text)
    con = duckdb.connect(":memory:")
    cols = [f'"{v}" DECIMAL(38, 10)' for v in numeric] + [f'"{v}" VARCHAR' for v in text]
    con.execute(f"CREATE TABLE cur ({', '.join(cols) or 'x INT'})")
    con.execute("CREATE TABLE prev AS SELECT * FROM cur")
    for read, ind in indicators:
        try:
            sql = render(indicator_formula(ind), lambda v: f'cur."{v}"', lambda v: f'prev."{v}"')
            con.execute(f"SELECT {sql} FROM cur, prev LIMIT 0")
        except duckdb.Error as e:
            read.add("formula_does_not_compile", msg(N_("DuckDB cannot compile the calculation: {detail}"), detail=str(e).splitlines()[0]), ("calculation",))
        except RecursionError:
            read.add("formula_does_not_compile", msg(N_("the calculation is nested too deeply to compile; split it")), ("calculation",))
    con.close()


__all__ = ["Catalogue", "load_catalogue", "natural_key"]
