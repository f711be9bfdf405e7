"""What the bundle says about itself: id, titles, publisher, licence, coverage, dates, version.

Derived from the store, the catalogue and the configuration only, and deterministically: the
release date is configured or taken from the inputs (the latest ``retrieved_on`` of the source
registers), never from the clock, so the same inputs give the same bundle.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date

import duckdb
from pydantic import ValidationError

from pipeline import __version__
from pipeline.catalogue import Catalogue
from pipeline.catalogue.models import Edition, Text
from pipeline.i18n import N_, msg
from pipeline.problems import Problem, ProblemsFound
from pipeline.publish.config import DATASET_ID, ContactPoint, Location, PublishConfig, Publisher, slug


@dataclass(frozen=True)
class City:
    code: str
    name: Text
    country: str
    editions: tuple[str, ...]
    """The standards the city reports, its primary first."""
    fictional: bool
    region: str | None
    location: Location


@dataclass(frozen=True)
class Source:
    organisation: str
    dataset: str
    url: str | None


@dataclass(frozen=True)
class Meta:
    """The dataset-level facts every metadata file is written from."""

    dataset_id: str
    iri: str
    download_base: str
    title: Text
    description: Text
    keywords_en: tuple[str, ...]
    keywords_pl: tuple[str, ...]
    publisher: Publisher
    publisher_iri: str
    contact: ContactPoint
    config: PublishConfig
    cities: tuple[City, ...]
    editions: tuple[Edition, ...]
    first_year: int
    last_year: int
    release_date: date
    release_date_derived: bool
    first_issued: date
    """The date of the first release (``dct:issued``); ``release_date`` is this one's (``dct:modified``)."""
    landing_page: str | None
    version: str
    version_notes: Text
    sources: tuple[Source, ...]
    reported: int
    values: int

    @property
    def created(self) -> str:
        """RFC 3339 date-time of the release (midnight UTC of the release date)."""
        return f"{self.release_date.isoformat()}T00:00:00Z"

    def url(self, filename: str) -> str:
        return self.download_base + filename

    def standard_iri(self, edition: str) -> str:
        return self.config.standards.get(edition) or f"{self.iri}#standard-{slug(edition)}"


def dataset_metadata(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, config: PublishConfig,
                     config_file: str = "config/publish.yaml") -> Meta:
    """Collect the dataset-level facts; raises :class:`ProblemsFound` if the configuration lacks what is needed."""
    problems: list[Problem] = []
    cities, facts = _cities(con, config)
    dataset_id = _dataset_id(cities, config, config_file, problems)
    publisher, contact = _publisher_and_contact(con, cities, facts, config, config_file, problems)
    if problems:
        raise ProblemsFound(problems, "publish configuration")
    assert publisher is not None and contact is not None and dataset_id is not None

    editions = tuple(catalogue.editions[e] for e in sorted({e for c in cities for e in c.editions}) if e in catalogue.editions)
    first, last = con.execute("SELECT min(year), max(year) FROM results").fetchall()[0]
    reported, values = con.execute("SELECT count(*) FILTER (WHERE status = 'reported'), count(*) FROM results").fetchall()[0]
    # Dates and version: configured, or derived from the inputs (never the clock).
    latest = con.execute(f"SELECT max(retrieved_on) FROM sources WHERE {PUBLISHED_FOLDERS}").fetchall()[0][0]
    release = config.release_date or latest or date(last + 1, 1, 1)
    first_issued = config.first_issued or release
    if first_issued > release:
        raise ProblemsFound([Problem(file=config_file, field="first_issued", rule="first_issued_after_release",
                                     value=first_issued.isoformat(), **msg(
            N_("the first release ({first_issued}) cannot be later than this release ({release}); give the date the dataset "
               "was first published"), first_issued=first_issued.isoformat(), release=release.isoformat()))],
                            "publish configuration")
    version = config.version or f"{release.year}.{release.month}.{release.day}"
    iri = config.portal_base_url + dataset_id
    title, description = _title_and_description(cities, editions, first, last, config)
    n = len(cities)
    years = f"{first}–{last}" if first != last else str(first)
    retrieved = (latest or release).isoformat()
    notes = config.version_notes or Text(
        en=(f"Release {version} of {release.isoformat()}: the whole series {years} for {n} {'city' if n == 1 else 'cities'}, "
            f"{reported} of {values} indicator values reported; inputs retrieved up to {retrieved}; "
            f"built by iso37120-pipeline {__version__}."),
        pl=(f"Wydanie {version} z {release.isoformat()}: cały szereg {years} dla {n} {_miasta(n)}, podano {reported} z "
            f"{values} wartości wskaźników; dane wejściowe pobrane do {retrieved}; zbudowane przez iso37120-pipeline "
            f"{__version__}."))
    sources = tuple(Source(o, d, u) for o, d, u in con.execute(
        f"""SELECT DISTINCT organisation, dataset, url FROM sources WHERE {PUBLISHED_FOLDERS}
            ORDER BY organisation, dataset, url NULLS FIRST""").fetchall())
    return Meta(dataset_id=dataset_id, iri=iri, download_base=config.download_base_url or iri + "/", title=title,
                description=description,
                keywords_en=_unique([*config.keywords.en, *(c.name.en for c in cities)]),
                keywords_pl=_unique([*config.keywords.pl, *(c.name.pl for c in cities)]),
                publisher=publisher, publisher_iri=publisher.uri or f"{iri}#publisher", contact=contact, config=config,
                cities=cities, editions=editions, first_year=first, last_year=last, release_date=release,
                release_date_derived=config.release_date is None, first_issued=first_issued,
                landing_page=config.landing_page or publisher.homepage, version=version, version_notes=notes,
                sources=sources, reported=reported, values=values)


