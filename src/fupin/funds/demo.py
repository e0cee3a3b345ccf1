"""The projects-and-funds step of ``fupin demo`` (issue 10): a year of the demo county's funds.

For the registry year Y (so household incomes and dividends line up with the pages): central
扶贫发展 funds appropriated to the province and passed down to the prefecture and the county,
the county's own funds and its 统筹整合 money, some passed on to two townships; ten projects
of the library across villages and types, each proposed in spring, posted in the village,
reviewed, posted in the township, approved by the county, funded from the county's balance and
most carried out with payments to the unit, village collectives and registered households; a
village photovoltaic station accepted, handed over, its shares quantified to the village's poor
households and a year's income distributed (the dividends land in
``HouseholdIncome.property_dividend``); one deliberate monitoring finding (a household paid
twice for the same item); the county's allocation result notice; two projects proposed today
with their village notice up; and the pairings of ``demo_pairing``.

Everything is written by the system (``by=None``) through the services, except the one
deliberate duplicate payment. Every name and figure is illustrative.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from fupin.divisions.models import Division
from fupin.funds import ledger
from fupin.funds.asset_services import (
    ShareInput,
    asset_income_distribute,
    asset_income_record,
    asset_register,
    asset_shares_set,
)
from fupin.funds.demo_pairing import demo_pairings
from fupin.funds.models import Asset, Distribution, FundAllocation, Partnership, Payment, Project
from fupin.funds.project_notices import allocation_notice_publish, project_notice_publish
from fupin.funds.services import (
    allocation_record,
    parameters,
    payment_record,
    project_fund,
    project_propose,
    project_transition,
)
from fupin.notices.models import Notice, NoticeStatus
from fupin.policy import funds as pf
from fupin.policy import funds_assets as pfa
from fupin.registry.models import Household

CENTRAL = "central.development"
#: Code prefix of the demo's projects (its presence means the step has run).
PREFIX = "DEMO"
#: The item of the deliberate duplicate payment (the monitor's FUNDS_DUPLICATE_PAYMENT).
DUPLICATE_ITEM = "危房改造补助"
#: The fewest poor households of the station's village (a 300 kW station's dividends shared
#: by fewer would be thousands of yuan a household, beyond any real scheme).
MIN_PV_POOR = 30


@dataclass(frozen=True)
class FundsDemo:
    allocations: int
    #: What the county received of every source in the year.
    county_received: Decimal
    projects: int
    projects_by_status: dict[str, int]
    payments: int
    paid: Decimal
    dividend_households: int
    dividends: Decimal
    flags: int
    duplicate_flags: int
    current_notices: int
    partnerships: int


def _d(text: str) -> Decimal:
    return Decimal(text)


def _at(day: date) -> datetime:
    """Midnight of ``day`` in the server's time zone (a notice posted then is up that day)."""
    return timezone.make_aware(datetime(day.year, day.month, day.day))


