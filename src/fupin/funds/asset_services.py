"""Write services of assets and asset income (资产收益扶贫, issue 10 item 3): register an asset
formed by an accepted project, quantify its shares to households (折股量化到户), record a
year's income and distribute it — the dividends credited to the households' income records
(资产收益扶贫分红收入), so a farmer never reports them by hand.

Like :mod:`fupin.funds.services`: keyword-only, typed; the pure rules of
:mod:`fupin.policy.funds_assets` decide; a refusal is a ``FupinError`` with a stable code
(``ASSET_*``, ``PERMISSION_DENIED``, ``OUT_OF_SCOPE``) and a Chinese message,
``details["errors"]`` lists every broken rule, and nothing is written. Who may write: the county
office of the asset's county (a county-office role placed higher is that level's office) and
the administrator; ``by=None`` is the system.

Crediting dividends to incomes (``asset_income_distribute``) is set-based: a constant number
of statements whatever the number of households (subtract the previous distribution's
dividends, delete it, insert the new rows, create the missing income rows, add the new
dividends — each one statement), never a save per household.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import (
    Count,
    DecimalField,
    F,
    Model,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Concat, Greatest

from fupin.common.audit import audit_record, audit_record_bulk
from fupin.common.errors import FupinError
from fupin.divisions.models import Division
from fupin.funds.models import Asset, AssetIncome, AssetShare, Distribution, Project
from fupin.funds.services import (
    Actor,
    fact_source_checked,
    is_fund_office,
    project_find,
    refusal_error,
    require_in_scope,
)
from fupin.policy import funds as pf
from fupin.policy import funds_assets as pfa
from fupin.registry.models import Household, HouseholdIncome
from fupin.reports.services import rollups_mark_dirty

#: App-level refusal codes beside the policy's AssetCode.
UNKNOWN_ASSET = "ASSET_UNKNOWN"
ASSET_CODE_TAKEN = "ASSET_CODE_TAKEN"
NO_INCOME = "ASSET_NO_INCOME"
WRONG_VILLAGE = "ASSET_WRONG_VILLAGE"

#: The source noted on a household income's ``property_dividend`` that the system credited.
DIVIDEND_SOURCE = "资产收益分红（系统计算）"
#: The row source of an income row created only to carry a dividend (a system batch write).
CREATED_INCOME_SOURCE = "import"

_MONEY = DecimalField(max_digits=14, decimal_places=2)
#: Added to the note of a dividend whose household had no income record of the year.
LACKING_NOTE = "（该户当年收支尚未登记，已新建仅含本项分红的收支记录，其他收入待录入）"


def parameters() -> pfa.AssetParameters:
    """The asset parameters in force (national defaults; a province overrides them here)."""
    return pfa.DEFAULT_PARAMETERS


def _asset(asset: Asset | str, *, lock: bool = False) -> Asset:
    qs = Asset.objects.select_for_update() if lock else Asset.objects.all()
    found = (
        qs.filter(pk=asset.pk).first()
        if isinstance(asset, Asset)
        else qs.filter(code=str(asset).strip()).first()
    )
    if found is None:
        raise FupinError(UNKNOWN_ASSET, f"资产“{asset}”不存在", {"asset": str(asset)})
    return found


def _require_office(by: Actor, division_code: str) -> None:
    require_in_scope(
        by, division_code, is_fund_office(by), "只有县扶贫办可以登记扶贫资产及其收益分配"
    )


# -- assets ---------------------------------------------------------------------------------------


def asset_register(
    *,
    project: Project | str,
    code: str,
    name: str,
    asset_type: str,
    value: Decimal,
    owner_kind: str,
    village: str,
    formed_on: date,
    by: Actor,
    handed_over_on: date | None = None,
    asset_class: str = "operating",
    shares_total: Decimal | None = None,
    fact_source: str = "manual",
) -> Asset:
    """Register an asset formed by an accepted or handed-over project (登记扶贫项目资产) in a
    village of the project's county. Refused with every rule of ``check_asset`` it breaks
    (``ASSET_PROJECT_NOT_ACCEPTED`` for a project not yet accepted)."""
    fact_source_checked(fact_source)
    found = project_find(project)
    _require_office(by, village if village.startswith(found.division_id[:6]) else found.division_id)
    refusals = pfa.check_asset(
        pfa.AssetFacts(
            asset_type=asset_type,
            owner_kind=owner_kind,
            value=value,
            project_status=found.status,
            formed_on=formed_on,
            handed_over_on=handed_over_on,
            shares_total=shares_total,
        )
    )
    if asset_class not in pf.ASSET_CLASS:
        refusals.append(pfa.refusal(pfa.AssetCode.UNKNOWN_TYPE, f"资产类别“{asset_class}”不存在"))
    where = Division.objects.filter(code=village, level=5).first()
    if where is None or not where.code.startswith(found.division_id[:6]):
        raise FupinError(WRONG_VILLAGE, f"资产所在村 {village} 不存在或不在项目所在县内")
    if refusals:
        raise refusal_error(refusals)
    with transaction.atomic():
        if Asset.objects.filter(code=code).exists():
            raise FupinError(ASSET_CODE_TAKEN, f"资产编号“{code}”已存在", {"code": code})
        asset = Asset.objects.create(
            project=found,
            code=code,
            name=name,
            asset_type=asset_type,
            asset_class=asset_class,
            value=value,
            owner_kind=owner_kind,
            village=where,
            formed_on=formed_on,
            handed_over_on=handed_over_on,
            shares_total=shares_total,
            source=fact_source,
        )
        audit_record(
            by=by,
            action="asset.register",
            obj_type="asset",
            obj_key=asset.code,
            division=where.code,
            after={
                "project": found.code,
                "name": name,
                "type": asset_type,
                "value": value,
                "owner": owner_kind,
                "shares_total": shares_total,
            },
        )
    return asset


@dataclass(frozen=True)
class ShareInput:
    household_code: str
    shares: Decimal
    from_year: int
    to_year: int | None = None


def asset_shares_set(
    *, asset: Asset | str, shares: Sequence[ShareInput], by: Actor, fact_source: str = "manual"
) -> list[AssetShare]:
    """Quantify an asset's shares to households (折股量化到户), replacing its previous shares —
    all or nothing. Refused with every reason of ``check_shares``: a household not in the
    registry or not poor/assisted ("谁贫困谁享受"), named twice, shares not adding up to the
    asset's ``shares_total`` (``ASSET_SHARES_NOT_100``)."""
    fact_source_checked(fact_source)
    with transaction.atomic():
        found = _asset(asset, lock=True)
        _require_office(by, found.village_id)
        codes = [s.household_code.strip() for s in shares]
        known = {
            h["code"]: h
            for h in Household.objects.filter(code__in=codes)
            .exclude(status="removed")
            .values("id", "code", "status", "village_id")
        }
        county = found.village_id[:6]
        facts = [
            pfa.ShareFacts(
                household=c,
                shares=s.shares,
                from_year=s.from_year,
                to_year=s.to_year,
                registered=c in known and known[c]["village_id"].startswith(county),
                status=known[c]["status"] if c in known else "",
            )
            for c, s in zip(codes, shares, strict=True)
        ]
        refusals = pfa.check_shares(found.shares_total, facts, parameters())
        if refusals:
            raise refusal_error(refusals)
        before = list(
            AssetShare.objects.filter(asset=found)
            .order_by("household__code")
            .values_list("household__code", "shares")
        )
        AssetShare.objects.filter(asset=found).delete()
        rows = AssetShare.objects.bulk_create(
            [
                AssetShare(
                    asset=found,
                    household_id=known[c]["id"],
                    shares=s.shares,
                    from_year=s.from_year,
                    to_year=s.to_year,
                    source=fact_source,
                )
                for c, s in zip(codes, shares, strict=True)
            ],
            batch_size=2000,
        )
        audit_record(
            by=by,
            action="asset.shares_set",
            obj_type="asset",
            obj_key=found.code,
            division=found.village_id,
            before={"households": len(before), "shares": sum((s for _, s in before), Decimal(0))},
            after={"households": len(rows), "shares": sum((s.shares for s in shares), Decimal(0))},
        )
    return rows


