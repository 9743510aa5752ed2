// The manager pages (pages/manager): their addresses, who may open them, titles and code. Spread into ROUTES
// (routes.ts); their words are in i18n/manager/<language>.json. Every view has its own address, so a manager can
// send a link; an agent or a customer opening one is told it is not for them (pages/NotAllowed).
import type { Role } from "../../auth/session";
import type { RouteDef } from "../../routes";

const MANAGER: readonly Role[] = ["manager"];

// The open incidents' count beside "Incidents": the incidents module is its own chunk, loaded on first need.
const openIncidents = (signal: AbortSignal) => import("./Incidents").then((m) => m.openIncidents(signal));

export const MANAGER_ROUTES: RouteDef[] = [
  {
    path: "/app/console",
    title: "dash.title",
    who: MANAGER,
    nav: { section: "console", label: "nav.dashboard", order: 20 },
    page: () => import("./Dashboard"),
  },
  {
    path: "/app/console/incidents",
    title: "inc.title",
    who: MANAGER,
    nav: { section: "console", label: "nav.incidents", order: 21, count: openIncidents, countLabel: "nav.incidents_open" },
    page: () => import("./Incidents"),
  },
  {
    path: "/app/console/catalog",
    title: "cat.title",
    who: MANAGER,
    nav: { section: "console", label: "nav.catalog", order: 22 },
    page: () => import("./Catalog"),
  },
  {
    path: "/app/console/catalog/new",
    title: "cat.new_title",
    who: MANAGER,
    page: () => import("./Catalog").then((m) => ({ default: m.ServiceEditor })),
  },
  {
    path: "/app/console/catalog/:key",
    title: "cat.title",
    who: MANAGER,
    page: () => import("./Catalog").then((m) => ({ default: m.ServiceEditor })),
  },
  {
    path: "/app/console/team",
    title: "team.title",
    who: MANAGER,
    nav: { section: "console", label: "nav.team", order: 23 },
    page: () => import("./Team"),
  },
  {
    path: "/app/console/team/invite",
    title: "team.invite",
    who: MANAGER,
    page: () => import("./Team").then((m) => ({ default: m.InvitePage })),
  },
  {
    path: "/app/console/team/groups/:group",
    title: "team.groups",
    who: MANAGER,
    page: () => import("./Team").then((m) => ({ default: m.GroupPage })),
  },
  {
    path: "/app/console/team/people/:sub",
    title: "team.people",
    who: MANAGER,
    page: () => import("./Team").then((m) => ({ default: m.PersonPage })),
  },
  {
    path: "/app/console/contracts",
    title: "con.title",
    who: MANAGER,
    nav: { section: "console", label: "nav.contracts", order: 24 },
    page: () => import("./Contracts"),
  },
  {
    path: "/app/console/contracts/:organisation",
    title: "con.title",
    who: MANAGER,
    page: () => import("./Contracts").then((m) => ({ default: m.ContractPage })),
  },
  {
    path: "/app/console/invoices",
    title: "inv.title",
    who: MANAGER,
    nav: { section: "console", label: "nav.invoices", order: 25 },
    page: () => import("./Invoices"),
  },
  {
    path: "/app/console/kb",
    title: "kbm.title",
    who: MANAGER,
    nav: { section: "console", label: "nav.kb_edit", order: 26 },
    page: () => import("./Kb"),
  },
  {
    path: "/app/console/kb/:article",
    title: "kbm.title",
    who: MANAGER,
    page: () => import("./Kb").then((m) => ({ default: m.ArticlePage })),
  },
  {
    path: "/app/console/kb/:article/versions/:version",
    title: "kbm.history",
    who: MANAGER,
    page: () => import("./Kb").then((m) => ({ default: m.VersionPage })),
  },
];
