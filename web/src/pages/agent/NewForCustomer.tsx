// Register a ticket on behalf of a customer who phoned (or walked in, or wrote to someone's own mailbox): the
// organisation, the requester (a known person's e-mail, or a new contact with a name), the service with its intake
// questions, and how they reached us. The customer is told like for any other ticket; the ticket opens here.
import { useEffect, useState } from "preact/hooks";
import { RetryKey, api } from "../../api/client";
import { t } from "../../i18n";
import { navigate } from "../../router";
import { fieldLabel } from "../customer/NewTicket";
import { problemText, serviceTitle, type IntakeField, type Service } from "../customer/portal";
import { deskTicketPath, type Page } from "./desk";

const CHANNELS = ["phone", "walk_in", "email"] as const;

interface Organisation {
  id: string;
  name: string;
}

export default function NewForCustomer() {
  const [organisations, setOrganisations] = useState<Organisation[]>([]);
  const [services, setServices] = useState<Service[]>([]);
  const [organisation, setOrganisation] = useState("");
  const [requester, setRequester] = useState("");
  const [name, setName] = useState("");
  const [channel, setChannel] = useState<string>("phone");
  const [serviceKey, setServiceKey] = useState("");
  const [subject, setSubject] = useState("");
  const [description, setDescription] = useState("");
  const [fields, setFields] = useState<Record<string, unknown>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [attempt] = useState(() => new RetryKey()); // a resubmission after an error retries the same request

  useEffect(() => {
    api
      .get<Page<Organisation>, "/organisations">("/organisations", { query: { limit: 100 } })
      .then((page) => setOrganisations(page.items))
      .catch((e: unknown) => setError(problemText(e)));
    api
      .get<{ items: Service[] }, "/services">("/services")
      .then((answer) => setServices(answer.items))
      .catch((e: unknown) => setError(problemText(e)));
  }, []);
  const service = services.find((s) => s.key === serviceKey);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await api.post<{ reference: string }, "/tickets">("/tickets", {
        body: {
          service: serviceKey,
          subject,
          description,
          fields,
          submit: true,
          channel: channel as (typeof CHANNELS)[number],
          on_behalf: { organisation_id: organisation, requester, name: name || null },
        },
        idempotencyKey: attempt.current(),
      });
      attempt.done();
      navigate(deskTicketPath(created.reference));
    } catch (e: unknown) {
      setError(problemText(e));
    } finally {
      setBusy(false);
    }
  };

  const input = (id: string, label: string, value: string, set: (v: string) => void, required = true, type = "text") => (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} type={type} required={required} value={value} onInput={(e) => set((e.target as HTMLInputElement).value)} />
    </div>
  );
  return (
    <section aria-labelledby="register-title">
      <h1 id="register-title">{t("register.title")}</h1>
      <p>{t("register.intro")}</p>
      <form onSubmit={(e) => void submit(e)}>
        <div class="field">
          <label for="register-org">{t("desk.organisation")}</label>
          <select id="register-org" required value={organisation} onChange={(e) => setOrganisation((e.target as HTMLSelectElement).value)}>
            <option value="">{t("register.choose")}</option>
            {organisations.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </select>
        </div>
        {input("register-requester", t("register.requester"), requester, setRequester, true, "email")}
        {input("register-name", t("register.name"), name, setName, false)}
        <div class="field">
          <label for="register-channel">{t("register.channel")}</label>
          <select id="register-channel" value={channel} onChange={(e) => setChannel((e.target as HTMLSelectElement).value)}>
            {CHANNELS.map((c) => (
              <option key={c} value={c}>
                {t(`channel.${c}`)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="register-service">{t("desk.service")}</label>
          <select
            id="register-service"
            required
            value={serviceKey}
            onChange={(e) => (setServiceKey((e.target as HTMLSelectElement).value), setFields({}))}
          >
            <option value="">{t("register.choose")}</option>
            {services.map((s) => (
              <option key={s.key} value={s.key}>
                {serviceTitle(s)}
              </option>
            ))}
          </select>
        </div>
        {input("register-subject", t("register.subject"), subject, setSubject)}
        <div class="field">
          <label for="register-description">{t("register.description")}</label>
          <textarea id="register-description" rows={4} required value={description} onInput={(e) => setDescription((e.target as HTMLTextAreaElement).value)} />
        </div>
        {service?.intake_fields.map((field) => (
          <Answer key={field.key} field={field} value={fields[field.key]} onChange={(v) => setFields({ ...fields, [field.key]: v })} />
        ))}
        {error && <p role="alert">{error}</p>}
        <button type="submit" disabled={busy}>
          {t("register.send")}
        </button>
      </form>
    </section>
  );
}

function Answer({ field, value, onChange }: { field: IntakeField; value: unknown; onChange: (value: unknown) => void }) {
  const id = `register-field-${field.key}`;
  const label = field.required ? fieldLabel(field) : t("register.optional", { label: fieldLabel(field) });
  if (field.type === "boolean")
    return (
      <div class="field check">
        <input id={id} type="checkbox" checked={value === true} onChange={(e) => onChange((e.target as HTMLInputElement).checked)} />
        <label for={id}>{label}</label>
      </div>
    );
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {field.type === "select" ? (
        <select id={id} required={field.required} value={String(value ?? "")} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
          <option value="">{t("register.choose")}</option>
          {(field.options ?? []).map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      ) : field.type === "textarea" ? (
        <textarea id={id} rows={3} required={field.required} value={String(value ?? "")} onInput={(e) => onChange((e.target as HTMLTextAreaElement).value)} />
      ) : (
        <input
          id={id}
          type={field.type === "number" ? "number" : "text"}
          required={field.required}
          value={String(value ?? "")}
          onInput={(e) => {
            const text = (e.target as HTMLInputElement).value;
            onChange(field.type === "number" && text !== "" ? Number(text) : text);
          }}
        />
      )}
    </div>
  );
}