#: (name, type, {source: yuan}, benefit kinds, benefit link, target, unit, final status,
#:  payment plan). A payment plan entry is (payee kind, share of the budget or yuan per
#:  household, item); the households are the village's poor households.
_Spec = tuple[str, str, dict[str, str], list[str], str, str, str, str, list[tuple[str, str, str]]]
SPECS: list[_Spec] = [
    (
        "村级光伏扶贫电站（300 千瓦）",
        "photovoltaic",
        {"integrated": "2000000", "county": "400000"},
        ["dividend", "wages"],
        "电站收益折股量化到本村贫困户，60% 分红、30% 设公益岗位、10% 用于村公益事业",
        "建成 300 千瓦村级光伏电站，年发电收益约 24 万元",
        "昭觉县光伏扶贫项目建设有限公司",
        "handed_over",
        [("unit", "1", "电站建设工程款")],
    ),
    (
        "核桃提质增效种植基地",
        "industry",
        {CENTRAL: "1200000"},
        ["employment", "land_rent", "collective"],
        "土地流转给合作社，贫困户务工、收取租金，收益 10% 归村集体",
        "新建核桃基地 800 亩，带动贫困户 120 户年增收 1500 元",
        "昭觉县林业和草原局",
        "accepted",
        [("unit", "0.7", "苗木及种植工程款"), ("collective", "0.3", "基地管护经费")],
    ),
    (
        "西门塔尔肉牛养殖合作社",
        "industry",
        {"integrated": "800000"},
        ["custody", "dividend"],
        "合作社托管代养，贫困户按入股牛只分红",
        "引进能繁母牛 160 头，带动贫困户 80 户",
        "村专业合作社",
        "in_progress",
        [("collective", "0.5", "能繁母牛购置")],
    ),
    (
        "通村通组硬化路（12 公里）",
        "infrastructure",
        {"integrated": "3500000"},
        ["infrastructure", "employment"],
        "优先吸纳贫困劳动力参与施工",
        "硬化通组道路 12 公里，解决 3 个组出行难",
        "昭觉县交通运输局",
        "accepted",
        [("unit", "1", "道路工程款")],
    ),
    (
        "农村安全饮水巩固提升工程",
        "infrastructure",
        {CENTRAL: "900000"},
        ["infrastructure"],
        "全村农户受益，贫困户优先入户",
        "新建蓄水池 4 口、管网 15 公里，饮水安全达标率 100%",
        "昭觉县水务局",
        "in_progress",
        [("unit", "0.6", "工程进度款")],
    ),
    (
        "贫困户危房改造",
        "housing",
        {CENTRAL: "600000"},
        ["subsidy"],
        "到户补助，一户一档",
        "改造贫困户危房 30 户，住房安全有保障",
        "昭觉县住房和城乡建设局",
        "accepted",
        [("household", "15000", DUPLICATE_ITEM)],
    ),
    (
        "生态护林员和村保洁员公益岗位",
        "employment",
        {"county": "360000"},
        ["wages"],
        "优先聘用无法外出务工的贫困劳动力",
        "设公益岗位 30 个，每人每月 1000 元",
        "昭觉县人力资源和社会保障局",
        "in_progress",
        [("household", "6000", "公益岗位工资（上半年）")],
    ),
    (
        "雨露计划职业教育补助",
        "education",
        {CENTRAL: "300000"},
        ["subsidy"],
        "补助贫困家庭子女接受中高职教育",
        "补助贫困家庭中高职在校生 100 人，每人每年 3000 元",
        "昭觉县教育和体育局",
        "accepted",
        [("household", "3000", "雨露计划补助")],
    ),
    (
        "易地扶贫搬迁安置点扶贫车间",
        "relocation_support",
        {"integrated": "1500000"},
        ["employment", "collective"],
        "车间租金归村集体，吸纳搬迁贫困户就近务工",
        "建成扶贫车间 1 200 平方米，吸纳就业 60 人",
        "昭觉县发展和改革局",
        "in_progress",
        [("unit", "0.4", "车间建设进度款")],
    ),
    (
        "村卫生室标准化建设",
        "public_service",
        {"county": "500000"},
        ["services"],
        "全村群众就近就医",
        "建成标准化村卫生室 1 个",
        "昭觉县卫生健康局",
        "approved",
        [],
    ),
]
#: The two projects of the next round, proposed today with their village notice up.
PROPOSED: list[_Spec] = [
    (
        "高山蔬菜大棚种植",
        "industry",
        {CENTRAL: "450000"},
        ["employment", "dividend"],
        "大棚租赁给合作社，贫困户务工并按股分红",
        "建设蔬菜大棚 60 个，带动贫困户 40 户",
        "村专业合作社",
        "proposed",
        [],
    ),
    (
        "村组道路太阳能路灯",
        "infrastructure",
        {"integrated": "180000"},
        ["infrastructure"],
        "全村农户受益",
        "安装太阳能路灯 120 盏",
        "乡人民政府",
        "proposed",
        [],
    ),
]
#: Steps after approval, in order.
AFTER = ("in_progress", "accepted", "handed_over")


