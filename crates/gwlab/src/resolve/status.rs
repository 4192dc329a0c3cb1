//! Status conditions as a controller writes them, and the merge rules Envoy Gateway applies
//! when several errors land on one condition type.

use serde::{Serialize, Serializer};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, LazyLock, OnceLock};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CondStatus {
    True,
    False,
    Unknown,
}

impl CondStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CondStatus::True => "True",
            CondStatus::False => "False",
            CondStatus::Unknown => "Unknown",
        }
    }
    pub fn from_bool(b: bool) -> Self {
        if b {
            CondStatus::True
        } else {
            CondStatus::False
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub type_: &'static str,
    pub status: CondStatus,
    /// Fixed texts (most reasons and messages) are borrowed: every route writes the same few.
    pub reason: Cow<'static, str>,
    pub message: Cow<'static, str>,
}

/// An ordered set of conditions, at most one per type (setting a type again replaces it in place,
/// as `meta.SetStatusCondition` does). The first two are kept inline: a route's parent usually has
/// exactly Accepted and ResolvedRefs, and a large configuration has thousands of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditions(pub smallvec::SmallVec<[Condition; 2]>);

impl Conditions {
    pub fn set(
        &mut self,
        type_: &'static str,
        status: CondStatus,
        reason: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) {
        let c = Condition {
            type_,
            status,
            reason: reason.into(),
            message: message.into(),
        };
        match self.0.iter_mut().find(|x| x.type_ == type_) {
            Some(x) => *x = c,
            None => self.0.push(c),
        }
    }
    pub fn get(&self, type_: &str) -> Option<&Condition> {
        self.0.iter().find(|c| c.type_ == type_)
    }
    pub fn has(&self, type_: &str) -> bool {
        self.get(type_).is_some()
    }
    pub fn is_true(&self, type_: &str) -> bool {
        self.get(type_)
            .is_some_and(|c| c.status == CondStatus::True)
    }
    pub fn is_false(&self, type_: &str) -> bool {
        self.get(type_)
            .is_some_and(|c| c.status == CondStatus::False)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn to_json(&self, generation: i64) -> Value {
        Value::Array(
            self.0
                .iter()
                .map(|c| {
                    condition_json(
                        c.type_,
                        c.status,
                        c.reason.to_string(),
                        c.message.to_string(),
                        generation,
                    )
                })
                .collect(),
        )
    }
    /// [`Conditions::to_json`], moving the texts instead of copying them.
    pub fn into_json(self, generation: i64) -> Value {
        Value::Array(
            self.0
                .into_iter()
                .map(|c| {
                    condition_json(
                        c.type_,
                        c.status,
                        c.reason.into_owned(),
                        c.message.into_owned(),
                        generation,
                    )
                })
                .collect(),
        )
    }
}

fn condition_json(
    type_: &str,
    status: CondStatus,
    reason: String,
    message: String,
    generation: i64,
) -> Value {
    static SHAPE: LazyLock<ObjectShape> = LazyLock::new(|| {
        ObjectShape::new(&["type", "status", "reason", "message", "observedGeneration"])
    });
    SHAPE.build([
        Value::String(type_.into()),
        Value::String(status.as_str().into()),
        Value::String(reason),
        Value::String(message),
        Value::from(generation),
    ])
}

/// A JSON object with fixed keys in a fixed order, for objects built once per route or
/// condition. serde_json's map hashes every key with SipHash on insert; cloning a prepared map
/// copies its hash table instead, and the values are then written in place, in key order.
pub struct ObjectShape(Map<String, Value>);

impl ObjectShape {
    pub fn new(keys: &[&str]) -> ObjectShape {
        ObjectShape(keys.iter().map(|k| (k.to_string(), Value::Null)).collect())
    }
    /// The object with `values` for the keys, in order (missing values stay null).
    pub fn build<const N: usize>(&self, values: [Value; N]) -> Value {
        debug_assert_eq!(N, self.0.len());
        let mut m = self.0.clone();
        for (slot, v) in m.values_mut().zip(values) {
            *slot = v;
        }
        Value::Object(m)
    }
}

/// One `status.parents` entry of a route, kept typed until the status is first read.
#[derive(Debug, Clone)]
pub struct ParentEntry {
    /// The parentRef as written (shared by every route naming the same parent).
    pub parent_ref: Arc<Value>,
    pub controller: Arc<str>,
    pub conditions: Conditions,
    pub generation: i64,
}

/// The `status` stanza of an object: a JSON value that reads (derefs) as a `serde_json::Value`.
///
/// Route statuses are kept as typed parent entries and written as JSON on first access (then
/// kept): a large configuration has thousands of routes whose status JSON would otherwise be
/// built, one allocation per key and per text, on every resolution, whether read or not. The
/// JSON is the same either way.
#[derive(Clone, Default)]
pub struct StatusValue {
    value: OnceLock<Value>,
    parents: Option<RouteParents>,
}

/// A route's parent entries. Nearly every route has one parentRef: that entry is kept in place
/// rather than in a vector behind an `Arc`, two allocations (and two frees) fewer per route.
#[derive(Clone)]
enum RouteParents {
    One(ParentEntry),
    /// An `Arc<Vec>` rather than `Arc<[_]>`: wrapping the vector moves no entries.
    Many(Arc<Vec<ParentEntry>>),
}

impl StatusValue {
    /// A route status `{parents: [...]}` written from `entries` when first read.
    pub fn route_parents(entries: Vec<ParentEntry>) -> StatusValue {
        StatusValue {
            value: OnceLock::new(),
            parents: Some(RouteParents::Many(Arc::new(entries))),
        }
    }
    /// [`StatusValue::route_parents`] for a route with one entry.
    pub fn route_parent(entry: ParentEntry) -> StatusValue {
        StatusValue {
            value: OnceLock::new(),
            parents: Some(RouteParents::One(entry)),
        }
    }
    /// The JSON value (built now if it was not yet).
    pub fn value(&self) -> &Value {
        self.value.get_or_init(|| match &self.parents {
            Some(RouteParents::One(e)) => parents_json(std::slice::from_ref(e)),
            Some(RouteParents::Many(p)) => parents_json(p),
            None => Value::Null,
        })
    }
    /// The JSON value, owned.
    pub fn into_value(mut self) -> Value {
        self.value();
        self.value.take().unwrap_or(Value::Null)
    }
}

fn parents_json(entries: &[ParentEntry]) -> Value {
    static ENTRY: LazyLock<ObjectShape> =
        LazyLock::new(|| ObjectShape::new(&["parentRef", "controllerName", "conditions"]));
    static STATUS: LazyLock<ObjectShape> = LazyLock::new(|| ObjectShape::new(&["parents"]));
    let list = entries
        .iter()
        .map(|e| {
            ENTRY.build([
                (*e.parent_ref).clone(),
                Value::String(e.controller.to_string()),
                e.conditions.to_json(e.generation),
            ])
        })
        .collect();
    STATUS.build([Value::Array(list)])
}

impl From<Value> for StatusValue {
    fn from(v: Value) -> Self {
        StatusValue {
            value: OnceLock::from(v),
            parents: None,
        }
    }
}

impl Deref for StatusValue {
    type Target = Value;
    fn deref(&self) -> &Value {
        self.value()
    }
}

impl DerefMut for StatusValue {
    fn deref_mut(&mut self) -> &mut Value {
        self.value();
        self.parents = None;
        self.value.get_mut().expect("status value was just built")
    }
}

impl PartialEq for StatusValue {
    fn eq(&self, other: &Self) -> bool {
        self.value() == other.value()
    }
}

impl PartialEq<Value> for StatusValue {
    fn eq(&self, other: &Value) -> bool {
        self.value() == other
    }
}

impl std::fmt::Debug for StatusValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.value().fmt(f)
    }
}

