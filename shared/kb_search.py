"""Full-text search of the knowledge base without search infrastructure: rank in memory.

Pure: documents in, ranked documents out. The knowledge base is one DynamoDB partition read by one
paged Query (shared/kb.py); here each article is tokenised (lowercase, accents folded, stop words
dropped, a light English suffix stemmer) and scored with BM25F: one BM25 saturation over a weighted
sum of the title, tag and body term frequencies, each normalised by its field's length. A title hit
weighs 3 body hits, a tag hit 2; a query that appears as a phrase in the title adds a bonus.

Statistics (document frequency, average field lengths) come from the documents the caller may read,
so staff-only articles neither leak into nor skew a customer's ranking. Limits: see docs/kb.md.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

K1 = 1.2
B = 0.75
FIELD_WEIGHTS = {"title": 3.0, "tags": 2.0, "body": 1.0}
TITLE_PHRASE_BONUS = 1.5

STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "how",
        "i",
        "if",
        "in",
        "is",
        "it",
        "my",
        "of",
        "on",
        "or",
        "our",
        "so",
        "that",
        "the",
        "this",
        "to",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
    ]
)
_WORD = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """Lowercase without accents, so 'Číslo' and 'cislo' match."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def stem(word: str) -> str:
    """A light suffix stemmer: exports/exporting/exported -> export; escalate/escalating -> escalat.

    Deliberately simple (no dictionary): it only has to map a query word and the article's word to the
    same key, and it does the same to both."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
                word = word[:-1]  # stopped -> stop
            break
    if word.endswith("ly") and len(word) > 5:
        word = word[:-2]
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def terms(text: str) -> list[str]:
    return [stem(w) for w in _WORD.findall(fold(text)) if w not in STOP_WORDS]


@dataclass(frozen=True)
class Document:
    key: str
    title: str
    body: str
    tags: Sequence[str] = ()


@dataclass
class _Indexed:
    doc: Document
    fields: dict[str, Counter[str]] = field(default_factory=dict)
    lengths: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Hit:
    key: str
    score: float
    matched: tuple[str, ...]  # the query terms the document contains


def rank(query: str, documents: Sequence[Document]) -> list[Hit]:
    """Documents matching at least one query term, best first (ties: by title, then key)."""
    wanted = list(dict.fromkeys(terms(query)))
    if not wanted or not documents:
        return []
    indexed = []
    for doc in documents:
        item = _Indexed(doc)
        for name, text in (("title", doc.title), ("tags", " ".join(doc.tags)), ("body", doc.body)):
            words = terms(text)
            item.fields[name] = Counter(words)
            item.lengths[name] = len(words)
        indexed.append(item)
    count = len(indexed)
    average = {name: max(1.0, sum(i.lengths[name] for i in indexed) / count) for name in FIELD_WEIGHTS}
    frequency = {t: sum(1 for i in indexed if any(i.fields[f][t] for f in FIELD_WEIGHTS)) for t in wanted}
    phrase = " ".join(wanted)
    hits = []
    for item in indexed:
        score, matched = 0.0, []
        for term in wanted:
            weighted = 0.0
            for name, weight in FIELD_WEIGHTS.items():
                tf = item.fields[name][term]
                if tf:
                    norm = 1 - B + B * item.lengths[name] / average[name]
                    weighted += weight * tf / norm
            if weighted:
                df = frequency[term]
                idf = math.log(1 + (count - df + 0.5) / (df + 0.5))
                score += idf * weighted * (K1 + 1) / (weighted + K1)
                matched.append(term)
        if not matched:
            continue
        if len(wanted) > 1 and phrase in " ".join(terms(item.doc.title)):
            score *= TITLE_PHRASE_BONUS
        hits.append(Hit(item.doc.key, score, tuple(matched)))
    titles = {d.key: d.title.lower() for d in documents}
    hits.sort(key=lambda h: (-h.score, titles[h.key], h.key))
    return hits


def snippet(text: str, query: str, width: int = 200) -> str:
    """About `width` characters of plain text around the first word that matches the query."""
    plain = " ".join(text.split())
    wanted = set(terms(query))
    start = 0
    if wanted:
        for match in _WORD.finditer(fold(plain)):
            if stem(match.group()) in wanted:
                start = max(0, match.start() - width // 4)
                break
    if start:
        space = plain.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    piece = plain[start : start + width]
    cut = len(plain) > start + width
    if cut and " " in piece[width // 2 :]:
        piece = piece[: piece.rfind(" ")]
    return ("..." if start else "") + piece + ("..." if cut else "")
