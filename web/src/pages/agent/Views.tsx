// The ticket views, each its own address (a link a colleague can open): ?view=mine (my tickets as owner: whose move
// and since when, R14), ?view=waiting (my tickets whose ball is with another line: the waiting board), and
// ?view=open (every open ticket, filtered by status, organisation, service, classification and owner, searched by
// reference, subject or requester: the filters are the query string).
import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../../api/client";
import { formatDateTime } from "../../format/datetime";
import { t } from "../../i18n";
import { navigate } from "../../router";
import type { PageProps } from "../../routes";
import { problemText, serviceTitle, type Service } from "../customer/portal";
import {
  classificationWord,
  deskStatus,
  deskTicketPath,
  whoseMoveStaff,
  type Page,
  type StaffTicketSummary,
} from "./desk";
import { SlaPairBadge } from "./parts";

const VIEWS = ["mine", "waiting", "open"] as const;
type View = (typeof VIEWS)[number];
const FILTERS = ["status", "organisation_id", "service", "classification", "owner", "q"] as const;
const OPEN_STATUSES = ["new", "in_progress", "waiting_for_customer", "resolved"];
const CLASSIFICATIONS = ["question", "bug", "critical_bug", "improvement"];
const PAGE = 25;

interface Organisation {
  id: string;
  name: string;
}

