// Cognito's hosted UI comes back here with the authorization code (auth/cognito.ts exchanges it and erases it).
import { useEffect, useState } from "preact/hooks";
import { config } from "../config";
import { t } from "../i18n";
import { navigate } from "../router";

export default function Callback() {
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => {
    const auth = config().auth;
    if (auth.mode !== "cognito") {
      navigate("/app/sign-in", { replace: true });
      return;
    }
    import("../auth/cognito")
      .then(({ completeSignIn }) => completeSignIn(auth))
      .then((next) => navigate(next, { replace: true }))
      .catch((error: Error) => setFailure(error.message));
  }, []);
  return (
    <section aria-labelledby="callback-title">
      <h1 id="callback-title">{t("signin.title")}</h1>
      {failure ? (
        <p role="alert">
          {t("signin.failed", { detail: failure })} <a href="/app/sign-in">{t("app.retry")}</a>
        </p>
      ) : (
        <p class="loading">{t("signin.completing")}</p>
      )}
    </section>
  );
}
