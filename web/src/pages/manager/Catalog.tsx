// The catalog (R1-R3): every service, hidden ones too, with its route and groups; a service opens in its own form
// (/app/console/catalog/<key>; a new one at /app/console/catalog/new). The intake questions come from the question
// bank the catalog already uses, the routes and groups from what the desk has.
import { useState } from "preact/hooks";
import { api } from "../../api/client";
import { t } from "../../i18n";
import { navigate } from "../../router";
import type { PageProps } from "../../routes";
import { flash, num, problemText, takeFlash, useLoad, type CatalogService, type Group } from "./console";

export default function Catalog() {
  const { data, error } = useLoad(() => api.get<{ items: CatalogService[] }, "/catalog/services">("/catalog/services"));
  return (
    <section aria-labelledby="cat-title" class="console">
      <h1 id="cat-title">{t("cat.title")}</h1>
      <p>
        <a href="/app/console/catalog/new">{t("cat.add")}</a>
      </p>
      {error && <p role="alert">{error}</p>}
      {!data && !error && <p class="loading">{t("app.loading")}</p>}
      {data && (
        <table>
          <caption class="visually-hidden">{t("cat.title")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("cat.service")}</th>
              <th scope="col">{t("cat.route")}</th>
              <th scope="col">{t("cat.groups")}</th>
              <th scope="col">{t("cat.questions")}</th>
              <th scope="col">{t("cat.visible")}</th>
              <th scope="col">{t("cat.deadline")}</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((s) => (
              <tr key={s.key}>
                <td>
                  <a href={`/app/console/catalog/${encodeURIComponent(s.key)}`}>{s.title}</a>
                  <br />
                  <code>{s.key}</code>
                </td>
                <td>{s.route}</td>
                <td>{s.groups.join(", ")}</td>
                <td>{num(s.intake_fields.length)}</td>
                <td>{s.customer_visible ? t("console.yes") : t("console.no")}</td>
                <td>{s.deadline_working_days ? t("cat.days", { n: s.deadline_working_days }) : t("console.none")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

interface Choices {
  services: CatalogService[];
  groups: Group[];
}

export function ServiceEditor({ params }: PageProps) {
  const isNew = !params.key;
  const { data, error } = useLoad<Choices>(async () => {
    const [services, groups] = await Promise.all([
      api.get<{ items: CatalogService[] }, "/catalog/services">("/catalog/services"),
      api.get<{ items: Group[] }, "/routing/groups">("/routing/groups"),
    ]);
    return { services: services.items, groups: groups.items };
  }, [params.key]);
  const current = data?.services.find((s) => s.key === params.key) ?? null;
  return (
    <section aria-labelledby="svc-title" class="console">
      <p>
        <a href="/app/console/catalog">{t("cat.back")}</a>
      </p>
      <h1 id="svc-title">{isNew ? t("cat.new_title") : t("cat.edit_title", { title: current?.title ?? params.key })}</h1>
      {error && <p role="alert">{error}</p>}
      {!data && !error && <p class="loading">{t("app.loading")}</p>}
      {data && !isNew && !current && <p role="alert">{t("cat.missing", { key: params.key })}</p>}
      {data && (isNew || current) && <ServiceForm key={params.key ?? "new"} choices={data} current={current} />}
    </section>
  );
}

function ServiceForm({ choices, current }: { choices: Choices; current: CatalogService | null }) {
  // The question bank as the catalog uses it (each question once, in first use order).
  const bank = new Map<string, string>();
  for (const s of choices.services) for (const f of s.intake_fields) if (!bank.has(f.key)) bank.set(f.key, f.label);
  const routes = [...new Set(choices.services.map((s) => s.route))].sort();
  const [key, setKey] = useState(current?.key ?? "");
  const [title, setTitle] = useState(current?.title ?? "");
  const [description, setDescription] = useState(current?.description ?? "");
  const [route, setRoute] = useState(current?.route ?? routes[0] ?? "support");
  const [groups, setGroups] = useState<string[]>(current?.groups ?? []);
  const [fields, setFields] = useState<Record<string, "off" | "asked" | "required">>(
    Object.fromEntries((current?.intake_fields ?? []).map((f) => [f.key, f.required ? "required" : "asked"])),
  );
  const [visible, setVisible] = useState(current?.customer_visible ?? true);
  const [deadline, setDeadline] = useState(current?.deadline_working_days ? String(current.deadline_working_days) : "");
  const [position, setPosition] = useState(current?.position !== null && current?.position !== undefined ? String(current.position) : "");
  const [failed, setFailed] = useState<string | null>(null);
  const [said, setSaid] = useState<string | null>(takeFlash);
  const [busy, setBusy] = useState(false);

  const order = [
    ...(current?.intake_fields.map((f) => f.key) ?? []),
    ...[...bank.keys()].filter((k) => !current?.intake_fields.some((f) => f.key === k)),
  ];
  const save = async (e: Event) => {
    e.preventDefault();
    setFailed(null);
    setSaid(null);
    setBusy(true);
    try {
      const asked = order.filter((k) => (fields[k] ?? "off") !== "off");
      const saved = await api.put<CatalogService, "/services/{key}">("/services/{key}", {
        path: { key: key.trim() },
        body: {
          title: title.trim(),
          description: description.trim(),
          route,
          groups,
          intake_fields: asked.map((k) => ({ key: k, required: fields[k] === "required" })),
          customer_visible: visible,
          deadline_working_days: deadline ? Number(deadline) : null,
          position: position ? Number(position) : null,
        },
      });
      setSaid(t("cat.saved", { title: saved.title }));
      if (!current) {
        flash(t("cat.saved", { title: saved.title })); // said again on the service's own page
        navigate(`/app/console/catalog/${encodeURIComponent(saved.key)}`, { replace: true });
      }
    } catch (error) {
      setFailed(problemText(error));
    } finally {
      setBusy(false);
    }
  };
  const text = (id: string, label: string, value: string, set: (v: string) => void, extra: Record<string, unknown> = {}) => (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} value={value} onInput={(e) => set((e.target as HTMLInputElement).value)} {...extra} />
    </div>
  );
  return (
    <form onSubmit={save} aria-label={t("cat.form")}>
      {current ? (
        <p>
          {t("cat.key")}: <code>{current.key}</code>
        </p>
      ) : (
        text("svc-key", t("cat.key"), key, setKey, { required: true, pattern: "[a-z0-9][a-z0-9\\-]{1,62}", "aria-describedby": "svc-key-hint" })
      )}
      {!current && (
        <p id="svc-key-hint" class="hint">
          {t("cat.key_hint")}
        </p>
      )}
      {text("svc-title-input", t("cat.title_label"), title, setTitle, { required: true, minLength: 3, maxLength: 200 })}
      <div class="field">
        <label for="svc-description">{t("cat.description")}</label>
        <textarea id="svc-description" required minLength={3} maxLength={2000} rows={3} value={description} onInput={(e) => setDescription((e.target as HTMLTextAreaElement).value)} />
      </div>
      <div class="field">
        <label for="svc-route">{t("cat.route")}</label>
        <select id="svc-route" value={route} onChange={(e) => setRoute((e.target as HTMLSelectElement).value)}>
          {routes.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </div>
      <fieldset>
        <legend>{t("cat.groups_legend")}</legend>
        {choices.groups.map((g) => (
          <label key={g.name} class="choice">
            <input
              type="checkbox"
              checked={groups.includes(g.name)}
              onChange={(e) =>
                setGroups((now) => ((e.target as HTMLInputElement).checked ? [...now, g.name] : now.filter((n) => n !== g.name)))
              }
            />
            {g.name} ({g.line})
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>{t("cat.questions_legend")}</legend>
        <table>
          <caption class="visually-hidden">{t("cat.questions_legend")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("cat.question")}</th>
              <th scope="col">{t("cat.asked")}</th>
            </tr>
          </thead>
          <tbody>
            {order.map((k) => (
              <tr key={k}>
                <th scope="row">
                  <label for={`q-${k}`}>{bank.get(k)}</label>
                </th>
                <td>
                  <select id={`q-${k}`} value={fields[k] ?? "off"} onChange={(e) => setFields({ ...fields, [k]: (e.target as HTMLSelectElement).value as "off" })}>
                    <option value="off">{t("cat.q_off")}</option>
                    <option value="asked">{t("cat.q_asked")}</option>
                    <option value="required">{t("cat.q_required")}</option>
                  </select>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </fieldset>
      <div class="field check">
        <input id="svc-visible" type="checkbox" checked={visible} onChange={(e) => setVisible((e.target as HTMLInputElement).checked)} />
        <label for="svc-visible">{t("cat.visible_label")}</label>
      </div>
      {text("svc-deadline", t("cat.deadline_label"), deadline, setDeadline, { type: "number", min: 1, max: 60 })}
      {text("svc-position", t("cat.position"), position, setPosition, { type: "number", min: 0, max: 10000 })}
      <p role="status">{said}</p>
      {failed && <p role="alert">{failed}</p>}
      <button type="submit" disabled={busy}>
        {t("cat.save")}
      </button>
    </form>
  );
}