PUBLISHED_FOLDERS = "folder IN (SELECT folder FROM cities WHERE city_code IN (SELECT city_code FROM results))"


def _cities(con: duckdb.DuckDBPyConnection, config: PublishConfig) -> tuple[tuple[City, ...], dict[str, dict]]:
    """The cities with results, and the other facts of their city.yaml."""
    rows = con.execute("""SELECT city_code, name_en, name_pl, country, editions, facts FROM cities
                          WHERE city_code IN (SELECT city_code FROM results) ORDER BY city_code""").fetchall()
    if not rows:
        raise ProblemsFound([Problem(file="store", rule="nothing_to_publish",
                                     **msg(N_("the store holds no calculated results; run the calculation first")))], "store")
    facts = {code: json.loads(f) if f else {} for code, *_, f in rows}
    cities = tuple(City(code=c, name=Text(en=en, pl=pl), country=country, editions=tuple(ed),
                        fictional=bool(facts[c].get("fictional")), region=facts[c].get("region"),
                        location=config.locations.get(c, Location()))
                   for c, en, pl, country, ed, _ in rows)
    return cities, facts


def dataset_id_required(n_cities: int, config_file: str) -> Problem:
    """The problem of a bundle of several cities without a configured ``dataset_id`` (the build
    raises it before any stage runs, publish again if it gets that far)."""
    return Problem(file=config_file, field="dataset_id", rule="dataset_id_required", **msg(
        N_("the bundle holds {n} cities; give the portal id of the dataset (dataset_id: a slug of at most 36 characters, "
           "lowercase letters, digits and hyphens), so that it stays the same every year"), n=n_cities))


def _dataset_id(cities: tuple[City, ...], config: PublishConfig, config_file: str, problems: list[Problem]) -> str | None:
    """A stable slug: configured, or ``iso37120-<code>`` for one city; several cities need a configured one."""
    dataset_id = config.dataset_id or (f"iso37120-{slug(cities[0].code)}" if len(cities) == 1 else None)
    if dataset_id is None:
        problems.append(dataset_id_required(len(cities), config_file))
    elif not re.fullmatch(DATASET_ID, dataset_id):
        problems.append(Problem(file=config_file, field="dataset_id", rule="dataset_id_invalid", value=dataset_id, **msg(
            N_("the id derived from the city code is not a CKAN-safe slug of at most 36 characters; set dataset_id"))))
    return dataset_id


