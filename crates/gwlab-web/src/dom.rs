//! Small browser helpers: storage, URL, clipboard, timing.
use wasm_bindgen::JsCast;

pub fn window() -> web_sys::Window {
    web_sys::window().expect("a window")
}

/// Fetches a text file next to the page; `None` on any failure.
pub async fn fetch_text(url: &str) -> Option<String> {
    use wasm_bindgen_futures::JsFuture;
    let resp: web_sys::Response = JsFuture::from(window().fetch_with_str(url))
        .await
        .ok()?
        .dyn_into()
        .ok()?;
    if !resp.ok() {
        return None;
    }
    JsFuture::from(resp.text().ok()?).await.ok()?.as_string()
}

/// Runs `f` in a task after the next paint (a timeout set from an animation frame callback), or
/// after 200 ms if no frame comes (a page opened in a background tab).
pub fn after_paint(f: impl FnOnce() + 'static) {
    use gloo::timers::callback::Timeout;
    use std::{cell::RefCell, rc::Rc};
    /// The callback, taken by whichever of the frame and the fallback timeout comes first.
    type Once = Rc<RefCell<Option<Box<dyn FnOnce()>>>>;
    let slot: Once = Rc::new(RefCell::new(Some(Box::new(f))));
    let run = |slot: Once| {
        let f = slot.borrow_mut().take();
        if let Some(f) = f {
            f();
        }
    };
    let s = slot.clone();
    let cb = wasm_bindgen::closure::Closure::once_into_js(move || {
        Timeout::new(0, move || run(s)).forget()
    });
    let _ = window().request_animation_frame(cb.unchecked_ref());
    Timeout::new(200, move || run(slot)).forget();
}

pub fn now() -> f64 {
    window().performance().map(|p| p.now()).unwrap_or(0.0)
}

pub fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

pub fn load(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

pub fn save(key: &str, value: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(key, value);
    }
}

pub fn remove(key: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(key);
    }
}

pub fn hash() -> String {
    window().location().hash().unwrap_or_default()
}

pub fn search() -> String {
    window().location().search().unwrap_or_default()
}

pub fn query_flag(name: &str) -> Option<String> {
    let q = search();
    q.trim_start_matches('?').split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == name).then(|| v.to_string())
    })
}

/// Replaces the fragment without adding a history entry or firing `hashchange`.
pub fn replace_hash(fragment: &str) {
    let loc = window().location();
    let base = format!(
        "{}{}",
        loc.pathname().unwrap_or_default(),
        loc.search().unwrap_or_default()
    );
    let url = if fragment.is_empty() {
        base
    } else {
        format!("{base}#{fragment}")
    };
    if let Ok(h) = window().history() {
        let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

/// The page URL without query or fragment.
pub fn base_url() -> String {
    let loc = window().location();
    format!(
        "{}{}",
        loc.origin().unwrap_or_default(),
        loc.pathname().unwrap_or_default()
    )
}

pub fn copy_to_clipboard(text: &str) {
    let _ = window().navigator().clipboard().write_text(text);
}

pub fn set_root_attr(name: &str, value: &str) {
    if let Some(el) = window().document().and_then(|d| d.document_element()) {
        let _ = el.set_attribute(name, value);
    }
}

pub fn prefers_dark() -> bool {
    window()
        .match_media("(prefers-color-scheme: dark)")
        .ok()
        .flatten()
        .map(|m| m.matches())
        .unwrap_or(false)
}

/// Publishes a number on `window.__gwlab` (read by the browser tests and the perf report).
/// Whether `window.__gwlab[key]` is set.
pub fn published(key: &str) -> bool {
    js_sys::Reflect::get(&window(), &"__gwlab".into())
        .ok()
        .filter(|v| v.is_object())
        .and_then(|o| js_sys::Reflect::get(&o, &key.into()).ok())
        .is_some_and(|v| !v.is_undefined())
}

pub fn publish(key: &str, value: f64) {
    let w = window();
    let obj = js_sys::Reflect::get(&w, &"__gwlab".into())
        .ok()
        .filter(|v| v.is_object())
        .unwrap_or_else(|| {
            let o = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&w, &"__gwlab".into(), &o);
            o.into()
        });
    let _ = js_sys::Reflect::set(&obj, &key.into(), &value.into());
}

pub fn focus_by_id(id: &str) {
    if let Some(el) = window().document().and_then(|d| d.get_element_by_id(id)) {
        if let Ok(h) = el.dyn_into::<web_sys::HtmlElement>() {
            let _ = h.focus();
        }
    }
}

/// Focuses an element after the current render has put it into the page.
pub fn focus_by_id_later(id: &str) {
    let id = id.to_string();
    gloo::timers::callback::Timeout::new(0, move || focus_by_id(&id)).forget();
}

/// Makes the browser save `bytes` as `file_name`, through a temporary object URL. False when the
/// browser refused.
pub fn download(file_name: &str, mime: &str, bytes: &[u8]) -> bool {
    let Some(doc) = window().document() else {
        return false;
    };
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &opts) else {
        return false;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return false;
    };
    let Some(a) = doc
        .create_element("a")
        .ok()
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    else {
        let _ = web_sys::Url::revoke_object_url(&url);
        return false;
    };
    a.set_href(&url);
    a.set_download(file_name);
    a.set_hidden(true);
    if let Some(body) = doc.body() {
        let _ = body.append_child(&a);
    }
    a.click();
    a.remove();
    // The download has started reading the blob by the next task; revoke a little later to be safe.
    gloo::timers::callback::Timeout::new(10_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
    true
}
