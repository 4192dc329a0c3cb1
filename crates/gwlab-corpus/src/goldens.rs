//! The Envoy Gateway translator goldens runner (format and judging rules: the goldens README).
//!
//! Each case's `input_yaml` collections plus the harness fixtures are loaded as one stream, analysed
//! as Envoy Gateway's controller with namespace-less objects kept namespace-less, and compared
//! twice: status (Gateways, listeners, routes, BackendTLSPolicy, GatewayClass/ListenerSet) and the
//! routing table (IR listeners, route entries with their outcome and precedence order, L4 routes).

use crate::{conditions_hold, find_status, CondRule, Tally, Verdict, GATEWAY_API_CONDITION_TYPES};
use gwlab::model::LoadOptions;
use gwlab::resolve::{BackendTarget, Protocol, RouteKind, TlsMode, ENVOY_GATEWAY_CONTROLLER};
use gwlab::{Analysis, Input, Options};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub const CLASS_NAME: &str = "envoy-gateway-class";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Tier {
    A,
    B,
    C,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TierSelect {
    A,
    B,
    All,
}

#[derive(Debug, Clone, Serialize)]
pub struct Part {
    pub verdict: Verdict,
    /// Every failed comparison.
    pub failures: Vec<String>,
    /// Fields not compared because the simulator does not expose them.
    pub skipped_fields: Vec<String>,
}

impl Part {
    fn new() -> Self {
        Part {
            verdict: Verdict::Passed,
            failures: Vec::new(),
            skipped_fields: Vec::new(),
        }
    }
    fn fail(&mut self, m: impl Into<String>) {
        self.verdict = Verdict::Failed;
        self.failures.push(m.into());
    }
    fn skip_field(&mut self, f: impl Into<String>) {
        let f = f.into();
        if !self.skipped_fields.contains(&f) {
            self.skipped_fields.push(f);
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    pub name: String,
    pub tier: Tier,
    pub verdict: Verdict,
    pub partial: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Part>,
    /// Status comparison with condition reasons ignored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reasonless: Option<Verdict>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing: Option<Part>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TierSummary {
    pub cases: Tally,
    pub status: Tally,
    pub status_reasonless: Tally,
    pub routing: Tally,
    pub partial: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub cases: Vec<CaseResult>,
    pub tiers: BTreeMap<String, TierSummary>,
}

impl Report {
    pub fn summary_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (t, s) in &self.tiers {
            if t == "C" {
                out.push(format!("tier C: {} skipped (eg-specific)", s.cases.skipped));
                continue;
            }
            let judged = s.cases.passed + s.cases.failed;
            out.push(format!(
                "tier {t}: {} ({} judged; {} passed (partial))",
                s.cases.line(),
                judged,
                s.partial
            ));
            out.push(format!(
                "  status agreement  {}/{judged}   reason-insensitive {}/{judged}   routing agreement {}/{judged}",
                s.status.passed, s.status_reasonless.passed, s.routing.passed
            ));
        }
        let mut total = Tally::default();
        for s in self.tiers.values() {
            total.merge(&s.cases);
        }
        out.push(format!("total: {}", total.line()));
        out
    }

    /// Pass counts for the floors file: per tier, cases / status / routing / reason-insensitive.
    pub fn pass_counts(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for (t, s) in &self.tiers {
            if t == "C" {
                continue;
            }
            m.insert(t.to_string(), s.cases.passed);
            m.insert(format!("{t}.status"), s.status.passed);
            m.insert(format!("{t}.status_reasonless"), s.status_reasonless.passed);
            m.insert(format!("{t}.routing"), s.routing.passed);
        }
        m
    }
}

/// The harness fixtures (`_fixtures.json`).
#[derive(Debug, Clone, Default)]
pub struct Fixtures {
    pub objects: Vec<Value>,
    /// Case name → flags, for cases run with non-default flags.
    pub flag_overrides: BTreeSet<String>,
}

impl Fixtures {
    pub fn from_json(v: &Value) -> Fixtures {
        let t = v.get("TestTranslate").cloned().unwrap_or(Value::Null);
        let mut objects = Vec::new();
        for ns in t
            .get("namespaces")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            objects
                .push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}));
        }
        for s in t
            .get("services")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = s.get("name").and_then(Value::as_str).unwrap_or("");
            let ns = s
                .get("namespace")
                .and_then(Value::as_str)
                .unwrap_or("default");
            let ports: Vec<Value> = s
                .get("ports")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|p| {
                    let mut m = Map::new();
                    for k in ["name", "port", "protocol", "appProtocol"] {
                        if let Some(v) = p.get(k) {
                            m.insert(k.into(), v.clone());
                        }
                    }
                    Value::Object(m)
                })
                .collect();
            let mut spec = json!({"ports": ports});
            if let Some(ip) = s.get("clusterIP") {
                spec["clusterIP"] = ip.clone();
            }
            objects.push(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns}, "spec": spec}));
            let eps: Vec<Value> = s
                .get("endpoints")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|a| json!({"addresses": [a], "conditions": {"ready": true}}))
                .collect();
            let ep_ports: Vec<Value> = ports
                .iter()
                .map(|p| {
                    let mut m = Map::new();
                    for k in ["name", "port", "protocol", "appProtocol"] {
                        if let Some(v) = p.get(k) {
                            m.insert(k.into(), v.clone());
                        }
                    }
                    Value::Object(m)
                })
                .collect();
            objects.push(json!({
                "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"name": format!("{name}-fixture"), "namespace": ns, "labels": {"kubernetes.io/service-name": name}},
                "addressType": "IPv4", "endpoints": eps, "ports": ep_ports
            }));
        }
        for s in t
            .get("secrets_from_base_yaml")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            objects.push(json!({
                "apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": s.get("name").cloned().unwrap_or(Value::Null), "namespace": s.get("namespace").cloned().unwrap_or(Value::Null)},
                "type": s.get("type").cloned().unwrap_or(json!("kubernetes.io/tls")),
                "data": {"tls.crt": "UExBQ0VIT0xERVI=", "tls.key": "UExBQ0VIT0xERVI="}
            }));
        }
        let flag_overrides = v
            .get("flag_overrides")
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        Fixtures {
            objects,
            flag_overrides,
        }
    }
}

