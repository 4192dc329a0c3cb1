//! The Gateway API conformance corpus runner (format and judging rules: the corpus README).
//!
//! Each `*.json` test is loaded as manifests + run-time objects + a synthesized GatewayClass,
//! analysed once, and every check (status expectation, traffic case, weighted case, `unparsed`
//! entry) is judged to passed / failed / skipped with a reason.

use crate::{conditions_hold, find_status, generation_of, CondRule, RawObjects, Tally, Verdict};
use gwlab::route::{Outcome, Request, RequestProtocol, ShareOutcome};
use gwlab::{Analysis, Input, Options};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

pub const CLASS_NAME: &str = "gwlab";
pub const CONTROLLER_NAME: &str = "gwlab.example/gateway-controller";

/// Upstream features this simulator declares unsupported (tests needing them are skipped).
pub const UNSUPPORTED_FEATURES: &[&str] = &[];

/// Capabilities this simulator does not model; checks needing them are skipped as `unmodelled`.
/// Everything the corpus exercises is modelled by the resolver and router today.
pub const UNMODELLED: &[&str] = &[];

#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    /// `status`, `http`, `grpc`, `tls`, `tcp`, `udp`, `weighted`, `unparsed`.
    pub kind: String,
    /// Short human label (subtest / request / object).
    pub label: String,
    pub verdict: Verdict,
    /// Why it failed or was skipped (`mutation`, `timing`, …, or the failed comparison).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TestVerdict {
    Passed,
    PassedPartial,
    Failed,
    Skipped,
}

impl TestVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            TestVerdict::Passed => "passed",
            TestVerdict::PassedPartial => "passed (partial)",
            TestVerdict::Failed => "failed",
            TestVerdict::Skipped => "skipped",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TestResult {
    pub name: String,
    pub category: String,
    pub provisional: bool,
    pub verdict: TestVerdict,
    pub tally: Tally,
    pub checks: Vec<CheckResult>,
    /// Set when the test file itself could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CategorySummary {
    pub checks: Tally,
    pub tests_passed: usize,
    pub tests_failed: usize,
    pub tests_skipped: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub tests: Vec<TestResult>,
    /// Non-provisional tests, by category.
    pub categories: BTreeMap<String, CategorySummary>,
    /// Provisional tests, all categories together.
    pub provisional: CategorySummary,
    /// Non-provisional totals.
    pub total: CategorySummary,
    /// Skip reasons → number of checks.
    pub skip_reasons: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub category: Option<String>,
    pub case: Option<String>,
}

/// Runs every test in `dir`.
pub fn run_dir(dir: &Path, filter: &Filter) -> Result<Report, String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "json")
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('_'))
        })
        .collect();
    files.sort();
    let mut report = Report::default();
    for f in files {
        let stem = f
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if filter.case.as_ref().is_some_and(|c| *c != stem) {
            continue;
        }
        let r = match std::fs::read(&f) {
            Ok(bytes) => {
                let (text, _) = gwlab::source::decode_bytes(&f.display().to_string(), &bytes);
                run_text(&stem, &text)
            }
            Err(e) => error_result(&stem, format!("{}: {e}", f.display())),
        };
        if filter
            .category
            .as_ref()
            .is_some_and(|c| !c.eq_ignore_ascii_case(&r.category))
        {
            continue;
        }
        report.add(r);
    }
    Ok(report)
}

fn error_result(name: &str, error: String) -> TestResult {
    TestResult {
        name: name.into(),
        category: "?".into(),
        provisional: false,
        verdict: TestVerdict::Failed,
        tally: Tally {
            passed: 0,
            failed: 1,
            skipped: 0,
        },
        checks: vec![CheckResult {
            kind: "load".into(),
            label: "load test file".into(),
            verdict: Verdict::Failed,
            reason: Some(error.clone()),
            expected: None,
            actual: None,
        }],
        error: Some(error),
    }
}

impl Report {
    fn add(&mut self, t: TestResult) {
        for c in &t.checks {
            if c.verdict == Verdict::Skipped {
                let r = c.reason.clone().unwrap_or_default();
                let key = r.split(':').next().unwrap_or("").to_string();
                *self.skip_reasons.entry(key).or_default() += 1;
            }
        }
        let bump = |s: &mut CategorySummary| {
            s.checks.merge(&t.tally);
            match t.verdict {
                TestVerdict::Passed | TestVerdict::PassedPartial => s.tests_passed += 1,
                TestVerdict::Failed => s.tests_failed += 1,
                TestVerdict::Skipped => s.tests_skipped += 1,
            }
        };
        if t.provisional {
            bump(&mut self.provisional);
        } else {
            bump(self.categories.entry(t.category.clone()).or_default());
            bump(&mut self.total);
        }
        self.tests.push(t);
    }

    /// The human summary: one line per category, provisional tests, the total.
    pub fn summary_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        let line = |name: &str, s: &CategorySummary| {
            format!(
                "{name:<18} {:>4} passed, {:>4} failed, {:>4} skipped   tests: {} passed, {} failed, {} skipped",
                s.checks.passed, s.checks.failed, s.checks.skipped, s.tests_passed, s.tests_failed, s.tests_skipped
            )
        };
        for (c, s) in &self.categories {
            out.push(line(c, s));
        }
        if self.provisional.tests_passed
            + self.provisional.tests_failed
            + self.provisional.tests_skipped
            > 0
        {
            out.push(line("(provisional)", &self.provisional));
        }
        if !self.skip_reasons.is_empty() {
            let r: Vec<String> = self
                .skip_reasons
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            out.push(format!("skipped checks by reason: {}", r.join(", ")));
        }
        if !UNMODELLED.is_empty() {
            out.push(format!("treated as unmodelled: {}", UNMODELLED.join(", ")));
        }
        let t = &self.total;
        out.push(format!(
            "total: {} passed, {} failed, {} skipped (checks; tests: {} passed, {} failed, {} skipped)",
            t.checks.passed, t.checks.failed, t.checks.skipped, t.tests_passed, t.tests_failed, t.tests_skipped
        ));
        out
    }

    /// Per-category pass counts (checks), non-provisional and provisional (`provisional` key).
    pub fn pass_counts(&self) -> BTreeMap<String, usize> {
        let mut m: BTreeMap<String, usize> = self
            .categories
            .iter()
            .map(|(k, v)| (k.clone(), v.checks.passed))
            .collect();
        m.insert("provisional".into(), self.provisional.checks.passed);
        m.insert("total".into(), self.total.checks.passed);
        m
    }
}

/// Loads, analyses and judges one test file's text.
pub fn run_text(name: &str, text: &str) -> TestResult {
    let text = text
        .replace("{GATEWAY_CLASS_NAME}", CLASS_NAME)
        .replace("{GATEWAY_CONTROLLER_NAME}", CONTROLLER_NAME);
    let test: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => return error_result(name, format!("invalid JSON: {e}")),
    };
    run_test(name, &test)
}

fn strs(v: &Value, k: &str) -> Vec<String> {
    v.get(k)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

const GATEWAY_CLASS: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: gwlab}\nspec: {controllerName: gwlab.example/gateway-controller}\n";

