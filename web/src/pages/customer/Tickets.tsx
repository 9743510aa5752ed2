// My tickets (an organisation's admin can switch to all of the organisation's): filter by status, search by
// reference or subject (the API filters: GET /tickets?status=&q=), one page at a time; a draft opens its form.
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
  const typing = useRef<number | undefined>(undefined);
  const load = (at: number, cursor: string | null, nextScope = scope, nextStatus = status, nextSearch = search) => {
    const asked = ++latest.current;
    setLoading(true);
    setError(null);
    const words = nextSearch.trim();
    api
      .get<{ items: TicketSummary[]; next_cursor: string | null }, "/tickets">("/tickets", {
        query: {
          scope: nextScope as "mine" | "organisation",
          status: nextStatus || undefined,
          q: words || undefined,
          limit: PAGE,
          cursor: cursor ?? undefined,
        },
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

  // A new scope, status or search starts again at the first page.
  const restart = (nextScope: string, nextStatus: string, nextSearch: string) => {
    setPages([]);
    setCursors([null]);
    load(0, null, nextScope, nextStatus, nextSearch);
  };
  const changeScope = (next: string) => {
    setScope(next);
    restart(next, status, search);
  };
  const changeStatus = (next: string) => {
    setStatus(next);
    restart(scope, next, search);
  };
  const changeSearch = (next: string) => {
    setSearch(next);
    window.clearTimeout(typing.current);
    typing.current = window.setTimeout(() => restart(scope, status, next), 300); // one request per pause in typing
  };

  const shown = pages[index] ?? [];

  return (
    <section aria-labelledby="tickets-title">
      <h1 id="tickets-title">{scope === "organisation" ? t("tickets.title_org") : t("tickets.title")}</h1>
      <p>
        <a href="/app/services">{t("tickets.new")}</a>
      </p>
      <form
        class="filters"
        role="search"
        aria-label={t("tickets.filters")}
        onSubmit={(e) => {
          e.preventDefault();
          window.clearTimeout(typing.current);
          restart(scope, status, search);
        }}
      >
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
          <select id="tickets-status" value={status} onChange={(e) => changeStatus((e.target as HTMLSelectElement).value)}>
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
          <input
            id="tickets-search"
            type="search"
            maxLength={100}
            value={search}
            onInput={(e) => changeSearch((e.target as HTMLInputElement).value)}
          />
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
