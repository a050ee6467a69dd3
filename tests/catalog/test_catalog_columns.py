"""Each process counts searches on its own in-memory copy of the catalog entries
(``catalog.columns``); these tests run two portal instances on one database whose writes are
really committed, as production runs many hosts, and check that what one host commits, the
other's next search lists and counts, that nothing uncommitted or rolled back is counted, and
that a bulk rebuild is read again."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from mooc_portal.catalog.entries import rebuild_entries, refresh_entries
from mooc_portal.catalog.models import Course, CourseStatus
from mooc_portal.catalog.search import CatalogFilters, search_courses
from mooc_portal.db import session
from mooc_portal.migrate import upgrade_database
from tests.conftest import make_test_app
from tests.factories import index, make_course, make_institution
from tests.faults.queue_servers import committed_postgres


@contextmanager
def committed_database(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'hosts.sqlite3'}"
    else:
        with committed_postgres() as url:
            yield url


@pytest.fixture
def hosts(backend: str, tmp_path: Path) -> Iterator[tuple[Flask, Flask]]:
    """Two portal instances (each with its own in-memory columns) on one migrated database."""
    with committed_database(backend, tmp_path) as url:
        first, second = make_test_app(url), make_test_app(url)
        with first.app_context():
            upgrade_database()
        try:
            yield first, second
        finally:
            for app in (first, second):
                with app.app_context():
                    app.extensions["sqlalchemy"].engine.dispose()


def found(app: Flask, **filters: object) -> tuple[list[str], dict[str, int], int]:
    """What a visitor of ``app`` sees: the listed courses, the level counts, the total."""
    with app.test_request_context("/courses"):
        result = search_courses(CatalogFilters(**filters), language="en")  # type: ignore[arg-type]
        levels = {option.value: option.count for option in result.facets["level"]}
        listed = [course.code for course in result.courses]
        session.rollback()
    return listed, levels, result.total


def test_what_one_host_commits_the_other_lists_and_counts(hosts):
    first, second = hosts
    with first.app_context():
        partner = make_institution("Hanbit National University", slug="hanbit")
        make_course("Data Science", institution=partner, code="DS1", level="introductory")
        session.commit()
    # The second host reads its columns now.
    assert found(second, query="data") == (["DS1"], {"introductory": 1}, 1)

    with first.app_context():
        partner = session.scalar(select(Course)).institution
        make_course("Data Ethics", institution=partner, code="DE1", level="advanced")
        session.commit()
    listed, levels, total = found(second, query="data")
    assert sorted(listed) == ["DE1", "DS1"]
    assert levels == {"introductory": 1, "advanced": 1}
    assert total == 2
    # Browsing, with a facet: the counts of the other values say what is left out.
    assert found(second, level=("advanced",)) == (["DE1"], {"introductory": 1, "advanced": 1}, 1)

    with first.app_context():
        course = session.scalar(select(Course).where(Course.code == "DS1"))
        course.level = "intermediate"
        session.commit()
    assert found(second, query="data")[1] == {"intermediate": 1, "advanced": 1}

    # A new word in a title (on PostgreSQL the columns hold the entries' words too).
    assert found(second, query="robotics")[2] == 0
    with first.app_context():
        course = session.scalar(select(Course).where(Course.code == "DS1"))
        course.translations[0].title = "Data Science and Robotics"
        index(course)
        session.commit()
    assert found(second, query="robotics") == (["DS1"], {"intermediate": 1}, 1)

    with first.app_context():
        course = session.scalar(select(Course).where(Course.code == "DE1"))
        course.status = CourseStatus.WITHDRAWN
        session.commit()
    assert found(second, query="data") == (["DS1"], {"intermediate": 1}, 1)


def test_a_change_not_yet_committed_counts_only_in_its_own_transaction(hosts, backend):
    first, second = hosts
    with first.app_context():
        make_course("Data Science", code="DS1", level="introductory")
        session.commit()
    assert found(second, query="data")[2] == 1

    with first.test_request_context("/courses"):
        make_course("Data Ethics", code="DE1", level="advanced")  # flushed, not committed
        result = search_courses(CatalogFilters(query="data"), language="en")
        assert sorted(c.code for c in result.courses) == ["DE1", "DS1"]
        assert {o.value: o.count for o in result.facets["level"]} == {
            "introductory": 1,
            "advanced": 1,
        }
        if backend == "postgresql":  # SQLite has one writer: the other host would wait
            assert found(second, query="data") == (["DS1"], {"introductory": 1}, 1)
        session.rollback()
    # Neither host counts what was rolled back, though the first read it in its transaction.
    assert found(first, query="data") == (["DS1"], {"introductory": 1}, 1)
    assert found(second, query="data") == (["DS1"], {"introductory": 1}, 1)


def test_a_version_rolled_back_is_not_kept(hosts):
    """A change recorded as a version (a bulk refresh outside the ORM) that a search read in
    its own transaction, then rolled back, leaves no trace in the process's columns."""
    first, _second = hosts
    with first.app_context():
        course = make_course("Data Science", code="DS1", level="introductory")
        session.commit()
        course_id = course.id
    assert found(first, query="data")[2] == 1

    with first.test_request_context("/courses"):
        connection = session.connection()
        connection.execute(
            Course.__table__.update()
            .where(Course.__table__.c.id == course_id)
            .values(level="advanced")
        )
        refresh_entries(connection, [course_id])  # records a version at once
        result = search_courses(CatalogFilters(query="data"), language="en")
        assert {o.value: o.count for o in result.facets["level"]} == {"advanced": 1}
        session.rollback()
    assert found(first, query="data") == (["DS1"], {"introductory": 1}, 1)