const CANONICAL_KEYS: &[&str] = &[
    "gatewayClass",
    "gateways",
    "listenerSets",
    "httpRoutes",
    "grpcRoutes",
    "tlsRoutes",
    "tcpRoutes",
    "udpRoutes",
    "referenceGrants",
    "namespaces",
    "services",
    "serviceImports",
    "endpointSlices",
    "secrets",
    "configMaps",
    "backendTLSPolicies",
    "clusterTrustBundles",
    "clientTrafficPolicies",
    "backendTrafficPolicies",
    "securityPolicies",
    "envoyExtensionPolicies",
    "envoyPatchPolicies",
    "envoyProxyForGatewayClass",
    "envoyProxiesForGateways",
    "envoyProxyDefaultSpec",
    "backends",
    "httpFilters",
    "extensionRefFilters",
    "extensionServerPolicies",
];

/// `input_yaml` → objects in input order (keys matched case-insensitively, duplicate spellings
/// concatenated), whether it had a `gatewayClass`.
pub fn input_objects(input_yaml: &str) -> (Vec<Value>, bool) {
    let (docs, _) = gwlab::source::parse_stream(input_yaml);
    let mut collections: Vec<(String, Vec<Value>)> = Vec::new();
    for d in docs {
        let Value::Object(m) = d.value else { continue };
        for (k, v) in m {
            let canon = CANONICAL_KEYS
                .iter()
                .find(|c| c.eq_ignore_ascii_case(&k))
                .map(|c| c.to_string())
                .unwrap_or(k);
            let items = match v {
                Value::Null => Vec::new(),
                Value::Array(a) => a,
                other => vec![other],
            };
            match collections.iter_mut().find(|(c, _)| *c == canon) {
                Some((_, list)) => list.extend(items),
                None => collections.push((canon, items)),
            }
        }
    }
    let has_class = collections
        .iter()
        .any(|(c, l)| c == "gatewayClass" && !l.is_empty());
    let objects = collections
        .into_iter()
        .filter(|(c, _)| c != "envoyProxyDefaultSpec")
        .flat_map(|(_, l)| l)
        .filter(|o| o.get("kind").is_some())
        .collect();
    (objects, has_class)
}

fn ident(o: &Value) -> (String, String, String) {
    let g = |p: &str| {
        o.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    (g("/kind"), g("/metadata/namespace"), g("/metadata/name"))
}

/// The analysis inputs of a case: input objects, then fixtures (input wins on a clash), plus the
/// synthesized GatewayClass when the input has none.
pub fn case_inputs(case: &Value, fixtures: &Fixtures) -> Vec<Input> {
    let (mut objects, has_class) =
        input_objects(case.get("input_yaml").and_then(Value::as_str).unwrap_or(""));
    if !has_class {
        objects.insert(
            0,
            json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": CLASS_NAME}, "spec": {"controllerName": ENVOY_GATEWAY_CONTROLLER}}),
        );
    }
    let taken: BTreeSet<_> = objects.iter().map(ident).collect();
    let fixtures: Vec<Value> = fixtures
        .objects
        .iter()
        .filter(|f| !taken.contains(&ident(f)))
        .cloned()
        .collect();
    vec![
        Input::new("input.yaml", gwlab::emit::to_yaml_stream(&objects)),
        Input::new("fixtures.yaml", gwlab::emit::to_yaml_stream(&fixtures)),
    ]
}

pub fn run_dir(dir: &Path, tiers: TierSelect, only: Option<&str>) -> Result<Report, String> {
    let fx_path = dir.join("_fixtures.json");
    let fx_text =
        std::fs::read_to_string(&fx_path).map_err(|e| format!("{}: {e}", fx_path.display()))?;
    let fx_json: Value =
        serde_json::from_str(&fx_text).map_err(|e| format!("{}: {e}", fx_path.display()))?;
    let fixtures = Fixtures::from_json(&fx_json);
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
        if only.is_some_and(|o| o != stem) {
            continue;
        }
        let case: Value = match std::fs::read(&f)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
        {
            Ok(v) => v,
            Err(e) => {
                let mut p = Part::new();
                p.fail(format!("{}: {e}", f.display()));
                report.add(CaseResult {
                    name: stem,
                    tier: Tier::A,
                    verdict: Verdict::Failed,
                    partial: false,
                    skip_reason: None,
                    status: Some(p),
                    status_reasonless: None,
                    routing: None,
                });
                continue;
            }
        };
        report.add(run_case(&case, &fixtures, tiers));
    }
    Ok(report)
}

impl Report {
    fn add(&mut self, c: CaseResult) {
        let key = format!("{:?}", c.tier);
        let s = self.tiers.entry(key).or_default();
        s.cases.add(c.verdict);
        if c.verdict != Verdict::Skipped {
            if c.partial && c.verdict == Verdict::Passed {
                s.partial += 1;
            }
            if let Some(p) = &c.status {
                s.status.add(p.verdict);
            }
            if let Some(v) = c.status_reasonless {
                s.status_reasonless.add(v);
            }
            if let Some(p) = &c.routing {
                s.routing.add(p.verdict);
            }
        }
        self.cases.push(c);
    }
}

