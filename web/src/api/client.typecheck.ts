// Compile-time checks of the typed client (tsc runs them in `make web`; nothing imports this file, so it is never
// bundled). Each @ts-expect-error must be an error: if the client stopped checking, tsc would fail here.
import { api } from "./client";

export async function typecheck(): Promise<void> {
  await api.get<unknown, "/people/{sub}">("/people/{sub}", { path: { sub: "cust-bob" } });
  await api.get("/health");
  // @ts-expect-error: no such route
  await api.get("/no-such-route");
  // @ts-expect-error: the route has no GET
  await api.get("/people/{sub}/deactivate");
  // @ts-expect-error: the path parameter is `sub`
  await api.get("/people/{sub}", { path: { who: "cust-bob" } });
}
