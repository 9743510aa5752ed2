// The service catalog in plain words: what the customer can ask for, each with its own form.
import { useEffect, useState } from "preact/hooks";
import { api } from "../../api/client";
import { t } from "../../i18n";
import { problemText, serviceTitle, type Service } from "./portal";

export function serviceText(service: Service): string {
  const key = `service.${service.key}.description`;
  const word = t(key);
  return word === key ? service.description : word;
}

export default function Catalog() {
  const [services, setServices] = useState<Service[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api
      .get<{ items: Service[] }, "/services">("/services")
      .then((answer) => setServices(answer.items))
      .catch((e: unknown) => setError(problemText(e)));
  }, []);
  return (
    <section aria-labelledby="catalog-title">
      <h1 id="catalog-title">{t("catalog.title")}</h1>
      <p>{t("catalog.intro")}</p>
      {error && <p role="alert">{error}</p>}
      {services === null && !error && <p class="loading">{t("app.loading")}</p>}
      {services && (
        <ul class="cards">
          {services.map((service) => (
            <li key={service.key} class="card">
              <h2>
                <a href={`/app/services/${encodeURIComponent(service.key)}/new`}>{serviceTitle(service)}</a>
              </h2>
              <p>{serviceText(service)}</p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
