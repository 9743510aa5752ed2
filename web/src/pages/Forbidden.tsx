// A page that exists but is not for the signed-in person's role (an agent opening the manager's console): said
// plainly, with who may open it and the way back, instead of pretending the address does not exist.
import { t } from "../i18n";

export default function Forbidden() {
  return (
    <section aria-labelledby="forbidden-title">
      <h1 id="forbidden-title">{t("forbidden.title")}</h1>
      <p>{t("forbidden.text")}</p>
      <p>
        <a href="/app/">{t("notfound.home")}</a>
      </p>
    </section>
  );
}
