// The app: loads /config.json, picks the language (the person's profile, else the browser's), resolves the address
// to a page (routes.ts), sends people who are not signed in to the sign-in page, and tells a signed-in person
// plainly when their role may not open the page (a customer at a workspace address).
import { useEffect, useState } from "preact/hooks";
import { onSessionChange, session, type Person } from "./auth/session";
import { loadConfig } from "./config";
import { onLanguageChange, pickLanguage, setLanguage, t } from "./i18n";
import { Layout } from "./layout";
import { applyProfile } from "./profile";
import { interceptLinks, navigate, useLocation } from "./router";
import { resolve, type Page, type RouteDef } from "./routes";
import NotAllowed from "./pages/NotAllowed";
import NotFound from "./pages/NotFound";

type Boot = "loading" | "ready" | Error;

export function App() {
  const [boot, setBoot] = useState<Boot>("loading");
  const [, setTick] = useState(0);
  const { path, query } = useLocation();

  useEffect(() => {
    const rerender = () => setTick((n) => n + 1);
    const offSession = onSessionChange(rerender);
    const offLanguage = onLanguageChange(rerender);
    const offLinks = interceptLinks(document.body);
    Promise.all([loadConfig(), setLanguage(pickLanguage(navigator.languages ?? [navigator.language]))])
      .then(() => setBoot("ready"))
      .catch((error: unknown) => setBoot(error instanceof Error ? error : new Error(String(error))));
    return () => {
      offSession();
      offLanguage();
      offLinks();
    };
  }, []);

  const person = session()?.person ?? null;
  useEffect(() => {
    if (person) void applyProfile(person);
  }, [person?.sub]);

  const found = resolve(path);
  const mustSignIn = boot === "ready" && found !== null && found.route.who !== "anyone" && person === null;
  useEffect(() => {
    if (!mustSignIn) return;
    const next = window.location.pathname + window.location.search;
    navigate(`/app/sign-in?${new URLSearchParams({ next })}`, { replace: true });
  }, [mustSignIn, path]);

  if (boot === "loading" || mustSignIn) return <p class="loading">{t("app.loading")}</p>;
  if (boot instanceof Error) return <p role="alert">{t("app.error", { detail: boot.message })}</p>;

  const signOut = () => void session()?.signOut();
  if (found === null)
    return <Shown person={person} path={path} route={null} denied={false} params={{}} query={query} onSignOut={signOut} />;
  const { route, params } = found;
  const allowed = route.who === "anyone" || (person !== null && route.who.includes(person.role));
  return (
    <Shown
      person={person}
      path={path}
      route={allowed ? route : null}
      denied={!allowed}
      params={params}
      query={query}
      onSignOut={signOut}
    />
  );
}

interface ShownProps {
  person: Person | null;
  path: string;
  route: RouteDef | null;
  denied: boolean; // the page exists, the person's role may not open it
  params: Record<string, string>;
  query: URLSearchParams;
  onSignOut: () => void;
}

const pages = new Map<RouteDef, Page>();

function Shown({ person, path, route, denied, params, query, onSignOut }: ShownProps) {
  const Missing = denied ? NotAllowed : NotFound;
  // An initialiser function: a component passed to useState directly would be called as one.
  const [page, setPage] = useState<Page | null>(() => (route ? (pages.get(route) ?? null) : Missing));
  const [failed, setFailed] = useState<Error | null>(null);
  useEffect(() => {
    document.title = `${t(route?.title ?? (denied ? "notallowed.title" : "notfound.title"))} · ${t("app.name")}`;
    setFailed(null);
    if (route === null) {
      setPage(() => Missing);
      return;
    }
    const known = pages.get(route);
    if (known) {
      setPage(() => known);
      return;
    }
    setPage(null);
    let current = true; // a page that arrives after the person went elsewhere is kept, not shown
    route
      .page()
      .then((module) => {
        pages.set(route, module.default);
        if (current) setPage(() => module.default);
      })
      .catch((error: unknown) => {
        if (current) setFailed(error instanceof Error ? error : new Error(String(error)));
      });
    return () => {
      current = false;
    };
  }, [route, path, denied]);
  const Current = page;
  return (
    <Layout person={person} path={path} onSignOut={onSignOut}>
      {failed ? (
        <p role="alert">{t("app.error", { detail: failed.message })}</p>
      ) : Current ? (
        <Current params={params} query={query} person={person} />
      ) : (
        <p class="loading">{t("app.loading")}</p>
      )}
    </Layout>
  );
}