pub fn tier_of(case: &Value) -> Tier {
    let c = case.get("classification").cloned().unwrap_or(Value::Null);
    if c.get("cheap_to_compare").and_then(Value::as_bool) == Some(true) {
        Tier::A
    } else if c.get("category").and_then(Value::as_str) == Some("core") {
        Tier::B
    } else {
        Tier::C
    }
}

pub fn run_case(case: &Value, fixtures: &Fixtures, select: TierSelect) -> CaseResult {
    let name = case
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_string();
    let tier = tier_of(case);
    let skip = |r: &str| CaseResult {
        name: name.clone(),
        tier,
        verdict: Verdict::Skipped,
        partial: false,
        skip_reason: Some(r.into()),
        status: None,
        status_reasonless: None,
        routing: None,
    };
    match (tier, select) {
        (Tier::C, _) => return skip("eg-specific"),
        (Tier::A, TierSelect::B) | (Tier::B, TierSelect::A) => return skip("tier not selected"),
        _ => {}
    }
    if tier == Tier::B {
        let flags = case
            .get("harness_flags")
            .and_then(Value::as_object)
            .is_some_and(|m| !m.is_empty());
        if flags || fixtures.flag_overrides.contains(&name) {
            return skip("flags");
        }
    }
    let inputs = case_inputs(case, fixtures);
    // The translator's test inputs never went through an API server: no admission, no defaults.
    let a = gwlab::analyze_with(
        &inputs,
        &Options::default(),
        &LoadOptions {
            default_namespace: String::new(),
            ties_in_input_order: true,
            api_server: false,
            ..LoadOptions::default()
        },
    );
    let expected = case.get("expected").cloned().unwrap_or(Value::Null);
    let status = compare_status(&a, &expected, true);
    let reasonless = compare_status(&a, &expected, false).verdict;
    let routing = compare_routing(&a, &expected);
    let failed = status.verdict == Verdict::Failed || routing.verdict == Verdict::Failed;
    let partial = !status.skipped_fields.is_empty() || !routing.skipped_fields.is_empty();
    CaseResult {
        name,
        tier,
        verdict: if failed {
            Verdict::Failed
        } else {
            Verdict::Passed
        },
        partial,
        skip_reason: None,
        status: Some(status),
        status_reasonless: Some(reasonless),
        routing: Some(routing),
    }
}

// -------------------------------------------------------------------------------- status

fn gs<'v>(v: &'v Value, k: &str) -> Option<&'v str> {
    v.get(k).and_then(Value::as_str)
}

fn arr(v: Option<&Value>) -> Vec<Value> {
    v.and_then(Value::as_array).cloned().unwrap_or_default()
}

/// Expected conditions minus implementation-specific types.
fn api_conditions(v: Option<&Value>) -> Vec<Value> {
    arr(v)
        .into_iter()
        .filter(|c| gs(c, "type").is_some_and(|t| GATEWAY_API_CONDITION_TYPES.contains(&t)))
        .collect()
}

/// A parentRef/ancestorRef normalized: group, kind, namespace defaults; sectionName and port as given.
fn norm_ref(r: &Value, owner_ns: &str) -> String {
    let group = gs(r, "group")
        .filter(|s| !s.is_empty())
        .unwrap_or(gwlab::model::GATEWAY_GROUP);
    let kind = gs(r, "kind").filter(|s| !s.is_empty()).unwrap_or("Gateway");
    let kind = if kind == "XListenerSet" {
        "ListenerSet"
    } else {
        kind
    };
    let ns = gs(r, "namespace")
        .filter(|s| !s.is_empty())
        .unwrap_or(owner_ns);
    let name = gs(r, "name").unwrap_or("");
    let section = gs(r, "sectionName").unwrap_or("-");
    let port = r
        .get("port")
        .and_then(Value::as_u64)
        .map(|p| p.to_string())
        .unwrap_or("-".into());
    format!("{group}/{kind}/{ns}/{name}#{section}:{port}")
}

fn compare_listeners(
    part: &mut Part,
    what: &str,
    expected: &Value,
    actual: &Value,
    rule: CondRule,
) {
    let exp = arr(expected.get("listeners"));
    let act = arr(actual.get("listeners"));
    let en: BTreeSet<&str> = exp.iter().filter_map(|l| gs(l, "name")).collect();
    let an: BTreeSet<&str> = act.iter().filter_map(|l| gs(l, "name")).collect();
    if en != an {
        part.fail(format!("{what}: listeners {en:?}, simulator has {an:?}"));
        return;
    }
    for e in &exp {
        let n = gs(e, "name").unwrap_or("");
        let Some(l) = act.iter().find(|l| gs(l, "name") == Some(n)) else {
            continue;
        };
        let want = e.get("attachedRoutes").and_then(Value::as_i64).unwrap_or(0);
        let got = l.get("attachedRoutes").and_then(Value::as_i64).unwrap_or(0);
        if want != got {
            part.fail(format!(
                "{what} listener {n}: attachedRoutes {want}, simulator {got}"
            ));
        }
        if let Some(kinds) = e.get("supportedKinds").and_then(Value::as_array) {
            let wk: BTreeSet<String> = kinds
                .iter()
                .filter_map(|k| {
                    k.as_str()
                        .map(String::from)
                        .or_else(|| gs(k, "kind").map(String::from))
                })
                .collect();
            let gk: BTreeSet<String> = arr(l.get("supportedKinds"))
                .iter()
                .filter_map(|k| gs(k, "kind").map(String::from))
                .collect();
            if wk != gk {
                part.fail(format!(
                    "{what} listener {n}: supportedKinds {wk:?}, simulator {gk:?}"
                ));
            }
        }
        if let Err(m) = conditions_hold(
            l.get("conditions"),
            &api_conditions(e.get("conditions")),
            rule,
        ) {
            part.fail(format!("{what} listener {n}: {m}"));
        }
    }
}

