"""The insights figures: who may see which, the filters, and each figure with its table.

Every figure is a :class:`Figure`: a title, a description, the columns and rows of its table
(the CSV file has the same), and the chart drawn from them. Administrators see every partner;
partner managers see the institutions they manage, and nothing else. Figures count
enrolments that hold or held a place (enrolled or completed); see
:mod:`mooc_portal.insights.models` for what each summary counts.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, TypeAlias

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import Select, SQLColumnExpression, case, func, select

from mooc_portal.accounts.models import Account, StaffRole
from mooc_portal.catalog.models import (
    CatalogEntry,
    Course,
    CourseLanguage,
    CourseSubject,
    CourseTranslation,
    Credential,
    LanguageKind,
    Level,
)
from mooc_portal.catalog.search import LEVEL_LABELS
from mooc_portal.db import session, utcnow
from mooc_portal.errors import InvalidInput, NotPermitted
from mooc_portal.i18n import localized
from mooc_portal.insights.charts import Chart
from mooc_portal.insights.models import (
    ALL_FIELDS,
    InsightActivity,
    InsightRun,
    InsightSnapshot,
    InsightTotal,
)
from mooc_portal.insights.refresh import ensure_fresh
from mooc_portal.institutions.models import Institution, InstitutionTranslation
from mooc_portal.reference import BROAD_FIELDS, Region, subject_label

REGIONS = (Region.ASIA.value, Region.EUROPE.value)
LEARNER_REGIONS = (*REGIONS, "other")
REGION_NAMES = {
    "asia": _l("Asia"),
    "europe": _l("Europe"),
    "other": _l("Elsewhere or not given"),
}
CREDENTIAL_NAMES = {
    Credential.NONE.value: _l("None"),
    Credential.CERTIFICATE.value: _l("Certificate of completion"),
    Credential.ECTS.value: _l("ECTS credits"),
}
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MAX_MONTHS = 120
CHART_LIMIT = 30
"""A bar chart shows at most this many bars (the largest); its table and CSV have every row."""
TABLE_LIMIT = 200
CACHE_SECONDS = 24 * 3600
"""How long a page's figures and a chart's drawing are kept (a rebuild of the summaries makes
them unreachable sooner: their keys hold the snapshot's time or the figures themselves)."""


@dataclass(frozen=True)
class InsightFilter:
    """What the figures are about: months ``since``..``until`` (``YYYY-MM``, inclusive), the
    offering institutions' region, institutions (None: every one) and an ISCED-F broad field.
    ``partner`` is the slug asked for in the URL, if any."""

    since: str
    until: str
    region: str | None = None
    institution_ids: frozenset[int] | None = None
    partner: str | None = None
    field: str | None = None

    def query_args(self) -> dict[str, str]:
        """The filters as URL arguments (for links and the CSV files)."""
        args = {"since": self.since, "until": self.until}
        for name in ("region", "partner", "field"):
            value = getattr(self, name)
            if value:
                args[name] = value
        return args


Cell: TypeAlias = str | int | float | None
"""One cell of a figure's table and CSV file: a label, a count, a share (None: no share)."""


def _table(rows: Iterable[tuple[Cell, ...]]) -> list[list[Cell]]:
    """The typed rows of a figure as the rows of its table."""
    return [list(row) for row in rows]


@dataclass
class Figure:
    """One figure: its table (``columns``, ``rows``) and the chart drawn from it."""

    key: str
    title: str
    description: str
    columns: list[str]
    rows: list[list[Cell]]
    chart: Chart | None = None
    notes: list[str] = field(default_factory=list)


# -- who sees what -----------------------------------------------------------------------------


def insight_scope(actor: Account | None) -> frozenset[int] | None:
    """The institutions ``actor`` may see figures of: None for an administrator (every one),
    the managed institutions for a partner manager.

    Raises NotPermitted for anybody else (editors included: the figures are the managers')."""
    if actor is None:
        raise NotPermitted(_("These figures are for administrators and partner managers."))
    if actor.is_admin:
        return None
    managed = frozenset(
        m.institution_id for m in actor.active_memberships if m.role == StaffRole.MANAGER
    )
    if not managed:
        raise NotPermitted(_("These figures are for administrators and partner managers."))
    return managed


def partner_choices(actor: Account | None, language: str) -> list[tuple[str, str]]:
    """``(slug, name)`` of the institutions the actor may filter by, sorted by name."""
    scope = insight_scope(actor)
    query = select(Institution.id, Institution.slug)
    if scope is not None:
        query = query.where(Institution.id.in_(scope))
    slugs: dict[int, str] = {row[0]: row[1] for row in session.execute(query)}
    names = institution_names(scope, language)
    named = [(slug, names[institution_id]) for institution_id, slug in slugs.items()]
    return sorted(named, key=lambda pair: pair[1].casefold())


def _names(
    model: Any, translation: Any, key: Any, field: str, ids: Iterable[int] | None, language: str
) -> dict[int, str]:
    """``field`` of each ``model`` row (of ``ids``, None: every one) in ``language`` by the
    portal's fallback rule (:func:`mooc_portal.i18n.localized`), read as plain columns: the
    tables of the insights pages name thousands of courses and partners."""
    originals = select(model.id, model.original_language)
    texts = select(key.label("owner"), translation.language, getattr(translation, field))
    if ids is not None:
        wanted = list(ids)
        originals = originals.where(model.id.in_(wanted))
        texts = texts.where(key.in_(wanted))
    by_owner: dict[int, list[Any]] = defaultdict(list)
    for row in session.execute(texts):
        by_owner[row.owner].append(row)
    return {
        owner: str(localized(by_owner[owner], field, language, original))
        for owner, original in session.execute(originals)
    }


def institution_names(ids: Iterable[int] | None, language: str) -> dict[int, str]:
    """Institution id -> its name in ``language`` (``ids`` None: every institution)."""
    return _names(
        Institution,
        InstitutionTranslation,
        InstitutionTranslation.institution_id,
        "name",
        ids,
        language,
    )


def course_titles(ids: Iterable[int] | None, language: str) -> dict[int, str]:
    """Course id -> its title in ``language``."""
    return _names(Course, CourseTranslation, CourseTranslation.course_id, "title", ids, language)


def _month_shift(month: str, months: int) -> str:
    year, number = int(month[:4]), int(month[5:7])
    index = year * 12 + number - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _months(since: str, until: str) -> list[str]:
    months: list[str] = []
    current = since
    while current <= until:
        months.append(current)
        current = _month_shift(current, 1)
    return months


def parse_filter(
    actor: Account | None, args: Mapping[str, str], now: datetime | None = None
) -> InsightFilter:
    """The filters of a URL's arguments, checked against what ``actor`` may see.

    Default: the last twelve months, every region, partner and field in scope. Raises
    InvalidInput (400) for a malformed month, region or field, or a period that runs backwards
    or over ten years; NotFound-like NotPermitted (403) for a partner outside the scope.
    """
    scope = insight_scope(actor)
    now = now or utcnow()
    this_month = f"{now.year:04d}-{now.month:02d}"
    until = (args.get("until") or this_month).strip()
    since = (args.get("since") or _month_shift(until, -11) if MONTH.match(until) else "").strip()
    for name, value in (("since", since), ("until", until)):
        if not MONTH.match(value):
            raise InvalidInput(
                _("%(name)s must be a month written YYYY-MM.", name=name), field=name
            )
    if since > until:
        raise InvalidInput(_("The period must start before it ends."), field="since")
    if len(_months(since, until)) > MAX_MONTHS:
        raise InvalidInput(_("The period may be at most ten years long."), field="since")
    region = (args.get("region") or "").strip() or None
    if region is not None and region not in REGIONS:
        raise InvalidInput(_("No such region."), field="region")
    field_code = (args.get("field") or "").strip() or None
    if field_code is not None and field_code not in BROAD_FIELDS:
        raise InvalidInput(_("No such field of education."), field="field")
    partner = (args.get("partner") or "").strip() or None
    institution_ids = scope
    if partner is not None:
        institution_id = session.scalar(select(Institution.id).where(Institution.slug == partner))
        if institution_id is None:
            raise InvalidInput(_("No such partner."), field="partner")
        if scope is not None and institution_id not in scope:
            raise NotPermitted(_("You may see the figures of your own institution only."))
        institution_ids = frozenset({institution_id})
    return InsightFilter(since, until, region, institution_ids, partner, field_code)


def figures_as_of() -> InsightSnapshot:
    """The snapshot the figures are read from (rebuilt now if there is none yet)."""
    return ensure_fresh()


# -- the activity cube -------------------------------------------------------------------------


def _activity(filters: InsightFilter, *group: str) -> Select[Any]:
    """Sums of the cube grouped by the named columns, for ``filters``: from the totals over
    every partner when no partner is chosen and none is grouped by (administrators), else from
    the cube of each partner."""
    a: Any = InsightActivity
    if filters.institution_ids is None and "institution_id" not in group:
        a = InsightTotal
    columns = [getattr(a, name) for name in group]
    query = (
        select(*columns, func.sum(a.enrolled), func.sum(a.completed), func.sum(a.certified))
        .where(a.field == (filters.field or ALL_FIELDS))
        .where(a.month >= filters.since, a.month <= filters.until)
        .group_by(*columns)
    )
    if filters.region:
        query = query.where(a.offering_region == filters.region)
    if filters.institution_ids is not None:
        query = query.where(a.institution_id.in_(filters.institution_ids))
    return query


class Counts(NamedTuple):
    enrolled: int
    completed: int
    certified: int


NO_COUNTS = Counts(0, 0, 0)


def activity_by(filters: InsightFilter, *group: str) -> dict[Any, Counts]:
    """Enrolments, completions and certificates per value of the named grouping columns of
    the activity cube (a value, or a tuple of values for several columns), in one query."""
    found: dict[Any, Counts] = {}
    for row in session.execute(_activity(filters, *group)):
        key = row[0] if len(group) == 1 else tuple(row[: len(group)])
        found[key] = Counts(*(int(v or 0) for v in row[len(group) :]))
    return found


class FlowRow(NamedTuple):
    """A row of the flow matrix: enrolments of one learners' region by offering region."""

    learners: str
    asia: int
    europe: int
    total: int


class CountryRow(NamedTuple):
    """A row of the learners' countries: enrolments by offering region."""

    country: str
    code: str
    asia: int
    europe: int
    total: int


class RegionBalanceRow(NamedTuple):
    """A row of the balance per region (``other_share`` in percent, None: no enrolment)."""

    region: str
    own: int
    other: int
    elsewhere: int
    other_share: float | None


class PartnerBalanceRow(NamedTuple):
    """A row of the balance per partner (``other_share`` as in :class:`RegionBalanceRow`)."""

    partner: str
    country: str
    region: str
    own: int
    other: int
    elsewhere: int
    other_share: float | None


class StageRow(NamedTuple):
    """A row of the completion funnel: a stage, its learners and their share of enrolled."""

    stage: str
    learners: int
    share: float | None


class RunFunnelRow(NamedTuple):
    """A row of the funnel per run (``completion`` in percent, None: nobody enrolled)."""

    course: str
    partner: str
    starts: str
    enrolled: int
    started: int
    halfway: int
    completed: int
    certified: int
    completion: float | None


class WaitlistRow(NamedTuple):
    """A row of the waiting lists (``places`` None: no limit)."""

    course: str
    partner: str
    starts: str
    places: int | None
    taken: int
    waiting: int


def activity_over_time(filters: InsightFilter) -> Figure:
    """Enrolments, completions and certificates per month of the period."""
    found = activity_by(filters, "month")
    months = _months(filters.since, filters.until)
    per_month = [found.get(m, NO_COUNTS) for m in months]
    names = [_("Enrolments"), _("Completions"), _("Certificates")]
    return Figure(
        key="activity",
        title=_("Enrolments and completions over time"),
        description=_(
            "Enrolments per month they were made, completions per month the learners finished, "
            "certificates per month they were issued, from %(since)s to %(until)s.",
            since=filters.since,
            until=filters.until,
        ),
        columns=[_("Month"), *names],
        rows=_table((m, *c) for m, c in zip(months, per_month, strict=True)),
        chart=Chart(
            "lines", months, [(name, [c[i] for c in per_month]) for i, name in enumerate(names)]
        ),
    )


def flows(filters: InsightFilter) -> dict[tuple[str, str], int]:
    """Enrolments per (learner region, offering region)."""
    found = activity_by(filters, "learner_region", "offering_region")
    return {pair: counts.enrolled for pair, counts in found.items()}


def balance_index(asia_to_europe: int, europe_to_asia: int) -> float | None:
    """(Asia -> Europe - Europe -> Asia) / both: 0 is balanced, +1 all from Asia to Europe,
    -1 all from Europe to Asia; None when neither flow has any enrolment."""
    both = asia_to_europe + europe_to_asia
    return None if both == 0 else round((asia_to_europe - europe_to_asia) / both, 2)


def flow_matrix(filters: InsightFilter) -> tuple[Figure, float | None]:
    """Who learns from whom: learners' region against the offering partner's region, and the
    balance index of the two cross-regional flows."""
    counts = flows(filters)
    rows: list[FlowRow] = []
    for learner in LEARNER_REGIONS:
        asia, europe = counts.get((learner, "asia"), 0), counts.get((learner, "europe"), 0)
        rows.append(FlowRow(str(REGION_NAMES[learner]), asia, europe, asia + europe))
    labels: list[str] = []
    values: list[int] = []
    for learner in LEARNER_REGIONS:
        for offering in REGIONS:
            labels.append(
                _(
                    "%(learners)s learners → %(partners)s partners",
                    learners=REGION_NAMES[learner],
                    partners=REGION_NAMES[offering],
                )
            )
            values.append(counts.get((learner, offering), 0))
    index = balance_index(counts.get(("asia", "europe"), 0), counts.get(("europe", "asia"), 0))
    figure = Figure(
        key="flow",
        title=_("The Asia-Europe flow: who learns from whom"),
        description=_(
            "Enrolments by the learners' region (rows) and the region of the partner offering "
            "the course (columns), from %(since)s to %(until)s.",
            since=filters.since,
            until=filters.until,
        ),
        columns=[
            _("Learners from"),
            _("Courses of Asian partners"),
            _("Courses of European partners"),
            _("Total"),
        ],
        rows=_table(rows),
        chart=Chart("bars", labels, [(_("Enrolments"), values)]),
    )
    return figure, index


def flow_by_country(filters: InsightFilter) -> Figure:
    """Enrolments by the learners' country, split by the offering partners' region."""
    per_country: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (country, offering), counts in activity_by(
        filters, "learner_country", "offering_region"
    ).items():
        per_country[country][0 if offering == "asia" else 1] += counts.enrolled
    from mooc_portal.web import country_name_filter

    rows: list[CountryRow] = []
    for country, (asia, europe) in per_country.items():
        name = country_name_filter(country) if country else _("Not given")
        rows.append(CountryRow(name, country, asia, europe, asia + europe))
    rows.sort(key=lambda r: (-r.total, r.country))
    top = rows[:CHART_LIMIT]
    return Figure(
        key="flow-countries",
        title=_("Learners' countries and the partners they learn from"),
        description=_(
            "Enrolments by the learner's country, in courses of Asian and of European "
            "partners, from %(since)s to %(until)s; the chart shows the %(n)d countries with "
            "the most enrolments.",
            since=filters.since,
            until=filters.until,
            n=len(top),
        ),
        columns=[
            _("Country"),
            _("Code"),
            _("Courses of Asian partners"),
            _("Courses of European partners"),
            _("Total"),
        ],
        rows=_table(rows),
        chart=Chart("bars", [r.country for r in top], [(_("Enrolments"), [r.total for r in top])]),
    )


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100 * part / whole, 1)


