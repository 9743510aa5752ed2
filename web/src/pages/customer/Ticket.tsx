// One ticket as its customer sees it: status, whose move and the next step's date, the route's result (a licence
// key, a document), a change request's estimate to approve or decline, the conversation with its files, a reply
// with files, closing and rating. Opened signed in, or through a web-form ticket's follow link (the key in the
// fragment: #key=...); a ticket the reader may not see says "not found", exactly like a missing one.
import { useEffect, useState } from "preact/hooks";
import { ApiError, RetryKey } from "../../api/client";
import { formatDateTime } from "../../format/datetime";
import { t } from "../../i18n";
import { navigate } from "../../router";
import type { PageProps } from "../../routes";
import { fileProblem } from "./NewTicket";
import {
  TicketCalls,
  fileSize,
  followKey,
  problemText,
  serviceTitle,
  statusWord,
  uploadFile,
  type AttachmentRef,
  type Message,
  type Ticket as TicketView,
} from "./portal";
import { whoseMove } from "./Tickets";

type Loaded = TicketView | "missing" | null;

export default function Ticket({ params, person }: PageProps) {
  const key = followKey();
  const calls = new TicketCalls(params.reference, key);
  const [ticket, setTicket] = useState<Loaded>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [replyAttempt] = useState(() => new RetryKey()); // a send again after an error retries the same reply

  const reload = () =>
    calls
      .load()
      .then(setTicket)
      .catch((e: unknown) => (e instanceof ApiError && e.status === 404 ? setTicket("missing") : setError(problemText(e))));

  useEffect(() => {
    if (!key && !person) {
      // (only from this page's own address: the frame may render it once more while the next page loads)
      if (!window.location.pathname.startsWith("/app/tickets/")) return;
      const next = window.location.pathname + window.location.search;
      navigate(`/app/sign-in?${new URLSearchParams({ next })}`, { replace: true });
      return;
    }
    setTicket(null);
    void reload();
  }, [params.reference, key, person?.sub]);

  /** Runs what the person asked for; false when it failed (the error is shown, and what they wrote stays). */
  async function act(action: () => Promise<unknown>, done: string): Promise<boolean> {
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      const answer = await action();
      if (answer && typeof answer === "object" && "messages" in answer) setTicket(answer as TicketView);
      else await reload();
      setStatus(done);
      return true;
    } catch (e: unknown) {
      setError(problemText(e));
      return false;
    } finally {
      setBusy(false);
    }
  }

  if (ticket === null) return error ? <p role="alert">{error}</p> : <p class="loading">{t("app.loading")}</p>;
  if (ticket === "missing")
    return (
      <section aria-labelledby="ticket-title">
        <h1 id="ticket-title">{t("ticket.not_found")}</h1>
        <p>{t("ticket.not_found_text")}</p>
        {person && (
          <p>
            <a href="/app/tickets">{t("nav.tickets")}</a>
          </p>
        )}
      </section>
    );

  const open = ticket.status !== "closed" && ticket.status !== "draft";
  const mine = (sub: string) => (person ? sub === person.sub : sub === ticket.requester.sub);
  const author = (m: Message) =>
    m.author.role === "system"
      ? t("ticket.author_system")
      : m.author.role === "customer"
        ? mine(m.author.sub)
          ? t("ticket.author_you")
          : (m.author.email ?? t("ticket.author_colleague"))
        : t("ticket.author_support");
  const download = (file: AttachmentRef | { id: string; file_name: string; size: number }) => {
    const id = "attachment_id" in file ? file.attachment_id : file.id;
    return (
      <button type="button" class="link" onClick={() => void act(() => calls.download(id), t("ticket.downloaded", { name: file.file_name }))}>
        {t("ticket.download", { name: file.file_name, size: fileSize(file.size) })}
      </button>
    );
  };
  const inMessages = new Set(ticket.messages.flatMap((m) => m.attachments.map((a) => a.attachment_id)));
  const ownFiles = ticket.attachments.filter((a) => !inMessages.has(a.id));

  return (
    <article aria-labelledby="ticket-title">
      <h1 id="ticket-title">
        {ticket.reference}: {ticket.subject}
      </h1>
      <dl class="facts">
        <dt>{t("ticket.status")}</dt>
        <dd>{statusWord(ticket.status)}</dd>
        <dt>{t("ticket.move")}</dt>
        <dd>{whoseMove(ticket.ball_side)}</dd>
        <dt>{t("ticket.next_step")}</dt>
        <dd>{ticket.next_step_at ? formatDateTime(ticket.next_step_at, { zone: ticket.timezone ?? undefined }) : t("ticket.next_step_none")}</dd>
        <dt>{t("ticket.service")}</dt>
        <dd>{serviceTitle(ticket.service)}</dd>
        <dt>{t("ticket.opened")}</dt>
        <dd>{formatDateTime(ticket.created_at, { zone: ticket.timezone ?? undefined })}</dd>
      </dl>
      <p>
        <button type="button" class="secondary" disabled={busy} onClick={() => void act(() => calls.load(), t("ticket.refreshed"))}>
          {t("ticket.refresh")}
        </button>
      </p>
      <p role="status" class="status">
        {status}
      </p>
      {error && <p role="alert">{error}</p>}

      {ticket.result?.licence_key && (
        <section aria-labelledby="licence-title" class="result">
          <h2 id="licence-title">{t("ticket.licence_title")}</h2>
          <p>{t("ticket.licence_for", { product: ticket.result.licence_key.product, seats: ticket.result.licence_key.seats ?? 1 })}</p>
          <p>
            <code aria-label={t("ticket.licence_key")}>{ticket.result.licence_key.key}</code>
          </p>
        </section>
      )}
      {ticket.result?.document && (
        <section aria-labelledby="document-title" class="result">
          <h2 id="document-title">{t("ticket.document_title", { name: ticket.result.document.name })}</h2>
          <ul>
            {ticket.result.document.attachments.map((a) => (
              <li key={a.id}>{download(a)}</li>
            ))}
          </ul>
        </section>
      )}
      {ticket.approval && <Approval ticket={ticket} busy={busy} onDecide={(d, c) => act(() => calls.decide(d, c), t(`approval.done_${d}`))} />}

      {ticket.resolution && (
        <section aria-labelledby="resolution-title">
          <h2 id="resolution-title">{t("ticket.resolution")}</h2>
          <p class="text">{ticket.resolution}</p>
          {ticket.articles.length > 0 && (
            <ul>
              {ticket.articles.map((a) => (
                <li key={a.slug}>
                  <a href={`/app/kb/${encodeURIComponent(a.slug)}`}>{a.title}</a>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}

      <section aria-labelledby="conversation-title">
        <h2 id="conversation-title">{t("ticket.conversation")}</h2>
        <div class="message">
          <p class="meta">
            {t("ticket.description")} · {formatDateTime(ticket.created_at, { zone: ticket.timezone ?? undefined })}
          </p>
          <p class="text">{ticket.description}</p>
          {ownFiles.length > 0 && (
            <ul class="files">
              {ownFiles.map((a) => (
                <li key={a.id}>{download(a)}</li>
              ))}
            </ul>
          )}
        </div>
        <ol class="conversation">
          {ticket.messages.map((m) => (
            <li key={m.id} class={`message from-${m.author.role === "customer" ? "customer" : m.author.role === "system" ? "system" : "staff"}`}>
              <p class="meta">
                <strong>{author(m)}</strong> · {formatDateTime(m.created_at, { zone: ticket.timezone ?? undefined })}
              </p>
              <p class="text">{m.body}</p>
              {m.attachments.length > 0 && (
                <ul class="files" aria-label={t("ticket.files")}>
                  {m.attachments.map((a) => (
                    <li key={a.attachment_id}>{download(a)}</li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ol>
      </section>

      {open && (
        <Reply
          ticketId={ticket.id}
          followKey={key}
          busy={busy}
          onSend={(body, files) =>
            act(async () => {
              const answer = await calls.reply(body, files, replyAttempt.current(JSON.stringify([body, files])));
              replyAttempt.done();
              return answer;
            }, t("reply.sent"))
          }
        />
      )}
      {open && (
        <section aria-labelledby="close-title">
          <h2 id="close-title">{t("close.title")}</h2>
          <p>{t("close.text")}</p>
          <button type="button" disabled={busy} onClick={() => void act(() => calls.close(), t("close.done"))}>
            {t("close.button")}
          </button>
          {ticket.status === "resolved" && !key && (
            <button type="button" class="secondary" disabled={busy} onClick={() => void act(() => calls.reopen(), t("reopen.done"))}>
              {t("reopen.button")}
            </button>
          )}
        </section>
      )}
      {ticket.status === "closed" &&
        (ticket.satisfaction ? (
          <p>{t("rate.given", { rating: ticket.satisfaction.rating })}</p>
        ) : (
          mine(ticket.requester.sub) && <Rate busy={busy} onRate={(r, c) => act(() => calls.rate(r, c), t("rate.thanks"))} />
        ))}
    </article>
  );
}

function Approval({
  ticket,
  busy,
  onDecide,
}: {
  ticket: TicketView;
  busy: boolean;
  onDecide: (decision: "approve" | "decline", comment: string) => Promise<boolean>;
}) {
  const [comment, setComment] = useState("");
  const approval = ticket.approval!;
  return (
    <section aria-labelledby="approval-title" class="result">
      <h2 id="approval-title">{t("approval.title")}</h2>
      <p>{t("approval.estimate", { hours: approval.estimate_hours })}</p>
      {approval.estimate_note && <p class="text">{approval.estimate_note}</p>}
      {approval.status === "pending" ? (
        <>
          <div class="field">
            <label for="approval-comment">{t("approval.comment")}</label>
            <textarea id="approval-comment" rows={2} value={comment} onInput={(e) => setComment((e.target as HTMLTextAreaElement).value)} />
          </div>
          <div class="actions">
            <button type="button" disabled={busy} onClick={() => void onDecide("approve", comment)}>
              {t("approval.approve")}
            </button>
            <button type="button" class="secondary" disabled={busy} onClick={() => void onDecide("decline", comment)}>
              {t("approval.decline")}
            </button>
          </div>
        </>
      ) : (
        <p>{t(`approval.status_${approval.status}`)}</p>
      )}
    </section>
  );
}

function Reply({
  ticketId,
  followKey,
  busy,
  onSend,
}: {
  ticketId: string;
  followKey: string | null; // a web-form requester attaches through the follow link
  busy: boolean;
  onSend: (body: string, files: string[]) => Promise<boolean>;
}) {
  const [body, setBody] = useState("");
  const [files, setFiles] = useState<{ id: string; name: string }[]>([]);
  const [progress, setProgress] = useState<{ name: string; share: number } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const onFiles = async (event: Event) => {
    const input = event.target as HTMLInputElement;
    const chosen = Array.from(input.files ?? []);
    input.value = "";
    setProblem(null);
    const refused = chosen.map(fileProblem).filter((p): p is string => p !== null);
    if (refused.length) {
      setProblem(refused.join(" "));
      return;
    }
    try {
      for (const file of chosen) {
        setProgress({ name: file.name, share: 0 });
        const id = await uploadFile(ticketId, file, (share) => setProgress({ name: file.name, share }), followKey);
        setFiles((now) => [...now, { id, name: file.name }]);
      }
    } catch (e: unknown) {
      setProblem(problemText(e));
    } finally {
      setProgress(null);
    }
  };

  return (
    <section aria-labelledby="reply-title">
      <h2 id="reply-title">{t("reply.title")}</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void onSend(body, files.map((f) => f.id)).then((sent) => {
            if (!sent) return; // what they wrote stays, to send again
            setBody("");
            setFiles([]);
          });
        }}
      >
        <div class="field">
          <label for="reply-body">{t("reply.label")}</label>
          <textarea id="reply-body" rows={4} required value={body} onInput={(e) => setBody((e.target as HTMLTextAreaElement).value)} />
        </div>
        <div class="field">
          <label for="reply-files">{t("intake.attach")}</label>
          <input id="reply-files" type="file" multiple onChange={(e) => void onFiles(e)} disabled={busy || progress !== null} />
          {progress && (
            <label>
              {t("upload.sending", { name: progress.name })}{" "}
              <progress max={1} value={progress.share}>
                {Math.round(progress.share * 100)} %
              </progress>
            </label>
          )}
          {files.length > 0 && (
            <ul class="files">
              {files.map((f) => (
                <li key={f.id}>{f.name}</li>
              ))}
            </ul>
          )}
        </div>
        {problem && <p role="alert">{problem}</p>}
        <button type="submit" disabled={busy || progress !== null}>
          {t("reply.send")}
        </button>
      </form>
    </section>
  );
}

function Rate({ busy, onRate }: { busy: boolean; onRate: (rating: number, comment: string) => Promise<boolean> }) {
  const [rating, setRating] = useState(0);
  const [comment, setComment] = useState("");
  return (
    <section aria-labelledby="rate-title">
      <h2 id="rate-title">{t("rate.title")}</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (rating) void onRate(rating, comment);
        }}
      >
        <fieldset>
          <legend>{t("rate.question")}</legend>
          {[1, 2, 3, 4, 5].map((n) => (
            <label key={n} class="choice">
              <input type="radio" name="rating" value={n} required checked={rating === n} onChange={() => setRating(n)} />
              {t(`rate.${n}`)}
            </label>
          ))}
        </fieldset>
        <div class="field">
          <label for="rate-comment">{t("rate.comment")}</label>
          <textarea id="rate-comment" rows={3} value={comment} onInput={(e) => setComment((e.target as HTMLTextAreaElement).value)} />
        </div>
        <button type="submit" disabled={busy || rating === 0}>
          {t("rate.send")}
        </button>
      </form>
    </section>
  );
}
