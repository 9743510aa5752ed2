// The first page after sign-in: who is signed in, and what the desk offers their role.
import { formatDateTime } from "../format/datetime";
import { t } from "../i18n";
import type { PageProps } from "../routes";

export default function Home({ person }: PageProps) {
  if (person === null) return null;
  return (
    <section aria-labelledby="home-title">
      <h1 id="home-title">{t("home.title", { name: person.name })}</h1>
      <p>{t(`home.${person.role}_intro`)}</p>
      <p>{t("home.now", { when: formatDateTime(new Date()) })}</p>
    </section>
  );
}
