// One knowledge-base article (its body is HTML the desk rendered from Markdown with raw HTML off and an allow-list
// of tags: shared/kb/articles.py).
import { useEffect, useState } from "preact/hooks";
import { ApiError, api } from "../../api/client";
import { formatDateTime } from "../../format/datetime";
import { t } from "../../i18n";
import type { PageProps } from "../../routes";
import { problemText } from "./portal";

interface ArticleView {
  id: string;
  title: string;
  body_html: string;
  updated_at: string;
}

export default function Article({ params }: PageProps) {
  const [article, setArticle] = useState<ArticleView | "missing" | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api
      .get<ArticleView, "/kb/articles/{article_id}">("/kb/articles/{article_id}", { path: { article_id: params.article } })
      .then(setArticle)
      .catch((e: unknown) => (e instanceof ApiError && e.status === 404 ? setArticle("missing") : setError(problemText(e))));
  }, [params.article]);
  if (error) return <p role="alert">{error}</p>;
  if (article === null) return <p class="loading">{t("app.loading")}</p>;
  if (article === "missing")
    return (
      <section aria-labelledby="article-title">
        <h1 id="article-title">{t("kb.not_found")}</h1>
        <p>{t("kb.not_found_text")}</p>
        <p>
          <a href="/app/kb">{t("kb.title")}</a>
        </p>
      </section>
    );
  return (
    <article aria-labelledby="article-title">
      <p>
        <a href="/app/kb">{t("kb.back")}</a>
      </p>
      <h1 id="article-title">{article.title}</h1>
      <p class="meta">{t("kb.updated", { when: formatDateTime(article.updated_at) })}</p>
      <div class="article" dangerouslySetInnerHTML={{ __html: article.body_html }} />
    </article>
  );
}