def _allocations(county: str, year: int) -> None:
    """Central funds down the levels, the county's own and integrated money, two townships."""
    province, prefecture = county[:2], county[:4]
    # (source, from, to, yuan, (month, day), document number, note)
    rows: list[tuple[str, str | None, str, str, tuple[int, int], str, str]] = [
        (CENTRAL, None, province, "3200000000", (1, 8), "财农〔%d〕1号", ""),
        (CENTRAL, province, prefecture, "960000000", (2, 20), "川财农〔%d〕18号", ""),
        (CENTRAL, prefecture, county, "120000000", (3, 10), "凉财农〔%d〕9号", ""),
        ("county", None, county, "15000000", (3, 15), "昭财农〔%d〕3号", "县本级财政预算安排"),
        (
            "integrated",
            None,
            county,
            "180000000",
            (3, 25),
            "昭府发〔%d〕12号",
            "统筹整合使用财政涉农资金（国办发〔2016〕22号）",
        ),
    ]
    townships = Division.objects.filter(level=4, code__startswith=county).order_by("code")
    for township, amount in zip(
        townships.values_list("code", flat=True)[:2], ("2000000", "1500000"), strict=False
    ):
        rows.append((CENTRAL, county, township, amount, (4, 1), "昭财农〔%d〕21号", ""))
    for source, giver, receiver, amount, (month, day), number, note in rows:
        allocation_record(
            source=source,
            from_division=giver,
            to_division=receiver,
            year=year,
            amount=_d(amount),
            allocated_on=date(year, month, day),
            document_number=number % year,
            note=note,
            by=None,
        )


def _villages(county: str, first: str) -> list[tuple[str, list[str]]]:
    """Villages of the county with the most poor households (``first`` leading when it has
    some), each with its poor households' codes (two queries)."""
    eligible = pfa.DEFAULT_PARAMETERS.eligible_statuses
    ranked = list(
        Division.objects.filter(level=5, code__startswith=county)
        .annotate(n=Count("households", filter=Q(households__status__in=eligible)))
        .filter(n__gt=0)
        .order_by("-n", "code")
        .values_list("code", flat=True)[:8]
    )
    # The demo village account's village leads (its pages show the station) when it has
    # enough poor households for a station's dividends to be believable.
    if first and (
        Household.objects.filter(village_id=first, status__in=eligible).count() >= MIN_PV_POOR
    ):
        ranked = [first, *(v for v in ranked if v != first)]
    poor: dict[str, list[str]] = {v: [] for v in ranked}
    for village, code in (
        Household.objects.filter(village_id__in=ranked, status__in=eligible)
        .order_by("village_id", "code")
        .values_list("village_id", "code")
    ):
        poor[village].append(code)
    return list(poor.items())


def _project(
    spec: _Spec, *, code: str, village: str, poor: list[str], year: int, start: date
) -> Project:
    """Propose one project on ``start`` and take it through the steps its spec names."""
    name, kind, sources, benefits, link, target, unit, final, plan = spec
    budget_by_source = {k: _d(v) for k, v in sources.items()}
    budget = sum(budget_by_source.values(), Decimal(0))
    project = project_propose(
        code=code,
        name=name,
        project_type=kind,
        division=village,
        budget=budget,
        budget_by_source=budget_by_source,
        benefit_kinds=benefits,
        benefit_link=link,
        performance_target=target,
        implementing_unit=unit,
        expected_households=len(poor) + 20,
        expected_poor_households=len(poor),
        proposed_on=start,
        start=start + timedelta(days=45),
        end=max(date(year, 12, 31), start + timedelta(days=240)),
        by=None,
    )
    if final == "proposed":
        return project
    project_notice_publish(project=project, level="village", by=None, on=_at(start))
    project_transition(project=project, target="reviewed", on=start + timedelta(days=14), by=None)
    project_notice_publish(
        project=project, level="township", by=None, on=_at(start + timedelta(days=15))
    )
    approved = start + timedelta(days=30)
    project_transition(project=project, target="approved", on=approved, by=None)
    project_notice_publish(project=project, level="county", by=None, on=_at(approved))
    for source, amount in budget_by_source.items():
        project_fund(
            project=project,
            source=source,
            holder=village[:6],
            year=year,
            amount=amount,
            assigned_on=approved + timedelta(days=3),
            document_number=f"昭财农〔{year}〕{30 + int(code[-2:])}号",
            by=None,
        )
    steps = AFTER[: AFTER.index(final) + 1] if final in AFTER else ()
    on = {
        "in_progress": start + timedelta(days=45),
        "accepted": date(year, 11, 20),
        "handed_over": date(year, 11, 30),
    }
    if steps:
        project_transition(project=project, target="in_progress", on=on["in_progress"], by=None)
    source = next(iter(budget_by_source))
    paid_on = start + timedelta(days=60)
    for payee_kind, share, item in plan:
        if payee_kind == "household":
            for n, hh in enumerate(poor[:10]):
                payment_record(
                    project=project,
                    source=source,
                    year=year,
                    amount=_d(share),
                    paid_on=paid_on,
                    payee_kind="household",
                    household_code=hh,
                    item=item,
                    voucher_number=f"{code}-H{n + 1:02d}",
                    by=None,
                )
            continue
        payment_record(
            project=project,
            source=source,
            year=year,
            amount=(budget_by_source[source] * _d(share)).quantize(_d("0.01")),
            paid_on=paid_on,
            payee_kind=payee_kind,
            payee=unit if payee_kind == "unit" else "",
            village=village if payee_kind == "collective" else None,
            item=item,
            voucher_number=f"{code}-{payee_kind[0].upper()}01",
            by=None,
        )
    for target_status in steps[1:]:
        project_transition(project=project, target=target_status, on=on[target_status], by=None)
    return project


