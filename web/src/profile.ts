// The signed-in person's own record (GET /people/{sub}): the language and time zone the desk writes to them in (their
// organisation's), which win over the browser's; a language picked in the menu during the visit wins over both.
import { api } from "./api/client";
import type { Person } from "./auth/session";
import { setReaderZone } from "./format/datetime";
import { currentLanguage, languageChosen, pickLanguage, setLanguage } from "./i18n";

interface Profile {
  language?: string | null;
  timezone?: string | null;
}

export async function applyProfile(person: Person): Promise<void> {
  let profile: Profile;
  try {
    profile = await api.get<Profile, "/people/{sub}">("/people/{sub}", { path: { sub: person.sub } });
  } catch {
    return; // the browser's language and zone stay
  }
  setReaderZone(profile.timezone);
  if (profile.language && !languageChosen()) {
    const chosen = pickLanguage([profile.language]);
    if (chosen !== currentLanguage()) await setLanguage(chosen);
  }
}
