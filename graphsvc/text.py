"""What text graphsvc accepts: one rule for names, one for free text, one for any stored string.

Every write path (the API, `/batch`, `graphsvc load`, `graphsvc neo4j import`) validates rows
with the pydantic models of graphsvc/models.py, which apply these checks, so a name refused by
one is refused by all.

- Any stored string must be valid Unicode: JSON's `\\ud800` escapes can smuggle in an unpaired
  surrogate, which UTF-8 (hence Bolt and Neo4j) cannot carry.
- Names (a record's name, a role's name, a role referred to by name) are shown in lists, the
  Neo4j Browser and CRM screens, so they are trimmed of surrounding blanks and must then be
  non-blank, without control characters (NUL, tab, line breaks, C1) and without the bidirectional
  embedding/override/isolate controls (U+202A-U+202E, U+2066-U+2069) that make text display in
  an order other than the one stored ("Trojan Source" spoofing). The bidi marks LRM/RLM/ALM
  stay allowed: right-to-left names legitimately need them and they reorder nothing by themselves.
- Free text (descriptions) may hold line breaks and tabs; other controls and the bidi controls
  are refused as in names.
"""

import re

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f" + BIDI_CONTROLS + "]")
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f" + BIDI_CONTROLS + "]")


def check_unicode(value: str) -> str:
    if value.isascii():  # the common case, without encoding a copy
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"holds an unpaired surrogate (U+{ord(value[exc.start]):04X}), not valid Unicode"
        ) from None
    return value


def _refuse(value: str, pattern: re.Pattern[str], what: str) -> None:
    found = pattern.search(value)
    if found:
        raise ValueError(
            f"{what} may not hold control or bidirectional-control characters "
            f"(U+{ord(found.group()):04X} at position {found.start()})"
        )


def check_name(value: str) -> str:
    value = check_unicode(value).strip()
    if not value:
        raise ValueError("a name may not be blank")
    _refuse(value, _CONTROL, "a name")
    return value


def check_text(value: str) -> str:
    _refuse(check_unicode(value), _TEXT_CONTROL, "text")
    return value


def printable(value: str) -> str:
    """`value` made safe to send back in an error message (lone surrogates escaped)."""
    return value.encode("utf-8", "backslashreplace").decode("utf-8")