def _balance_columns() -> list[str]:
    return [
        _("Learners from the same region"),
        _("Learners from the other region"),
        _("Learners from elsewhere or not given"),
        _("Share from the other region (%)"),
    ]


def balance_by_region(filters: InsightFilter) -> Figure:
    """Per offering region: enrolments from its own region, from the other, from elsewhere,
    and the share from the other region."""
    counts = flows(filters)
    rows: list[RegionBalanceRow] = []
    for offering in REGIONS:
        other = "europe" if offering == "asia" else "asia"
        own, cross = counts.get((offering, offering), 0), counts.get((other, offering), 0)
        elsewhere = counts.get(("other", offering), 0)
        rows.append(
            RegionBalanceRow(
                str(REGION_NAMES[offering]),
                own,
                cross,
                elsewhere,
                _share(cross, own + cross + elsewhere),
            )
        )
    return Figure(
        key="balance-regions",
        title=_("Balance per region"),
        description=_(
            "Enrolments in the courses of each region's partners, by where the learners come "
            "from, and the share of learners from the other region (percent)."
        ),
        columns=[
            _("Partners in"),
            *_balance_columns(),
        ],
        rows=_table(rows),
        chart=Chart(
            "bars",
            [r.region for r in rows],
            [(_balance_columns()[3], [r.other_share or 0 for r in rows])],
        ),
    )