fn compare_gateway_like(part: &mut Part, a: &Analysis, kind: &str, e: &Value, rule: CondRule) {
    let ns = gs(e, "namespace").unwrap_or("");
    let name = gs(e, "name").unwrap_or("");
    let what = format!("{kind} {ns}/{name}");
    let Some(st) = find_status(a, kind, ns, name) else {
        part.fail(format!("{what}: no status from the simulator"));
        return;
    };
    let conds = api_conditions(e.get("conditions"));
    if !conds.is_empty() {
        if let Err(m) = conditions_hold(st.status.get("conditions"), &conds, rule) {
            part.fail(format!("{what}: {m}"));
        }
    }
    if e.get("listeners").is_some() {
        compare_listeners(part, &what, e, &st.status, rule);
    }
    if let Some(n) = e.get("attachedListenerSets").and_then(Value::as_i64) {
        let got = st
            .status
            .get("attachedListenerSets")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        if got != n {
            part.fail(format!("{what}: attachedListenerSets {n}, simulator {got}"));
        }
    }
}

/// Compares an expected list of `{<ref_key>, conditions}` entries with the actual ones, as sets of
/// normalized references.
fn compare_refs(
    part: &mut Part,
    what: &str,
    owner_ns: &str,
    expected: &[Value],
    actual: &[Value],
    ref_key: &str,
    rule: CondRule,
) {
    let ek: BTreeMap<String, &Value> = expected
        .iter()
        .map(|e| {
            (
                norm_ref(e.get(ref_key).unwrap_or(&Value::Null), owner_ns),
                e,
            )
        })
        .collect();
    let ak: BTreeMap<String, &Value> = actual
        .iter()
        .map(|e| {
            (
                norm_ref(e.get(ref_key).unwrap_or(&Value::Null), owner_ns),
                e,
            )
        })
        .collect();
    let es: BTreeSet<&String> = ek.keys().collect();
    let as_: BTreeSet<&String> = ak.keys().collect();
    if es != as_ {
        part.fail(format!("{what}: {ref_key}s {:?}, simulator {:?}", es, as_));
        return;
    }
    for (k, e) in &ek {
        if let Err(m) = conditions_hold(
            ak[k].get("conditions"),
            &api_conditions(e.get("conditions")),
            rule,
        ) {
            part.fail(format!("{what} {ref_key} {k}: {m}"));
        }
    }
}

pub fn compare_status(a: &Analysis, expected: &Value, reasons: bool) -> Part {
    let rule = CondRule {
        reasons,
        generation: None,
    };
    let mut part = Part::new();
    for g in arr(expected.get("gateways")) {
        compare_gateway_like(&mut part, a, "Gateway", &g, rule);
    }
    for r in arr(expected.get("routes")) {
        let kind = gs(&r, "kind").unwrap_or("");
        let ns = gs(&r, "namespace").unwrap_or("");
        let name = gs(&r, "name").unwrap_or("");
        let exp = arr(r.get("parents"));
        let act = find_status(a, kind, ns, name)
            .map(|s| arr(s.status.get("parents")))
            .unwrap_or_default();
        compare_refs(
            &mut part,
            &format!("{kind} {ns}/{name}"),
            ns,
            &exp,
            &act,
            "parentRef",
            rule,
        );
    }
    for p in arr(expected.get("policies")) {
        if gs(&p, "kind") != Some("BackendTLSPolicy") {
            continue;
        }
        let ns = gs(&p, "namespace").unwrap_or("");
        let name = gs(&p, "name").unwrap_or("");
        let exp = arr(p.get("ancestors"));
        let act = find_status(a, "BackendTLSPolicy", ns, name)
            .map(|s| arr(s.status.get("ancestors")))
            .unwrap_or_default();
        compare_refs(
            &mut part,
            &format!("BackendTLSPolicy {ns}/{name}"),
            ns,
            &exp,
            &act,
            "ancestorRef",
            rule,
        );
    }
    for o in arr(expected.get("other_status")) {
        if let Some(k @ ("GatewayClass" | "ListenerSet" | "XListenerSet")) = gs(&o, "kind") {
            compare_gateway_like(&mut part, a, k, &o, rule)
        }
    }
    part
}

// -------------------------------------------------------------------------------- routing

#[derive(Debug, Clone, PartialEq)]
enum RouteOutcome {
    Direct(u64),
    Redirect,
    Destinations(Vec<(String, String, String, String, u64)>, u64),
}

#[derive(Debug, Clone)]
struct IrRoute {
    hostname: String,
    path_match: Value,
    headers: Vec<String>,
    query: Vec<String>,
    outcome: RouteOutcome,
}

fn norm_matches(v: Option<&Value>) -> Vec<String> {
    let mut out: Vec<String> = arr(v)
        .iter()
        .map(|m| {
            let mut m = m.as_object().cloned().unwrap_or_default();
            m.remove("distinct");
            if m.get("name").and_then(Value::as_str) == Some("") {
                m.remove("name");
            }
            if let Some(Value::String(n)) = m.get("name").cloned() {
                m.insert("name".into(), Value::String(n.to_ascii_lowercase()));
            }
            if m.get("invert").is_none() {
                m.insert("invert".into(), Value::Bool(false));
            }
            let sorted: BTreeMap<_, _> = m.into_iter().collect();
            serde_json::to_string(&sorted).unwrap_or_default()
        })
        .collect();
    out.sort();
    out
}