/// The inputs of a test: the GatewayClass, then `manifests`, then `runtime_objects`, one input per
/// document (earlier = older).
pub fn test_inputs(test: &Value) -> Vec<Input> {
    let mut inputs = vec![Input::new("gatewayclass.yaml", GATEWAY_CLASS)];
    let fill_slices = test.get("name").and_then(Value::as_str) == Some("HTTPRouteServiceTypes");
    for (i, m) in strs(test, "manifests").into_iter().enumerate() {
        let m = if fill_slices {
            fill_endpoint_slice(&m)
        } else {
            m
        };
        inputs.push(Input::new(
            format!("manifests[{i}]"),
            fill_static_addresses(&m),
        ));
    }
    for (i, m) in strs(test, "runtime_objects").into_iter().enumerate() {
        inputs.push(Input::new(format!("runtime_objects[{i}]"), m));
    }
    inputs
}

/// Address placeholders a test replaces, before it applies the manifest, with the addresses the
/// implementation under test is given (one it can use, one it cannot).
const ADDRESS_PLACEHOLDERS: [(&str, &str); 2] = [
    ("PLACEHOLDER_USABLE_ADDRS", "192.0.2.10"),
    ("PLACEHOLDER_UNUSABLE_ADDRS", "198.51.100.10"),
];

/// `GatewayStaticAddresses` ships `value: PLACEHOLDER_…` addresses that the upstream test
/// replaces with real ones at run time. As written they are `IPAddress` values that are no IP,
/// which the API server refuses (and with them the whole Gateway); each becomes an address from
/// the documentation ranges (RFC 5737), as the applied object would hold an IP.
fn fill_static_addresses(doc: &str) -> String {
    let mut out = doc.to_string();
    for (placeholder, address) in ADDRESS_PLACEHOLDERS {
        out = out.replace(placeholder, address);
    }
    out
}

/// `HTTPRouteServiceTypes` ships EndpointSlices without endpoints that the upstream test fills with
/// the `infra-backend-v1` pods at run time: give such a slice one ready endpoint.
fn fill_endpoint_slice(doc: &str) -> String {
    let (docs, _) = gwlab::source::parse_stream(doc);
    let [d] = docs.as_slice() else {
        return doc.to_string();
    };
    let mut v = d.value.clone();
    if v.get("kind").and_then(Value::as_str) != Some("EndpointSlice")
        || v.get("endpoints")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
    {
        return doc.to_string();
    }
    let ip = if v.get("addressType").and_then(Value::as_str) == Some("IPv6") {
        "fd00::10"
    } else {
        "10.244.0.10"
    };
    v["endpoints"] = serde_json::json!([{"addresses": [ip], "conditions": {"ready": true}}]);
    gwlab::emit::to_yaml(&v)
}

pub fn run_test(name: &str, test: &Value) -> TestResult {
    let category = test
        .get("category")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_string();
    let provisional = test
        .get("provisional")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let name = test
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or(name)
        .to_string();
    let inputs = test_inputs(test);
    let mut raw = RawObjects::new("default");
    for i in &inputs {
        raw.add_text(&i.text);
    }
    let features = strs(test, "features");
    let unsupported: Vec<&String> = features
        .iter()
        .filter(|f| UNSUPPORTED_FEATURES.contains(&f.as_str()))
        .collect();

    let analysis = gwlab::analyze(
        &inputs,
        &Options {
            controller_name: CONTROLLER_NAME.into(),
        },
    );
    let cx = Cx {
        a: &analysis,
        raw: &raw,
        test_name: &name,
    };
    let mut checks = Vec::new();
    let feature_skip = (!unsupported.is_empty()).then(|| {
        format!(
            "feature: {}",
            unsupported
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    });

    let mut judge = |kind: &str, label: String, item: &Value, f: &dyn Fn(&Value) -> Judged| {
        let (verdict, reason, expected, actual) = if let Some(r) = &feature_skip {
            (Verdict::Skipped, Some(r.clone()), None, None)
        } else if let Some(r) = skip_reason(item) {
            (Verdict::Skipped, Some(r), None, None)
        } else {
            match f(item) {
                Judged::Pass => (Verdict::Passed, None, None, None),
                Judged::Skip(r) => (Verdict::Skipped, Some(r), None, None),
                Judged::Fail {
                    reason,
                    expected,
                    actual,
                } => (Verdict::Failed, Some(reason), expected, actual),
            }
        };
        checks.push(CheckResult {
            kind: kind.into(),
            label,
            verdict,
            reason,
            expected,
            actual,
        });
    };

    for se in test
        .get("status_expectations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let label = format!(
            "{} {}/{}{}",
            se.get("kind").and_then(Value::as_str).unwrap_or("?"),
            se.get("namespace").and_then(Value::as_str).unwrap_or(""),
            se.get("name").and_then(Value::as_str).unwrap_or("?"),
            se.get("helper")
                .and_then(Value::as_str)
                .map(|h| format!(" [{}]", h.rsplit('.').next().unwrap_or(h)))
                .unwrap_or_default()
        );
        judge("status", label, se, &|v| cx.status(v));
    }
    for (key, kind) in [
        ("http_cases", "http"),
        ("grpc_cases", "grpc"),
        ("tls_cases", "tls"),
        ("tcp_cases", "tcp"),
        ("udp_cases", "udp"),
    ] {
        for c in test
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let label = case_label(kind, c);
            judge(kind, label, c, &|v| match kind {
                "http" => cx.http(v),
                "grpc" => cx.grpc(v),
                "tls" => cx.tls(v),
                "tcp" => cx.tcp(v),
                _ => cx.udp(v),
            });
        }
    }
    for w in test
        .get("weighted_cases")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let label = format!(
            "weighted {}",
            w.get("subtest").and_then(Value::as_str).unwrap_or("")
        );
        judge("weighted", label, w, &|v| cx.weighted(v));
    }
    for u in strs(test, "unparsed") {
        checks.push(CheckResult {
            kind: "unparsed".into(),
            label: u.chars().take(100).collect(),
            verdict: Verdict::Skipped,
            reason: Some("not captured".into()),
            expected: None,
            actual: None,
        });
    }

    let mut tally = Tally::default();
    for c in &checks {
        tally.add(c.verdict);
    }
    let verdict = if tally.failed > 0 {
        TestVerdict::Failed
    } else if tally.passed == 0 {
        TestVerdict::Skipped
    } else if tally.skipped > 0 {
        TestVerdict::PassedPartial
    } else {
        TestVerdict::Passed
    };
    TestResult {
        name,
        category,
        provisional,
        verdict,
        tally,
        checks,
        error: None,
    }
}

fn case_label(kind: &str, c: &Value) -> String {
    let r = c.get("request").cloned().unwrap_or(Value::Null);
    let what = match kind {
        "http" => format!(
            "{} {}{}",
            r.get("method").and_then(Value::as_str).unwrap_or("GET"),
            r.get("host").and_then(Value::as_str).unwrap_or(""),
            r.get("path").and_then(Value::as_str).unwrap_or("/")
        ),
        "grpc" => format!(
            "{}/{} {}",
            r.get("service").and_then(Value::as_str).unwrap_or(""),
            r.get("method").and_then(Value::as_str).unwrap_or(""),
            r.get("authority").and_then(Value::as_str).unwrap_or("")
        ),
        _ => format!("sni={}", r.get("sni").and_then(Value::as_str).unwrap_or("")),
    };
    match c.get("subtest").or(c.get("name")).and_then(Value::as_str) {
        Some(s) => format!("{kind} {what} ({s})"),
        None => format!("{kind} {what}"),
    }
}

