"""Partner Center's JSON (Json.NET) reads enum values and property names in any case, with or without the
underscores of their wire spelling (`OneTime`, `onetime`, `one_time`; `IndirectReseller`, `indirect_reseller`).
`match_choice` does the same for our inputs and gives back the one spelling we answer with."""

import re

_NOISE = re.compile(r"[\s_\-]")


def fold(value) -> str:
    """The comparison key of an enum value or field name: lower case, without spaces, underscores or dashes."""
    return _NOISE.sub("", str(value)).lower()


def match_choice(value, choices):
    """The member of `choices` that `value` names in any case or underscore spelling, else None."""
    if value is None:
        return None
    key = fold(value)
    for choice in choices:
        if fold(choice) == key:
            return choice
    return None