fn expected_outcome(r: &Value) -> RouteOutcome {
    if let Some(code) = r
        .pointer("/direct_response/statusCode")
        .and_then(Value::as_u64)
    {
        return RouteOutcome::Direct(code);
    }
    if r.get("redirect").is_some_and(|v| !v.is_null()) {
        return RouteOutcome::Redirect;
    }
    dest_outcome(arr(r.get("destinations")).iter())
}

fn dest_outcome<'a>(ds: impl Iterator<Item = &'a Value>) -> RouteOutcome {
    let mut valid = Vec::new();
    let mut invalid = 0;
    for d in ds {
        let w = d.get("weight").and_then(Value::as_u64).unwrap_or(1);
        // A setting with neither a backend nor endpoints is an unusable backendRef (the GRPCRoute
        // goldens write it so, without the `invalid` flag): its share gets an error.
        let empty = d.get("name").is_none() && d.get("endpoints").is_none();
        if d.get("invalid").and_then(Value::as_bool) == Some(true) || empty {
            invalid += w;
        } else if w > 0 {
            valid.push((
                gs(d, "kind").unwrap_or("Service").to_string(),
                gs(d, "namespace").unwrap_or("").to_string(),
                gs(d, "name").unwrap_or("").to_string(),
                d.get("port")
                    .map(|p| {
                        p.as_str()
                            .map(String::from)
                            .unwrap_or_else(|| p.to_string())
                    })
                    .unwrap_or_default(),
                w,
            ));
        }
    }
    valid.sort();
    RouteOutcome::Destinations(valid, invalid)
}

fn path_match_of(m: &Value) -> Value {
    let p = m.get("path").cloned().unwrap_or(Value::Null);
    let v = gs(&p, "value").unwrap_or("/").to_string();
    match gs(&p, "type").unwrap_or("PathPrefix") {
        "Exact" => json!({"exact": v}),
        "RegularExpression" => json!({"safeRegex": v}),
        _ => json!({"prefix": v}),
    }
}

fn value_matches(list: Option<&Value>) -> Vec<Value> {
    arr(list)
        .iter()
        .map(|h| {
            let name = gs(h, "name").unwrap_or("");
            let val = gs(h, "value").unwrap_or("");
            match gs(h, "type").unwrap_or("Exact") {
                "RegularExpression" => json!({"name": name, "safeRegex": val}),
                _ => json!({"name": name, "exact": val}),
            }
        })
        .collect()
}

/// The TLS settings Envoy Gateway's IR gives an L4 route on a TLS listener: the SNIs its TLS
/// inspector matches (a TLSRoute's hostnames intersected with the listener's, `*` for any; a
/// TCPRoute's is the listener hostname, when there is one) and whether the listener terminates.
fn sim_l4_tls(kind: RouteKind, l: &gwlab::resolve::ListenerState, hostnames: &[String]) -> Value {
    if !matches!(l.protocol, Protocol::Tls | Protocol::Https) {
        return Value::Null;
    }
    let mut t = serde_json::Map::new();
    let snis: Option<BTreeSet<String>> = match kind {
        RouteKind::Tls if hostnames.is_empty() => Some(["*".to_string()].into()),
        RouteKind::Tls => Some(hostnames.iter().cloned().collect()),
        _ => l.hostname.clone().map(|h| [h].into()),
    };
    if let Some(snis) = snis {
        t.insert("snis".into(), json!(snis));
    }
    if l.tls_mode == Some(TlsMode::Terminate) {
        t.insert("terminate".into(), json!(true));
    }
    if t.is_empty() {
        Value::Null
    } else {
        Value::Object(t)
    }
}

/// The IR name of a listener: `gateway-namespace/gateway/listener`, and for a listener a
/// ListenerSet declares `gateway-namespace/gateway/set-namespace/set/listener` (Envoy Gateway
/// keeps same-named listeners of different sets apart that way).
fn ir_listener_name(
    a: &Analysis,
    g: &gwlab::resolve::GatewayState,
    l: &gwlab::resolve::ListenerState,
) -> String {
    match a
        .model
        .objects
        .get(l.source)
        .filter(|o| o.kind == "ListenerSet")
    {
        Some(ls) => format!(
            "{}/{}/{}/{}/{}",
            g.namespace,
            g.name,
            ls.namespace,
            ls.name(),
            l.name
        ),
        None => format!("{}/{}/{}", g.namespace, g.name, l.name),
    }
}

/// The simulator's view of the IR, derived from resolution (attachments, programmed rules, backends).
struct SimIr {
    listeners: BTreeMap<(String, String), Value>,
    routes: BTreeMap<(String, String, String), IrRoute>,
    l4: BTreeMap<(String, String, String), (String, RouteOutcome, Value)>,
}

