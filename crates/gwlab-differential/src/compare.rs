//! The comparison: the oracle's recorded view of a configuration against gwlab's analysis.

use crate::answer::Answer;
use crate::oracle::OracleOutput;
use crate::probe::{probes, Probe};
use crate::status::{gwlab_facts, oracle_facts, Facts};
use crate::xds::Envoy;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// What the oracle says about a configuration, in the normalised form (what a regression case
/// records).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recorded {
    pub status: Facts,
    pub answers: Vec<(Probe, Answer)>,
}

/// Service cluster IP → `namespace/name`.
fn service_ips(docs: &[Value]) -> BTreeMap<String, String> {
    docs.iter()
        .filter(|d| d["kind"] == "Service")
        .filter_map(|d| {
            let ip = d.pointer("/spec/clusterIP").and_then(Value::as_str)?;
            let ns = d
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or("default");
            Some((
                ip.to_string(),
                format!(
                    "{ns}/{}",
                    d.pointer("/metadata/name").and_then(Value::as_str)?
                ),
            ))
        })
        .collect()
}

/// The oracle's output → the recorded view, for the configuration's own probes plus `extra`.
/// Each probe goes to the first Gateway's proxy (the generator writes one Gateway per
/// configuration).
pub fn record(docs: &[Value], out: &OracleOutput, extra: &[Probe]) -> Recorded {
    let status = oracle_facts(&out.resources);
    let ips = service_ips(docs);
    let gateway = docs
        .iter()
        .find(|d| d["kind"] == "Gateway")
        .map(|g| {
            format!(
                "{}/{}",
                g.pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .unwrap_or("default"),
                g.pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
            )
        })
        .unwrap_or_default();
    let envoy = out
        .xds
        .get(&gateway)
        .map(|d| Envoy::from_dump(d, ips.clone()));
    let mut all = probes(docs);
    for p in extra {
        if !all.contains(p) {
            all.push(p.clone());
        }
    }
    let answers = all.into_iter().map(|p| {
        let a = envoy
            .as_ref()
            .map(|e| e.answer(&p))
            .unwrap_or(Answer::Refused);
        (p, a)
    });
    Recorded {
        status,
        answers: answers.collect(),
    }
}

/// One disagreement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Disagreement {
    /// A status fact: key, category, gwlab's value, the oracle's (`-` when absent).
    Status {
        key: String,
        category: String,
        gwlab: String,
        oracle: String,
    },
    /// A probe answered differently.
    Probe {
        probe: Probe,
        category: String,
        gwlab: String,
        oracle: String,
    },
}

impl Disagreement {
    /// A short description of the kind of difference, to group disagreements by cause.
    pub fn signature(&self) -> String {
        match self {
            Disagreement::Status {
                key,
                category,
                gwlab,
                oracle,
            } => {
                let what = key.rsplit(' ').next().unwrap_or("");
                format!("status {category} {what}: gwlab {gwlab} / egctl {oracle}")
            }
            Disagreement::Probe {
                category,
                gwlab,
                oracle,
                ..
            } => {
                let kind = |s: &str| s.split(' ').next().unwrap_or("").to_string();
                format!(
                    "probe {category}: gwlab {} / egctl {}",
                    kind(gwlab),
                    kind(oracle)
                )
            }
        }
    }
    pub fn line(&self) -> String {
        match self {
            Disagreement::Status {
                key, gwlab, oracle, ..
            } => format!("{key}: gwlab {gwlab}, egctl {oracle}"),
            Disagreement::Probe {
                probe,
                gwlab,
                oracle,
                ..
            } => format!("{}: gwlab {gwlab}, egctl {oracle}", probe.line()),
        }
    }
}

/// Agreement counts per category.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// category → (agreed, total).
    pub status: BTreeMap<String, (usize, usize)>,
    pub probes: BTreeMap<String, (usize, usize)>,
    /// Probes not counted, by reason: the oracle's configuration would not load in Envoy.
    pub excluded: BTreeMap<String, usize>,
}

