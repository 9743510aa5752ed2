// The agent pages (pages/agent): their addresses, who may open them, titles and code. Spread into ROUTES
// (routes.ts); their words are in i18n/agent/<language>.json.
import type { RouteDef } from "../../routes";

export const AGENT_ROUTES: RouteDef[] = [];