def balance_by_partner(filters: InsightFilter, language: str) -> Figure:
    """Per partner: enrolments from its own region, the other region, elsewhere, the share
    from the other region."""
    per_partner: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (institution_id, learner), counts in activity_by(
        filters, "institution_id", "learner_region"
    ).items():
        per_partner[institution_id][learner] += counts.enrolled
    institutions = {
        i.id: i for i in session.scalars(select(Institution).where(Institution.id.in_(per_partner)))
    }
    rows: list[PartnerBalanceRow] = []
    for institution_id, by_region in per_partner.items():
        institution = institutions[institution_id]
        own_region = institution.region
        other = "europe" if own_region == "asia" else "asia"
        own, cross, elsewhere = by_region[own_region], by_region[other], by_region["other"]
        rows.append(
            PartnerBalanceRow(
                str(institution.text("name", language)),
                institution.country,
                str(REGION_NAMES[own_region]),
                own,
                cross,
                elsewhere,
                _share(cross, own + cross + elsewhere),
            )
        )
    rows.sort(key=lambda r: (-(r.own + r.other + r.elsewhere), r.partner))
    top = rows[:CHART_LIMIT]
    return Figure(
        key="balance-partners",
        title=_("Balance per partner"),
        description=_(
            "Enrolments in each partner's courses by where the learners come from, and the "
            "share from the other region (percent); the chart shows the %(n)d partners with "
            "the most enrolments.",
            n=len(top),
        ),
        columns=[
            _("Partner"),
            _("Country"),
            _("Region"),
            *_balance_columns(),
        ],
        rows=_table(rows),
        chart=Chart(
            "bars",
            [r.partner for r in top],
            [(_balance_columns()[3], [r.other_share or 0 for r in top])],
        ),
    )


