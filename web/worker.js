// gwlab analysis worker. The page sends {glue, module} once: the URL of its wasm-bindgen glue and its
// compiled WebAssembly.Module, so the worker neither downloads nor compiles the wasm again. Then each
// {id, text, requests, draft} is answered with {id, json} (the results as JSON, see remote.rs), and
// an export of the last analysis, {id, op: "notes" | "zip", requests, versions}, with {id, notes}
// (a JSON array) or {id, zip} (the bundle's bytes, transferred). {admitGlue, admitModule} loads the
// API server's validation module (crates/gwlab-web-admit) beside the main one.
let ready = null;
const queue = [];

self.onmessage = (e) => {
  const d = e.data;
  if (d && d.glue) {
    ready = import(d.glue).then(async (m) => {
      await m.default({ module_or_path: d.module });
      return m;
    });
    return;
  }
  if (d && d.admitGlue) {
    // The API server's validation module, once the page has loaded it: analyses after this message
    // validate as the page's do. If it cannot be loaded, they read objects as written.
    const main = ready;
    ready = main.then(async (m) => {
      try {
        const a = await import(d.admitGlue);
        await a.default({ module_or_path: d.admitModule });
        self.gwlabAdmit = a.gwlab_admit;
      } catch (e) {
        // Left out: the main module's results stand without validation.
      }
      return m;
    });
    return;
  }
  queue.push(d);
  drain();
};

let draining = false;
async function drain() {
  if (draining) return;
  draining = true;
  let m;
  try {
    m = await ready;
  } catch (e) {
    // The glue or the module could not be loaded here: the page analyses on its own thread instead.
    self.postMessage({ failed: String(e) });
    return;
  }
  while (queue.length) {
    m = await ready; // a validation module asked for meanwhile is loaded before what follows it
    let d = queue.shift();
    // Only the newest text matters: skip analyses that a later message replaces (exports are never
    // skipped, and they run after the analysis that was asked for before them).
    while (!d.op && queue.length && queue[0].text !== undefined && !queue[0].op) d = queue.shift();
    try {
      if (d.op === "notes") {
        self.postMessage({ id: d.id, notes: m.gwlab_worker_export_notes(d.requests || []) });
      } else if (d.op === "zip") {
        const zip = m.gwlab_worker_export_zip(d.requests || [], d.versions || "");
        self.postMessage({ id: d.id, zip }, [zip.buffer]);
      } else {
        self.postMessage({ id: d.id, json: m.gwlab_worker(d.text, d.requests || [], d.draft || "") });
      }
    } catch (e) {
      self.postMessage({ failed: String(e) });
      return;
    }
  }
  draining = false;
}
