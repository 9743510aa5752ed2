// The manager's dashboard (R28, R18, R30): the process figures of a day from GET /figures/manager. Numbers and
// tables where a number is the answer, a chart where the shape over days or weeks is; each chart has a text
// alternative (its summary as the canvas' name, and its data as a table under "Show the data"). ?date=YYYY-MM-DD
// shows another day, so a manager can send the link.
import { useEffect, useRef } from "preact/hooks";
import { api } from "../../api/client";
import { formatDateTime } from "../../format/datetime";
import { t } from "../../i18n";
import { navigate } from "../../router";
import type { PageProps } from "../../routes";
import { draw, type ChartSpec } from "./charts";
import { minutes, num, percent, shortDate, useLoad } from "./console";

interface PlanFact {
  from: string;
  to: string;
  planned_tasks: number;
  planned_minutes: number;
  done_tasks: number;
  done_minutes: number;
  done_ratio: number | null;
  logged_minutes: number;
}

interface Card {
  id: string;
  reference: string;
  subject: string;
  organisation_id: string;
  service: string;
  status: string;
  ball_side: string | null;
  ball_since: string | null;
  owner: string | null;
  classification: string | null;
  due_at: string | null;
  overdue: boolean;
}

interface Entry {
  entry_id: string;
  started_at: string | null;
  minutes: number;
  reference: string;
  organisation_id: string;
  note: string | null;
}

interface Week {
  from: string;
  to: string;
  resolved: number;
  sla_met: number;
  sla_missed: number;
  sla_met_ratio: number | null;
  rated: number;
  average_rating: number | null;
  ratings: Record<string, number>;
  low_ratings: { date: string; reference: string; ticket_id: string; organisation_id: string; rating: number; comment: string | null }[];
}

