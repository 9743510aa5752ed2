// Incidents raised by the system (R24): open ones first (?status=all: every incident, newest first); a manager
// acknowledges one (someone is on it) and resolves it, each with an optional note.
import { useState } from "preact/hooks";
import { api } from "../../api/client";
import { formatDateTime } from "../../format/datetime";
import { t } from "../../i18n";
import { refreshNavCounts } from "../../navcount";
import type { PageProps } from "../../routes";
import { problemText, useLoad, type Incident } from "./console";

export async function openIncidents(signal: AbortSignal): Promise<number> {
  const answer = await api.get<{ items: Incident[] }, "/incidents">("/incidents", {
    query: { status: "open", limit: 100 },
    signal,
  });
  return answer.items.filter((i) => i.status !== "resolved").length;
}

export default function Incidents({ query }: PageProps) {
  const status = query.get("status") === "all" ? "all" : "open";
  const { data, error, reload } = useLoad(
    () => api.get<{ items: Incident[] }, "/incidents">("/incidents", { query: { status, limit: 100 } }),
    [status],
  );
  const [said, setSaid] = useState<string | null>(null);
  const [failed, setFailed] = useState<string | null>(null);

  const act = async (incident: Incident, action: "acknowledge" | "resolve", note: string) => {
    setFailed(null);
    setSaid(null);
    try {
      const path = action === "acknowledge" ? "/incidents/{incident_id}/acknowledge" : "/incidents/{incident_id}/resolve";
      await api.post(path, { path: { incident_id: incident.id }, body: { note: note.trim() || null } });
      setSaid(t(action === "acknowledge" ? "inc.acknowledged_done" : "inc.resolved_done", { title: incident.title }));
      reload();
      refreshNavCounts();
    } catch (e) {
      setFailed(problemText(e));
    }
  };

  return (
    <section aria-labelledby="inc-title" class="console">
      <h1 id="inc-title">{t("inc.title")}</h1>
      <p>
        {status === "open" ? (
          <a href="/app/console/incidents?status=all">{t("inc.show_all")}</a>
        ) : (
          <a href="/app/console/incidents">{t("inc.show_open")}</a>
        )}
      </p>
      <p role="status">{said}</p>
      {(error || failed) && <p role="alert">{error ?? failed}</p>}
      {!data && !error && <p class="loading">{t("app.loading")}</p>}
      {data && data.items.length === 0 && <p>{t(status === "open" ? "inc.none_open" : "inc.none")}</p>}
      {data && data.items.length > 0 && (
        <ul class="cards">
          {data.items.map((incident) => (
            <IncidentCard key={incident.id} incident={incident} onAct={act} />
          ))}
        </ul>
      )}
    </section>
  );
}

function IncidentCard({
  incident,
  onAct,
}: {
  incident: Incident;
  onAct: (incident: Incident, action: "acknowledge" | "resolve", note: string) => Promise<void>;
}) {
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const headingId = `inc-${incident.id.replace(/[^A-Za-z0-9_-]/g, "-")}`;
  const run = (action: "acknowledge" | "resolve") => {
    setBusy(true);
    void onAct(incident, action, note).finally(() => setBusy(false));
  };
  return (
    <li class="card">
      <article aria-labelledby={headingId}>
        <h2 id={headingId}>{incident.title}</h2>
        <dl class="facts">
          <dt>{t("inc.status")}</dt>
          <dd>{t(`inc.status_${incident.status}`)}</dd>
          <dt>{t("inc.type")}</dt>
          <dd>{t(`inc.type_${incident.type}`) === `inc.type_${incident.type}` ? incident.type : t(`inc.type_${incident.type}`)}</dd>
          {incident.organisation_id && (
            <>
              <dt>{t("inc.organisation")}</dt>
              <dd>{incident.organisation_id}</dd>
            </>
          )}
          {incident.reference && (
            <>
              <dt>{t("inc.ticket")}</dt>
              <dd>{incident.reference}</dd>
            </>
          )}
          <dt>{t("inc.raised")}</dt>
          <dd>{formatDateTime(incident.raised_at)}</dd>
          {incident.acknowledged_at && (
            <>
              <dt>{t("inc.acknowledged")}</dt>
              <dd>{t("inc.by", { when: formatDateTime(incident.acknowledged_at), who: incident.acknowledged_by ?? "" })}</dd>
            </>
          )}
          {incident.resolved_at && (
            <>
              <dt>{t("inc.resolved")}</dt>
              <dd>{t("inc.by", { when: formatDateTime(incident.resolved_at), who: incident.resolved_by ?? "" })}</dd>
            </>
          )}
          {incident.note && (
            <>
              <dt>{t("inc.note")}</dt>
              <dd class="text">{incident.note}</dd>
            </>
          )}
        </dl>
        {incident.status !== "resolved" && (
          <form class="actions" onSubmit={(e) => e.preventDefault()} aria-label={t("inc.actions", { title: incident.title })}>
            <div class="field">
              <label for={`${headingId}-note`}>{t("inc.note_label")}</label>
              <input id={`${headingId}-note`} value={note} maxLength={2000} onInput={(e) => setNote((e.target as HTMLInputElement).value)} />
            </div>
            {incident.status === "open" && (
              <button type="button" disabled={busy} onClick={() => run("acknowledge")}>
                {t("inc.acknowledge")}
              </button>
            )}
            <button type="button" class="secondary" disabled={busy} onClick={() => run("resolve")}>
              {t("inc.resolve")}
            </button>
          </form>
        )}
      </article>
    </li>
  );
}
