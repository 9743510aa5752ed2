// Every page of the app, in one table: its address, who may open it, its title, and its code (a dynamic import:
// each page is its own chunk, so the first page loads only what it needs). The navigation (layout.tsx) lists
// the pages with a `nav` entry for the signed-in person's role.
import type { ComponentType } from "preact";
import type { Person, Role } from "./auth/session";
import { AGENT_ROUTES } from "./pages/agent/routes";
import { MANAGER_ROUTES } from "./pages/manager/routes";

export interface PageProps {
  params: Record<string, string>;
  query: URLSearchParams;
  person: Person | null;
}

export type Page = ComponentType<PageProps>;

export interface RouteDef {
  path: string; // "/app/tickets/:reference"
  title: string; // message key of the page's title (document.title)
  who: "anyone" | readonly Role[]; // "anyone": no sign-in needed (sign-in, the follow-link pages)
  // listed in the navigation for `who`; `count`: a number shown beside the label (e.g. open incidents), read again
  // on every navigation and when a page calls refreshNavCounts() (navcount.ts); `section`: the group of links it
  // is listed in (its own labelled navigation inside the main one), none for the links everyone has
  nav?: {
    label: string;
    order: number;
    count?: (signal: AbortSignal) => Promise<number>;
    countLabel?: string;
    section?: NavSection;
  };
  page: () => Promise<{ default: Page }>;
}

// The groups of the staff's navigation, in this order; each has a message key "nav.section_<name>".
export const NAV_SECTIONS = ["workspace", "console"] as const;
export type NavSection = (typeof NAV_SECTIONS)[number];

const CUSTOMER: readonly Role[] = ["customer"];
const EVERYONE_SIGNED_IN: readonly Role[] = ["customer", "agent", "manager"];

export const ROUTES: RouteDef[] = [
  { path: "/app/sign-in", title: "signin.title", who: "anyone", page: () => import("./pages/SignIn") },
  { path: "/app/callback", title: "signin.title", who: "anyone", page: () => import("./pages/Callback") },
  {
    path: "/app",
    title: "nav.home",
    who: EVERYONE_SIGNED_IN,
    nav: { label: "nav.home", order: 0 },
    page: () => import("./pages/Home"),
  },
  // The customer portal (pages/customer). The ticket page serves a web-form ticket's follow link too (the key in
  // the fragment), so it opens without sign-in and sends a reader without either to the sign-in page itself.
  {
    path: "/app/services",
    title: "catalog.title",
    who: CUSTOMER,
    nav: { label: "nav.new_ticket", order: 1 },
    page: () => import("./pages/customer/Catalog"),
  },
  {
    path: "/app/services/:service/new",
    title: "intake.title",
    who: CUSTOMER,
    page: () => import("./pages/customer/NewTicket"),
  },
  {
    path: "/app/tickets",
    title: "nav.tickets",
    who: CUSTOMER,
    nav: { label: "nav.tickets", order: 2 },
    page: () => import("./pages/customer/Tickets"),
  },
  { path: "/app/tickets/:reference", title: "ticket.title", who: "anyone", page: () => import("./pages/customer/Ticket") },
  {
    path: "/app/notifications",
    title: "nav.notifications",
    who: CUSTOMER,
    nav: { label: "nav.notifications", order: 3 },
    page: () => import("./pages/customer/Notifications"),
  },
  {
    path: "/app/kb",
    title: "kb.title",
    who: CUSTOMER,
    nav: { label: "nav.kb", order: 4 },
    page: () => import("./pages/customer/Kb"),
  },
  { path: "/app/kb/:article", title: "kb.title", who: CUSTOMER, page: () => import("./pages/customer/Article") },
  {
    path: "/app/telegram",
    title: "telegram.title",
    who: CUSTOMER,
    nav: { label: "nav.telegram", order: 5 },
    page: () => import("./pages/customer/Telegram"),
  },
  { path: "/app/form", title: "webform.title", who: "anyone", page: () => import("./pages/customer/WebForm") },
  { path: "/app/confirm", title: "confirm.title", who: "anyone", page: () => import("./pages/customer/Confirm") },
  // The agent workspace (pages/agent) and the manager console (pages/manager).
  ...AGENT_ROUTES,
  ...MANAGER_ROUTES,
];

export { CUSTOMER, EVERYONE_SIGNED_IN };

/** The route of `path` ("/" and "/app/" are the home page) and its parameters. */
export function resolve(path: string): { route: RouteDef; params: Record<string, string> } | null {
  const normal = path === "/" ? "/app" : path.replace(/\/+$/, "") || "/app";
  for (const route of ROUTES) {
    const params = matchPath(route.path, normal);
    if (params) return { route, params };
  }
  return null;
}

function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split("/").filter(Boolean);
  const have = path.split("/").filter(Boolean);
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(":")) params[want[i].slice(1)] = decodeURIComponent(have[i]);
    else if (want[i] !== have[i]) return null;
  }
  return params;
}

export function navFor(role: Role): RouteDef[] {
  return ROUTES.filter((r) => r.nav && r.who !== "anyone" && r.who.includes(role)).sort(
    (a, b) => (a.nav?.order ?? 0) - (b.nav?.order ?? 0),
  );
}

/** The role's navigation in groups: the links without a section first, then each section that has links. */
export function navGroups(role: Role): { section: NavSection | null; routes: RouteDef[] }[] {
  const all = navFor(role);
  const groups: { section: NavSection | null; routes: RouteDef[] }[] = [
    { section: null, routes: all.filter((r) => !r.nav?.section) },
  ];
  for (const section of NAV_SECTIONS) {
    const routes = all.filter((r) => r.nav?.section === section);
    if (routes.length) groups.push({ section, routes });
  }
  return groups.filter((g) => g.routes.length);
}