fn sim_ir(a: &Analysis) -> SimIr {
    let mut ir = SimIr {
        listeners: BTreeMap::new(),
        routes: BTreeMap::new(),
        l4: BTreeMap::new(),
    };
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    // Oldest first, as the router and Envoy Gateway order routes: a TCP or UDP listener programs
    // only its oldest route (the router sends every connection there; the others are Accepted
    // but carry no traffic).
    let mut order: Vec<&gwlab::resolve::RouteState> = a.resolved.routes.iter().collect();
    order.sort_by_cached_key(|r| a.model.objects.get(r.object).map(|o| o.age_key()));
    for r in order {
        let Some(obj) = a.model.objects.get(r.object) else {
            continue;
        };
        let spec: Value = match &obj.body {
            gwlab::model::Body::HttpRoute(s) => serde_json::to_value(s).unwrap_or(Value::Null),
            gwlab::model::Body::GrpcRoute(s) => serde_json::to_value(s).unwrap_or(Value::Null),
            _ => Value::Null,
        };
        let prefix = r.kind.kind().to_ascii_lowercase();
        for at in &r.attachments {
            let Some(g) = a.resolved.gateways.get(at.gateway) else {
                continue;
            };
            let Some(l) = g.listeners.get(at.listener) else {
                continue;
            };
            // Only programmed listeners exist in the IR.
            if !l.programmed {
                continue;
            }
            let ir_key = format!("{}/{}", g.namespace, g.name);
            let lkey = ir_listener_name(a, g, l);
            let hosts: Vec<String> = if at.hostnames.is_empty() {
                vec!["*".into()]
            } else {
                at.hostnames.clone()
            };
            match r.kind {
                RouteKind::Http | RouteKind::Grpc => {
                    let rules = arr(spec.get("rules"));
                    for rs in &r.rules {
                        if !rs.programmed {
                            continue;
                        }
                        let rule = rules.get(rs.index).cloned().unwrap_or(Value::Null);
                        let mut matches = arr(rule.get("matches"));
                        // Envoy Gateway numbers the implicit match of a rule without matches -1.
                        let implicit = matches.is_empty();
                        if implicit {
                            matches.push(json!({}));
                        }
                        let outcome = sim_outcome(rs, &rule);
                        for (j, m) in matches.iter().enumerate() {
                            let (path_match, mut headers, query) = if r.kind == RouteKind::Grpc {
                                let (p, mut extra) = grpc_match(m);
                                extra.extend(value_matches(m.get("headers")));
                                (p, extra, Vec::new())
                            } else {
                                (
                                    path_match_of(m),
                                    value_matches(m.get("headers")),
                                    value_matches(m.get("queryParams")),
                                )
                            };
                            if let Some(method) = gs(m, "method") {
                                headers.push(json!({"name": ":method", "exact": method}));
                            }
                            for h in &hosts {
                                let j = if implicit { -1 } else { j as i64 };
                                let name = format!(
                                    "{prefix}/{}/{}/rule/{}/match/{j}/{}",
                                    obj.namespace,
                                    obj.name(),
                                    rs.index,
                                    h.replace('.', "_")
                                );
                                *counts.entry((ir_key.clone(), lkey.clone())).or_default() += 1;
                                ir.routes.insert(
                                    (ir_key.clone(), lkey.clone(), name),
                                    IrRoute {
                                        hostname: h.clone(),
                                        path_match: path_match.clone(),
                                        headers: norm_matches(Some(&Value::Array(headers.clone()))),
                                        query: norm_matches(Some(&Value::Array(query.clone()))),
                                        outcome: outcome.clone(),
                                    },
                                );
                            }
                        }
                    }
                }
                _ => {
                    if matches!(l.protocol, Protocol::Tcp | Protocol::Udp)
                        && counts.contains_key(&(ir_key.clone(), lkey.clone()))
                    {
                        continue;
                    }
                    let name = format!("{prefix}/{}/{}", obj.namespace, obj.name());
                    let protocol = if r.kind == RouteKind::Udp {
                        "UDP"
                    } else {
                        "TCP"
                    };
                    let mut valid = Vec::new();
                    let mut invalid = 0;
                    for rs in &r.rules {
                        for b in &rs.backends {
                            match &*b.target {
                                BackendTarget::Service {
                                    namespace,
                                    name,
                                    port,
                                    ..
                                } if b.weight > 0 => valid.push((
                                    "Service".to_string(),
                                    namespace.to_string(),
                                    name.to_string(),
                                    port.to_string(),
                                    b.weight,
                                )),
                                BackendTarget::Service { .. } => {}
                                BackendTarget::Invalid { .. } => invalid += b.weight,
                            }
                        }
                    }
                    valid.sort();
                    let tls = sim_l4_tls(r.kind, l, &at.hostnames);
                    *counts.entry((ir_key.clone(), lkey.clone())).or_default() += 1;
                    ir.l4.insert(
                        (ir_key.clone(), lkey.clone(), name),
                        (
                            protocol.into(),
                            RouteOutcome::Destinations(valid, invalid),
                            tls,
                        ),
                    );
                }
            }
        }
    }
    for g in &a.resolved.gateways {
        for l in &g.listeners {
            if !l.programmed {
                continue;
            }
            let ir_key = format!("{}/{}", g.namespace, g.name);
            let lkey = ir_listener_name(a, g, l);
            let ty = match l.protocol {
                Protocol::Http | Protocol::Https => "http",
                Protocol::Udp => "udp",
                _ => "tcp",
            };
            let tls = l.protocol == Protocol::Https
                || l.protocol == Protocol::Tls && l.tls_mode == Some(TlsMode::Terminate);
            let count = counts
                .get(&(ir_key.clone(), lkey.clone()))
                .copied()
                .unwrap_or(0);
            ir.listeners.insert(
                (ir_key, lkey),
                json!({"type": ty, "external_port": l.port, "hostnames": [l.hostname.clone().unwrap_or_else(|| "*".into())], "route_count": count, "tls": tls}),
            );
        }
    }
    ir
}

/// Envoy Gateway's translation of a GRPCRoute method match: (path match, extra header matches).
fn grpc_match(m: &Value) -> (Value, Vec<Value>) {
    let Some(method) = m.get("method") else {
        return (json!({"prefix": "/"}), Vec::new());
    };
    let svc = gs(method, "service");
    let meth = gs(method, "method");
    match (gs(method, "type").unwrap_or("Exact"), svc, meth) {
        ("Exact", Some(s), Some(me)) => (json!({"exact": format!("/{s}/{me}")}), Vec::new()),
        ("Exact", Some(s), None) => (json!({"prefix": format!("/{s}")}), Vec::new()),
        ("Exact", None, Some(me)) => (
            json!({"prefix": "/"}),
            vec![json!({"name": ":path", "suffix": format!("/{me}")})],
        ),
        ("Exact", None, None) => (json!({"prefix": "/"}), Vec::new()),
        (_, s, me) => (
            json!({"safeRegex": format!("/{}/{}", s.unwrap_or("[^/]+"), me.unwrap_or("[^/]+"))}),
            Vec::new(),
        ),
    }
}

