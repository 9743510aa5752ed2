// Groups and agents (R15, R19): the support groups with their line and members, the staff with their line, groups
// and skills. A group opens at /app/console/team/groups/<name> (a new one at .../groups/new), a person at
// /app/console/team/people/<sub>; /app/console/team/invite invites a colleague or a customer.
import { useState } from "preact/hooks";
import { api } from "../../api/client";
import { t } from "../../i18n";
import { navigate } from "../../router";
import type { PageProps } from "../../routes";
import { LINES, flash, problemText, splitList, takeFlash, useLoad, type Group, type Organisation, type PersonRow } from "./console";

export default function Team() {
  const { data, error } = useLoad(async () => {
    const [groups, people] = await Promise.all([
      api.get<{ items: Group[] }, "/routing/groups">("/routing/groups"),
      api.get<{ items: PersonRow[] }, "/people">("/people", { query: { limit: 100 } }),
    ]);
    return { groups: groups.items, people: people.items };
  });
  return (
    <section aria-labelledby="team-title" class="console">
      <h1 id="team-title">{t("team.title")}</h1>
      {error && <p role="alert">{error}</p>}
      {!data && !error && <p class="loading">{t("app.loading")}</p>}
      {data && (
        <>
          <h2>{t("team.groups")}</h2>
          <p>
            <a href="/app/console/team/groups/new">{t("team.add_group")}</a>
          </p>
          <table>
            <caption class="visually-hidden">{t("team.groups")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("team.group")}</th>
                <th scope="col">{t("team.line")}</th>
                <th scope="col">{t("team.order")}</th>
                <th scope="col">{t("team.skills")}</th>
                <th scope="col">{t("team.members")}</th>
              </tr>
            </thead>
            <tbody>
              {data.groups.map((g) => (
                <tr key={g.name}>
                  <td>
                    <a href={`/app/console/team/groups/${encodeURIComponent(g.name)}`}>{g.name}</a>
                    <br />
                    <span class="hint">{g.description}</span>
                  </td>
                  <td>{g.line}</td>
                  <td>{t(`team.order_${g.order}`)}</td>
                  <td>{g.skills.join(", ") || t("console.none")}</td>
                  <td>{g.members.map((m) => m.name).join(", ") || t("console.none")}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>{t("team.people")}</h2>
          <p>
            <a href="/app/console/team/invite">{t("team.invite")}</a>
          </p>
          <table>
            <caption class="visually-hidden">{t("team.people")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("team.name")}</th>
                <th scope="col">{t("team.role")}</th>
                <th scope="col">{t("team.line")}</th>
                <th scope="col">{t("team.groups")}</th>
                <th scope="col">{t("team.skills")}</th>
              </tr>
            </thead>
            <tbody>
              {data.people.map((p) => (
                <tr key={p.sub}>
                  <td>
                    <a href={`/app/console/team/people/${encodeURIComponent(p.sub)}`}>{p.name}</a>
                    <br />
                    <span class="hint">{p.email}</span>
                    {!p.active && <span class="hint"> · {t("team.inactive")}</span>}
                  </td>
                  <td>{t(`role.${p.role}`)}</td>
                  <td>{p.line ?? t("console.none")}</td>
                  <td>{p.groups.join(", ") || t("console.none")}</td>
                  <td>{p.skills.join(", ") || t("console.none")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

function LineSelect({ id, value, onChange, optional = false }: { id: string; value: string; onChange: (v: string) => void; optional?: boolean }) {
  return (
    <div class="field">
      <label for={id}>{t("team.line")}</label>
      <select id={id} value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
        {optional && <option value="">{t("console.none")}</option>}
        {LINES.map((line) => (
          <option key={line} value={line}>
            {line}
          </option>
        ))}
      </select>
    </div>
  );
}

function Saved({ said, failed }: { said: string | null; failed: string | null }) {
  return (
    <>
      <p role="status">{said}</p>
      {failed && <p role="alert">{failed}</p>}
    </>
  );
}

export function GroupPage({ params }: PageProps) {
  const isNew = params.group === "new";
  const { data, error } = useLoad(() => api.get<{ items: Group[] }, "/routing/groups">("/routing/groups"), [params.group]);
  const current = data?.items.find((g) => g.name === params.group) ?? null;
  return (
    <section aria-labelledby="group-title" class="console">
      <p>
        <a href="/app/console/team">{t("team.back")}</a>
      </p>
      <h1 id="group-title">{isNew ? t("team.new_group") : t("team.group_title", { name: params.group })}</h1>
      {error && <p role="alert">{error}</p>}
      {!data && !error && <p class="loading">{t("app.loading")}</p>}
      {data && !isNew && !current && <p role="alert">{t("team.no_group", { name: params.group })}</p>}
      {data && (isNew || current) && <GroupForm key={params.group} current={current} />}
    </section>
  );
}

function GroupForm({ current }: { current: Group | null }) {
  const [name, setName] = useState(current?.name ?? "");
  const [line, setLine] = useState(current?.line ?? "L1");
  const [description, setDescription] = useState(current?.description ?? "");
  const [skills, setSkills] = useState((current?.skills ?? []).join(", "));
  const [said, setSaid] = useState<string | null>(takeFlash);
  const [failed, setFailed] = useState<string | null>(null);
  const save = async (e: Event) => {
    e.preventDefault();
    setSaid(null);
    setFailed(null);
    try {
      await api.put("/routing/groups/{group}", {
        path: { group: name.trim() },
        body: { line, description: description.trim(), skills: splitList(skills) },
      });
      setSaid(t("team.group_saved", { name: name.trim() }));
      if (!current) {
        flash(t("team.group_saved", { name: name.trim() }));
        navigate(`/app/console/team/groups/${encodeURIComponent(name.trim())}`, { replace: true });
      }
    } catch (error) {
      setFailed(problemText(error));
    }
  };
  return (
    <form onSubmit={save} aria-label={t("team.group_form")}>
      {!current && (
        <div class="field">
          <label for="group-name">{t("team.group_name")}</label>
          <input id="group-name" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </div>
      )}
      <LineSelect id="group-line" value={line} onChange={setLine} />
      <div class="field">
        <label for="group-description">{t("team.description")}</label>
        <input id="group-description" maxLength={500} value={description} onInput={(e) => setDescription((e.target as HTMLInputElement).value)} />
      </div>
      <div class="field">
        <label for="group-skills">{t("team.skills_label")}</label>
        <input id="group-skills" value={skills} onInput={(e) => setSkills((e.target as HTMLInputElement).value)} />
      </div>
      {current && (
        <p>
          {t("team.members")}: {current.members.map((m) => m.name).join(", ") || t("console.none")}
        </p>
      )}
      <Saved said={said} failed={failed} />
      <button type="submit">{t("team.save")}</button>
    </form>
  );
}

export function PersonPage({ params }: PageProps) {
  const { data, error } = useLoad(async () => {
    const [person, groups] = await Promise.all([
      api.get<PersonRow, "/people/{sub}">("/people/{sub}", { path: { sub: params.sub } }),
      api.get<{ items: Group[] }, "/routing/groups">("/routing/groups"),
    ]);
    return { person, groups: groups.items };
  }, [params.sub]);
  return (
    <section aria-labelledby="person-title" class="console">
      <p>
        <a href="/app/console/team">{t("team.back")}</a>
      </p>
      <h1 id="person-title">{data ? data.person.name : t("team.person")}</h1>
      {error && <p role="alert">{error}</p>}
      {!data && !error && <p class="loading">{t("app.loading")}</p>}
      {data && <PersonForm key={params.sub} person={data.person} groups={data.groups} />}
    </section>
  );
}

function PersonForm({ person, groups }: { person: PersonRow; groups: Group[] }) {
  const [line, setLine] = useState(person.line ?? "");
  const [chosen, setChosen] = useState<string[]>(person.groups);
  const [skills, setSkills] = useState(person.skills.join(", "));
  const [said, setSaid] = useState<string | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const staff = person.role === "agent" || person.role === "manager";
  const save = async (e: Event) => {
    e.preventDefault();
    setSaid(null);
    setFailed(null);
    try {
      await api.put("/routing/agents/{sub}", {
        path: { sub: person.sub },
        body: { groups: chosen, line: line || null, skills: splitList(skills) },
      });
      setSaid(t("team.person_saved", { name: person.name }));
    } catch (error) {
      setFailed(problemText(error));
    }
  };
  return (
    <>
      <dl class="facts">
        <dt>{t("team.email")}</dt>
        <dd>{person.email}</dd>
        <dt>{t("team.role")}</dt>
        <dd>{t(`role.${person.role}`)}</dd>
        {person.organisation_id && (
          <>
            <dt>{t("team.organisation")}</dt>
            <dd>{person.organisation_id}</dd>
          </>
        )}
      </dl>
      {staff ? (
        <form onSubmit={save} aria-label={t("team.routing_form")}>
          <LineSelect id="person-line" value={line} onChange={setLine} optional />
          <fieldset>
            <legend>{t("team.groups")}</legend>
            {groups.map((g) => (
              <label key={g.name} class="choice">
                <input
                  type="checkbox"
                  checked={chosen.includes(g.name)}
                  onChange={(e) =>
                    setChosen((now) => ((e.target as HTMLInputElement).checked ? [...now, g.name] : now.filter((n) => n !== g.name)))
                  }
                />
                {g.name} ({g.line})
              </label>
            ))}
          </fieldset>
          <div class="field">
            <label for="person-skills">{t("team.skills_label")}</label>
            <input id="person-skills" value={skills} onInput={(e) => setSkills((e.target as HTMLInputElement).value)} />
          </div>
          <Saved said={said} failed={failed} />
          <button type="submit">{t("team.save")}</button>
        </form>
      ) : (
        <p>{t("team.customer_note")}</p>
      )}
    </>
  );
}

export function InvitePage() {
  const orgs = useLoad(() => api.get<{ items: Organisation[] }, "/organisations">("/organisations", { query: { limit: 100 } }));
  const groups = useLoad(() => api.get<{ items: Group[] }, "/routing/groups">("/routing/groups"));
  const [form, setForm] = useState({ email: "", name: "", role: "agent", organisation_id: "", org_admin: false, line: "L1" });
  const [chosen, setChosen] = useState<string[]>([]);
  const [said, setSaid] = useState<string | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const set = (name: string) => (e: Event) => {
    const input = e.target as HTMLInputElement;
    setForm({ ...form, [name]: input.type === "checkbox" ? input.checked : input.value });
  };
  const customer = form.role === "customer";
  const invite = async (e: Event) => {
    e.preventDefault();
    setSaid(null);
    setFailed(null);
    try {
      const made = await api.post<PersonRow, "/people">("/people", {
        body: {
          email: form.email.trim(),
          name: form.name.trim(),
          role: form.role as "agent",
          organisation_id: customer ? form.organisation_id || null : null,
          org_admin: customer && form.org_admin,
          groups: customer ? [] : chosen,
          line: customer ? null : form.line,
          send_invitation: true,
        },
      });
      setSaid(t("team.invited", { name: made.name }));
    } catch (error) {
      setFailed(problemText(error));
    }
  };
  return (
    <section aria-labelledby="invite-title" class="console">
      <p>
        <a href="/app/console/team">{t("team.back")}</a>
      </p>
      <h1 id="invite-title">{t("team.invite")}</h1>
      {(orgs.error || groups.error) && <p role="alert">{orgs.error ?? groups.error}</p>}
      <form onSubmit={invite} aria-label={t("team.invite")}>
        <div class="field">
          <label for="inv-name">{t("team.name")}</label>
          <input id="inv-name" required value={form.name} onInput={set("name")} />
        </div>
        <div class="field">
          <label for="inv-email">{t("team.email")}</label>
          <input id="inv-email" type="email" required value={form.email} onInput={set("email")} />
        </div>
        <div class="field">
          <label for="inv-role">{t("team.role")}</label>
          <select id="inv-role" value={form.role} onChange={set("role")}>
            {["agent", "manager", "customer"].map((r) => (
              <option key={r} value={r}>
                {t(`role.${r}`)}
              </option>
            ))}
          </select>
        </div>
        {customer ? (
          <>
            <div class="field">
              <label for="inv-org">{t("team.organisation")}</label>
              <select id="inv-org" required value={form.organisation_id} onChange={set("organisation_id")}>
                <option value="">{t("team.choose")}</option>
                {(orgs.data?.items ?? []).map((o) => (
                  <option key={o.id} value={o.id}>
                    {o.name}
                  </option>
                ))}
              </select>
            </div>
            <div class="field check">
              <input id="inv-admin" type="checkbox" checked={form.org_admin} onChange={set("org_admin")} />
              <label for="inv-admin">{t("team.org_admin")}</label>
            </div>
          </>
        ) : (
          <>
            <LineSelect id="inv-line" value={form.line} onChange={(line) => setForm({ ...form, line })} />
            <fieldset>
              <legend>{t("team.groups")}</legend>
              {(groups.data?.items ?? []).map((g) => (
                <label key={g.name} class="choice">
                  <input
                    type="checkbox"
                    checked={chosen.includes(g.name)}
                    onChange={(e) =>
                      setChosen((now) => ((e.target as HTMLInputElement).checked ? [...now, g.name] : now.filter((n) => n !== g.name)))
                    }
                  />
                  {g.name} ({g.line})
                </label>
              ))}
            </fieldset>
          </>
        )}
        <Saved said={said} failed={failed} />
        <button type="submit">{t("team.send_invite")}</button>
      </form>
    </section>
  );
}