# -- runs: funnels and waiting lists -------------------------------------------------------------


def _runs(filters: InsightFilter, *columns: Any) -> Select[Any]:
    r = InsightRun
    query = select(*columns)
    # A run belongs to the period it starts in; runs with no start date (always open) to
    # every period.
    query = query.where(
        (r.start_month.is_(None))
        | ((r.start_month >= filters.since) & (r.start_month <= filters.until))
    )
    if filters.institution_ids is not None:
        query = query.where(r.institution_id.in_(filters.institution_ids))
    if filters.region:
        query = query.join(Institution, Institution.id == r.institution_id).where(
            Institution.region == filters.region
        )
    if filters.field:
        query = query.where(
            r.course_id.in_(
                select(CourseSubject.course_id).where(
                    func.substr(CourseSubject.code, 1, 2) == filters.field
                )
            )
        )
    return query


STAGES = ("enrolled", "started", "halfway", "completed", "certified")


def stage_names() -> list[str]:
    return [_("Enrolled"), _("Started"), _("Half-way"), _("Completed"), _("Certified")]


def completion_funnel(filters: InsightFilter) -> Figure:
    """The five stages summed over the runs of the period."""
    r = InsightRun
    totals = session.execute(
        _runs(filters, *(func.coalesce(func.sum(getattr(r, s)), 0) for s in STAGES))
    ).one()
    values = [int(v) for v in totals]
    rows = [
        StageRow(name, value, _share(value, values[0]))
        for name, value in zip(stage_names(), values, strict=True)
    ]
    return Figure(
        key="funnel",
        title=_("Completion funnel"),
        description=_(
            "Learners of the runs starting from %(since)s to %(until)s (and of runs with no "
            "start date) at each stage: enrolled, started (opened or completed a lesson), "
            "half-way (completed half of the lessons), completed, certified.",
            since=filters.since,
            until=filters.until,
        ),
        columns=[_("Stage"), _("Learners"), _("Share of enrolled (%)")],
        rows=_table(rows),
        chart=Chart("bars", [r.stage for r in rows], [(_("Learners"), values)]),
    )


