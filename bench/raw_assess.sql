-- Hand-written SQL for the household standard (household-standard@2016.1), the floor the
-- benchmarks compare the system's Ibis-compiled assessment against. Written by hand on
-- purpose: no Ibis, no generated SQL. Each section starts with "-- name: <key>"; the
-- benchmark fills {placeholders} with str.format:
--   {path}        the flat Parquet file            {year}      assessment year (2016)
--   {line}        poverty line, yuan (2952)        {division}  division-code prefix ('' = all)
--   {born_after}  school age 6–15 on 1 Sept {year} ⇔ born_after < birth date <= born_by
--   {born_by}     (2000-09-01 and 2010-09-01 for 2016)
--
-- Rules (src/fupin/policy/rules/household_2016.py), a NULL fact fails its rule:
--   INCOME_ABOVE_LINE     net income of {year} > line × household size
--   FOOD_SECURE           不愁吃            CLOTHING_SECURE   不愁穿
--   EDUCATION_GUARANTEED  no school-age member 'not_in_school' unless exempt for health
--   MEDICAL_INSURED       every member in basic medical insurance, and ≥ 1 member
--   HOUSING_SAFE          house grade 'safe'   WATER_SAFE        drinking water safe
-- Member-level NULLs follow SQL's three-valued logic, as the system's expressions do: a member
-- whose basic_medical or school_exempt_physical is NULL is not counted as uninsured or out of
-- school (the generator and the importer never leave them NULL). A household is a
-- household_code with a 'head' row (the system takes households from the heads' rows).

-- name: duckdb_flat
-- One DuckDB query over the flat file (one row per person, household facts on every row,
-- read from the head's row) in a single pass: one GROUP BY household_code computes the member
-- counts and picks the head's facts, so no join is needed. Birth dates are compared as the
-- YYYYMMDD text of the ID number (positions 7–14), which orders like the date. Returns the
-- households, those meeting the standard, and per rule the households failing it.
WITH households AS (
    SELECT
        household_code,
        sum(CASE WHEN relation = 'head' THEN 1 ELSE 0 END) AS heads,
        count(*) AS member_count,
        sum(CASE WHEN substr(id_number, 7, 8) > strftime(DATE '{born_after}', '%Y%m%d')
                  AND substr(id_number, 7, 8) <= strftime(DATE '{born_by}', '%Y%m%d')
                  AND school_status = 'not_in_school'
                  AND NOT CAST(school_exempt_physical AS BOOLEAN)
                 THEN 1 ELSE 0 END) AS out_of_school,
        sum(CASE WHEN NOT CAST(basic_medical AS BOOLEAN) THEN 1 ELSE 0 END) AS uninsured,
        bool_or(CASE WHEN relation = 'head' AND CAST(income_year AS INTEGER) = {year} THEN
            coalesce(CAST(wage AS DOUBLE), 0) + coalesce(CAST(operating_income AS DOUBLE), 0)
            + coalesce(CAST(property_dividend AS DOUBLE), 0)
            + coalesce(CAST(property_other AS DOUBLE), 0)
            + coalesce(CAST(transfer_family_planning AS DOUBLE), 0)
            + coalesce(CAST(transfer_dibao AS DOUBLE), 0)
            + coalesce(CAST(transfer_tekun AS DOUBLE), 0)
            + coalesce(CAST(transfer_pension AS DOUBLE), 0)
            + coalesce(CAST(transfer_ecological AS DOUBLE), 0)
            + coalesce(CAST(transfer_other AS DOUBLE), 0)
            - coalesce(CAST(operating_cost AS DOUBLE), 0)
            > {line} * CAST(household_size AS INTEGER)
        END) AS income_ok,
        bool_or(CASE WHEN relation = 'head' THEN CAST(food_secure AS BOOLEAN) END) AS food,
        bool_or(CASE WHEN relation = 'head' THEN CAST(clothing_secure AS BOOLEAN) END)
            AS clothing,
        bool_or(CASE WHEN relation = 'head' THEN house_grade = 'safe' END) AS housing,
        bool_or(CASE WHEN relation = 'head' THEN CAST(water_safe AS BOOLEAN) END) AS water
    FROM read_parquet('{path}')
    WHERE status <> 'removed' AND starts_with(village_code, '{division}')
    GROUP BY household_code
),
flags AS (
    SELECT
        coalesce(income_ok, false) AS ok_income,
        coalesce(food, false) AS ok_food,
        coalesce(clothing, false) AS ok_clothing,
        out_of_school = 0 AS ok_education,
        uninsured = 0 AND member_count > 0 AS ok_medical,
        coalesce(housing, false) AS ok_housing,
        coalesce(water, false) AS ok_water
    FROM households
    WHERE heads > 0
)
SELECT
    count(*) AS households,
    count(*) FILTER (
        WHERE ok_income AND ok_food AND ok_clothing AND ok_education AND ok_medical
          AND ok_housing AND ok_water
    ) AS meets_standard,
    count(*) FILTER (WHERE NOT ok_income) AS "INCOME_ABOVE_LINE",
    count(*) FILTER (WHERE NOT ok_food) AS "FOOD_SECURE",
    count(*) FILTER (WHERE NOT ok_clothing) AS "CLOTHING_SECURE",
    count(*) FILTER (WHERE NOT ok_education) AS "EDUCATION_GUARANTEED",
    count(*) FILTER (WHERE NOT ok_medical) AS "MEDICAL_INSURED",
    count(*) FILTER (WHERE NOT ok_housing) AS "HOUSING_SAFE",
    count(*) FILTER (WHERE NOT ok_water) AS "WATER_SAFE"
FROM flags;

-- name: engine_flags
-- The same logic inside SQLite or PostgreSQL over the registry tables, materialised as one
-- row of rule flags per household into an unindexed table (the system writes one result row
-- per household too). Portable SQL: ISO date strings compare as dates in both engines.
CREATE TABLE raw_assess_flags AS
WITH h AS (
    SELECT id
    FROM registry_household
    WHERE status <> 'removed' AND village_id LIKE '{division}%'
),
m AS (
    SELECT
        household_id,
        COUNT(*) AS member_count,
        SUM(CASE WHEN birth_date > '{born_after}' AND birth_date <= '{born_by}'
                  AND school_status = 'not_in_school' AND NOT school_exempt_physical
                 THEN 1 ELSE 0 END) AS out_of_school,
        SUM(CASE WHEN NOT basic_medical THEN 1 ELSE 0 END) AS uninsured
    FROM registry_member
    GROUP BY household_id
),
i AS (
    SELECT household_id, net_income, household_size
    FROM registry_householdincome
    WHERE year = {year}
)
SELECT
    h.id AS household_id,
    COALESCE(i.net_income > {line} * i.household_size, FALSE) AS ok_income,
    COALESCE(c.food_secure, FALSE) AS ok_food,
    COALESCE(c.clothing_secure, FALSE) AS ok_clothing,
    COALESCE(m.out_of_school, 0) = 0 AS ok_education,
    COALESCE(m.uninsured, 0) = 0 AND COALESCE(m.member_count, 0) > 0 AS ok_medical,
    COALESCE(c.house_grade = 'safe', FALSE) AS ok_housing,
    COALESCE(c.water_safe, FALSE) AS ok_water
FROM h
LEFT JOIN m ON m.household_id = h.id
LEFT JOIN i ON i.household_id = h.id
LEFT JOIN registry_livingconditions c ON c.household_id = h.id;

-- name: engine_counts
-- Counts per rule from the flags table, in the order of duckdb_flat's columns.
SELECT
    COUNT(*),
    SUM(CASE WHEN ok_income AND ok_food AND ok_clothing AND ok_education AND ok_medical
              AND ok_housing AND ok_water THEN 1 ELSE 0 END),
    SUM(CASE WHEN ok_income THEN 0 ELSE 1 END),
    SUM(CASE WHEN ok_food THEN 0 ELSE 1 END),
    SUM(CASE WHEN ok_clothing THEN 0 ELSE 1 END),
    SUM(CASE WHEN ok_education THEN 0 ELSE 1 END),
    SUM(CASE WHEN ok_medical THEN 0 ELSE 1 END),
    SUM(CASE WHEN ok_housing THEN 0 ELSE 1 END),
    SUM(CASE WHEN ok_water THEN 0 ELSE 1 END)
FROM raw_assess_flags;
