// The API, typed from its own OpenAPI document (schema.d.ts: `make web-types` regenerates it from the routes of
// functions.api.app; tests/web/test_api_types.py fails when it is stale). Paths, path and query parameters and
// request bodies are checked by the compiler; answers are typed by the caller (the document declares no
// response schemas yet). Every refusal is an ApiError carrying the API's problem+json.
import { config } from "../config";
import { session } from "../auth/session";
import type { paths } from "./schema";

type Method = "get" | "post" | "put" | "patch" | "delete";
type Operation<P extends keyof paths, M extends Method> = paths[P] extends { [K in M]: infer O } ? O : never;
export type PathsFor<M extends Method> = {
  [P in keyof paths]: paths[P] extends { [K in M]: object } ? P : never;
}[keyof paths];

type ParamsOf<O> = O extends { parameters: infer A } ? A : never;
type PathParams<O> = ParamsOf<O> extends { path: infer A } ? (A extends object ? A : never) : never;
type QueryParams<O> = ParamsOf<O> extends { query?: infer Q } ? NonNullable<Q> : never;
type BodyOf<O> = O extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;

export interface RequestOptions<O> {
  path?: PathParams<O>;
  query?: QueryParams<O>;
  body?: BodyOf<O>;
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export interface ProblemField {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: ProblemField[] = [],
    readonly problem: Record<string, unknown> = {}, // the whole problem+json, with its extension members
  ) {
    super(detail || title);
  }
}

export function url(template: string, path: Record<string, unknown> = {}, query: Record<string, unknown> = {}): string {
  const filled = template.replace(/\{(\w+)\}/g, (_all, name: string) => encodeURIComponent(String(path[name])));
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return config().apiBaseUrl + filled + (text ? `?${text}` : "");
}

export async function call<T, M extends Method, P extends PathsFor<M>>(
  method: M,
  path: P,
  options: RequestOptions<Operation<P, M>> = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  const current = session();
  if (current) headers.authorization = `Bearer ${current.accessToken}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  if (options.idempotencyKey) headers["idempotency-key"] = options.idempotencyKey;
  const answer = await fetch(
    url(
      path as string,
      options.path as unknown as Record<string, unknown>,
      options.query as unknown as Record<string, unknown>,
    ),
    {
      method: method.toUpperCase(),
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: "omit",
      referrerPolicy: "no-referrer",
      signal: options.signal,
    },
  );
  const text = await answer.text();
  const body = text ? (JSON.parse(text) as unknown) : null;
  if (!answer.ok) {
    const problem = (body ?? {}) as { title?: string; detail?: string; errors?: ProblemField[] };
    throw new ApiError(
      answer.status,
      problem.title ?? answer.statusText,
      problem.detail ?? "",
      problem.errors ?? [],
      problem as Record<string, unknown>,
    );
  }
  return body as T;
}

/**
 * The Idempotency-Key of one thing a person sends (a new ticket, a reply): created when they first submit, the
 * same for every retry after an error, a new one once it went through. A retry after an error that came after the
 * API committed (a 503, a lost connection) then answers the first ticket or message again instead of storing a
 * second one.
 */
export class RetryKey {
  private key: string | null = null;
  private content: string | undefined = undefined;

  /** The key of the attempt under way: the same until `done()`, or until what is sent (`content`) changes: an
   * edited reply is a new request, not a retry. */
  current(content?: string): string {
    if (content !== this.content) {
      this.key = null;
      this.content = content;
    }
    this.key ??= crypto.randomUUID();
    return this.key;
  }

  /** The request went through: the next submission is a new request, with a new key. */
  done(): void {
    this.key = null;
    this.content = undefined;
  }
}

export const api = {
  get: <T, P extends PathsFor<"get">>(path: P, options?: RequestOptions<Operation<P, "get">>) =>
    call<T, "get", P>("get", path, options),
  post: <T, P extends PathsFor<"post">>(path: P, options?: RequestOptions<Operation<P, "post">>) =>
    call<T, "post", P>("post", path, options),
  put: <T, P extends PathsFor<"put">>(path: P, options?: RequestOptions<Operation<P, "put">>) =>
    call<T, "put", P>("put", path, options),
  patch: <T, P extends PathsFor<"patch">>(path: P, options?: RequestOptions<Operation<P, "patch">>) =>
    call<T, "patch", P>("patch", path, options),
};
