// What the customer portal's pages share: the shapes of the API's answers they read, the calls a ticket page makes
// either signed in or through a web-form ticket's follow link (the key travels in the page's fragment, never to a
// server in a Referer), uploads with progress and downloads.
import { ApiError, call, url } from "../../api/client";
import { session } from "../../auth/session";
import { t } from "../../i18n";

export interface IntakeField {
  key: string;
  label: string;
  type: "text" | "textarea" | "select" | "boolean" | "number";
  options?: string[];
  required: boolean;
}

export interface Service {
  key: string;
  title: string;
  description: string;
  route: string;
  intake_fields: IntakeField[];
}

export interface AttachmentRef {
  attachment_id: string;
  file_name: string;
  size: number;
  content_type: string;
}

export interface Attachment {
  id: string;
  file_name: string;
  size: number;
  content_type: string;
  created_at: string;
}

export interface Message {
  id: string;
  author: { sub: string; role: string; email: string | null };
  body: string;
  channel: string;
  attachments: AttachmentRef[];
  created_at: string;
}

export interface TicketSummary {
  id: string;
  reference: string;
  status: string;
  ball_side: string | null;
  service: string;
  subject: string;
  next_step_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface Ticket extends TicketSummary {
  /** The zone the desk's e-mails give this ticket's dates in (the organisation's, else the desk's). */
  timezone?: string | null;
  requester: { sub: string; email: string | null };
  description: string;
  fields: Record<string, unknown>;
  resolution: string | null;
  messages: Message[];
  attachments: Attachment[];
  articles: { id?: string; slug: string; title: string }[];
  satisfaction: { rating: number; comment: string | null } | null;
  result: {
    licence_key?: { key: string; product: string; seats: number | null; issued_at: string };
    document?: { name: string; attachments: Attachment[] };
  } | null;
  approval: {
    status: string;
    estimate_hours: number;
    estimate_note: string | null;
    decided_at: string | null;
    comment: string | null;
  } | null;
}

export const STATUSES = ["draft", "new", "in_progress", "waiting_for_customer", "resolved", "closed"] as const;

/** A word for a status in the reader's language (the API's own value when the app has no word for it). */
export function statusWord(status: string): string {
  const key = `status.${status}`;
  const word = t(key);
  return word === key ? status.replace(/_/g, " ") : word;
}

/** The service's title in the reader's language, else the catalog's own words. */
export function serviceTitle(service: Pick<Service, "key" | "title"> | string, fallback = ""): string {
  const key = typeof service === "string" ? service : service.key;
  const own = typeof service === "string" ? fallback || service : service.title;
  const word = t(`service.${key}.title`);
  return word === `service.${key}.title` ? own : word;
}

export function fileSize(bytes: number): string {
  if (bytes < 1024) return t("file.bytes", { n: bytes });
  if (bytes < 1024 * 1024) return t("file.kb", { n: Math.round(bytes / 102.4) / 10 });
  return t("file.mb", { n: Math.round(bytes / 104857.6) / 10 });
}

/** The follow key of a web-form ticket's link: in the page's fragment (#key=...). */
export function followKey(): string | null {
  const hash = new URLSearchParams(window.location.hash.replace(/^#/, ""));
  return hash.get("key");
}

/** A ticket's calls: signed in (/tickets/...) or through the follow link (/public/tickets/...?key=). */
export class TicketCalls {
  constructor(
    readonly id: string,
    readonly key: string | null,
  ) {}

  private path(tail: string): string {
    return (this.key ? "/public/tickets/" : "/tickets/") + "{ticket_id}" + tail;
  }

  private query(): Record<string, string> {
    return this.key ? { key: this.key } : {};
  }

  private send<T>(method: "get" | "post", tail: string, body?: unknown, idempotencyKey?: string): Promise<T> {
    // The path is one of the API's; its template is typed by the client when it is a literal.
    return call<T, typeof method, never>(method, this.path(tail) as never, {
      path: { ticket_id: this.id },
      query: this.query(),
      body,
      idempotencyKey,
    } as never);
  }

  load(): Promise<Ticket> {
    return this.send<Ticket>("get", "");
  }
  /** `idempotencyKey`: the same for a send again after an error (RetryKey), so a reply is stored once. */
  reply(body: string, attachments: string[], idempotencyKey: string): Promise<unknown> {
    return this.send("post", "/messages", { body, attachments }, idempotencyKey);
  }
  async close(reason?: string): Promise<Ticket> {
    const closed = await this.send<Ticket & { follow_url?: string }>("post", "/close", reason ? { reason } : {});
    const next = this.key && closed.follow_url ? new URL(closed.follow_url, window.location.origin).searchParams.get("key") : null;
    if (next) {
      // Closing rotates the follow link's key (the links sent before stop): the page goes on with the new one.
      const here = window.location.pathname + window.location.search;
      window.history.replaceState(null, "", `${here}#key=${encodeURIComponent(next)}`);
    }
    return closed;
  }
  rate(rating: number, comment: string): Promise<Ticket> {
    return this.send<Ticket>("post", "/feedback", { rating, comment: comment || null });
  }
  decide(decision: "approve" | "decline", comment: string): Promise<Ticket> {
    return this.send<Ticket>("post", "/approval", { decision, comment: comment || null });
  }
  reopen(): Promise<Ticket> {
    return this.send<Ticket>("post", "/reopen", {});
  }
  async download(attachmentId: string): Promise<void> {
    const link = await call<{ url: string; file_name: string }, "get", never>(
      "get",
      this.path("/attachments/{attachment_id}") as never,
      { path: { ticket_id: this.id, attachment_id: attachmentId }, query: this.query() } as never,
    );
    const anchor = document.createElement("a");
    anchor.href = link.url;
    anchor.download = link.file_name;
    anchor.rel = "noopener noreferrer";
    anchor.referrerPolicy = "no-referrer";
    document.body.appendChild(anchor);
    anchor.click();
    anchor.remove();
  }
}

interface Upload {
  id: string;
  upload: { url: string; fields: Record<string, string> };
}

/** Upload one file to a ticket: a presigned POST from the API (signed in, or through the follow link with its
 * key), then the file with progress (0..1). */
export async function uploadFile(
  ticketId: string,
  file: File,
  onProgress: (share: number) => void,
  followKey: string | null = null,
): Promise<string> {
  const body = { file_name: file.name, size: file.size, content_type: file.type || "application/octet-stream" };
  const slot = followKey
    ? await call<Upload, "post", "/public/tickets/{ticket_id}/attachments">("post", "/public/tickets/{ticket_id}/attachments", {
        path: { ticket_id: ticketId },
        query: { key: followKey },
        body,
      })
    : await call<Upload, "post", "/tickets/{ticket_id}/attachments">("post", "/tickets/{ticket_id}/attachments", {
        path: { ticket_id: ticketId },
        body,
      });
  const form = new FormData();
  for (const [name, value] of Object.entries(slot.upload.fields)) form.append(name, value);
  form.append("file", file);
  await new Promise<void>((done, fail) => {
    const request = new XMLHttpRequest();
    request.open("POST", slot.upload.url);
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onload = () =>
      request.status >= 200 && request.status < 300
        ? (onProgress(1), done())
        : fail(new ApiError(request.status, t("upload.failed"), request.responseText.slice(0, 200)));
    request.onerror = () => fail(new ApiError(0, t("upload.failed"), t("upload.network")));
    request.send(form);
  });
  return slot.id;
}

export function problemText(error: unknown): string {
  if (error instanceof ApiError) return error.detail || error.title;
  return error instanceof Error ? error.message : String(error);
}

export function signedIn(): boolean {
  return session() !== null;
}

export { url };