/// Skip reasons that do not depend on the simulator (mutation, conditional, unresolved, timing).
fn skip_reason(item: &Value) -> Option<String> {
    if item.get("after_mutation").is_some_and(|v| !v.is_null()) {
        return Some("mutation".into());
    }
    if item.get("only_if").is_some_and(|v| !v.is_null()) {
        return Some("conditional".into());
    }
    if has_unresolved(item) {
        return Some("unresolved".into());
    }
    if let Some(p) = item.pointer("/request/path").and_then(Value::as_str) {
        if p.split_once('?')
            .is_some_and(|(_, q)| q.split('&').any(|kv| kv.starts_with("delay=")))
        {
            return Some("timing".into());
        }
    }
    None
}

fn has_unresolved(v: &Value) -> bool {
    match v {
        Value::String(s) => s.starts_with("<unresolved"),
        Value::Array(a) => a.iter().any(has_unresolved),
        Value::Object(m) => m.contains_key("unresolved") || m.values().any(has_unresolved),
        _ => false,
    }
}

pub enum Judged {
    Pass,
    Skip(String),
    Fail {
        reason: String,
        expected: Option<String>,
        actual: Option<String>,
    },
}

fn fail(reason: impl Into<String>) -> Judged {
    Judged::Fail {
        reason: reason.into(),
        expected: None,
        actual: None,
    }
}

fn fail_ea(
    reason: impl Into<String>,
    expected: impl Into<String>,
    actual: impl Into<String>,
) -> Judged {
    Judged::Fail {
        reason: reason.into(),
        expected: Some(expected.into()),
        actual: Some(actual.into()),
    }
}

macro_rules! tryj {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(j) => return j,
        }
    };
}

struct Cx<'a> {
    a: &'a Analysis,
    raw: &'a RawObjects,
    #[allow(dead_code)]
    test_name: &'a str,
}

fn gs<'v>(v: &'v Value, k: &str) -> Option<&'v str> {
    v.get(k).and_then(Value::as_str)
}