def _run_rows(query: Select[Any], language: str) -> list[tuple[InsightRun, str, str]]:
    """The runs of ``query`` with their course's title and partner's name in ``language``."""
    runs = session.scalars(query).all()
    titles = course_titles({r.course_id for r in runs}, language)
    partners = institution_names({r.institution_id for r in runs}, language)
    return [(r, titles[r.course_id], partners[r.institution_id]) for r in runs]


def funnel_per_run(
    filters: InsightFilter, language: str, *, limit: int | None = TABLE_LIMIT
) -> Figure:
    """Each run's funnel, the runs with the most enrolments first."""
    r = InsightRun
    query = _runs(filters, r).where(r.enrolled > 0).order_by(r.enrolled.desc(), r.run_id)
    if limit is not None:
        query = query.limit(limit)
    rows = [
        RunFunnelRow(
            title,
            partner,
            run.start_month or "",
            run.enrolled,
            run.started,
            run.halfway,
            run.completed,
            run.certified,
            _share(run.completed, run.enrolled),
        )
        for run, title, partner in _run_rows(query, language)
    ]
    return Figure(
        key="funnel-runs",
        title=_("Completion funnel per run"),
        description=_(
            "Each run's learners at each stage, the runs with the most enrolments first."
        ),
        columns=[
            _("Course"),
            _("Partner"),
            _("Starts"),
            *stage_names(),
            _("Completion rate (%)"),
        ],
        rows=_table(rows),
    )


