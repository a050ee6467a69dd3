"""Bulk import of courses from CSV or JSON (format: ``docs/course-import.md``).

``import_courses`` validates every row first and reports each error with its row number and
field; only a file without errors is applied, and then entirely (all-or-nothing: the caller
commits once). Courses are matched by their code within the institution, so importing the
same file twice changes nothing the second time.

A file of more rows than ``MOOC_IMPORT_INLINE_ROWS`` is checked (and applied) by a background
job instead (:func:`import_in_background`): the same ``import_courses`` on the same rows, its
report kept for the import page.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from mooc_portal.accounts.models import Account
from mooc_portal.audit.services import record_change
from mooc_portal.catalog.models import (
    Course,
    CourseStatus,
    CourseTranslation,
    Credential,
    Level,
    Pace,
    SubjectArea,
)
from mooc_portal.catalog.search import index_course
from mooc_portal.csv_export import csv_cell_read, write_csv
from mooc_portal.db import session, utcnow
from mooc_portal.errors import InvalidInput, PortalError
from mooc_portal.institutions.models import Institution
from mooc_portal.publishing.models import CourseImport
from mooc_portal.publishing.permissions import refuse_federated, require_staff
from mooc_portal.publishing.services import apply_course_fields, course_snapshot
from mooc_portal.publishing.validation import (
    CourseData,
    TranslationData,
    validate_course_data,
    validate_translation,
)
from mooc_portal.security import MAX_JSON_DEPTH, JsonTooDeep, load_json
from mooc_portal.slugs import slugify

TEXT_FIELDS = ("title", "summary", "description", "learning_outcomes")
LIST_FIELDS = ("teaching_languages", "subtitle_languages", "subjects")
MAX_ROWS = 10_000


@dataclass
class RowResult:
    row: int
    code: str
    action: str = ""  # "create", "update" or "unchanged"
    errors: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ImportReport:
    rows: list[RowResult] = field(default_factory=list)
    applied: bool = False
    file_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.file_error is None and not any(r.errors for r in self.rows)

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)


PARSE_ERROR = "_parse_error"  # a row the parser could not read: its message


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _split(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value or "").replace(",", ";").split(";") if v.strip()]


def _shape_errors(row: dict[str, Any]) -> list[tuple[str, str]]:
    """A JSON row's values of the wrong kind: an object or a list where a text belongs (its
    text would be the object's repr), a list of lists."""
    errors: list[tuple[str, str]] = []
    for key, value in row.items():
        if key == "translations":
            continue
        if key in LIST_FIELDS and isinstance(value, list):
            if any(isinstance(v, dict | list) for v in value):
                errors.append((str(key), _("Give a list of texts.")))
        elif isinstance(value, dict | list):
            errors.append((str(key), _("Give a text or a number here, not a list or object.")))
    translations = row.get("translations")
    if isinstance(translations, dict):
        for language, values in translations.items():
            if not isinstance(values, dict):
                continue
            for name, value in values.items():
                if isinstance(value, dict | list):
                    errors.append((f"{name}:{language}", _("Give a text here.")))
    return errors


DELIMITERS = (",", ";", "\t")


