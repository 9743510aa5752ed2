// The app's words: one flat message file per language (en.json, cs.json, ...). Adding a language is adding its
// file: import.meta.glob finds it, the language menu lists it (by its "language.name"), missing keys are said in
// English. English is bundled; every other language is fetched when chosen (a separate chunk).
//
// Placeholders as in the desk's e-mail files (shared/platform/words): {name}, and
// {count, plural, one {# ticket} other {# tickets}} with the language's CLDR plural rules (Intl.PluralRules).
import english from "./en.json";

export type Messages = Record<string, string>;
// Each area of the app may keep its words in its own folder (agent/en.json, manager/en.json, ...): a language is
// every file of that name, merged. English is bundled; the others are fetched when chosen.
const englishAreas = import.meta.glob<Messages>("./*/en.json", { eager: true, import: "default" });
const en: Messages = Object.assign({}, english, ...Object.values(englishAreas));

const files = import.meta.glob<Messages>(["./*.json", "./*/*.json", "!./en.json", "!./*/en.json"], {
  import: "default",
});
const codeOf = (path: string): string => path.slice(path.lastIndexOf("/") + 1, -".json".length);
const loaded: Record<string, Messages> = { en };
export const ENGLISH = "en";
export const LANGUAGES: readonly string[] = [ENGLISH, ...new Set(Object.keys(files).map(codeOf))].sort();

let language = ENGLISH;
let chosenByPerson = false; // picked in the language menu during this visit: wins over the profile
const listeners = new Set<() => void>();

export function currentLanguage(): string {
  return language;
}

/** The first of `wanted` the app speaks (exact tag, then its primary subtag), else English. */
export function pickLanguage(wanted: readonly (string | null | undefined)[]): string {
  for (const tag of wanted) {
    if (!tag) continue;
    const lower = tag.toLowerCase();
    if (LANGUAGES.includes(lower)) return lower;
    const primary = lower.split("-")[0];
    if (LANGUAGES.includes(primary)) return primary;
  }
  return ENGLISH;
}

/** Whether the person picked the language in the menu (then their profile's language does not override it). */
export function languageChosen(): boolean {
  return chosenByPerson;
}

export async function chooseLanguage(next: string): Promise<void> {
  chosenByPerson = true;
  await setLanguage(next);
}

export async function setLanguage(next: string): Promise<void> {
  const chosen = pickLanguage([next]);
  if (!(chosen in loaded)) {
    const parts = await Promise.all(
      Object.entries(files)
        .filter(([path]) => codeOf(path) === chosen)
        .map(([, load]) => load()),
    );
    loaded[chosen] = Object.assign({}, ...parts);
  }
  language = chosen;
  document.documentElement.lang = chosen;
  for (const listener of listeners) listener();
}

export function onLanguageChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** A language's own name for itself (its file's "language.name"; English's file names every language). */
export function languageName(code: string): string {
  return loaded[code]?.["language.name"] ?? en[`language.${code}`] ?? code;
}

/** The BCP 47 tag Intl formats the language with (its file's "language.tag", e.g. en-GB, cs-CZ). */
export function localeTag(code: string = language): string {
  return loaded[code]?.["language.tag"] ?? code;
}

/** A message of a language as written (English when the language lacks it; the key when nobody has it). */
export function message(lang: string, key: string): string {
  return loaded[lang]?.[key] ?? en[key] ?? key;
}

export function t(key: string, vars: Record<string, string | number> = {}): string {
  return fill(message(language, key), vars, language);
}

const PLURAL = /\{(\w+), plural,((?:\s*\w+\s*\{[^{}]*\})+)\s*\}/g;
const CASE = /(\w+)\s*\{([^{}]*)\}/g;

export function fill(text: string, vars: Record<string, string | number>, lang: string = language): string {
  const withPlurals = text.replace(PLURAL, (_all, name: string, cases: string) => {
    const count = Number(vars[name] ?? 0);
    const options = Object.fromEntries([...cases.matchAll(CASE)].map((m) => [m[1], m[2]]));
    const category = new Intl.PluralRules(localeTag(lang)).select(count);
    return (options[category] ?? options.other ?? "").replace(/#/g, String(count));
  });
  return withPlurals.replace(/\{(\w+)\}/g, (all, name: string) => (name in vars ? String(vars[name]) : all));
}
