-- Hand-written DuckDB SQL for the deep-poverty indicators, the poverty/inequality profile and
-- the MPI: the floor bench/bench_deep_poverty.py compares the system's Ibis definitions
-- against. Written by hand on purpose: no Ibis, no generated SQL. Each section starts with
-- "-- name: <key>"; the benchmark fills {placeholders} with str.format:
--   {path}      the flat Parquet file (one row per person, household facts on every row)
--   {villages}  village facts Parquet (columns of deep_poverty.SCHEMAS["village"])
--   {counties}  county statistics Parquet (columns of deep_poverty.SCHEMAS["county"])
--   {year}      the year (2016)          {digits}  area key length: 6 county, 12 village
--   {line}      national poverty line of {year}, yuan (2952)
--   {born_after} / {born_by}  school age ⇔ born_after < birth date <= born_by (YYYYMMDD)
--   {k_low}     the MPI cutoff k minus the identification tolerance (1/3 − 1e-9)
--
-- Definitions (src/fupin/policy/deep_poverty.py, src/fupin/analysis/deep_poverty.flat_inputs):
-- a household is a household_code with a 'head' row whose status is not 'removed' and whose
-- first_identified_year <= {year}; it is poor when its status is 'poor' or 'returned'; its
-- persons are its rows (members); elderly = {year} − birth year (ID number positions 7–10)
-- >= 60; net income = the ten income items − operating cost (blank items 0) when the head's
-- income_year = {year}, else not recorded; per-capita income = net / household_size when the
-- size > 0. A blank fact (house grade, water, road; village facts) is left out of the share's
-- denominator and counted as unrecorded; a share over a zero (or unknown) denominator is NULL.

