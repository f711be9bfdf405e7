"""A page per indicator across the cities (``site/<lang>/indicators/<edition>/<id>.html``): the
spread of the latest year, the median and quartiles over the years, and a sortable table of every
city with its value, status and flags; the same table as CSV (``site/data/indicators/…csv``).

The indicators come a batch at a time from one ordered scan (:func:`pipeline.site.data.indicators`)
and are written by forked worker processes, as the city pages are."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import duckdb
from markupsafe import Markup, escape

from pipeline.dossier import i18n
from pipeline.i18n import gettext
from pipeline.parallel import in_workers
from pipeline.site import Site
from pipeline.site.charts import distribution_chart, quartile_chart
from pipeline.site.data import IndicatorData, fixed, indicators, local

FLAG = '<span class="badge flag">{}</span> '
BATCH = 10
"""Indicators per batch: a batch holds their values of every city in the latest year."""
CSV_COLUMNS = ("city_code", "city_name", "year", "value", "unit", "status", "flags", "reason_code")


def csv_path(edition: str, indicator_id: str) -> str:
    return f"data/indicators/{edition}/{indicator_id}.csv"


def page_path(edition: str, indicator_id: str) -> str:
    return f"indicators/{edition}/{indicator_id}.html"


def _csv(d: IndicatorData, year: int | None) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for v in d.latest:
        value = v.value_text if v.value_text is not None else ("" if v.value is None else fixed(v.value, v.decimals))
        w.writerow([v.code, v.name_en, year, value, d.indicator.unit.en, v.status, ";".join(v.flags), v.reason_code or ""])
    return buf.getvalue()


def _rows(d: IndicatorData, lang: str) -> Markup:
    """The table of every city, as rows of text (thousands of rows on each of hundreds of pages)."""
    words = i18n.enums(lang)
    status, reason, flag = words["status"], words["reason_code"], words["flag"]
    out = []
    for v in d.latest:
        if v.value_text is not None:
            value = f"<td>{escape(v.value_text)}</td>"
        elif v.value is not None:
            shown = fixed(v.value, v.decimals)
            value = f'<td class="num" data-value="{shown}">{local(shown, lang)}</td>'
        else:
            value = '<td class="num" data-value="">—</td>'
        why = f' <span class="muted small">{escape(reason[v.reason_code])}</span>' if v.reason_code else ""
        out.append(f'<tr><td><a href="../../cities/{escape(v.code)}.html">{escape(v.code)}</a></td>'
                   f"<td>{escape(v.name_pl if lang == 'pl' else v.name_en)}</td>{value}"
                   f'<td><span class="badge {v.status}">{escape(status[v.status])}</span>{why}</td>'
                   f"<td>{''.join(FLAG.format(escape(flag[f])) for f in v.flags)}</td></tr>")
    return Markup("\n".join(out))


def _render(site: Site, batch: list[IndicatorData]) -> list[Path]:
    written = []
    for d in batch:
        ind = d.indicator
        target = site.out / csv_path(ind.edition, ind.id)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_csv(d, site.latest), encoding="utf-8")
        written.append(target)
        numbers = [Decimal(v.value) for v in d.latest if v.status == "reported" and v.value is not None and not d.text]
        decimals = d.years[-1].decimals if d.years else ind.decimals  # as most values are published
        for lang in site.langs:
            _ = gettext(lang)
            name = i18n.name(ind.name, lang)
            spread = distribution_chart(numbers, decimals, lang, _("%(name)s: cities by value in %(year)s") % {"name": name, "year": site.latest},
                                        _("cities")) if numbers else None
            trend = quartile_chart(d.years, decimals, lang, _("%(name)s: median and quartiles by year") % {"name": name}) if d.years else None
            reported = sum(1 for v in d.latest if v.status == "reported")
            written.append(site.page("indicator.html.j2", lang, page_path(ind.edition, ind.id), d=d, ind=ind,
                                     edition=site.catalogue.editions[ind.edition], spread=spread, trend=trend,
                                     reported=reported, decimals=decimals, rows=_rows(d, lang), csv_href="../../../" + csv_path(ind.edition, ind.id),
                                     year=site.latest))
    return written


def write(site: Site, con: duckdb.DuckDBPyConnection) -> list[Path]:
    editions = {c.edition for c in site.comparison.cities}  # the standards the cities report
    wanted = [i for i in site.catalogue.indicators.values() if i.edition in editions]
    return in_workers(((len(b), b) for b in indicators(con, site.catalogue, wanted, site.latest, BATCH)), _render, site,
                      total=len(wanted), batch_size=BATCH, counted=lambda done, n: site.counted("indicators", done, n))
