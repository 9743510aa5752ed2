// The one way the app shows an instant: in the reader's time zone, in their language, the zone named, as the desk's
// e-mails and messages write it (shared/platform/words: "Monday 30 November 2026, 13:00 (Europe/Prague)").
import { currentLanguage, fill, localeTag, t } from "../i18n";

let zone: string = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

/** The reader's IANA zone: their profile's when known, else the browser's. */
export function readerZone(): string {
  return zone;
}

export function setReaderZone(next: string | null | undefined): void {
  if (next && isZone(next)) zone = next;
}

function isZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export function formatDateTime(at: string | number | Date, options: { language?: string; zone?: string } = {}): string {
  const when = at instanceof Date ? at : new Date(at);
  if (Number.isNaN(when.getTime())) return String(at);
  const lang = options.language ?? currentLanguage();
  const timeZone = options.zone ?? zone;
  const tag = localeTag(lang);
  const date = new Intl.DateTimeFormat(tag, {
    weekday: "long",
    day: "numeric",
    month: "long",
    year: "numeric",
    timeZone,
  }).format(when);
  const time = new Intl.DateTimeFormat(tag, { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone }).format(
    when,
  );
  const pattern = lang === currentLanguage() ? t("time.with_zone") : "{date}, {time} ({zone})";
  return fill(pattern, { date, time, zone: timeZone }, lang);
}