def detect_delimiter(text: str) -> str:
    """The delimiter of a CSV text: the one of ``,``, ``;`` (spreadsheets set to a European
    locale export with it) and tab that its header row holds most often."""
    header = text.split("\n", 1)[0]
    counts = {delimiter: header.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse_file(data: bytes, filename: str) -> list[dict[str, Any]]:
    """Rows as dicts: ``translations`` maps a language to its texts. InvalidInput if unreadable."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(_("The file is not UTF-8 text."), field="file") from exc
    if filename.lower().endswith(".json"):
        try:
            items = load_json(text)
        except JsonTooDeep:
            raise InvalidInput(
                _("The JSON is nested more than %(n)d levels deep.", n=MAX_JSON_DEPTH),
                field="file",
            ) from None
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                _("The JSON is not valid (line %(line)d).", line=exc.lineno), field="file"
            ) from exc
        if isinstance(items, dict):
            items = items.get("courses")
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise InvalidInput(_("The JSON must be a list of course objects."), field="file")
        rows = items
    elif filename.lower().endswith(".csv"):
        reader = csv.DictReader(io.StringIO(text), delimiter=detect_delimiter(text))
        if not reader.fieldnames or "code" not in reader.fieldnames:
            raise InvalidInput(
                _(
                    "The first row must name the columns, one of them “code”. Start from the "
                    "template on this page."
                ),
                field="file",
            )
        rows = []
        while True:
            try:
                raw = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                # A cell over the csv module's limit (131,072 characters), a NUL, a broken
                # quote: this row's error; the reader cannot go on past it reliably.
                message = (
                    _("A cell is longer than %(n)d characters.", n=csv.field_size_limit())
                    if "field larger" in str(exc)
                    else _("This row cannot be read as CSV (line %(line)d).", line=reader.line_num)
                )
                rows.append({PARSE_ERROR: message})
                break
            row: dict[str, Any] = {"translations": {}}
            for key, cell in raw.items():
                if key is None:
                    continue
                value = csv_cell_read(cell)
                name, _sep, language = key.partition(":")
                if language and name in TEXT_FIELDS:
                    row["translations"].setdefault(language, {})[name] = value
                else:
                    row[key] = value
            rows.append(row)
    else:
        raise InvalidInput(_("Upload a .csv or .json file."), field="file")
    if len(rows) > MAX_ROWS:
        raise InvalidInput(_("At most %(n)d courses per file.", n=MAX_ROWS), field="file")
    return rows


CHOICES: dict[str, type[StrEnum]] = {"level": Level, "pace": Pace, "credential": Credential}

FIELD_LABELS = {
    "file": _l("The file"),
    "code": _l("Course code"),
    "original_language": _l("Original language"),
    "title": _l("Title"),
    "summary": _l("Summary"),
    "description": _l("Description"),
    "learning_outcomes": _l("What you will learn"),
    "level": _l("Level"),
    "pace": _l("Pace"),
    "effort_hours": _l("Hours per week"),
    "length_weeks": _l("Length in weeks"),
    "credential": _l("Credential"),
    "ects_credits": _l("ECTS credits"),
    "teaching_languages": _l("Teaching languages"),
    "subtitle_languages": _l("Subtitle languages"),
    "subjects": _l("Subjects"),
    "accessibility_statement": _l("Accessibility statement"),
    "translations": _l("Translations"),
    "slug": _l("Web address"),
}


def _choices_message(name: str) -> str:
    values = ", ".join(member.value for member in CHOICES[name])
    return _("Write one of: %(values)s.", values=values)


def field_label(key: str, language_name: Callable[[str], str] | None = None) -> str:
    """What a report's field key means to the person who fills the file: "Title", or "Title
    in Korean" for the column ``title:ko``."""
    name, _sep, language = key.partition(":")
    label = str(FIELD_LABELS.get(name, name))
    if language:
        shown = language_name(language) if language_name else language
        return _("%(field)s in %(language)s", field=label, language=shown)
    return label


@dataclass
class _Planned:
    result: RowResult
    clean: dict[str, Any]
    texts: dict[str, dict[str, Any]]
    course: Course | None


def _plan_row(
    number: int, row: dict[str, Any], existing: dict[str, Course], known_subjects: set[str]
) -> _Planned:
    if PARSE_ERROR in row:
        return _Planned(
            result=RowResult(row=number, code="", errors=[("file", row[PARSE_ERROR])]),
            clean={},
            texts={},
            course=None,
        )
    shape = _shape_errors(row)
    if shape:
        return _Planned(
            result=RowResult(
                row=number,
                code=row["code"] if isinstance(row.get("code"), str) else "",
                errors=shape,
            ),
            clean={},
            texts={},
            course=None,
        )
    code = str(row.get("code") or "").strip()
    result = RowResult(row=number, code=code)
    original = str(row.get("original_language") or "en").strip()
    data = CourseData(
        code=code,
        original_language=original,
        level=str(row.get("level") or "introductory").strip(),
        pace=str(row.get("pace") or "instructor_led").strip(),
        effort_hours=row.get("effort_hours"),
        length_weeks=row.get("length_weeks"),
        credential=str(row.get("credential") or "none").strip(),
        ects_credits=row.get("ects_credits"),
        teaching_languages=_split(row.get("teaching_languages")),
        subtitle_languages=_split(row.get("subtitle_languages")),
        subjects=_split(row.get("subjects")),
        accessibility_statement=_text(row.get("accessibility_statement")),
    )
    clean, errors = validate_course_data(data)
    result.errors.extend(
        (name, _choices_message(name) if name in CHOICES else message) for name, message in errors
    )
    for code_ in clean["subjects"]:
        if code_ not in known_subjects:
            result.errors.append(("subjects", _("“%(code)s” is unknown.", code=code_)))
    translations = row.get("translations") or {}
    if not isinstance(translations, dict):
        result.errors.append(("translations", _("Give the translations as an object.")))
        translations = {}
    translations = dict(translations)
    if any(row.get(name) for name in TEXT_FIELDS):
        translations[original] = {name: row.get(name) for name in TEXT_FIELDS}
    texts: dict[str, dict[str, Any]] = {}
    for language, values in translations.items():
        if not isinstance(values, dict) or not any((values.get(n) or "") for n in TEXT_FIELDS):
            continue
        clean_text, text_errors = validate_translation(
            TranslationData(language=language, **{n: _text(values.get(n)) for n in TEXT_FIELDS})
        )
        in_original = language == original
        for name, message in text_errors:
            if name != "language":
                result.errors.append((name if in_original else f"{name}:{language}", message))
            elif not in_original:  # the original language's tag is checked once, above
                result.errors.append(
                    (
                        f"title:{language}",
                        _(
                            "“%(tag)s” is not a language tag. Name the column with one, such "
                            "as title:ko or summary:de.",
                            tag=language,
                        ),
                    )
                )
        if "language" in clean_text:
            texts[clean_text.pop("language")] = clean_text
    if "original_language" in clean and clean["original_language"] not in texts:
        result.errors.append(("title", _("Give the title in the original language.")))
    course = existing.get(code)
    result.action = "create" if course is None else "update"
    return _Planned(result=result, clean=clean, texts=texts, course=course)


def _course_state(course: Course) -> dict[str, Any]:
    state = course_snapshot(course)
    state["texts"] = {
        t.language: {n: getattr(t, n) for n in TEXT_FIELDS} for t in course.translations
    }
    return state


def import_courses(
    actor: Account | None,
    institution: Institution,
    rows: list[dict[str, Any]],
    *,
    apply: bool,
    progress: Callable[[Iterable[Any]], Iterable[Any]] | None = None,
    from_command_line: bool = False,
) -> ImportReport:
    """Check every row; when ``apply`` and no row has an error, create or update the courses.

    From the web the actor must be staff of the institution; ``flask portal import`` runs with
    the server operator's authority (``from_command_line``; the audit log names ``actor``, the
    account given with ``--as``, or no one).
    """
    if from_command_line:
        refuse_federated(institution)
    else:
        actor = require_staff(actor, institution)
    existing = {
        c.code: c
        for c in session.scalars(select(Course).where(Course.institution_id == institution.id))
    }
    known_subjects = set(session.scalars(select(SubjectArea.code)))
    report = ImportReport()
    planned: list[_Planned] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        plan = _plan_row(number, row, existing, known_subjects)
        if plan.result.code in seen:
            plan.result.errors.append(
                ("code", _("The same code is on row %(n)d.", n=seen[plan.result.code]))
            )
        seen.setdefault(plan.result.code, number)
        planned.append(plan)
        report.rows.append(plan.result)
    for plan in planned:
        if plan.result.errors:
            plan.result.action = ""  # not imported, whatever the other rows
    if not report.ok:
        return report
    slugs = set(session.scalars(select(Course.slug)))
    iterable: Iterable[_Planned] = progress(planned) if progress else planned
    for plan in iterable:
        _apply_plan(actor, institution, plan, slugs, apply=apply)
    if apply:
        session.flush()
        report.applied = True
    return report


def _apply_plan(
    actor: Account | None, institution: Institution, plan: _Planned, slugs: set[str], *, apply: bool
) -> None:
    course = plan.course
    before = _course_state(course) if course is not None else None
    if course is not None and before is not None:
        keys = [k for k in plan.clean if k != "slug"]
        same_fields = json_like({k: before[k] for k in keys}) == json_like(
            {k: plan.clean[k] for k in keys}
        )
        same_texts = {lang: before["texts"].get(lang) for lang in plan.texts} == plan.texts
        if same_fields and same_texts:
            plan.result.action = "unchanged"
            return
    if not apply:
        return
    if course is None:
        base = slugify(plan.texts[plan.clean["original_language"]]["title"]) or "course"
        slug, n = base, 1
        while slug in slugs:
            n += 1
            slug = f"{base}-{n}"
        slugs.add(slug)
        course = Course(institution=institution, status=CourseStatus.DRAFT, slug=slug)
        session.add(course)
    apply_course_fields(course, plan.clean)
    by_language = {t.language: t for t in course.translations}
    for language, values in plan.texts.items():
        translation = by_language.get(language)
        if translation is None:
            course.translations.append(CourseTranslation(language=language, **values))
        else:
            for name, value in values.items():
                setattr(translation, name, value)
    session.flush()
    record_change(
        actor,
        "import",
        "course",
        course.id,
        before=before,
        after=_course_state(course),
        institution_id=institution.id,
        summary=course.code,
    )
    index_course(course)


# -- large files: in the background ------------------------------------------------------------


def runs_in_background(rows: list[dict[str, Any]]) -> bool:
    """Whether a file of these rows is too large to check while a request waits."""
    return len(rows) > int(current_app.config["MOOC_IMPORT_INLINE_ROWS"])


def import_in_background(
    actor: Account | None,
    institution: Institution,
    data: bytes,
    filename: str,
    rows: int,
    *,
    apply: bool,
) -> CourseImport:
    """Keep the uploaded file and ask the worker to import it (check only unless ``apply``);
    the job runs once the transaction commits. Flushes. Raises what ``require_staff`` raises."""
    from mooc_portal.jobs.services import enqueue

    actor = require_staff(actor, institution)
    record = CourseImport(
        institution_id=institution.id,
        account_id=actor.id,
        filename=filename[:200],
        apply=apply,
        rows=rows,
        state="pending",
        data=data,
    )
    session.add(record)
    session.flush()
    enqueue(
        "course_import",
        {"import_id": record.id},
        dedupe_key=f"course-import:{record.id}",
        topic=f"institution:{institution.id}",
    )
    return record


def course_import_job(payload: dict[str, Any]) -> None:
    """The ``course_import`` job: ``import_courses`` on the kept file, as the partner who
    uploaded it, its messages in that partner's language; keeps the report and drops the file."""
    record = session.get(CourseImport, int(payload["import_id"]))
    if record is None or record.state != "pending":
        return
    actor = session.get(Account, record.account_id) if record.account_id else None
    institution = session.get_one(Institution, record.institution_id)
    config = current_app.config
    language = actor.preferred_language if actor is not None else None
    if language is None or language not in config["MOOC_LANGUAGES"]:
        language = config["MOOC_DEFAULT_LANGUAGE"]
    with force_locale(language):
        try:
            with session.begin_nested():  # a refused file leaves nothing behind
                rows = parse_file(record.data or b"", record.filename)
                report = import_courses(actor, institution, rows, apply=record.apply)
        except PortalError as error:  # no longer staff, or the file cannot be read
            report = ImportReport(file_error=str(error.message))
    record.report = report_to_json(report)
    record.state = "done"
    record.data = None
    record.finished_at = utcnow()
    session.flush()


def latest_background_import(
    actor: Account | None, institution: Institution
) -> CourseImport | None:
    """The actor's latest background import into the institution, if any."""
    if actor is None:
        return None
    return session.scalar(
        select(CourseImport)
        .where(CourseImport.institution_id == institution.id, CourseImport.account_id == actor.id)
        .order_by(CourseImport.id.desc())
        .limit(1)
    )


def report_to_json(report: ImportReport) -> dict[str, Any]:
    return {
        "applied": report.applied,
        "file_error": report.file_error,
        "rows": [
            {"row": r.row, "code": r.code, "action": r.action, "errors": r.errors}
            for r in report.rows
        ],
    }


def report_from_json(stored: dict[str, Any]) -> ImportReport:
    return ImportReport(
        rows=[
            RowResult(
                row=int(r["row"]),
                code=str(r["code"]),
                action=str(r["action"]),
                errors=[(str(f), str(m)) for f, m in r["errors"]],
            )
            for r in stored.get("rows", [])
        ],
        applied=bool(stored.get("applied")),
        file_error=stored.get("file_error"),
    )


# -- the template offered on the import page ----------------------------------------------------

TEMPLATE_EXAMPLE: dict[str, Any] = {
    "code": "EXAMPLE101",
    "original_language": "en",
    "title": "Example: Climate and Society",
    "summary": "One or two sentences that say what the course is about.",
    "description": "A longer description. Markdown is allowed.",
    "learning_outcomes": "- One thing learners will be able to do\n- Another one",
    "level": "introductory",
    "pace": "self_paced",
    "effort_hours": 3,
    "length_weeks": 6,
    "credential": "certificate",
    "ects_credits": "",
    "teaching_languages": "en;ko",
    "subtitle_languages": "ko",
    "subjects": "0521;0312",
    "accessibility_statement": "Every video has captions and a transcript.",
}
TEMPLATE_TRANSLATION = {
    "ko": {"title": "예시: 기후와 사회", "summary": "강좌를 한두 문장으로 소개합니다."}
}


def template_csv() -> str:
    """A CSV to fill in: every column, one example row (a translation as ``title:ko``)."""
    translated = {
        f"{name}:{language}": text
        for language, texts in TEMPLATE_TRANSLATION.items()
        for name, text in texts.items()
    }
    columns = [*TEMPLATE_EXAMPLE, *translated]
    return write_csv(columns, [[*TEMPLATE_EXAMPLE.values(), *translated.values()]])


def template_json() -> str:
    """The same example as a JSON list of courses."""
    course = {k: v for k, v in TEMPLATE_EXAMPLE.items() if v != ""}
    for name in LIST_FIELDS:
        course[name] = _split(course.get(name))
    course["translations"] = TEMPLATE_TRANSLATION
    return json.dumps([course], ensure_ascii=False, indent=2) + "\n"


def json_like(value: dict[str, Any]) -> dict[str, Any]:
    from mooc_portal.audit.services import to_json

    found: dict[str, Any] = to_json(value)
    return found
