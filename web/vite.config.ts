import { defineConfig } from "vite";
import preact from "@preact/preset-vite";

// The built files: index.html, /static/<name>-<hash>.js|css (long-cached), and nothing inline: the pages run under
// a Content-Security-Policy without 'unsafe-inline' (infra/local/site.py, infra/cdk/site.py).
// /static, not Vite's /assets: /assets/* are the API's own (the web form's files) on the local server.
export default defineConfig({
  plugins: [preact()],
  build: {
    outDir: "dist",
    assetsDir: "static",
    emptyOutDir: true,
    target: "es2022",
    modulePreload: { polyfill: false },
    manifest: true, // dist/.vite/manifest.json: which chunks each page loads (bench/web_bench.py)
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
