"""Full-text search over courses, on SQLite FTS5 and PostgreSQL alike.

(The catalog work fills this in: ``index_course`` and the search service.)
"""

from __future__ import annotations

from mooc_portal.catalog.models import Course, CourseSearchDocument
from mooc_portal.db import session


def search_document(course: Course) -> str:
    """Every text a visitor may search a course by, in every stored language."""
    parts: list[str] = [course.code]
    for translation in course.translations:
        parts += [
            translation.title,
            translation.summary or "",
            translation.description or "",
        ]
    for translation in course.institution.translations:
        parts += [translation.name, translation.short_name or ""]
    return "\n".join(p for p in parts if p)


def index_course(course: Course) -> None:
    """Write (or rewrite) the course's search document; flushes."""
    document = session.get(CourseSearchDocument, course.id)
    text = search_document(course)
    if document is None:
        session.add(CourseSearchDocument(course_id=course.id, document=text))
    else:
        document.document = text
    session.flush()
