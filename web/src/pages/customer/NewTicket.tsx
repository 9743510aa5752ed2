// The intake form of one service, from the catalog's fields: each thing asked once (the field that describes the
// problem is the ticket's description; the signed-in person is not asked who they are), the optional questions
// folded away, drafts saved and resumed (R2), files attached with progress within the API's limits.
import { useEffect, useState } from "preact/hooks";
import { ApiError, RetryKey, api } from "../../api/client";
import { t } from "../../i18n";
import { navigate } from "../../router";
import type { PageProps } from "../../routes";
import { serviceText } from "./Catalog";
import {
  fileSize,
  problemText,
  serviceTitle,
  uploadFile,
  type Attachment,
  type IntakeField,
  type Service,
  type Ticket,
} from "./portal";

export type Answers = Record<string, string | number | boolean>;

// The API's limits (shared/tickets/conversation.py), told before a file is sent.
export const MAX_FILE_BYTES = 10 * 1024 * 1024;
export const ACCEPTED_TYPES = [
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
  "application/pdf",
  "text/plain",
  "text/csv",
  "application/zip",
  "application/json",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
];
const KNOWN_FROM_SIGN_IN = new Set(["reporter_name"]); // a signed-in person is not asked who they are

export function fieldLabel(field: Pick<IntakeField, "key" | "label">): string {
  const word = t(`field.${field.key}`);
  return word === `field.${field.key}` ? field.label : word;
}

/** The field whose answer is the ticket's description (the first required long answer), if the form has one. */
export function describingField(fields: IntakeField[]): IntakeField | undefined {
  return fields.find((f) => f.required && f.type === "textarea");
}

/** A description made of the answers, when the form has no long answer and the customer added nothing else. */
export function describeFrom(subject: string, fields: IntakeField[], answers: Answers): string {
  const lines = fields
    .filter((f) => answers[f.key] !== undefined && answers[f.key] !== "")
    .map((f) => `${fieldLabel(f)}: ${String(answers[f.key])}`);
  return [subject, ...lines].join("\n");
}

export function fileProblem(file: File): string | null {
  if (file.size > MAX_FILE_BYTES) return t("upload.too_big", { name: file.name, max: fileSize(MAX_FILE_BYTES) });
  if (!ACCEPTED_TYPES.includes(file.type)) return t("upload.wrong_type", { name: file.name });
  return null;
}

export function FieldInput({
  field,
  value,
  onChange: set,
}: {
  field: IntakeField;
  value: string | number | boolean | undefined;
  onChange: (next: string | number | boolean) => void;
}) {
    const id = `field-${field.key}`;
    const label = fieldLabel(field);
    if (field.type === "boolean")
      return (
        <div class="field check" key={field.key}>
          <input id={id} type="checkbox" checked={value === true} onChange={(e) => set((e.target as HTMLInputElement).checked)} />
          <label for={id}>{label}</label>
        </div>
      );
    return (
      <div class="field" key={field.key}>
        <label for={id}>
          {label}
          {field.required && <span class="required"> {t("intake.required")}</span>}
        </label>
        {field.type === "textarea" ? (
          <textarea id={id} rows={5} required={field.required} value={String(value ?? "")} onInput={(e) => set((e.target as HTMLTextAreaElement).value)} />
        ) : field.type === "select" ? (
          <select id={id} required={field.required} value={String(value ?? "")} onChange={(e) => set((e.target as HTMLSelectElement).value)}>
            <option value="">{t("intake.choose")}</option>
            {(field.options ?? []).map((o) => (
              <option key={o} value={o}>
                {t(`option.${o}`) === `option.${o}` ? o : t(`option.${o}`)}
              </option>
            ))}
          </select>
        ) : (
          <input
            id={id}
            type={field.type === "number" ? "number" : "text"}
            min={field.type === "number" ? 1 : undefined}
            required={field.required}
            value={String(value ?? "")}
            onInput={(e) => {
              const raw = (e.target as HTMLInputElement).value;
              set(field.type === "number" && raw !== "" ? Number(raw) : raw);
            }}
          />
        )}
      </div>
    );
  }

