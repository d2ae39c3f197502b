"""Read articles from files, directories, JSONL (optionally gzipped) or stdin, as raw topic values.

Each item is (key, value bytes). The key is the article id the pipeline will use, so a producer, the
demo's accounting and the pipeline all agree on it.
"""

from __future__ import annotations

import gzip
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import orjson

from raqib.contracts import RawArticle

TEXT_SUFFIXES = (".txt",)
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson")
JSON_SUFFIXES = (".json",)


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in (*JSONL_SUFFIXES, *JSON_SUFFIXES, *TEXT_SUFFIXES):
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given; directories become their article files (sorted, recursive)."""
    files: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            files.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file() and _suffix(p) in (*TEXT_SUFFIXES, *JSONL_SUFFIXES, *JSON_SUFFIXES)
                )
            )
        else:
            files.append(path)
    return files


def key_for_value(value: bytes) -> str:
    """The article id the pipeline will derive for this value (id field, else content hash)."""
    try:
        payload = orjson.loads(value)
        if isinstance(payload, dict) and isinstance(payload.get("text"), str):
            if payload.get("id") not in (None, ""):
                return str(payload["id"])
            return RawArticle(
                text=payload["text"],
                url=payload.get("url") if isinstance(payload.get("url"), str) else None,
                source=payload.get("source") if isinstance(payload.get("source"), str) else None,
                title=payload.get("title") if isinstance(payload.get("title"), str) else None,
            ).article_id
    except (orjson.JSONDecodeError, ValueError):
        pass
    try:
        return RawArticle(text=value.decode("utf-8")).article_id
    except (UnicodeDecodeError, ValueError):
        from raqib.stages.ingest import content_key

        return content_key(value)


def _text_file_value(path: Path) -> tuple[str, bytes]:
    """A scraped page: sent as JSON with the file stem as id (the text itself stays raw)."""
    text = path.read_text(encoding="utf-8")
    return path.stem, orjson.dumps({"id": path.stem, "source": "file", "text": text})


def _jsonl_values(lines: Iterable[bytes]) -> Iterator[tuple[str, bytes]]:
    for line in lines:
        line = line.strip()
        if line:
            yield key_for_value(line), line


def iter_values(paths: Iterable[str | Path]) -> Iterator[tuple[str, bytes]]:
    """(key, value) for every article under ``paths``; '-' reads JSONL (or one plain text) from stdin."""
    for item in paths:
        if str(item) == "-":
            data = sys.stdin.buffer.read()
            if data.lstrip().startswith(b"{"):
                yield from _jsonl_values(data.splitlines())
            elif data.strip():
                yield key_for_value(data), data
            continue
        for path in expand_paths([item]):
            suffix = _suffix(path)
            if suffix in TEXT_SUFFIXES:
                yield _text_file_value(path)
            elif suffix == ".jsonl.gz":
                with gzip.open(path, "rb") as handle:
                    yield from _jsonl_values(handle)
            elif suffix in JSONL_SUFFIXES:
                with path.open("rb") as handle:
                    yield from _jsonl_values(handle)
            elif suffix in JSON_SUFFIXES:
                value = path.read_bytes()
                yield key_for_value(value), value
            else:
                value = path.read_bytes()
                yield key_for_value(value), value
