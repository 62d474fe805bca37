"""A scenario in a link: the canonical JSON, compressed (zlib) and written in URL-safe
base64 without padding, so a dashboard address with ``?scenario=<token>`` reopens the case.

Only scenarios whose token is at most :data:`MAX_TOKEN_CHARS` characters travel in a
link (browsers and servers cut long addresses; the examples take 1,500–2,500). Decoding
is defensive: the token's length, the decompressed size and the content are checked, old
schema versions are migrated, and every failure is a :class:`~costmodel.errors.ScenarioError`
with a plain message.

Examples
--------
>>> from costmodel.scenario import parse_scenario
>>> s = parse_scenario({"name": "Shared", "organisation": {"units": 5}, "strategies": [
...     {"name": "All", "phases": [{"share": 1, "go_live": 2}]}]})
>>> token = encode(s)
>>> decode(token) == s, token.isascii() and "=" not in token
(True, True)
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib

from .errors import Problem, ScenarioError
from .migrate import upgrade
from .scenario import Scenario, parse_scenario
from .store import MAX_FILE_BYTES

__all__ = ["MAX_TOKEN_CHARS", "QUERY_KEY", "LinkTooLong", "decode", "encode"]

#: Longest token put in a link [characters].
MAX_TOKEN_CHARS = 6_000
#: The query parameter holding the token.
QUERY_KEY = "scenario"


class LinkTooLong(ScenarioError):
    """A scenario too large to travel in a link (download the file instead)."""


def encode(scenario: Scenario) -> str:
    """The link token of ``scenario``.

    Raises
    ------
    LinkTooLong
        When the token would be longer than :data:`MAX_TOKEN_CHARS`.
    """
    packed = zlib.compress(scenario.canonical_json().encode("utf-8"), level=9)
    token = base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")
    if len(token) > MAX_TOKEN_CHARS:
        raise LinkTooLong([Problem("", f"{len(token):,} characters",
                                   f"this scenario is too large for a link (more than "
                                   f"{MAX_TOKEN_CHARS:,} characters) — download the file "
                                   "and share that instead")])
    return token


def _bad(reason: str) -> ScenarioError:
    return ScenarioError([Problem("", None, f"the link does not hold a scenario ({reason}) — "
                                            "ask for a fresh link or the file")], "link")


def decode(token: str) -> Scenario:
    """The scenario in a link token (validated; older schema versions migrated).

    Raises
    ------
    ScenarioError
        For a token that is too long, damaged, or not a valid scenario.
    """
    if not isinstance(token, str) or not token:
        raise _bad("it is empty")
    if len(token) > MAX_TOKEN_CHARS:
        raise _bad(f"longer than {MAX_TOKEN_CHARS:,} characters")
    try:
        packed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        inflater = zlib.decompressobj()
        text = inflater.decompress(packed, MAX_FILE_BYTES)
        if inflater.unconsumed_tail or not inflater.eof:
            raise _bad("damaged or too large once unpacked")
        data = json.loads(text.decode("utf-8"))
    except (binascii.Error, ValueError, zlib.error, UnicodeDecodeError):
        raise _bad("damaged: it was cut short or changed") from None
    return parse_scenario(upgrade(data, "link").data, source="link")
