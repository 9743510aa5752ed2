"""What the desk writes to customers, in their language: one message file per language in this folder.

`en.json` is the reference; every other `<language>.json` (cs, and ru, pl or any other dropped in here: no code
changes) holds some or all of its keys. A key a language lacks is said in English. A message is plain text with
ICU-like placeholders:

- `{reference}`: the value given for `reference`;
- `{days, plural, one {# day} few {# days} other {# days}}`: the branch for the number's plural category in the
  language (CLDR rules, through babel), `=0 {...}` for an exact number; `#` is the number.

Dates and times are formatted by `moment`: the instant in a time zone, with the language's own pattern (the
`time.pattern` key, CLDR pattern letters: month and day names in the language) and the zone named.

Light at import: the files are read when a language is first asked for (then kept), and babel, which the plural
rules and the date names need, is imported on first use only, never when the API's Lambda starts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ENGLISH = "en"

# Where the message files are: this folder (tests point it at a copy to drop a language in).
FOLDER = Path(__file__).resolve().parent

_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


class MessageError(ValueError):
    """A message file or a message's placeholders are wrong: a defect of the files, not of the input."""


@dataclass(frozen=True)
class Phrase:
    """Something to say later in the reader's language: a message key and its values, themselves text or phrases
    (e.g. a reason a route gives, written to the log in English and to the customer in theirs)."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)

    def text(self, language: str = ENGLISH) -> str:
        return say(language, self.key, **self.values)


def languages() -> list[str]:
    """Every language the desk has a message file for, English first."""
    return list(_languages(FOLDER))


@cache
def _languages(folder: Path) -> tuple[str, ...]:
    found = sorted(p.stem for p in folder.glob("*.json") if _LANGUAGE.match(p.stem))
    return (ENGLISH, *(language for language in found if language != ENGLISH))


def normalise(tag: str | None) -> str | None:
    """A language tag as the message files name it (`cs-CZ` -> `cs` unless `cs-CZ.json` exists); None when the
    desk has no messages in it."""
    if not tag:
        return None
    known = languages()
    tag = tag.strip().replace("_", "-")
    for candidate in (tag, tag.split("-", 1)[0].lower()):
        if candidate in known:
            return candidate
    return None


def messages(language: str) -> dict[str, str]:
    """The language's messages as its file holds them (empty for a language without a file)."""
    return dict(_load(FOLDER, language))


@cache
def _load(folder: Path, language: str) -> dict[str, str]:
    if not _LANGUAGE.match(language):
        return {}
    path = folder / f"{language}.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise MessageError(f"{path.name} is not valid JSON: {error}") from error
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise MessageError(f"{path.name} must be one object of message keys to texts")
    return {k: v for k, v in data.items() if not k.startswith("//")}


def forget() -> None:
    """Read the message files again (after a file was added or changed)."""
    _load.cache_clear()
    _languages.cache_clear()


def template(language: str, key: str) -> str:
    """The message's text in the language, else in English."""
    text = _load(FOLDER, language).get(key)
    if text is None:
        text = _load(FOLDER, ENGLISH).get(key)
    if text is None:
        raise MessageError(f"no message {key!r} in en.json")
    return text


def say(language: str, key: str, /, **values: Any) -> str:
    """The message `key` in `language` (English where the language lacks it), its placeholders filled."""
    return fill(template(language, key), language, values)


def placeholders(text: str) -> set[str]:
    """The names a message's placeholders use (plural branches included)."""
    names: set[str] = set()
    i = 0
    while (start := text.find("{", i)) >= 0:
        end = _closing(text, start)
        name, _, rest = (part.strip() for part in text[start + 1 : end].partition(","))
        names.add(name)
        if rest:
            for branch in _branches(rest.partition(",")[2]).values():
                names |= placeholders(branch)
        i = end + 1
    return names


def fill(text: str, language: str, values: dict[str, Any]) -> str:
    """The text with its placeholders replaced by the values; a missing value is a MessageError."""
    out: list[str] = []
    i = 0
    while i < len(text):
        start = text.find("{", i)
        if start < 0:
            out.append(text[i:])
            break
        out.append(text[i:start])
        end = _closing(text, start)
        out.append(_placeholder(text[start + 1 : end], language, values))
        i = end + 1
    return "".join(out)


def _closing(text: str, start: int) -> int:
    """The index of the brace that closes the one at `start`."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    raise MessageError(f"unbalanced braces in {text!r}")


def _placeholder(inside: str, language: str, values: dict[str, Any]) -> str:
    name, _, rest = (part.strip() for part in inside.partition(","))
    if name not in values:
        raise MessageError(f"no value for {{{name}}}")
    value = values[name]
    if isinstance(value, Phrase):
        value = value.text(language)
    if not rest:
        return str(value)
    kind, _, branches = (part.strip() for part in rest.partition(","))
    if kind != "plural":
        raise MessageError(f"unknown placeholder kind {kind!r} in {{{inside}}}")
    chosen = _branches(branches)
    number = value
    exact = f"={number}"
    branch = chosen.get(exact)
    if branch is None:
        branch = chosen.get(plural_category(language, number), chosen.get("other"))
    if branch is None:
        raise MessageError(f"no 'other' branch in {{{inside}}}")
    return fill(branch.replace("#", str(number)), language, values)


def _branches(text: str) -> dict[str, str]:
    """`one {...} other {...}` as {"one": "...", "other": "..."}."""
    found: dict[str, str] = {}
    i = 0
    while i < len(text):
        start = text.find("{", i)
        if start < 0:
            break
        selector = text[i:start].strip()
        end = _closing(text, start)
        found[selector] = text[start + 1 : end]
        i = end + 1
    return found


def plural_category(language: str, number: Any) -> str:
    """CLDR's plural category of the number in the language (one, few, many, other, ...)."""
    if language == ENGLISH:
        return "one" if number == 1 else "other"
    locale = _locale(language)
    return locale.plural_form(number) if locale is not None else ("one" if number == 1 else "other")


def moment(at: datetime, language: str, zone: str) -> str:
    """An instant as the customer reads it: in `zone`, in the language's pattern (`time.pattern`), the zone named
    (`time.with_zone`)."""
    local = at.astimezone(ZoneInfo(zone))
    pattern = template(language, "time.pattern")
    locale = _locale(language) or _locale(ENGLISH)
    # Imported on first use: babel's date functions and locale data are too heavy for the API's cold start.
    from babel.dates import format_datetime

    shown = format_datetime(local, pattern, tzinfo=local.tzinfo, locale=locale)
    return say(language, "time.with_zone", time=shown, zone=zone)


@cache
def _locale(language: str) -> Any:
    """babel's locale of the language; None when babel does not know it."""
    # Imported on first use: babel loads CLDR data (not for the API's cold start).
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return None
