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

/// The page's handle on the worker.
pub struct Remote {
    worker: web_sys::Worker,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
    next: u32,
}

impl Remote {
    /// Starts the worker; `on_result(id, Some(json))` gets each answer, `on_result(0, None)` tells that
    /// the worker failed (its script, the glue or the module could not be loaded, or it crashed).
    /// `None` when the browser cannot start it (no module workers, or the page was not loaded by
    /// trunk's loader).
    pub fn start(on_result: impl Fn(u32, Option<String>) + 'static) -> Option<Remote> {
        let doc = crate::dom::window().document()?;
        // The JS glue trunk preloads; the worker imports the same file.
        let glue = doc
            .query_selector("link[rel=modulepreload][href*='gwlab-web']")
            .ok()??
            .get_attribute("href")?;
        let glue = web_sys::Url::new_with_base(&glue, &doc.base_uri().ok()??).ok()?.href();
        let opts = web_sys::WorkerOptions::new();
        opts.set_type(web_sys::WorkerType::Module);
        let worker = web_sys::Worker::new_with_options("worker.js", &opts).ok()?;
        let on_result = std::rc::Rc::new(on_result);
        let on_fail = on_result.clone();
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            let d = e.data();
            let id = js_sys::Reflect::get(&d, &"id".into()).ok().and_then(|v| v.as_f64()).unwrap_or(0.0) as u32;
            let json = js_sys::Reflect::get(&d, &"json".into()).ok().and_then(|v| v.as_string());
            on_result(id, json);
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_e: web_sys::Event| on_fail(0, None));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let init = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&init, &"glue".into(), &glue.into());
        let _ = js_sys::Reflect::set(&init, &"module".into(), &wasm_bindgen::module());
        worker.post_message(&init).ok()?;
        Some(Remote { worker, _on_message: on_message, _on_error: on_error, next: 0 })
    }

    /// Asks for an analysis of `text` (or, with `None`, only for the routing of the requests and the
    /// draft against the last one). Returns the id its answer will carry.
    pub fn post(&mut self, text: Option<&str>, requests: &[String], draft: &str) -> u32 {
        self.next += 1;
        let msg = js_sys::Object::new();
        let set = |k: &str, v: &JsValue| {
            let _ = js_sys::Reflect::set(&msg, &k.into(), v);
        };
        set("id", &self.next.into());
        set("text", &text.map(JsValue::from).unwrap_or(JsValue::UNDEFINED));
        let reqs = js_sys::Array::new();
        for r in requests {
            reqs.push(&r.into());
        }
        set("requests", &reqs);
        set("draft", &draft.into());
        let _ = self.worker.post_message(&msg);
        self.next
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}
