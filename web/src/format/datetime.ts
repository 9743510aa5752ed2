// The one way the app shows an instant: in the reader's time zone, in their language, the zone named, as the desk's
// e-mails and messages write it (shared/platform/words: "Monday 30 November 2026, 13:00 (Europe/Prague)"): the
// language's "time.pattern" over Intl's parts ({weekday} {day} {day2} {month} {year} {hour} {hour2} {minute}; the
// month as the language says it after a day) and "time.with_zone".
import { currentLanguage, fill, localeTag, message } from "../i18n";

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
  const parts: Record<string, string> = {};
  const format = new Intl.DateTimeFormat(localeTag(lang), {
    weekday: "long",
    day: "numeric",
    month: "long",
    year: "numeric",
    hour: "numeric",
    minute: "2-digit",
    hourCycle: "h23",
    timeZone,
  });
  for (const part of format.formatToParts(when)) if (part.type !== "literal") parts[part.type] = part.value;
  const hour = String(Number(parts.hour) % 24);
  const fields = {
    ...parts,
    hour,
    hour2: hour.padStart(2, "0"),
    day2: (parts.day ?? "").padStart(2, "0"),
  };
  const time = fill(message(lang, "time.pattern"), fields, lang);
  return fill(message(lang, "time.with_zone"), { time, zone: timeZone }, lang);
}
