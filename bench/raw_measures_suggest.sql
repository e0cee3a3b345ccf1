-- Hand-written plan suggestion (bench/bench_measures_suggest.py): the 20 columns of
-- fupin.policy.measures.suggestions_wide for the poor and returned households of a division,
-- written as one would by hand for the registry tables (whose codes are validated on the way
-- in: a labour capacity is a code or '', never padded with spaces; school status, health and
-- migrant work are never NULL). Placeholders: {year}; {division_filter} (empty for the whole
-- registry, else "AND village_id BETWEEN '<code>' AND '<code padded with 9>'"); {birth_year}
-- (the year of m.birth_date in the engine's dialect). Portable between SQLite and DuckDB.

-- name: suggest
WITH h AS (
    SELECT id, village_id, main_cause, other_cause_1, other_cause_2, relocated
    FROM registry_household
    WHERE status IN ('poor', 'returned') {division_filter}
),
p AS (
    SELECT
        m.household_id AS hid,
        {year} - {birth_year} AS age,
        m.health,
        m.basic_medical,
        m.school_status,
        m.school_exempt_physical,
        m.migrant_work,
        COALESCE(m.labour_capacity, '') AS cap,
        CASE WHEN m.school_status IS NOT NULL
              AND m.school_status NOT IN ('not_in_school', '') THEN 1 ELSE 0 END AS in_school
    FROM registry_member AS m
    JOIN h ON h.id = m.household_id
),
agg AS (
    SELECT
        hid,
        MAX(CASE WHEN health = 'serious' THEN 1 ELSE 0 END) AS serious,
        MAX(CASE WHEN health = 'chronic' THEN 1 ELSE 0 END) AS chronic,
        MAX(CASE WHEN health = 'disabled' THEN 1 ELSE 0 END) AS disabled,
        MAX(CASE WHEN basic_medical THEN 0 ELSE 1 END) AS no_insurance,
        MAX(in_school) AS students,
        MAX(CASE WHEN school_status IN ('vocational_secondary', 'vocational_higher')
                 THEN 1 ELSE 0 END) AS vocational,
        MAX(CASE WHEN age BETWEEN 6 AND 15 AND in_school = 0
                  AND NOT COALESCE(school_exempt_physical, FALSE) THEN 1 ELSE 0 END) AS dropout,
        MAX(CASE WHEN cap IN ('ordinary', 'skilled') THEN 1 ELSE 0 END) AS full_labour,
        MAX(CASE WHEN cap IN ('ordinary', 'skilled') AND age BETWEEN 18 AND 65
                 THEN 1 ELSE 0 END) AS borrower,
        MAX(CASE WHEN cap = 'weak' THEN 1 ELSE 0 END) AS weak,
        MAX(CASE WHEN cap <> '' THEN 1 ELSE 0 END) AS recorded,
        MAX(CASE WHEN cap NOT IN ('', 'lost', 'none') THEN 1 ELSE 0 END) AS able,
        MAX(CASE WHEN cap IN ('ordinary', 'skilled') AND migrant_work = 'none'
                  AND age BETWEEN 16 AND 59 THEN 1 ELSE 0 END) AS idle
    FROM p
    GROUP BY hid
),
f AS (
    SELECT
        h.id AS household_id,
        h.village_id,
        COALESCE(a.serious, 0) AS serious,
        COALESCE(a.chronic, 0) AS chronic,
        COALESCE(a.disabled, 0) AS disabled,
        COALESCE(a.no_insurance, 0) AS no_insurance,
        COALESCE(a.students, 0) AS students,
        COALESCE(a.vocational, 0) AS vocational,
        COALESCE(a.dropout, 0) AS dropout,
        COALESCE(a.full_labour, 0) AS full_labour,
        COALESCE(a.borrower, 0) AS borrower,
        COALESCE(a.weak, 0) AS weak,
        COALESCE(a.recorded, 0) AS recorded,
        COALESCE(a.able, 0) AS able,
        COALESCE(a.idle, 0) AS idle,
        CASE WHEN c.house_grade IN ('C', 'D') THEN 1 ELSE 0 END AS dangerous,
        CASE WHEN c.water_safe = FALSE THEN 1 ELSE 0 END AS unsafe_water,
        CASE WHEN h.relocated THEN 1 ELSE 0 END AS relocated,
        CASE WHEN 'illness' IN (h.main_cause, h.other_cause_1, h.other_cause_2)
             THEN 1 ELSE 0 END AS c_illness,
        CASE WHEN 'disability' IN (h.main_cause, h.other_cause_1, h.other_cause_2)
             THEN 1 ELSE 0 END AS c_disability,
        CASE WHEN 'schooling' IN (h.main_cause, h.other_cause_1, h.other_cause_2)
             THEN 1 ELSE 0 END AS c_schooling,
        CASE WHEN 'disaster' IN (h.main_cause, h.other_cause_1, h.other_cause_2)
             THEN 1 ELSE 0 END AS c_disaster,
        CASE WHEN 'lack_land' IN (h.main_cause, h.other_cause_1, h.other_cause_2)
             THEN 1 ELSE 0 END AS c_land,
        CASE WHEN 'lack_water' IN (h.main_cause, h.other_cause_1, h.other_cause_2)
             THEN 1 ELSE 0 END AS c_water,
        CASE WHEN 'lack_skills' IN (h.main_cause, h.other_cause_1, h.other_cause_2)
             THEN 1 ELSE 0 END AS c_skills,
        CASE WHEN 'lack_labour' IN (h.main_cause, h.other_cause_1, h.other_cause_2)
             THEN 1 ELSE 0 END AS c_labour,
        CASE WHEN 'lack_capital' IN (h.main_cause, h.other_cause_1, h.other_cause_2)
             THEN 1 ELSE 0 END AS c_capital,
        CASE WHEN 'poor_transport' IN (h.main_cause, h.other_cause_1, h.other_cause_2)
             THEN 1 ELSE 0 END AS c_transport,
        CASE WHEN 'lack_motivation' IN (h.main_cause, h.other_cause_1, h.other_cause_2)
             THEN 1 ELSE 0 END AS c_motivation
    FROM h
    LEFT JOIN agg AS a ON a.hid = h.id
    LEFT JOIN registry_livingconditions AS c ON c.household_id = h.id
),
s AS (
    SELECT
        household_id,
        village_id,
        serious AS s_health_serious,
        CASE WHEN c_illness = 1 OR chronic = 1 THEN 1 ELSE 0 END AS s_health_chronic,
        no_insurance AS s_health_insurance,
        CASE WHEN c_disability = 1 OR disabled = 1 THEN 1 ELSE 0 END AS s_disability,
        CASE WHEN recorded = 1 AND able = 0 THEN 1 ELSE 0 END AS s_safety_net,
        CASE WHEN c_schooling = 1 OR students = 1 THEN 1 ELSE 0 END AS s_education,
        vocational AS s_yulu,
        dropout AS s_dropout,
        dangerous AS s_housing,
        CASE WHEN c_water = 1 OR unsafe_water = 1 THEN 1 ELSE 0 END AS s_water,
        c_capital * borrower AS s_microcredit,
        CASE WHEN c_capital + c_land + c_skills > 0 THEN full_labour ELSE 0 END AS s_industry,
        c_skills AS s_training,
        idle AS s_employment,
        c_motivation AS s_motivation,
        weak AS s_public_post,
        c_labour AS s_asset_income,
        CASE WHEN c_transport + c_land > 0 AND relocated = 0 THEN 1 ELSE 0 END AS s_relocation,
        c_land * full_labour AS s_ranger,
        c_disaster AS s_disaster
    FROM f
)
SELECT
    s.*,
    s_health_serious + s_health_chronic + s_health_insurance + s_disability + s_safety_net
    + s_education + s_yulu + s_dropout + s_housing + s_water + s_microcredit + s_industry
    + s_training + s_employment + s_motivation + s_public_post + s_asset_income
    + s_relocation + s_ranger + s_disaster AS suggested
FROM s
