//! Bindings to the CodeMirror glue (`web/editor/editor.js`, exposed as `window.gwlabEditor`).
//! When the glue is missing or fails, the app falls back to a plain textarea.
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = gwlabEditor, js_name = mount, catch)]
    fn cm_mount(
        parent: &web_sys::Element,
        text: &str,
        on_change: &js_sys::Function,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = gwlabEditor, js_name = setText, catch)]
    fn cm_set_text(text: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(js_namespace = gwlabEditor, js_name = setDiagnostics, catch)]
    fn cm_set_diagnostics(json: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(js_namespace = gwlabEditor, js_name = select, catch)]
    fn cm_select(from: usize, to: usize) -> Result<(), JsValue>;
}

pub fn available() -> bool {
    js_sys::Reflect::get(&crate::dom::window(), &"gwlabEditor".into())
        .map(|v| v.is_object())
        .unwrap_or(false)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Load {
    Ready,
    /// The script failed to load or to run (`window.gwlabEditorState = "failed"`, see [`load`]).
    Failed,
    /// Not run yet, or still loading: a `gwlab-editor` event on `window` tells when it is done,
    /// either way.
    Pending,
}

pub fn state() -> Load {
    if available() {
        return Load::Ready;
    }
    let st = js_sys::Reflect::get(&crate::dom::window(), &"gwlabEditorState".into())
        .ok()
        .and_then(|v| v.as_string());
    match st.as_deref() {
        Some("failed") | Some("loaded") => Load::Failed,
        _ => Load::Pending,
    }
}

/// Runs the editor bundle (`editor.js`, already being fetched thanks to the preload in index.html)
/// by adding its script element, once. Whatever happens, a `gwlab-editor` event follows: the bundle
/// sends it when it ran; the element's `error` (not fetched) or `load` (fetched but it threw before
/// announcing itself) handlers send it otherwise, with `gwlabEditorState` saying it failed. (In an
/// inline handler a bare `dispatchEvent` would be the element's own, so `window.` is spelled out.)
pub fn load() {
    let Some(doc) = crate::dom::window().document() else {
        return;
    };
    if doc.get_element_by_id("gwlab-editor-script").is_some() {
        return;
    }
    let Ok(script) = doc.create_element("script") else {
        return;
    };
    const FAILED: &str = "window.gwlabEditorState=window.gwlabEditorState||'failed';window.dispatchEvent(new Event('gwlab-editor'))";
    let _ = script.set_attribute("id", "gwlab-editor-script");
    let _ = script.set_attribute("onerror", FAILED);
    let _ = script.set_attribute("onload", FAILED);
    let _ = script.set_attribute("src", "editor.js");
    if let Some(head) = doc.head() {
        let _ = head.append_child(&script);
    }
}

/// Mounts CodeMirror; `false` when it could not be loaded (the caller shows the textarea instead).
pub fn mount(parent: &web_sys::Element, text: &str, on_change: &Closure<dyn Fn(String)>) -> bool {
    available() && cm_mount(parent, text, on_change.as_ref().unchecked_ref()).is_ok()
}

pub fn set_text(text: &str) {
    let _ = cm_set_text(text);
}

pub fn set_diagnostics(diags: &[crate::engine::Diag]) {
    let list: Vec<serde_json::Value> = diags
        .iter()
        .filter_map(|d| {
            let (from, to) = d.range?;
            Some(serde_json::json!({
                "from": from, "to": to, "severity": d.severity,
                "message": format!("{} [{}]", d.message, d.code), "source": d.code,
            }))
        })
        .collect();
    let _ = cm_set_diagnostics(&serde_json::Value::Array(list).to_string());
}

pub fn select(from: usize, to: usize) {
    let _ = cm_select(from, to);
}