def _publisher_and_contact(con: duckdb.DuckDBPyConnection, cities: tuple[City, ...], facts: dict[str, dict],
                           config: PublishConfig, config_file: str, problems: list[Problem]
                           ) -> tuple[Publisher | None, ContactPoint | None]:
    """The configuration's, completed and overridden by a single city's ``publisher``, ``website`` and ``contact``."""
    publisher, contact = config.publisher, config.contact
    if len(cities) == 1:
        f = facts[cities[0].code]
        city_file = con.execute("SELECT file_id FROM cities WHERE city_code = ?", [cities[0].code]).fetchall()[0][0]
        if f.get("publisher") or f.get("website"):
            base = publisher.model_dump(exclude_none=True) if publisher else {}
            if f.get("publisher") and f["publisher"] != base.get("name"):  # another organisation: not the configured IRI
                base = {k: v for k, v in base.items() if k not in ("name", "uri")} | {"name": f["publisher"]}
            if f.get("website"):
                base["homepage"] = f["website"]
            try:
                publisher = Publisher.model_validate(base) if "name" in base else publisher
            except ValidationError as e:
                problems.extend(Problem(file=city_file, field="website", rule=f"schema.{err['type']}", value=f.get("website"),
                                        **msg(N_("the open-data record needs the website as an http(s) address")))
                                for err in e.errors())
        if f.get("contact"):
            c = f["contact"]
            contact = ContactPoint(name=c["name"], email=c["email"], url=contact.url if contact else None)
    if publisher is None:
        problems.append(Problem(file=config_file, field="publisher", rule="publisher_required", **msg(
            N_("no publisher: give publisher (name, type, homepage) here, or publisher in the city's city.yaml"))))
    if contact is None:
        problems.append(Problem(file=config_file, field="contact", rule="contact_required", **msg(
            N_("no contact point: give contact (name, email) here, or contact in the city's city.yaml"))))
    return publisher, contact


def _title_and_description(cities: tuple[City, ...], editions: tuple[Edition, ...], first: int, last: int,
                           config: PublishConfig) -> tuple[Text, Text]:
    names_en = ", ".join(c.name.en for c in cities)
    names_pl = ", ".join(c.name.pl for c in cities)
    years = f"{first}–{last}" if first != last else str(first)
    standard = ", ".join(f"{e.standard}:{e.year}" for e in editions) or "ISO 37120"
    fictional = all(c.fictional for c in cities)
    n = len(cities)
    if config.title:
        title = config.title
    elif n > TITLE_NAMES:  # every name would make a title no portal shows whole
        title = Text(en=f"{standard} city indicators of {n} cities, {years}",
                     pl=f"Wskaźniki miejskie {standard} dla {n} {_miasta(n)}, {years}")
    else:
        title = Text(en=f"{standard} city indicators: {names_en}", pl=f"Wskaźniki miejskie {standard}: {names_pl}")
    description = config.description or Text(
        en=(f"Indicators of {standard} (city services and quality of life) for {names_en}, {years}: the whole time "
            "series, republished every year. One row per city, indicator and year with the value, unit, status, "
            "numerator, denominator, flags and sources; a value that is not available is empty and its reason is "
            "given. The input figures (with their file, row and SHA-256) and the source register are included, so "
            "every value can be traced to its inputs." + (" The data are fictional: a sample." if fictional else "")),
        pl=(f"Wskaźniki {standard} (usługi miejskie i jakość życia) dla: {names_pl}, {years}: cały szereg czasowy, "
            "publikowany ponownie co roku. Jeden wiersz na miasto, wskaźnik i rok z wartością, jednostką, statusem, "
            "licznikiem, mianownikiem, flagami i źródłami; wartość niedostępna jest pusta, a jej powód jest podany. "
            "Dołączone są dane wejściowe (z plikiem, wierszem i skrótem SHA-256) oraz rejestr źródeł, aby każdą "
            "wartość można było prześledzić do danych wejściowych." + (" Dane są fikcyjne: przykład." if fictional else "")))
    return title, description


TITLE_NAMES = 3
"""The generated title names the cities up to this many, and gives their number beyond."""


def _miasta(n: int) -> str:
    """The Polish plural of "miasto" after a number."""
    if n == 1:
        return "miasta"  # "dla 1 miasta" (genitive singular)
    return "miast"        # "dla 2 miast", "dla 5 miast" (genitive plural)


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(sorted({i.strip() for i in items if i.strip()}))
