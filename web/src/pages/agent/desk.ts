// What the agent workspace's pages share: the shapes of the staff API's answers they read, SLA badges with a live
// countdown, the keyboard shortcuts (never while the person types in a field), and the staff's names.
import { useEffect, useState } from "preact/hooks";
import { call } from "../../api/client";
import { t } from "../../i18n";
import { statusWord } from "../customer/portal";

export interface Outcome {
  value: string;
  label: string;
}

export interface PreviousNote {
  task_type: string;
  group: string;
  note: string;
  completed_by: string | null;
  completed_at: string | null;
}

export interface Task {
  id: string;
  ticket_id: string;
  reference: string;
  type: string;
  title: string;
  group: string;
  assignee: string | null;
  status: string;
  priority: number;
  priority_detail?: { score: number; order: string; components: { factor: string; points: number; why: string }[] } | null;
  due_at: string | null;
  outcome: string | null;
  note: string | null;
  created_at: string;
  taken_at: string | null;
  completed_at: string | null;
  outcomes?: Outcome[];
  note_required?: boolean;
  previous_note?: PreviousNote | null;
  sla_state?: string | null;
  ticket_sla?: TicketSla | null; // in a queue: the ticket's promise and internal target
}

/** The SLA badge's facts the route worker stores on a ticket (shared/clocks/ticket.py sla_summary). */
export interface TicketSla {
  clock: "reaction" | "resolution";
  phase: string; // running | paused | met | stopped
  promise_due_at: string;
  internal_due_at: string;
  promise_left_seconds: number;
  internal_left_seconds: number;
  breached: boolean;
  met_at: string | null;
  computed_at: string;
}

export interface WaitingOn {
  group?: string | null;
  assignee?: string | null;
  since?: string | null;
  [key: string]: unknown;
}

export interface StaffTicketSummary {
  id: string;
  reference: string;
  subject: string;
  status: string;
  ball_side: string | null;
  ball_since: string | null;
  owner: string | null;
  organisation_id: string;
  requester_email?: string | null;
  service: string;
  classification?: string | null;
  priority?: number | null;
  due_at?: string | null;
  sla?: TicketSla | null;
  next_step_at: string | null;
  created_at: string;
  updated_at: string;
  waiting_on?: WaitingOn | null;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export const deskTicketPath = (reference: string) => `/app/desk/tickets/${encodeURIComponent(reference)}`;

// ---- SLA badges -------------------------------------------------------------------------------------------------

export type SlaState = "running" | "warned" | "breached" | "paused" | "met" | "none";

/** The share of the promised time left under which a running promise counts as warned. */
const WARN_SHARE = 0.25;

/** The state of a promise due at `dueAt`: the API's own when it says one, else from the clock (paused while the
 * ball is with the customer: R13 stops the clock there). */
export function slaState(
  dueAt: string | null | undefined,
  opts: { since?: string | null; paused?: boolean; given?: string | null; now?: number } = {},
): SlaState {
  if (opts.given && ["running", "warned", "breached", "paused", "met"].includes(opts.given)) return opts.given as SlaState;
  if (!dueAt) return "none";
  if (opts.paused) return "paused";
  const now = opts.now ?? Date.now();
  const due = Date.parse(dueAt);
  if (Number.isNaN(due)) return "none";
  if (due <= now) return "breached";
  const start = opts.since ? Date.parse(opts.since) : NaN;
  if (!Number.isNaN(start) && due > start && (due - now) / (due - start) < WARN_SHARE) return "warned";
  return "running";
}

/** The customer's promise and the internal target at `now`, from the worker's stored facts: warned once the internal
 * target passed, breached once the promise did; while paused, neither moves (the time left is working time). */
export function slaPair(sla: TicketSla, now: number): { promise: SlaState; internal: SlaState } {
  const promiseDue = Date.parse(sla.promise_due_at);
  const internalDue = Date.parse(sla.internal_due_at);
  if (sla.phase === "met" || sla.phase === "stopped") {
    const metAt = sla.met_at ? Date.parse(sla.met_at) : NaN;
    return {
      promise: sla.breached ? "breached" : "met",
      internal: !Number.isNaN(metAt) && metAt > internalDue ? "breached" : "met",
    };
  }
  if (sla.phase === "paused") {
    return {
      promise: sla.breached ? "breached" : "paused",
      internal: sla.internal_left_seconds <= 0 ? "breached" : "paused",
    };
  }
  const promise: SlaState = sla.breached || now >= promiseDue ? "breached" : now >= internalDue ? "warned" : "running";
  return { promise, internal: now >= internalDue ? "breached" : "running" };
}

/** "3 h 10 min" of working time (a paused clock's time left). */
export function workingTime(seconds: number): string {
  const minutes = Math.floor(Math.max(seconds, 0) / 60);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = String(minutes % 60).padStart(2, "0");
  return days > 0 ? t("sla.days_left", { days, hours, minutes: mins }) : t("sla.hours_left", { hours, minutes: mins });
}

/** "2 h 05 min" (or "-0 h 12 min" after the deadline), the countdown's words. */
export function countdown(dueAt: string, now: number = Date.now()): string {
  const left = Date.parse(dueAt) - now;
  const minutes = Math.floor(Math.abs(left) / 60000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = String(minutes % 60).padStart(2, "0");
  const text = days > 0 ? t("sla.days_left", { days, hours, minutes: mins }) : t("sla.hours_left", { hours, minutes: mins });
  return left < 0 ? t("sla.overdue_by", { time: text }) : text;
}

// One ticker for every countdown on the page (a queue may show dozens): started by the first, stopped after the last.
const ticking = new Set<(now: number) => void>();
let ticker = 0;

/** The current time, re-rendering the component each second (the countdowns). */
export function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    ticking.add(setNow);
    if (ticking.size === 1) ticker = window.setInterval(() => ticking.forEach((tick) => tick(Date.now())), 1000);
    return () => {
      ticking.delete(setNow);
      if (ticking.size === 0) window.clearInterval(ticker);
    };
  }, []);
  return now;
}