impl Tally {
    pub fn merge(&mut self, o: &Tally) {
        for (k, (a, t)) in &o.status {
            let e = self.status.entry(k.clone()).or_default();
            e.0 += a;
            e.1 += t;
        }
        for (k, n) in &o.excluded {
            *self.excluded.entry(k.clone()).or_default() += n;
        }
        for (k, (a, t)) in &o.probes {
            let e = self.probes.entry(k.clone()).or_default();
            e.0 += a;
            e.1 += t;
        }
    }
    pub fn totals(&self) -> ((usize, usize), (usize, usize)) {
        let sum = |m: &BTreeMap<String, (usize, usize)>| {
            m.values().fold((0, 0), |(a, t), (x, y)| (a + x, t + y))
        };
        (sum(&self.status), sum(&self.probes))
    }
}

/// The result of comparing one configuration.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    pub tally: Tally,
    pub disagreements: Vec<Disagreement>,
}

/// gwlab's analysis of `docs`, validated and defaulted as the API server would (the default):
/// `egctl x translate` runs the same CRD validation and defaulting on Gateway API and Envoy
/// Gateway objects, and refuses the whole input when one object is invalid, so the generator
/// writes only valid objects and both sides read them with their CRD defaults.
pub fn analyze(docs: &[Value]) -> gwlab::Analysis {
    let yaml = gwlab::emit::to_yaml_stream(docs);
    gwlab::analyze(
        &[gwlab::Input::new("config.yaml", yaml)],
        &gwlab::Options::default(),
    )
}

/// gwlab's answer to a probe.
pub fn gwlab_answer(a: &gwlab::Analysis, p: &Probe) -> Answer {
    let mut req = gwlab::Request::http(&p.method, Some(&p.host), p.port, &p.path);
    req.headers = p.headers.clone();
    Answer::of_outcome(&a.route_fast(&req))
}

/// Compares gwlab on `docs` with the oracle's recorded view.
pub fn compare(docs: &[Value], oracle: &Recorded) -> Comparison {
    let a = analyze(docs);
    let mine = gwlab_facts(&a);
    let mut c = Comparison::default();
    let mut keys: Vec<&String> = oracle.status.keys().chain(mine.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let theirs = oracle.status.get(key);
        let ours = mine.get(key);
        let category = theirs.or(ours).map(|(c, _)| c.clone()).unwrap_or_default();
        let (tv, ov) = (
            theirs.map(|x| x.1.clone()).unwrap_or_else(|| "-".into()),
            ours.map(|x| x.1.clone()).unwrap_or_else(|| "-".into()),
        );
        let e = c.tally.status.entry(category.clone()).or_default();
        e.1 += 1;
        if tv == ov {
            e.0 += 1;
        } else {
            c.disagreements.push(Disagreement::Status {
                key: key.clone(),
                category,
                gwlab: ov,
                oracle: tv,
            });
        }
    }
    for (p, theirs) in &oracle.answers {
        if let Answer::Unloadable(_) = theirs {
            *c.tally
                .excluded
                .entry("route configuration Envoy refuses (duplicate domain)".into())
                .or_default() += 1;
            continue;
        }
        let ours = gwlab_answer(&a, p);
        let category = "HTTPRoute".to_string();
        let e = c.tally.probes.entry(category.clone()).or_default();
        e.1 += 1;
        if &ours == theirs {
            e.0 += 1;
        } else {
            c.disagreements.push(Disagreement::Probe {
                probe: p.clone(),
                category,
                gwlab: ours.to_string(),
                oracle: theirs.to_string(),
            });
        }
    }
    c
}

/// Whether `d` still shows on `docs` against `oracle` (the shrinking predicate).
pub fn still_disagrees(d: &Disagreement, docs: &[Value], oracle: &Recorded) -> bool {
    let c = compare(docs, oracle);
    c.disagreements.iter().any(|x| match (x, d) {
        (
            Disagreement::Status {
                key: a,
                gwlab: ga,
                oracle: oa,
                ..
            },
            Disagreement::Status {
                key: b,
                gwlab: gb,
                oracle: ob,
                ..
            },
        ) => a == b && ga == gb && oa == ob,
        (
            Disagreement::Probe {
                probe: a,
                gwlab: ga,
                oracle: oa,
                ..
            },
            Disagreement::Probe {
                probe: b,
                gwlab: gb,
                oracle: ob,
                ..
            },
        ) => a == b && ga == gb && oa == ob,
        _ => false,
    })
}
