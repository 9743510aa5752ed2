// The agent pages (pages/agent): their addresses, who may open them, titles and code. Spread into ROUTES
// (routes.ts); their words are in i18n/agent/<language>.json. Agents and managers work here; anyone else signed
// in gets the "not allowed" page (app.tsx).
import type { Role } from "../../auth/session";
import type { RouteDef } from "../../routes";

const STAFF: readonly Role[] = ["agent", "manager"];

// The unseen notifications' count beside "My month" (the page with the feed), from the feed's own "unseen".
const unseenNotifications = (signal: AbortSignal) => import("./Me").then((m) => m.unseenNotifications(signal));

export const AGENT_ROUTES: RouteDef[] = [
  {
    path: "/app/desk",
    title: "nav.desk_queue",
    who: STAFF,
    nav: { section: "workspace", label: "nav.desk_queue", order: 10 },
    page: () => import("./Queue"),
  },
  {
    path: "/app/desk/tickets",
    title: "nav.desk_tickets",
    who: STAFF,
    nav: { section: "workspace", label: "nav.desk_tickets", order: 11 },
    page: () => import("./Views"),
  },
  { path: "/app/desk/tickets/:reference", title: "ws.title", who: STAFF, page: () => import("./Workspace") },
  {
    path: "/app/desk/new",
    title: "register.title",
    who: STAFF,
    nav: { section: "workspace", label: "nav.desk_new", order: 12 },
    page: () => import("./NewForCustomer"),
  },
  {
    path: "/app/desk/me",
    title: "me.title",
    who: STAFF,
    nav: {
      section: "workspace",
      label: "nav.desk_me",
      order: 13,
      count: unseenNotifications,
      countLabel: "nav.desk_me_unseen",
    },
    page: () => import("./Me"),
  },
];
