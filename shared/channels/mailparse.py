"""Reading an inbound e-mail with the standard library (`email`, `policy.default`): who wrote it, to whom, its
threading headers, its text (the plain part, or the HTML part made safe text), its files, and only the new text of
a reply (mail-parser-reply knows English, Czech, Polish and Russian quote lines and signatures)."""

# ruff: noqa: RUF001, RUF003 (Russian quote lines and signatures are Cyrillic on purpose)
from __future__ import annotations

import codecs
import logging
import mimetypes
import re
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from mailparser_reply import EmailMessage as ReplyText
from mailparser_reply.constants import MAIL_LANGUAGES

logger = logging.getLogger(__name__)

_Q = r"(?:> ?)*"
# The quote lines and signatures of the clients our customers use that mail-parser-reply 1.36 does not know: Gmail's
# Czech and Polish "Dne ... odesílatel ... napsal:" / "... napisał(a):", Russian altogether ("... писал(а):",
# Gmail's "пн, 23 нояб. 2026 г. в 09:00, X <x@y>:", Outlook's "От: ... Отправлено:"), phones' "sent from" lines.
REPLY_EXTRAS = {
    "wrote_header": [
        rf"^({_Q}Dne\s.+\snapsal(?:\(a\))?:)$",
        rf"^({_Q}.+\snapisał(?:\(a\))?:)$",
        rf"^({_Q}.+\s(?:пишет|писал|писала|написал|написала|писал\(а\)|написал\(а\)):)$",
        rf"^({_Q}.+\d{{4}}\sг\.\sв\s\d{{1,2}}:\d{{2}},\s.+:)$",
    ],
    "from_header": (
        rf"((?:(?:^|\n|\n{_Q})[* ]*(?:От|Отправлено|Кому|Тема|Дата|Копия):[ *]*(?:\s{{,2}}).*){{2,}}(?:\n.*){{,1}})"
    ),
    "disclaimers": ["Внимание:"],
    "signatures": ["S pozdravem", "Děkuji", "С уважением", "Спасибо,", "Pozdrawiam"],
    "sent_from": "Odesláno z|Отправлено с|Отправлено из|Wysłano z|Sent from Yahoo Mail|Sent from Mail for",
}
MAIL_LANGUAGES.setdefault("caseway", REPLY_EXTRAS)  # the library reads its languages from this table
REPLY_LANGUAGES = ("en", "cs", "pl", "caseway")
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True)
class MailFile:
    """A file the e-mail carries: an attachment or an inline image."""

    file_name: str
    content_type: str
    data: bytes
    inline: bool


@dataclass
class InboundMail:
    sender: str  # the From address, lower-cased
    sender_name: str | None
    subject: str
    message_id: str | None
    in_reply_to: list[str]
    references: list[str]
    recipients: list[str]  # To, Cc and Delivered-To addresses
    return_path: str | None  # None: no Return-Path header; "": an empty one (<>), a bounce
    headers: dict[str, str]  # lower-cased names of the headers the safety checks read
    text: str  # the whole text of the e-mail
    files: list[MailFile] = field(default_factory=list)
    # every header in order, as (name, value): SES's own on top (the sender trust reads them: shared/channels/trust.py)
    header_list: list[tuple[str, str]] = field(default_factory=list)

    @property
    def new_text(self) -> str:
        return new_text_of(self.text)


def parse(raw: bytes) -> InboundMail:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    name, sender = parseaddr(_header(message, "From"))
    recipients = [addr for _, addr in getaddresses([_header(message, h) for h in ("To", "Cc", "Delivered-To")])]
    return_path = message.get("Return-Path")
    return InboundMail(
        sender=sender.strip().lower(),
        sender_name=name.strip() or None,
        subject=" ".join(_header(message, "Subject").split()),
        message_id=_first_id(_header(message, "Message-ID")),
        in_reply_to=_MESSAGE_ID.findall(_header(message, "In-Reply-To")),
        references=_MESSAGE_ID.findall(_header(message, "References")),
        recipients=[r.strip().lower() for r in recipients if "@" in r],
        return_path=None if return_path is None else str(return_path).strip().strip("<>").strip(),
        headers={k.lower(): _header(message, k) for k in set(message.keys())},
        text=body_text(message),
        files=list(_files(message)),
        header_list=[(name, _raw_value(value)) for name, value in message.raw_items()],
    )


def _raw_value(value: object) -> str:
    """A header's value as written (unfolded); never fails on one beyond repair."""
    try:
        return " ".join(str(value).split())
    except (ValueError, LookupError, TypeError, IndexError):
        return ""


def _header(message: Message, name: str) -> str:
    """A header decoded (RFC 2047 words in any charset), or as its raw text when it is beyond repair; "" when absent."""
    try:
        return ", ".join(str(v) for v in message.get_all(name) or [])
    except (ValueError, LookupError, TypeError, IndexError):
        return ", ".join(str(v) for k, v in message.raw_items() if k.lower() == name.lower())


def _first_id(value: str) -> str | None:
    found = _MESSAGE_ID.findall(value)
    return found[0] if found else (value.strip() or None)


def body_text(message: Message) -> str:
    """The text of the e-mail: its first text/plain part outside attachments, else its HTML made text."""
    plain = _first_part(message, "plain")
    if plain is not None:
        return _normal(_content(plain))
    rich = _first_part(message, "html")
    return _normal(html_to_text(_content(rich))) if rich is not None else ""


