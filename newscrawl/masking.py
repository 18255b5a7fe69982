"""Secrets out of everything a person or a file gets to see: database and Redis URLs, the error
texts that quote them, and run arguments.

One rule for every URL form the crawler takes (``postgresql+psycopg://``, ``sqlite:///``,
``redis://``, ``rediss://``, ``unix://``) and for strings no parser accepts: the password of the
userinfo and the values of secret query parameters become ``***``; nothing else changes. Neither
SQLAlchemy's ``render_as_string(hide_password=True)`` nor ``urlsplit`` is enough: both keep the
query (``?password=...``), SQLAlchemy reads an unescaped ``@`` in the password as part of the host
(``user:p@ss@host`` shows ``ss``), and urlsplit ends the host at a ``/``, ``?`` or ``#`` inside the
password. So the userinfo here runs to the LAST ``@``: a stray ``@`` makes more text hidden, never
less. No Scrapy, no SQLAlchemy: storage, the CLI and the crawler all use it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, unquote_plus

MASK = "***"

# name=value pairs of a query string; a value runs to the next '&' (a ';' or '#' may be part of it).
_QUERY_PARAMETER = re.compile(r"(?P<lead>[?&])(?P<name>[^=&?#]+)=(?P<value>[^&]*)")
# Parsers cut a malformed URL at these characters and may quote the pieces (e.g. redis-py's
# "Port could not be cast to integer value as 'pa'" for a password "pa/ss").
_CUT = re.compile(r"[/?#@:&;]")
# URLs inside free text, as drivers and our own messages quote them.
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>()\[\]{},]*")
_SHORT = 4  # secrets (or pieces) shorter than this are masked only where they stand alone
_SECRET_WORDS = ("password", "passwd", "passphrase", "pwd", "secret", "token", "credential", "credentials", "key")
_SECRET_NAMES = {"pass", "auth", "passfile"}


def is_secret_name(name: str) -> bool:
    """Whether a query parameter or argument of this name carries a secret: password, passwd, pass,
    pwd, sslpassword, passfile, secret, client_secret, token, access_token, auth, credentials, key,
    sslkey, api_key... (case, '_' and '-' do not matter; 'passed' is no secret)."""
    squashed = re.sub(r"[_\-\s.]", "", name.lower())
    return squashed in _SECRET_NAMES or squashed.endswith(_SECRET_WORDS)


def _mask_parameter(match: re.Match) -> str:
    if not is_secret_name(unquote_plus(match["name"])):
        return match[0]
    return f"{match['lead']}{match['name']}={MASK}"


def _userinfo_split(text: str) -> tuple[str, str | None, str]:
    """(everything up to the userinfo, the userinfo or None, the rest from the '@' on). The
    userinfo ends at the LAST '@', so an unescaped '@' in the password stays inside it."""
    scheme, separator, rest = text.partition("://")
    prefix = scheme + separator if separator else ""
    rest = rest if separator else text
    if rest.startswith("/"):  # no authority: sqlite:///path, unix:///path
        return prefix, None, rest
    userinfo, at, host_and_more = rest.rpartition("@")
    if not at:
        return prefix, None, rest
    return prefix, userinfo, at + host_and_more


def mask_password(url: str) -> str:
    """The URL with its password and secret query values replaced by ***, fit for logs, messages,
    rows and files. Never raises; a string that is no URL at all is returned as it is, except a
    ``user:password@`` in it."""
    masked = _QUERY_PARAMETER.sub(_mask_parameter, str(url))
    prefix, userinfo, rest = _userinfo_split(masked)
    if userinfo is None or ":" not in userinfo:
        return masked
    return f"{prefix}{userinfo.split(':', 1)[0]}:{MASK}{rest}"


def secrets_of(url: str) -> set[str]:
    """The secret values in a URL as a message might quote them: raw and percent-decoded, whole and
    cut into the pieces a parser may have made of them."""
    text = str(url)
    found: set[str] = set()
    for match in _QUERY_PARAMETER.finditer(text):
        if is_secret_name(unquote_plus(match["name"])):
            found.update((match["value"], unquote_plus(match["value"])))
    _prefix, userinfo, _rest = _userinfo_split(_QUERY_PARAMETER.sub(_mask_parameter, text))
    if userinfo is not None and ":" in userinfo:
        password = userinfo.split(":", 1)[1]
        found.update((password, unquote(password)))
    # A one-character piece tells next to nothing and would mask every stray letter of a message.
    pieces = {piece for secret in found for piece in _CUT.split(secret) if len(piece) > 1}
    return {secret for secret in found | pieces if secret and secret != MASK}


def mask_secrets(text: str, *urls: str | None) -> str:
    """A message with every URL in it masked, and every secret of the given URLs (as a driver's
    error text might quote it, whole or in pieces) replaced by ***."""
    masked = str(text)
    secrets: set[str] = set()
    shown: set[str] = set()
    for url in filter(None, urls):  # whole first: a URL with a space or comma is no token below
        masked = masked.replace(url, mask_password(url))
        secrets |= secrets_of(url)
        shown.add(mask_password(url))
    masked = _URL_IN_TEXT.sub(lambda match: mask_password(match[0]), masked)
    if not secrets:
        return masked
    # The masked URLs stay as they are (a password equal to the user name must not hide the user).
    keep = re.compile("(" + "|".join(re.escape(url) for url in sorted(shown, key=len, reverse=True)) + ")")
    parts = keep.split(masked)
    return "".join(part if index % 2 else _replace_secrets(part, secrets) for index, part in enumerate(parts))


def _replace_secrets(text: str, secrets: set[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):  # longest first: a piece of one stays hidden
        if len(secret) >= _SHORT:
            text = text.replace(secret, MASK)
        else:
            text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])", MASK, text)
    return text


def mask_values(value: Any, *urls: str | None) -> Any:
    """A JSON-like value (run arguments, counts) with secrets masked: strings as by mask_secrets,
    and the whole value of any key whose name carries a secret (is_secret_name)."""
    if isinstance(value, str):
        return mask_secrets(value, *urls)
    if isinstance(value, Mapping):
        return {key: MASK if isinstance(key, str) and is_secret_name(key) and value[key] not in (None, "")
                else mask_values(value[key], *urls) for key in value}
    if isinstance(value, (list, tuple)):
        return [mask_values(item, *urls) for item in value]
    return value