impl Cx<'_> {
    // ---------------------------------------------------------------- status expectations

    fn status(&self, se: &Value) -> Judged {
        let kind = gs(se, "kind").unwrap_or("");
        let ns = gs(se, "namespace").unwrap_or("");
        let name = gs(se, "name").unwrap_or("");
        let Some(st) = find_status(self.a, kind, ns, name) else {
            // A route with no parents may have no status at all.
            if se.get("no_accepted_parents").and_then(Value::as_bool) == Some(true) {
                return Judged::Pass;
            }
            return fail(format!("no status computed for {kind} {ns}/{name}"));
        };
        let generation = generation_of(self.a, st.object);
        let rule = CondRule {
            reasons: true,
            generation: Some(generation),
        };
        let status = &st.status;
        let mut judged_any = false;

        if let Some(p) = se.get("parent") {
            judged_any = true;
            let conds = se
                .get("conditions")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            tryj!(self.parent_holds(status, p, &conds, ns, false, rule));
        }
        if let Some(ps) = se.get("parents").and_then(Value::as_array) {
            judged_any = true;
            let required = se
                .get("namespace_required")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            for p in ps {
                let pref = p.get("parentRef").cloned().unwrap_or(Value::Null);
                let mut pv = pref.clone();
                if let (Some(m), Some(c)) = (pv.as_object_mut(), p.get("controllerName")) {
                    m.insert("controllerName".into(), c.clone());
                }
                let conds = p
                    .get("conditions")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                tryj!(self.parent_holds(status, &pv, &conds, ns, required, rule));
            }
        }
        if se.get("no_accepted_parents").and_then(Value::as_bool) == Some(true) {
            judged_any = true;
            let parents = status
                .get("parents")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let ok = parents.is_empty()
                || parents.len() == 1
                    && parents[0]
                        .get("conditions")
                        .and_then(Value::as_array)
                        .is_some_and(|cs| {
                            cs.iter().any(|c| {
                                gs(c, "type") == Some("Accepted")
                                    && gs(c, "status") == Some("False")
                            })
                        });
            if !ok {
                return fail_ea(
                    "route has accepted parents",
                    "no parents, or one with Accepted=False",
                    parents_summary(&parents),
                );
            }
        }
        if let Some(anc) = se.get("ancestor") {
            judged_any = true;
            let conds = se
                .get("conditions")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let want = gs(anc, "name").unwrap_or("");
            let want_ns = gs(anc, "namespace");
            let ancestors = status
                .get("ancestors")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut last = None;
            let ok = ancestors.iter().any(|e| {
                let r = e.get("ancestorRef").cloned().unwrap_or(Value::Null);
                if gs(&r, "name") != Some(want) {
                    return false;
                }
                if let (Some(a), Some(w)) = (gs(&r, "namespace"), want_ns) {
                    if a != w {
                        return false;
                    }
                }
                match conditions_hold(e.get("conditions"), &conds, rule) {
                    Ok(()) => true,
                    Err(m) => {
                        last = Some(m);
                        false
                    }
                }
            });
            if !ok {
                return fail(
                    last.unwrap_or_else(|| format!("no ancestor {want} in status.ancestors")),
                );
            }
        } else if let Some(conds) = se.get("conditions").and_then(Value::as_array) {
            if se.get("parent").is_none() {
                judged_any = true;
                if let Err(m) = conditions_hold(status.get("conditions"), conds, rule) {
                    return fail(m);
                }
            }
        }
        if let (Some(ls), Some(conds)) = (
            se.get("listeners"),
            se.get("listener_conditions").and_then(Value::as_array),
        ) {
            judged_any = true;
            let actual = status
                .get("listeners")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let names: Vec<String> = match ls {
                Value::String(s) if s == "all" => {
                    let spec = self.spec_listener_names(kind, ns, name);
                    if actual.len() != spec.len() {
                        return fail_ea(
                            "listener status entries",
                            format!("{} (one per spec listener)", spec.len()),
                            actual.len().to_string(),
                        );
                    }
                    actual
                        .iter()
                        .filter_map(|l| gs(l, "name").map(String::from))
                        .collect()
                }
                Value::Array(a) => a
                    .iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect(),
                _ => Vec::new(),
            };
            for n in names {
                let Some(l) = actual.iter().find(|l| gs(l, "name") == Some(n.as_str())) else {
                    return fail(format!("listener {n} missing from status"));
                };
                if let Err(m) = conditions_hold(l.get("conditions"), conds, rule) {
                    return fail(format!("listener {n}: {m}"));
                }
            }
        }
        if let Some(true) = se.get("has_address").and_then(Value::as_bool) {
            judged_any = true;
            if status
                .get("addresses")
                .and_then(Value::as_array)
                .is_none_or(|a| a.is_empty())
            {
                return fail("status.addresses is empty");
            }
        }
        if let Some(exp) = se.get("listeners_exact").and_then(Value::as_array) {
            judged_any = true;
            let actual = status
                .get("listeners")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if actual.len() != exp.len() {
                return fail_ea(
                    "number of status.listeners",
                    exp.len().to_string(),
                    actual.len().to_string(),
                );
            }
            for e in exp {
                let n = gs(e, "name").unwrap_or("");
                let Some(l) = actual.iter().find(|l| gs(l, "name") == Some(n)) else {
                    return fail(format!("listener {n} missing from status"));
                };
                if let Some(want) = e.get("attachedRoutes").and_then(Value::as_i64) {
                    let got = l.get("attachedRoutes").and_then(Value::as_i64).unwrap_or(0);
                    if got != want {
                        return fail_ea(
                            format!("listener {n} attachedRoutes"),
                            want.to_string(),
                            got.to_string(),
                        );
                    }
                }
                if let Some(want) = e.get("supportedKinds").and_then(Value::as_array) {
                    let got = l
                        .get("supportedKinds")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    let key = |k: &Value| {
                        (
                            gs(k, "group")
                                .filter(|g| !g.is_empty())
                                .unwrap_or(gwlab::model::GATEWAY_GROUP)
                                .to_string(),
                            gs(k, "kind").unwrap_or("").to_string(),
                        )
                    };
                    let got_keys: Vec<_> = got.iter().map(key).collect();
                    if want.is_empty() && !got.is_empty() {
                        return fail_ea(
                            format!("listener {n} supportedKinds"),
                            "[]",
                            format!("{got_keys:?}"),
                        );
                    }
                    for w in want {
                        if !got_keys.contains(&key(w)) {
                            return fail_ea(
                                format!("listener {n} supportedKinds"),
                                format!("{:?}", key(w)),
                                format!("{got_keys:?}"),
                            );
                        }
                    }
                }
                if let Some(conds) = e.get("conditions").and_then(Value::as_array) {
                    if let Err(m) = conditions_hold(l.get("conditions"), conds, rule) {
                        return fail(format!("listener {n}: {m}"));
                    }
                }
            }
        }
        if let Some(0) = se
            .get("all_listeners_attached_routes")
            .and_then(Value::as_i64)
        {
            judged_any = true;
            let actual = status
                .get("listeners")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let ok = actual.is_empty()
                || actual.len() == 1
                    && actual[0]
                        .get("attachedRoutes")
                        .and_then(Value::as_i64)
                        .unwrap_or(0)
                        == 0;
            if !ok {
                let got: Vec<String> = actual
                    .iter()
                    .map(|l| {
                        format!(
                            "{}={}",
                            gs(l, "name").unwrap_or("?"),
                            l.get("attachedRoutes").and_then(Value::as_i64).unwrap_or(0)
                        )
                    })
                    .collect();
                return fail_ea(
                    "attachedRoutes",
                    "no listeners, or one with 0",
                    got.join(", "),
                );
            }
        }
        if let Some(n) = se.get("attached_listeners").and_then(Value::as_i64) {
            judged_any = true;
            let got = status
                .get("attachedListenerSets")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            if got != n {
                return fail_ea("attachedListenerSets", n.to_string(), got.to_string());
            }
        }
        if se
            .get("conditions_observed_generation_latest")
            .and_then(Value::as_bool)
            == Some(true)
        {
            judged_any = true;
            let mut lists: Vec<&Value> = Vec::new();
            if let Some(c) = status.get("conditions") {
                lists.push(c);
            }
            for p in status
                .get("parents")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(c) = p.get("conditions") {
                    lists.push(c);
                }
            }
            if lists
                .iter()
                .all(|l| l.as_array().is_none_or(|a| a.is_empty()))
            {
                return fail("no conditions at all");
            }
            for l in lists {
                for c in l.as_array().into_iter().flatten() {
                    let og = c.get("observedGeneration").and_then(Value::as_i64);
                    if og != Some(generation) {
                        return fail_ea(
                            format!("{} observedGeneration", gs(c, "type").unwrap_or("?")),
                            generation.to_string(),
                            format!("{og:?}"),
                        );
                    }
                }
            }
        }
        if !judged_any {
            return Judged::Skip("unknown expectation shape".into());
        }
        Judged::Pass
    }

    fn spec_listener_names(&self, kind: &str, ns: &str, name: &str) -> Vec<String> {
        self.raw
            .find(kind, ns, name)
            .and_then(|o| o.pointer("/spec/listeners"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|l| gs(l, "name").map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `p` is an expected parent (`group`, `kind`, `name`, `namespace`, optional `controllerName`).
    fn parent_holds(
        &self,
        status: &Value,
        p: &Value,
        conds: &[Value],
        route_ns: &str,
        ns_required: bool,
        rule: CondRule,
    ) -> Result<(), Judged> {
        let parents = status
            .get("parents")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let want_name = gs(p, "name").unwrap_or("");
        let want_ns = gs(p, "namespace");
        let controller = gs(p, "controllerName");
        let strict = controller.is_some();
        let want_group = gs(p, "group")
            .filter(|g| !g.is_empty())
            .unwrap_or(gwlab::model::GATEWAY_GROUP);
        let want_kind = gs(p, "kind").filter(|g| !g.is_empty()).unwrap_or("Gateway");
        let mut last_err = None;
        for e in &parents {
            let r = e.get("parentRef").cloned().unwrap_or(Value::Null);
            if gs(&r, "name") != Some(want_name) {
                continue;
            }
            match (gs(&r, "namespace").filter(|s| !s.is_empty()), want_ns) {
                (Some(a), Some(w)) if a != w => continue,
                (None, Some(w)) if ns_required || (strict && w != route_ns) => continue,
                _ => {}
            }
            if strict {
                let g = gs(&r, "group")
                    .filter(|g| !g.is_empty())
                    .unwrap_or(gwlab::model::GATEWAY_GROUP);
                let k = gs(&r, "kind")
                    .filter(|g| !g.is_empty())
                    .unwrap_or("Gateway");
                if g != want_group || !crate::kind_matches(k, want_kind) {
                    continue;
                }
                if gs(e, "controllerName") != controller {
                    last_err = Some(format!(
                        "controllerName {:?}, want {:?}",
                        gs(e, "controllerName"),
                        controller
                    ));
                    continue;
                }
            }
            match conditions_hold(e.get("conditions"), conds, rule) {
                Ok(()) => return Ok(()),
                Err(m) => last_err = Some(format!("parent {want_name}: {m}")),
            }
        }
        Err(match last_err {
            Some(m) => fail(m),
            None => fail_ea(
                format!("no status.parents entry for {want_name}"),
                want_name,
                parents_summary(&parents),
            ),
        })
    }

    // ---------------------------------------------------------------- traffic

    /// The Gateway a case talks to (`ns/name`); for a ListenerSet, the Gateway it attaches to.
    fn gateway_of(&self, case: &Value) -> Option<String> {
        let g = case.get("gateway")?;
        let kind = gs(g, "kind").unwrap_or("Gateway");
        let ns = gs(g, "namespace").unwrap_or("default");
        let name = gs(g, "name")?;
        if kind == "Gateway" {
            return Some(format!("{ns}/{name}"));
        }
        let obj = self.raw.find(kind, ns, name)?;
        let p = obj.pointer("/spec/parentRef")?;
        Some(format!(
            "{}/{}",
            gs(p, "namespace").unwrap_or(ns),
            gs(p, "name")?
        ))
    }

    /// Destination port of a case (see the README).
    fn port(&self, case: &Value) -> Result<u16, Judged> {
        let g = case.get("gateway").cloned().unwrap_or(Value::Null);
        if let Some(p) = g.get("port") {
            let n = match p {
                Value::String(s) => s.parse().ok(),
                Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
                _ => None,
            };
            if let Some(n) = n {
                return Ok(n);
            }
        }
        let kind = gs(&g, "kind").unwrap_or("Gateway");
        let ns = gs(&g, "namespace").unwrap_or("");
        let name = gs(&g, "name").unwrap_or("");
        let Some(obj) = self.raw.find(kind, ns, name) else {
            return Err(fail(format!(
                "{kind} {ns}/{name} not found in the manifests"
            )));
        };
        let listeners = obj
            .pointer("/spec/listeners")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let section = g
            .get("sectionNames")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(Value::as_str);
        listener_port(listeners, section)
            .ok_or_else(|| fail(format!("no listener port for {kind} {ns}/{name}")))
    }

    /// The echo app answering for a Service: the Deployment its selector picks, else its `app`
    /// selector label, else the Service name.
    fn app_of(&self, ns: &str, svc: &str) -> String {
        let Some(s) = self.raw.find("Service", ns, svc) else {
            return svc.to_string();
        };
        let sel = s
            .pointer("/spec/selector")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        if sel.is_empty() && self.test_name == "HTTPRouteServiceTypes" {
            // Its hand-made EndpointSlices are filled with the infra-backend-v1 pods (see test_inputs).
            return "infra-backend-v1".into();
        }
        if !sel.is_empty() {
            for d in self.raw.of_kind("Deployment") {
                if self.raw.namespace_of(d) != ns {
                    continue;
                }
                let labels = d
                    .pointer("/spec/template/metadata/labels")
                    .and_then(Value::as_object);
                if labels.is_some_and(|l| sel.iter().all(|(k, v)| l.get(k) == Some(v))) {
                    if let Some(n) = d.pointer("/metadata/name").and_then(Value::as_str) {
                        return n.to_string();
                    }
                }
            }
            if let Some(app) = sel.get("app").and_then(Value::as_str) {
                return app.to_string();
            }
        }
        svc.to_string()
    }

    fn backends<'o>(&self, o: &'o Outcome) -> Vec<(f64, &'o ShareOutcome, String)> {
        o.shares
            .iter()
            .filter(|s| s.fraction > 0.0)
            .filter_map(|s| match &s.outcome {
                b @ ShareOutcome::Backend {
                    namespace, name, ..
                } => Some((s.fraction, b, self.app_of(namespace, name))),
                _ => None,
            })
            .collect()
    }

    fn request_for(&self, case: &Value, protocol: RequestProtocol) -> Result<Request, Judged> {
        let r = case.get("request").cloned().unwrap_or(Value::Null);
        let https = gs(case, "transport") == Some("https");
        let host_raw = gs(&r, "host").map(String::from);
        let mut port = self.port(case)?;
        if self.test_name == "HTTPRouteListenerPortMatching" && protocol == RequestProtocol::Http {
            port = host_raw
                .as_deref()
                .and_then(|h| h.rsplit_once(':'))
                .and_then(|(_, p)| p.parse().ok())
                .unwrap_or(80);
        }
        let host = host_raw
            .as_deref()
            .map(|h| strip_port(h).to_ascii_lowercase());
        let mut headers = Vec::new();
        for (k, v) in r
            .get("headers")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            headers.push((k.clone(), value_str(v)));
        }
        let scheme = gs(&r, "scheme").map(String::from).unwrap_or_else(|| {
            if https {
                "https".into()
            } else {
                "http".into()
            }
        });
        let sni = if https {
            gs(&r, "sni").map(String::from).or_else(|| host.clone())
        } else {
            None
        };
        let client_certificate = r
            .get("client_certificate")
            .and_then(Value::as_bool)
            .unwrap_or(false)
            && case.pointer("/expect/failure").and_then(Value::as_bool) != Some(true);
        Ok(Request {
            protocol,
            method: gs(&r, "method").unwrap_or("GET").to_string(),
            scheme,
            host,
            port,
            path: gs(&r, "path").unwrap_or("/").to_string(),
            headers,
            sni,
            client_certificate,
            gateway: self.gateway_of(case),
            ext_auth_denies: false,
        })
    }

    fn http(&self, case: &Value) -> Judged {
        let req = tryj!(self.request_for(case, RequestProtocol::Http));
        let e = case.get("expect").cloned().unwrap_or(Value::Null);
        let o = self.a.route(&req);
        let actual = o.redirect.as_ref().map(|r| r.status).unwrap_or(o.status);
        let rejected = o.rejected() || o.status == 0 && o.shares.is_empty();
        let https = gs(case, "transport") == Some("https");
        let describe = || describe_outcome(&o, |ns, n| self.app_of(ns, n));

        if e.get("failure").and_then(Value::as_bool) == Some(true) {
            if https && e.get("failure_means").is_none() {
                return if rejected {
                    Judged::Pass
                } else {
                    fail_ea(
                        "an HTTP response arrived",
                        "no HTTP response (TLS rejected)",
                        describe(),
                    )
                };
            }
            return if rejected || ![200, 408, 504].contains(&actual) {
                Judged::Pass
            } else {
                fail_ea(
                    "request succeeded",
                    "connection error or a status other than 200/408/504",
                    describe(),
                )
            };
        }
        if rejected {
            return fail_ea(
                "connection rejected",
                format!(
                    "status {}",
                    e.get("status_code")
                        .map(|v| v.to_string())
                        .unwrap_or("200".into())
                ),
                describe(),
            );
        }
        let codes: Vec<u16> = match e.get("status_code") {
            None | Some(Value::Null) => vec![200],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|x| x.as_u64().map(|n| n as u16))
                .collect(),
            Some(v) => v
                .as_u64()
                .map(|n| vec![n as u16])
                .unwrap_or_else(|| vec![200]),
        };
        let timeout_ok =
            matches!(actual, 408 | 504) && codes.iter().any(|c| matches!(c, 408 | 504));
        if !codes.contains(&actual) && !timeout_ok {
            return fail_ea("status code", format!("{codes:?}"), describe());
        }
        if matches!(actual, 200 | 204) {
            let bes = self.backends(&o);
            if bes.is_empty() {
                return fail_ea("no backend answered", "a backend", describe());
            }
            for (_, b, app) in &bes {
                let ShareOutcome::Backend {
                    namespace,
                    path,
                    host,
                    headers,
                    tls,
                    ..
                } = b
                else {
                    continue;
                };
                if let Some(want) = gs(&e, "backend") {
                    if !app.starts_with(want) {
                        return fail_ea("backend", want, describe());
                    }
                }
                if let Some(want) = gs(&e, "namespace") {
                    if &**namespace != want {
                        return fail_ea("backend namespace", want, describe());
                    }
                }
                let r = case.get("request").cloned().unwrap_or(Value::Null);
                let (want_path, want_host, want_headers, absent) = match e.get("backend_request") {
                    Some(br) => (
                        gs(br, "path").map(String::from),
                        gs(br, "host").map(String::from),
                        br.get("headers").and_then(Value::as_object).cloned(),
                        br.get("absent_headers")
                            .and_then(Value::as_array)
                            .cloned()
                            .unwrap_or_default(),
                    ),
                    None => (
                        Some(gs(&r, "path").unwrap_or("/").to_string()),
                        gs(&r, "host").map(String::from),
                        r.get("headers").and_then(Value::as_object).cloned(),
                        Vec::new(),
                    ),
                };
                if let Some(p) = want_path {
                    if **path != *p {
                        return fail_ea("path seen by the backend", p, path.to_string());
                    }
                }
                if let Some(h) = want_host {
                    if !host.eq_ignore_ascii_case(&h)
                        && !strip_port(host).eq_ignore_ascii_case(strip_port(&h))
                    {
                        return fail_ea("Host seen by the backend", h, host.to_string());
                    }
                }
                for (k, v) in want_headers.iter().flatten() {
                    let want = value_str(v);
                    let got = header_get(headers, k);
                    if got.as_deref() != Some(want.as_str()) {
                        return fail_ea(
                            format!("request header {k}"),
                            want,
                            got.unwrap_or_else(|| "(absent)".into()),
                        );
                    }
                }
                for k in absent.iter().filter_map(Value::as_str) {
                    if let Some(got) = header_get(headers, k) {
                        return fail_ea(
                            format!("request header {k} must be absent"),
                            "(absent)",
                            got,
                        );
                    }
                }
                if gs(case, "transport").is_none() {
                    if let Some(want) = case.pointer("/request/sni").and_then(Value::as_str) {
                        let got = tls.as_ref().map(|t| t.sni.clone());
                        if got.as_deref() != Some(want) {
                            return fail_ea(
                                "SNI on the backend TLS connection",
                                want,
                                got.unwrap_or_else(|| "(plaintext)".into()),
                            );
                        }
                    }
                }
            }
            // Response headers: the backend's own, then the response filters of the main share.
            let mut backend_resp: Vec<(String, String)> = Vec::new();
            for (k, v) in e
                .get("backend_sets_response_headers")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                backend_resp.push((k.to_ascii_lowercase(), value_str(v)));
            }
            let ops = match o.primary().map(|s| &s.outcome) {
                Some(ShareOutcome::Backend {
                    response_header_ops,
                    ..
                }) => response_header_ops.clone(),
                _ => o.response_header_ops.clone(),
            };
            let resp = gwlab::route::apply_header_ops(&ops, &backend_resp);
            for (k, v) in e
                .get("response_headers")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let want = value_str(v);
                let got = header_get(&resp, k);
                if got.as_deref() != Some(want.as_str()) {
                    return fail_ea(
                        format!("response header {k}"),
                        want,
                        got.unwrap_or_else(|| "(absent)".into()),
                    );
                }
            }
            for (k, vs) in e
                .get("response_header_valid_values")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let got = header_get(&resp, k);
                let ok = vs
                    .as_array()
                    .is_some_and(|a| a.iter().any(|v| Some(value_str(v)) == got));
                if !ok {
                    return fail_ea(
                        format!("response header {k}"),
                        vs.to_string(),
                        got.unwrap_or_else(|| "(absent)".into()),
                    );
                }
            }
            for k in e
                .get("response_absent_headers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if let Some(got) = header_get(&resp, k) {
                    return fail_ea(
                        format!("response header {k} must be absent"),
                        "(absent)",
                        got,
                    );
                }
            }
            for m in e
                .get("mirrored_to")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let n = gs(m, "name").unwrap_or("");
                let ns = gs(m, "namespace").unwrap_or("");
                let hit = o.mirrors.iter().find(|(t, _)| {
                    let (tns, rest) = t.split_once('/').unwrap_or(("", t));
                    let tname = rest.split(':').next().unwrap_or(rest);
                    tns == ns && self.app_of(tns, tname).starts_with(n)
                });
                match hit {
                    None => {
                        return fail_ea("mirror", format!("{ns}/{n}"), format!("{:?}", o.mirrors))
                    }
                    Some((_, pct)) => {
                        if let Some(want) = m.get("percent").and_then(Value::as_f64) {
                            if (pct - want).abs() > 0.5 {
                                return fail_ea(
                                    "mirror percent",
                                    want.to_string(),
                                    pct.to_string(),
                                );
                            }
                        }
                    }
                }
            }
        }
        if matches!(actual, 301 | 302 | 303 | 307 | 308) {
            if let Some(want) = e.get("redirect") {
                let Some(r) = &o.redirect else {
                    return fail_ea("redirect without Location", want.to_string(), describe());
                };
                let loc = parse_location(&r.location);
                let req_scheme = if gs(case, "transport") == Some("https") {
                    "https"
                } else {
                    "http"
                };
                let path = case
                    .pointer("/request/path")
                    .and_then(Value::as_str)
                    .unwrap_or("/");
                let path_no_query = path.split('?').next().unwrap_or(path);
                let want_scheme = gs(want, "scheme").unwrap_or(req_scheme);
                let want_path = gs(want, "path").unwrap_or(path_no_query);
                let bad = |what: &str, w: &str| {
                    fail_ea(
                        format!("redirect {what}"),
                        w.to_string(),
                        r.location.clone(),
                    )
                };
                if loc.scheme != want_scheme {
                    return bad("scheme", want_scheme);
                }
                if let Some(h) = gs(want, "host") {
                    if !loc.host.eq_ignore_ascii_case(h) {
                        return bad("host", h);
                    }
                }
                if loc.path != want_path {
                    return bad("path", want_path);
                }
                match want.get("port") {
                    Some(p) if !p.is_null() => {
                        let w = value_str(p);
                        if loc.port.as_deref() != Some(w.as_str()) {
                            return bad("port", &w);
                        }
                    }
                    _ => {
                        let default = if loc.scheme == "https" { "443" } else { "80" };
                        if loc.port.as_deref().is_some_and(|p| p != default) {
                            return bad("port", &format!("(none) or {default}"));
                        }
                    }
                }
            }
        }
        if e.get("backend_must_not_be_reached")
            .and_then(Value::as_bool)
            == Some(true)
            && actual != 200
        {
            let top = o
                .shares
                .iter()
                .max_by(|a, b| a.fraction.total_cmp(&b.fraction));
            if top.is_some_and(|s| matches!(s.outcome, ShareOutcome::Backend { .. }))
                && o.redirect.is_none()
            {
                return fail_ea(
                    "a backend produced the response",
                    "gateway-generated response",
                    describe(),
                );
            }
        }
        Judged::Pass
    }

    fn grpc(&self, case: &Value) -> Judged {
        let r = case.get("request").cloned().unwrap_or(Value::Null);
        let port = tryj!(self.port(case));
        let headers = r
            .get("metadata")
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), value_str(v))).collect())
            .unwrap_or_default();
        let req = Request {
            protocol: RequestProtocol::Grpc,
            method: "POST".into(),
            scheme: if gs(case, "transport") == Some("https") {
                "grpcs".into()
            } else {
                "grpc".into()
            },
            host: gs(&r, "authority").map(|h| strip_port(h).to_ascii_lowercase()),
            port,
            path: format!(
                "/{}/{}",
                gs(&r, "service").unwrap_or(""),
                gs(&r, "method").unwrap_or("")
            ),
            headers,
            sni: None,
            client_certificate: false,
            ext_auth_denies: false,
            gateway: self.gateway_of(case),
        };
        let e = case.get("expect").cloned().unwrap_or(Value::Null);
        let o = self.a.route(&req);
        let got = o.grpc_status.clone().unwrap_or_else(|| {
            if o.status == 200 {
                "OK".into()
            } else {
                format!("HTTP {}", o.status)
            }
        });
        let describe = || {
            format!(
                "{got}; {}",
                describe_outcome(&o, |ns, n| self.app_of(ns, n))
            )
        };
        if e.get("failure").and_then(Value::as_bool) == Some(true) {
            return if grpc_code_eq(&got, "OK") {
                fail_ea("call succeeded", "a code other than OK", describe())
            } else {
                Judged::Pass
            };
        }
        let want = gs(&e, "code").unwrap_or("OK");
        if !grpc_code_eq(&got, want) {
            return fail_ea("gRPC code", want, describe());
        }
        if grpc_code_eq(want, "OK") {
            let bes = self.backends(&o);
            if bes.is_empty() {
                return fail_ea("no backend answered", "a backend", describe());
            }
            for (_, b, app) in &bes {
                let ShareOutcome::Backend { namespace, .. } = b else {
                    continue;
                };
                if let Some(w) = gs(&e, "backend") {
                    if !app.starts_with(w) {
                        return fail_ea("backend", w, describe());
                    }
                }
                if let Some(w) = gs(&e, "namespace") {
                    if &**namespace != w {
                        return fail_ea("backend namespace", w, describe());
                    }
                }
            }
        }
        Judged::Pass
    }

    fn l4_request(&self, case: &Value, protocol: RequestProtocol) -> Result<Request, Judged> {
        let r = case.get("request").cloned().unwrap_or(Value::Null);
        let port = self.port(case)?;
        let tls = r
            .get("tls")
            .and_then(Value::as_bool)
            .unwrap_or(protocol == RequestProtocol::Tls);
        let sni = gs(&r, "sni").filter(|s| !s.is_empty()).map(String::from);
        let protocol = if protocol == RequestProtocol::Tcp && tls {
            RequestProtocol::Tls
        } else {
            protocol
        };
        Ok(Request {
            protocol,
            method: String::new(),
            scheme: match protocol {
                RequestProtocol::Tls => "tls",
                RequestProtocol::Udp => "udp",
                _ => "tcp",
            }
            .into(),
            host: sni.clone(),
            port,
            path: String::new(),
            headers: Vec::new(),
            sni: if tls { sni } else { None },
            client_certificate: false,
            ext_auth_denies: false,
            gateway: self.gateway_of(case),
        })
    }

    fn listener_tls_mode(&self, o: &Outcome) -> Option<gwlab::resolve::TlsMode> {
        let l = o.listener.as_deref()?;
        for g in &self.a.resolved.gateways {
            for ls in &g.listeners {
                if format!("{}/{}/{}", g.namespace, g.name, ls.name) == l {
                    return ls.tls_mode;
                }
            }
        }
        None
    }

    fn l4(&self, case: &Value, protocol: RequestProtocol) -> Judged {
        let req = tryj!(self.l4_request(case, protocol));
        let e = case.get("expect").cloned().unwrap_or(Value::Null);
        let o = self.a.route(&req);
        let describe = || describe_outcome(&o, |ns, n| self.app_of(ns, n));
        let bes = self.backends(&o);
        if e.get("connection_rejected").and_then(Value::as_bool) == Some(true) {
            return if bes.is_empty() {
                Judged::Pass
            } else {
                fail_ea("connection accepted", "connection rejected", describe())
            };
        }
        if bes.is_empty() {
            return fail_ea("no backend reached", "a backend", describe());
        }
        for (_, b, app) in &bes {
            let ShareOutcome::Backend {
                namespace,
                tls,
                passthrough,
                ..
            } = b
            else {
                continue;
            };
            let passthrough = *passthrough
                || self.listener_tls_mode(&o) == Some(gwlab::resolve::TlsMode::Passthrough);
            if let Some(w) = gs(&e, "backend") {
                if !app.starts_with(w) {
                    return fail_ea("backend", w, describe());
                }
            }
            if let Some(w) = gs(&e, "namespace") {
                if &**namespace != w {
                    return fail_ea("backend namespace", w, describe());
                }
            }
            if let Some(w) = e.get("backend_is_tls").and_then(Value::as_bool) {
                let got = passthrough || tls.is_some();
                if got != w {
                    return fail_ea("backend gets TLS", w.to_string(), got.to_string());
                }
            }
            if let Some(w) = gs(&e, "hostname_seen_by_backend").filter(|s| !s.is_empty()) {
                let got = if passthrough {
                    req.sni.clone()
                } else {
                    tls.as_ref().map(|t| t.sni.clone())
                };
                if got.as_deref() != Some(w) {
                    return fail_ea(
                        "SNI seen by the backend",
                        w,
                        got.unwrap_or_else(|| "(none)".into()),
                    );
                }
            }
        }
        Judged::Pass
    }

    fn tls(&self, case: &Value) -> Judged {
        self.l4(case, RequestProtocol::Tls)
    }

    fn tcp(&self, case: &Value) -> Judged {
        let e = case.get("expect").cloned().unwrap_or(Value::Null);
        if e.get("reachable").is_some() || e.get("echo").is_some() && e.get("backend").is_none() {
            let req = tryj!(self.l4_request(case, RequestProtocol::Tcp));
            let o = self.a.route(&req);
            let reach = !self.backends(&o).is_empty();
            let want = e.get("reachable").and_then(Value::as_bool).unwrap_or(true)
                || e.get("echo").and_then(Value::as_bool).unwrap_or(false);
            return if reach == want || !want {
                Judged::Pass
            } else {
                fail_ea(
                    "reachable",
                    want.to_string(),
                    describe_outcome(&o, |ns, n| self.app_of(ns, n)),
                )
            };
        }
        self.l4(case, RequestProtocol::Tcp)
    }

    fn udp(&self, case: &Value) -> Judged {
        let req = tryj!(self.l4_request(case, RequestProtocol::Udp));
        let e = case.get("expect").cloned().unwrap_or(Value::Null);
        let o = self.a.route(&req);
        let bes = self.backends(&o);
        let want_echo = e.get("echo").and_then(Value::as_bool).unwrap_or(true);
        if want_echo && bes.is_empty() {
            return fail_ea(
                "no backend answered the datagram",
                "echo",
                describe_outcome(&o, |ns, n| self.app_of(ns, n)),
            );
        }
        if let Some(w) = gs(&e, "namespace") {
            if bes.iter().any(|(_, b, _)| matches!(b, ShareOutcome::Backend { namespace, .. } if &**namespace != w)) {
                return fail_ea("backend namespace", w, describe_outcome(&o, |ns, n| self.app_of(ns, n)));
            }
        }
        Judged::Pass
    }

    fn weighted(&self, case: &Value) -> Judged {
        let port = tryj!(self.port(case));
        let g = case.get("gateway").cloned().unwrap_or(Value::Null);
        let req = if let Some(r) = case.get("grpc_request") {
            Request {
                protocol: RequestProtocol::Grpc,
                method: "POST".into(),
                scheme: "grpc".into(),
                host: gs(r, "authority").map(|h| h.to_ascii_lowercase()),
                port,
                path: format!(
                    "/{}/{}",
                    gs(r, "service").unwrap_or(""),
                    gs(r, "method").unwrap_or("")
                ),
                headers: Vec::new(),
                sni: None,
                client_certificate: false,
                ext_auth_denies: false,
                gateway: self.gateway_of(case),
            }
        } else if let Some(r) = case.get("request") {
            let c = serde_json::json!({"gateway": g, "request": r});
            tryj!(self.request_for(&c, RequestProtocol::Http))
        } else {
            // A connection to the listener: TCP or UDP by the listener's protocol.
            let kind = gs(&g, "kind").unwrap_or("Gateway");
            let obj = self.raw.find(
                kind,
                gs(&g, "namespace").unwrap_or(""),
                gs(&g, "name").unwrap_or(""),
            );
            let proto = obj
                .and_then(|o| o.pointer("/spec/listeners"))
                .and_then(Value::as_array)
                .and_then(|ls| {
                    ls.iter()
                        .find(|l| l.get("port").and_then(Value::as_u64) == Some(port as u64))
                })
                .and_then(|l| gs(l, "protocol"))
                .unwrap_or("TCP")
                .to_string();
            let c = serde_json::json!({"gateway": g, "request": {"sni": "", "tls": false}});
            tryj!(self.l4_request(
                &c,
                if proto == "UDP" {
                    RequestProtocol::Udp
                } else {
                    RequestProtocol::Tcp
                }
            ))
        };
        let o = self.a.route(&req);
        let mut got: BTreeMap<String, f64> = BTreeMap::new();
        for (f, _, app) in self.backends(&o) {
            *got.entry(app).or_default() += f;
        }
        let want = case
            .get("expected_weights")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let show = || format!("{got:?}");
        for (b, w) in &want {
            let w = w.as_f64().unwrap_or(0.0);
            let g: f64 = got
                .iter()
                .filter(|(k, _)| k.starts_with(b.as_str()))
                .map(|(_, v)| *v)
                .sum();
            if w == 0.0 && g > 0.0 {
                return fail_ea(format!("{b} must receive nothing"), "0", show());
            }
            if (g - w).abs() > 0.05 {
                return fail_ea(format!("share of {b}"), format!("{w}"), show());
            }
        }
        for k in got.keys() {
            if !want.keys().any(|b| k.starts_with(b.as_str())) {
                return fail_ea(
                    format!("unexpected backend {k}"),
                    format!("{want:?}"),
                    show(),
                );
            }
        }
        Judged::Pass
    }
}

