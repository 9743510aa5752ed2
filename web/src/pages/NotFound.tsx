// A missing page: nothing at this address (a page the person's role may not open is NotAllowed.tsx).
import { t } from "../i18n";

export default function NotFound() {
  return (
    <section aria-labelledby="notfound-title">
      <h1 id="notfound-title">{t("notfound.title")}</h1>
      <p>{t("notfound.text")}</p>
      <p>
        <a href="/app/">{t("notfound.home")}</a>
      </p>
    </section>
  );
}
