// A path router over the History API. The app owns / and /app/*; every page's address is /app/<page> so it can be
// linked, bookmarked and opened from an e-mail (the hosts answer index.html for /app/*: infra/local/site.py, the
// CloudFront distribution's error responses). Links are plain <a href> (keyboard and screen readers know them);
// a click on one inside the app is turned into navigate() by the listener in app.tsx.
import { useEffect, useState } from "preact/hooks";

export const BASE = "/app";

const listeners = new Set<() => void>();

export function currentPath(): string {
  return window.location.pathname;
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === window.location.pathname + window.location.search) return;
  if (options.replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  for (const listener of listeners) listener();
}

window.addEventListener("popstate", () => {
  for (const listener of listeners) listener();
});

/** Re-renders the component when the address changes; the current path and query. */
export function useLocation(): { path: string; query: URLSearchParams } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const listener = () => setTick((n) => n + 1);
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, []);
  return { path: window.location.pathname, query: new URLSearchParams(window.location.search) };
}


/** Turns same-origin clicks on <a href="/app/..."> into navigate(); other links (API files, new tabs) as usual. */
export function interceptLinks(root: HTMLElement): () => void {
  const onClick = (event: MouseEvent) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    const anchor = (event.target as Element | null)?.closest("a");
    if (!anchor || anchor.target || anchor.hasAttribute("download") || anchor.origin !== window.location.origin) return;
    if (anchor.pathname !== BASE && !anchor.pathname.startsWith(BASE + "/")) return;
    event.preventDefault();
    navigate(anchor.pathname + anchor.search);
  };
  root.addEventListener("click", onClick);
  return () => root.removeEventListener("click", onClick);
}
