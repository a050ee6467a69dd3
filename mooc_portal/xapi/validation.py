"""The xAPI 1.0.3 data rules for a statement (and the parts the document resources take).

Each rule that fails raises :class:`StatementInvalid` naming the property's path, which the
endpoint answers with a 400. Only what the specification requires is refused; what it
leaves open (extensions' contents, unknown language tags' meaning) is kept as sent.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any, NoReturn

from mooc_portal.errors import InvalidInput

VOIDED = "http://adlnet.gov/expapi/verbs/voided"

UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
IRI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]*$")
MAILTO_RE = re.compile(r"^mailto:[^@\s:]+@[^@\s]+\.[^@\s]+$|^mailto:[^@\s:]+@[^@\s.]+$")
SHA1_RE = re.compile(r"^[0-9a-fA-F]{40}$")
# RFC 5646 language tags, in the shape the suite tests (language, script, region, variants,
# extensions, private use; the grandfathered tags are not worth their table).
LANGUAGE_TAG_RE = re.compile(
    r"^(?:(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})"
    r"(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"
    r"(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"
    r"(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*"
    r"(?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?|[Xx](?:-[A-Za-z0-9]{1,8})+)$"
)
TIMESTAMP_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$"
)
# ISO 8601 durations: weeks stand alone (P4W), never beside other parts (P4W1D).
DURATION_RE = re.compile(
    r"^P(?:\d+W|(?=\d|T\d)(?:\d+Y)?(?:\d+M)?(?:\d+D)?"
    r"(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?)$"
)
INTERACTION_TYPES = {
    "true-false",
    "choice",
    "fill-in",
    "long-fill-in",
    "matching",
    "performance",
    "sequencing",
    "likert",
    "numeric",
    "other",
}
COMPONENTS = {
    "choice": ("choices",),
    "sequencing": ("choices",),
    "likert": ("scale",),
    "matching": ("source", "target"),
    "performance": ("steps",),
}
CONTEXT_ACTIVITY_KEYS = {"parent", "grouping", "category", "other"}


class StatementInvalid(InvalidInput):
    """A statement (or agent, activity, document parameter) that breaks an xAPI rule."""


def fail(path: str, message: str) -> NoReturn:
    raise StatementInvalid(f"{path}: {message}" if path else message, field=path or None)


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        fail(path, "must be a JSON object")
    return value


def _keys(
    value: dict[str, Any],
    path: str,
    allowed: set[str],
    required: frozenset[str] | set[str] = frozenset(),
) -> None:
    for key, item in value.items():
        if key not in allowed:
            fail(f"{path}.{key}" if path else key, "is not a property of this object")
        if item is None:
            fail(f"{path}.{key}" if path else key, "must not be null")
    for key in required:
        if key not in value:
            fail(f"{path}.{key}" if path else key, "is required")


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        fail(path, "must be a string")
    return value


def check_iri(value: Any, path: str) -> str:
    if not isinstance(value, str) or not IRI_RE.match(value):
        fail(path, "must be an absolute IRI")
    return value


def check_uuid(value: Any, path: str) -> str:
    if not isinstance(value, str) or not UUID_RE.match(value):
        fail(path, "must be a UUID")
    return value


def _boolean(value: Any, path: str) -> None:
    if not isinstance(value, bool):
        fail(path, "must be true or false")


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        fail(path, "must be a number")
    return float(value)


def check_language_map(value: Any, path: str) -> None:
    for tag, text in _object(value, path).items():
        if not LANGUAGE_TAG_RE.match(tag):
            fail(f"{path}.{tag}", "is not an RFC 5646 language tag")
        _string(text, f"{path}.{tag}")


def _extensions(value: Any, path: str) -> None:
    for key in _object(value, path):
        check_iri(key, f"{path}.{key}")


def check_timestamp(value: Any, path: str) -> datetime:
    text = _string(value, path)
    if not TIMESTAMP_RE.match(text) or text.endswith(("-00", "-0000", "-00:00")):
        fail(path, "must be an ISO 8601 date and time")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        fail(path, "must be an ISO 8601 date and time")
    return moment


# -- actors --------------------------------------------------------------------------------

IFIS = ("mbox", "mbox_sha1sum", "openid", "account")


def _ifi_count(agent: dict[str, Any], path: str) -> int:
    count = 0
    for key in IFIS:
        if key not in agent:
            continue
        count += 1
        value = agent[key]
        where = f"{path}.{key}"
        if key == "mbox":
            if not isinstance(value, str) or not MAILTO_RE.match(value):
                fail(where, "must be a mailto: IRI")
        elif key == "mbox_sha1sum":
            if not isinstance(value, str) or not SHA1_RE.match(value):
                fail(where, "must be a SHA-1 in hexadecimal")
        elif key == "openid":
            check_iri(value, where)
        else:
            account = _object(value, where)
            _keys(account, where, {"homePage", "name"}, {"homePage", "name"})
            check_iri(account["homePage"], f"{where}.homePage")
            _string(account["name"], f"{where}.name")
    return count


def check_agent(value: Any, path: str, *, object_type_required: bool = False) -> None:
    agent = _object(value, path)
    _keys(agent, path, {"objectType", "name", *IFIS})
    if object_type_required and "objectType" not in agent:
        fail(f"{path}.objectType", "is required")
    if agent.get("objectType", "Agent") != "Agent":
        fail(f"{path}.objectType", "must be Agent")
    if "name" in agent:
        _string(agent["name"], f"{path}.name")
    if _ifi_count(agent, path) != 1:
        fail(path, "an Agent has exactly one of mbox, mbox_sha1sum, openid and account")


def check_group(value: Any, path: str) -> None:
    group = _object(value, path)
    _keys(group, path, {"objectType", "name", "member", *IFIS}, {"objectType"})
    if group["objectType"] != "Group":
        fail(f"{path}.objectType", "must be Group")
    if "name" in group:
        _string(group["name"], f"{path}.name")
    count = _ifi_count(group, path)
    if count > 1:
        fail(path, "a Group has at most one of mbox, mbox_sha1sum, openid and account")
    if count == 0 and "member" not in group:
        fail(f"{path}.member", "an anonymous Group lists its members")
    if "member" in group:
        members = group["member"]
        if not isinstance(members, list):
            fail(f"{path}.member", "must be an array of Agents")
        if count == 0 and not members:
            fail(f"{path}.member", "an anonymous Group lists its members")
        for n, member in enumerate(members):
            check_agent(member, f"{path}.member.{n}")


def check_actor(value: Any, path: str) -> None:
    actor = _object(value, path)
    if actor.get("objectType") == "Group":
        check_group(actor, path)
    else:
        check_agent(actor, path)


# -- verb, object --------------------------------------------------------------------------


def check_verb(value: Any, path: str) -> None:
    verb = _object(value, path)
    _keys(verb, path, {"id", "display"}, {"id"})
    check_iri(verb["id"], f"{path}.id")
    if "display" in verb:
        check_language_map(verb["display"], f"{path}.display")


def _components(value: Any, path: str) -> None:
    if not isinstance(value, list):
        fail(path, "must be an array of interaction components")
    seen: set[str] = set()
    for n, item in enumerate(value):
        where = f"{path}.{n}"
        component = _object(item, where)
        _keys(component, where, {"id", "description"}, {"id"})
        ident = _string(component["id"], f"{where}.id")
        if ident in seen:
            fail(f"{where}.id", "is used twice")
        seen.add(ident)
        if "description" in component:
            check_language_map(component["description"], f"{where}.description")


def check_definition(value: Any, path: str) -> None:
    definition = _object(value, path)
    allowed = {
        "name",
        "description",
        "type",
        "moreInfo",
        "extensions",
        "interactionType",
        "correctResponsesPattern",
        "choices",
        "scale",
        "source",
        "target",
        "steps",
    }
    _keys(definition, path, allowed)
    for key in ("name", "description"):
        if key in definition:
            check_language_map(definition[key], f"{path}.{key}")
    for key in ("type", "moreInfo"):
        if key in definition:
            check_iri(definition[key], f"{path}.{key}")
    if "extensions" in definition:
        _extensions(definition["extensions"], f"{path}.extensions")
    interaction = definition.get("interactionType")
    if interaction is not None and (
        not isinstance(interaction, str) or interaction not in INTERACTION_TYPES
    ):
        fail(f"{path}.interactionType", "is not an interaction type")
    if "correctResponsesPattern" in definition:
        if interaction is None:
            fail(f"{path}.correctResponsesPattern", "needs an interactionType")
        pattern = definition["correctResponsesPattern"]
        if not isinstance(pattern, list) or not all(isinstance(p, str) for p in pattern):
            fail(f"{path}.correctResponsesPattern", "must be an array of strings")
    for key in ("choices", "scale", "source", "target", "steps"):
        if key not in definition:
            continue
        if not isinstance(interaction, str) or key not in COMPONENTS.get(interaction, ()):
            fail(f"{path}.{key}", "does not belong to this interactionType")
        _components(definition[key], f"{path}.{key}")


def check_activity(value: Any, path: str) -> None:
    activity = _object(value, path)
    _keys(activity, path, {"objectType", "id", "definition"}, {"id"})
    if activity.get("objectType", "Activity") != "Activity":
        fail(f"{path}.objectType", "must be Activity")
    check_iri(activity["id"], f"{path}.id")
    if "definition" in activity:
        check_definition(activity["definition"], f"{path}.definition")


def check_statement_ref(value: Any, path: str) -> None:
    ref = _object(value, path)
    _keys(ref, path, {"objectType", "id"}, {"objectType", "id"})
    if ref["objectType"] != "StatementRef":
        fail(f"{path}.objectType", "must be StatementRef")
    check_uuid(ref["id"], f"{path}.id")


def check_object(value: Any, path: str, *, in_substatement: bool = False) -> str:
    """Checks the object; returns its objectType."""
    obj = _object(value, path)
    kind = obj.get("objectType", "Activity")
    if kind == "Activity":
        check_activity(obj, path)
    elif kind == "Agent":
        check_agent(obj, path, object_type_required=True)
    elif kind == "Group":
        check_group(obj, path)
    elif kind == "StatementRef":
        check_statement_ref(obj, path)
    elif kind == "SubStatement":
        if in_substatement:
            fail(f"{path}.objectType", "a SubStatement cannot contain a SubStatement")
        _check_substatement(obj, path)
    else:
        fail(f"{path}.objectType", "is not an object type")
    return str(kind)


def _check_substatement(value: dict[str, Any], path: str) -> None:
    _keys(
        value,
        path,
        {"objectType", "actor", "verb", "object", "result", "context", "timestamp", "attachments"},
        {"actor", "verb", "object"},
    )
    _check_parts(value, path, in_substatement=True)


# -- result, context, attachments ----------------------------------------------------------


def check_result(value: Any, path: str) -> None:
    result = _object(value, path)
    _keys(result, path, {"score", "success", "completion", "response", "duration", "extensions"})
    if "score" in result:
        where = f"{path}.score"
        score = _object(result["score"], where)
        _keys(score, where, {"scaled", "raw", "min", "max"})
        numbers = {k: _number(v, f"{where}.{k}") for k, v in score.items()}
        if "scaled" in numbers and not -1 <= numbers["scaled"] <= 1:
            fail(f"{where}.scaled", "must be between -1 and 1")
        low, high, raw = numbers.get("min"), numbers.get("max"), numbers.get("raw")
        if low is not None and high is not None and low >= high:
            fail(f"{where}.min", "must be less than max")
        below = raw is not None and low is not None and raw < low
        above = raw is not None and high is not None and raw > high
        if below or above:
            fail(f"{where}.raw", "must be between min and max")
    for key in ("success", "completion"):
        if key in result:
            _boolean(result[key], f"{path}.{key}")
    if "response" in result:
        _string(result["response"], f"{path}.response")
    if "duration" in result:
        duration = result["duration"]
        if not isinstance(duration, str) or not DURATION_RE.match(duration):
            fail(f"{path}.duration", "must be an ISO 8601 duration")
    if "extensions" in result:
        _extensions(result["extensions"], f"{path}.extensions")


def check_context(value: Any, path: str, object_type: str) -> None:
    context = _object(value, path)
    _keys(
        context,
        path,
        {
            "registration",
            "instructor",
            "team",
            "contextActivities",
            "revision",
            "platform",
            "language",
            "statement",
            "extensions",
        },
    )
    if "registration" in context:
        check_uuid(context["registration"], f"{path}.registration")
    if "instructor" in context:
        check_actor(context["instructor"], f"{path}.instructor")
    if "team" in context:
        check_group(context["team"], f"{path}.team")
    if "contextActivities" in context:
        where = f"{path}.contextActivities"
        activities = _object(context["contextActivities"], where)
        _keys(activities, where, CONTEXT_ACTIVITY_KEYS)
        for key, items in activities.items():
            for n, item in enumerate(items if isinstance(items, list) else [items]):
                check_activity(item, f"{where}.{key}.{n}")
    for key in ("revision", "platform"):
        if key in context:
            _string(context[key], f"{path}.{key}")
            if object_type != "Activity":
                fail(f"{path}.{key}", "is only allowed when the object is an Activity")
    if "language" in context:
        language = _string(context["language"], f"{path}.language")
        if not LANGUAGE_TAG_RE.match(language):
            fail(f"{path}.language", "is not an RFC 5646 language tag")
    if "statement" in context:
        check_statement_ref(context["statement"], f"{path}.statement")
    if "extensions" in context:
        _extensions(context["extensions"], f"{path}.extensions")


def check_attachments(value: Any, path: str) -> None:
    if not isinstance(value, list):
        fail(path, "must be an array")
    for n, item in enumerate(value):
        where = f"{path}.{n}"
        attachment = _object(item, where)
        _keys(
            attachment,
            where,
            {"usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"},
            {"usageType", "display", "contentType", "length", "sha2"},
        )
        check_iri(attachment["usageType"], f"{where}.usageType")
        check_language_map(attachment["display"], f"{where}.display")
        if "description" in attachment:
            check_language_map(attachment["description"], f"{where}.description")
        _string(attachment["contentType"], f"{where}.contentType")
        length = attachment["length"]
        if isinstance(length, bool) or not isinstance(length, int) or length < 0:
            fail(f"{where}.length", "must be a whole number")
        _string(attachment["sha2"], f"{where}.sha2")
        if "fileUrl" in attachment:
            check_iri(attachment["fileUrl"], f"{where}.fileUrl")


def _check_parts(value: dict[str, Any], path: str, *, in_substatement: bool = False) -> None:
    def at(key: str) -> str:
        return f"{path}.{key}" if path else key

    check_actor(value["actor"], at("actor"))
    check_verb(value["verb"], at("verb"))
    object_type = check_object(value["object"], at("object"), in_substatement=in_substatement)
    if "result" in value:
        check_result(value["result"], at("result"))
    if "context" in value:
        check_context(value["context"], at("context"), object_type)
    if "timestamp" in value:
        check_timestamp(value["timestamp"], at("timestamp"))
    if "attachments" in value:
        check_attachments(value["attachments"], at("attachments"))


def check_statement(value: Any, *, version: str = "1.0.3") -> None:
    """Every rule of a statement an LRS receives; raises StatementInvalid."""
    statement = _object(value, "")
    _keys(
        statement,
        "",
        {
            "id",
            "actor",
            "verb",
            "object",
            "result",
            "context",
            "timestamp",
            "stored",
            "authority",
            "version",
            "attachments",
        },
        {"actor", "verb", "object"},
    )
    if "id" in statement:
        check_uuid(statement["id"], "id")
    _check_parts(statement, "")
    if "stored" in statement:
        check_timestamp(statement["stored"], "stored")
    if "authority" in statement:
        authority = _object(statement["authority"], "authority")
        check_actor(authority, "authority")
        if authority.get("objectType") == "Group" and (
            any(key in authority for key in IFIS) or len(authority.get("member", [])) != 2
        ):
            fail("authority", "an authority Group is anonymous, of two Agents (OAuth)")
    if "version" in statement:
        text = _string(statement["version"], "version")
        if not re.match(r"^(1\.0(\.\d+)?|2\.0(\.\d+)?)$", text):
            fail("version", "must be 1.0.x or 2.0.x")
    verb_id = statement["verb"]["id"]
    if verb_id == VOIDED and statement["object"].get("objectType") != "StatementRef":
        fail("object", "a voiding statement's object is a StatementRef")


def parse_uuid(value: str, path: str) -> uuid.UUID:
    return uuid.UUID(check_uuid(value, path))
