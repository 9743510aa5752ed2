// The confirmation of a web-form request held for its address (shared/tickets/confirmations.py): the e-mailed link
// opens this page with the token in the fragment (never sent to a server by the browser). Nothing happens until the
// person presses the button, so a mail scanner that fetches the link confirms nothing; then the ticket opens and its
// page follows through the follow link.
import { useState } from "preact/hooks";
import { ApiError, api } from "../../api/client";
import { t } from "../../i18n";
import { navigate } from "../../router";
import { problemText } from "./portal";

function tokenOf(): string | null {
  return new URLSearchParams(window.location.hash.replace(/^#/, "")).get("token");
}

export default function Confirm() {
  const token = tokenOf();
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [opened, setOpened] = useState<string | null>(null); // an e-mail's request: its reference (answered by e-mail)

  const confirm = () => {
    if (!token) return;
    setBusy(true);
    setProblem(null);
    api
      .post<{ id: string; reference: string; follow_url?: string | null }, "/public/confirmations">("/public/confirmations", {
        body: { token },
      })
      .then((ticket) => {
        if (!ticket.follow_url) {
          setOpened(ticket.reference);
          return;
        }
        const key = new URL(ticket.follow_url, window.location.origin).searchParams.get("key") ?? "";
        navigate(`/app/tickets/${encodeURIComponent(ticket.id)}#key=${encodeURIComponent(key)}`, { replace: true });
      })
      .catch((e: unknown) => {
        const known = e instanceof ApiError && [404, 409, 410].includes(e.status);
        setProblem(known ? t(`confirm.problem_${(e as ApiError).status}`) : problemText(e));
      })
      .finally(() => setBusy(false));
  };

  return (
    <section aria-labelledby="confirm-title">
      <h1 id="confirm-title">{t("confirm.title")}</h1>
      {opened ? (
        <p role="status">{t("confirm.done_email", { reference: opened })}</p>
      ) : token ? (
        <>
          <p>{t("confirm.text")}</p>
          <button type="button" disabled={busy} onClick={confirm}>
            {t("confirm.button")}
          </button>
        </>
      ) : (
        <p>{t("confirm.problem_404")}</p>
      )}
      {problem && (
        <p role="alert" class="problems">
          {problem}
        </p>
      )}
    </section>
  );
}