# -- income and its distribution ------------------------------------------------------------------


def asset_income_record(
    *,
    asset: Asset | str,
    year: int,
    amount: Decimal,
    received_on: date,
    by: Actor,
    fact_source: str = "manual",
) -> AssetIncome:
    """Record an asset's income of a year (资产年度收益), replacing that year's figure; not below
    what is already distributed of it (``ASSET_OVER_DISTRIBUTED``)."""
    fact_source_checked(fact_source)
    with transaction.atomic():
        found = _asset(asset, lock=True)
        _require_office(by, found.village_id)
        refusals = pfa.check_income(amount)
        existing = AssetIncome.objects.filter(asset=found, year=year).first()
        if existing is not None and not refusals:
            done = existing.distributions.aggregate(s=Sum("amount"))["s"] or Decimal(0)
            if amount < done:
                refusals.append(
                    pfa.refusal(
                        pfa.AssetCode.OVER_DISTRIBUTED,
                        f"{year} 年收益已分配 {done} 元，不能改为 {amount} 元",
                    )
                )
        if refusals:
            raise refusal_error(refusals)
        before = {"amount": existing.amount} if existing is not None else None
        income, _ = AssetIncome.objects.update_or_create(
            asset=found,
            year=year,
            defaults={"amount": amount, "received_on": received_on, "source": fact_source},
        )
        audit_record(
            by=by,
            action="asset.income_record",
            obj_type="asset",
            obj_key=found.code,
            division=found.village_id,
            before=before,
            after={"year": year, "amount": amount, "received_on": received_on},
        )
    return income


