// The web form: a ticket without an account (R1). After sending, the ticket's page opens through its follow link
// (the key in the fragment), which the desk also e-mails. From an address the desk knows (or in a domain an
// organisation claims) the request waits for its owner to follow the link the desk e-mails (Confirm.tsx): the form
// then says so. After a few submissions an hour the desk asks for a proof of work, which the form solves (proof.ts).
import { useEffect, useState } from "preact/hooks";
import { ApiError, RetryKey, api } from "../../api/client";
import { t } from "../../i18n";
import { currentLanguage } from "../../i18n";
import { navigate } from "../../router";
import { describeFrom, describingField, FieldInput, type Answers } from "./NewTicket";
import { problemText, serviceTitle, type Service } from "./portal";
import { challengeOf, solve, type Proof } from "./proof";

interface Sent {
  id?: string;
  follow_url?: string;
  status?: string;
}

export default function WebForm() {
  const [services, setServices] = useState<Service[]>([]);
  const [serviceKey, setServiceKey] = useState("");
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [subject, setSubject] = useState("");
  const [description, setDescription] = useState("");
  const [answers, setAnswers] = useState<Answers>({});
  const [problems, setProblems] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [waiting, setWaiting] = useState<string | null>(null); // the address a held request waits for
  const [attempt] = useState(() => new RetryKey()); // a resubmission after an error retries the same request
  useEffect(() => {
    api
      .get<{ items: Service[] }, "/services">("/services")
      .then((answer) => {
        setServices(answer.items);
        setServiceKey(answer.items[0]?.key ?? "");
      })
      .catch((e: unknown) => setProblems([problemText(e)]));
  }, []);
  const service = services.find((s) => s.key === serviceKey);
  const describing = service ? describingField(service.intake_fields) : undefined;
  const asked = service?.intake_fields ?? [];

  const onSubmit = (event: Event) => {
    event.preventDefault();
    if (!service) return;
    setBusy(true);
    setProblems([]);
    const fields: Answers = Object.fromEntries(Object.entries(answers).filter(([k, v]) => v !== "" && asked.some((f) => f.key === k)));
    const text = describing ? String(fields[describing.key] ?? "") : description.trim() || describeFrom(subject, asked, fields);
    const send = (proof?: Proof) =>
      api.post<Sent, "/public/tickets">("/public/tickets", {
        body: {
          service: service.key,
          email,
          name: name || undefined,
          subject,
          description: text,
          fields,
          submit: true,
          language: currentLanguage(),
          proof,
        } as never,
        idempotencyKey: attempt.current(),
      });
    send()
      .catch(async (e: unknown) => {
        const challenge = challengeOf(e);
        if (!challenge) throw e;
        return send(await solve(challenge)); // many requests this hour: a small puzzle first
      })
      .then((sent) => {
        attempt.done();
        if (!sent.follow_url || !sent.id) {
          setWaiting(email);
          return;
        }
        const key = new URL(sent.follow_url, window.location.origin).searchParams.get("key") ?? "";
        navigate(`/app/tickets/${encodeURIComponent(sent.id)}#key=${encodeURIComponent(key)}`);
      })
      .catch((e: unknown) =>
        setProblems([problemText(e), ...(e instanceof ApiError ? e.errors.map((p) => `${p.field}: ${p.message}`) : [])]),
      )
      .finally(() => setBusy(false));
  };

  if (waiting)
    return (
      <section aria-labelledby="webform-title">
        <h1 id="webform-title">{t("webform.check_email_title")}</h1>
        <p role="status">{t("webform.check_email", { email: waiting })}</p>
      </section>
    );

  return (
    <section aria-labelledby="webform-title">
      <h1 id="webform-title">{t("webform.title")}</h1>
      <p>{t("webform.intro")}</p>
      <p>
        <a href="/app/sign-in">{t("webform.sign_in")}</a>
      </p>
      <form onSubmit={onSubmit}>
        <div class="field">
          <label for="webform-service">{t("webform.service")}</label>
          <select id="webform-service" value={serviceKey} onChange={(e) => setServiceKey((e.target as HTMLSelectElement).value)}>
            {services.map((s) => (
              <option key={s.key} value={s.key}>
                {serviceTitle(s)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="webform-email">
            {t("webform.email")}
            <span class="required"> {t("intake.required")}</span>
          </label>
          <input id="webform-email" type="email" autoComplete="email" required value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="webform-name">{t("webform.name")}</label>
          <input id="webform-name" autoComplete="name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="intake-subject">
            {t("intake.subject")}
            <span class="required"> {t("intake.required")}</span>
          </label>
          <input id="intake-subject" required minLength={3} maxLength={200} value={subject} onInput={(e) => setSubject((e.target as HTMLInputElement).value)} />
        </div>
        {!describing && (
          <div class="field">
            <label for="intake-description">{t("intake.description_optional")}</label>
            <textarea id="intake-description" rows={4} value={description} onInput={(e) => setDescription((e.target as HTMLTextAreaElement).value)} />
          </div>
        )}
        {asked
          .filter((f) => f.required)
          .map((f) => (
            <FieldInput key={f.key} field={f} value={answers[f.key]} onChange={(v) => setAnswers({ ...answers, [f.key]: v })} />
          ))}
        {asked.some((f) => !f.required) && (
          <details>
            <summary>{t("intake.more", { count: asked.filter((f) => !f.required).length })}</summary>
            {asked
              .filter((f) => !f.required)
              .map((f) => (
                <FieldInput key={f.key} field={f} value={answers[f.key]} onChange={(v) => setAnswers({ ...answers, [f.key]: v })} />
              ))}
          </details>
        )}
        {problems.length > 0 && (
          <div role="alert" class="problems">
            {problems.map((p) => (
              <p key={p}>{p}</p>
            ))}
          </div>
        )}
        <button type="submit" disabled={busy || !service}>
          {t("intake.send")}
        </button>
      </form>
    </section>
  );
}
