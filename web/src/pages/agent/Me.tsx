// My month (R27: tasks closed, time logged, SLA met) and my notification feed: tasks given to me, customer replies on
// my tickets, SLA warnings and breaches; marking them seen.
import { useEffect, useState } from "preact/hooks";
import { api } from "../../api/client";
import { formatDateTime } from "../../format/datetime";
import { t } from "../../i18n";
import { refreshNavCounts } from "../../navcount";
import { problemText } from "../customer/portal";
import { deskTicketPath, wordOr } from "./desk";

interface Figures {
  name: string;
  // the workspace contract's month figures; older answers carry the same numbers in the per-topic fields
  month: string | { tasks_closed: number; minutes_logged: number; sla_met_ratio: number | null };
  tasks_closed?: { day: number; month: number };
  time_logged_minutes?: { day: number; week: number; month: number };
  sla_this_month?: { met_ratio: number | null };
  owned_open_tickets?: { count: number; ball_on_our_side: number };
}

interface Feed {
  unseen: number;
  seen_at: string | null;
  items: { kind: string; ticket_id: string; reference: string; subject: string; at: string; summary: string }[];
}

export function monthFigures(f: Figures): { tasks: number; minutes: number; ratio: number | null } {
  if (typeof f.month === "object")
    return { tasks: f.month.tasks_closed, minutes: f.month.minutes_logged, ratio: f.month.sla_met_ratio };
  return {
    tasks: f.tasks_closed?.month ?? 0,
    minutes: f.time_logged_minutes?.month ?? 0,
    ratio: f.sla_this_month?.met_ratio ?? null,
  };
}

/** The feed's unseen count (the navigation shows it beside "My month"). */
export function unseenNotifications(signal: AbortSignal): Promise<number> {
  return api.get<Feed, "/notifications">("/notifications", { signal }).then((feed) => feed.unseen);
}

export default function Me() {
  const [figures, setFigures] = useState<Figures | null>(null);
  const [feed, setFeed] = useState<Feed | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const loadFeed = () =>
    api
      .get<Feed, "/notifications">("/notifications")
      .then(setFeed)
      .catch((e: unknown) => setError(problemText(e)));
  useEffect(() => {
    api
      .get<Figures, "/figures/me">("/figures/me")
      .then(setFigures)
      .catch((e: unknown) => setError(problemText(e)));
    void loadFeed();
  }, []);
  const markSeen = () =>
    api
      .post<unknown, "/notifications/seen">("/notifications/seen", { body: { at: null } })
      .then(() => {
        setStatus(t("feed.marked"));
        refreshNavCounts();
        return loadFeed();
      })
      .catch((e: unknown) => setError(problemText(e)));
  const month = figures ? monthFigures(figures) : null;
  return (
    <section aria-labelledby="me-title">
      <h1 id="me-title">{t("me.title")}</h1>
      <p role="status">{status}</p>
      {error && <p role="alert">{error}</p>}
      <section aria-labelledby="figures-title">
        <h2 id="figures-title">{t("me.month")}</h2>
        {month === null ? (
          <p class="loading">{t("app.loading")}</p>
        ) : (
          <dl class="facts">
            <dt>{t("me.tasks_closed")}</dt>
            <dd>{month.tasks}</dd>
            <dt>{t("me.time_logged")}</dt>
            <dd>{t("me.hours", { hours: Math.floor(month.minutes / 60), minutes: String(month.minutes % 60).padStart(2, "0") })}</dd>
            <dt>{t("me.sla_met")}</dt>
            <dd>{month.ratio === null ? t("desk.none") : `${Math.round(month.ratio * 100)} %`}</dd>
            {figures?.owned_open_tickets && (
              <>
                <dt>{t("me.owned")}</dt>
                <dd>{t("me.owned_text", { count: figures.owned_open_tickets.count, ours: figures.owned_open_tickets.ball_on_our_side })}</dd>
              </>
            )}
          </dl>
        )}
      </section>
      <section aria-labelledby="feed-title">
        <h2 id="feed-title">{t("feed.title")}</h2>
        {feed === null ? (
          <p class="loading">{t("app.loading")}</p>
        ) : (
          <>
            <p>{t("feed.unseen", { count: feed.unseen })}</p>
            {feed.items.length > 0 && (
              <button type="button" onClick={() => void markSeen()}>
                {t("feed.mark_seen")}
              </button>
            )}
            <ul class="cards">
              {feed.items.map((item, index) => (
                <li key={`${item.ticket_id}-${item.at}-${index}`} class={`card feed-${item.kind}`}>
                  <p>
                    <strong>{wordOr(`feed.kind_${item.kind}`, item.kind)}</strong> · {formatDateTime(item.at)}
                  </p>
                  <p>
                    <a href={deskTicketPath(item.reference)}>
                      {item.reference}: {item.subject}
                    </a>
                  </p>
                  <p>{item.summary}</p>
                </li>
              ))}
            </ul>
          </>
        )}
      </section>
    </section>
  );
}