impl std::fmt::Display for StatusValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.value().fmt(f)
    }
}

impl Serialize for StatusValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(s)
    }
}

/// Envoy Gateway merges several errors of one condition type into one reason: the distinct
/// reasons, sorted, comma-joined; the messages joined with `; ` in the order they occurred.
pub fn merge_reasons<'a>(reasons: impl IntoIterator<Item = &'a str>) -> String {
    let mut v: Vec<&str> = reasons.into_iter().collect();
    v.sort();
    v.dedup();
    v.join(",")
}

pub fn merge_messages(msgs: &[String]) -> String {
    let mut out: Vec<&str> = Vec::new();
    for m in msgs {
        if !out.contains(&m.as_str()) {
            out.push(m);
        }
    }
    out.join("; ")
}

/// Route Accepted reasons (the ones a rule error keeps as-is when every rule fails).
pub fn is_route_accepted_reason(r: &str) -> bool {
    matches!(
        r,
        "Accepted"
            | "NotAllowedByListeners"
            | "NoMatchingListenerHostname"
            | "NoMatchingParent"
            | "UnsupportedValue"
            | "Pending"
            | "IncompatibleFilters"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_replaces_by_type() {
        let mut c = Conditions::default();
        c.set("Accepted", CondStatus::True, "Accepted", "ok");
        c.set("Programmed", CondStatus::False, "Invalid", "bad");
        c.set("Accepted", CondStatus::False, "Invalid", "no");
        assert_eq!(c.0.len(), 2);
        assert_eq!(c.0[0].reason, "Invalid");
        let j = c.to_json(3);
        assert_eq!(j[0]["observedGeneration"], 3);
        assert_eq!(j[1]["status"], "False");
        assert!(j[0].get("lastTransitionTime").is_none());
    }

    #[test]
    fn shaped_objects_equal_inserted_ones() {
        let mut c = Conditions::default();
        c.set("Accepted", CondStatus::True, "Accepted", "ok");
        c.set("ResolvedRefs", CondStatus::False, "BackendNotFound", "gone");
        let want = serde_json::json!([
            {"type": "Accepted", "status": "True", "reason": "Accepted", "message": "ok", "observedGeneration": 7},
            {"type": "ResolvedRefs", "status": "False", "reason": "BackendNotFound", "message": "gone", "observedGeneration": 7},
        ]);
        assert_eq!(c.to_json(7), want);
        assert_eq!(
            serde_json::to_string(&c.clone().into_json(7)).unwrap(),
            serde_json::to_string(&want).unwrap(),
            "same key order"
        );
    }

    #[test]
    fn reasons_merge_sorted_and_distinct() {
        let cases: &[(&[&str], &str)] = &[
            (
                &["PortNotFound", "BackendNotFound"],
                "BackendNotFound,PortNotFound",
            ),
            (&["BackendNotFound", "BackendNotFound"], "BackendNotFound"),
            (&["RefNotPermitted"], "RefNotPermitted"),
        ];
        for (inp, want) in cases {
            assert_eq!(merge_reasons(inp.iter().copied()), *want);
        }
    }
}
