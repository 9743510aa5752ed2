// A number beside a navigation link (the manager's open incidents): read when the page changes and when a page says
// it changed (refreshNavCounts, e.g. after an incident was resolved). Read as part of the link's name ("Incidents 2
// open"); nothing is shown while it is unknown or when reading it failed (the page itself says why).
import { h } from "preact";
import { useEffect, useState } from "preact/hooks";
import { t } from "./i18n";

const listeners = new Set<() => void>();

export function refreshNavCounts(): void {
  for (const listener of listeners) listener();
}

interface Props {
  count: (signal: AbortSignal) => Promise<number>;
  label?: string; // message key with {count}, e.g. "{count} open"
  path: string;
}

export function NavCount({ count, label, path }: Props) {
  const [value, setValue] = useState<number | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const listener = () => setTick((n) => n + 1);
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, []);
  useEffect(() => {
    const stop = new AbortController();
    count(stop.signal)
      .then(setValue)
      .catch(() => undefined); // a failed count shows no number; the page explains the failure
    return () => stop.abort();
  }, [path, tick]);
  if (value === null) return null;
  return h("span", { class: value > 0 ? "nav-count busy" : "nav-count" }, [
    " ",
    h("span", { "aria-hidden": "true" }, String(value)),
    h("span", { class: "visually-hidden" }, label ? t(label, { count: value }) : String(value)),
  ]);
}
