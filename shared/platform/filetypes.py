"""What a file claims to be and what it is: the attachment types the desk accepts, the file-name extensions each
may carry, and the first bytes (magic numbers) its content must start with.

A file name and a declared content type are claims. A name such as `invoice\u202efdp.exe` shows as
`invoiceexe.pdf` in a right-to-left aware viewer while it is saved as an `.exe`; a file declared `application/pdf`
may hold anything. So a name is cleaned of bidi and control characters, its extension must be one of its type's,
and the content is read when the file is claimed by a message (`sniff`)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

SNIFF_BYTES = 4096  # how much of a file `sniff` reads: every signature below sits in the first few bytes


@dataclass(frozen=True)
class FileType:
    extensions: tuple[str, ...]  # the first is the one a name without an extension gets
    label: str  # how a person calls it, for messages
    signatures: tuple[bytes, ...] = ()  # the content starts with one of these; none: text (see `sniff`)


_ZIP = (b"PK\x03\x04", b"PK\x05\x06")  # a zip archive (docx and xlsx are zip archives), or an empty one

TYPES: dict[str, FileType] = {
    "image/png": FileType((".png",), "PNG image", (b"\x89PNG\r\n\x1a\n",)),
    "image/jpeg": FileType((".jpg", ".jpeg", ".jpe", ".jfif"), "JPEG image", (b"\xff\xd8\xff",)),
    "image/gif": FileType((".gif",), "GIF image", (b"GIF87a", b"GIF89a")),
    "image/webp": FileType((".webp",), "WebP image", (b"RIFF",)),  # RIFF....WEBP: checked in `sniff`
    "application/pdf": FileType((".pdf",), "PDF document", (b"%PDF-",)),
    "text/plain": FileType((".txt", ".log", ".text"), "text file"),
    "text/csv": FileType((".csv",), "CSV file"),
    "application/json": FileType((".json",), "JSON file"),
    "application/zip": FileType((".zip",), "zip archive", _ZIP),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": FileType(
        (".docx",), "Word document", _ZIP
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": FileType((".xlsx",), "Excel workbook", _ZIP),
}

# The starts of what a text file never is: executables and binary formats a `.txt` or `.csv` might hide.
_NOT_TEXT = (b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa", b"PK\x03\x04", b"%PDF-")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def clean_name(file_name: str) -> str:
    """The name without bidi controls (U+202E, U+2066 ...), zero-width and other format characters (Unicode
    category Cf) or control characters (Cc), without path separators, trimmed."""
    kept = "".join(c for c in file_name if unicodedata.category(c) not in ("Cc", "Cf"))
    return kept.replace("/", "_").replace("\\", "_").strip().strip(".").strip()


def extension(file_name: str) -> str:
    """The name's extension in lower case (".pdf"), or "" when it has none."""
    stem, dot, tail = file_name.rpartition(".")
    return f".{tail.lower()}" if dot and stem and tail else ""


def named_for(file_name: str, content_type: str) -> str | None:
    """The cleaned name under which a file of `content_type` is kept: a name without an extension gets its type's
    own; None when the name's extension is not one of the type's (`invoice.exe` declared a PDF)."""
    kind = TYPES[content_type]
    name = clean_name(file_name) or "file"
    ext = extension(name)
    if not ext:
        return name + kind.extensions[0]
    return name if ext in kind.extensions else None


def sniff(head: bytes, content_type: str) -> bool:
    """Whether a file's first bytes (`SNIFF_BYTES` of them, or all of a smaller file) agree with its declared type:
    a binary type starts with its signature; a text type holds no NUL byte outside UTF-16 and starts with nothing
    a binary format starts with."""
    kind = TYPES[content_type]
    if kind.signatures:
        if content_type == "image/webp":
            return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
        return head.startswith(kind.signatures)
    if head.startswith(_UTF16_BOMS):
        return True
    return not head.startswith(_NOT_TEXT) and b"\x00" not in head