fn sim_outcome(rs: &gwlab::resolve::RuleState, rule: &Value) -> RouteOutcome {
    if let Some(code) = rs.direct_status {
        return RouteOutcome::Direct(code as u64);
    }
    if arr(rule.get("filters"))
        .iter()
        .any(|f| gs(f, "type") == Some("RequestRedirect"))
    {
        return RouteOutcome::Redirect;
    }
    let mut valid = Vec::new();
    let mut invalid = 0;
    for b in &rs.backends {
        match &*b.target {
            BackendTarget::Service {
                namespace,
                name,
                port,
                ..
            } if b.weight > 0 => valid.push((
                "Service".to_string(),
                namespace.to_string(),
                name.to_string(),
                port.to_string(),
                b.weight,
            )),
            BackendTarget::Service { .. } => {}
            BackendTarget::Invalid { .. } => invalid += b.weight,
        }
    }
    if valid.is_empty() {
        return RouteOutcome::Direct(500);
    }
    valid.sort();
    RouteOutcome::Destinations(valid, invalid)
}

const FILTER_FIELDS: &[&str] = &[
    "url_rewrite",
    "add_request_headers",
    "remove_request_headers",
    "add_response_headers",
    "remove_response_headers",
    "mirrors",
    "timeout",
    "retry",
    "cors",
    "session_persistence",
];