def _first_part(message: Message, subtype: str) -> Message | None:
    for part in message.walk():
        if part.is_multipart() or part.get_content_maintype() != "text" or part.get_content_subtype() != subtype:
            continue
        if part.get_content_disposition() == "attachment":
            continue
        return part
    return None


def _content(part: Message) -> str:
    """A text part decoded from its charset; an unknown charset or bytes that do not fit it: as UTF-8, replacing
    what does not decode."""
    payload = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "utf-8"
    try:
        codecs.lookup(charset)
    except LookupError:
        charset = "utf-8"
    return payload.decode(charset, errors="replace")


def _normal(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


class _TextOfHtml(HTMLParser):
    """HTML to plain text: no markup survives (scripts, styles and heads dropped), blocks become lines, links keep
    their address after their text, quotes (blockquote) are marked with "> " so the reply parser drops them."""

    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "hr"})
    SKIP = frozenset({"script", "style", "head", "title", "template", "noscript"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.quote = 0
        self.href: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skip += 1
        elif tag == "blockquote":
            self.quote += 1
            self.out.append("\n")
        elif tag in self.BLOCKS:
            self.out.append("\n")
        elif tag == "a":
            self.href.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag == "blockquote":
            self.quote = max(0, self.quote - 1)
            self.out.append("\n")
        elif tag in self.BLOCKS:
            self.out.append("\n")
        elif tag == "a" and self.href:
            href = self.href.pop()
            if href and href.startswith(("http://", "https://", "mailto:")) and href not in "".join(self.out[-3:]):
                self.out.append(f" ({href.removeprefix('mailto:')})")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        text = re.sub(r"\s+", " ", data)
        if self.quote and text.strip():
            text = "> " * self.quote + text.strip()
        self.out.append(text)


def html_to_text(markup: str) -> str:
    parser = _TextOfHtml()
    parser.feed(markup)
    parser.close()
    lines = [line.strip() for line in "".join(parser.out).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def new_text_of(text: str) -> str:
    """Only what the sender wrote now: quoted history and signatures cut (mail-parser-reply, with the quote lines
    it does not know yet registered as REPLY_EXTRAS)."""
    if not text.strip():
        return ""
    try:
        reply = ReplyText(text=text, languages=list(REPLY_LANGUAGES), keep_hyphen_lists=True).read().replies[0]
        kept = reply.body
    except Exception:  # the parser's regexes on an unusual text: keep it all rather than lose the message
        logger.exception("reply detection failed; keeping the whole text")
        return text.strip()
    lines = _without_leading_quote(kept.split("\n"))
    while lines:
        if not lines[-1].strip() or lines[-1].lstrip().startswith(">"):
            lines.pop()  # a quote left at the end (no "On ... wrote:" line above it)
        elif _is_attribution(lines[-1]):
            lines.pop()  # the attribution line of a quote already cut
        elif len(lines) > 1 and _is_attribution(f"{lines[-2]} {lines[-1]}"):
            del lines[-2:]  # the same, wrapped over two lines (Gmail and Android wrap at 78 characters)
        else:
            break
    return _normal("\n".join(lines)) or text.strip()


# "On <date>, <who> wrote:" in the languages the desk writes in: a line ending with one of these verbs and a colon,
# or (Gmail's Russian, Apple Mail's Czech) with the quoted address and a colon, naming a time or an address.
_ATTRIBUTION_VERBS = (
    r"wrote|writes|napsal\(a\)|napsala|napsal|píše|napisał\(a\)|napisała|napisał|pisze|"
    r"написал\(а\)|написала|написал|писал\(а\)|писала|писал|пишет"
)
_ATTRIBUTION = re.compile(
    rf"^(?:>\s?)*(?=.*(?:\d{{1,2}}[:.]\d{{2}}|@)).*(?:(?:{_ATTRIBUTION_VERBS})|>)\s*:$", re.IGNORECASE
)


# The first half of one wrapped before the address (`... 14:20 пользователь "X" <`): the parser cut the second.
_ATTRIBUTION_START = re.compile(r"^(?:>\s?)*(?=.*\d{1,2}[:.]\d{2}).*<$")


def _is_attribution(line: str) -> bool:
    line = line.strip()
    return len(line) < 400 and bool(_ATTRIBUTION.match(line) or _ATTRIBUTION_START.match(line))


def _without_leading_quote(lines: list[str]) -> list[str]:
    """A reply written below the quote (Thunderbird's "start my reply below the quote"): the attribution line and
    the quoted lines above the new text are dropped."""
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    if start < len(lines) and _is_attribution(lines[start]):
        start += 1
    if start >= len(lines) or not lines[start].lstrip().startswith(">"):
        return lines
    while start < len(lines) and (not lines[start].strip() or lines[start].lstrip().startswith(">")):
        start += 1
    return lines[start:] if start < len(lines) else lines


def _files(message: Message) -> list[MailFile]:
    found = []
    for part in message.walk():
        if part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        name = part.get_filename()
        is_body_text = part.get_content_maintype() == "text" and disposition != "attachment" and not name
        if is_body_text:
            continue
        if disposition is None and not name and part.get_content_maintype() != "image":
            continue
        data = part.get_payload(decode=True) or b""
        content_type = part.get_content_type()
        found.append(
            MailFile(
                file_name=name or f"{'inline' if disposition != 'attachment' else 'file'}{_extension(content_type)}",
                content_type=content_type,
                data=data,
                inline=disposition != "attachment",
            )
        )
    return found


def _extension(content_type: str) -> str:
    return mimetypes.guess_extension(content_type) or ".bin"
