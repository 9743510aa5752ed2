// Contracts and limits (R23, R25): each organisation's contract with this period's usage; an organisation opens at
// /app/console/contracts/<id>, where its contract (limits, price, period, renewal, billing) and its licence-key
// limit are edited.
import { useState } from "preact/hooks";
import { ApiError, api } from "../../api/client";
import { t } from "../../i18n";
import type { PageProps } from "../../routes";
import { num, percent, problemText, splitList, useLoad, type Contract, type Organisation } from "./console";

export default function Contracts() {
  const { data, error } = useLoad(async () => {
    const [contracts, orgs] = await Promise.all([
      api.get<{ items: Contract[] }, "/contracts">("/contracts"),
      api.get<{ items: Organisation[] }, "/organisations">("/organisations", { query: { limit: 100 } }),
    ]);
    return { contracts: contracts.items, orgs: orgs.items };
  });
  return (
    <section aria-labelledby="con-title" class="console">
      <h1 id="con-title">{t("con.title")}</h1>
      {error && <p role="alert">{error}</p>}
      {!data && !error && <p class="loading">{t("app.loading")}</p>}
      {data && (
        <table>
          <caption class="visually-hidden">{t("con.title")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("con.organisation")}</th>
              <th scope="col">{t("con.period")}</th>
              <th scope="col">{t("con.limits")}</th>
              <th scope="col">{t("con.usage")}</th>
              <th scope="col">{t("con.rate")}</th>
            </tr>
          </thead>
          <tbody>
            {data.orgs.map((org) => {
              const c = data.contracts.find((x) => x.organisation_id === org.id);
              return (
                <tr key={org.id}>
                  <td>
                    <a href={`/app/console/contracts/${encodeURIComponent(org.id)}`}>{org.name}</a>
                  </td>
                  <td>{c ? t(`con.period_${c.period}`) : t("con.no_contract")}</td>
                  <td>{c ? limitsText(c) : t("console.none")}</td>
                  <td>{c?.usage ? usageText(c) : t("console.none")}</td>
                  <td>{c ? `${num(c.rate_per_hour, 2)} ${c.currency}` : t("console.none")}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

function limitsText(c: Contract): string {
  const parts = [];
  if (c.limits.questions_per_user_per_day) parts.push(t("con.limit_questions", { n: c.limits.questions_per_user_per_day }));
  if (c.limits.tickets_per_period) parts.push(t("con.limit_tickets", { n: c.limits.tickets_per_period }));
  if (c.limits.hours_per_period) parts.push(t("con.limit_hours", { n: num(c.limits.hours_per_period, 2) }));
  return parts.join("; ") || t("con.unlimited");
}

function usageText(c: Contract): string {
  const u = c.usage!;
  const share = u.hours_share ?? u.tickets_share;
  return t("con.usage_text", { period: u.period, tickets: num(u.tickets), hours: num(u.billable_hours, 2), share: percent(share ?? null) });
}

export function ContractPage({ params }: PageProps) {
  const org = params.organisation;
  const { data, error } = useLoad(async () => {
    const contract = await api
      .get<Contract, "/contracts/{organisation_id}">("/contracts/{organisation_id}", { path: { organisation_id: org } })
      .catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 404) return null; // no contract yet: the form starts empty
        throw e;
      });
    const licences = await api.get<{ limit: number | null; issued: number }, "/organisations/{org_id}/licences">(
      "/organisations/{org_id}/licences",
      { path: { org_id: org } },
    );
    return { contract, licences };
  }, [org]);
  return (
    <section aria-labelledby="contract-title" class="console">
      <p>
        <a href="/app/console/contracts">{t("con.back")}</a>
      </p>
      <h1 id="contract-title">{t("con.edit_title", { org })}</h1>
      {error && <p role="alert">{error}</p>}
      {!data && !error && <p class="loading">{t("app.loading")}</p>}
      {data && (
        <>
          {data.contract?.usage && <p>{usageText(data.contract)}</p>}
          <ContractForm key={org} org={org} current={data.contract} />
          <LicenceForm key={`${org}-licences`} org={org} limit={data.licences.limit} issued={data.licences.issued} />
        </>
      )}
    </section>
  );
}

function ContractForm({ org, current }: { org: string; current: Contract | null }) {
  const [form, setForm] = useState({
    period: current?.period ?? "month",
    questions: String(current?.limits.questions_per_user_per_day ?? ""),
    tickets: String(current?.limits.tickets_per_period ?? ""),
    hours: String(current?.limits.hours_per_period ?? ""),
    rate: current?.rate_per_hour ?? "",
    currency: current?.currency ?? "EUR",
    services: (current?.services ?? []).join(", "),
    renewal: current?.renewal ?? "auto",
    start: current?.start_date ?? new Date().toISOString().slice(0, 10),
    end: current?.end_date ?? "",
    billing_day: String(current?.billing_day ?? 1),
    terms: String(current?.payment_terms_days ?? 14),
    incident_hours: String(current?.ticket_hours_incident ?? 10),
    timezone: current?.timezone ?? "Europe/Prague",
  });
  const [said, setSaid] = useState<string | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const set = (name: keyof typeof form) => (e: Event) => setForm({ ...form, [name]: (e.target as HTMLInputElement).value });
  const optional = (value: string) => (value.trim() ? Number(value) : null);
  const save = async (e: Event) => {
    e.preventDefault();
    setSaid(null);
    setFailed(null);
    try {
      await api.put("/contracts/{organisation_id}", {
        path: { organisation_id: org },
        body: {
          period: form.period as "month",
          questions_per_user_per_day: optional(form.questions),
          tickets_per_period: optional(form.tickets),
          hours_per_period: form.hours.trim() || null,
          rate_per_hour: form.rate.trim(),
          currency: form.currency.trim().toUpperCase(),
          services: splitList(form.services),
          renewal: form.renewal as "auto",
          start_date: form.start,
          end_date: form.end || null,
          billing_day: Number(form.billing_day),
          payment_terms_days: Number(form.terms),
          ticket_hours_incident: Number(form.incident_hours),
          plan_id: current?.plan_id ?? null,
          calendar_id: current?.calendar_id ?? null,
          timezone: form.timezone.trim(),
        },
      });
      setSaid(t("con.saved"));
    } catch (error) {
      setFailed(problemText(error));
    }
  };
  const input = (id: keyof typeof form, label: string, extra: Record<string, unknown> = {}) => (
    <div class="field">
      <label for={`con-${id}`}>{label}</label>
      <input id={`con-${id}`} value={form[id]} onInput={set(id)} {...extra} />
    </div>
  );
  return (
    <form onSubmit={save} aria-label={t("con.form")}>
      <h2>{t("con.contract")}</h2>
      <div class="field">
        <label for="con-period">{t("con.period")}</label>
        <select id="con-period" value={form.period} onChange={set("period")}>
          <option value="month">{t("con.period_month")}</option>
          <option value="quarter">{t("con.period_quarter")}</option>
        </select>
      </div>
      {input("questions", t("con.questions_label"), { type: "number", min: 1, max: 1000 })}
      {input("tickets", t("con.tickets_label"), { type: "number", min: 1 })}
      {input("hours", t("con.hours_label"), { type: "number", min: 0.01, step: 0.01 })}
      {input("rate", t("con.rate_label"), { type: "number", min: 0, step: 0.01, required: true })}
      {input("currency", t("con.currency"), { required: true, pattern: "[A-Za-z]{3}", maxLength: 3 })}
      {input("services", t("con.services_label"))}
      <div class="field">
        <label for="con-renewal">{t("con.renewal")}</label>
        <select id="con-renewal" value={form.renewal} onChange={set("renewal")}>
          <option value="auto">{t("con.renewal_auto")}</option>
          <option value="manual">{t("con.renewal_manual")}</option>
        </select>
      </div>
      {input("start", t("con.start"), { type: "date", required: true })}
      {input("end", t("con.end"), { type: "date" })}
      {input("billing_day", t("con.billing_day"), { type: "number", min: 1, max: 28 })}
      {input("terms", t("con.terms"), { type: "number", min: 0, max: 120 })}
      {input("incident_hours", t("con.incident_hours"), { type: "number", min: 1, max: 1000 })}
      {input("timezone", t("con.timezone"), { required: true, maxLength: 64 })}
      <p role="status">{said}</p>
      {failed && <p role="alert">{failed}</p>}
      <button type="submit">{t("con.save")}</button>
    </form>
  );
}

function LicenceForm({ org, limit, issued }: { org: string; limit: number | null; issued: number }) {
  const [value, setValue] = useState(limit === null ? "" : String(limit));
  const [said, setSaid] = useState<string | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const save = async (e: Event) => {
    e.preventDefault();
    setSaid(null);
    setFailed(null);
    try {
      await api.put("/organisations/{org_id}/licences", { path: { org_id: org }, body: { limit: Number(value) } });
      setSaid(t("con.licences_saved"));
    } catch (error) {
      setFailed(problemText(error));
    }
  };
  return (
    <form onSubmit={save} aria-label={t("con.licences")}>
      <h2>{t("con.licences")}</h2>
      <p>{t("con.issued", { n: num(issued) })}</p>
      <div class="field">
        <label for="con-licences">{t("con.licence_limit")}</label>
        <input id="con-licences" type="number" min={0} required value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} />
      </div>
      <p role="status">{said}</p>
      {failed && <p role="alert">{failed}</p>}
      <button type="submit">{t("con.save_licences")}</button>
    </form>
  );
}
