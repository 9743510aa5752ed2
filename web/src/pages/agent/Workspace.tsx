// One ticket as staff work on it: the facts and the SLA badge, who else is here (presence, polled every 10 s; while
// the reply box has text I count as replying), the current task with the outcomes it accepts as buttons and the
// previous line's note, the conversation (public replies and internal notes apart), the intake answers, the
// organisation with its contract's usage and plan, the ticket's tasks, and the moves: reply, internal note (saved
// replies, files), reassign, log time, resolve, ask for an article, the SLA explanation. Shortcuts: r reply,
// i internal note, c complete, n next task, ? help. ?task=<id> picks the task (the queue and "Next task" link so).
import { Fragment } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiError, RetryKey, api } from "../../api/client";
import { formatDateTime } from "../../format/datetime";
import { t } from "../../i18n";
import type { PageProps } from "../../routes";
import {
  TicketCalls,
  fileSize,
  problemText,
  serviceTitle,

  type AttachmentRef,
  type Ticket as CustomerTicket,
} from "../customer/portal";
import {
  classificationWord,
  deskStatus,
  useShortcuts,
  useStaffNames,
  whoseMoveStaff,
  wordOr,
  type Shortcut,
  type Task,
  type TicketSla,
  type WaitingOn,
} from "./desk";
import { ShortcutHelp, SlaBadge, SlaPairBadge, takeNextTask, useHelp } from "./parts";
import { ArticleRequest, CurrentTask, Composer, LogTime, Reassign, Resolve, SlaExplanation } from "./WorkspaceForms";

export interface StaffMessage {
  id: string;
  author: { sub: string; role: string; email: string | null };
  body: string;
  internal: boolean;
  channel: string;
  attachments: AttachmentRef[];
  created_at: string;
}

export interface StaffTicket extends Omit<CustomerTicket, "messages"> {
  owner: string | null;
  ball_since: string | null;
  organisation_id: string;
  channel: string;
  classification: string | null;
  priority: number | null;
  due_at?: string | null;
  sla?: TicketSla | null;
  submitted_at: string | null;
  preventive_measure: string | null;
  messages: StaffMessage[];
  tasks: Task[];
  waiting_on: WaitingOn | null;
}

interface Presence {
  sub: string;
  name: string;
  activity: string;
  since: string;
}

const PRESENCE_EVERY_MS = 10_000;
const ROUTE_SETTLES_MS = 2_000;
const DONE = "done"; // what `complete` records for a task that accepts no outcome

