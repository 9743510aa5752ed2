// What the manager console's pages share: loading an API answer into a page, problem texts, number and duration
// words in the reader's language, and the shapes of the answers they read.
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../../api/client";
import { localeTag, t } from "../../i18n";

export function problemText(error: unknown): string {
  if (error instanceof ApiError) {
    const fields = error.errors.map((e) => `${e.field}: ${e.message}`).join("; ");
    return [error.detail || error.title, fields].filter(Boolean).join(" — ");
  }
  return error instanceof Error ? error.message : String(error);
}

// A message for the next page a form leads to (a new service saved, then shown at its own address): said once there.
let flashed: string | null = null;

export function flash(message: string): void {
  flashed = message;
}

export function takeFlash(): string | null {
  const message = flashed;
  flashed = null;
  return message;
}

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  reload: () => void;
}

/** Loads `fetcher()` when the page opens and whenever `deps` change; `reload` reads it again. */
export function useLoad<T>(fetcher: () => Promise<T>, deps: unknown[] = []): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let current = true;
    setError(null);
    fetcher()
      .then((answer) => current && setData(answer))
      .catch((e: unknown) => current && setError(problemText(e)));
    return () => {
      current = false;
    };
  }, [...deps, tick]);
  return { data, error, reload: () => setTick((n) => n + 1) };
}

export function num(value: number | string | null | undefined, digits = 0): string {
  if (value === null || value === undefined || value === "") return t("console.none");
  return new Intl.NumberFormat(localeTag(), { maximumFractionDigits: digits }).format(Number(value));
}

export function percent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined) return t("console.none");
  return new Intl.NumberFormat(localeTag(), { style: "percent", maximumFractionDigits: 0 }).format(ratio);
}

/** Minutes as the number of minutes (the figures' unit), e.g. "1,020 min". */
export function minutes(value: number): string {
  return t("console.minutes", { n: num(value) });
}

export function shortDate(iso: string): string {
  const [y, m, d] = iso.split("-").map(Number);
  return new Intl.DateTimeFormat(localeTag(), { day: "numeric", month: "short", timeZone: "UTC" }).format(
    new Date(Date.UTC(y, m - 1, d)),
  );
}

export function splitList(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

export interface Incident {
  id: string;
  type: string;
  title: string;
  status: "open" | "acknowledged" | "resolved";
  organisation_id: string | null;
  ticket_id: string | null;
  reference: string | null;
  detail: Record<string, unknown>;
  raised_at: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  resolved_at: string | null;
  resolved_by: string | null;
  note: string | null;
}

export interface IntakeField {
  key: string;
  label: string;
  type: string;
  required: boolean;
  options?: string[];
}

export interface CatalogService {
  key: string;
  title: string;
  description: string;
  route: string;
  intake_fields: IntakeField[];
  groups: string[];
  customer_visible: boolean;
  deadline_working_days: number | null;
  position: number | null;
}

export interface Group {
  name: string;
  line: string;
  description: string;
  skills: string[];
  order: string;
  members: { sub: string; name: string; email: string }[];
}

export interface PersonRow {
  sub: string;
  email: string;
  name: string;
  role: string;
  organisation_id: string | null;
  org_admin: boolean;
  groups: string[];
  line: string | null;
  skills: string[];
  active: boolean;
}

export interface Organisation {
  id: string;
  name: string;
  importance: string;
}

export interface Contract {
  organisation_id: string;
  period: "month" | "quarter";
  limits: {
    questions_per_user_per_day: number | null;
    tickets_per_period: number | null;
    hours_per_period: number | null;
  };
  rate_per_hour: string;
  currency: string;
  services: string[];
  renewal: "auto" | "manual";
  start_date: string;
  end_date: string | null;
  billing_day: number;
  payment_terms_days: number;
  ticket_hours_incident: number;
  plan_id: string | null;
  calendar_id: string | null;
  timezone: string;
  usage?: {
    period: string;
    tickets: number;
    billable_hours: string;
    hours_share?: number;
    tickets_share?: number;
  };
}

export interface Invoice {
  id: string;
  organisation_id: string;
  period: string;
  status: string;
  currency: string;
  amount: string;
  hours: string;
  due_date: string | null;
  prepared_at: string;
}

export const LINES = ["L1", "L2", "L3", "managers"] as const;
