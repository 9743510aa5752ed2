// My queues: the open tasks of each of my groups in the system's order (L1 by arrival, the other lines by computed
// priority, R19), each with its SLA badge and a live countdown; "Next task" takes the best one for me and opens its
// ticket (specialists do not pick). ?group=L2 shows one group. The queue reloads itself every 30 s.
import { useEffect, useMemo, useState } from "preact/hooks";
import { api } from "../../api/client";
import { formatDateTime } from "../../format/datetime";
import { t } from "../../i18n";
import type { PageProps } from "../../routes";
import { problemText } from "../customer/portal";
import { deskTicketPath, useShortcuts, type Page, type Shortcut, type Task } from "./desk";
import { NextTaskButton, ShortcutHelp, SlaPairBadge, takeNextTask, useHelp } from "./parts";

const REFRESH_MS = 30_000; // the queue looks again on its own; Refresh looks at once

interface Agent {
  sub: string;
  groups: string[];
  line: string | null;
}

export default function Queue({ person, query }: PageProps) {
  const [groups, setGroups] = useState<string[] | null>(null);
  const [queues, setQueues] = useState<Record<string, Task[]>>({});
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const only = query.get("group");
  const { helpOpen, setHelpOpen, help } = useHelp();

  useEffect(() => {
    if (!person) return;
    api
      .get<Agent, "/routing/agents/{sub}">("/routing/agents/{sub}", { path: { sub: person.sub } })
      .then((agent) => setGroups(agent.groups ?? []))
      .catch((e: unknown) => setError(problemText(e)));
  }, [person?.sub]);

  const shown = useMemo(() => (groups ?? []).filter((g) => !only || g === only), [groups, only]);
  const load = () =>
    Promise.all(
      shown.map((group) =>
        api.get<Page<Task>, "/tasks">("/tasks", { query: { group, limit: 50 } }).then((page) => [group, page.items] as const),
      ),
    )
      .then((pairs) => setQueues(Object.fromEntries(pairs)))
      .catch((e: unknown) => setError(problemText(e)));
  useEffect(() => {
    if (groups === null) return;
    void load();
    const timer = window.setInterval(() => void load(), REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [groups, only]);

  const shortcuts: Shortcut[] = useMemo(
    () => [
      {
        key: "n",
        label: "shortcuts.next",
        run: () => void takeNextTask(only ?? undefined).then(setMessage, (e: unknown) => setMessage(problemText(e))),
      },
      help,
    ],
    [only],
  );
  useShortcuts(shortcuts);

  return (
    <section aria-labelledby="queue-title">
      <h1 id="queue-title">{only ? t("queue.title_group", { group: only }) : t("queue.title")}</h1>
      <div class="actions">
        <NextTaskButton group={only ?? undefined} onMessage={setMessage} />
        <button type="button" class="secondary" onClick={() => void load()}>
          {t("desk.refresh")}
        </button>
        <button type="button" class="secondary" onClick={() => setHelpOpen(true)} aria-keyshortcuts="?">
          {t("shortcuts.help")}
        </button>
      </div>
      <p role="status" class="status">
        {message}
      </p>
      {error && <p role="alert">{error}</p>}
      {groups === null && !error && <p class="loading">{t("app.loading")}</p>}
      {groups !== null && groups.length === 0 && <p>{t("queue.no_groups")}</p>}
      {(groups?.length ?? 0) > 1 && (
        <nav aria-label={t("queue.groups")}>
          <ul class="inline">
            <li>
              <a href="/app/desk" aria-current={only ? undefined : "page"}>
                {t("queue.all_groups")}
              </a>
            </li>
            {groups?.map((g) => (
              <li key={g}>
                <a href={`/app/desk?group=${encodeURIComponent(g)}`} aria-current={only === g ? "page" : undefined}>
                  {g}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      )}
      {shown.map((group) => (
        <GroupQueue key={group} group={group} tasks={queues[group]} me={person?.sub ?? ""} />
      ))}
      <ShortcutHelp shortcuts={shortcuts} open={helpOpen} onClose={() => setHelpOpen(false)} />
    </section>
  );
}

function GroupQueue({ group, tasks, me }: { group: string; tasks: Task[] | undefined; me: string }) {
  const id = `queue-${group.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{t("queue.group", { group, count: tasks?.length ?? 0 })}</h2>
      {tasks === undefined ? (
        <p class="loading">{t("app.loading")}</p>
      ) : tasks.length === 0 ? (
        <p>{t("queue.empty")}</p>
      ) : (
        <table>
          <caption class="visually-hidden">{t("queue.caption", { group })}</caption>
          <thead>
            <tr>
              <th scope="col">{t("queue.position")}</th>
              <th scope="col">{t("desk.reference")}</th>
              <th scope="col">{t("queue.task")}</th>
              <th scope="col">{t("queue.sla")}</th>
              <th scope="col">{t("queue.priority")}</th>
              <th scope="col">{t("queue.taken")}</th>
              <th scope="col">{t("queue.arrived")}</th>
            </tr>
          </thead>
          <tbody>
            {tasks.map((task, index) => (
              <tr key={task.id}>
                <td>{index + 1}</td>
                <td>
                  <a href={`${deskTicketPath(task.reference)}?task=${encodeURIComponent(task.id)}`}>{task.reference}</a>
                </td>
                <td>{task.title}</td>
                <td>
                  <SlaPairBadge sla={task.ticket_sla} dueAt={task.due_at} since={task.created_at} />
                </td>
                <td title={task.priority_detail?.components.map((c) => `${c.factor}: ${c.why}`).join("; ")}>
                  {Math.round(task.priority_detail?.score ?? task.priority)}
                </td>
                <td>{task.assignee ? (task.assignee === me ? t("queue.taken_me") : t("queue.taken_other")) : t("queue.open")}</td>
                <td>{formatDateTime(task.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
