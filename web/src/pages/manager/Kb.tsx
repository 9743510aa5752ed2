// Knowledge-base editing (R29) with version history: every article, drafts and staff ones too (?status= and
// ?audience= filter; /app/console/kb/new writes one), an article's editor and history at /app/console/kb/<id>, and
// one saved version at /app/console/kb/<id>/versions/<n> (restorable: saving it again makes a new version).
import { useState } from "preact/hooks";
import { api } from "../../api/client";
import { formatDateTime } from "../../format/datetime";
import { t } from "../../i18n";
import { navigate } from "../../router";
import type { PageProps } from "../../routes";
import { flash, problemText, splitList, takeFlash, useLoad, type CatalogService } from "./console";

interface ArticleRow {
  id: string;
  slug: string;
  title: string;
  audience: "customers" | "staff";
  status: "draft" | "published" | "archived";
  service: string | null;
  tags: string[];
  version: number;
  updated_at: string;
}

interface Article extends ArticleRow {
  body: string;
}

interface Version {
  version: number;
  at: string;
  author: { sub: string; email: string | null };
  note: string | null;
  title: string;
  status: string;
  audience: string;
  slug?: string;
  service?: string | null;
  tags?: string[];
  body?: string;
}

const STATUSES = ["draft", "published", "archived"] as const;

