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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

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
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
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


FieldTerms = Mapping[str, Mapping[str, int]]


def index_fields(title: str, body: str, tags: Sequence[str] = ()) -> dict[str, dict[str, int]]:
    """Term counts per field: computed once when an article is written and stored on its card, so a
    search tokenises only the query."""
    return {
        "title": dict(Counter(terms(title))),
        "tags": dict(Counter(terms(" ".join(tags)))),
        "body": dict(Counter(terms(body))),
    }


@dataclass(frozen=True)
class Document:
    key: str
    title: str
    fields: FieldTerms  # index_fields(...) of the document


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
    count = len(documents)
    lengths = [{name: sum(d.fields.get(name, {}).values()) for name in FIELD_WEIGHTS} for d in documents]
    average = {name: max(1.0, sum(n[name] for n in lengths) / count) for name in FIELD_WEIGHTS}
    frequency = {t: sum(1 for d in documents if any(d.fields.get(f, {}).get(t) for f in FIELD_WEIGHTS)) for t in wanted}
    phrase = " ".join(wanted)
    hits = []
    for doc, length in zip(documents, lengths, strict=True):
        score, matched = 0.0, []
        for term in wanted:
            weighted = 0.0
            for name, weight in FIELD_WEIGHTS.items():
                tf = doc.fields.get(name, {}).get(term, 0)
                if tf:
                    weighted += weight * tf / (1 - B + B * length[name] / average[name])
            if weighted:
                df = frequency[term]
                idf = math.log(1 + (count - df + 0.5) / (df + 0.5))
                score += idf * weighted * (K1 + 1) / (weighted + K1)
                matched.append(term)
        if not matched:
            continue
        if len(wanted) > 1 and phrase in " ".join(terms(doc.title)):
            score *= TITLE_PHRASE_BONUS
        hits.append(Hit(doc.key, score, tuple(matched)))
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
