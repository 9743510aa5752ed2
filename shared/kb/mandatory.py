"""R29: the mandatory articles of a deployment (how to work with support, the agreements generated from the support
plans), kept up to date with the plans. Run by housekeeping and the demo, never by the API (the plans need the
calendars)."""

from __future__ import annotations

from typing import Any

from shared.kb.agreements import mandatory_articles
from shared.kb.articles import all_cards, fingerprint, seed_articles, update_article
from shared.platform.identity import Caller


def seed_mandatory(extra: list[tuple[Caller, dict[str, Any]]] | None = None) -> dict[str, list[str]]:
    """Create the mandatory articles that are missing, and bring generated ones (the agreements) up to
    date with the plans. Idempotent: a second run changes nothing. Articles staff have edited by hand
    stay as they are. `extra`: more articles to create if missing (the demo data)."""
    system = Caller.system()
    specs = mandatory_articles()
    cards = {card.slug: card for card in all_cards()}
    done: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": []}
    missing = []
    for spec in specs:
        fields = {
            "slug": spec.slug,
            "title": spec.title,
            "body": spec.body,
            "audience": spec.audience,
            "service": spec.service,
            "tags": list(spec.tags),
            "plan": spec.plan,
            "mandatory": spec.mandatory,
            "generated": spec.generated,
            "note": "Mandatory article (R29)",
        }
        card = cards.get(spec.slug)
        if card is None:
            missing.append((system, fields))
        elif spec.generated and card.fingerprint != fingerprint(spec.title, spec.body, list(spec.tags)):
            update_article(
                system,
                card.article_id,
                changes={"title": spec.title, "body": spec.body, "tags": list(spec.tags)},
                note=f"Regenerated from {spec.generated}",
                regenerate=True,
            )
            done["updated"].append(spec.slug)
        else:
            done["unchanged"].append(spec.slug)
    created = seed_articles(missing + list(extra or []), present=set(cards))
    done["created"] = [slug for slug in created if slug in {s.slug for s in specs}]
    done["unchanged"] += [fields["slug"] for _, fields in missing if fields["slug"] not in created]
    return done
