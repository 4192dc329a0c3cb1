// A small test runner over playwright-core: runs every `*.test.mjs` in this folder against GWLAB_URL,
// each test in a fresh browser context, and closes with `N passed, M failed`.
// Usage: GWLAB_URL=http://127.0.0.1:8080/ node tests/browser/run.mjs [name filter]
import { chromium } from "playwright-core";
import { mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const base = process.env.GWLAB_URL || "http://127.0.0.1:8080/";
const filter = process.argv[2] || "";
const only = (name) => name.toLowerCase().startsWith(filter.toLowerCase());
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";

const tests = [];
const api = {
  test: (name, fn, opts = {}) => tests.push({ name, fn, opts }),
};
for (const f of readdirSync(here).filter((f) => f.endsWith(".test.mjs")).sort()) {
  const mod = await import(pathToFileURL(join(here, f)).href);
  mod.default(api);
}

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});

let passed = 0, failed = 0, skipped = 0;
for (const t of tests.filter((t) => only(t.name))) {
  const context = await browser.newContext({
    viewport: t.opts.viewport || { width: 1280, height: 800 },
    colorScheme: t.opts.colorScheme || "light",
    permissions: ["clipboard-read", "clipboard-write"],
    acceptDownloads: true,
  });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  const started = Date.now();
  try {
    const r = await t.fn({ page, context, browser, base, errors });
    if (r === "skip") {
      skipped++;
      console.log(`skip  ${t.name}`);
    } else {
      if (errors.length) throw new Error(`uncaught page errors: ${errors.join("; ")}`);
      passed++;
      console.log(`ok    ${t.name} (${Date.now() - started} ms)`);
    }
  } catch (e) {
    failed++;
    mkdirSync(join(here, "out"), { recursive: true });
    await page.screenshot({ path: join(here, "out", t.name.replace(/[^a-z0-9]+/gi, "-") + ".png") }).catch(() => {});
    console.log(`FAIL  ${t.name}\n      ${String(e && e.stack || e).split("\n").slice(0, 6).join("\n      ")}`);
  } finally {
    await context.close();
  }
}
await browser.close();
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed ? 1 : 0);