interface Sending {
  name: string;
  share: number;
  error?: string;
}


export default function NewTicket({ params, query, person }: PageProps) {
  const [service, setService] = useState<Service | null | undefined>(undefined);
  const [draftId, setDraftId] = useState<string | null>(query.get("draft"));
  const [subject, setSubject] = useState("");
  const [description, setDescription] = useState("");
  const [answers, setAnswers] = useState<Answers>({});
  const [files, setFiles] = useState<Attachment[]>([]);
  const [sending, setSending] = useState<Sending[]>([]);
  const [status, setStatus] = useState<string | null>(null);
  const [problems, setProblems] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  // A save or a send repeated after an error retries the same request (one draft, one ticket), not a new one
  const [draftAttempt] = useState(() => new RetryKey());
  const [sendAttempt] = useState(() => new RetryKey());

  useEffect(() => {
    api
      .get<{ items: Service[] }, "/services">("/services")
      .then((answer) => setService(answer.items.find((s) => s.key === params.service) ?? null))
      .catch((e: unknown) => setProblems([problemText(e)]));
    const draft = query.get("draft");
    if (draft) {
      api
        .get<Ticket, "/tickets/{ticket_id}">("/tickets/{ticket_id}", { path: { ticket_id: draft } })
        .then((ticket) => {
          setSubject(ticket.subject);
          setDescription(ticket.description);
          setAnswers(ticket.fields as Answers);
          setFiles(ticket.attachments);
          setStatus(t("intake.draft_resumed", { reference: ticket.reference }));
        })
        .catch((e: unknown) => setProblems([problemText(e)]));
    }
  }, [params.service]);

  if (service === undefined) return <p class="loading">{t("app.loading")}</p>;
  if (service === null)
    return (
      <section aria-labelledby="intake-title">
        <h1 id="intake-title">{t("intake.no_service")}</h1>
        <p>
          <a href="/app/services">{t("catalog.title")}</a>
        </p>
      </section>
    );

  const describing = describingField(service.intake_fields);
  const asked = service.intake_fields.filter((f) => !KNOWN_FROM_SIGN_IN.has(f.key));
  const required = asked.filter((f) => f.required);
  const optional = asked.filter((f) => !f.required);

  const body = (submit: boolean) => {
    const fields: Answers = { ...answers };
    for (const f of service.intake_fields) {
      if (KNOWN_FROM_SIGN_IN.has(f.key) && person) fields[f.key] = person.name;
      if (fields[f.key] === "" || fields[f.key] === undefined) delete fields[f.key];
    }
    // A draft keeps the customer's own words; the ticket sent has a description made of the answers when they wrote none
    const own = description.trim();
    const text = describing ? String(fields[describing.key] ?? "") : submit ? own || describeFrom(subject, asked, fields) : own;
    return { service: service.key, subject, description: text, fields, submit };
  };

  async function saveDraft(final = false): Promise<string> {
    const { service: key, submit: _submit, ...rest } = body(final);
    if (draftId) {
      await api.patch<Ticket, "/tickets/{ticket_id}">("/tickets/{ticket_id}", { path: { ticket_id: draftId }, body: rest });
      return draftId;
    }
    const created = await api.post<Ticket, "/tickets">("/tickets", {
      body: { ...rest, service: key, submit: false, channel: null, on_behalf: null },
      idempotencyKey: draftAttempt.current(),
    });
    draftAttempt.done();
    setDraftId(created.id);
    navigate(`/app/services/${encodeURIComponent(key)}/new?draft=${encodeURIComponent(created.id)}`, { replace: true });
    return created.id;
  }

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setProblems([]);
    try {
      await action();
    } catch (e: unknown) {
      const listed = e instanceof ApiError && e.errors.length ? e.errors.map((p) => `${p.field}: ${p.message}`) : [];
      setProblems([problemText(e), ...listed]);
    } finally {
      setBusy(false);
    }
  }

  const onSave = () =>
    run(async () => {
      if (subject.trim().length < 3) throw new Error(t("intake.subject_needed"));
      await saveDraft();
      setStatus(t("intake.draft_saved"));
    });

  const onSubmit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      let ticket: Ticket;
      if (draftId) {
        await saveDraft(true);
        ticket = await api.post<Ticket, "/tickets/{ticket_id}/submit">("/tickets/{ticket_id}/submit", {
          path: { ticket_id: draftId },
        });
      } else {
        ticket = await api.post<Ticket, "/tickets">("/tickets", {
          body: { ...body(true), channel: null, on_behalf: null },
          idempotencyKey: sendAttempt.current(),
        });
        sendAttempt.done();
      }
      navigate(`/app/tickets/${encodeURIComponent(ticket.reference)}`);
    });
  };

  const onFiles = (event: Event) => {
    const input = event.target as HTMLInputElement;
    const chosen = Array.from(input.files ?? []);
    input.value = "";
    void run(async () => {
      const refused = chosen.map(fileProblem).filter((p): p is string => p !== null);
      if (refused.length) throw new Error(refused.join(" "));
      if (subject.trim().length < 3) throw new Error(t("intake.subject_before_files"));
      const id = await saveDraft();
      for (const file of chosen) {
        const entry: Sending = { name: file.name, share: 0 };
        setSending((now) => [...now, entry]);
        const attachmentId = await uploadFile(id, file, (share) =>
          setSending((now) => now.map((s) => (s === entry ? Object.assign(entry, { share }) : s)).slice()),
        );
        setFiles((now) => [
          ...now,
          { id: attachmentId, file_name: file.name, size: file.size, content_type: file.type, created_at: "" },
        ]);
        setSending((now) => now.filter((s) => s !== entry));
      }
      setStatus(t("intake.draft_saved"));
    });
  };

  const input = (field: IntakeField) => (
    <FieldInput key={field.key} field={field} value={answers[field.key]} onChange={(next) => setAnswers({ ...answers, [field.key]: next })} />
  );

  return (
    <section aria-labelledby="intake-title">
      <h1 id="intake-title">{serviceTitle(service)}</h1>
      <p>{serviceText(service)}</p>
      <form onSubmit={onSubmit} aria-describedby="intake-status">
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
        {required.map(input)}
        {optional.length > 0 && (
          <details>
            <summary>{t("intake.more", { count: optional.length })}</summary>
            {optional.map(input)}
          </details>
        )}
        <fieldset>
          <legend>{t("intake.files")}</legend>
          <p class="hint">{t("upload.limits", { max: fileSize(MAX_FILE_BYTES) })}</p>
          <label for="intake-files">{t("intake.attach")}</label>{" "}
          <input id="intake-files" type="file" multiple accept={ACCEPTED_TYPES.join(",")} onChange={onFiles} disabled={busy} />
          {(files.length > 0 || sending.length > 0) && (
            <ul class="files">
              {files.map((f) => (
                <li key={f.id}>
                  {f.file_name} ({fileSize(f.size)})
                </li>
              ))}
              {sending.map((s) => (
                <li key={s.name}>
                  <label>
                    {t("upload.sending", { name: s.name })}{" "}
                    <progress max={1} value={s.share}>
                      {Math.round(s.share * 100)} %
                    </progress>
                  </label>
                </li>
              ))}
            </ul>
          )}
        </fieldset>
        {problems.length > 0 && (
          <div role="alert" class="problems">
            {problems.map((p) => (
              <p key={p}>{p}</p>
            ))}
          </div>
        )}
        <p id="intake-status" role="status">
          {status}
        </p>
        <div class="actions">
          <button type="submit" disabled={busy}>
            {t("intake.send")}
          </button>
          <button type="button" class="secondary" disabled={busy} onClick={() => void onSave()}>
            {t("intake.save_draft")}
          </button>
        </div>
      </form>
    </section>
  );
}
