// The moves on the ticket workspace (Workspace.tsx): the current task's outcomes, the reply and internal-note boxes
// (saved replies, files, who else is here), reassigning a task, logging time, resolving (R16), asking for a
// knowledge-base article (R29) and the SLA explanation interval by interval.
import type { RefObject } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api } from "../../api/client";
import { formatDateTime } from "../../format/datetime";
import { t } from "../../i18n";
import { problemText, uploadFile } from "../customer/portal";
import { wordOr, type Task } from "./desk";

export function CurrentTask({
  task,
  me,
  nameOf,
  busy,
  onTake,
  onComplete,
}: {
  task: Task;
  me: string;
  nameOf: (sub: string | null | undefined) => string;
  busy: boolean;
  onTake: () => Promise<boolean>;
  onComplete: (outcome: string | null, note: string) => Promise<boolean>;
}) {
  const [note, setNote] = useState("");
  const outcomes = task.outcomes ?? [];
  const mine = task.assignee === me && task.status === "taken";
  const previous = task.previous_note;
  const finish = (outcome: string | null) => void onComplete(outcome, note).then((ok) => ok && setNote(""));
  return (
    <section aria-labelledby="task-title" class="current-task">
      <h2 id="task-title">{t("task.current", { title: task.title })}</h2>
      <p>
        {t("task.group_line", { group: task.group })} ·{" "}
        {task.assignee ? (mine ? t("queue.taken_me") : t("task.taken_by", { who: nameOf(task.assignee) })) : t("queue.open")}
      </p>
      {previous && (
        <aside aria-labelledby="previous-note-title" class="previous-note">
          <h3 id="previous-note-title">{t("task.previous_note", { group: previous.group })}</h3>
          <p class="text">{previous.note}</p>
          <p class="hint">
            {[previous.completed_by ? nameOf(previous.completed_by) : null, previous.completed_at ? formatDateTime(previous.completed_at) : null].filter(Boolean).join(" · ")}
          </p>
        </aside>
      )}
      {!mine ? (
        <button type="button" disabled={busy} onClick={() => void onTake()}>
          {t("task.take")}
        </button>
      ) : (
        <>
          <div class="field">
            <label for="task-note">{task.note_required ? t("task.note_required") : t("task.note")}</label>
            <textarea id="task-note" rows={3} value={note} onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)} />
          </div>
          {outcomes.length > 0 ? (
            <div role="group" aria-label={t("task.outcomes")} class="actions">
              {outcomes.map((o) => (
                <button
                  key={o.value}
                  type="button"
                  disabled={busy || (task.note_required === true && !note.trim())}
                  onClick={() => finish(o.value)}
                >
                  {o.label}
                </button>
              ))}
            </div>
          ) : (
            <button type="button" disabled={busy || (task.note_required === true && !note.trim())} onClick={() => finish(null)}>
              {t("task.complete")}
            </button>
          )}
        </>
      )}
    </section>
  );
}

interface SavedReply {
  id: string;
  group: string;
  title: string;
  text: string;
}

export function Composer({
  ticketId,
  replyBox,
  noteBox,
  others,
  busy,
  onTyping,
  onSend,
}: {
  ticketId: string;
  replyBox: RefObject<HTMLTextAreaElement>;
  noteBox: RefObject<HTMLTextAreaElement>;
  others: string[];
  busy: boolean;
  onTyping: (replying: boolean) => void;
  onSend: (body: string, internal: boolean, files: string[]) => Promise<boolean>;
}) {
  const [replies, setReplies] = useState<SavedReply[]>([]);
  useEffect(() => {
    api.get<{ items: SavedReply[] }, "/tickets/{ticket_id}/replies">("/tickets/{ticket_id}/replies", { path: { ticket_id: ticketId } })
      .then((answer) => setReplies(answer.items))
      .catch(() => setReplies([]));
  }, [ticketId]);
  return (
    <>
      <MessageBox
        id="reply"
        title={t("reply.staff_title")}
        label={t("reply.staff_label")}
        send={t("reply.staff_send")}
        shortcut="r"
        ticketId={ticketId}
        box={replyBox}
        others={others}
        replies={replies}
        busy={busy}
        onTyping={onTyping}
        onSend={(body, files) => onSend(body, false, files)}
      />
      <MessageBox
        id="note"
        title={t("note.title")}
        label={t("note.label")}
        send={t("note.send")}
        shortcut="i"
        ticketId={ticketId}
        box={noteBox}
        others={[]}
        replies={[]}
        busy={busy}
        onTyping={() => undefined}
        onSend={(body, files) => onSend(body, true, files)}
      />
    </>
  );
}

