//! A policy's `status.ancestors[]` as Envoy Gateway writes it (`status/policy.go`).
//!
//! Ancestors are Gateways or ListenerSets, optionally narrowed to one listener. A Kubernetes
//! PolicyStatus holds at most 16 ancestors, so Envoy Gateway cuts longer lists and marks the last
//! kept ancestor `Aggregated` instead of letting the status update fail.

use crate::model::GATEWAY_GROUP;
use crate::sort::StableSort;
use serde_json::{json, Value};

/// The API server rejects a PolicyStatus with more ancestors than this.
pub const MAX_ANCESTORS: usize = 16;

#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub type_: &'static str,
    pub status: bool,
    pub reason: &'static str,
    pub message: String,
}

pub fn cond(
    t: &'static str,
    status: bool,
    reason: &'static str,
    msg: impl Into<String>,
) -> Condition {
    Condition {
        type_: t,
        status,
        reason,
        message: msg.into(),
    }
}

/// An ancestorRef: a Gateway or a ListenerSet, with the listener name when one is targeted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct AncKey {
    /// `Gateway` or `ListenerSet`.
    pub kind: &'static str,
    pub namespace: String,
    pub name: String,
    pub section: Option<String>,
}

impl AncKey {
    pub fn gateway(namespace: &str, name: &str, section: Option<String>) -> AncKey {
        AncKey {
            kind: "Gateway",
            namespace: namespace.into(),
            name: name.into(),
            section,
        }
    }
    pub fn set(namespace: &str, name: &str, section: Option<String>) -> AncKey {
        AncKey {
            kind: "ListenerSet",
            namespace: namespace.into(),
            name: name.into(),
            section,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ancestor {
    pub key: AncKey,
    pub conditions: Vec<Condition>,
}

impl Ancestor {
    pub fn set(&mut self, c: Condition) {
        match self.conditions.iter_mut().find(|x| x.type_ == c.type_) {
            Some(x) => *x = c,
            None => self.conditions.push(c),
        }
    }
    pub fn has(&self, t: &str) -> bool {
        self.conditions.iter().any(|c| c.type_ == t)
    }
    /// Accepted=True with nothing but warnings beside it.
    fn is_plain(&self) -> bool {
        self.conditions.iter().all(|c| match c.type_ {
            "Accepted" => c.status,
            "Warning" => true,
            _ => false,
        })
    }
}

/// The status being built for one policy.
#[derive(Debug, Clone, Default)]
pub struct PolicyStatus {
    pub ancestors: Vec<Ancestor>,
}

impl PolicyStatus {
    pub fn ancestor(&mut self, k: &AncKey) -> &mut Ancestor {
        let i = match self.ancestors.iter().position(|a| &a.key == k) {
            Some(i) => i,
            None => {
                self.ancestors.push(Ancestor {
                    key: k.clone(),
                    conditions: Vec::new(),
                });
                self.ancestors.len() - 1
            }
        };
        &mut self.ancestors[i]
    }

    /// Keeps [`MAX_ANCESTORS`] ancestors: those reporting something besides plain acceptance
    /// first (a user needs to see problems and overrides), each group ordered by ancestorRef; the
    /// last one kept gets `Aggregated=True`.
    pub fn truncate(&mut self) {
        if self.ancestors.len() <= MAX_ANCESTORS {
            return;
        }
        self.ancestors
            .stable_sort_by(|a, b| (a.is_plain(), &a.key).cmp(&(b.is_plain(), &b.key)));
        self.ancestors.truncate(MAX_ANCESTORS);
        let msg = format!(
            "Ancestors have been aggregated because the number of policy ancestors exceeds {MAX_ANCESTORS}."
        );
        self.ancestors[MAX_ANCESTORS - 1].set(cond("Aggregated", true, "Aggregated", msg));
    }

    /// The `status` stanza (PolicyStatus with ancestors).
    pub fn to_json(&self, controller: &str, generation: i64) -> Value {
        let ancestors: Vec<Value> = self
            .ancestors
            .iter()
            .map(|a| {
                let k = &a.key;
                let mut r = json!({"group": GATEWAY_GROUP, "kind": k.kind, "namespace": k.namespace, "name": k.name});
                if let Some(s) = &k.section {
                    r["sectionName"] = json!(s);
                }
                let conds: Vec<Value> = a
                    .conditions
                    .iter()
                    .map(|c| {
                        json!({"type": c.type_, "status": if c.status {"True"} else {"False"}, "reason": c.reason,
                        "message": c.message, "observedGeneration": generation})
                    })
                    .collect();
                json!({"ancestorRef": r, "controllerName": controller, "conditions": conds})
            })
            .collect();
        json!({ "ancestors": ancestors })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_than_sixteen_ancestors_are_cut_keeping_problems_first() {
        let mut st = PolicyStatus::default();
        for i in 1..=18 {
            let a = st.ancestor(&AncKey::gateway("ns", &format!("gw-{i}"), None));
            a.set(cond("Accepted", true, "Accepted", ""));
        }
        st.ancestor(&AncKey::gateway("ns", "gw-9", None)).set(cond(
            "Overridden",
            true,
            "Overridden",
            "",
        ));
        st.truncate();
        let names: Vec<&str> = st.ancestors.iter().map(|a| a.key.name.as_str()).collect();
        assert_eq!(names.len(), MAX_ANCESTORS);
        assert_eq!(names[0], "gw-9");
        assert_eq!(names[1..4], ["gw-1", "gw-10", "gw-11"]);
        assert!(!names.contains(&"gw-7") && !names.contains(&"gw-8"));
        assert!(st.ancestors[15].has("Aggregated"));
        assert!(!st.ancestors[14].has("Aggregated"));
    }

    #[test]
    fn sixteen_ancestors_are_kept_as_they_are() {
        let mut st = PolicyStatus::default();
        for i in 1..=16 {
            st.ancestor(&AncKey::set("ns", &format!("ls-{i}"), Some("l".into())));
        }
        st.truncate();
        assert_eq!(st.ancestors.len(), 16);
        assert!(st.ancestors.iter().all(|a| !a.has("Aggregated")));
        let j = st.to_json("c", 1);
        assert_eq!(j["ancestors"][0]["ancestorRef"]["kind"], "ListenerSet");
        assert_eq!(j["ancestors"][0]["ancestorRef"]["sectionName"], "l");
    }
}
