"""Checks on user-supplied JSON values: depth, size and names."""

from __future__ import annotations

import re
from typing import Any

from apps.core.errors import BadInput
from apps.core.rendering import json_dumps

MAX_JSON_DEPTH = 32
MAX_JSON_BYTES = 1024 * 1024
MAX_TAGS = 100
MAX_TAG_LENGTH = 128


def _depth_check(value: Any, field: str, depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        raise BadInput(f"Nested more than {MAX_JSON_DEPTH} levels deep.", field)
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise BadInput("Keys must be strings.", field)
            _depth_check(v, f"{field}.{k}", depth + 1)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _depth_check(v, f"{field}[{i}]", depth + 1)


def json_object_check(value: Any, field: str) -> dict[str, Any]:
    """A JSON object of bounded depth and size, or a 400 naming the field."""
    if not isinstance(value, dict):
        raise BadInput("Must be a JSON object.", field)
    _depth_check(value, field, 1)
    if len(json_dumps(value)) > MAX_JSON_BYTES:
        raise BadInput(f"Larger than {MAX_JSON_BYTES} bytes.", field)
    return value


def tags_check(value: Any, field: str = "tags") -> list[str]:
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise BadInput("Must be a list of strings.", field)
    if len(value) > MAX_TAGS:
        raise BadInput(f"At most {MAX_TAGS} tags.", field)
    for i, tag in enumerate(value):
        if not tag or len(tag) > MAX_TAG_LENGTH:
            raise BadInput(f"A tag is 1 to {MAX_TAG_LENGTH} characters.", f"{field}[{i}]")
    return list(dict.fromkeys(value))


def text_check(value: Any, field: str, max_length: int) -> str:
    if not isinstance(value, str):
        raise BadInput("Must be a string.", field)
    if len(value) > max_length:
        raise BadInput(f"At most {max_length} characters.", field)
    return value


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # one search, not a Python loop per character: manifests hold 10,000 paths


def file_path_check(path: str) -> str:
    """A relative path inside the run, or a 400. No '..', no absolute paths."""
    if not path or len(path) > 1024:
        raise BadInput("A file path is 1 to 1024 characters.", "path")
    if "\\" in path or path.startswith("/") or _CONTROL.search(path):
        raise BadInput("A file path is relative, with '/' separators and no control characters.", "path")
    parts = path.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise BadInput("A file path may not contain empty, '.' or '..' segments.", "path")
    if re.match(r"^[A-Za-z]:", path):
        raise BadInput("A file path is relative.", "path")
    return path
