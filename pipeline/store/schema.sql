-- The store of one build. Every table is created once; stages fill them in order:
-- ingest (input_files, cities, sources, observations, repairs) -> calculate (results,
-- result_inputs, coverage) -> validate (findings). Keys are what makes a row unique.

CREATE TABLE IF NOT EXISTS input_files (
    file_id     VARCHAR PRIMARY KEY,   -- path relative to the raw root, POSIX separators
    folder      VARCHAR NOT NULL,      -- the submission folder (one city, or many with a city column)
    role        VARCHAR NOT NULL,      -- city | sources | observations | exceptions | other
    bytes       BIGINT  NOT NULL,
    sha256      VARCHAR NOT NULL,
    media_type  VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS cities (
    city_code   VARCHAR PRIMARY KEY,
    name_en     VARCHAR NOT NULL,
    name_pl     VARCHAR NOT NULL,
    country     VARCHAR NOT NULL,      -- ISO 3166-1 alpha-2
    editions    VARCHAR[] NOT NULL,    -- the standards (catalogue editions) the city reports, its primary first
    currency    VARCHAR NOT NULL,      -- ISO 4217 code of LCU amounts
    folder      VARCHAR NOT NULL,
    file_id     VARCHAR NOT NULL,
    facts       JSON                   -- the other facts of city.yaml, as written
);

CREATE TABLE IF NOT EXISTS sources (
    folder        VARCHAR NOT NULL,
    source_id     VARCHAR NOT NULL,
    organisation  VARCHAR NOT NULL,
    dataset       VARCHAR NOT NULL,
    url           VARCHAR,
    retrieved_on  DATE NOT NULL,
    licence       VARCHAR NOT NULL,
    quality_class VARCHAR,
    origin        VARCHAR,
    contact       VARCHAR,
    file_id       VARCHAR NOT NULL,
    row           INTEGER NOT NULL,
    PRIMARY KEY (folder, source_id)
);

CREATE TABLE IF NOT EXISTS observations (
    city_code   VARCHAR NOT NULL,
    year        INTEGER NOT NULL,
    variable    VARCHAR NOT NULL,       -- a registry variable, or an indicator's uid for a value given as reported
    value       DECIMAL(38, 10),        -- NULL when the figure is not available (see status, note)
    value_text  VARCHAR,                -- for text variables only
    unit        VARCHAR NOT NULL,       -- as the registry states it
    source_id   VARCHAR,
    status      VARCHAR,                -- estimated | provisional | revised | break | confidential | not_available
    note        VARCHAR,
    folder      VARCHAR NOT NULL,
    file_id     VARCHAR NOT NULL,
    sheet       VARCHAR,                -- worksheet of an XLSX file
    row         INTEGER NOT NULL,       -- row as a spreadsheet shows it (header = 1)
    raw_value   VARCHAR,                -- the value exactly as written
    decimals    INTEGER                 -- the decimals the value was written with
    -- key (city_code, year, variable): see KEYS in pipeline/store/__init__.py
);

CREATE TABLE IF NOT EXISTS repairs (
    file_id   VARCHAR NOT NULL,
    sheet     VARCHAR,
    row       INTEGER,                  -- NULL for a repair of the whole file (BOM, separator)
    "column"  VARCHAR,
    rule      VARCHAR NOT NULL,         -- e.g. decimal_comma, thousands_separator, bom_removed
    original  VARCHAR,
    repaired  VARCHAR
);

CREATE TABLE IF NOT EXISTS results (
    city_code     VARCHAR NOT NULL,
    indicator_uid VARCHAR NOT NULL,     -- iso37120-2014:5.1
    indicator_id  VARCHAR NOT NULL,     -- 5.1
    edition       VARCHAR NOT NULL,
    year          INTEGER NOT NULL,
    value         DECIMAL(38, 10),      -- as published: rounded to `decimals`
    value_text    VARCHAR,
    value_unrounded DOUBLE,             -- as computed, before rounding
    origin        VARCHAR NOT NULL,     -- computed (from the inputs) | reported (given by the city, not computed)
    unit          VARCHAR NOT NULL,
    numerator     DECIMAL(38, 10),
    denominator   DECIMAL(38, 10),
    multiplier    DECIMAL(38, 10),
    status        VARCHAR NOT NULL,     -- reported | not_available | not_applicable
    decimals      INTEGER NOT NULL,     -- of this value: the definition's, more for a small magnitude, or as written
    reason_code   VARCHAR,              -- missing_input | input_not_available | confidential | not_applicable | zero_denominator | no_finite_value
    reason        VARCHAR,              -- the details of reason_code: the inputs concerned, with their notes
    missing       VARCHAR[],            -- variables that were missing
    flags         VARCHAR[],            -- carried from the inputs: estimated, provisional, break...
    source_ids    VARCHAR[],
    previous_value DECIMAL(38, 10),     -- the value of the year before, if reported
    yoy_change    DECIMAL(38, 10),      -- value - previous_value
    yoy_relative  DOUBLE,               -- (value - previous_value) / |previous_value|
    reported_value DECIMAL(38, 10),     -- the value the city gave as reported, where it did
    reported_decimals INTEGER           -- the decimals it was written with
    -- key (city_code, indicator_uid, year)
);

CREATE TABLE IF NOT EXISTS calculation_keys (  -- every city, year and standard computed
    city_code VARCHAR NOT NULL,
    year      INTEGER NOT NULL,
    edition   VARCHAR NOT NULL,
    PRIMARY KEY (city_code, year, edition)
);

CREATE TABLE IF NOT EXISTS calculations (   -- how each indicator was computed, as run
    indicator_uid VARCHAR PRIMARY KEY,
    edition       VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,     -- ratio | direct | expression
    formula       VARCHAR NOT NULL,     -- the definition's formula over variable ids
    decimals      INTEGER NOT NULL,     -- rounded half away from zero to this many decimals
    sql           VARCHAR NOT NULL      -- the SELECT that produced its rows of results (runs on this store)
);

CREATE TABLE IF NOT EXISTS result_inputs (   -- lineage: which observation fed which value
    city_code     VARCHAR NOT NULL,
    indicator_uid VARCHAR NOT NULL,
    year          INTEGER NOT NULL,
    role          VARCHAR NOT NULL,     -- numerator | denominator | input | previous | reported
    variable      VARCHAR NOT NULL,
    obs_year      INTEGER NOT NULL      -- the year of the observation (year - 1 for previous())
    -- key (city_code, indicator_uid, year, variable, obs_year)
);

-- From each value to the raw file row and its hash, and the source it came from.
CREATE OR REPLACE VIEW lineage AS
SELECT ri.city_code, ri.indicator_uid, ri.year, ri.role, ri.variable, ri.obs_year,
       o.value, o.value_text, o.unit, o.status, o.note, o.raw_value,
       o.file_id, o.sheet, o.row, f.sha256, f.bytes,
       o.source_id, s.organisation, s.dataset, s.url, s.retrieved_on, s.licence, s.quality_class
FROM result_inputs ri
LEFT JOIN observations o ON o.city_code = ri.city_code AND o.year = ri.obs_year AND o.variable = ri.variable
LEFT JOIN input_files f ON f.file_id = o.file_id
LEFT JOIN sources s ON s.folder = o.folder AND s.source_id = o.source_id;

CREATE TABLE IF NOT EXISTS coverage (
    city_code   VARCHAR NOT NULL,
    edition     VARCHAR NOT NULL,
    year        INTEGER NOT NULL,
    theme       VARCHAR NOT NULL,       -- theme number or profile category; '*' for all
    tier        VARCHAR NOT NULL,
    defined     INTEGER NOT NULL,
    reported    INTEGER NOT NULL,
    PRIMARY KEY (city_code, edition, year, theme, tier)
);

CREATE TABLE IF NOT EXISTS certification (
    city_code     VARCHAR NOT NULL,
    edition       VARCHAR NOT NULL,
    year          INTEGER NOT NULL,
    core_reported INTEGER NOT NULL,
    core_defined  INTEGER NOT NULL,
    total_reported INTEGER NOT NULL,    -- core + supporting (every indicator of a standard without tiers)
    total_defined INTEGER NOT NULL,
    level         VARCHAR,              -- NULL when below the lowest level
    PRIMARY KEY (city_code, edition, year)
);

CREATE TABLE IF NOT EXISTS accepted_exceptions (   -- from exceptions.yaml of each folder
    folder      VARCHAR NOT NULL,
    rule_id     VARCHAR NOT NULL,
    city_code   VARCHAR,               -- NULL: every city of the folder
    year        INTEGER,               -- NULL: every year
    variable    VARCHAR,
    accepted_by VARCHAR NOT NULL,
    role        VARCHAR NOT NULL,
    accepted_on DATE NOT NULL,
    reason      VARCHAR NOT NULL,
    file_id     VARCHAR NOT NULL,
    line        INTEGER NOT NULL
);

-- Validation: every rule that ran, and every finding, with its raw place. Written by validate.
CREATE TABLE IF NOT EXISTS rule_runs (
    rule_id     VARCHAR PRIMARY KEY,    -- <test>_<target>[_<column>], e.g. range_result_iso37120-2014:5.1
    test        VARCHAR NOT NULL,       -- what is checked: range, not_negative, parts_sum, yoy_change...
    level       INTEGER NOT NULL,       -- ESS validation level 0-5
    severity    VARCHAR NOT NULL,       -- error | warning | information
    engine      VARCHAR NOT NULL,       -- great_expectations | duckdb
    target      VARCHAR NOT NULL,       -- observations | results
    description VARCHAR NOT NULL,       -- what it checks, in English
    description_id   VARCHAR NOT NULL,  -- its template in the message catalogues (pipeline/locale)
    description_args JSON NOT NULL,     -- the values of the template's {fields}
    checked     BIGINT NOT NULL,        -- rows the rule looked at
    failed      BIGINT NOT NULL         -- findings it raised
);

CREATE TABLE IF NOT EXISTS findings (
    rule_id       VARCHAR NOT NULL,
    test          VARCHAR NOT NULL,
    level         INTEGER NOT NULL,
    severity      VARCHAR NOT NULL,
    city_code     VARCHAR,
    year          INTEGER,
    indicator_uid VARCHAR,
    variable      VARCHAR,
    observed      VARCHAR,              -- the value found
    expected      VARCHAR,              -- what the rule expects
    message       VARCHAR NOT NULL,     -- in English
    message_id    VARCHAR NOT NULL,     -- its template in the message catalogues (pipeline/locale)
    message_args  JSON NOT NULL,        -- the values of the template's {fields}
    file_id       VARCHAR,              -- the raw place behind the finding, where there is one
    sheet         VARCHAR,
    row           INTEGER,
    accepted      BOOLEAN NOT NULL DEFAULT false,
    accepted_by   VARCHAR,
    accepted_role VARCHAR,
    accepted_on   DATE,
    acceptance_reason VARCHAR
);