@dataclass(frozen=True)
class DistributionResult:
    income: AssetIncome
    #: {kind: amount} as stored (the rest of the income is kept as 留存).
    parts: dict[str, Decimal]
    #: How many households got a dividend.
    households: int
    #: Household codes that had no income record of the year: one was created carrying only
    #: the dividend, the rest of that year's income still to be recorded.
    incomes_created: list[str] = field(default_factory=list)


def asset_income_distribute(
    *,
    asset: Asset | str,
    year: int,
    parts: Mapping[str, Decimal],
    by: Actor,
    dividends: Mapping[str, Decimal] | None = None,
    note: str = "",
    fact_source: str = "manual",
) -> DistributionResult:
    """Distribute an asset's income of ``year`` (收益分配) into ``parts`` by kind; what is not
    given is kept (``retained``, 留存). The dividend part is split by the shares held in that
    year with ``split_dividends`` (exact to the fen), or as ``dividends`` gives it per household
    code (a plan of 四议两公开; only shareholders, adding up to the dividend part).

    Each household's dividend is added to its ``HouseholdIncome.property_dividend`` of that
    year (资产收益扶贫分红收入, its source noted as 资产收益分红（系统计算）), so the net income
    grows by exactly the dividend. Distributing the same year again replaces the previous
    distribution: its dividends are first taken back out of the incomes (floored at zero, in
    case a cadre re-typed the year's income since), so nothing is added twice.

    A shareholder without an income record of the year gets one created carrying only the
    dividend (period the calendar year, household size its member count) and is listed in
    ``incomes_created`` and in the dividend row's note. Why not refuse: the money has been paid
    (a PV station's subsidy part arrives before Q1 of the next year, domain-next.md §1.5), the
    county office that distributes it is not the cadre who does the yearly income survey, and a
    refusal would block a whole village's dividends on a few missing surveys; the list tells
    the office which incomes are still to be completed. Marks the rollups of the villages
    touched dirty and audits the distribution and every credited household."""
    fact_source_checked(fact_source)
    with transaction.atomic():
        found = _asset(asset, lock=True)
        _require_office(by, found.village_id)
        income = AssetIncome.objects.select_for_update().filter(asset=found, year=year).first()
        if income is None:
            raise FupinError(NO_INCOME, f"资产 {found.code} 没有 {year} 年的收益记录")
        rows = [
            r
            for r in AssetShare.objects.filter(asset=found)
            .order_by("household__code")
            .values_list(
                "household__code",
                "household_id",
                "shares",
                "from_year",
                "to_year",
                "household__status",
            )
            if pfa.holds_in(r[3], r[4], year) and r[2] > 0
        ]
        holders = [(code, pk, shares) for code, pk, shares, *_ in rows]
        refusals = pfa.check_distribution(
            pfa.DistributionFacts(
                income=income.amount,
                parts=parts,
                shareholders=frozenset(c for c, _, _ in holders),
                dividends=dividends,
                statuses={r[0]: r[5] for r in rows},
            ),
            parameters(),
        )
        if refusals:
            raise refusal_error(refusals)
        dividend = parts.get("dividend", Decimal(0))
        pk_of = {c: pk for c, pk, _ in holders}
        if dividends is None:
            split = pfa.split_dividends(dividend, [(c, s) for c, _, s in holders])
        else:
            split = [(c, a) for c, a in dividends.items()]
        split = [(c, a) for c, a in split if a > 0]
        stored = {k: a for k, a in parts.items() if k not in ("dividend", "retained") and a > 0}
        stored_dividend = sum((a for _, a in split), Decimal(0))
        kept = income.amount - stored_dividend - sum(stored.values(), Decimal(0))
        if kept > 0:
            stored["retained"] = kept

        previous = Distribution.objects.filter(income=income, kind="dividend")
        touched = set(previous.values_list("household__village_id", flat=True))
        _take_back(previous, year)
        Distribution.objects.filter(income=income).delete()

        note = note[:400]
        _insert_many(
            [
                Distribution(
                    income=income, year=year, kind=k, amount=a, note=note, source=fact_source
                )
                for k, a in stored.items()
            ]
            + [
                Distribution(
                    income=income,
                    year=year,
                    kind="dividend",
                    amount=a,
                    household_id=pk_of[c],
                    note=note,
                    source=fact_source,
                )
                for c, a in split
            ],
        )
        current = Distribution.objects.filter(income=income, kind="dividend")
        missing_codes = _create_missing_incomes(current, year, fact_source)
        _credit(current, year)
        touched |= set(current.values_list("household__village_id", flat=True))
        rollups_mark_dirty(village_codes=touched)
        after: dict[str, object] = {"year": year, **stored}
        if stored_dividend:
            after["dividend"] = stored_dividend
        audit_record(
            by=by,
            action="asset.income_distribute",
            obj_type="asset",
            obj_key=found.code,
            division=found.village_id,
            after={**after, "households": len(split), "incomes_created": len(missing_codes)},
            note=note,
        )
        audit_record_bulk(
            by=by,
            action="income.asset_dividend",
            obj_type="household",
            rows=Household.objects.filter(pk__in=current.values("household_id")),
            key_field="code",
            division_field="village_id",
            after={"asset": found.code, "year": year},
            note=f"资产收益分红（{found.name}）记入 {year} 年资产收益扶贫分红收入",
        )
    if stored_dividend:
        stored = {"dividend": stored_dividend, **stored}
    return DistributionResult(
        income=income,
        parts=stored,
        households=len(split),
        incomes_created=missing_codes,
    )