export default function Workspace({ params, query, person }: PageProps) {
  const [ticket, setTicket] = useState<StaffTicket | "missing" | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [sendAttempt] = useState(() => new RetryKey()); // a send again after an error retries the same message
  const [others, setOthers] = useState<Presence[]>([]);
  const [replying, setReplying] = useState(false);
  const { helpOpen, setHelpOpen, help } = useHelp();
  const replyBox = useRef<HTMLTextAreaElement>(null);
  const noteBox = useRef<HTMLTextAreaElement>(null);
  const completeArea = useRef<HTMLDivElement>(null);
  const nameOf = useStaffNames();

  const reload = (): Promise<StaffTicket | null> =>
    api
      .get<StaffTicket, "/tickets/{ticket_id}">("/tickets/{ticket_id}", { path: { ticket_id: params.reference } })
      .then((answer) => {
        setTicket(answer);
        return answer;
      })
      .catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 404) setTicket("missing");
        else setError(problemText(e));
        return null;
      });
  useEffect(() => {
    setTicket(null);
    let retry = 0;
    void reload().then((answer) => {
      // a ticket just opened gets its first task from its route a moment later: look once more then
      if (answer && answer.status === "new" && answer.tasks.length === 0)
        retry = window.setTimeout(() => void reload(), ROUTE_SETTLES_MS);
    });
    return () => window.clearTimeout(retry);
  }, [params.reference]);

  // Presence: announce myself every 10 s while the page is open (replying while the reply box has text).
  const ticketId = ticket && ticket !== "missing" ? ticket.id : null;
  const activity = replying ? "replying" : "viewing";
  useEffect(() => {
    if (!ticketId) return;
    let stopped = false;
    const beat = () =>
      api.post<{ others: Presence[] }, "/tickets/{ticket_id}/presence">("/tickets/{ticket_id}/presence", {
        path: { ticket_id: ticketId },
        body: { activity },
      })
        .then((answer) => !stopped && setOthers(answer.others))
        .catch(() => !stopped && setOthers([]));
    void beat();
    const timer = window.setInterval(beat, PRESENCE_EVERY_MS);
    return () => {
      stopped = true;
      window.clearInterval(timer);
    };
  }, [ticketId, activity]);

  async function act(action: () => Promise<unknown>, done: string): Promise<boolean> {
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      await action();
      await reload();
      setStatus(done);
      return true;
    } catch (e: unknown) {
      setError(problemText(e));
      return false;
    } finally {
      setBusy(false);
    }
  }

  const loaded = ticket !== null && ticket !== "missing" ? ticket : null;
  const current = useMemo(() => (loaded ? currentTask(loaded.tasks, query.get("task"), person?.sub ?? "") : null), [loaded, query.get("task")]);

  const shortcuts: Shortcut[] = useMemo(
    () => [
      { key: "n", label: "shortcuts.next", run: () => void takeNextTask().then(setStatus, (e: unknown) => setError(problemText(e))) },
      { key: "r", label: "shortcuts.reply", run: () => replyBox.current?.focus() },
      { key: "i", label: "shortcuts.note", run: () => noteBox.current?.focus() },
      {
        key: "c",
        label: "shortcuts.complete",
        run: () => completeArea.current?.querySelector<HTMLButtonElement>("button:not([disabled])")?.focus(),
      },
      help,
    ],
    [],
  );
  useShortcuts(shortcuts);

  if (ticket === null) return error ? <p role="alert">{error}</p> : <p class="loading">{t("app.loading")}</p>;
  if (ticket === "missing")
    return (
      <section aria-labelledby="ws-title">
        <h1 id="ws-title">{t("ws.not_found")}</h1>
        <p>
          <a href="/app/desk">{t("nav.desk_queue")}</a>
        </p>
      </section>
    );

  const calls = new TicketCalls(ticket.id, null);
  const open = ticket.status !== "closed" && ticket.status !== "draft";
  const download = (id: string, name: string, size: number) => (
    <button type="button" class="link" onClick={() => void act(() => calls.download(id), t("ws.downloaded", { name }))}>
      {t("ws.download", { name, size: fileSize(size) })}
    </button>
  );

  return (
    <article aria-labelledby="ws-title" class="workspace">
      <h1 id="ws-title">
        {ticket.reference}: {ticket.subject}
      </h1>
      <dl class="facts">
        <dt>{t("desk.status")}</dt>
        <dd>{deskStatus(ticket.status)}</dd>
        <dt>{t("desk.move")}</dt>
        <dd>
          {whoseMoveStaff(ticket.ball_side)}
          {ticket.ball_since && ` · ${t("ws.since", { when: formatDateTime(ticket.ball_since) })}`}
        </dd>
        <dt>{t("queue.sla")}</dt>
        <dd>
          <SlaPairBadge
            sla={ticket.sla}
            dueAt={ticket.due_at ?? current?.due_at}
            since={ticket.submitted_at ?? ticket.created_at}
            paused={ticket.ball_side === "customer"}
          />
        </dd>
        <dt>{t("desk.owner")}</dt>
        <dd>{ticket.owner === person?.sub ? t("ws.owner_me") : nameOf(ticket.owner)}</dd>
        <dt>{t("ws.requester")}</dt>
        <dd>{ticket.requester.email ?? ticket.requester.sub}</dd>
        <dt>{t("desk.service")}</dt>
        <dd>{serviceTitle(ticket.service)}</dd>
        <dt>{t("desk.classification")}</dt>
        <dd>{classificationWord(ticket.classification)}</dd>
        <dt>{t("ws.channel")}</dt>
        <dd>{wordOr(`channel.${ticket.channel}`, ticket.channel)}</dd>
        <dt>{t("ws.opened")}</dt>
        <dd>{formatDateTime(ticket.created_at)}</dd>
      </dl>

      <section aria-labelledby="presence-title" class="presence">
        <h2 id="presence-title">{t("presence.title")}</h2>
        <p aria-live="polite">
          {others.length === 0
            ? t("presence.alone")
            : others.map((o) => t(`presence.${o.activity === "replying" ? "replying" : "viewing"}`, { name: o.name })).join(" ")}
        </p>
      </section>

      <div class="actions">
        <button type="button" class="secondary" disabled={busy} onClick={() => void act(() => Promise.resolve(), t("ws.refreshed"))}>
          {t("desk.refresh")}
        </button>
        <button type="button" class="secondary" onClick={() => setHelpOpen(true)} aria-keyshortcuts="?">
          {t("shortcuts.help")}
        </button>
      </div>
      <p role="status" class="status">
        {status}
      </p>
      {error && <p role="alert">{error}</p>}

      <div ref={completeArea}>
        {current && open && (
          <CurrentTask
            task={current}
            me={person?.sub ?? ""}
            nameOf={nameOf}
            busy={busy}
            onTake={() =>
              act(
                () => api.post<unknown, "/tasks/{task_id}/take">("/tasks/{task_id}/take", { path: { task_id: current.id } }),
                t("task.taken"),
              )
            }
            onComplete={(outcome, note) =>
              act(
                () =>
                  api.post<unknown, "/tasks/{task_id}/complete">("/tasks/{task_id}/complete", {
                    path: { task_id: current.id },
                    body: { outcome: outcome ?? DONE, note: note || null },
                  }),
                t("task.completed"),
              ).then((ok) => {
                // the route creates the next task beside the API: look again once it has had the time
                if (ok) window.setTimeout(() => void reload(), ROUTE_SETTLES_MS);
                return ok;
              })
            }
          />
        )}
      </div>

      <section aria-labelledby="conversation-title">
        <h2 id="conversation-title">{t("ws.conversation")}</h2>
        <div class="message from-customer">
          <p class="meta">
            <strong>{t("ws.description")}</strong> · {formatDateTime(ticket.created_at)}
          </p>
          <p class="text">{ticket.description}</p>
        </div>
        <ol class="conversation">
          {ticket.messages.map((m) => (
            <li key={m.id} class={`message ${m.internal ? "internal" : m.author.role === "customer" ? "from-customer" : "public"}`}>
              <p class="meta">
                <span class="kind">{m.internal ? t("ws.internal_note") : t("ws.public_message")}</span> ·{" "}
                <strong>{authorWords(m)}</strong> · {formatDateTime(m.created_at)}
              </p>
              <p class="text">{m.body}</p>
              {m.attachments.length > 0 && (
                <ul class="files" aria-label={t("ws.files")}>
                  {m.attachments.map((a) => (
                    <li key={a.attachment_id}>{download(a.attachment_id, a.file_name, a.size)}</li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ol>
      </section>

      {open && (
        <Composer
          ticketId={ticket.id}
          replyBox={replyBox}
          noteBox={noteBox}
          others={others.map((o) => o.name)}
          busy={busy}
          onTyping={setReplying}
          onSend={(body, internal, files) =>
            act(async () => {
              const key = sendAttempt.current(JSON.stringify([ticket.id, body, internal, files]));
              await api.post<unknown, "/tickets/{ticket_id}/messages">("/tickets/{ticket_id}/messages", {
                path: { ticket_id: ticket.id },
                body: { body, internal, attachments: files },
                idempotencyKey: key,
              });
              sendAttempt.done();
            }, internal ? t("ws.note_added") : t("ws.reply_sent"))
          }
        />
      )}

      <section aria-labelledby="intake-title">
        <h2 id="intake-title">{t("ws.intake")}</h2>
        {Object.keys(ticket.fields ?? {}).length === 0 ? (
          <p>{t("ws.intake_none")}</p>
        ) : (
          <dl class="facts">
            {Object.entries(ticket.fields).map(([key, value]) => (
              <Fragment key={key}>
                <dt>{wordOr(`field.${key}`, key)}</dt>
                <dd>{typeof value === "string" ? value : JSON.stringify(value)}</dd>
              </Fragment>
            ))}
          </dl>
        )}
      </section>

      <Organisation organisationId={ticket.organisation_id} />

      <section aria-labelledby="tasks-title">
        <h2 id="tasks-title">{t("ws.tasks")}</h2>
        <table>
          <caption class="visually-hidden">{t("ws.tasks")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("queue.task")}</th>
              <th scope="col">{t("ws.group")}</th>
              <th scope="col">{t("ws.task_status")}</th>
              <th scope="col">{t("ws.assignee")}</th>
              <th scope="col">{t("ws.outcome")}</th>
              <th scope="col">{t("queue.sla")}</th>
            </tr>
          </thead>
          <tbody>
            {ticket.tasks.map((task) => (
              <tr key={task.id} aria-current={task.id === current?.id ? "true" : undefined}>
                <td>
                  <a href={`?task=${encodeURIComponent(task.id)}`}>{task.title}</a>
                </td>
                <td>{task.group}</td>
                <td>{wordOr(`task.status_${task.status}`, task.status)}</td>
                <td>{nameOf(task.assignee)}</td>
                <td>
                  {task.outcome ?? ""}
                  {task.note && <span class="text"> · {task.note}</span>}
                </td>
                <td>{task.status === "done" ? t("sla.done") : <SlaBadge dueAt={task.due_at} since={task.created_at} given={task.sla_state} />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      {ticket.attachments.length > 0 && (
        <section aria-labelledby="files-title">
          <h2 id="files-title">{t("ws.all_files")}</h2>
          <ul class="files">
            {ticket.attachments.map((a) => (
              <li key={a.id}>{download(a.id, a.file_name, a.size)}</li>
            ))}
          </ul>
        </section>
      )}

      {current && open && (
        <Reassign
          task={current}
          busy={busy}
          onReassign={(body) =>
            act(
              () =>
                api.post<unknown, "/tasks/{task_id}/reassign">("/tasks/{task_id}/reassign", {
                  path: { task_id: current.id },
                  body,
                }),
              t("reassign.done"),
            )
          }
        />
      )}
      {open && (
        <LogTime
          busy={busy}
          tasks={ticket.tasks}
          onLog={(body) =>
            act(
              () =>
                api.post<unknown, "/tickets/{ticket_id}/time">("/tickets/{ticket_id}/time", {
                  path: { ticket_id: ticket.id },
                  body: { ...body, work_date: null, started_at: null },
                }),
              t("time.logged"),
            )
          }
        />
      )}
      {open && ticket.status !== "resolved" && (
        <Resolve
          busy={busy}
          onResolve={(body) =>
            act(
              () =>
                api.post<unknown, "/tickets/{ticket_id}/resolve">("/tickets/{ticket_id}/resolve", {
                  path: { ticket_id: ticket.id },
                  body: { ...body, kb_task: false, kb_note: null },
                }),
              t("resolve.done"),
            )
          }
        />
      )}
      {ticket.resolution && (
        <section aria-labelledby="resolution-title">
          <h2 id="resolution-title">{t("resolve.resolution")}</h2>
          <p class="text">{ticket.resolution}</p>
          {ticket.preventive_measure && (
            <>
              <h3>{t("resolve.preventive")}</h3>
              <p class="text">{ticket.preventive_measure}</p>
            </>
          )}
        </section>
      )}
      <ArticleRequest
        busy={busy}
        onRequest={(note) =>
          act(
            () =>
              api.post<unknown, "/tickets/{ticket_id}/article-request">("/tickets/{ticket_id}/article-request", {
                path: { ticket_id: ticket.id },
                body: { note },
              }),
            t("article.requested"),
          )
        }
      />
      <SlaExplanation ticketId={ticket.id} />
      <ShortcutHelp shortcuts={shortcuts} open={helpOpen} onClose={() => setHelpOpen(false)} />
    </article>
  );
}

function authorWords(m: StaffMessage): string {
  if (m.author.role === "system") return t("ws.author_system");
  return m.author.email ?? m.author.sub;
}

/** The task this page works on: the one in ?task=, else my taken one, else the first open one. */
function currentTask(tasks: Task[], asked: string | null, me: string): Task | null {
  const unfinished = tasks.filter((task) => task.status !== "done");
  return (
    tasks.find((task) => task.id === asked && task.status !== "done") ??
    unfinished.find((task) => task.assignee === me) ??
    unfinished.find((task) => task.status === "open") ??
    null
  );
}

interface OrganisationView {
  id: string;
  name: string;
  importance: string;
  plan: string | null;
  language: string;
}

interface ContractView {
  plan_id: string | null;
  period: string;
  limits: { tickets_per_period: number | null; hours_per_period: string | number | null };
  usage?: { tickets: number; billable_hours: string; period: string };
}

function Organisation({ organisationId }: { organisationId: string }) {
  const [org, setOrg] = useState<OrganisationView | null>(null);
  const [contract, setContract] = useState<ContractView | "none" | null>(null);
  useEffect(() => {
    api
      .get<OrganisationView, "/organisations/{organisation_id}">("/organisations/{organisation_id}", {
        path: { organisation_id: organisationId },
      })
      .then(setOrg)
      .catch(() => setOrg(null));
    api
      .get<ContractView, "/contracts/{organisation_id}">("/contracts/{organisation_id}", {
        path: { organisation_id: organisationId },
      })
      .then(setContract)
      .catch(() => setContract("none"));
  }, [organisationId]);
  return (
    <section aria-labelledby="org-title">
      <h2 id="org-title">{t("org.title", { name: org?.name ?? organisationId })}</h2>
      <dl class="facts">
        <dt>{t("org.importance")}</dt>
        <dd>{org ? wordOr(`org.importance_${org.importance}`, org.importance) : "…"}</dd>
        <dt>{t("org.plan")}</dt>
        <dd>{(contract && contract !== "none" ? contract.plan_id : null) ?? org?.plan ?? t("desk.none")}</dd>
        <dt>{t("org.language")}</dt>
        <dd>{org?.language ?? "…"}</dd>
        <dt>{t("org.usage")}</dt>
        <dd>
          {contract === null
            ? "…"
            : contract === "none"
              ? t("org.no_contract")
              : t("org.usage_text", {
                  period: contract.usage?.period ?? contract.period,
                  tickets: contract.usage?.tickets ?? 0,
                  ticket_limit: contract.limits.tickets_per_period ?? "∞",
                  hours: contract.usage?.billable_hours ?? "0",
                  hour_limit: contract.limits.hours_per_period ?? "∞",
                })}
        </dd>
      </dl>
    </section>
  );
}
