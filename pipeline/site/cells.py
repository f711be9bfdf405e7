"""The cells of a city page's two big tables, written by DuckDB: a value or an input figure per
year, as HTML, in every language of the site at once.

A national release has millions of such cells (2,500 cities × hundreds of indicators and inputs
× ten years × languages); DuckDB writes them set-wise, and Python only puts a name before each
row. The SQL below is assembled from constant pieces: the words of each language (statuses,
flags) and the ids of the catalogue reach it as parameters only.

Numbers are written the way :func:`pipeline.site.data.local` (and the dossier) writes them:
``1,234.5`` in English and any language but Polish; ``1234,5`` and ``12 345,5`` (no-break
space, from five digits) in Polish; a minus sign ``−``.
"""

from __future__ import annotations

from markupsafe import escape

from pipeline.dossier import i18n

MARKS = {"estimated": "e", "provisional": "p", "revised": "r", "break": "b", "confidential": "c"}
"""The letter after a figure for its status or flag (the legend of each table names them)."""
NBSP = "\u00a0"


def _escaped(expr: str) -> str:
    """SQL: text made safe inside HTML (text and attribute values)."""
    out = expr
    for raw, ent in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&#34;"), ("''", "&#39;")):
        out = f"replace({out}, '{raw}', '{ent}')"
    return out


def number_parts(fx: str) -> str:
    """SQL select list: the parts of the plain number text ``fx`` (``-1234.50``) that every
    language writes (``n_neg``, ``n_whole``, ``n_grouped`` with commas, ``n_frac``), made once
    per value rather than once per language."""
    whole = f"split_part(ltrim({fx}, '-'), '.', 1)"
    return (f"starts_with({fx}, '-') AS n_neg, {whole} AS n_whole, "
            f"CASE WHEN length({whole}) <= 3 THEN {whole} WHEN length({whole}) <= 18 THEN format('{{:,}}', {whole}::BIGINT) "
            f"ELSE format('{{:,}}', {whole}::HUGEINT) END AS n_grouped, split_part({fx}, '.', 2) AS n_frac")


def _number(row: str, lang: str) -> str:
    """SQL: the number whose :func:`number_parts` are columns of ``row`` as ``lang`` writes it."""
    if lang == "pl":
        grouped = f"CASE WHEN length({row}.n_whole) > 4 THEN replace({row}.n_grouped, ',', '{NBSP}') ELSE {row}.n_whole END"
        point = ","
    else:
        grouped, point = f"{row}.n_grouped", "."
    return (f"(CASE WHEN {row}.n_neg THEN '−' ELSE '' END || {grouped} || "
            f"CASE WHEN {row}.n_frac = '' THEN '' ELSE '{point}' || {row}.n_frac END)")


def _lookup(name: str, key: str) -> str:
    """SQL: the word for ``key`` in the parameter map ``name`` (two lists, keys and words)."""
    return f"MAP(${name}_k::VARCHAR[], ${name}_v::VARCHAR[])[{key}]"


def _mark(flag: str, n: int) -> str:
    """SQL: the mark of ``flag`` (a status or flag) with its word in language ``n`` as a tooltip."""
    return (f"CASE WHEN {_lookup('marks', flag)} IS NULL THEN '' ELSE '<sup class=\"mark\" title=\"' || "
            f"{_lookup(f'flags_{n}', flag)} || '\">' || {_lookup('marks', flag)} || '</sup>' END")


def _status_word(status: str, n: int) -> str:
    """SQL: a status (of a value or of an input figure) in language ``n``."""
    return f"coalesce({_lookup(f'status_{n}', status)}, {_lookup(f'flags_{n}', status)}, {_escaped(status)})"


def _words(langs: list[str]) -> dict[str, object]:
    params: dict[str, object] = {"marks_k": list(MARKS), "marks_v": list(MARKS.values())}
    for n, lang in enumerate(langs):
        words = i18n.enums(lang)
        for kind, name in (("status", f"status_{n}"), ("flag", f"flags_{n}")):
            keys = sorted(set(i18n.ENUMS[kind]) | (set(MARKS) if kind == "flag" else set()))
            params[f"{name}_k"] = keys
            params[f"{name}_v"] = [str(escape(words[kind][k])) for k in keys]
    return params


