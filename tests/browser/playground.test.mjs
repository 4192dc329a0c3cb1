// What a person sees in the playground. Each test gets a fresh browser context (empty storage).
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";

// Screenshots go to an ignored folder; scripts/update-screenshots.sh writes the committed ones.
const SHOTS = process.env.GWLAB_SHOTS_DIR || "tests/browser/out/screenshots";

export const MINIMAL = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: eg
spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gw
spec:
  gatewayClassName: eg
  listeners:
  - name: http
    protocol: HTTP
    port: 80
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
spec:
  parentRefs:
  - name: gw
  hostnames: ["app.example.com"]
  rules:
  - backendRefs:
    - name: web
      port: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
`;

// Line 11 has a string where a port number belongs (the API server refuses the route); line 17 repeats a key.
export const BROKEN = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
spec:
  parentRefs:
  - name: gw
  rules:
  - backendRefs:
    - name: web
      port: eighty
---
apiVersion: v1
kind: Service
metadata:
  name: a
  name: b
`;

/** The benchmark's generated large configuration (crates/gwlab/benches/support/large_config.rs): 1 Gateway
 * with 20 listeners, 500 Services, 2,000 HTTPRoutes of 5 rules each; about 3 MB of YAML. */
export function largeConfig() {
  const parts = ["apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: eg}\nspec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n",
    "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: default}\nspec:\n  gatewayClassName: eg\n  listeners:\n"];
  for (let l = 0; l < 20; l++) parts.push(`  - name: l${l}\n    port: 80\n    protocol: HTTP\n    hostname: "h${l}.example.com"\n    allowedRoutes: {namespaces: {from: All}}\n`);
  for (let i = 0; i < 500; i++) parts.push(`---\napiVersion: v1\nkind: Service\nmetadata: {name: svc-${i}, namespace: default}\nspec:\n  selector: {app: svc-${i}}\n  ports: [{port: 80, targetPort: 8080}]\n`);
  for (let r = 0; r < 2000; r++) {
    const l = r % 20;
    parts.push(`---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r${r}, namespace: default}\nspec:\n  parentRefs: [{name: gw, sectionName: l${l}}]\n  hostnames: ["h${l}.example.com"]\n  rules:\n`);
    for (let k = 0; k < 5; k++) {
      const svc = (r * 5 + k) % 500;
      parts.push(`  - matches:\n    - path: {type: PathPrefix, value: /r${r}/k${k}}\n      headers: [{name: x-rule, value: "${k}"}]\n    backendRefs:\n    - {name: svc-${svc}, port: 80, weight: 90}\n    - {name: svc-${(svc + 1) % 500}, port: 80, weight: 10}\n`);
    }
  }
  return parts.join("");
}

async function open(page, base, query = "") {
  await page.goto(base + query);
  await ready(page);
}

/** Ready: the first analysis is in, the editor is mounted (CodeMirror or the textarea), and the API server's
 * validation module has loaded (or failed to) and its analysis is in. */
async function ready(page) {
  await page.waitForFunction(() => document.documentElement.dataset.editor && window.__gwlab && window.__gwlab.firstRender
    && window.__gwlab.analyses >= 1 && window.__gwlab.admitSettled);
}

async function analyses(page) {
  return page.evaluate(() => window.__gwlab.analyses);
}

async function waitAnalysis(page, before) {
  await page.waitForFunction((n) => window.__gwlab.analyses > n, before, { timeout: 5000 });
}

/** Replaces the editor's text the way a person would (select all, type/paste), then waits for the result. */
async function setManifests(page, text) {
  const before = await analyses(page);
  const editor = page.getByRole("textbox", { name: "Manifests" });
  await editor.click();
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(text);
  await waitAnalysis(page, before);
}

async function editorText(page) {
  return page.evaluate(() =>
    document.documentElement.dataset.editor === "codemirror"
      ? window.gwlabEditor.getText()
      : document.getElementById("manifests-fallback").value);
}

async function runRequest(page, line) {
  const box = page.getByRole("textbox", { name: "Request" });
  await box.fill(line);
  await box.press("Enter");
  return page.getByRole("region", { name: "Result", exact: true });
}

