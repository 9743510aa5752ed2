// Invoices (R25): newest period first, filtered by organisation (?organisation=<id>); prepare a draft for a period,
// move it draft -> sent -> paid, and download one as CSV (the API's GET /invoices/<id>.csv, fetched with the
// signed-in person's token and saved as a file).
import { useState } from "preact/hooks";
import { api, url } from "../../api/client";
import { session } from "../../auth/session";
import { t } from "../../i18n";
import { navigate } from "../../router";
import type { PageProps } from "../../routes";
import { num, problemText, useLoad, type Invoice, type Organisation } from "./console";

const NEXT: Record<string, string[]> = { draft: ["sent"], sent: ["paid"], overdue: ["paid"], paid: [] };

async function downloadCsv(invoice: Invoice): Promise<void> {
  const answer = await fetch(url("/invoices/{invoice_id}", { invoice_id: `${invoice.id}.csv` }), {
    headers: { authorization: `Bearer ${session()?.accessToken ?? ""}`, accept: "text/csv" },
    credentials: "omit",
    referrerPolicy: "no-referrer",
  });
  if (!answer.ok) throw new Error(t("inv.csv_failed", { status: answer.status }));
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await answer.blob());
  link.download = `${invoice.id}.csv`;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

export default function Invoices({ query }: PageProps) {
  const organisation = query.get("organisation") ?? "";
  const orgs = useLoad(() => api.get<{ items: Organisation[] }, "/organisations">("/organisations", { query: { limit: 100 } }));
  const { data, error, reload } = useLoad(
    () =>
      api.get<{ items: Invoice[] }, "/invoices">("/invoices", {
        query: { organisation_id: organisation || undefined, limit: 100 },
      }),
    [organisation],
  );
  const [prepareOrg, setPrepareOrg] = useState(organisation);
  const [period, setPeriod] = useState("");
  const [said, setSaid] = useState<string | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const attempt = async (work: () => Promise<string>) => {
    setSaid(null);
    setFailed(null);
    try {
      setSaid(await work());
      reload();
    } catch (e) {
      setFailed(problemText(e));
    }
  };
  const prepare = (e: Event) => {
    e.preventDefault();
    void attempt(async () => {
      const made = await api.post<Invoice, "/invoices">("/invoices", {
        body: { organisation_id: prepareOrg, period: period.trim() || null },
      });
      return t("inv.prepared", { id: made.id });
    });
  };
  return (
    <section aria-labelledby="inv-title" class="console">
      <h1 id="inv-title">{t("inv.title")}</h1>
      <form class="filters" aria-label={t("inv.filter")} onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="inv-filter">{t("inv.organisation")}</label>
          <select
            id="inv-filter"
            value={organisation}
            onChange={(e) => {
              const value = (e.target as HTMLSelectElement).value;
              navigate(value ? `/app/console/invoices?organisation=${encodeURIComponent(value)}` : "/app/console/invoices");
            }}
          >
            <option value="">{t("inv.all")}</option>
            {(orgs.data?.items ?? []).map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </select>
        </div>
      </form>
      <form class="filters" onSubmit={prepare} aria-label={t("inv.prepare_form")}>
        <div class="field">
          <label for="inv-org">{t("inv.organisation")}</label>
          <select id="inv-org" required value={prepareOrg} onChange={(e) => setPrepareOrg((e.target as HTMLSelectElement).value)}>
            <option value="">{t("inv.choose")}</option>
            {(orgs.data?.items ?? []).map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="inv-period">{t("inv.period")}</label>
          <input id="inv-period" placeholder="2026-11" aria-describedby="inv-period-hint" value={period} onInput={(e) => setPeriod((e.target as HTMLInputElement).value)} />
          <span id="inv-period-hint" class="hint">
            {t("inv.period_hint")}
          </span>
        </div>
        <button type="submit">{t("inv.prepare")}</button>
      </form>
      <p role="status">{said}</p>
      {(error || failed) && <p role="alert">{error ?? failed}</p>}
      {!data && !error && <p class="loading">{t("app.loading")}</p>}
      {data && data.items.length === 0 && <p>{t("inv.none")}</p>}
      {data && data.items.length > 0 && (
        <table>
          <caption class="visually-hidden">{t("inv.title")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("inv.invoice")}</th>
              <th scope="col">{t("inv.organisation")}</th>
              <th scope="col">{t("inv.period")}</th>
              <th scope="col">{t("inv.hours")}</th>
              <th scope="col">{t("inv.amount")}</th>
              <th scope="col">{t("inv.status")}</th>
              <th scope="col">{t("inv.due")}</th>
              <th scope="col">{t("inv.actions")}</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((inv) => (
              <tr key={inv.id}>
                <td>{inv.id}</td>
                <td>{inv.organisation_id}</td>
                <td>{inv.period}</td>
                <td>{num(inv.hours, 2)}</td>
                <td>
                  {num(inv.amount, 2)} {inv.currency}
                </td>
                <td>{t(`inv.status_${inv.status}`)}</td>
                <td>{inv.due_date ?? t("console.none")}</td>
                <td class="actions">
                  {(NEXT[inv.status] ?? []).map((next) => (
                    <button
                      key={next}
                      type="button"
                      aria-label={t(`inv.mark_${next}_of`, { id: inv.id })}
                      onClick={() =>
                        void attempt(async () => {
                          await api.post("/invoices/{invoice_id}/status", { path: { invoice_id: inv.id }, body: { status: next as "paid" } });
                          return t("inv.marked", { id: inv.id, status: t(`inv.status_${next}`) });
                        })
                      }
                    >
                      {t(`inv.mark_${next}`)}
                    </button>
                  ))}
                  <button
                    type="button"
                    class="secondary"
                    aria-label={t("inv.csv_of", { id: inv.id })}
                    onClick={() =>
                      void attempt(async () => {
                        await downloadCsv(inv);
                        return t("inv.downloaded", { id: inv.id });
                      })
                    }
                  >
                    {t("inv.csv")}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
