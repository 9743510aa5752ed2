// Pieces of the workspace's pages: the SLA badge with its live countdown, the shortcuts' help overlay, and the
// "Next task" button (the system picks the task, R19: it opens the taken task's ticket).
import { useEffect, useRef, useState } from "preact/hooks";
import { formatDateTime } from "../../format/datetime";
import { api } from "../../api/client";
import { t } from "../../i18n";
import { navigate } from "../../router";
import { problemText } from "../customer/portal";
import {
  countdown,
  deskTicketPath,
  slaPair,
  slaState,
  useNow,
  workingTime,
  type Shortcut,
  type SlaState,
  type Task,
  type TicketSla,
} from "./desk";

export function SlaBadge({
  dueAt,
  since,
  paused,
  given,
}: {
  dueAt: string | null | undefined;
  since?: string | null;
  paused?: boolean;
  given?: string | null;
}) {
  const now = useNow();
  const state: SlaState = slaState(dueAt, { since, paused, given, now });
  if (state === "none") return <span class="sla sla-none">{t("sla.none")}</span>;
  const word = t(`sla.${state}`);
  const left = dueAt && state !== "paused" && state !== "met" ? countdown(dueAt, now) : null;
  return (
    <span class={`sla sla-${state}`} title={dueAt ? t("sla.due", { when: formatDateTime(dueAt) }) : undefined}>
      <span class="sla-state">{word}</span>
      {left && (
        <>
          {" · "}
          <time dateTime={dueAt ?? undefined}>{left}</time>
        </>
      )}
    </span>
  );
}

/** The ticket's SLA side by side: the customer's promise that runs now (reaction or resolution) and the internal
 * target, each with its state and the time left (a live countdown; working time while paused). Without the
 * worker's facts (an older ticket), the single badge of `dueAt`. */
export function SlaPairBadge({ sla, dueAt, since, paused }: { sla: TicketSla | null | undefined; dueAt?: string | null; since?: string | null; paused?: boolean }) {
  const now = useNow();
  if (!sla) return <SlaBadge dueAt={dueAt} since={since} paused={paused} />;
  const states = slaPair(sla, now);
  return (
    <span class="sla-pair">
      <SlaPart
        name={t(`sla.kind_${sla.clock}`)}
        state={states.promise}
        due={sla.promise_due_at}
        leftSeconds={sla.promise_left_seconds}
        now={now}
      />{" "}
      <SlaPart
        name={t("sla.kind_internal")}
        state={states.internal}
        due={sla.internal_due_at}
        leftSeconds={sla.internal_left_seconds}
        now={now}
      />
    </span>
  );
}

function SlaPart({ name, state, due, leftSeconds, now }: { name: string; state: SlaState; due: string; leftSeconds: number; now: number }) {
  const left =
    state === "met" ? null : state === "paused" ? t("sla.working_left", { time: workingTime(leftSeconds) }) : countdown(due, now);
  return (
    <span class={`sla sla-${state}`} title={state === "paused" ? undefined : t("sla.due", { when: formatDateTime(due) })}>
      {name}: <span class="sla-state">{t(`sla.${state}`)}</span>
      {left && (
        <>
          {" · "}
          {state === "paused" ? left : <time dateTime={due}>{left}</time>}
        </>
      )}
    </span>
  );
}

export function ShortcutHelp({ shortcuts, open, onClose }: { shortcuts: Shortcut[]; open: boolean; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) element.showModal();
    if (!open && element.open) element.close();
  }, [open]);
  return (
    <dialog ref={dialog} aria-labelledby="shortcuts-title" class="overlay" onClose={onClose}>
      <h2 id="shortcuts-title">{t("shortcuts.title")}</h2>
      <table>
        <caption class="visually-hidden">{t("shortcuts.title")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("shortcuts.key")}</th>
            <th scope="col">{t("shortcuts.does")}</th>
          </tr>
        </thead>
        <tbody>
          {shortcuts.map((s) => (
            <tr key={s.key}>
              <td>
                <kbd>{s.key}</kbd>
              </td>
              <td>{t(s.label)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="hint">{t("shortcuts.hint")}</p>
      <button type="button" onClick={onClose}>
        {t("shortcuts.close")}
      </button>
    </dialog>
  );
}

/** Takes the best open task of my groups and opens its ticket; says so when there is none. */
export async function takeNextTask(group?: string): Promise<string | null> {
  const answer = await api.post<{ task: Task | null; detail?: string }, "/tasks/next/take">("/tasks/next/take", {
    query: group ? { group } : {},
  });
  if (!answer.task) return answer.detail ?? t("queue.none_to_take");
  navigate(`${deskTicketPath(answer.task.reference)}?task=${encodeURIComponent(answer.task.id)}`);
  return null;
}

export function NextTaskButton({ group, onMessage }: { group?: string; onMessage: (text: string | null) => void }) {
  const [busy, setBusy] = useState(false);
  return (
    <button
      type="button"
      disabled={busy}
      aria-keyshortcuts="n"
      onClick={() => {
        setBusy(true);
        onMessage(null);
        takeNextTask(group)
          .then(onMessage)
          .catch((e: unknown) => onMessage(problemText(e)))
          .finally(() => setBusy(false));
      }}
    >
      {t("queue.next")}
    </button>
  );
}

/** The shortcuts every workspace page knows, plus the page's own. */
export function useHelp(): { helpOpen: boolean; setHelpOpen: (open: boolean) => void; help: Shortcut } {
  const [helpOpen, setHelpOpen] = useState(false);
  return { helpOpen, setHelpOpen, help: { key: "?", label: "shortcuts.help", run: () => setHelpOpen(true) } };
}
