//! What the API server decided about one object: the verdict's types, and the hook that decides it.
//!
//! The decision itself is [`crate::apiserver`] (behind the `api-server` feature). The types live
//! here, outside that feature, so a build without the validator (the playground's main bundle,
//! kept small) can still take a verdict from elsewhere: [`crate::model::LoadOptions::admitter`]
//! is any function with [`Admitter`]'s shape, such as one that asks a separately loaded module.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Decides admission of one object as the API server would on create: `(apiVersion, kind,
/// namespaced, default namespace, object without apiVersion and kind)`. It prunes and defaults
/// the object in place, and returns what it refused, pruned and defaulted.
pub type Admitter = fn(&str, &str, bool, &str, &mut Map<String, Value>) -> Admission;

/// The admitter built into this build: the CRD-table validator when the `api-server` feature is
/// on, none otherwise.
pub fn builtin() -> Option<Admitter> {
    #[cfg(feature = "api-server")]
    {
        Some(crate::apiserver::admit)
    }
    #[cfg(not(feature = "api-server"))]
    {
        None
    }
}

/// One field the API server refuses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// JSON pointer of the field, relative to the object (used to locate the diagnostic).
    pub ptr: String,
    /// The field as the API server names it (`spec.ports[0].port`).
    pub field: String,
    /// What the API server says of it (`Invalid value: 0: must be between 1 and 65535, inclusive`).
    pub detail: String,
}

impl Refusal {
    /// The refusal at `ptr`, with its field path derived from the pointer.
    pub fn new(ptr: &str, detail: String) -> Refusal {
        Refusal {
            ptr: ptr.to_string(),
            field: field_path(ptr),
            detail,
        }
    }
    /// The line `kubectl apply` prints for this refusal. A refusal without a field (the kind is
    /// not served at all) is its detail alone.
    pub fn message(&self, kind: &str, name: &str) -> String {
        if self.field.is_empty() {
            return self.detail.clone();
        }
        format!(
            "The {kind} \"{name}\" is invalid: {}: {}",
            self.field, self.detail
        )
    }
}

/// The API server's verdict on one object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Admission {
    /// Empty when the object is accepted.
    pub refusals: Vec<Refusal>,
    /// Fields the CRD schema does not know, which the API server drops: (JSON pointer, field path).
    pub pruned: Vec<(String, String)>,
    /// JSON pointers of the fields the API server filled in from CRD defaults.
    pub defaulted: Vec<String>,
    /// CEL rules that applied but that gwlab could not evaluate: (pointer, rule, why). They
    /// neither accept nor refuse the object.
    pub unevaluated: Vec<(String, String, String)>,
}

/// `/spec/ports/0/port` → `spec.ports[0].port`, the API server's way of naming a field.
pub fn field_path(ptr: &str) -> String {
    let mut out = String::new();
    for token in ptr.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        if !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{token}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&token);
        }
    }
    if out.is_empty() {
        "<root>".to_string()
    } else {
        out
    }
}

/// A value as the API server quotes it in a message: strings in double quotes, anything else as
/// JSON (numbers and booleans bare).
pub fn render(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        _ => v.to_string(),
    }
}