def waitlist_pressure(
    filters: InsightFilter, language: str, *, limit: int | None = TABLE_LIMIT
) -> tuple[Figure, dict[str, int]]:
    """Runs that are full or have learners waiting, the longest waiting lists first; and the
    totals (runs with a capacity, full runs, learners waiting)."""
    r = InsightRun
    full = (r.capacity.is_not(None)) & (r.seats_taken >= r.capacity)
    totals_row = session.execute(
        _runs(
            filters,
            func.coalesce(func.sum(case((r.capacity.is_not(None), 1), else_=0)), 0),
            func.coalesce(func.sum(case((full, 1), else_=0)), 0),
            func.coalesce(func.sum(r.waiting), 0),
        )
    ).one()
    totals = {
        "limited": int(totals_row[0]),
        "full": int(totals_row[1]),
        "waiting": int(totals_row[2]),
    }
    query = _runs(filters, r).where(full | (r.waiting > 0)).order_by(r.waiting.desc(), r.run_id)
    if limit is not None:
        query = query.limit(limit)
    rows = [
        WaitlistRow(
            title, partner, run.start_month or "", run.capacity, run.seats_taken, run.waiting
        )
        for run, title, partner in _run_rows(query, language)
    ]
    top = rows[:CHART_LIMIT]
    figure = Figure(
        key="waitlists",
        title=_("Waiting lists"),
        description=_(
            "Runs that are full or have learners waiting for a place, the longest waiting "
            "lists first: %(full)d of %(limited)d runs with a limited number of places are "
            "full, and %(waiting)d learners are waiting.",
            **totals,
        ),
        columns=[
            _("Course"),
            _("Partner"),
            _("Starts"),
            _("Places"),
            _("Places taken"),
            _("Learners waiting"),
        ],
        rows=_table(rows),
        chart=Chart(
            "bars", [r.course for r in top], [(_("Learners waiting"), [r.waiting for r in top])]
        ),
    )
    return figure, totals


# -- the catalog -----------------------------------------------------------------------------


def _public_courses(filters: InsightFilter, *columns: Any) -> Select[Any]:
    query = select(*columns).select_from(CatalogEntry)
    if filters.institution_ids is not None:
        query = query.where(CatalogEntry.institution_id.in_(filters.institution_ids))
    if filters.region:
        query = query.where(CatalogEntry.region == filters.region)
    if filters.field:
        query = query.where(
            CatalogEntry.course_id.in_(
                select(CourseSubject.course_id).where(
                    func.substr(CourseSubject.code, 1, 2) == filters.field
                )
            )
        )
    return query


