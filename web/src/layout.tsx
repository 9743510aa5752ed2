// The frame of every page: a skip link, the header (the desk's name, the navigation for the person's role, the
// language menu, who is signed in and sign-out), the page in <main>, focused on each navigation so a screen reader
// and the keyboard start at the new page (not on the first page of a visit).
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import type { Person } from "./auth/session";
import { LANGUAGES, chooseLanguage, currentLanguage, languageName, t } from "./i18n";
import { NavCount } from "./navcount";
import { type RouteDef, navGroups } from "./routes";

interface Props {
  person: Person | null;
  path: string;
  onSignOut: () => void;
  children: ComponentChildren;
}

// The first page of a visit starts at the top (Tab reaches the skip link first); later pages focus <main>.
let firstPage = true;

export function Layout({ person, path, onSignOut, children }: Props) {
  const main = useRef<HTMLElement>(null);
  useEffect(() => {
    if (firstPage) {
      firstPage = false;
      return;
    }
    main.current?.focus({ preventScroll: true });
  }, [path]);
  const here = path === "/" ? "/app" : path.replace(/\/+$/, "");
  return (
    <>
      <a class="skip" href="#main">
        {t("app.skip")}
      </a>
      <header class="top">
        <a class="brand" href="/app/">
          {t("app.name")}
        </a>
        {person && (
          <nav aria-label={t("nav.label")}>
            {navGroups(person.role).map(({ section, routes }) =>
              section === null ? (
                <NavLinks key="main" routes={routes} here={here} path={path} />
              ) : (
                // each group of the staff's links is its own navigation, named by its visible heading
                <nav key={section} class="nav-section" aria-labelledby={`nav-${section}`}>
                  <span class="nav-section-name" id={`nav-${section}`}>
                    {t(`nav.section_${section}`)}
                  </span>
                  <NavLinks routes={routes} here={here} path={path} />
                </nav>
              ),
            )}
          </nav>
        )}
        <div class="tools">
          <label>
            {t("language.label")}{" "}
            <select value={currentLanguage()} onChange={(e) => void chooseLanguage((e.target as HTMLSelectElement).value)}>
              {LANGUAGES.map((code) => (
                <option key={code} value={code} lang={code}>
                  {languageName(code)}
                </option>
              ))}
            </select>
          </label>
          {person && (
            <>
              <span class="who">{t("account.signed_in_as", { name: person.name })}</span>
              <button type="button" onClick={onSignOut}>
                {t("account.sign_out")}
              </button>
            </>
          )}
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

function NavLinks({ routes, here, path }: { routes: RouteDef[]; here: string; path: string }) {
  return (
    <ul>
      {routes.map((route) => (
        <li key={route.path}>
          <a href={route.path} aria-current={here === route.path ? "page" : undefined}>
            {t(route.nav?.label ?? route.title)}
            {route.nav?.count && <NavCount count={route.nav.count} label={route.nav.countLabel} path={path} />}
          </a>
        </li>
      ))}
    </ul>
  );
}