def _duplicate(project: Project, year: int) -> None:
    """The demo's DELIBERATE monitoring finding: the first household of the housing project
    paid its 危房改造补助 a second time. payment_record would refuse it
    (FUNDS_DUPLICATE_PAYMENT), so the demo writes the row directly, as an import from another
    system might; the monitor (ledger_flags) must show it."""
    first = project.payments.filter(payee_kind="household").order_by("pk").first()
    if first is None:
        return
    Payment.objects.create(  # deliberate: the demo's duplicate-payment finding
        project=project,
        source_fund=first.source_fund,
        year=year,
        paid_on=first.paid_on + timedelta(days=40),
        amount=first.amount,
        payee_kind="household",
        payee=first.payee,
        household=first.household,
        item=first.item,
        voucher_number=f"{project.code}-H01-重复",
        source="import",
    )


def _photovoltaic(project: Project, *, village: str, poor: list[str], year: int) -> None:
    """Register the station, quantify it to the village's poor households (one share each),
    record a year's net income and distribute it (60% dividends, 30% wages, 10% public)."""
    asset = asset_register(
        project=project,
        code=f"{project.code}-A",
        name=project.name.replace("（300 千瓦）", ""),
        asset_type="photovoltaic",
        value=project.budget,
        owner_kind="households",
        village=village,
        formed_on=date(year, 11, 20),
        handed_over_on=date(year, 11, 30),
        shares_total=Decimal(len(poor)),
        by=None,
    )
    asset_shares_set(
        asset=asset,
        shares=[ShareInput(household_code=h, shares=Decimal(1), from_year=year) for h in poor],
        by=None,
    )
    income = _d("240000")
    asset_income_record(
        asset=asset, year=year, amount=income, received_on=date(year, 12, 20), by=None
    )
    asset_income_distribute(
        asset=asset,
        year=year,
        parts={
            "dividend": (income * _d("0.6")).quantize(_d("0.01")),
            "public_welfare_wages": (income * _d("0.3")).quantize(_d("0.01")),
            "village_public": (income * _d("0.1")).quantize(_d("0.01")),
        },
        note="经村民代表大会议定并公示（四议两公开）",
        by=None,
    )


def funds_demo_create(
    *, county: str, year: int, village: str = "", today: date | None = None
) -> FundsDemo:
    """Build the funds demo of ``county`` for ``year`` (skipped when its projects exist)."""
    today = today or timezone.localdate()
    if not Project.objects.filter(code__startswith=f"{PREFIX}-{county}-").exists():
        with transaction.atomic():
            _build(county=county, year=year, village=village, today=today)
    return _counts(county, year, today)