// ---- keyboard shortcuts -------------------------------------------------------------------------------------------

export interface Shortcut {
  key: string;
  label: string; // message key of what it does
  run: () => void;
}

/** Whether a key press happens while the person types (a field, a select, an editable element): then no shortcut. */
export function typing(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  if (!element || !element.tagName) return false;
  const tag = element.tagName.toLowerCase();
  return tag === "input" || tag === "textarea" || tag === "select" || element.isContentEditable;
}

/** Listens for the page's shortcuts (plain keys, no modifiers) outside fields. */
export function useShortcuts(shortcuts: Shortcut[]): void {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
      const found = shortcuts.find((s) => s.key === event.key);
      if (!found) return;
      event.preventDefault();
      found.run();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [shortcuts]);
}

export function classificationWord(value: string | null | undefined): string {
  if (!value) return t("desk.none");
  const key = `classification.${value}`;
  const word = t(key);
  return word === key ? value.replace(/_/g, " ") : word;
}

/** A status as staff say it (the customer's words where the desk has none of its own). */
export function deskStatus(status: string): string {
  const key = `desk.status_${status}`;
  const word = t(key);
  return word === key ? statusWord(status) : word;
}

/** The message `key`, else `fallback` (a value the API may grow before the app has a word for it). */
export function wordOr(key: string, fallback: string): string {
  const word = t(key);
  return word === key ? fallback.replace(/_/g, " ") : word;
}

let staffNames: Promise<Map<string, string>> | null = null;

/** The desk's people by sub (the support groups' members), loaded once a visit: names instead of subs. */
export function useStaffNames(): (sub: string | null | undefined) => string {
  const [names, setNames] = useState<Map<string, string>>(new Map());
  useEffect(() => {
    staffNames ??= call<{ items: { members: { sub: string; name: string }[] }[] }, "get", "/routing/groups">(
      "get",
      "/routing/groups",
    )
      .then((answer) => new Map(answer.items.flatMap((g) => g.members.map((m) => [m.sub, m.name] as const))))
      .catch(() => {
        staffNames = null;
        return new Map<string, string>();
      });
    void staffNames.then(setNames);
  }, []);
  return (sub) => (sub ? (names.get(sub) ?? sub) : t("desk.none"));
}

/** Whose move it is (R14), as staff say it. */
export function whoseMoveStaff(ballSide: string | null): string {
  if (ballSide === "customer") return t("desk.move_customer");
  if (ballSide === "us") return t("desk.move_us");
  return t("desk.move_none");
}
