// The signed-in person and their access token, held in memory only: never localStorage, sessionStorage, cookies
// or URLs. A reload signs the person in again (locally: the sign-in page; Cognito: the hosted UI's own session
// answers at once).

export type Role = "customer" | "agent" | "manager";
export const ROLES: readonly Role[] = ["manager", "agent", "customer"];

export interface Person {
  sub: string;
  email: string;
  name: string;
  role: Role;
  orgAdmin: boolean;
  organisationId: string | null;
}

export interface Session {
  accessToken: string;
  expiresAt: number; // epoch ms
  person: Person;
  signOut: () => Promise<void>;
}

let current: Session | null = null;
const listeners = new Set<() => void>();

export function session(): Session | null {
  if (current !== null && current.expiresAt <= Date.now()) current = null;
  return current;
}

export function setSession(next: Session | null): void {
  current = next;
  for (const listener of listeners) listener();
}

export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Cognito's groups claim: a JSON array in tokens, "[a b]" after API Gateway's JWT authorizer flattened it. */
function groupsOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === "string") return value.replace(/^\[|\]$/g, "").split(/[\s,]+/).filter(Boolean);
  return [];
}

/** The person a token's claims describe; null when they carry no role the app serves. */
export function personFromClaims(claims: Record<string, unknown>): Person | null {
  const groups = groupsOf(claims["cognito:groups"]);
  const role = ROLES.find((r) => groups.includes(r));
  if (!role) return null;
  const email = String(claims.email ?? claims.username ?? claims.sub ?? "");
  return {
    sub: String(claims.sub ?? ""),
    email,
    name: String(claims.name ?? email),
    role,
    orgAdmin: groups.includes("org_admin"),
    organisationId: typeof claims["custom:org_id"] === "string" ? (claims["custom:org_id"] as string) : null,
  };
}
