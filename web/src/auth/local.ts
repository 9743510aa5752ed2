// The local stack's sign-in (infra/local/server.py): GET /local/users lists the demo users, GET /local/token gives
// one of them an access token signed by the local gateway. Only when /config.json says auth.mode = "local".
import { personFromClaims, setSession, type Session } from "./session";

export interface DemoUser {
  email: string;
  name: string;
  role: string;
  organisation_id: string | null;
  org_admin: boolean;
}

export async function demoUsers(): Promise<DemoUser[]> {
  const answer = await fetch("/local/users", { credentials: "omit" });
  if (!answer.ok) throw new Error(`GET /local/users answered ${answer.status}`);
  return ((await answer.json()) as { items: DemoUser[] }).items;
}

export async function signInLocal(email: string, name?: string): Promise<Session> {
  const query = new URLSearchParams({ user: email, use: "access" });
  const answer = await fetch(`/local/token?${query}`, { credentials: "omit" });
  const body = (await answer.json()) as { token?: string; claims?: Record<string, unknown>; detail?: string };
  if (!answer.ok || !body.token || !body.claims) throw new Error(body.detail ?? `sign-in failed (${answer.status})`);
  const person = personFromClaims(body.claims);
  if (person === null) throw new Error(`${email} has no role this app serves`);
  const exp = Number(body.claims.exp ?? 0) * 1000 || Date.now() + 3600_000;
  const next: Session = {
    accessToken: body.token,
    expiresAt: exp,
    person: { ...person, name: nameOf(body.claims, name ?? person.name) },
    signOut: async () => setSession(null),
  };
  setSession(next);
  return next;
}

function nameOf(claims: Record<string, unknown>, fallback: string): string {
  return typeof claims.name === "string" && claims.name ? claims.name : fallback;
}