fn grpc_code_eq(a: &str, b: &str) -> bool {
    let n = |s: &str| {
        s.chars()
            .filter(|c| *c != '_')
            .collect::<String>()
            .to_ascii_lowercase()
    };
    n(a) == n(b)
}

fn strip_port(h: &str) -> &str {
    if h.starts_with('[') {
        return h.split(']').next().map(|s| &h[..s.len() + 1]).unwrap_or(h);
    }
    match h.rsplit_once(':') {
        Some((a, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => a,
        _ => h,
    }
}

fn value_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(value_str).collect::<Vec<_>>().join(","),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn header_get(headers: &[(String, String)], name: &str) -> Option<String> {
    let vals: Vec<&str> = headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect();
    (!vals.is_empty()).then(|| vals.join(","))
}

struct Location {
    scheme: String,
    host: String,
    port: Option<String>,
    path: String,
}

fn parse_location(loc: &str) -> Location {
    let (scheme, rest) = loc.split_once("://").unwrap_or(("", loc));
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let host = strip_port(authority);
    let port = authority
        .get(host.len() + 1..)
        .filter(|p| !p.is_empty())
        .map(String::from);
    Location {
        scheme: scheme.to_ascii_lowercase(),
        host: host.to_string(),
        port,
        path: path.to_string(),
    }
}

fn parents_summary(parents: &[Value]) -> String {
    if parents.is_empty() {
        return "no parents".into();
    }
    parents
        .iter()
        .map(|p| {
            let r = p.get("parentRef").cloned().unwrap_or(Value::Null);
            format!(
                "{}/{}{}: {}",
                gs(&r, "namespace").unwrap_or("-"),
                gs(&r, "name").unwrap_or("?"),
                gs(&r, "sectionName")
                    .map(|s| format!("#{s}"))
                    .unwrap_or_default(),
                crate::cond_summary(
                    p.get("conditions")
                        .and_then(Value::as_array)
                        .map(|v| v.as_slice())
                        .unwrap_or(&[])
                )
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `200 from gateway-conformance-infra/infra-backend-v1 (app infra-backend-v1) path=/ host=…`.
pub fn describe_outcome(o: &Outcome, app: impl Fn(&str, &str) -> String) -> String {
    let mut parts = vec![match &o.redirect {
        Some(r) => format!("{} → {}", r.status, r.location),
        None => format!("{}", o.status),
    }];
    for s in &o.shares {
        parts.push(match &s.outcome {
            ShareOutcome::Backend {
                namespace,
                name,
                port,
                path,
                host,
                ..
            } => format!(
                "{:.0}% {namespace}/{name}:{port} (app {}) path={path} host={host}",
                s.fraction * 100.0,
                app(namespace, name)
            ),
            ShareOutcome::Status { code } => format!("{:.0}% status {code}", s.fraction * 100.0),
            ShareOutcome::Rejected => format!("{:.0}% rejected", s.fraction * 100.0),
        });
    }
    if let Some(l) = &o.listener {
        parts.push(format!("listener {l}"));
    }
    parts.join("; ")
}

/// The port a case's requests go to, as the suite's address helper picks it: the named
/// listener's when the Gateway has one by that name, else the first listener's (so a case naming
/// a listener the Gateway lacks still reaches `spec.listeners[0]`).
fn listener_port(listeners: &[Value], section: Option<&str>) -> Option<u16> {
    let l = section
        .and_then(|s| listeners.iter().find(|l| gs(l, "name") == Some(s)))
        .or_else(|| listeners.first())?;
    l.get("port")
        .and_then(Value::as_u64)
        .and_then(|p| u16::try_from(p).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listener_ports_follow_the_suite_helper() {
        let ls = serde_json::json!([{"name": "http", "port": 80}, {"name": "https", "port": 443}]);
        let ls = ls.as_array().unwrap();
        let cases = [
            (Some("https"), Some(443)),
            (Some("http"), Some(80)),
            (None, Some(80)),
            (Some("missing"), Some(80)),
        ];
        for (section, want) in cases {
            assert_eq!(listener_port(ls, section), want, "{section:?}");
        }
        assert_eq!(listener_port(&[], Some("http")), None);
    }

    #[test]
    fn locations_parse() {
        let l = parse_location("https://example.org:8443/a/b?x=1");
        assert_eq!(
            (
                l.scheme.as_str(),
                l.host.as_str(),
                l.port.as_deref(),
                l.path.as_str()
            ),
            ("https", "example.org", Some("8443"), "/a/b")
        );
        let l = parse_location("http://1.2.3.4/port");
        assert_eq!(
            (l.host.as_str(), l.port, l.path.as_str()),
            ("1.2.3.4", None, "/port")
        );
    }

    #[test]
    fn skip_reasons() {
        assert_eq!(
            skip_reason(&serde_json::json!({"after_mutation": ["x"]})).as_deref(),
            Some("mutation")
        );
        assert_eq!(
            skip_reason(&serde_json::json!({"request": {"path": "/a?delay=1s"}})).as_deref(),
            Some("timing")
        );
        assert_eq!(
            skip_reason(&serde_json::json!({"expect": {"x": {"unresolved": "y"}}})).as_deref(),
            Some("unresolved")
        );
        assert_eq!(
            skip_reason(&serde_json::json!({"request": {"path": "/a"}})),
            None
        );
    }
}