def value_cells_sql(langs: list[str]) -> tuple[str, dict[str, object]]:
    """SQL and parameters (but ``first`` and ``last``, the batch's city codes): per city, standard
    and indicator, the cells of its row (one column per language, ``cells_<n>``), a cell for each
    year of the city's page (:data:`PAGE_YEARS`)."""
    cells = []
    for n, lang in enumerate(langs):
        cell = f"""CASE WHEN r.status IS NULL THEN '<td class="num muted">·</td>'
                        WHEN r.value_text IS NOT NULL THEN '<td>' || {_escaped('r.value_text')} || '</td>'
                        WHEN r.fx IS NOT NULL THEN '<td class="num" data-value="' || r.fx || '">' || {_number('r', lang)}
                             || array_to_string(list_transform(r.flags, lambda f: {_mark('f', n)}), '') || '</td>'
                        ELSE '<td class="num muted" title="' || {_status_word('r.status', n)} || '">—</td>' END"""
        cells.append(f"string_agg({cell}, '' ORDER BY g.year) AS cells_{n}")
    sql = f"""
WITH {BATCH_TABLES},
page_years AS ({PAGE_YEARS}),
rows AS (SELECT DISTINCT city_code, edition, indicator_uid FROM res),
r AS (SELECT *, {number_parts('fx')}
      FROM (SELECT city_code, indicator_uid, year, status, value_text, coalesce(flags, []) AS flags,
                   CASE WHEN value IS NULL THEN NULL WHEN decimals > 0 THEN left(t, strpos(t, '.') + decimals)
                        ELSE split_part(t, '.', 1) END AS fx
            FROM (SELECT *, CAST(value AS VARCHAR) AS t FROM res)))
SELECT k.city_code, k.edition, k.indicator_uid, {', '.join(cells)}
FROM rows k JOIN page_years g USING (city_code)
LEFT JOIN r ON r.city_code = k.city_code AND r.indicator_uid = k.indicator_uid AND r.year = g.year
GROUP BY ALL
ORDER BY k.city_code, k.edition, k.indicator_uid
"""
    return sql, _words(langs)


def input_cells_sql(langs: list[str]) -> tuple[str, dict[str, object]]:
    """SQL and parameters (but ``first`` and ``last``): per city and input variable, its unit, the
    end of its row (its sources and the numbers of its files on the city's page, linked) and the
    cells of its row (one column per language, ``cells_<n>``)."""
    cells = []
    for n, lang in enumerate(langs):
        cell = f"""CASE WHEN o.row IS NULL THEN '<td class="num muted">·</td>'
                        WHEN o.value_text IS NOT NULL THEN '<td class="small">' || {_escaped('o.value_text')} || '</td>'
                        WHEN o.fx IS NOT NULL THEN '<td class="num">' || {_number('o', lang)}
                             || {_mark("coalesce(o.status, '')", n)} || '</td>'
                        ELSE '<td class="num muted" title="' || {_status_word("coalesce(o.status, '')", n)} || '">—</td>' END"""
        cells.append(f"string_agg({cell}, '' ORDER BY g.year) AS cells_{n}")
    sql = f"""
WITH {BATCH_TABLES},
page_years AS ({PAGE_YEARS}),
files AS (SELECT city_code, file_id, row_number() OVER (PARTITION BY city_code ORDER BY file_id) AS n
          FROM (SELECT DISTINCT city_code, file_id FROM obs)),
rows AS (SELECT o.city_code, o.variable, any_value(o.unit) AS unit,
                string_agg(DISTINCT o.source_id, ', ' ORDER BY o.source_id) AS sources,
                list(DISTINCT f.n ORDER BY f.n) AS files
         FROM obs o JOIN files f USING (city_code, file_id) GROUP BY ALL),
o AS (SELECT *, {number_parts('fx')}
      FROM (SELECT city_code, variable, year, row, value_text, status,
                   CASE WHEN contains(CAST(value AS VARCHAR), '.') THEN rtrim(rtrim(CAST(value AS VARCHAR), '0'), '.')
                        ELSE CAST(value AS VARCHAR) END AS fx
            FROM obs))
SELECT k.city_code, k.variable, k.unit,
       '<td class="small">' || {_escaped("coalesce(k.sources, '')")} || '</td><td class="small">'
       || array_to_string(list_transform(k.files, lambda f: '<a href="#file-' || f || '">[' || f || ']</a>'), '')
       || '</td></tr>' AS tail, {', '.join(cells)}
FROM rows k JOIN page_years g USING (city_code)
LEFT JOIN o ON o.city_code = k.city_code AND o.variable = k.variable AND o.year = g.year
GROUP BY ALL
ORDER BY k.city_code, k.variable
"""
    return sql, _words(langs)


BATCH_TABLES = """res AS (SELECT * FROM results WHERE city_code BETWEEN $first AND $last),
obs AS (SELECT * FROM observations WHERE city_code BETWEEN $first AND $last)"""
"""The values and inputs of a batch of cities (codes ``$first`` to ``$last``): the cells are written
a batch at a time, so that memory does not grow with the number of cities."""
PAGE_YEARS = "SELECT DISTINCT city_code, year FROM res UNION SELECT DISTINCT city_code, year FROM obs"
"""The columns of a city's page: every year it has a value or an input in."""
