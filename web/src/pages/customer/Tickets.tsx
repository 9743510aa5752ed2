// My tickets (an organisation's admin can switch to all of the organisation's): filter by status, search by
// reference or subject, one page at a time; a draft opens its form to be finished.
import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../../api/client";
import { formatDateTime } from "../../format/datetime";
import { t } from "../../i18n";
import type { PageProps } from "../../routes";
import { problemText, serviceTitle, STATUSES, statusWord, type TicketSummary } from "./portal";

const PAGE = 20;

export function whoseMove(ballSide: string | null): string {
  if (ballSide === "customer") return t("ticket.move_yours");
  if (ballSide === "us") return t("ticket.move_ours");
  return t("ticket.move_none");
}

export default function Tickets({ person, query }: PageProps) {
  const [scope, setScope] = useState(query.get("scope") === "organisation" ? "organisation" : "mine");
  const [status, setStatus] = useState("");
  const [search, setSearch] = useState("");
  const [pages, setPages] = useState<TicketSummary[][]>([]);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [index, setIndex] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);

  const latest = useRef(0); // only the newest request's answer is shown (a scope switched mid-load)
  const load = (at: number, cursor: string | null, nextScope = scope) => {
    const asked = ++latest.current;
    setLoading(true);
    setError(null);
    api
      .get<{ items: TicketSummary[]; next_cursor: string | null }, "/tickets">("/tickets", {
        query: { scope: nextScope as "mine" | "organisation", limit: PAGE, cursor: cursor ?? undefined },
      })
      .then((answer) => {
        if (asked !== latest.current) return;
        setPages((now) => {
          const next = now.slice(0, at);
          next[at] = answer.items;
          return next;
        });
        setCursors((now) => {
          const next = now.slice(0, at + 1);
          next[at + 1] = answer.next_cursor;
          return next;
        });
        setIndex(at);
      })
      .catch((e: unknown) => asked === latest.current && setError(problemText(e)))
      .finally(() => asked === latest.current && setLoading(false));
  };
  useEffect(() => load(0, null), []);

  const changeScope = (next: string) => {
    setScope(next);
    setPages([]);
    setCursors([null]);
    load(0, null, next);
  };

  const words = search.trim().toLowerCase();
  const shown = (pages[index] ?? []).filter(
    (ticket) =>
      (!status || ticket.status === status) &&
      (!words || ticket.reference.toLowerCase().includes(words) || ticket.subject.toLowerCase().includes(words)),
  );

  return (
    <section aria-labelledby="tickets-title">
      <h1 id="tickets-title">{scope === "organisation" ? t("tickets.title_org") : t("tickets.title")}</h1>
      <p>
        <a href="/app/services">{t("tickets.new")}</a>
      </p>
      <form class="filters" role="search" aria-label={t("tickets.filters")} onSubmit={(e) => e.preventDefault()}>
        {person?.orgAdmin && (
          <div class="field">
            <label for="tickets-scope">{t("tickets.scope")}</label>
            <select id="tickets-scope" value={scope} onChange={(e) => changeScope((e.target as HTMLSelectElement).value)}>
              <option value="mine">{t("tickets.scope_mine")}</option>
              <option value="organisation">{t("tickets.scope_org")}</option>
            </select>
          </div>
        )}
        <div class="field">
          <label for="tickets-status">{t("tickets.status")}</label>
          <select id="tickets-status" value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
            <option value="">{t("tickets.status_any")}</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusWord(s)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="tickets-search">{t("tickets.search")}</label>
          <input id="tickets-search" type="search" value={search} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} />
        </div>
      </form>
      {error && <p role="alert">{error}</p>}
      {loading ? (
        <p class="loading">{t("app.loading")}</p>
      ) : shown.length === 0 ? (
        <p>{t("tickets.none")}</p>
      ) : (
        <table>
          <caption class="visually-hidden">{t("tickets.caption", { page: index + 1 })}</caption>
          <thead>
            <tr>
              <th scope="col">{t("ticket.reference")}</th>
              <th scope="col">{t("ticket.subject")}</th>
              <th scope="col">{t("ticket.service")}</th>
              <th scope="col">{t("ticket.status")}</th>
              <th scope="col">{t("ticket.move")}</th>
              <th scope="col">{t("ticket.updated")}</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((ticket) => (
              <tr key={ticket.id}>
                <td>
                  <a
                    href={
                      ticket.status === "draft"
                        ? `/app/services/${encodeURIComponent(ticket.service)}/new?draft=${encodeURIComponent(ticket.id)}`
                        : `/app/tickets/${encodeURIComponent(ticket.reference)}`
                    }
                  >
                    {ticket.reference}
                  </a>
                </td>
                <td>{ticket.subject}</td>
                <td>{serviceTitle(ticket.service)}</td>
                <td>{statusWord(ticket.status)}</td>
                <td>{whoseMove(ticket.ball_side)}</td>
                <td>{formatDateTime(ticket.updated_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav class="pager" aria-label={t("tickets.paging")}>
        <button type="button" disabled={index === 0 || loading} onClick={() => load(index - 1, cursors[index - 1] ?? null)}>
          {t("tickets.previous")}
        </button>
        <span>{t("tickets.page", { page: index + 1 })}</span>
        <button type="button" disabled={!cursors[index + 1] || loading} onClick={() => load(index + 1, cursors[index + 1] ?? null)}>
          {t("tickets.next")}
        </button>
      </nav>
    </section>
  );
}