def _dividend_of(rows: QuerySet[Distribution]) -> Subquery:
    """The dividend of ``rows`` for the outer income's household."""
    return Subquery(
        rows.filter(household_id=OuterRef("household_id"))
        .order_by()
        .values("household_id")
        .annotate(s=Sum("amount"))
        .values("s")[:1],
        output_field=_MONEY,
    )


def _take_back(previous: QuerySet[Distribution], year: int) -> int:
    """Subtract a previous distribution's dividends from the incomes (one UPDATE)."""
    zero = Value(Decimal("0.00"), output_field=_MONEY)
    return HouseholdIncome.objects.filter(
        year=year, household_id__in=previous.values("household_id")
    ).update(
        property_dividend=Greatest(
            F("property_dividend") - Coalesce(_dividend_of(previous), zero), zero
        )
    )


def _credit(current: QuerySet[Distribution], year: int) -> int:
    """Add the distribution's dividends to the incomes (one UPDATE) and note their source."""
    zero = Value(Decimal("0.00"), output_field=_MONEY)
    hit = HouseholdIncome.objects.filter(year=year, household_id__in=current.values("household_id"))
    n = hit.update(property_dividend=F("property_dividend") + Coalesce(_dividend_of(current), zero))
    # The source note is a key of a JSON column; merging it portably takes a read and one
    # executemany UPDATE of the rows that lack it.
    source_field = HouseholdIncome._meta.get_field("field_sources")
    noted = [
        (
            source_field.get_db_prep_save(
                {**(fs or {}), "property_dividend": DIVIDEND_SOURCE}, connection
            ),
            pk,
        )
        for pk, fs in hit.values_list("pk", "field_sources")
        if (fs or {}).get("property_dividend") != DIVIDEND_SOURCE
    ]
    if noted:
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {qn(HouseholdIncome._meta.db_table)} "
                f"SET {qn(str(source_field.column))} = %s WHERE {qn('id')} = %s",
                noted,
            )
    return n


def _create_missing_incomes(
    current: QuerySet[Distribution], year: int, fact_source: str
) -> list[str]:
    """For the dividend households of ``current`` without an income row of ``year``: say so in
    their dividend's note and create the row with every item zero (the dividend is added next;
    one statement each). Return their codes."""
    lacking = current.exclude(household__incomes__year=year)
    lacking.update(note=Concat(F("note"), Value(LACKING_NOTE)))
    missing = list(
        Household.objects.filter(pk__in=lacking.values("household_id"))
        .annotate(n=Count("members"))
        .order_by("code")
        .values_list("pk", "code", "n")
    )
    _insert_many(
        [
            HouseholdIncome(
                household_id=pk,
                year=year,
                period_start=date(year, 1, 1),
                period_end=date(year, 12, 31),
                household_size=max(n, 1),
                source=CREATED_INCOME_SOURCE,
                field_sources={"property_dividend": DIVIDEND_SOURCE},
            )
            for pk, _, n in missing
        ],
    )
    return [code for _, code, _ in missing]


def _insert_many(objs: Sequence[Model]) -> None:
    """Insert new rows of one model in a single ``executemany`` (the bulk path of the
    architecture note): ``bulk_create`` would split them into batches of SQLite's 999
    parameters, so its statement count would grow with the rows. Values are prepared by the
    fields as ``bulk_create`` prepares them (``auto_now`` dates, JSON, decimals)."""
    if not objs:
        return
    meta = type(objs[0])._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key and not f.generated]
    qn = connection.ops.quote_name
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(str(f.column)) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    rows = [[f.get_db_prep_save(f.pre_save(o, True), connection) for f in fields] for o in objs]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


__all__ = [
    "DIVIDEND_SOURCE",
    "DistributionResult",
    "ShareInput",
    "asset_income_distribute",
    "asset_income_record",
    "asset_register",
    "asset_shares_set",
]
