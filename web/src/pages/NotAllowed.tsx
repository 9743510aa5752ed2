// A page that exists but the signed-in person's role may not open (a customer at a workspace address, an agent at
// a manager's page): said plainly, with the way back home. Someone not signed in goes to the sign-in page instead.
import { t } from "../i18n";

export default function NotAllowed() {
  return (
    <section aria-labelledby="notallowed-title">
      <h1 id="notallowed-title">{t("notallowed.title")}</h1>
      <p>{t("notallowed.text")}</p>
      <p>
        <a href="/app/">{t("notfound.home")}</a>
      </p>
    </section>
  );
}
