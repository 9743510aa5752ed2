// What changed on my tickets since I last looked (from the tickets' logs); marking them seen.
import { useEffect, useState } from "preact/hooks";
import { api } from "../../api/client";
import { formatDateTime } from "../../format/datetime";
import { t } from "../../i18n";
import { problemText, statusWord } from "./portal";

interface News {
  since: string;
  unseen: number;
  items: {
    ticket_id: string;
    reference: string;
    subject: string;
    status: string;
    events: { id: string; at: string; type: string; summary: string }[];
  }[];
}

export function eventWords(event: { type: string; summary: string }): string {
  const key = `event.${event.type}`;
  const word = t(key);
  return word === key ? event.summary : word;
}

export default function Notifications() {
  const [news, setNews] = useState<News | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const load = () =>
    api
      .get<News, "/notifications">("/notifications")
      .then(setNews)
      .catch((e: unknown) => setError(problemText(e)));
  useEffect(() => void load(), []);
  const markSeen = () =>
    api
      .post<unknown, "/notifications/seen">("/notifications/seen", { body: { at: null } })
      .then(() => {
        setStatus(t("news.marked"));
        return load();
      })
      .catch((e: unknown) => setError(problemText(e)));
  return (
    <section aria-labelledby="news-title">
      <h1 id="news-title">{t("news.title")}</h1>
      <p role="status">{status}</p>
      {error && <p role="alert">{error}</p>}
      {news === null && !error && <p class="loading">{t("app.loading")}</p>}
      {news && (
        <>
          <p>{t("news.since", { when: formatDateTime(news.since), count: news.unseen })}</p>
          {news.items.length > 0 && (
            <button type="button" onClick={() => void markSeen()}>
              {t("news.mark_seen")}
            </button>
          )}
          <ul class="cards">
            {news.items.map((item) => (
              <li key={item.ticket_id} class="card">
                <h2>
                  <a href={`/app/tickets/${encodeURIComponent(item.reference)}`}>
                    {item.reference}: {item.subject}
                  </a>
                </h2>
                <p>{t("news.status", { status: statusWord(item.status) })}</p>
                <ul>
                  {item.events.map((e) => (
                    <li key={e.id}>
                      {formatDateTime(e.at)}: {eventWords(e)}
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
