"""An uploaded file, checked once for every channel: typed by its content (a text file named
`.pdf` is not a PDF), hashed, and never read beyond the model's size limit.

The engine then judges the `FileUpload` (type, size, hash) with its own messages, so a refused
upload is refused at the question that asked for it, not at filing.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from dialogues.types import FileUpload
from intake.attachments import MAX_ATTACHMENT_BYTES, sniff_media_type

UNKNOWN_TYPE = "application/octet-stream"
UNREAD = ""  # the sha256 of a file that was not read: the engine refuses it


def upload_of(
    content: bytes | None,
    *,
    filename: str,
    ref: str,
    size: int = 0,
    declared_type: str = UNKNOWN_TYPE,
) -> FileUpload:
    """The upload as the engine sees it, typed by its content. `content` is None when the
    channel did not fetch the bytes (too large, or the fetch failed): then `size` and
    `declared_type` are what the transport said, and the missing hash makes the engine refuse
    it with the reason that fits (too large, or not readable)."""
    if content is None:
        return FileUpload(filename, declared_type, size, UNREAD, ref)
    return FileUpload(
        filename=filename,
        media_type=sniff_media_type(content) or UNKNOWN_TYPE,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        ref=ref,
    )


def worth_reading(size: int) -> bool:
    """Whether a file of the declared `size` may be fetched at all (empty or too large: no)."""
    return 0 < size <= MAX_ATTACHMENT_BYTES


def upload_from_path(path: Path) -> FileUpload | None:
    """A local file as an upload (the terminal's attach), or None when there is no such file.
    Its ref is the resolved path, from which filing reads it again."""
    try:
        path = path.expanduser()
        if not path.is_file():
            return None
        size = path.stat().st_size
        ref = str(path.resolve())
        if not worth_reading(size):
            return upload_of(None, filename=path.name, ref=ref, size=size)
        return upload_of(path.read_bytes(), filename=path.name, ref=ref)
    except (OSError, ValueError):
        return None
