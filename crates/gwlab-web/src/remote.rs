//! The analysis worker: large inputs are analysed off the main thread, so typing and scrolling never
//! wait for the core.
//!
//! The worker (`web/worker.js`) instantiates the page's own compiled wasm module, handed over with
//! `postMessage`: nothing is downloaded or compiled a second time. In the worker, `main` does not
//! render; the script calls [`gwlab_worker`] with the text (or only new requests) and gets the
//! results as JSON (`engine::results_json`), which the page turns back into its view types.
use std::cell::RefCell;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::engine::{self, Computed};

/// Inputs at least this long (in bytes) are analysed by the worker; smaller ones take a few
/// milliseconds and stay on the main thread, where the answer is there in the same frame.
pub const WORKER_MIN_BYTES: usize = 256 * 1024;

thread_local! {
    /// The worker's last analysis, kept for requests routed without a new text.
    static LAST: RefCell<Option<Computed>> = const { RefCell::new(None) };
}

fn worker_now() -> f64 {
    js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}

/// Runs in the worker: analyses `text` (or reuses the last analysis when it is absent) and routes
/// the requests and the draft. Returns `engine::results_json`.
#[wasm_bindgen]
pub fn gwlab_worker(text: Option<String>, requests: Vec<String>, draft: String) -> String {
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if let Some(text) = text {
            *last = Some(engine::compute(&text, worker_now));
        }
        match last.as_ref() {
            Some(c) => engine::results_json(c, &requests, &draft),
            None => String::new(),
        }
    })
}

/// Runs in the worker: the notes of an export of the last analysis (what `verify.sh` will not
/// check), as a JSON array of strings, so the Export dialog of a large input never analyses on the
/// page's thread.
#[wasm_bindgen]
pub fn gwlab_worker_export_notes(requests: Vec<String>) -> String {
    LAST.with(|last| {
        let notes = last
            .borrow()
            .as_ref()
            .and_then(|c| c.analysis.as_ref())
            .map(|a| gwlab::export::export(a, &requests).notes);
        serde_json::to_string(&notes.unwrap_or_default()).unwrap_or_default()
    })
}

/// Runs in the worker: the lab bundle (a zip) of the last analysis, with the named version set.
#[wasm_bindgen]
pub fn gwlab_worker_export_zip(requests: Vec<String>, versions: String) -> Vec<u8> {
    let versions = gwlab::export::Versions::by_name(&versions).unwrap_or_default();
    LAST.with(|last| {
        let last = last.borrow();
        last.as_ref()
            .and_then(|c| c.analysis.as_ref())
            .map(|a| gwlab::export::export_zip(a, &requests, &versions))
            .unwrap_or_default()
    })
}

/// An answer of the worker.
pub enum Answer {
    /// Results of an analysis or of routing (`engine::results_json`).
    Results(String),
    /// The notes of an export.
    ExportNotes(Vec<String>),
    /// An exported lab bundle.
    ExportZip(Vec<u8>),
}

impl Answer {
    fn read(d: &JsValue) -> Option<Answer> {
        let get = |k: &str| {
            js_sys::Reflect::get(d, &k.into())
                .ok()
                .filter(|v| !v.is_undefined())
        };
        if let Some(json) = get("json").and_then(|v| v.as_string()) {
            return Some(Answer::Results(json));
        }
        if let Some(notes) = get("notes").and_then(|v| v.as_string()) {
            return Some(Answer::ExportNotes(serde_json::from_str(&notes).ok()?));
        }
        let zip = get("zip")?.dyn_into::<js_sys::Uint8Array>().ok()?;
        Some(Answer::ExportZip(zip.to_vec()))
    }
}

/// The page's handle on the worker.
pub struct Remote {
    worker: web_sys::Worker,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
    next: u32,
}

impl Remote {
    /// Starts the worker; `on_result(id, Some(answer))` gets each answer, `on_result(0, None)` tells that
    /// the worker failed (its script, the glue or the module could not be loaded, or it crashed).
    /// `None` when the browser cannot start it (no module workers, or the page was not loaded by
    /// the loader that scripts/build-web.sh writes into index.html).
    pub fn start(on_result: impl Fn(u32, Option<Answer>) + 'static) -> Option<Remote> {
        let doc = crate::dom::window().document()?;
        // The JS glue the page preloads (scripts/build-web.sh); the worker imports the same file.
        let glue = doc
            .query_selector("link[rel=modulepreload][href*='gwlab-web']")
            .ok()??
            .get_attribute("href")?;
        let glue = web_sys::Url::new_with_base(&glue, &doc.base_uri().ok()??)
            .ok()?
            .href();
        let opts = web_sys::WorkerOptions::new();
        opts.set_type(web_sys::WorkerType::Module);
        let worker = web_sys::Worker::new_with_options("worker.js", &opts).ok()?;
        let on_result = std::rc::Rc::new(on_result);
        let on_fail = on_result.clone();
        let on_message =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                let d = e.data();
                let id = js_sys::Reflect::get(&d, &"id".into())
                    .ok()
                    .and_then(|v| v.as_f64())
                    .unwrap_or(0.0) as u32;
                on_result(id, Answer::read(&d));
            });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let on_error =
            Closure::<dyn FnMut(web_sys::Event)>::new(move |_e: web_sys::Event| on_fail(0, None));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let init = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&init, &"glue".into(), &glue.into());
        let _ = js_sys::Reflect::set(&init, &"module".into(), &wasm_bindgen::module());
        worker.post_message(&init).ok()?;
        let remote = Remote {
            worker,
            _on_message: on_message,
            _on_error: on_error,
            next: 0,
        };
        if crate::admit::ready() {
            remote.load_admit();
        }
        Some(remote)
    }

    /// Has the worker load the API server's validation module too (once the page has it: the
    /// browser's cache then serves it), so its analyses validate as the page's do. Messages are
    /// handled in order, so an analysis posted after this one is validated.
    pub fn load_admit(&self) {
        let Some((glue, module)) = crate::admit::assets() else {
            return;
        };
        let msg = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&msg, &"admitGlue".into(), &glue.into());
        let _ = js_sys::Reflect::set(&msg, &"admitModule".into(), &module.into());
        let _ = self.worker.post_message(&msg);
    }

    /// Asks for an analysis of `text` (or, with `None`, only for the routing of the requests and the
    /// draft against the last one). Returns the id its answer will carry.
    pub fn post(&mut self, text: Option<&str>, requests: &[String], draft: &str) -> u32 {
        let text = text.map(JsValue::from).unwrap_or(JsValue::UNDEFINED);
        self.send(&[("text", text), ("draft", draft.into())], requests)
    }

    /// Asks for the notes of an export of the last analysis (`op` "notes") or for the bundle itself
    /// ("zip", with the version set `versions`). Returns the id its answer will carry.
    pub fn post_export(&mut self, op: &str, requests: &[String], versions: &str) -> u32 {
        self.send(
            &[("op", op.into()), ("versions", versions.into())],
            requests,
        )
    }

    /// Posts `{id, requests, ...fields}` with the next id, and returns that id.
    fn send(&mut self, fields: &[(&str, JsValue)], requests: &[String]) -> u32 {
        self.next += 1;
        let msg = js_sys::Object::new();
        let reqs: js_sys::Array = requests.iter().map(|r| JsValue::from(r.as_str())).collect();
        for (k, v) in [("id", JsValue::from(self.next)), ("requests", reqs.into())]
            .iter()
            .chain(fields)
        {
            let _ = js_sys::Reflect::set(&msg, &(*k).into(), v);
        }
        let _ = self.worker.post_message(&msg);
        self.next
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}
