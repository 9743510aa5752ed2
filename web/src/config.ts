// What the host tells the app (GET /config.json): the local server generates it (infra/local/site.py), the CDK
// app deploys it next to the built files (infra/cdk/site.py). Nothing stage-specific is built into the bundle.

export interface LocalAuth {
  mode: "local"; // the local stack: a sign-in page listing the demo users (GET /local/users, /local/token)
}

export interface CognitoAuth {
  mode: "cognito";
  authority: string; // https://cognito-idp.<region>.amazonaws.com/<user pool id> (OIDC discovery)
  domain: string; // https://<prefix>.auth.<region>.amazoncognito.com (hosted UI; sign-out)
  clientId: string; // the portal app client (no secret: authorization code + PKCE)
  scope: string;
}

export interface AppConfig {
  stage: string;
  apiBaseUrl: string; // "" when the API is on the same origin (the local server)
  auth: LocalAuth | CognitoAuth;
}

let loaded: AppConfig | null = null;

export async function loadConfig(): Promise<AppConfig> {
  const answer = await fetch("/config.json", { cache: "no-store", credentials: "omit" });
  if (!answer.ok) throw new Error(`GET /config.json answered ${answer.status}`);
  loaded = (await answer.json()) as AppConfig;
  return loaded;
}

export function config(): AppConfig {
  if (loaded === null) throw new Error("config() before loadConfig()");
  return loaded;
}

/** For tests and the sign-in page: the configuration without fetching it. */
export function setConfig(value: AppConfig): void {
  loaded = value;
}
