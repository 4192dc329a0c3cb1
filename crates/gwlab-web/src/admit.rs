//! The API server's validation, from the playground's second module.
//!
//! The main bundle leaves the validator out (its size budget), so the page loads
//! `gwlab-web-admit` after the first paint and publishes its entry point as
//! `globalThis.gwlabAdmit` (in the page, and in the analysis worker). Until it is there, analyses
//! read objects as written, as before; once it is, [`load_options`] hands the core an admitter that
//! asks it, and the app analyses again (`Msg::Analyze` on the window's `gwlab-admit` event), so
//! refused objects show as refused and defaults are filled in.

use gwlab::admission::Admission;
use gwlab::model::LoadOptions;
use serde_json::{json, Map, Value};

/// The load options of an analysis: validation on when the second module is loaded.
pub fn load_options() -> LoadOptions {
    let ready = ready();
    LoadOptions {
        api_server: ready,
        admitter: ready.then_some(admit_via_module as gwlab::admission::Admitter),
        ..LoadOptions::default()
    }
}

/// Starts loading the validation module on the page (`globalThis.gwlabLoadAdmit`, defined by the
/// loader that scripts/build-web.sh writes into index.html); it ends with a `gwlab-admit` event on
/// the window, loaded or not. Does nothing on a page without that loader.
#[cfg(target_arch = "wasm32")]
pub fn load() {
    use wasm_bindgen::JsCast;
    if let Some(f) = js_sys::Reflect::get(&js_sys::global(), &"gwlabLoadAdmit".into())
        .ok()
        .and_then(|v| v.dyn_into::<js_sys::Function>().ok())
    {
        let _ = f.call0(&wasm_bindgen::JsValue::NULL);
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub fn load() {}

/// The validation module's glue and wasm URLs (`globalThis.gwlabAdmitAssets`), for the worker.
#[cfg(target_arch = "wasm32")]
pub fn assets() -> Option<(String, String)> {
    let a = js_sys::Reflect::get(&js_sys::global(), &"gwlabAdmitAssets".into()).ok()?;
    let get = |k: &str| js_sys::Reflect::get(&a, &k.into()).ok()?.as_string();
    Some((get("glue")?, get("module")?))
}

#[cfg(not(target_arch = "wasm32"))]
pub fn assets() -> Option<(String, String)> {
    None
}

/// Whether the validation module is loaded here (page or worker).
#[cfg(target_arch = "wasm32")]
pub fn ready() -> bool {
    entry().is_some()
}

#[cfg(not(target_arch = "wasm32"))]
pub fn ready() -> bool {
    false
}

#[cfg(target_arch = "wasm32")]
fn entry() -> Option<js_sys::Function> {
    use wasm_bindgen::JsCast;
    js_sys::Reflect::get(&js_sys::global(), &"gwlabAdmit".into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()
}

/// Sends one request to the module and returns its answer ("" when there is none).
#[cfg(target_arch = "wasm32")]
fn call(request: &str) -> String {
    entry()
        .and_then(|f| f.call1(&wasm_bindgen::JsValue::NULL, &request.into()).ok())
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

#[cfg(not(target_arch = "wasm32"))]
fn call(_request: &str) -> String {
    String::new()
}

/// An [`gwlab::admission::Admitter`] that asks the validation module. An answer that does not read
/// back (the module failed) admits the object as written, as without the module.
fn admit_via_module(
    api_version: &str,
    kind: &str,
    namespaced: bool,
    default_namespace: &str,
    object: &mut Map<String, Value>,
) -> Admission {
    let request = json!({
        "apiVersion": api_version,
        "kind": kind,
        "namespaced": namespaced,
        "defaultNamespace": default_namespace,
        "object": object,
    });
    read_answer(&call(&request.to_string()), object)
}

/// Reads the module's answer: the verdict, and the pruned and defaulted object put in place.
fn read_answer(answer: &str, object: &mut Map<String, Value>) -> Admission {
    #[derive(serde::Deserialize)]
    struct Answer {
        admission: Admission,
        object: Map<String, Value>,
    }
    match serde_json::from_str::<Answer>(answer) {
        Ok(a) => {
            *object = a.object;
            a.admission
        }
        Err(_) => Admission::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_replaces_the_object_and_gives_the_verdict() {
        let mut obj = Map::new();
        obj.insert("spec".into(), json!({}));
        let a = read_answer(
            r#"{"admission":{"refusals":[{"ptr":"/metadata/name","field":"metadata.name","detail":"Required value"}],"pruned":[],"defaulted":["/spec/x"],"unevaluated":[]},"object":{"spec":{"x":1}}}"#,
            &mut obj,
        );
        assert_eq!(a.refusals.len(), 1);
        assert_eq!(a.defaulted, vec!["/spec/x".to_string()]);
        assert_eq!(obj["spec"]["x"], 1);
    }

    #[test]
    fn no_answer_admits_the_object_as_written() {
        let mut obj = Map::new();
        obj.insert("spec".into(), json!({"a": 1}));
        let a = read_answer("", &mut obj);
        assert_eq!(a, Admission::default());
        assert_eq!(obj["spec"]["a"], 1);
    }

    #[test]
    fn without_the_module_validation_is_off() {
        let o = load_options();
        assert!(!o.api_server && o.admitter.is_none());
    }
}