function MessageBox({
  id,
  title,
  label,
  send,
  shortcut,
  ticketId,
  box,
  others,
  replies,
  busy,
  onTyping,
  onSend,
}: {
  id: string;
  title: string;
  label: string;
  send: string;
  shortcut: string;
  ticketId: string;
  box: RefObject<HTMLTextAreaElement>;
  others: string[];
  replies: SavedReply[];
  busy: boolean;
  onTyping: (typing: boolean) => void;
  onSend: (body: string, files: string[]) => Promise<boolean>;
}) {
  const [body, setBody] = useState("");
  const [files, setFiles] = useState<{ id: string; name: string }[]>([]);
  const [chosen, setChosen] = useState("");
  const [uploading, setUploading] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const change = (text: string) => {
    setBody(text);
    onTyping(text.trim().length > 0);
  };
  const insert = () => {
    const saved = replies.find((r) => r.id === chosen);
    if (!saved) return;
    const area = box.current;
    const at = area ? area.selectionStart : body.length;
    change(body.slice(0, at) + saved.text + body.slice(at));
    area?.focus();
  };
  const onFiles = async (event: Event) => {
    const input = event.target as HTMLInputElement;
    const picked = Array.from(input.files ?? []);
    input.value = "";
    setProblem(null);
    try {
      for (const file of picked) {
        setUploading(file.name);
        const uploaded = await uploadFile(ticketId, file, () => undefined);
        setFiles((now) => [...now, { id: uploaded, name: file.name }]);
      }
    } catch (e: unknown) {
      setProblem(problemText(e));
    } finally {
      setUploading(null);
    }
  };
  return (
    <section aria-labelledby={`${id}-title`} class={`composer composer-${id}`}>
      <h2 id={`${id}-title`}>{title}</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void onSend(body, files.map((f) => f.id)).then((ok) => {
            if (!ok) return;
            change("");
            setFiles([]);
          });
        }}
      >
        {replies.length > 0 && (
          <div class="inline-field">
            <label for={`${id}-saved`}>{t("reply.saved")}</label>
            <select id={`${id}-saved`} value={chosen} onChange={(e) => setChosen((e.target as HTMLSelectElement).value)}>
              <option value="">{t("reply.saved_choose")}</option>
              {replies.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.title} ({r.group})
                </option>
              ))}
            </select>
            <button type="button" class="secondary" disabled={!chosen} onClick={insert}>
              {t("reply.saved_insert")}
            </button>
          </div>
        )}
        <div class="field">
          <label for={`${id}-body`}>{label}</label>
          <textarea
            id={`${id}-body`}
            ref={box}
            rows={5}
            required
            aria-keyshortcuts={shortcut}
            value={body}
            onInput={(e) => change((e.target as HTMLTextAreaElement).value)}
          />
        </div>
        <div class="field">
          <label for={`${id}-files`}>{t("ws.attach")}</label>
          <input id={`${id}-files`} type="file" multiple disabled={busy || uploading !== null} onChange={(e) => void onFiles(e)} />
          {uploading && <p class="hint">{t("upload.sending", { name: uploading })}</p>}
          {files.length > 0 && (
            <ul class="files">
              {files.map((f) => (
                <li key={f.id}>{f.name}</li>
              ))}
            </ul>
          )}
        </div>
        {others.length > 0 && (
          <p class="collision" role="note">
            {t("presence.before_send", { names: others.join(", ") })}
          </p>
        )}
        {problem && <p role="alert">{problem}</p>}
        <button type="submit" disabled={busy || uploading !== null}>
          {send}
        </button>
      </form>
    </section>
  );
}