def courses_by(
    filters: InsightFilter,
    column: SQLColumnExpression[str],
    *,
    join: tuple[Any, Any] | None = None,
    where: Any = None,
) -> dict[str, int]:
    """Public courses per value of the grouping ``column`` (of ``CatalogEntry``, or of the
    table ``join`` adds: ``(table, on)``), a course counted once per value, in one query."""
    query = _public_courses(filters, column, func.count(func.distinct(CatalogEntry.course_id)))
    if join is not None:
        query = query.join(*join)
    if where is not None:
        query = query.where(where)
    return {value: int(n) for value, n in session.execute(query.group_by(column))}


def _coverage_figure(key: str, title: str, heading: str, pairs: list[tuple[str, int]]) -> Figure:
    return Figure(
        key=key,
        title=title,
        description=_(
            "Published courses by %(what)s (a course may count under several).", what=heading
        ),
        columns=[heading, _("Courses")],
        rows=_table(pairs),
        chart=Chart(
            "bars", [label for label, _n in pairs], [(_("Courses"), [n for _label, n in pairs])]
        ),
    )


def catalog_coverage(filters: InsightFilter) -> list[Figure]:
    """The public catalog by ISCED-F broad field, level, teaching language and credential
    (now, whatever the period)."""
    from mooc_portal.web import language_name_filter

    broad = func.substr(CourseSubject.code, 1, 2)
    by_field = courses_by(
        filters, broad, join=(CourseSubject, CourseSubject.course_id == CatalogEntry.course_id)
    )
    by_level = courses_by(filters, CatalogEntry.level)
    by_language = courses_by(
        filters,
        CourseLanguage.language,
        join=(CourseLanguage, CourseLanguage.course_id == CatalogEntry.course_id),
        where=CourseLanguage.kind == LanguageKind.TEACHING.value,
    )
    by_credential = courses_by(
        filters, Course.credential, join=(Course, Course.id == CatalogEntry.course_id)
    )
    fields = sorted(((subject_label(code), n) for code, n in by_field.items()), key=lambda p: -p[1])
    languages = sorted(
        ((language_name_filter(tag), n) for tag, n in by_language.items()), key=lambda p: -p[1]
    )
    return [
        _coverage_figure("coverage-fields", _("Courses by field of education"), _("Field"), fields),
        _coverage_figure(
            "coverage-levels",
            _("Courses by level"),
            _("Level"),
            [(str(LEVEL_LABELS[level]), int(by_level.get(level.value, 0))) for level in Level],
        ),
        _coverage_figure(
            "coverage-languages", _("Courses by teaching language"), _("Language"), languages
        ),
        _coverage_figure(
            "coverage-credentials",
            _("Courses by credential"),
            _("Credential"),
            [
                (str(name), int(by_credential.get(value, 0)))
                for value, name in CREDENTIAL_NAMES.items()
            ],
        ),
    ]


# -- headline figures ------------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    """The initiative in a few numbers, for the public "about" page."""

    partners: int
    countries: int
    courses: int
    learners: int
    completions: int
    asia_to_europe: int
    europe_to_asia: int
    balance: float | None
    as_of: datetime | None


def headline_figures() -> Headline:
    """Active partners and their countries, public courses, learners, completions and the
    Asia-Europe balance, over the whole history (no filter, no actor: public figures)."""
    partners, countries = session.execute(
        select(func.count(), func.count(func.distinct(Institution.country))).where(
            Institution.active.is_(True)
        )
    ).one()
    courses = session.scalar(select(func.count()).select_from(CatalogEntry)) or 0
    current = ensure_fresh()
    a = InsightTotal  # every partner
    completions = session.scalar(
        select(func.coalesce(func.sum(a.completed), 0)).where(a.field == ALL_FIELDS)
    )
    cross = dict(
        session.execute(
            select(a.learner_region, func.sum(a.enrolled))
            .where(a.field == ALL_FIELDS, a.learner_region != a.offering_region)
            .group_by(a.learner_region)
        ).all()
    )
    asia_to_europe, europe_to_asia = int(cross.get("asia", 0)), int(cross.get("europe", 0))
    return Headline(
        partners=int(partners),
        countries=int(countries),
        courses=int(courses),
        learners=current.learners,
        completions=int(completions or 0),
        asia_to_europe=asia_to_europe,
        europe_to_asia=europe_to_asia,
        balance=balance_index(asia_to_europe, europe_to_asia),
        as_of=current.refreshed_at,
    )


# -- pages -----------------------------------------------------------------------------------