-- name: deep_poverty
-- One GROUP BY household_code over the file (persons, elderly, the head's facts), the area
-- aggregate with DuckDB's exact median(), the village facts and their gaps, the county row.
WITH hh AS (
    SELECT
        household_code,
        count(*) FILTER (WHERE relation = 'head') AS heads,
        count(*) AS persons,
        count(*) FILTER (
            WHERE {year} - CAST(substr(id_number, 7, 4) AS INTEGER) >= 60
        ) AS elderly,
        any_value(village_code) FILTER (WHERE relation = 'head') AS village_code,
        any_value(status) FILTER (WHERE relation = 'head') AS status,
        any_value(attribute) FILTER (WHERE relation = 'head') AS attribute,
        any_value(main_cause) FILTER (WHERE relation = 'head') AS main_cause,
        any_value(CASE WHEN income_year = {year} THEN
            coalesce(wage, 0) + coalesce(operating_income, 0) + coalesce(property_dividend, 0)
            + coalesce(property_other, 0) + coalesce(transfer_family_planning, 0)
            + coalesce(transfer_dibao, 0) + coalesce(transfer_tekun, 0)
            + coalesce(transfer_pension, 0) + coalesce(transfer_ecological, 0)
            + coalesce(transfer_other, 0) - coalesce(operating_cost, 0)
        END) FILTER (WHERE relation = 'head') AS net,
        any_value(CASE WHEN income_year = {year} THEN CAST(household_size AS DOUBLE) END)
            FILTER (WHERE relation = 'head') AS size,
        any_value(nullif(trim(house_grade), '')) FILTER (WHERE relation = 'head') AS grade,
        any_value(water_safe) FILTER (WHERE relation = 'head') AS water_safe,
        any_value(nullif(trim(road_type), '')) FILTER (WHERE relation = 'head') AS road
    FROM read_parquet('{path}')
    -- Household facts are on every row: filtering the members by them is the join's effect.
    WHERE status <> 'removed' AND first_identified_year <= {year}
    GROUP BY household_code
),
f AS (
    SELECT
        substr(village_code, 1, {digits}) AS area,
        village_code,
        CASE WHEN status IN ('poor', 'returned') THEN 1 ELSE 0 END AS poor,
        persons,
        elderly,
        net,
        size,
        CASE WHEN size > 0 THEN net / size END AS pc,
        CASE WHEN attribute IN ('dibao', 'tekun') THEN 1 ELSE 0 END AS welfare,
        CASE WHEN main_cause IN ('illness', 'disability') THEN 1 ELSE 0 END AS illness,
        CASE WHEN grade IS NOT NULL THEN CASE WHEN grade IN ('C', 'D') THEN 1 ELSE 0 END END
            AS unsafe_house,
        CASE WHEN water_safe THEN 0 WHEN NOT water_safe THEN 1 END AS unsafe_water,
        CASE WHEN road IS NOT NULL THEN CASE WHEN road IN ('dirt', 'gravel') THEN 1 ELSE 0 END
            END AS unhardened
    FROM hh
    WHERE heads > 0
),
agg AS (
    SELECT
        area,
        count(*) AS households,
        sum(persons) AS persons,
        sum(poor) AS poor_households,
        sum(persons * poor) AS poor_persons,
        sum(net) AS income_sum,
        sum(CASE WHEN net IS NOT NULL THEN size ELSE 0 END) AS income_size,
        count(*) - count(pc) AS income_unrecorded,
        median(pc) AS income_median,
        avg(unsafe_house) AS unsafe_housing_share,
        coalesce(sum(unsafe_house), 0) AS unsafe_housing_households,
        count(unsafe_house) AS housing_recorded,
        count(*) - count(unsafe_house) AS housing_unrecorded,
        avg(unsafe_water) AS no_safe_water_share,
        coalesce(sum(unsafe_water), 0) AS no_safe_water_households,
        count(unsafe_water) AS water_recorded,
        count(*) - count(unsafe_water) AS water_unrecorded,
        avg(unhardened) AS no_hardened_road_share,
        coalesce(sum(unhardened), 0) AS no_hardened_road_households,
        count(unhardened) AS road_recorded,
        count(*) - count(unhardened) AS road_unrecorded,
        sum(persons * poor * welfare) AS welfare_persons,
        sum(persons * poor * illness) AS illness_persons,
        sum(elderly * poor) AS elderly_persons
    FROM f
    GROUP BY area
),
v AS (
    SELECT * FROM read_parquet('{villages}') WHERE year = {year}
),
vf AS (
    SELECT
        substr(village_id, 1, {digits}) AS varea,
        sum(population) AS village_population,
        avg(CASE WHEN road_hardened THEN 0 WHEN NOT road_hardened THEN 1 END)
            AS villages_no_road,
        avg(CASE WHEN power_grid THEN 0 WHEN NOT power_grid THEN 1 END) AS villages_no_power,
        avg(CASE WHEN broadband THEN 0 WHEN NOT broadband THEN 1 END) AS villages_no_broadband,
        avg(CASE WHEN mobile_signal THEN 0 WHEN NOT mobile_signal THEN 1 END)
            AS villages_no_mobile,
        avg(CASE WHEN clinic_qualified_doctor THEN 0 WHEN NOT clinic_qualified_doctor THEN 1
            END) AS villages_no_clinic,
        avg(CASE WHEN cultural_room THEN 0 WHEN NOT cultural_room THEN 1 END)
            AS villages_no_cultural_room,
        -- villages with both counts recorded only
        sum(natural_villages_road) FILTER (
            WHERE natural_villages IS NOT NULL AND natural_villages_road IS NOT NULL
        ) AS nat_road,
        sum(natural_villages) FILTER (
            WHERE natural_villages IS NOT NULL AND natural_villages_road IS NOT NULL
        ) AS nat_all,
        avg(safe_water_share / 100) AS safe_water_coverage,
        avg(collective_income) AS collective_income
    FROM v
    GROUP BY varea
),
gaps AS (
    SELECT area AS uarea, count(*) AS villages_unrecorded
    FROM (SELECT DISTINCT area, village_code FROM f) AS seen
    WHERE NOT EXISTS (SELECT 1 FROM v WHERE v.village_id = seen.village_code)
    GROUP BY area
),
cs AS (
    SELECT substr(county_id, 1, 6) AS carea, rural_disposable_income, rural_population
    FROM read_parquet('{counties}')
    WHERE year = {year}
),
j AS (
    SELECT
        agg.*,
        vf.*,
        coalesce(gaps.villages_unrecorded, 0) AS villages_unrecorded,
        cs.rural_disposable_income,
        CASE WHEN {digits} = 6 THEN cs.rural_population ELSE vf.village_population END
            AS population,
        CASE WHEN agg.income_size > 0 THEN agg.income_sum / agg.income_size END AS income_mean
    FROM agg
    LEFT JOIN vf ON agg.area = vf.varea
    LEFT JOIN gaps ON agg.area = gaps.uarea
    LEFT JOIN cs ON substr(agg.area, 1, 6) = cs.carea
)
SELECT
    area,
    households,
    persons,
    poor_households,
    poor_persons,
    CAST(population AS BIGINT) AS population,
    CASE WHEN population > 0 THEN poor_persons / population END AS incidence,
    income_mean,
    income_median,
    rural_disposable_income,
    CASE WHEN rural_disposable_income > 0 THEN income_mean / rural_disposable_income END
        AS income_ratio,
    unsafe_housing_share,
    no_safe_water_share,
    no_hardened_road_share,
    villages_no_road,
    1 - CASE WHEN nat_all > 0 THEN nat_road / nat_all END AS natural_villages_no_road,
    villages_no_power,
    villages_no_broadband,
    villages_no_mobile,
    villages_no_clinic,
    villages_no_cultural_room,
    safe_water_coverage,
    collective_income,
    CASE WHEN poor_persons > 0 THEN welfare_persons / poor_persons END AS dibao_tekun_share,
    CASE WHEN poor_persons > 0 THEN illness_persons / poor_persons END
        AS illness_disability_share,
    CASE WHEN poor_persons > 0 THEN elderly_persons / poor_persons END AS elderly_share,
    unsafe_housing_households,
    housing_recorded,
    no_safe_water_households,
    water_recorded,
    no_hardened_road_households,
    road_recorded,
    welfare_persons AS dibao_tekun_persons,
    illness_persons AS illness_disability_persons,
    elderly_persons AS elderly_poor_persons,
    income_unrecorded,
    housing_unrecorded,
    water_unrecorded,
    road_unrecorded,
    villages_unrecorded
FROM j
ORDER BY area

-- name: profile
-- Per-capita income of each household (head's row, income of {year}, size > 0), weighted by
-- its size, grouped by the area key: n, q, P0, P1, P2, Watts, gap total, Sen, SST and the
-- uncorrected Gini. The incomes are ranked once (ties collapsed, cumulative weight ascending);
-- the poor are the lowest incomes, so their cumulative weights are the same ranks, which gives
-- the Gini among the poor (Sen) without a second window.
WITH u AS (
    SELECT
        substr(village_code, 1, {digits}) AS g,
        (
            coalesce(wage, 0) + coalesce(operating_income, 0) + coalesce(property_dividend, 0)
            + coalesce(property_other, 0) + coalesce(transfer_family_planning, 0)
            + coalesce(transfer_dibao, 0) + coalesce(transfer_tekun, 0)
            + coalesce(transfer_pension, 0) + coalesce(transfer_ecological, 0)
            + coalesce(transfer_other, 0) - coalesce(operating_cost, 0)
        ) / household_size AS y,
        CAST(household_size AS DOUBLE) AS w
    FROM read_parquet('{path}')
    WHERE relation = 'head' AND status <> 'removed' AND first_identified_year <= {year}
      AND income_year = {year} AND household_size > 0
),
d AS (
    SELECT g, y, sum(w) AS w FROM u GROUP BY g, y
),
r AS (
    SELECT
        g, y, w,
        sum(w) OVER (PARTITION BY g ORDER BY y ROWS UNBOUNDED PRECEDING) AS cw,
        sum(w) OVER (PARTITION BY g) AS tw
    FROM d
),
a AS (
    SELECT
        g,
        sum(w) AS n,
        sum(w) FILTER (WHERE y < {line}) AS q_raw,
        sum(w * ({line} - y) / {line}) FILTER (WHERE y < {line}) AS s1,
        sum(w * pow(({line} - y) / {line}, 2)) FILTER (WHERE y < {line}) AS s2,
        sum(w * ln({line} / y)) FILTER (WHERE y < {line} AND y > 0) AS sw,
        sum(w * ({line} - y)) FILTER (WHERE y < {line}) AS gap,
        sum(w * y) AS ty,
        sum(y * w * (cw - w + cw - tw)) AS gnum,
        sum(w * y) FILTER (WHERE y < {line}) AS ty_p,
        sum(
            ((tw - cw + w) * (tw - cw + w) - (tw - cw) * (tw - cw)) * ({line} - y) / {line}
        ) FILTER (WHERE y < {line}) AS sst_num,
        max(tw) AS tw
    FROM r
    GROUP BY g
),
poor AS (
    SELECT r.g, sum(r.y * r.w * (r.cw - r.w + r.cw - a.q_raw)) AS gpnum
    -- cw − w + cw − q: the Gini term among the poor, whose total weight is q
    FROM r JOIN a USING (g)
    WHERE r.y < {line}
    GROUP BY r.g
)
SELECT
    a.g,
    n,
    coalesce(q_raw, 0) AS q,
    coalesce(q_raw, 0) / n AS "P0",
    coalesce(s1, 0) / n AS "P1",
    coalesce(s2, 0) / n AS "P2",
    coalesce(sw, 0) / n AS watts,
    coalesce(gap, 0) AS gap_total,
    coalesce(
        (q_raw / n) * ((1 - (ty_p / q_raw) / {line})
            + (1 - (1 - (ty_p / q_raw) / {line})) * (gpnum / (q_raw * ty_p))),
        0
    ) AS sen,
    coalesce(sst_num, 0) / (tw * tw) AS sst,
    gnum / (n * ty) AS gini
FROM a LEFT JOIN poor USING (g)
ORDER BY a.g

-- name: mpi
-- The registry's default Alkire–Foster indicator set per household (household-standard@2016
-- facts: income below the line, C/D house, water unsafe or difficult, a school-age member out
-- of school and not exempt, a member uninsured), equal weights, k = 1/3, households weighted
-- by size, by county. A household with a blank indicator or size is excluded. Numbers are written
-- 1e0, 2e-1: DOUBLE literals (DuckDB reads 1.0 and 0.2 as DECIMAL).
WITH hh AS (
    SELECT
        household_code,
        count(*) FILTER (WHERE relation = 'head') AS heads,
        count(*) AS member_count,
        count(*) FILTER (
            WHERE substr(id_number, 7, 8) > '{born_after}' AND substr(id_number, 7, 8) <= '{born_by}'
              AND school_status = 'not_in_school' AND NOT school_exempt_physical
        ) AS out_of_school,
        count(*) FILTER (WHERE NOT basic_medical) AS uninsured,
        any_value(village_code) FILTER (WHERE relation = 'head') AS village_code,
        any_value(CASE WHEN income_year = {year} THEN
            coalesce(wage, 0) + coalesce(operating_income, 0) + coalesce(property_dividend, 0)
            + coalesce(property_other, 0) + coalesce(transfer_family_planning, 0)
            + coalesce(transfer_dibao, 0) + coalesce(transfer_tekun, 0)
            + coalesce(transfer_pension, 0) + coalesce(transfer_ecological, 0)
            + coalesce(transfer_other, 0) - coalesce(operating_cost, 0)
        END) FILTER (WHERE relation = 'head') AS net,
        any_value(CASE WHEN income_year = {year} THEN household_size END)
            FILTER (WHERE relation = 'head') AS size,
        any_value(house_grade) FILTER (WHERE relation = 'head') AS house_grade,
        any_value(water_safe) FILTER (WHERE relation = 'head') AS water_safe,
        any_value(water_difficult) FILTER (WHERE relation = 'head') AS water_difficult
    FROM read_parquet('{path}')
    WHERE status <> 'removed'
    GROUP BY household_code
),
x AS (
    SELECT
        substr(village_code, 1, 6) AS g,
        CAST(size AS DOUBLE) AS w,
        CASE WHEN net IS NOT NULL AND size IS NOT NULL
             THEN CASE WHEN net < {line} * size THEN 1e0 ELSE 0e0 END END AS d0,
        CASE WHEN house_grade IS NOT NULL
             THEN CASE WHEN house_grade <> 'safe' THEN 1e0 ELSE 0e0 END END AS d1,
        CASE WHEN NOT water_safe OR water_difficult THEN 1e0
             WHEN water_safe AND NOT water_difficult THEN 0e0 END AS d2,
        CASE WHEN member_count > 0 THEN CASE WHEN out_of_school > 0 THEN 1e0 ELSE 0e0 END END
            AS d3,
        CASE WHEN member_count > 0 THEN CASE WHEN uninsured > 0 THEN 1e0 ELSE 0e0 END END
            AS d4
    FROM hh
    WHERE heads > 0
),
s AS (
    SELECT
        g,
        d0, d1, d2, d3, d4,
        w IS NOT NULL AND d0 IS NOT NULL AND d1 IS NOT NULL AND d2 IS NOT NULL
            AND d3 IS NOT NULL AND d4 IS NOT NULL AS recorded,
        0e0 + 2e-1 * d0 + 2e-1 * d1 + 2e-1 * d2 + 2e-1 * d3 + 2e-1 * d4 AS c,
        w
    FROM x
),
p AS (
    SELECT
        g,
        recorded,
        CASE WHEN recorded THEN w ELSE 0e0 END AS w,
        CASE WHEN recorded AND c >= {k_low} THEN w ELSE 0e0 END AS wp,
        c, d0, d1, d2, d3, d4
    FROM s
),
a AS (
    SELECT
        g,
        sum(w) AS n,
        sum(wp) AS q,
        count(*) FILTER (WHERE NOT recorded) AS excluded,
        sum(wp * c) AS sc,
        sum(wp * d0) AS s0, sum(wp * d1) AS s1, sum(wp * d2) AS s2,
        sum(wp * d3) AS s3, sum(wp * d4) AS s4
    FROM p
    GROUP BY g
)
SELECT
    g AS grp,
    n,
    q,
    excluded,
    q / nullif(n, 0) AS "H",
    sc / nullif(q, 0) AS "A",
    sc / nullif(n, 0) AS "M0",
    s0 / nullif(n, 0) AS ch0, 2e-1 * s0 / nullif(sc, 0) AS ct0,
    s1 / nullif(n, 0) AS ch1, 2e-1 * s1 / nullif(sc, 0) AS ct1,
    s2 / nullif(n, 0) AS ch2, 2e-1 * s2 / nullif(sc, 0) AS ct2,
    s3 / nullif(n, 0) AS ch3, 2e-1 * s3 / nullif(sc, 0) AS ct3,
    s4 / nullif(n, 0) AS ch4, 2e-1 * s4 / nullif(sc, 0) AS ct4
FROM a
ORDER BY g
