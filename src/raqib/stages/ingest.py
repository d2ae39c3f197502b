"""Decode a raw topic value into a RawArticle: JSON object or plain UTF-8 text. Pure; raises StageError."""

from __future__ import annotations

import hashlib

import orjson
from pydantic import ValidationError

from raqib.contracts import RawArticle
from raqib.stages.errors import EmptyText, InvalidInput, TextTooLarge

#: JSON fields a producer may send; anything else is tolerated but ignored (feeds carry extras).
ACCEPTED_FIELDS = ("id", "url", "source", "title", "text", "published_at", "ingested_at")


def content_key(value: bytes) -> str:
    """Deterministic key for a value that has no usable id (also used for undecodable values)."""
    return "sha1-" + hashlib.sha1(value).hexdigest()[:16]


#: Default cap on article ids and message keys, in UTF-8 bytes (RAQIB_MAX_KEY_BYTES).
MAX_KEY_BYTES = 256


def cap_key(key: str, max_bytes: int = MAX_KEY_BYTES) -> str:
    """``key`` if it fits ``max_bytes`` of UTF-8, else a prefix of it + '~' + a hash of the whole.

    Deterministic (the audit derives the same form from the raw record), distinct for distinct long keys,
    and short: a 600 KB id would otherwise be repeated in every record of every hop and on the DLQ.
    """
    raw = key.encode("utf-8", "surrogatepass")
    if len(raw) <= max_bytes:
        return key
    digest = "~sha1-" + hashlib.sha1(raw).hexdigest()[:20]
    prefix = raw[: max(0, max_bytes - len(digest))].decode("utf-8", "ignore")
    return prefix + digest


def decode_raw_article(
    value: bytes | None, key: str | None = None, *, max_bytes: int = 1_000_000, max_key_bytes: int = MAX_KEY_BYTES
) -> RawArticle:
    """Parse one raw message value.

    Accepts ``{"id"?, "url"?, "source"?, "title"?, "text", "published_at"?}`` or plain UTF-8 text
    (scraped pages are sent as-is). The message ``key`` is the article id when the value carries none
    (so producer keys and output keys agree); without either, a content hash is used. Rejects, with a reason: empty, over ``max_bytes``, invalid
    UTF-8, invalid JSON, JSON that is not an object, wrong field types, missing or empty text.
    """
    if key is not None:
        key = cap_key(key, max_key_bytes)
    if value is None or len(value) == 0:
        raise EmptyText("empty message value (a tombstone or an empty record)")
    if len(value) > max_bytes:
        raise TextTooLarge(f"value is {len(value)} bytes, over the {max_bytes}-byte cap")
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"value is not valid UTF-8: {exc.reason} at byte {exc.start}", reason="bad_encoding"
        ) from exc
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith(("{", "[")):
        return _from_json(stripped, key, max_key_bytes)
    if not stripped.strip():
        raise EmptyText("value is only whitespace")
    return RawArticle(id=key or None, text=text)


def _from_json(text: str, key: str | None, max_key_bytes: int = MAX_KEY_BYTES) -> RawArticle:
    try:
        payload = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"value looks like JSON but does not parse: {exc}", reason="bad_json") from exc
    if not isinstance(payload, dict):
        raise InvalidInput(
            f"JSON value must be an object, got {type(payload).__name__}", reason="wrong_shape"
        )
    body = payload.get("text")
    if not isinstance(body, str):
        got = "missing" if body is None else type(body).__name__
        raise InvalidInput(f"field 'text' must be a string ({got})", reason="wrong_type")
    if not body.strip():
        raise EmptyText("field 'text' is empty")
    fields = {name: payload[name] for name in ACCEPTED_FIELDS if payload.get(name) is not None}
    for name in ("id", "url", "source", "title"):
        if name in fields and not isinstance(fields[name], str | int):
            raise InvalidInput(f"field {name!r} must be a string", reason="wrong_type")
    if "id" in fields:
        fields["id"] = cap_key(str(fields["id"]), max_key_bytes)
    elif key:
        fields["id"] = key
    try:
        return RawArticle.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise InvalidInput(f"field {where!r}: {first.get('msg')}", reason="wrong_type") from exc
