// The knowledge base: search and read the articles a customer may read (a staff article is not found, exactly
// like a missing one).
import { useEffect, useState } from "preact/hooks";
import { api } from "../../api/client";
import { t } from "../../i18n";
import { navigate } from "../../router";
import type { PageProps } from "../../routes";
import { problemText } from "./portal";

interface ArticleCard {
  id: string;
  slug: string;
  title: string;
  summary?: string;
  snippet?: string | null;
}

export default function Kb({ query }: PageProps) {
  const asked = query.get("q") ?? "";
  const [text, setText] = useState(asked);
  const [found, setFound] = useState<{ items: ArticleCard[]; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setFound(null);
    api
      .get<{ items: ArticleCard[]; total: number }, "/kb/articles">("/kb/articles", {
        query: { q: asked || undefined, limit: 20 },
      })
      .then(setFound)
      .catch((e: unknown) => setError(problemText(e)));
  }, [asked]);
  return (
    <section aria-labelledby="kb-title">
      <h1 id="kb-title">{t("kb.title")}</h1>
      <form
        role="search"
        aria-label={t("kb.search_label")}
        onSubmit={(e) => {
          e.preventDefault();
          navigate(`/app/kb${text.trim() ? `?${new URLSearchParams({ q: text.trim() })}` : ""}`);
        }}
      >
        <label for="kb-q">{t("kb.search")}</label>{" "}
        <input id="kb-q" type="search" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} />{" "}
        <button type="submit">{t("kb.search_button")}</button>
      </form>
      {error && <p role="alert">{error}</p>}
      {found === null && !error ? (
        <p class="loading">{t("app.loading")}</p>
      ) : (
        found && (
          <>
            <p role="status">{asked ? t("kb.found", { count: found.total, q: asked }) : t("kb.all", { count: found.total })}</p>
            <ul class="cards">
              {found.items.map((a) => (
                <li key={a.id} class="card">
                  <h2>
                    <a href={`/app/kb/${encodeURIComponent(a.slug)}`}>{a.title}</a>
                  </h2>
                  {(a.snippet || a.summary) && <p>{a.snippet || a.summary}</p>}
                </li>
              ))}
            </ul>
          </>
        )
      )}
    </section>
  );
}