export default function Views({ query, person }: PageProps) {
  const asked = query.get("view");
  const view: View = VIEWS.includes(asked as View) ? (asked as View) : "mine";
  const filters = Object.fromEntries(FILTERS.map((f) => [f, query.get(f) ?? ""])) as Record<(typeof FILTERS)[number], string>;
  const [items, setItems] = useState<StaffTicketSummary[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const latest = useRef(0);
  const key = query.toString();

  const load = (from: string | null) => {
    const mine = ++latest.current;
    setError(null);
    const paging = { limit: PAGE, cursor: from ?? undefined };
    const asking =
      view === "waiting"
        ? api.get<Page<StaffTicketSummary>, "/routing/waiting">("/routing/waiting", { query: paging })
        : view === "mine"
          ? api.get<Page<StaffTicketSummary>, "/tickets">("/tickets", { query: { view: "mine", ...paging } })
          : api.get<Page<StaffTicketSummary>, "/tickets">("/tickets", {
              query: { ...filters, status: filters.status || "open", ...paging },
            });
    asking
      .then((page) => {
        if (mine !== latest.current) return;
        setItems((now) => (from ? [...(now ?? []), ...page.items] : page.items));
        setCursor(page.next_cursor);
      })
      .catch((e: unknown) => mine === latest.current && setError(problemText(e)));
  };
  useEffect(() => {
    setItems(null);
    load(null);
  }, [key]);

  const titleKey = `views.${view}`;
  return (
    <section aria-labelledby="views-title">
      <h1 id="views-title">{t(titleKey)}</h1>
      <nav aria-label={t("views.label")}>
        <ul class="inline">
          {VIEWS.map((v) => (
            <li key={v}>
              <a href={`/app/desk/tickets?view=${v}`} aria-current={v === view ? "page" : undefined}>
                {t(`views.${v}`)}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {view === "open" && <Filters initial={filters} me={person?.sub ?? ""} />}
      {error && <p role="alert">{error}</p>}
      {items === null && !error ? (
        <p class="loading">{t("app.loading")}</p>
      ) : items !== null && items.length === 0 ? (
        <p>{t("views.none")}</p>
      ) : (
        items !== null && (
          <table>
            <caption class="visually-hidden">{t(titleKey)}</caption>
            <thead>
              <tr>
                <th scope="col">{t("desk.reference")}</th>
                <th scope="col">{t("desk.subject")}</th>
                <th scope="col">{t("desk.status")}</th>
                {view === "waiting" ? (
                  <th scope="col">{t("views.waiting_on")}</th>
                ) : (
                  <th scope="col">{t("desk.move")}</th>
                )}
                <th scope="col">{t("desk.since")}</th>
                {view === "open" && <th scope="col">{t("desk.organisation")}</th>}
                {view === "open" && <th scope="col">{t("desk.classification")}</th>}
                <th scope="col">{t("queue.sla")}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((ticket) => (
                <tr key={ticket.id}>
                  <td>
                    <a href={deskTicketPath(ticket.reference)}>{ticket.reference}</a>
                  </td>
                  <td>{ticket.subject}</td>
                  <td>{deskStatus(ticket.status)}</td>
                  <td>
                    {view === "waiting"
                      ? waitingWords(ticket.waiting_on)
                      : whoseMoveStaff(ticket.ball_side)}
                  </td>
                  <td>
                    {(view === "waiting" ? ticket.waiting_on?.since : ticket.ball_since)
                      ? formatDateTime(String(view === "waiting" ? ticket.waiting_on?.since : ticket.ball_since))
                      : t("desk.none")}
                  </td>
                  {view === "open" && <td>{ticket.organisation_id}</td>}
                  {view === "open" && <td>{classificationWord(ticket.classification)}</td>}
                  <td>
                    <SlaPairBadge sla={ticket.sla} dueAt={ticket.due_at} since={ticket.created_at} paused={ticket.ball_side === "customer"} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      )}
      {cursor && (
        <p>
          <button type="button" class="secondary" onClick={() => load(cursor)}>
            {t("views.more")}
          </button>
        </p>
      )}
    </section>
  );
}

function waitingWords(waiting: StaffTicketSummary["waiting_on"]): string {
  if (!waiting) return t("desk.none");
  const who = [waiting.group, waiting.assignee].filter(Boolean).join(" · ");
  return who || t("desk.none");
}

function Filters({ initial, me }: { initial: Record<string, string>; me: string }) {
  const [values, setValues] = useState(initial);
  const [organisations, setOrganisations] = useState<Organisation[]>([]);
  const [services, setServices] = useState<Service[]>([]);
  const [people, setPeople] = useState<{ sub: string; name: string }[]>([]);
  useEffect(() => {
    api
      .get<{ items: { members: { sub: string; name: string }[] }[] }, "/routing/groups">("/routing/groups")
      .then((answer) => {
        const all = new Map(answer.items.flatMap((g) => g.members).map((m) => [m.sub, m]));
        setPeople([...all.values()]);
      })
      .catch(() => setPeople([]));
    api
      .get<Page<Organisation>, "/organisations">("/organisations", { query: { limit: 100 } })
      .then((page) => setOrganisations(page.items))
      .catch(() => setOrganisations([]));
    api
      .get<{ items: Service[] }, "/services">("/services")
      .then((answer) => setServices(answer.items))
      .catch(() => setServices([]));
  }, []);
  const set = (name: string) => (e: Event) => setValues({ ...values, [name]: (e.target as HTMLInputElement).value });
  const apply = (e: Event) => {
    e.preventDefault();
    const search = new URLSearchParams({ view: "open" });
    for (const [name, value] of Object.entries(values)) if (value) search.set(name, value);
    navigate(`/app/desk/tickets?${search}`);
  };
  const select = (name: string, label: string, options: [string, string][], any: string) => (
    <div class="field">
      <label for={`filter-${name}`}>{label}</label>
      <select id={`filter-${name}`} value={values[name]} onChange={set(name)}>
        <option value="">{any}</option>
        {options.map(([value, word]) => (
          <option key={value} value={value}>
            {word}
          </option>
        ))}
      </select>
    </div>
  );
  return (
    <form class="filters" role="search" aria-label={t("views.filters")} onSubmit={apply}>
      {select("status", t("desk.status"), OPEN_STATUSES.map((s) => [s, deskStatus(s)]), t("views.any_open"))}
      {select(
        "organisation_id",
        t("desk.organisation"),
        organisations.map((o) => [o.id, o.name]),
        t("views.any"),
      )}
      {select("service", t("desk.service"), services.map((s) => [s.key, serviceTitle(s)]), t("views.any"))}
      {select("classification", t("desk.classification"), CLASSIFICATIONS.map((c) => [c, classificationWord(c)]), t("views.any"))}
      {select(
        "owner",
        t("desk.owner"),
        [["me", t("views.owner_me")], ...people.filter((p) => p.sub !== me).map((p): [string, string] => [p.sub, p.name])],
        t("views.any"),
      )}
      <div class="field">
        <label for="filter-q">{t("views.search")}</label>
        <input id="filter-q" type="search" value={values.q} onInput={set("q")} />
      </div>
      <button type="submit">{t("views.apply")}</button>
    </form>
  );
}