pub fn compare_routing(a: &Analysis, expected: &Value) -> Part {
    let mut part = Part::new();
    let ir = sim_ir(a);

    // Listeners.
    let mut exp_listeners = BTreeMap::new();
    for l in arr(expected.get("ir_listeners")) {
        exp_listeners.insert(
            (
                gs(&l, "ir_key").unwrap_or("").to_string(),
                gs(&l, "listener").unwrap_or("").to_string(),
            ),
            l,
        );
    }
    let ek: BTreeSet<_> = exp_listeners.keys().collect();
    let sk: BTreeSet<_> = ir.listeners.keys().collect();
    if ek != sk {
        part.fail(format!(
            "IR listeners: missing {:?}, extra {:?}",
            ek.difference(&sk).map(|k| &k.1).collect::<Vec<_>>(),
            sk.difference(&ek).map(|k| &k.1).collect::<Vec<_>>()
        ));
    }
    for (k, e) in &exp_listeners {
        let Some(s) = ir.listeners.get(k) else {
            continue;
        };
        let hs = |v: &Value| {
            arr(v.get("hostnames"))
                .iter()
                .filter_map(|h| h.as_str().map(String::from))
                .collect::<BTreeSet<_>>()
        };
        let e_tls = e.get("tls").is_some_and(|t| !t.is_null());
        let checks = [
            ("type", e.get("type").cloned(), s.get("type").cloned()),
            (
                "external_port",
                e.get("external_port").cloned(),
                s.get("external_port").cloned(),
            ),
            (
                "route_count",
                e.get("route_count").cloned(),
                s.get("route_count").cloned(),
            ),
            ("tls", Some(Value::Bool(e_tls)), s.get("tls").cloned()),
        ];
        for (f, want, got) in checks {
            if want != got {
                part.fail(format!(
                    "IR listener {}: {f} {}, simulator {}",
                    k.1,
                    want.unwrap_or(Value::Null),
                    got.unwrap_or(Value::Null)
                ));
            }
        }
        if e.get("hostnames").is_some() && hs(e) != hs(s) {
            part.fail(format!(
                "IR listener {}: hostnames {:?}, simulator {:?}",
                k.1,
                hs(e),
                hs(s)
            ));
        }
    }

    // HTTP/gRPC route entries.
    let mut exp_routes = BTreeMap::new();
    for r in arr(expected.get("ir_routes")) {
        exp_routes.insert(
            (
                gs(&r, "ir_key").unwrap_or("").to_string(),
                gs(&r, "listener").unwrap_or("").to_string(),
                gs(&r, "name").unwrap_or("").to_string(),
            ),
            r,
        );
    }
    let ek: BTreeSet<_> = exp_routes.keys().collect();
    let sk: BTreeSet<_> = ir.routes.keys().collect();
    if ek != sk {
        part.fail(format!(
            "IR routes: missing {:?}, extra {:?}",
            ek.difference(&sk).map(|k| &k.2).collect::<Vec<_>>(),
            sk.difference(&ek).map(|k| &k.2).collect::<Vec<_>>()
        ));
    }
    for (k, e) in &exp_routes {
        for f in FILTER_FIELDS {
            if e.get(*f)
                .is_some_and(|v| !v.is_null() && v != &json!([]) && v != &json!({}))
            {
                part.skip_field(*f);
            }
        }
        let Some(s) = ir.routes.get(k) else { continue };
        let name = &k.2;
        if gs(e, "hostname").unwrap_or("*") != s.hostname {
            part.fail(format!(
                "{name}: hostname {:?}, simulator {}",
                gs(e, "hostname"),
                s.hostname
            ));
        }
        let epm = match e.get("path_match") {
            None | Some(Value::Null) => json!({"prefix": "/"}),
            Some(v) => v.clone(),
        };
        if epm != s.path_match {
            part.fail(format!(
                "{name}: path_match {epm}, simulator {}",
                s.path_match
            ));
        }
        let eh = norm_matches(e.get("header_matches"));
        if eh != s.headers {
            part.fail(format!(
                "{name}: header_matches {eh:?}, simulator {:?}",
                s.headers
            ));
        }
        let eq = norm_matches(e.get("query_param_matches"));
        if eq != s.query {
            part.fail(format!(
                "{name}: query_param_matches {eq:?}, simulator {:?}",
                s.query
            ));
        }
        if !arr(e.get("cookie_matches")).is_empty() {
            part.skip_field("cookie_matches");
        }
        let eo = expected_outcome(e);
        if eo != s.outcome {
            part.fail(format!("{name}: outcome {eo:?}, simulator {:?}", s.outcome));
        }
    }

    // Precedence order within (ir_key, listener, hostname), from the router's table.
    let mut exp_groups: BTreeMap<(String, String), Vec<(i64, String)>> = BTreeMap::new();
    for ((_, l, _), e) in &exp_routes {
        let host = gs(e, "hostname").unwrap_or("*").to_string();
        let route = e.get("route").cloned().unwrap_or(Value::Null);
        let rid = format!(
            "{}/{}",
            gs(&route, "namespace").unwrap_or(""),
            gs(&route, "name").unwrap_or("")
        );
        // `…/rule/<i>/match/<j>/<host>` → `<i>/<j>`.
        let rule = gs(e, "name")
            .and_then(|n| n.split("/rule/").nth(1))
            .map(|r| {
                let p: Vec<&str> = r.split('/').collect();
                format!("{}/{}", p.first().unwrap_or(&"?"), p.get(2).unwrap_or(&"0"))
            })
            .unwrap_or_default();
        exp_groups.entry((l.clone(), host)).or_default().push((
            e.get("order").and_then(Value::as_i64).unwrap_or(0),
            format!("{rid}#{rule}"),
        ));
    }
    let table = a.routing_table();
    // The table names listeners `namespace/gateway/listener`; the IR names those of a
    // ListenerSet with the set too.
    let ir_names: BTreeMap<String, String> = a
        .resolved
        .gateways
        .iter()
        .flat_map(|g| {
            g.listeners.iter().map(move |l| {
                (
                    format!("{}/{}/{}", g.namespace, g.name, l.name),
                    ir_listener_name(a, g, l),
                )
            })
        })
        .collect();
    let mut sim_groups: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for row in &table {
        let host = if row.hostname.is_empty() {
            "*".to_string()
        } else {
            row.hostname.clone()
        };
        let parts: Vec<&str> = row.route.split('/').collect();
        let rid = if parts.len() >= 2 {
            format!("{}/{}", parts[parts.len() - 2], parts[parts.len() - 1])
        } else {
            row.route.clone()
        };
        let listener = ir_names
            .get(&row.listener)
            .cloned()
            .unwrap_or_else(|| row.listener.clone());
        sim_groups
            .entry((listener, host))
            .or_default()
            .push(format!(
                "{rid}#{}/{}",
                row.rule,
                row.match_index.map(|m| m as i64).unwrap_or(-1)
            ));
    }
    let dedup = |v: Vec<String>| {
        let mut out: Vec<String> = Vec::new();
        for x in v {
            if out.last() != Some(&x) {
                out.push(x);
            }
        }
        out
    };
    for (g, mut entries) in exp_groups {
        if entries.len() < 2 {
            continue;
        }
        entries.sort();
        let want = dedup(entries.into_iter().map(|(_, r)| r).collect());
        if want.len() < 2 {
            continue;
        }
        let got = dedup(
            sim_groups
                .get(&g)
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|r| want.contains(r))
                .collect(),
        );
        if got != want {
            part.fail(format!(
                "order on {} host {}: {want:?}, simulator {got:?}",
                g.0, g.1
            ));
        }
    }

    // L4 routes.
    let mut exp_l4 = BTreeMap::new();
    for r in arr(expected.get("tcp_tls_routes")) {
        exp_l4.insert(
            (
                gs(&r, "ir_key").unwrap_or("").to_string(),
                gs(&r, "listener").unwrap_or("").to_string(),
                gs(&r, "name").unwrap_or("").to_string(),
            ),
            r,
        );
    }
    let ek: BTreeSet<_> = exp_l4.keys().collect();
    let sk: BTreeSet<_> = ir.l4.keys().collect();
    if ek != sk {
        part.fail(format!(
            "L4 routes: missing {:?}, extra {:?}",
            ek.difference(&sk).map(|k| &k.2).collect::<Vec<_>>(),
            sk.difference(&ek).map(|k| &k.2).collect::<Vec<_>>()
        ));
    }
    for (k, e) in &exp_l4 {
        let Some((proto, outcome, tls)) = ir.l4.get(k) else {
            continue;
        };
        if gs(e, "protocol") != Some(proto.as_str()) {
            part.fail(format!(
                "{}: protocol {:?}, simulator {proto}",
                k.2,
                gs(e, "protocol")
            ));
        }
        let eo = dest_outcome(arr(e.get("destinations")).iter());
        if &eo != outcome {
            part.fail(format!(
                "{}: destinations {eo:?}, simulator {outcome:?}",
                k.2
            ));
        }
        let et = e.get("tls").cloned().unwrap_or(Value::Null);
        let mut etls = serde_json::Map::new();
        if let Some(p) = et.get("passthrough_snis") {
            etls.insert(
                "snis".into(),
                json!(arr(Some(p))
                    .iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect::<BTreeSet<_>>()),
            );
        }
        if et.get("terminate").is_some() {
            etls.insert("terminate".into(), json!(true));
        }
        let etls = if etls.is_empty() {
            Value::Null
        } else {
            Value::Object(etls)
        };
        if &etls != tls {
            part.fail(format!("{}: tls {etls}, simulator {tls}", k.2));
        }
    }
    part
}