def _build(*, county: str, year: int, village: str, today: date) -> None:
    _allocations(county, year)
    villages = _villages(county, village)
    if not villages:
        return
    housing: Project | None = None
    for n, spec in enumerate(SPECS):
        where, poor = villages[n % len(villages)]
        project = _project(
            spec,
            code=f"{PREFIX}-{county}-{year}-{n + 1:02d}",
            village=where,
            poor=poor,
            year=year,
            start=date(year, 3, 1) + timedelta(days=7 * (n % 5)),
        )
        if spec[1] == "photovoltaic":
            _photovoltaic(project, village=where, poor=poor, year=year)
        if spec[1] == "housing":
            housing = project
    if housing is not None:
        _duplicate(housing, year)
    for n, spec in enumerate(PROPOSED):
        where, poor = villages[(n + 1) % len(villages)]
        project = _project(
            spec,
            code=f"{PREFIX}-{county}-{today.year}-{n + 81:02d}",
            village=where,
            poor=poor,
            year=today.year,
            start=today,
        )
        # Posted today: the public notices page shows it (the next round of the library).
        project_notice_publish(project=project, level="village", by=None, on=_at(today))
    allocation_notice_publish(division=county, year=year, by=None, on=_at(date(year, 4, 2)))
    demo_pairings(county, year)


def _counts(county: str, year: int, today: date) -> FundsDemo:
    projects = Project.objects.filter(division__code__startswith=county)
    allocations = FundAllocation.objects.filter(
        Q(to_division__code__startswith=county) | Q(from_division__code__startswith=county),
        year=year,
    ) | FundAllocation.objects.filter(to_division__code__in=(county[:2], county[:4]), year=year)
    payments = Payment.objects.filter(project__in=projects)
    dividends = Distribution.objects.filter(
        kind="dividend", income__asset__in=Asset.objects.filter(village__code__startswith=county)
    )
    flags = ledger.fetch(ledger.flags_under(county, today, parameters()).select("code"))
    now = timezone.now()
    return FundsDemo(
        allocations=allocations.count(),
        county_received=allocations.filter(to_division_id=county).aggregate(s=Sum("amount"))["s"]
        or Decimal(0),
        projects=projects.count(),
        projects_by_status=dict(
            projects.values_list("status").annotate(n=Count("pk")).order_by("status")
        ),
        payments=payments.count(),
        paid=payments.aggregate(s=Sum("amount"))["s"] or Decimal(0),
        dividend_households=dividends.values("household_id").distinct().count(),
        dividends=dividends.aggregate(s=Sum("amount"))["s"] or Decimal(0),
        flags=len(flags),
        duplicate_flags=sum(1 for f in flags if f["code"] == pf.FundCode.DUPLICATE_PAYMENT.value),
        current_notices=Notice.objects.filter(
            division__code__startswith=county,
            kind="project_village",
            status=NoticeStatus.POSTED,
            starts_at__lte=now,
            ends_at__gt=now,
        ).count(),
        partnerships=Partnership.objects.filter(helped__code__startswith=county).count(),
    )


def funds_demo(args: argparse.Namespace) -> FundsDemo:
    """The demo step: build the funds demo of ``args.county`` for ``args.year`` (the registry
    year) and print one summary line."""
    from fupin.accounts.models import Profile
    from fupin.commands.base import console

    village = (
        Profile.objects.filter(user__username="village")
        .values_list("division_id", flat=True)
        .first()
    )
    with console.status("    项目资金：资金下达、项目库、资金支付、光伏扶贫分红、结对帮扶…"):
        d = funds_demo_create(county=args.county, year=args.year, village=str(village or ""))
    statuses = "、".join(
        f"{pf.PROJECT_STATUS.label_of(s)} {n}" for s, n in d.projects_by_status.items()
    )
    console.print(
        f"    项目资金：资金下达 {d.allocations} 笔（本县收到 {pf.money(d.county_received)}）；"
        f"扶贫项目 {d.projects} 个（{statuses}），支付 {d.payments} 笔（{pf.money(d.paid)}）；"
        f"光伏扶贫分红 {d.dividend_households} 户（{pf.money(d.dividends)}）；"
        f"监测预警 {d.flags} 条（其中重复支付 {d.duplicate_flags} 条）；"
        f"村级公示中 {d.current_notices} 个；结对帮扶 {d.partnerships} 个"
    )
    return d