PAGES: dict[str, tuple[str, ...]] = {
    "activity": ("activity",),
    "flow": ("flow", "balance-regions", "balance-partners", "flow-countries"),
    "completion": ("funnel", "funnel-runs"),
    "catalog": (
        "coverage-fields",
        "coverage-levels",
        "coverage-languages",
        "coverage-credentials",
        "waitlists",
    ),
}
"""Each insights page and the figures it shows, in order."""
FIGURE_KEYS = frozenset(key for keys in PAGES.values() for key in keys)


@dataclass
class InsightPage:
    """What one insights page shows."""

    name: str
    figures: list[Figure]
    balance: float | None = None
    waiting: dict[str, int] | None = None


def _kept(
    what: str,
    filters: InsightFilter,
    language: str,
    as_of: InsightSnapshot,
    make: Callable[[], str],
) -> str:
    """``make()`` (a text), kept in the portal's cache until the summaries are rebuilt: the key
    holds the snapshot's time, so a rebuild makes every entry unreachable. It also holds the
    institutions in scope (the filters were checked against the actor before), so an entry is
    only found by somebody who may see it, and the language."""
    from mooc_portal.caching import portal_cache

    scope = "all" if filters.institution_ids is None else sorted(filters.institution_ids)
    place = f"{as_of.refreshed_at.isoformat()}|{what}|{scope}|{filters}|{language}"
    key = "insights:" + hashlib.sha256(place.encode()).hexdigest()[:32]
    cache = portal_cache()
    text = cache.get(key)
    if text is None:
        text = make()
        cache.set(key, text, timeout=CACHE_SECONDS)
    return str(text)


def build_page(
    name: str,
    filters: InsightFilter,
    language: str,
    as_of: InsightSnapshot,
    render: Callable[[InsightPage], str],
) -> Markup:
    """The figures of page ``name`` as ``render`` writes them (HTML; the tables of long figures
    cut at ``TABLE_LIMIT`` rows, their CSV files have every row), kept until the next rebuild
    (:func:`_kept`): the figures are the same for everybody who may see them, and writing their
    tables (thousands of numbers in the visitor's notation) costs more than reading them."""
    html = _kept(
        f"page|{name}",
        filters,
        language,
        as_of,
        lambda: render(_build(name, PAGES[name], filters, language, TABLE_LIMIT)),
    )
    return Markup(html)  # rendered by the caller's template, which escaped every text


def figure_csv(key: str, filters: InsightFilter, language: str, as_of: InsightSnapshot) -> str:
    """One figure with every row as a CSV document, kept until the next rebuild."""
    from mooc_portal.csv_export import write_csv

    def make() -> str:
        figure = build_figure(key, filters, language)
        return write_csv(figure.columns, figure.rows)

    return _kept(f"csv|{key}", filters, language, as_of, make)


def build_figure(key: str, filters: InsightFilter, language: str) -> Figure:
    """One figure with every row (for its CSV file)."""
    page = next(name for name, keys in PAGES.items() if key in keys)
    built = _build(page, (key,), filters, language, None)
    return next(f for f in built.figures if f.key == key)


def _build(
    name: str, keys: tuple[str, ...], filters: InsightFilter, language: str, limit: int | None
) -> InsightPage:
    page = InsightPage(name, [])
    wanted = set(keys)
    if "activity" in wanted:
        page.figures.append(activity_over_time(filters))
    if "flow" in wanted:
        figure, page.balance = flow_matrix(filters)
        page.figures.append(figure)
    if "balance-regions" in wanted:
        page.figures.append(balance_by_region(filters))
    if "balance-partners" in wanted:
        page.figures.append(balance_by_partner(filters, language))
    if "flow-countries" in wanted:
        page.figures.append(flow_by_country(filters))
    if "funnel" in wanted:
        page.figures.append(completion_funnel(filters))
    if "funnel-runs" in wanted:
        page.figures.append(funnel_per_run(filters, language, limit=limit))
    if wanted & {k for k in keys if k.startswith("coverage-")}:
        page.figures.extend(f for f in catalog_coverage(filters) if f.key in wanted)
    if "waitlists" in wanted:
        figure, page.waiting = waitlist_pressure(filters, language, limit=limit)
        page.figures.append(figure)
    return page