def test_a_bulk_rebuild_is_read_again_by_every_host(hosts):
    first, second = hosts
    with first.app_context():
        make_course("Data Science", code="DS1", level="introductory")
        session.commit()
    assert found(second, query="data")[2] == 1

    with first.app_context():
        connection = session.connection()
        # A bulk load that bypasses the ORM, as the benchmark's and imports' do.
        course = session.scalar(select(Course))
        connection.execute(
            Course.__table__.update()
            .where(Course.__table__.c.id == course.id)
            .values(level="advanced")
        )
        rebuild_entries(connection)
        session.commit()
    assert found(second, query="data") == (["DS1"], {"advanced": 1}, 1)


def test_a_new_worker_reads_the_columns_before_its_first_search(hosts):
    """gunicorn's ``post_worker_init`` warms the columns: the first search then reads no
    catalog entry, only the text's matches and the versions."""
    from sqlalchemy import event

    from mooc_portal.catalog.search import warm_columns

    first, _second = hosts
    with first.app_context():
        make_course("Data Science", code="DS1")
        session.commit()
        warm_columns()
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with first.app_context():
        engine = first.extensions["sqlalchemy"].engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert found(first, query="data")[2] == 1
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert statements
    assert not [s for s in statements if "FROM mooc_catalog_entry" in s]


def test_a_search_runs_as_many_statements_whatever_the_catalog_size(hosts):
    """Once the columns are current, a search runs a fixed number of statements (the matches
    and versions, the rank, the loads of the listed courses and of the labels), none of
    which reads the catalog entries: ten times the courses, the same statements."""
    from sqlalchemy import event

    first, _second = hosts

    def statements(**filters: object) -> list[str]:
        seen: list[str] = []
        with first.app_context():
            engine = first.extensions["sqlalchemy"].engine
        listener = lambda _c, _cu, statement, *_a: seen.append(statement)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            found(first, **filters)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return seen

    def add(courses: int) -> None:
        with first.app_context():
            partner = make_institution()
            for n in range(courses):
                level = ("introductory", "advanced")[n % 2]
                make_course(f"Data Course {n}", institution=partner, level=level)
            session.commit()
        found(first)  # the columns catch up with the new version

    searches = [{"query": "data", "level": ("advanced",)}, {"level": ("advanced",)}]
    add(6)
    small = [statements(**filters) for filters in searches]
    add(54)
    large = [statements(**filters) for filters in searches]
    assert [len(s) for s in small] == [len(s) for s in large]
    for run in small + large:
        assert not [s for s in run if "FROM mooc_catalog_entry" in s]
    assert found(first, query="data", level=("advanced",))[2] == 30
