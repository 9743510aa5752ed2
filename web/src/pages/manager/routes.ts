// The manager pages (pages/manager): their addresses, who may open them, titles and code. Spread into ROUTES
// (routes.ts); their words are in i18n/manager/<language>.json.
import type { RouteDef } from "../../routes";

export const MANAGER_ROUTES: RouteDef[] = [];
