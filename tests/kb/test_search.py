"""The knowledge base's in-memory ranking (shared/kb_search.py): pure, so tested without AWS."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shared.kb.search import Document, index_fields, rank, snippet, stem, terms


def _doc(key: str, title: str, body: str, tags: tuple[str, ...] = ()) -> Document:
    return Document(key, title, index_fields(title, body, tags))


def test_stemming_maps_word_forms_to_one_term():
    assert {stem(w) for w in ("export", "exports", "exporting", "exported")} == {"export"}
    assert {stem(w) for w in ("escalate", "escalating", "escalated", "escalates")} == {"escalat"}
    assert stem("policies") == stem("policy")
    assert stem("stopped") == stem("stop")


def test_terms_fold_case_accents_and_drop_stop_words():
    assert terms("How do I ÚČET the Exports?") == ["ucet", "export"]


def test_title_beats_tags_beats_body():
    docs = [
        _doc("body", "Statements", "A statement lists every invoice of the month."),
        _doc("tags", "Monthly paperwork", "What arrives each month.", ("invoice",)),
        _doc("title", "Invoice copies", "Ask for a copy."),
        _doc("none", "Passwords", "Reset it."),
    ]
    assert [h.key for h in rank("invoice", docs)] == ["title", "tags", "body"]


def test_more_matched_terms_rank_higher_and_a_title_phrase_gets_a_bonus():
    docs = [
        _doc("one", "Export", "Reports can be exported."),
        _doc("both", "CSV export", "The CSV export of a report."),
        _doc("phrase", "Export to CSV", "How to export to CSV."),
    ]
    ranked = [h.key for h in rank("export csv", docs)]
    assert ranked[-1] == "one"
    assert set(ranked[:2]) == {"both", "phrase"}


def test_rare_terms_weigh_more_than_common_ones():
    docs = [_doc(str(i), f"Report {i}", "report report") for i in range(5)]
    docs.append(_doc("rare", "Licence", "report"))
    hits = rank("report licence", docs)
    assert hits[0].key == "rare"


def test_no_terms_no_hits():
    assert rank("the and of", [_doc("a", "The title", "and of")]) == []
    assert rank("", [_doc("a", "x", "y")]) == []


def test_snippet_is_centred_on_the_first_match():
    text = "Intro words. " * 30 + "The invoice copy is sent by e-mail. " + "More text. " * 30
    piece = snippet(text, "invoices", width=120)
    assert "invoice" in piece
    assert piece.startswith("...") and piece.endswith("...")
    assert len(piece) <= 126


@given(
    st.lists(st.text(min_size=0, max_size=60), min_size=1, max_size=6),
    st.text(min_size=0, max_size=30),
)
def test_ranking_is_total_and_only_returns_matching_documents(bodies, query):
    docs = [_doc(str(i), f"Title {i}", body) for i, body in enumerate(bodies)]
    hits = rank(query, docs)
    wanted = set(terms(query))
    assert len({h.key for h in hits}) == len(hits)
    for hit in hits:
        assert hit.score > 0
        assert wanted & set(terms(f"Title {hit.key} {bodies[int(hit.key)]}"))
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