export default function KbList({ query }: PageProps) {
  const status = STATUSES.find((s) => s === query.get("status"));
  const audience = query.get("audience") === "staff" ? "staff" : query.get("audience") === "customers" ? "customers" : undefined;
  const { data, error } = useLoad(
    () => api.get<{ items: ArticleRow[] }, "/kb/articles">("/kb/articles", { query: { status, audience, limit: 100 } }),
    [status, audience],
  );
  const go = (name: string, value: string) => {
    const next = new URLSearchParams({ ...(status ? { status } : {}), ...(audience ? { audience } : {}) });
    if (value) next.set(name, value);
    else next.delete(name);
    const text = next.toString();
    navigate(`/app/console/kb${text ? `?${text}` : ""}`);
  };
  return (
    <section aria-labelledby="kbm-title" class="console">
      <h1 id="kbm-title">{t("kbm.title")}</h1>
      <p>
        <a href="/app/console/kb/new">{t("kbm.add")}</a>
      </p>
      <form class="filters" aria-label={t("kbm.filters")} onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="kbm-status">{t("kbm.status")}</label>
          <select id="kbm-status" value={status ?? ""} onChange={(e) => go("status", (e.target as HTMLSelectElement).value)}>
            <option value="">{t("kbm.not_archived")}</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`kbm.status_${s}`)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="kbm-audience">{t("kbm.audience")}</label>
          <select id="kbm-audience" value={audience ?? ""} onChange={(e) => go("audience", (e.target as HTMLSelectElement).value)}>
            <option value="">{t("kbm.any")}</option>
            <option value="customers">{t("kbm.audience_customers")}</option>
            <option value="staff">{t("kbm.audience_staff")}</option>
          </select>
        </div>
      </form>
      {error && <p role="alert">{error}</p>}
      {!data && !error && <p class="loading">{t("app.loading")}</p>}
      {data && data.items.length === 0 && <p>{t("kbm.none")}</p>}
      {data && data.items.length > 0 && (
        <table>
          <caption class="visually-hidden">{t("kbm.title")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("kbm.article")}</th>
              <th scope="col">{t("kbm.audience")}</th>
              <th scope="col">{t("kbm.status")}</th>
              <th scope="col">{t("kbm.version")}</th>
              <th scope="col">{t("kbm.updated")}</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((a) => (
              <tr key={a.id}>
                <td>
                  <a href={`/app/console/kb/${encodeURIComponent(a.id)}`}>{a.title}</a>
                </td>
                <td>{t(`kbm.audience_${a.audience}`)}</td>
                <td>{t(`kbm.status_${a.status}`)}</td>
                <td>{a.version}</td>
                <td>{formatDateTime(a.updated_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function ArticlePage({ params }: PageProps) {
  const isNew = params.article === "new";
  const { data, error, reload } = useLoad(async () => {
    const services = await api.get<{ items: CatalogService[] }, "/catalog/services">("/catalog/services");
    if (isNew) return { services: services.items, article: null, versions: [] as Version[] };
    const [article, versions] = await Promise.all([
      api.get<Article, "/kb/articles/{article_id}">("/kb/articles/{article_id}", { path: { article_id: params.article } }),
      api.get<{ items: Version[] }, "/kb/articles/{article_id}/versions">("/kb/articles/{article_id}/versions", {
        path: { article_id: params.article },
      }),
    ]);
    return { services: services.items, article, versions: versions.items };
  }, [params.article]);
  return (
    <section aria-labelledby="kba-title" class="console">
      <p>
        <a href="/app/console/kb">{t("kbm.back")}</a>
      </p>
      <h1 id="kba-title">{isNew ? t("kbm.new_title") : t("kbm.edit_title", { title: data?.article?.title ?? params.article })}</h1>
      {error && <p role="alert">{error}</p>}
      {!data && !error && <p class="loading">{t("app.loading")}</p>}
      {data && (
        <>
          <ArticleForm key={`${params.article}-${data.article?.version ?? 0}`} article={data.article} services={data.services} onSaved={reload} />
          {data.article && <History id={data.article.id} versions={data.versions} />}
        </>
      )}
    </section>
  );
}

function ArticleForm({ article, services, onSaved }: { article: Article | null; services: CatalogService[]; onSaved: () => void }) {
  const [form, setForm] = useState({
    title: article?.title ?? "",
    body: article?.body ?? "",
    audience: article?.audience ?? "customers",
    service: article?.service ?? "",
    tags: (article?.tags ?? []).join(", "),
    status: article?.status ?? "draft",
    note: "",
  });
  const [said, setSaid] = useState<string | null>(takeFlash);
  const [failed, setFailed] = useState<string | null>(null);
  const set = (name: keyof typeof form) => (e: Event) => setForm({ ...form, [name]: (e.target as HTMLInputElement).value });
  const save = async (e: Event) => {
    e.preventDefault();
    setSaid(null);
    setFailed(null);
    try {
      if (article) {
        const saved = await api.patch<Article, "/kb/articles/{article_id}">("/kb/articles/{article_id}", {
          path: { article_id: article.id },
          body: {
            title: form.title.trim(),
            body: form.body,
            audience: form.audience as "staff",
            service: form.service,
            tags: splitList(form.tags),
            status: form.status as "draft",
            note: form.note.trim() || null,
            expected_version: article.version,
          } as never, // the slug is left out: it stays (the schema lists every field as present)
        });
        flash(t("kbm.saved", { version: saved.version })); // said by the form of the new version, read again
        onSaved();
      } else {
        const made = await api.post<Article, "/kb/articles">("/kb/articles", {
          body: {
            title: form.title.trim(),
            body: form.body,
            audience: form.audience as "staff",
            service: form.service || null,
            tags: splitList(form.tags),
            status: form.status === "archived" ? "draft" : (form.status as "draft"),
            note: form.note.trim() || null,
            slug: null, // made from the title
          },
        });
        flash(t("kbm.saved", { version: made.version }));
        navigate(`/app/console/kb/${encodeURIComponent(made.id)}`, { replace: true });
      }
    } catch (error) {
      setFailed(problemText(error));
    }
  };
  return (
    <form onSubmit={save} aria-label={t("kbm.form")}>
      <div class="field">
        <label for="kba-title-input">{t("kbm.title_label")}</label>
        <input id="kba-title-input" required minLength={3} maxLength={200} value={form.title} onInput={set("title")} />
      </div>
      <div class="field">
        <label for="kba-body">{t("kbm.body")}</label>
        <textarea id="kba-body" required rows={12} maxLength={50000} value={form.body} onInput={set("body")} aria-describedby="kba-body-hint" />
        <span id="kba-body-hint" class="hint">
          {t("kbm.body_hint")}
        </span>
      </div>
      <div class="field">
        <label for="kba-audience">{t("kbm.audience")}</label>
        <select id="kba-audience" value={form.audience} onChange={set("audience")}>
          <option value="customers">{t("kbm.audience_customers")}</option>
          <option value="staff">{t("kbm.audience_staff")}</option>
        </select>
      </div>
      <div class="field">
        <label for="kba-service">{t("kbm.service")}</label>
        <select id="kba-service" value={form.service} onChange={set("service")}>
          <option value="">{t("console.none")}</option>
          {services.map((s) => (
            <option key={s.key} value={s.key}>
              {s.title}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="kba-tags">{t("kbm.tags")}</label>
        <input id="kba-tags" value={form.tags} onInput={set("tags")} />
      </div>
      <div class="field">
        <label for="kba-status">{t("kbm.status")}</label>
        <select id="kba-status" value={form.status} onChange={set("status")}>
          {STATUSES.filter((s) => article || s !== "archived").map((s) => (
            <option key={s} value={s}>
              {t(`kbm.status_${s}`)}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="kba-note">{t("kbm.note")}</label>
        <input id="kba-note" maxLength={500} value={form.note} onInput={set("note")} />
      </div>
      <p role="status">{said}</p>
      {failed && <p role="alert">{failed}</p>}
      <button type="submit">{article ? t("kbm.save") : t("kbm.create")}</button>
    </form>
  );
}

function History({ id, versions }: { id: string; versions: Version[] }) {
  return (
    <>
      <h2>{t("kbm.history")}</h2>
      <table>
        <caption class="visually-hidden">{t("kbm.history")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("kbm.version")}</th>
            <th scope="col">{t("kbm.when")}</th>
            <th scope="col">{t("kbm.author")}</th>
            <th scope="col">{t("kbm.note")}</th>
            <th scope="col">{t("kbm.status")}</th>
          </tr>
        </thead>
        <tbody>
          {[...versions].reverse().map((v) => (
            <tr key={v.version}>
              <td>
                <a href={`/app/console/kb/${encodeURIComponent(id)}/versions/${v.version}`}>{t("kbm.version_n", { n: v.version })}</a>
              </td>
              <td>{formatDateTime(v.at)}</td>
              <td>{v.author.email ?? v.author.sub}</td>
              <td>{v.note ?? t("console.none")}</td>
              <td>{t(`kbm.status_${v.status}`)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

export function VersionPage({ params }: PageProps) {
  const { data, error } = useLoad(
    () =>
      api.get<Version, "/kb/articles/{article_id}/versions/{version}">("/kb/articles/{article_id}/versions/{version}", {
        path: { article_id: params.article, version: params.version },
      }),
    [params.article, params.version],
  );
  return (
    <section aria-labelledby="kbv-title" class="console">
      <p>
        <a href={`/app/console/kb/${encodeURIComponent(params.article)}`}>{t("kbm.back_article")}</a>
      </p>
      <h1 id="kbv-title">{data ? t("kbm.version_title", { title: data.title, n: data.version }) : t("kbm.version_n", { n: params.version })}</h1>
      {error && <p role="alert">{error}</p>}
      {!data && !error && <p class="loading">{t("app.loading")}</p>}
      {data && (
        <>
          <dl class="facts">
            <dt>{t("kbm.when")}</dt>
            <dd>{formatDateTime(data.at)}</dd>
            <dt>{t("kbm.author")}</dt>
            <dd>{data.author.email ?? data.author.sub}</dd>
            <dt>{t("kbm.note")}</dt>
            <dd>{data.note ?? t("console.none")}</dd>
            <dt>{t("kbm.status")}</dt>
            <dd>{t(`kbm.status_${data.status}`)}</dd>
            <dt>{t("kbm.audience")}</dt>
            <dd>{t(`kbm.audience_${data.audience}`)}</dd>
          </dl>
          <h2>{t("kbm.body")}</h2>
          <pre class="text source">{data.body}</pre>
        </>
      )}
    </section>
  );
}
