// Cognito's hosted UI through oidc-client-ts: authorization code + PKCE, silent renew with the refresh token, sign-out.
// Loaded only when /config.json says auth.mode = "cognito" (a dynamic import: the local first page stays small).
//
// Where things live: the user (ID, access and refresh tokens) in an in-memory store, never in Web Storage; the PKCE
// state (code verifier, nonce) for the one round trip to the hosted UI in sessionStorage, removed when the callback
// completes; the authorization code arrives in the callback's query (the OAuth protocol) and is erased from the
// address bar at once (history.replaceState). Silent renew uses the refresh token (no iframe: the site is never
// framed, frame-ancestors 'none').
import { InMemoryWebStorage, UserManager, WebStorageStateStore, type User } from "oidc-client-ts";
import type { CognitoAuth } from "../config";
import { personFromClaims, setSession } from "./session";

export const CALLBACK_PATH = "/app/callback";

let manager: UserManager | null = null;

function managerFor(auth: CognitoAuth): UserManager {
  if (manager !== null) return manager;
  const origin = window.location.origin;
  manager = new UserManager({
    authority: auth.authority,
    client_id: auth.clientId,
    redirect_uri: origin + CALLBACK_PATH,
    post_logout_redirect_uri: origin + "/",
    response_type: "code",
    scope: auth.scope,
    automaticSilentRenew: true,
    userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
    stateStore: new WebStorageStateStore({ store: window.sessionStorage, prefix: "caseway.oidc." }),
  });
  manager.events.addUserLoaded((user) => adopt(auth, user));
  manager.events.addUserSignedOut(() => setSession(null));
  manager.events.addSilentRenewError(() => setSession(null));
  return manager;
}

function adopt(auth: CognitoAuth, user: User): void {
  const person = personFromClaims({ ...user.profile, ...decode(user.access_token) });
  if (person === null) {
    setSession(null);
    return;
  }
  setSession({
    accessToken: user.access_token,
    expiresAt: (user.expires_at ?? 0) * 1000,
    person: { ...person, name: String(user.profile.name ?? person.name) },
    signOut: () => signOut(auth),
  });
}

/** The access token's claims (the groups the pre-token trigger put in); the API verifies the signature. */
function decode(token: string): Record<string, unknown> {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part)) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export async function signIn(auth: CognitoAuth, next: string): Promise<void> {
  await managerFor(auth).signinRedirect({ url_state: next });
}

/** On /app/callback: exchange the code, erase it from the address bar; the path to go on to. */
export async function completeSignIn(auth: CognitoAuth): Promise<string> {
  const user = await managerFor(auth).signinRedirectCallback();
  window.history.replaceState(null, "", CALLBACK_PATH);
  adopt(auth, user);
  const next = user.url_state ?? "/app/";
  return next.startsWith("/app") ? next : "/app/";
}

export async function signOut(auth: CognitoAuth): Promise<void> {
  const users = managerFor(auth);
  try {
    await users.revokeTokens(["refresh_token"]);
  } catch {
    // no revocation endpoint in the metadata: the hosted UI's logout below still ends the session
  }
  await users.removeUser();
  setSession(null);
  // Cognito publishes no end_session_endpoint: its hosted UI's /logout ends the session and comes back.
  const query = new URLSearchParams({ client_id: auth.clientId, logout_uri: window.location.origin + "/" });
  window.location.assign(`${auth.domain}/logout?${query}`);
}
