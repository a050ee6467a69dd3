"""Course, translation and run editing services: validation at the field, audit, search index."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mooc_portal.audit.models import AuditEntry
from mooc_portal.catalog.models import CourseSearchDocument
from mooc_portal.db import utcnow
from mooc_portal.errors import Conflict, InvalidInput, NotFound
from mooc_portal.publishing import services, validation
from mooc_portal.publishing.validation import CourseData, RunData, TranslationData
from tests.factories import make_account, make_course, make_institution


@pytest.fixture
def home(db_session):
    return make_institution()


@pytest.fixture
def editor(home):
    return make_account(memberships={home: "editor"})


def course_data(**overrides):
    values = {
        "code": "CLIM101",
        "original_language": "en",
        "effort_hours": "3.5",
        "length_weeks": "6",
        "teaching_languages": ["en", "ko"],
        "subtitle_languages": ["pt-br"],
        "subjects": ["0521"],
        "accessibility_statement": "Captions on every video.",
    }
    return CourseData(**{**values, **overrides})


def test_create_course_stores_every_field_and_indexes_it(db_session, home, editor):
    course = services.create_course(
        editor,
        home,
        course_data(),
        TranslationData(language="en", title="Climate and Society", learning_outcomes="Explain."),
    )
    assert course.status == "draft"
    assert course.teaching_languages == ["en", "ko"]
    assert course.subtitle_languages == ["pt-BR"]
    assert [s.code for s in course.subjects] == ["0521"]
    assert str(course.effort_hours) == "3.5"
    assert course.slug == "climate-and-society"
    document = db_session.get(CourseSearchDocument, course.id)
    assert "Climate and Society" in document.document
    entry = db_session.query(AuditEntry).filter_by(entity="course", entity_id=course.id).one()
    assert entry.actor_id == editor.id and entry.action == "create"
    assert entry.after["code"] == "CLIM101"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"teaching_languages": ["english!"]}, "teaching_languages"),
        ({"original_language": "xx-notalang"}, "original_language"),
        ({"subjects": ["9999"]}, "subjects"),
        ({"effort_hours": "-1"}, "effort_hours"),
        ({"length_weeks": "zero"}, "length_weeks"),
        ({"credential": "ects"}, "ects_credits"),
        ({"credential": "none", "ects_credits": "5"}, "ects_credits"),
        ({"level": "expert"}, "level"),
        ({"code": ""}, "code"),
        ({"credential": "ects", "ects_credits": "999.96"}, "ects_credits"),
        ({"effort_hours": "NaN"}, "effort_hours"),
    ],
)
def test_bad_values_are_refused_at_their_field(db_session, home, editor, overrides, field):
    with pytest.raises(InvalidInput) as refused:
        services.create_course(
            editor, home, course_data(**overrides), TranslationData(language="en", title="T")
        )
    assert refused.value.field == field


def test_course_codes_are_unique_within_the_institution(db_session, home, editor):
    make_course(institution=home, code="CLIM101")
    with pytest.raises(Conflict) as refused:
        services.create_course(editor, home, course_data(), TranslationData("en", "T"))
    assert refused.value.field == "code"
    other = make_institution()
    manager = make_account(memberships={other: "manager"})
    assert services.create_course(manager, other, course_data(), TranslationData("en", "T"))


def test_staff_of_another_institution_cannot_create_or_edit(db_session, home):
    stranger = make_account(memberships={make_institution(): "manager"})
    with pytest.raises(NotFound):
        services.create_course(stranger, home, course_data(), TranslationData("en", "T"))
    course = make_course(institution=home)
    with pytest.raises(NotFound):
        services.update_course(stranger, course, course_data(code="HACK"))
    assert course.code != "HACK"


def test_translations_add_edit_and_switch_original(db_session, home, editor):
    course = make_course("Climate", institution=home)
    services.save_translation(editor, course, TranslationData("ko", "기후와 사회", summary="요약"))
    assert {t.language for t in course.translations} == {"en", "ko"}
    services.update_course(
        editor,
        course,
        course_data(code=course.code, original_language="ko", subjects=["0613"]),
    )
    assert course.original_language == "ko"
    assert "기후와 사회" in db_session.get(CourseSearchDocument, course.id).document
    with pytest.raises(InvalidInput):
        services.delete_translation(editor, course, "ko")  # the original now
    services.delete_translation(editor, course, "en")
    assert [t.language for t in course.translations] == ["ko"]


def test_original_language_needs_its_text(db_session, home, editor):
    course = make_course(institution=home)
    with pytest.raises(InvalidInput) as refused:
        services.update_course(
            editor, course, course_data(code=course.code, original_language="fr")
        )
    assert refused.value.field == "original_language"


def test_run_date_rules_are_reported_at_their_fields():
    start = utcnow()
    errors = validation.validate_run(
        RunData(
            start_at=start,
            end_at=start - timedelta(days=1),
            enrollment_start_at=start,
            enrollment_end_at=start + timedelta(days=60),
            capacity=-1,
        )
    )
    fields = [f for f, _m in errors]
    assert fields == ["end_at", "enrollment_end_at", "enrollment_start_at", "capacity"]
    assert validation.validate_run(RunData(capacity=2**40)) == [
        ("capacity", "Capacity is at most 10000000.")
    ]


def test_enrolment_cannot_open_after_the_run_and_dates_are_plausible():
    end = utcnow() + timedelta(days=30)
    late = validation.validate_run(
        RunData(
            start_at=end - timedelta(days=20), end_at=end, enrollment_start_at=end + timedelta(1)
        )
    )
    assert late == [("enrollment_start_at", "Enrolment must open before the run ends.")]
    ancient = validation.validate_run(RunData(start_at=utcnow().replace(year=1900)))
    assert ancient == [("start_at", "Enter a date between 2000 and 2100.")]


def test_runs_create_edit_cancel(db_session, home, editor):
    course = make_course(institution=home)
    start = utcnow() + timedelta(days=10)
    run = services.create_run(
        editor, course, RunData(start_at=start, end_at=start + timedelta(weeks=4), capacity=30)
    )
    manager = make_account(memberships={home: "manager"})  # only managers change capacity
    services.update_run(
        manager, run, RunData(start_at=start, end_at=start + timedelta(weeks=5), capacity=40)
    )
    assert run.capacity == 40
    services.cancel_run(editor, run)
    assert run.cancelled
    with pytest.raises(Conflict):
        services.cancel_run(editor, run)
    actions = [
        e.action
        for e in db_session.query(AuditEntry).filter_by(entity="run").order_by(AuditEntry.id)
    ]
    assert actions == ["create", "update", "cancel"]
    update = db_session.query(AuditEntry).filter_by(entity="run", action="update").one()
    assert update.before == {"capacity": 30, "end_at": update.before["end_at"]}
    assert update.after["capacity"] == 40


def test_a_korean_title_gives_a_readable_korean_web_address(db_session, home, editor):
    first = services.create_course(
        editor, home, course_data(code="KO1"), TranslationData(language="ko", title="한국사 입문")
    )
    second = services.create_course(
        editor, home, course_data(code="KO2"), TranslationData(language="ko", title="한국사 입문")
    )
    assert first.slug == "한국사-입문"
    assert second.slug == "한국사-입문-2"  # not "course", "course-2"


def test_staff_change_the_address_until_publication_and_old_addresses_redirect(
    client, db_session, home, editor
):
    course = services.create_course(
        editor, home, course_data(), TranslationData(language="en", title="Climate")
    )
    old = course.slug
    services.update_course(editor, course, course_data(slug="기후 변화"))
    assert course.slug == "기후-변화"
    course.status, course.published_at = "published", utcnow()
    db_session.flush()
    response = client.get(f"/courses/{old}")
    assert response.status_code == 301
    assert response.headers["Location"] == "/courses/%EA%B8%B0%ED%9B%84-%EB%B3%80%ED%99%94"
    assert client.get(response.headers["Location"]).status_code == 200
    with pytest.raises(InvalidInput) as refused:
        services.update_course(editor, course, course_data(slug="climate-again"))
    assert refused.value.field == "slug" and course.slug == "기후-변화"


def test_an_address_in_use_or_redirecting_to_another_course_is_refused(db_session, home, editor):
    taken = make_course(slug="taken", institution=home, status="draft")
    moved = services.create_course(
        editor, home, course_data(code="M1", slug="first-name"), TranslationData("en", "Moved")
    )
    services.update_course(editor, moved, course_data(code="M1", slug="second-name"))
    other = services.create_course(
        editor, home, course_data(code="O1"), TranslationData("en", "Other")
    )
    for slug in ("taken", "first-name"):
        with pytest.raises(Conflict) as refused:
            services.update_course(editor, other, course_data(code="O1", slug=slug))
        assert refused.value.field == "slug"
    # A course may take back its own earlier address.
    services.update_course(editor, moved, course_data(code="M1", slug="first-name"))
    assert moved.slug == "first-name" and taken.slug == "taken"