interface Group {
  name: string;
  line: string;
  members: { sub: string; name: string; email: string }[];
}

export function Reassign({
  task,
  busy,
  onReassign,
}: {
  task: Task;
  busy: boolean;
  onReassign: (body: { group: string; assignee: string | null; reason: string }) => Promise<boolean>;
}) {
  const [groups, setGroups] = useState<Group[]>([]);
  const [group, setGroup] = useState(task.group);
  const [assignee, setAssignee] = useState("");
  const [reason, setReason] = useState("");
  useEffect(() => {
    api
      .get<{ items: Group[] }, "/routing/groups">("/routing/groups")
      .then((answer) => setGroups(answer.items))
      .catch(() => setGroups([]));
  }, []);
  const members = groups.find((g) => g.name === group)?.members ?? [];
  return (
    <section aria-labelledby="reassign-title">
      <h2 id="reassign-title">{t("reassign.title")}</h2>
      <p class="hint">{t("reassign.hint")}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void onReassign({ group, assignee: assignee || null, reason }).then((ok) => ok && setReason(""));
        }}
      >
        <div class="field">
          <label for="reassign-group">{t("reassign.group")}</label>
          <select id="reassign-group" value={group} onChange={(e) => (setGroup((e.target as HTMLSelectElement).value), setAssignee(""))}>
            {(groups.length ? groups.map((g) => g.name) : [task.group]).map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="reassign-person">{t("reassign.person")}</label>
          <select id="reassign-person" value={assignee} onChange={(e) => setAssignee((e.target as HTMLSelectElement).value)}>
            <option value="">{t("reassign.anyone")}</option>
            {members.map((m) => (
              <option key={m.sub} value={m.sub}>
                {m.name}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="reassign-reason">{t("reassign.reason")}</label>
          <textarea id="reassign-reason" rows={2} required value={reason} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} />
        </div>
        <button type="submit" disabled={busy}>
          {t("reassign.send")}
        </button>
      </form>
    </section>
  );
}

export function LogTime({
  busy,
  tasks,
  onLog,
}: {
  busy: boolean;
  tasks: Task[];
  onLog: (body: { minutes: number; billable: boolean; note: string | null; task_id: string | null }) => Promise<boolean>;
}) {
  const [minutes, setMinutes] = useState("");
  const [note, setNote] = useState("");
  const [billable, setBillable] = useState(true);
  const [taskId, setTaskId] = useState("");
  return (
    <section aria-labelledby="time-title">
      <h2 id="time-title">{t("time.title")}</h2>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          void onLog({ minutes: Number(minutes), billable, note: note || null, task_id: taskId || null }).then(
            (ok) => ok && (setMinutes(""), setNote("")),
          );
        }}
      >
        <div class="field">
          <label for="time-minutes">{t("time.minutes")}</label>
          <input id="time-minutes" type="number" min={1} max={1440} required value={minutes} onInput={(e) => setMinutes((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="time-task">{t("time.task")}</label>
          <select id="time-task" value={taskId} onChange={(e) => setTaskId((e.target as HTMLSelectElement).value)}>
            <option value="">{t("time.no_task")}</option>
            {tasks.map((task) => (
              <option key={task.id} value={task.id}>
                {task.title}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="time-note">{t("time.note")}</label>
          <input id="time-note" value={note} onInput={(e) => setNote((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field check">
          <input id="time-billable" type="checkbox" checked={billable} onChange={(e) => setBillable((e.target as HTMLInputElement).checked)} />
          <label for="time-billable">{t("time.billable")}</label>
        </div>
        <button type="submit" disabled={busy}>
          {t("time.send")}
        </button>
      </form>
    </section>
  );
}

interface ArticleCard {
  id: string;
  slug: string;
  title: string;
  audience: string;
  status: string;
}

export function Resolve({
  busy,
  onResolve,
}: {
  busy: boolean;
  onResolve: (body: { resolution: string; preventive_measure: string; articles: string[] }) => Promise<boolean>;
}) {
  const [resolution, setResolution] = useState("");
  const [preventive, setPreventive] = useState("");
  const [cited, setCited] = useState<ArticleCard[]>([]);
  return (
    <section aria-labelledby="resolve-title">
      <h2 id="resolve-title">{t("resolve.title")}</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void onResolve({ resolution, preventive_measure: preventive, articles: cited.map((a) => a.id) });
        }}
      >
        <div class="field">
          <label for="resolve-resolution">{t("resolve.resolution")}</label>
          <textarea id="resolve-resolution" rows={3} required minLength={3} value={resolution} onInput={(e) => setResolution((e.target as HTMLTextAreaElement).value)} />
        </div>
        <div class="field">
          <label for="resolve-preventive">{t("resolve.preventive")}</label>
          <textarea id="resolve-preventive" rows={2} required minLength={3} value={preventive} onInput={(e) => setPreventive((e.target as HTMLTextAreaElement).value)} />
        </div>
        <ArticlePicker cited={cited} onChange={setCited} />
        <button type="submit" disabled={busy}>
          {t("resolve.send")}
        </button>
      </form>
    </section>
  );
}

/** Cited articles picked from the knowledge base: a search (published articles only, as a resolution may cite),
 * its results each with a "Cite" button, and the chosen ones each with "Remove". */
function ArticlePicker({ cited, onChange }: { cited: ArticleCard[]; onChange: (cited: ArticleCard[]) => void }) {
  const [q, setQ] = useState("");
  const [found, setFound] = useState<ArticleCard[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const words = q.trim();
    if (words.length < 2) {
      setFound(null);
      return;
    }
    const stop = new AbortController();
    const timer = window.setTimeout(() => {
      api
        .get<{ items: ArticleCard[] }, "/kb/articles">("/kb/articles", {
          query: { q: words, status: "published", limit: 8 },
          signal: stop.signal,
        })
        .then((answer) => {
          setError(null);
          setFound(answer.items);
        })
        .catch((e: unknown) => {
          if (!stop.signal.aborted) setError(problemText(e));
        });
    }, 250);
    return () => {
      window.clearTimeout(timer);
      stop.abort();
    };
  }, [q]);
  const chosen = new Set(cited.map((a) => a.id));
  const offered = (found ?? []).filter((a) => !chosen.has(a.id));
  return (
    <fieldset class="article-picker">
      <legend>{t("resolve.articles")}</legend>
      {cited.length > 0 && (
        <ul aria-label={t("resolve.cited")}>
          {cited.map((a) => (
            <li key={a.id}>
              {a.title} <span class="hint">({a.slug})</span>{" "}
              <button type="button" class="secondary" aria-label={t("resolve.uncite", { title: a.title })} onClick={() => onChange(cited.filter((c) => c.id !== a.id))}>
                {t("resolve.uncite_short")}
              </button>
            </li>
          ))}
        </ul>
      )}
      <div class="field">
        <label for="resolve-article-search">{t("resolve.article_search")}</label>
        <input id="resolve-article-search" type="search" aria-describedby="resolve-articles-hint" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
        <span id="resolve-articles-hint" class="hint">
          {t("resolve.articles_hint")}
        </span>
      </div>
      <p role="status" class="hint">
        {found === null ? "" : t("resolve.articles_found", { count: offered.length })}
      </p>
      {error && <p role="alert">{error}</p>}
      {offered.length > 0 && (
        <ul aria-label={t("resolve.found")}>
          {offered.map((a) => (
            <li key={a.id}>
              {a.title} <span class="hint">({a.audience === "staff" ? t("resolve.for_staff") : t("resolve.for_customers")})</span>{" "}
              <button type="button" class="secondary" aria-label={t("resolve.cite", { title: a.title })} onClick={() => onChange([...cited, a])}>
                {t("resolve.cite_short")}
              </button>
            </li>
          ))}
        </ul>
      )}
    </fieldset>
  );
}

export function ArticleRequest({ busy, onRequest }: { busy: boolean; onRequest: (note: string) => Promise<boolean> }) {
  const [note, setNote] = useState("");
  return (
    <details class="panel">
      <summary>{t("article.title")}</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void onRequest(note).then((ok) => ok && setNote(""));
        }}
      >
        <div class="field">
          <label for="article-note">{t("article.note")}</label>
          <textarea id="article-note" rows={2} required value={note} onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)} />
        </div>
        <button type="submit" disabled={busy}>
          {t("article.send")}
        </button>
      </form>
    </details>
  );
}

interface SlaView {
  reference: string;
  plan: { id: string; name: string };
  calendar: { id: string; time_zone: string };
  promises: { kind: string; due_at: string | null; state: string; allowed_seconds: number; counted_seconds: number }[];
  intervals: { start: string; end: string | null; kind: string; reason: string; seconds: number }[];
}

function duration(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  return t("sla.duration", { hours: Math.floor(minutes / 60), minutes: String(minutes % 60).padStart(2, "0") });
}

export function SlaExplanation({ ticketId }: { ticketId: string }) {
  const [view, setView] = useState<SlaView | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const load = () => {
    setLoading(true);
    setProblem(null);
    api.get<SlaView, "/tickets/{ticket_id}/sla">("/tickets/{ticket_id}/sla", { path: { ticket_id: ticketId } })
      .then(setView)
      .catch((e: unknown) => setProblem(problemText(e)))
      .finally(() => setLoading(false));
  };
  return (
    <section aria-labelledby="sla-title">
      <h2 id="sla-title">{t("sla.title")}</h2>
      <button type="button" class="secondary" disabled={loading} onClick={load}>
        {view ? t("sla.reload") : t("sla.show")}
      </button>
      {problem && <p role="alert">{problem}</p>}
      {view && (
        <>
          <p>{t("sla.plan", { plan: view.plan.name, calendar: view.calendar.id, zone: view.calendar.time_zone })}</p>
          <table>
            <caption>{t("sla.promises")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("sla.kind")}</th>
                <th scope="col">{t("sla.due_at")}</th>
                <th scope="col">{t("sla.state")}</th>
                <th scope="col">{t("sla.counted")}</th>
              </tr>
            </thead>
            <tbody>
              {view.promises.map((p) => (
                <tr key={p.kind}>
                  <td>{wordOr(`sla.kind_${p.kind}`, p.kind)}</td>
                  <td>{p.due_at ? formatDateTime(p.due_at) : t("desk.none")}</td>
                  <td>{wordOr(`sla.${p.state}`, p.state)}</td>
                  <td>{t("sla.of", { counted: duration(p.counted_seconds), allowed: duration(p.allowed_seconds) })}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <table>
            <caption>{t("sla.intervals")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("sla.from")}</th>
                <th scope="col">{t("sla.to")}</th>
                <th scope="col">{t("sla.interval")}</th>
                <th scope="col">{t("sla.reason")}</th>
                <th scope="col">{t("sla.length")}</th>
              </tr>
            </thead>
            <tbody>
              {view.intervals.map((i) => (
                <tr key={i.start} class={`interval-${i.kind}`}>
                  <td>{formatDateTime(i.start)}</td>
                  <td>{i.end ? formatDateTime(i.end) : t("sla.now")}</td>
                  <td>{wordOr(`sla.interval_${i.kind}`, i.kind)}</td>
                  <td>{i.reason}</td>
                  <td>{duration(i.seconds)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
