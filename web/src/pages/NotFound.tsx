// A missing page and a page the person may not open look the same: nothing tells them it exists.
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