export interface Figures {
  date: string;
  timezone: string;
  as_of: string;
  plan_fact: { day: PlanFact; week: PlanFact };
  overdue_l2_tasks: {
    count: number;
    groups: string[];
    items: { id: string; reference: string; title: string; group: string; assignee: string | null; due_at: string }[];
  };
  bugs_last_14_days: { total: number; days: { date: string; bugs: number; critical_bugs: number }[] };
  tickets_in_progress: number;
  overdue_tickets: { count: number; by_status: Record<string, number>; items: Card[] };
  time_per_customer: {
    from: string;
    to: string;
    customers: { organisation_id: string; name: string; minutes: number; total_minutes: number; days: { date: string; minutes: number }[] }[];
  };
  specialists_day: { sub: string; name: string; role: string; line: string | null; minutes: number; entries: Entry[] }[];
  kanban: { us: { count: number; items: Card[] }; customer: { count: number; items: Card[] } };
  new_tickets_per_day: { total: number; days: { date: string; count: number }[] };
  quality_per_week: Week[];
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export default function Dashboard({ query }: PageProps) {
  const asked = query.get("date");
  const date = asked && DATE.test(asked) ? asked : undefined;
  const { data, error } = useLoad(() => api.get<Figures, "/figures/manager">("/figures/manager", { query: { date } }), [date]);
  return (
    <section aria-labelledby="dash-title" class="console">
      <h1 id="dash-title">{t("dash.title")}</h1>
      <form
        class="filters"
        aria-label={t("dash.day_form")}
        onSubmit={(e) => {
          e.preventDefault();
          const value = (e.currentTarget.elements.namedItem("day") as HTMLInputElement).value;
          navigate(value ? `/app/console?date=${value}` : "/app/console");
        }}
      >
        <div class="field">
          <label for="dash-day">{t("dash.day")}</label>
          <input id="dash-day" name="day" type="date" value={data?.date ?? date ?? ""} />
        </div>
        <button type="submit">{t("dash.show")}</button>
      </form>
      {error && <p role="alert">{error}</p>}
      {!data && !error && <p class="loading">{t("app.loading")}</p>}
      {data && <Board figures={data} />}
    </section>
  );
}

function Board({ figures: f }: { figures: Figures }) {
  const latest = f.quality_per_week[f.quality_per_week.length - 1];
  return (
    <>
      <p class="hint">{t("dash.as_of", { date: f.date, zone: f.timezone, when: formatDateTime(f.as_of) })}</p>
      <table class="glance">
        <caption>{t("dash.glance")}</caption>
        <tbody>
          <Row label={t("dash.in_progress")} value={num(f.tickets_in_progress)} />
          <Row label={t("dash.overdue_tickets")} value={num(f.overdue_tickets.count)} alarm={f.overdue_tickets.count > 0} />
          <Row label={t("dash.overdue_l2")} value={num(f.overdue_l2_tasks.count)} alarm={f.overdue_l2_tasks.count > 0} />
          <Row label={t("dash.bugs_14")} value={num(f.bugs_last_14_days.total)} />
          <Row label={t("dash.new_30")} value={num(f.new_tickets_per_day.total)} />
          <Row label={t("dash.ball_us")} value={num(f.kanban.us.count)} />
          <Row label={t("dash.ball_customer")} value={num(f.kanban.customer.count)} />
          <Row label={t("dash.sla_week")} value={percent(latest?.sla_met_ratio)} />
          <Row label={t("dash.rating_week")} value={num(latest?.average_rating ?? null, 2)} />
        </tbody>
      </table>

      <PlanFactSection day={f.plan_fact.day} week={f.plan_fact.week} />

      <h2 id="dash-new">{t("dash.new_title")}</h2>
      <Figure
        id="new-tickets"
        title={t("dash.new_title")}
        summary={t("dash.new_summary", { total: num(f.new_tickets_per_day.total), days: f.new_tickets_per_day.days.length })}
        spec={{
          kind: "bar",
          labels: f.new_tickets_per_day.days.map((d) => shortDate(d.date)),
          series: [{ label: t("dash.new_series"), values: f.new_tickets_per_day.days.map((d) => d.count) }],
        }}
      />

      <h2>{t("dash.bugs_title")}</h2>
      <Figure
        id="bugs"
        title={t("dash.bugs_title")}
        summary={t("dash.bugs_summary", { total: num(f.bugs_last_14_days.total) })}
        spec={{
          kind: "bar",
          stacked: true,
          labels: f.bugs_last_14_days.days.map((d) => shortDate(d.date)),
          series: [
            { label: t("dash.bugs_series"), values: f.bugs_last_14_days.days.map((d) => d.bugs) },
            { label: t("dash.critical_series"), values: f.bugs_last_14_days.days.map((d) => d.critical_bugs) },
          ],
        }}
      />

      <h2>{t("dash.customers_title")}</h2>
      <Figure
        id="customer-time"
        title={t("dash.customers_title")}
        summary={t("dash.customers_summary", {
          from: shortDate(f.time_per_customer.from),
          to: shortDate(f.time_per_customer.to),
          list: f.time_per_customer.customers.map((c) => `${c.name} ${minutes(c.total_minutes)}`).join(", "),
        })}
        spec={{
          kind: "bar",
          stacked: true,
          labels: (f.time_per_customer.customers[0]?.days ?? []).map((d) => shortDate(d.date)),
          series: f.time_per_customer.customers.map((c) => ({ label: c.name, values: c.days.map((d) => d.minutes) })),
        }}
      />
      <table>
        <caption>{t("dash.customers_caption")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("dash.customer")}</th>
            <th scope="col">{t("dash.minutes_day")}</th>
            <th scope="col">{t("dash.minutes_7")}</th>
          </tr>
        </thead>
        <tbody>
          {f.time_per_customer.customers.map((c) => (
            <tr key={c.organisation_id}>
              <th scope="row">{c.name}</th>
              <td>{minutes(c.minutes)}</td>
              <td>{minutes(c.total_minutes)}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <QualitySection weeks={f.quality_per_week} />

      <h2>{t("dash.specialists_title")}</h2>
      <table>
        <caption class="visually-hidden">{t("dash.specialists_title")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("dash.specialist")}</th>
            <th scope="col">{t("dash.logged")}</th>
            <th scope="col">{t("dash.entries")}</th>
            <th scope="col">{t("dash.day_map")}</th>
          </tr>
        </thead>
        <tbody>
          {f.specialists_day.map((s) => (
            <tr key={s.sub}>
              <th scope="row">{s.name}</th>
              <td>{minutes(s.minutes)}</td>
              <td>
                {s.entries.length === 0 ? (
                  t("dash.no_entries")
                ) : (
                  <ul class="daymap">
                    {s.entries.map((e) => (
                      <li key={e.entry_id}>
                        {e.started_at ? `${span(e.started_at, e.minutes, f.timezone)}: ` : ""}
                        {e.reference} · {minutes(e.minutes)}
                        {e.note ? ` · ${e.note}` : ""}
                      </li>
                    ))}
                  </ul>
                )}
              </td>
              <td>
                <DayMap entries={s.entries} zone={f.timezone} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>{t("dash.kanban_title")}</h2>
      <div class="kanban">
        <Column title={t("dash.ball_us")} cards={f.kanban.us.items} />
        <Column title={t("dash.ball_customer")} cards={f.kanban.customer.items} />
      </div>

      <h2>{t("dash.overdue_title")}</h2>
      {f.overdue_tickets.items.length === 0 ? (
        <p>{t("dash.overdue_none")}</p>
      ) : (
        <CardTable cards={f.overdue_tickets.items} caption={t("dash.overdue_title")} />
      )}

      <h2>{t("dash.l2_title", { groups: f.overdue_l2_tasks.groups.join(", ") })}</h2>
      {f.overdue_l2_tasks.items.length === 0 ? (
        <p>{t("dash.l2_none")}</p>
      ) : (
        <table>
          <caption class="visually-hidden">{t("dash.l2_title", { groups: f.overdue_l2_tasks.groups.join(", ") })}</caption>
          <thead>
            <tr>
              <th scope="col">{t("dash.reference")}</th>
              <th scope="col">{t("dash.task")}</th>
              <th scope="col">{t("dash.group")}</th>
              <th scope="col">{t("dash.assignee")}</th>
              <th scope="col">{t("dash.due")}</th>
            </tr>
          </thead>
          <tbody>
            {f.overdue_l2_tasks.items.map((task) => (
              <tr key={task.id}>
                <td>{task.reference}</td>
                <td>{task.title}</td>
                <td>{task.group}</td>
                <td>{task.assignee ?? t("console.none")}</td>
                <td>{formatDateTime(task.due_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/** Minutes since midnight of an instant in the desk's zone. */
function minuteOfDay(iso: string, zone: string): number {
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(
    new Date(iso),
  );
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return part("hour") * 60 + part("minute");
}

/** "09:00–10:30" in the desk's zone: when a piece of logged work started and ended. */
function span(iso: string, length: number, zone: string): string {
  const start = minuteOfDay(iso, zone);
  const clock = (m: number) => `${String(Math.floor(m / 60) % 24).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
  return `${clock(start)}–${clock(start + length)}`;
}

/** A specialist's day as blocks on a 24-hour line (SVG: attributes, not styles, so the CSP holds). The list beside
 * it says the same in words; entries logged without a start time are in the list only. */
function DayMap({ entries, zone }: { entries: Entry[]; zone: string }) {
  const placed = entries.filter((e) => e.started_at);
  return (
    <svg class="daymap-svg" viewBox="0 0 240 20" aria-hidden="true" focusable="false">
      <rect x="0" y="4" width="240" height="12" class="daymap-day" />
      {[6, 12, 18].map((hour) => (
        <line key={hour} x1={hour * 10} x2={hour * 10} y1="0" y2="20" class="daymap-tick" />
      ))}
      {placed.map((e) => {
        const start = minuteOfDay(e.started_at as string, zone);
        return <rect key={e.entry_id} x={start / 6} y="4" width={Math.max(1, Math.min(e.minutes, 1440 - start) / 6)} height="12" class="daymap-work" />;
      })}
    </svg>
  );
}

function Row({ label, value, alarm = false }: { label: string; value: string; alarm?: boolean }) {
  return (
    <tr class={alarm ? "alarm" : undefined}>
      <th scope="row">{label}</th>
      <td>{value}</td>
    </tr>
  );
}

function PlanFactSection({ day, week }: { day: PlanFact; week: PlanFact }) {
  const rows: [string, PlanFact][] = [
    [t("dash.pf_day"), day],
    [t("dash.pf_week", { from: shortDate(week.from), to: shortDate(week.to) }), week],
  ];
  return (
    <>
      <h2>{t("dash.pf_title")}</h2>
      <table>
        <caption class="visually-hidden">{t("dash.pf_title")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("dash.period")}</th>
            <th scope="col">{t("dash.planned_tasks")}</th>
            <th scope="col">{t("dash.done_tasks")}</th>
            <th scope="col">{t("dash.done_ratio")}</th>
            <th scope="col">{t("dash.planned_minutes")}</th>
            <th scope="col">{t("dash.done_minutes")}</th>
            <th scope="col">{t("dash.logged_minutes")}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([name, p]) => (
            <tr key={name}>
              <th scope="row">{name}</th>
              <td>{num(p.planned_tasks)}</td>
              <td>{num(p.done_tasks)}</td>
              <td>{percent(p.done_ratio)}</td>
              <td>{minutes(p.planned_minutes)}</td>
              <td>{minutes(p.done_minutes)}</td>
              <td>{minutes(p.logged_minutes)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Figure
        id="plan-fact"
        title={t("dash.pf_title")}
        summary={t("dash.pf_summary", {
          day_planned: num(day.planned_tasks),
          day_done: num(day.done_tasks),
          week_planned: num(week.planned_tasks),
          week_done: num(week.done_tasks),
        })}
        spec={{
          kind: "bar",
          labels: rows.map(([name]) => name),
          series: [
            { label: t("dash.planned_tasks"), values: [day.planned_tasks, week.planned_tasks] },
            { label: t("dash.done_tasks"), values: [day.done_tasks, week.done_tasks] },
          ],
        }}
      />
    </>
  );
}

function QualitySection({ weeks }: { weeks: Week[] }) {
  const labels = weeks.map((w) => shortDate(w.from));
  const latest = weeks[weeks.length - 1];
  const low = weeks.flatMap((w) => w.low_ratings).reverse();
  return (
    <>
      <h2>{t("dash.quality_title")}</h2>
      <Figure
        id="sla-met"
        title={t("dash.sla_title")}
        summary={t("dash.sla_summary", { ratio: percent(latest?.sla_met_ratio), met: num(latest?.sla_met ?? 0), resolved: num(latest?.resolved ?? 0) })}
        spec={{
          kind: "line",
          labels,
          max: 1,
          format: (v) => percent(v),
          series: [{ label: t("dash.sla_series"), values: weeks.map((w) => w.sla_met_ratio) }],
        }}
      />
      <Figure
        id="satisfaction"
        title={t("dash.satisfaction_title")}
        summary={t("dash.satisfaction_summary", { average: num(latest?.average_rating ?? null, 2), rated: num(latest?.rated ?? 0) })}
        spec={{
          kind: "bar",
          stacked: true,
          labels,
          series: ["1", "2", "3", "4", "5"].map((n) => ({ label: t("dash.rating_n", { n }), values: weeks.map((w) => w.ratings[n] ?? 0) })),
        }}
      />
      <table>
        <caption>{t("dash.weeks_caption")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("dash.week")}</th>
            <th scope="col">{t("dash.resolved")}</th>
            <th scope="col">{t("dash.sla_met")}</th>
            <th scope="col">{t("dash.rated")}</th>
            <th scope="col">{t("dash.average")}</th>
            <th scope="col">{t("dash.distribution")}</th>
          </tr>
        </thead>
        <tbody>
          {weeks.map((w) => (
            <tr key={w.from}>
              <th scope="row">{t("dash.week_of", { from: shortDate(w.from), to: shortDate(w.to) })}</th>
              <td>{num(w.resolved)}</td>
              <td>{percent(w.sla_met_ratio)}</td>
              <td>{num(w.rated)}</td>
              <td>{num(w.average_rating, 2)}</td>
              <td>{["1", "2", "3", "4", "5"].map((n) => `${n}★ ${w.ratings[n] ?? 0}`).join(" · ")}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>{t("dash.low_title")}</h3>
      {low.length === 0 ? (
        <p>{t("dash.low_none")}</p>
      ) : (
        <ul class="comments">
          {low.map((r) => (
            <li key={r.ticket_id}>
              <strong>
                {r.reference} · {t("dash.rating_n", { n: r.rating })} · {shortDate(r.date)}
              </strong>
              <p class="text">{r.comment ?? t("dash.no_comment")}</p>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function Column({ title, cards }: { title: string; cards: Card[] }) {
  return (
    <section class="column" aria-label={title}>
      <h3>
        {title} ({num(cards.length)})
      </h3>
      {cards.length === 0 ? (
        <p>{t("dash.kanban_empty")}</p>
      ) : (
        <ul>
          {cards.map((c) => (
            <li key={c.id} class={c.overdue ? "card alarm" : "card"}>
              <strong>{c.reference}</strong> {c.subject}
              <br />
              <span class="hint">
                {c.organisation_id} · {t(`dash.status_${c.status}`)}
                {c.ball_since ? ` · ${t("dash.since", { when: formatDateTime(c.ball_since) })}` : ""}
                {c.overdue ? ` · ${t("dash.overdue")}` : ""}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function CardTable({ cards, caption }: { cards: Card[]; caption: string }) {
  return (
    <table>
      <caption class="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">{t("dash.reference")}</th>
          <th scope="col">{t("dash.subject")}</th>
          <th scope="col">{t("dash.status")}</th>
          <th scope="col">{t("dash.due")}</th>
        </tr>
      </thead>
      <tbody>
        {cards.map((c) => (
          <tr key={c.id}>
            <td>{c.reference}</td>
            <td>{c.subject}</td>
            <td>{t(`dash.status_${c.status}`)}</td>
            <td>{c.due_at ? formatDateTime(c.due_at) : t("console.none")}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A chart with its text alternatives: the summary names the canvas (role img), the data is a table below. */
function Figure({ id, title, summary, spec }: { id: string; title: string; summary: string; spec: ChartSpec }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = draw(canvas.current, spec);
    return () => chart.destroy();
  }, [JSON.stringify(spec.labels), JSON.stringify(spec.series)]);
  return (
    <figure class="chart" data-chart={id}>
      <figcaption>
        {title}: {summary}
      </figcaption>
      <div class="chart-box">
        <canvas ref={canvas} role="img" aria-label={`${title}: ${summary}`} />
      </div>
      <details>
        <summary>{t("dash.show_data", { title })}</summary>
        <table>
          <caption class="visually-hidden">{title}</caption>
          <thead>
            <tr>
              <th scope="col">{t("dash.label")}</th>
              {spec.series.map((s) => (
                <th scope="col" key={s.label}>
                  {s.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {spec.labels.map((label, n) => (
              <tr key={label}>
                <th scope="row">{label}</th>
                {spec.series.map((s) => (
                  <td key={s.label}>{s.values[n] === null ? t("console.none") : spec.format ? spec.format(s.values[n] as number) : num(s.values[n])}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