async function focused(page, id) {
  await page.waitForFunction((id) => document.activeElement && document.activeElement.id === id, id, { timeout: 2000 })
    .catch(async () => assert.equal(await page.evaluate(() => document.activeElement.id), id));
}

async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.waitForTimeout(150);
  await page.screenshot({ path: `${SHOTS}/${name}.png` });
}

export default function ({ test }) {
  test("loads the page with a scenario, the editor and the result panels", async ({ page, base }) => {
    await open(page, base);
    assert.equal(await page.title(), "gwlab — Gateway API playground");
    assert.equal(await page.evaluate(() => document.documentElement.dataset.editor), "codemirror");
    await page.getByRole("textbox", { name: "Manifests" }).waitFor();
    await page.getByRole("textbox", { name: "Request" }).waitFor();
    await page.getByRole("region", { name: "Result", exact: true }).waitFor();
    await page.getByRole("list", { name: "Problems" }).waitFor();
    await page.getByRole("button", { name: "Share", exact: true }).waitFor();
    await page.getByRole("button", { name: "Export" }).waitFor();
    const scenario = await page.getByRole("combobox", { name: "Scenario" }).inputValue();
    const text = await editorText(page);
    if (scenario) assert.match(scenario, /^01-/, "scenario 01 is loaded by default");
    assert.ok(text.includes("kind:"), "the editor shows manifests");
  });

  test("a typed mistake shows up in Problems and in the editor at its line", async ({ page, base }) => {
    await open(page, base);
    await setManifests(page, BROKEN);
    assert.equal(await editorText(page), BROKEN);
    const problems = page.getByRole("list", { name: "Problems" });
    const port = problems.locator("li.problem", { hasText: "spec.rules[0].backendRefs[0].port" });
    await port.waitFor();
    assert.equal(await port.getAttribute("data-line"), "11");
    assert.equal((await port.locator("button.pos").innerText()).trim(), "11:13");
    assert.equal(await port.locator("button.code").innerText(), "api-rejected");
    assert.match(await port.innerText(), /The HTTPRoute "web" is invalid/);
    const dup = problems.locator("li.problem", { hasText: "duplicate key" });
    assert.equal(await dup.getAttribute("data-line"), "17");
    // The editor underlines it and marks the gutter.
    await page.locator(".cm-lintRange-error").first().waitFor();
    assert.ok(await page.locator(".cm-lint-marker-error").count() >= 2);
    // Jump from the problem to the position.
    await port.locator("button.pos").click();
    const active = await page.locator(".cm-activeLine").innerText();
    assert.match(active, /port: eighty/);
    // Learn: the code opens its explanation.
    await port.locator("button.code").click();
    await page.locator("#panel-learn").waitFor();
  });

  test("a request line shows its backend and trace", async ({ page, base }) => {
    await open(page, base);
    await setManifests(page, MINIMAL);
    const result = await runRequest(page, "GET http://app.example.com/hello");
    await result.locator(".backend").first().waitFor({ timeout: 3000 });
    assert.equal(await result.locator(".backend").first().innerText(), "default/web:80");
    assert.ok(await result.locator(".trace li").count() > 0, "the trace explains the decision");
    // A bad line is explained, not crashed on.
    const bad = await runRequest(page, "FETCH nothing");
    await bad.locator(".bad-request").waitFor();
  });

  test("the API server's validation arrives after the first result: refused objects and defaults are shown", async ({ page, base }) => {
    await open(page, base);
    const t = await page.evaluate(() => window.__gwlab);
    assert.ok(t.admitReady >= t.firstResult, "the validation module is loaded after the first result");
    // The route's rule without matches gets the CRD's default match, and the status view says so.
    await setManifests(page, MINIMAL);
    await page.getByRole("tab", { name: /Status/ }).click();
    const route = page.locator("details.status", { hasText: "HTTPRoute/default/web" });
    assert.match(await route.locator("p.defaulted").textContent(), /spec\.rules\[0\]\.matches/);
    // Two listeners named alike: the API server refuses the Gateway, and nothing uses it.
    await setManifests(page, MINIMAL.replace("    port: 80\n---", "    port: 80\n  - name: http\n    protocol: HTTP\n    port: 81\n---"));
    const gw = page.locator("details.status", { hasText: "Gateway/default/gw" });
    await gw.locator(".chip", { hasText: "refused by the API server" }).waitFor({ timeout: 5000 });
    assert.match(await gw.locator("pre.refused").innerText(), /The Gateway "gw" is invalid: spec\.listeners\[1\]: Duplicate value/);
    await page.getByRole("tab", { name: /Problems/ }).click();
    const refusal = page.getByRole("list", { name: "Problems" }).locator("li.problem", { hasText: "Duplicate value" });
    assert.equal(await refusal.locator("button.code").innerText(), "api-rejected");
    await shot(page, "api-server-refusal");
  });

  test("what-if: a pinned baseline highlights requests whose answer changed", async ({ page, base }) => {
    await open(page, base);
    await setManifests(page, MINIMAL);
    await runRequest(page, "GET http://app.example.com/");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByRole("tab", { name: /Requests/ }).click();
    await page.getByRole("button", { name: "Pin baseline" }).click();
    assert.equal(await page.locator(".saved.changed").count(), 0);
    await setManifests(page, MINIMAL.replace("    - name: web\n      port: 80", "    - name: api\n      port: 80")
      + "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: api\nspec:\n  selector:\n    app: api\n  ports:\n  - port: 80\n");
    const changed = page.locator(".saved.changed", { hasText: "GET http://app.example.com/" }).first();
    await changed.waitFor();
    // A request the edit does not touch stays as it was.
    const unchanged = await page.locator(".saved:not(.changed)").allInnerTexts();
    assert.ok(unchanged.some((t) => t.includes("anything.test")), "an unaffected request is not flagged");
    assert.match(await changed.locator(".before").innerText(), /default\/web:80/);
    assert.match(await changed.locator(".after").innerText(), /default\/api:80/);
  });

  test("a share link opens the same manifests and requests in a fresh page", async ({ page, context, browser, base }) => {
    await open(page, base);
    await setManifests(page, MINIMAL + "# shared ✓\n");
    await page.getByRole("textbox", { name: "Request" }).fill("GET http://app.example.com/shared");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByRole("button", { name: "Share", exact: true }).click();
    const link = await page.evaluate(() => navigator.clipboard.readText());
    assert.match(link, /#s=[A-Za-z0-9_-]+$/);
    const other = await browser.newContext();
    try {
      const p2 = await other.newPage();
      await open(p2, link, "");
      assert.equal(await editorText(p2), MINIMAL + "# shared ✓\n");
      await p2.getByRole("tab", { name: /Requests/ }).click();
      assert.match(await p2.locator(".request-list").innerText(), /GET http:\/\/app.example.com\/shared/);
    } finally {
      await other.close();
    }
  });

  test("reload keeps edits; Reset brings the scenario back", async ({ page, base }) => {
    await open(page, base);
    const original = await editorText(page);
    await setManifests(page, "# my edits\n" + MINIMAL);
    await page.reload();
    await ready(page);
    assert.equal(await editorText(page), "# my edits\n" + MINIMAL);
    // Also without the fragment: the autosave alone restores it.
    await open(page, base);
    assert.equal(await editorText(page), "# my edits\n" + MINIMAL);
    await page.getByRole("button", { name: "Reset" }).click();
    assert.equal(await editorText(page), original);
  });

  test("embed layout: editor and results only, with an open-in-gwlab link", async ({ page, base }) => {
    await open(page, base, "?embed=1");
    assert.equal(await page.locator(".topbar").count(), 0);
    await page.getByRole("textbox", { name: "Manifests" }).waitFor();
    await page.getByRole("region", { name: "Result", exact: true }).waitFor();
    const link = page.getByRole("link", { name: /Open in gwlab/ });
    assert.match(await link.getAttribute("href"), /#s=/);
    assert.doesNotMatch(await link.getAttribute("href"), /embed/);
    // Embeds never overwrite the visitor's own saved state.
    await setManifests(page, MINIMAL);
    assert.equal(await page.evaluate(() => localStorage.getItem("gwlab.state.v1")), null);
    await shot(page, "embed-light");
  });

  test("without the editor bundle, a plain textarea still works", async ({ page, base }) => {
    await page.route(/editor\.js$/, (r) => r.abort());
    await open(page, base);
    assert.equal(await page.evaluate(() => document.documentElement.dataset.editor), "textarea");
    await setManifests(page, BROKEN);
    const port = page.getByRole("list", { name: "Problems" }).locator("li.problem", { hasText: "backendRefs[0].port" });
    await port.waitFor();
    await port.locator("button.pos").click();
    const sel = await page.evaluate(() => {
      const t = document.getElementById("manifests-fallback");
      return t.value.slice(t.selectionStart, t.selectionEnd);
    });
    assert.equal(sel, "eighty");
  });

  test("keyboard: tabs move with the arrow keys", async ({ page, base }) => {
    await open(page, base);
    await page.getByRole("tab", { name: /Problems/ }).focus();
    await page.keyboard.press("ArrowRight");
    assert.equal(await page.getByRole("tab", { name: /Status/ }).getAttribute("aria-selected"), "true");
    await page.keyboard.press("End");
    assert.equal(await page.getByRole("tab", { name: /Learn/ }).getAttribute("aria-selected"), "true");
    await page.getByRole("tab", { name: /Routes/ }).click();
    await page.getByRole("table", { name: "Routes" }).waitFor();
  });

  test("Export downloads gwlab-lab.zip with the chosen versions", async ({ page, base }) => {
    await open(page, base);
    await page.getByRole("button", { name: "Export" }).click();
    const dialog = page.getByRole("dialog", { name: "Export a lab" });
    await dialog.waitFor();
    const versions = dialog.getByRole("combobox", { name: "Versions" });
    const names = await versions.locator("option").evaluateAll((os) => os.map((o) => o.value));
    assert.deepEqual(names, ["current", "original-plan"]);
    assert.equal(await versions.inputValue(), "current");
    await versions.selectOption("original-plan");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      dialog.getByRole("button", { name: "Download gwlab-lab.zip" }).click(),
    ]);
    assert.equal(download.suggestedFilename(), "gwlab-lab.zip");
    const { readFileSync } = await import("node:fs");
    const zip = readFileSync(await download.path());
    assert.equal(zip.subarray(0, 2).toString(), "PK");
    // Entries are stored (not compressed): names and file contents can be found in the bytes.
    const text = zip.toString("latin1");
    for (const f of ["gwlab-lab/verify.sh", "gwlab-lab/install.sh", "gwlab-lab/README.md", "gwlab-lab/expect.yaml"]) {
      assert.ok(text.includes(f), `the zip has ${f}`);
    }
    assert.ok(text.includes("kindest/node:v1.32.2"), "the original-plan versions are used");
    await dialog.waitFor({ state: "detached" });
  });

  test("Export lists what the lab will not check, and Escape closes it", async ({ page, base }) => {
    await open(page, base);
    const box = page.getByRole("textbox", { name: "Request" });
    await box.fill("not a request");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByRole("button", { name: "Export" }).click();
    const dialog = page.getByRole("dialog", { name: "Export a lab" });
    await dialog.waitFor();
    const notes = dialog.getByRole("region", { name: "Export notes" });
    assert.match(await notes.innerText(), /not a request/);
    // Focus moves in a task after the render: wait for it rather than race it.
    await focused(page, "export-download");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    await focused(page, "export-open");
  });

  for (const theme of ["light", "dark"]) {
    test(`screenshots (${theme})`, async ({ page, base }) => {
      await open(page, base, `?theme=${theme}`);
      const first = await page.getByRole("textbox", { name: "Request" }).inputValue();
      if (first) await runRequest(page, first);
      await page.getByRole("tab", { name: /Requests/ }).click();
      const trace = page.getByRole("button", { name: "Trace" }).first();
      if (await trace.count()) await trace.click();
      await shot(page, `requests-${theme}`);
      await page.getByRole("tab", { name: /Status/ }).click();
      await shot(page, `status-${theme}`);
      await page.getByRole("tab", { name: /Routes/ }).click();
      await shot(page, `routes-${theme}`);
      await page.getByRole("tab", { name: /Graph/ }).click();
      await shot(page, `graph-${theme}`);
      await page.getByRole("button", { name: "Export" }).click();
      await page.getByRole("dialog", { name: "Export a lab" }).waitFor();
      await shot(page, `export-${theme}`);
      await page.keyboard.press("Escape");
      await setManifests(page, BROKEN);
      await page.getByRole("tab", { name: /Problems/ }).click();
      await shot(page, `problems-${theme}`);
    }, { colorScheme: theme });
  }

  test("a large input is analysed in a worker while the page stays responsive", async ({ page, base }) => {
    await open(page, base);
    const big = largeConfig();
    assert.ok(big.length > 2_500_000, `large config is ${big.length} bytes`);
    // A requestAnimationFrame heartbeat: frames keep coming only while the main thread is free.
    await page.evaluate(() => {
      window.__beats = 0;
      const tick = () => { window.__beats++; requestAnimationFrame(tick); };
      requestAnimationFrame(tick);
    });
    const before = await analyses(page);
    await page.getByRole("textbox", { name: "Manifests" }).click();
    // Pasted, as a person would (typing 3 MB through the input pipeline is not what anyone does).
    await page.evaluate((text) => {
      const el = document.querySelector(".cm-content");
      const data = new DataTransfer();
      data.setData("text/plain", text);
      document.execCommand("selectAll");
      el.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
    }, big);
    // The page renders while the analysis runs: with the analysis on the main thread this state is never painted.
    const status = page.locator(".statusbar");
    await status.getByText("analyzing…").waitFor({ timeout: 10000 });
    const beats = await page.evaluate(() => window.__beats);
    // Typing goes on meanwhile.
    const box = page.getByRole("textbox", { name: "Request" });
    await box.fill("");
    await box.pressSequentially("GET http://h3.example.com/r3/k1/item -H 'x-rule: 1'");
    assert.equal(await box.inputValue(), "GET http://h3.example.com/r3/k1/item -H 'x-rule: 1'");
    const stillAnalyzing = await status.getByText("analyzing…").count();
    await page.waitForFunction((b) => window.__beats > b + 5, beats, { timeout: 10000 });
    // Then the result arrives: 2,000 routes × 5 rules in the routing table, no problems.
    await page.waitForFunction((n) => window.__gwlab.analyses > n, before, { timeout: 120000 });
    await status.getByText(/analyzed in/).waitFor();
    await page.getByRole("tab", { name: /Routes/ }).getByText(/^\d{4,}$/).waitFor();
    assert.equal(await editorText(page).then((t) => t.length), big.length);
    // Requests are routed by the worker too.
    await box.press("Enter");
    await page.getByRole("region", { name: "Result", exact: true }).getByText("svc-", { exact: false }).first().waitFor({ timeout: 30000 });
    console.log(`      large input: ${big.length} bytes; typed ${stillAnalyzing ? "while the analysis was still running" : "(analysis had finished)"}`);
    // Export is made by the worker too, from its analysis: the page keeps drawing meanwhile.
    await page.getByRole("button", { name: "Export" }).click();
    const dialog = page.getByRole("dialog", { name: "Export a lab" });
    await dialog.waitFor();
    const beforeExport = await page.evaluate(() => window.__beats);
    const [download] = await Promise.all([
      page.waitForEvent("download", { timeout: 60000 }),
      dialog.getByRole("button", { name: "Download gwlab-lab.zip" }).click(),
    ]);
    const { readFileSync } = await import("node:fs");
    const zip = readFileSync(await download.path());
    assert.equal(zip.subarray(0, 2).toString(), "PK");
    assert.ok(zip.toString("latin1").includes("svc-499"), "the bundle has the large input's Services");
    assert.equal(await page.evaluate(() => window.__gwlab.exportedBy), 1, "the worker made the bundle");
    assert.ok(await page.evaluate((b) => window.__beats > b, beforeExport), "frames kept coming during the export");
  });

  test("without the worker script, a large input is still analysed (on the page's thread)", async ({ page, context, base }) => {
    await context.route(/worker\.js$/, (r) => r.abort());
    await open(page, base);
    const big = largeConfig();
    const before = await analyses(page);
    await page.getByRole("textbox", { name: "Manifests" }).click();
    await page.evaluate((text) => {
      const data = new DataTransfer();
      data.setData("text/plain", text);
      document.execCommand("selectAll");
      document.querySelector(".cm-content").dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
    }, big);
    await page.waitForFunction((n) => window.__gwlab.analyses > n, before, { timeout: 120000 });
    await page.locator(".statusbar").getByText(/analyzed in/).waitFor();
    await page.getByRole("tab", { name: /Routes/ }).getByText(/^\d{4,}$/).waitFor();
  });

  test("performance report (printed, not asserted)", async ({ page, base }) => {
    await open(page, base);
    const boot = await page.evaluate(() => {
      const res = performance.getEntriesByType("resource");
      const end = (re) => Math.round((res.find((r) => re.test(r.name)) || {}).responseEnd || 0);
      const paint = (n) => Math.round((performance.getEntriesByName(n)[0] || {}).startTime || 0);
      const nav = performance.getEntriesByType("navigation")[0];
      return { html: Math.round(nav.responseEnd), editorJs: end(/editor\.js/), wasm: end(/\.wasm/), glueJs: end(/gwlab-web-[0-9a-f]+\.js/),
        domContentLoaded: Math.round(nav.domContentLoadedEventEnd), firstPaint: paint("first-paint"), firstContentfulPaint: paint("first-contentful-paint"),
        appStart: Math.round(window.__gwlab.appStart), firstAnalyzeMs: +window.__gwlab.firstAnalyzeMs.toFixed(1),
        editorMountMs: +(window.__gwlab.editorMountMs || 0).toFixed(1), firstRender: Math.round(window.__gwlab.firstRender),
        firstResult: Math.round(window.__gwlab.firstResult) };
    });
    const firstRender = boot.firstRender;
    const rows = [];
    const options = await page.locator("select[aria-label=Scenario] option").evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
    for (const slug of options) {
      const before = await analyses(page);
      await page.getByRole("combobox", { name: "Scenario" }).selectOption(slug);
      await waitAnalysis(page, before);
      // Five edits: one character typed at the end of the document each time; the median is reported,
      // with the first (the code that renders this scenario's panels may not have run yet) and the max.
      const samples = [];
      await page.getByRole("textbox", { name: "Manifests" }).click();
      await page.keyboard.press("Control+End");
      for (let i = 0; i < 5; i++) {
        const n = await analyses(page);
        await page.keyboard.type("#");
        await waitAnalysis(page, n);
        samples.push(await page.evaluate(() => ({ analyze: window.__gwlab.analyzeMs, edit: window.__gwlab.editToResult })));
      }
      const med = (k) => samples.map((x) => x[k]).sort((a, b) => a - b)[2];
      rows.push({ scenario: slug, analyzeMs: +med("analyze").toFixed(2), editToResultMs: +med("edit").toFixed(2),
        firstEditMs: +samples[0].edit.toFixed(2), maxEditMs: +Math.max(...samples.map((x) => x.edit)).toFixed(2) });
    }
    if (!options.length) {
      const n = await analyses(page);
      await setManifests(page, MINIMAL);
      await waitAnalysis(page, n).catch(() => {});
      const m = await page.evaluate(() => ({ analyze: window.__gwlab.analyzeMs, edit: window.__gwlab.editToResult }));
      rows.push({ scenario: "(minimal)", analyzeMs: +m.analyze.toFixed(2), editToResultMs: +m.edit.toFixed(2) });
    }
    console.log(`      first render: ${firstRender} ms after navigation start (html ${boot.html}, editor.js ${boot.editorJs}, glue ${boot.glueJs}, wasm ${boot.wasm} loaded; DOMContentLoaded ${boot.domContentLoaded}; app started ${boot.appStart}; first analysis ${boot.firstAnalyzeMs} ms; editor mount ${boot.editorMountMs} ms; first contentful paint ${boot.firstContentfulPaint}; first result on screen ${boot.firstResult})`);
    console.log("      edit → result (core analysis + render, excluding the 120 ms typing debounce):");
    console.log("        (median of 5 edits; first and max in brackets)");
    for (const r of rows) console.log(`        ${r.scenario.padEnd(30)} analyze ${String(r.analyzeMs).padStart(6)} ms   edit→result ${String(r.editToResultMs).padStart(6)} ms  [first ${r.firstEditMs ?? "-"}, max ${r.maxEditMs ?? "-"}]`);
    mkdirSync("tests/browser/out", { recursive: true });
    writeFileSync("tests/browser/out/perf.json", JSON.stringify({ boot, rows }, null, 2));
  });
}
