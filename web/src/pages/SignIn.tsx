// Sign-in. Locally: the demo users, one button each (GET /local/users, /local/token). In the cloud: Cognito's
// hosted UI (authorization code + PKCE, auth/cognito.ts, loaded only here and on the callback).
import { useEffect, useState } from "preact/hooks";
import { demoUsers, signInLocal, type DemoUser } from "../auth/local";
import { config } from "../config";
import { t } from "../i18n";
import { navigate } from "../router";
import type { PageProps } from "../routes";

function nextPath(query: URLSearchParams): string {
  const next = query.get("next") ?? "/app/";
  return next.startsWith("/app") && !next.startsWith("/app/sign-in") ? next : "/app/";
}

export default function SignIn({ query }: PageProps) {
  const auth = config().auth;
  const [users, setUsers] = useState<DemoUser[] | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => {
    if (auth.mode === "local") demoUsers().then(setUsers, (error: Error) => setFailure(error.message));
  }, [auth.mode]);

  const local = async (email: string, name: string) => {
    try {
      await signInLocal(email, name);
      navigate(nextPath(query), { replace: true });
    } catch (error) {
      setFailure((error as Error).message);
    }
  };
  const cognito = async () => {
    if (auth.mode !== "cognito") return;
    try {
      const { signIn } = await import("../auth/cognito");
      await signIn(auth, nextPath(query));
    } catch (error) {
      setFailure((error as Error).message);
    }
  };

  return (
    <section aria-labelledby="signin-title">
      <h1 id="signin-title">{t("signin.title")}</h1>
      {failure && <p role="alert">{t("signin.failed", { detail: failure })}</p>}
      {auth.mode === "local" ? (
        <>
          <p>{t("signin.local_intro")}</p>
          {users === null ? (
            <p class="loading">{t("app.loading")}</p>
          ) : (
            <ul class="users">
              {users.map((user) => (
                <li key={user.email}>
                  <button type="button" onClick={() => void local(user.email, user.name)}>
                    {t("signin.as", { name: user.name })}
                  </button>{" "}
                  <span class="hint">
                    {user.email} · {t(`role.${user.role}`)}
                    {user.org_admin ? ` · ${t("role.org_admin")}` : ""}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </>
      ) : (
        <>
          <p>{t("signin.cognito_intro")}</p>
          <button type="button" onClick={() => void cognito()}>
            {t("signin.button")}
          </button>
        </>
      )}
    </section>
  );
}
