//! The `gwlab test` expectations runner (format: `docs/test-format.md`).

use crate::{cond_summary, find_status};
use gwlab::model::LoadOptions;
use gwlab::route::{Outcome, ShareOutcome};
use gwlab::{Analysis, Input, Options};
use serde::Serialize;
use serde_json::Value;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// The variant this check belongs to (None = the base configuration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    pub name: String,
    pub passed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The check could not be run (the reason); a skipped check is neither passed nor failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub file: String,
    pub checks: Vec<Check>,
    /// The file could not be run at all (unreadable, invalid, missing manifests).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl FileReport {
    pub fn passed(&self) -> usize {
        self.checks.iter().filter(|c| c.passed).count()
    }
    pub fn failed(&self) -> usize {
        self.checks
            .iter()
            .filter(|c| !c.passed && c.skipped.is_none())
            .count()
            + usize::from(self.error.is_some())
    }
    pub fn skipped(&self) -> usize {
        self.checks.iter().filter(|c| c.skipped.is_some()).count()
    }
}

fn err(file: &str, e: String) -> FileReport {
    FileReport {
        file: file.into(),
        checks: Vec::new(),
        error: Some(e),
    }
}

/// Reads and parses a YAML/JSON file (first document).
fn read_doc(path: &Path) -> Result<Value, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (text, bad) = gwlab::source::decode_bytes(&path.display().to_string(), &bytes);
    if let Some(d) = bad {
        return Err(d.render());
    }
    let (docs, diags) = gwlab::source::parse_stream(&text);
    if let Some((d, _)) = diags
        .iter()
        .find(|(d, _)| d.severity == gwlab::Severity::Error)
    {
        return Err(format!("{}: {}", path.display(), d.message));
    }
    docs.into_iter()
        .next()
        .map(|d| d.value)
        .ok_or_else(|| format!("{}: empty file", path.display()))
}

/// One manifest file: its name (as given) and documents.
#[derive(Debug, Clone)]
struct Manifest {
    name: String,
    text: String,
}

/// Runs an expectation file, its objects admitted as the API server would.
pub fn run_file(path: &Path) -> FileReport {
    run_file_with(path, &LoadOptions::default())
}

/// Runs an expectation file with its manifests loaded as `load` says (e.g. without API-server
/// validation, for inputs that never went through one).
pub fn run_file_with(path: &Path, load: &LoadOptions) -> FileReport {
    let label = path.display().to_string();
    let spec = match read_doc(path) {
        Ok(v) => v,
        Err(e) => return err(&label, e),
    };
    let base = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    run_spec_with(&spec, &base, &label, load)
}

fn as_list(v: Option<&Value>) -> Vec<Value> {
    match v {
        Some(Value::Array(a)) => a.clone(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![other.clone()],
    }
}

/// The manifest files a test file names, read relative to `base`.
fn read_manifests(spec: &Value, base: &Path) -> Result<Vec<Manifest>, String> {
    let mut manifests = Vec::new();
    for m in as_list(spec.get("manifests")) {
        let Some(rel) = m.as_str() else {
            return Err("`manifests` must list file paths".into());
        };
        let p = base.join(rel);
        match std::fs::read(&p) {
            Ok(bytes) => {
                let (text, _) = gwlab::source::decode_bytes(rel, &bytes);
                manifests.push(Manifest {
                    name: rel.to_string(),
                    text,
                });
            }
            Err(e) => return Err(format!("{}: {e}", p.display())),
        }
    }
    if manifests.is_empty() {
        return Err("no `manifests` to load".into());
    }
    Ok(manifests)
}

/// The inputs a test file analyses: its manifests (variant `None`), then each variant's, with
/// the variant's patches applied (or why they could not be).
pub type VariantInputs = Vec<(Option<String>, Result<Vec<Input>, String>)>;

/// The inputs of the test file at `path` and of each of its variants.
pub fn file_inputs(path: &Path) -> Result<VariantInputs, String> {
    let spec = read_doc(path)?;
    let base = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let manifests = read_manifests(&spec, &base)?;
    let mut out: VariantInputs = vec![(
        None,
        Ok(manifests
            .iter()
            .map(|m| Input::new(m.name.clone(), m.text.clone()))
            .collect()),
    )];
    for v in as_list(spec.get("variants")) {
        let vname = v
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("variant")
            .to_string();
        out.push((
            Some(vname),
            patched_inputs(&manifests, &as_list(v.get("patch"))),
        ));
    }
    Ok(out)
}

/// Runs a parsed expectation file whose manifest paths are relative to `base`.
pub fn run_spec(spec: &Value, base: &Path, label: &str) -> FileReport {
    run_spec_with(spec, base, label, &LoadOptions::default())
}

fn run_spec_with(spec: &Value, base: &Path, label: &str, load: &LoadOptions) -> FileReport {
    let manifests = match read_manifests(spec, base) {
        Ok(m) => m,
        Err(e) => return err(label, e),
    };
    let opts = Options {
        controller_name: spec
            .get("controller")
            .and_then(Value::as_str)
            .map(String::from)
            .unwrap_or_else(|| gwlab::resolve::ENVOY_GATEWAY_CONTROLLER.into()),
    };
    let inputs: Vec<Input> = manifests
        .iter()
        .map(|m| Input::new(m.name.clone(), m.text.clone()))
        .collect();
    let analysis = gwlab::analyze_with(&inputs, &opts, load);
    let mut checks = Vec::new();
    run_expectations(&analysis, &opts, spec, None, &mut checks);

    for v in as_list(spec.get("variants")) {
        let vname = v
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("variant")
            .to_string();
        match patched_inputs(&manifests, &as_list(v.get("patch"))) {
            Ok(inputs) => {
                let a = gwlab::analyze_with(&inputs, &opts, load);
                run_expectations(&a, &opts, &v, Some(&vname), &mut checks);
            }
            Err(e) => checks.push(Check {
                variant: Some(vname),
                name: "apply patches".into(),
                passed: false,
                detail: Some(e),
                skipped: None,
            }),
        }
    }
    FileReport {
        file: label.into(),
        checks,
        error: None,
    }
}

/// What a check came to.
enum Verdict {
    Pass,
    Fail(String),
    Skip(String),
}

impl From<Result<(), String>> for Verdict {
    fn from(r: Result<(), String>) -> Verdict {
        match r {
            Ok(()) => Verdict::Pass,
            Err(e) => Verdict::Fail(e),
        }
    }
}

fn run_expectations(
    a: &Analysis,
    opts: &Options,
    spec: &Value,
    variant: Option<&str>,
    out: &mut Vec<Check>,
) {
    let mut push = |name: String, r: Verdict| {
        let (passed, detail, skipped) = match r {
            Verdict::Pass => (true, None, None),
            Verdict::Fail(e) => (false, Some(e), None),
            Verdict::Skip(why) => (false, None, Some(why)),
        };
        out.push(Check {
            variant: variant.map(String::from),
            name,
            passed,
            detail,
            skipped,
        });
    };
    // Envoy Gateway policies, built once per configuration when a burst needs them.
    let policies: std::cell::OnceCell<gwlab::eg::PolicyIndex> = std::cell::OnceCell::new();
    for r in as_list(spec.get("requests")) {
        let line = r
            .get("request")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let name = r
            .get("name")
            .and_then(Value::as_str)
            .map(String::from)
            .unwrap_or_else(|| line.clone());
        let expect = r.get("expect").unwrap_or(&Value::Null);
        let verdict = match r.get("burst") {
            Some(b) => check_burst(a, &line, b, expect, || {
                policies
                    .get_or_init(|| gwlab::eg::PolicyIndex::build(&a.model, &opts.controller_name))
            }),
            None => check_request(a, &line, expect).into(),
        };
        push(name, verdict);
    }
    let mut push = |name: String, r: Result<(), String>| push(name, r.into());
    for s in as_list(spec.get("status")) {
        let kind = s.get("kind").and_then(Value::as_str).unwrap_or("");
        let ns = s
            .get("namespace")
            .and_then(Value::as_str)
            .unwrap_or("default");
        let name = s.get("name").and_then(Value::as_str).unwrap_or("");
        let mut label = format!("status {kind} {ns}/{name}");
        if let Some(p) = s.get("parent").and_then(Value::as_str) {
            label.push_str(&format!(" parent {p}"));
        }
        if let Some(l) = s.get("listener").and_then(Value::as_str) {
            label.push_str(&format!(" listener {l}"));
        }
        push(label, check_status(a, &s));
    }
    for d in as_list(spec.get("diagnostics")) {
        let code = d
            .get("code")
            .and_then(Value::as_str)
            .or(d.as_str())
            .unwrap_or("")
            .to_string();
        let sev = d.get("severity").and_then(Value::as_str).map(String::from);
        let found = a
            .diagnostics
            .iter()
            .any(|x| x.code == code && sev.as_deref().is_none_or(|s| s == x.severity.as_str()));
        let r = if found {
            Ok(())
        } else {
            let have: Vec<String> = a
                .diagnostics
                .iter()
                .map(|x| format!("{}[{}]", x.severity.as_str(), x.code))
                .collect();
            Err(format!(
                "not reported (reported: {})",
                if have.is_empty() {
                    "none".into()
                } else {
                    have.join(", ")
                }
            ))
        };
        push(
            format!(
                "diagnostic {code}{}",
                sev.map(|s| format!(" ({s})")).unwrap_or_default()
            ),
            r,
        );
    }
    for c in as_list(spec.get("no_diagnostics")) {
        let code = c.as_str().unwrap_or("").to_string();
        let hits: Vec<String> = a
            .diagnostics
            .iter()
            .filter(|x| x.code == code)
            .map(|x| x.render())
            .collect();
        push(
            format!("no diagnostic {code}"),
            if hits.is_empty() {
                Ok(())
            } else {
                Err(format!("reported: {}", hits.join("; ")))
            },
        );
    }
}

fn status_code(o: &Outcome) -> u16 {
    o.redirect.as_ref().map(|r| r.status).unwrap_or(o.status)
}

fn is_rejected(o: &Outcome) -> bool {
    o.shares
        .iter()
        .any(|s| matches!(s.outcome, ShareOutcome::Rejected))
        && o.shares
            .iter()
            .all(|s| matches!(s.outcome, ShareOutcome::Rejected) || s.fraction == 0.0)
}

/// `ns/name:port (x%)` per share, or the status.
pub fn summarize(o: &Outcome) -> String {
    if let Some(r) = &o.redirect {
        return format!("{} → {}", r.status, r.location);
    }
    let parts: Vec<String> = o
        .shares
        .iter()
        .filter(|s| s.fraction > 0.0)
        .map(|s| {
            let what = match &s.outcome {
                ShareOutcome::Backend {
                    namespace,
                    name,
                    port,
                    ..
                } => format!("{namespace}/{name}:{port}"),
                ShareOutcome::Status { code } => format!("{code}"),
                ShareOutcome::Rejected => "rejected".into(),
            };
            if s.fraction >= 0.9999 {
                what
            } else {
                format!("{what} ({:.1}%)", s.fraction * 100.0)
            }
        })
        .collect();
    if parts.is_empty() {
        return format!("{}", o.status);
    }
    let joined = parts.join(", ");
    if o.status != 0 && o.status != 200 && !joined.starts_with(&o.status.to_string()) {
        format!("{} {joined}", o.status)
    } else {
        joined
    }
}

fn header<'h>(hs: &'h [(String, String)], name: &str) -> Option<String> {
    let v: Vec<&'h str> = hs
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect();
    (!v.is_empty()).then(|| v.join(","))
}

fn vstr(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `namespace/name:port` of a backend share, or the status code of a share the gateway answers.
fn share_key(o: &ShareOutcome) -> String {
    match o {
        ShareOutcome::Backend {
            namespace,
            name,
            port,
            ..
        } => format!("{namespace}/{name}:{port}"),
        ShareOutcome::Status { code } => code.to_string(),
        ShareOutcome::Rejected => "rejected".into(),
    }
}

/// Whether the request is an L4 connection (`tls://`, `tcp://`, `udp://`), for which the router
/// reports no HTTP status.
fn is_l4(req: &gwlab::Request) -> bool {
    matches!(req.scheme.as_str(), "tls" | "tcp" | "udp")
}

fn check_request(a: &Analysis, line: &str, e: &Value) -> Result<(), String> {
    let req = gwlab::parse_request(line).map_err(|d| format!("invalid request: {}", d.message))?;
    let o = a.route(&req);
    let got = || summarize(&o);
    if let Some(c) = e.get("connection").and_then(Value::as_str) {
        let rejected = o.rejected() || is_rejected(&o) || o.shares.is_empty() && o.status == 0;
        match (c, rejected) {
            ("rejected", true) => return Ok(()),
            ("accepted", false) => {}
            ("rejected" | "accepted", _) => {
                return Err(format!("expected connection {c}, got {}", got()))
            }
            _ => {
                return Err(format!(
                    "`connection` is `rejected` or `accepted`, not `{c}`"
                ))
            }
        }
    } else if is_rejected(&o) || o.shares.is_empty() && o.status == 0 && o.redirect.is_none() {
        // A refused connection answers no status at all: only `connection: rejected` expects it.
        return Err(format!(
            "expected a response, got a refused connection ({})",
            got()
        ));
    }
    let dist = e.get("backends").and_then(Value::as_object);
    if let Some(g) = e.get("grpc_status").and_then(Value::as_str) {
        let have = o.grpc_status.clone().unwrap_or_default();
        if !have.eq_ignore_ascii_case(g) {
            return Err(format!(
                "expected gRPC status {g}, got {} ({})",
                if have.is_empty() { "none" } else { &have },
                got()
            ));
        }
    } else {
        // The default is 200, except for L4 connections (no HTTP status), redirects (any 3xx)
        // and distributions (each share names its own status).
        let named = e.get("status").and_then(Value::as_u64).map(|s| s as u16);
        let want = match named {
            Some(w) => Some(w),
            None if is_l4(&req) || dist.is_some() || e.get("connection").is_some() => None,
            None if e.get("redirect").is_some() => None,
            None => Some(200),
        };
        if let Some(want) = want {
            if status_code(&o) != want {
                return Err(format!("expected status {want}, got {}", got()));
            }
        }
        if e.get("redirect").is_some() && named.is_none() && !(300..400).contains(&status_code(&o))
        {
            return Err(format!("expected a redirect, got {}", got()));
        }
    }
    if let Some(loc) = e.get("redirect").and_then(Value::as_str) {
        match &o.redirect {
            Some(r) if r.location == loc => {}
            Some(r) => return Err(format!("expected redirect to {loc}, got {}", r.location)),
            None => return Err(format!("expected redirect to {loc}, got {}", got())),
        }
    }
    let backends: Vec<(f64, &ShareOutcome)> = o
        .shares
        .iter()
        .filter(|s| s.fraction > 0.0 && matches!(s.outcome, ShareOutcome::Backend { .. }))
        .map(|s| (s.fraction, &s.outcome))
        .collect();
    if let Some(want) = e.get("backend").and_then(Value::as_str) {
        if backends.is_empty() || backends.iter().any(|(_, b)| share_key(b) != want) {
            return Err(format!("expected backend {want}, got {}", got()));
        }
    }
    if let Some(dist) = dist {
        // Backend shares by `ns/name:port`, shares the gateway answers by their status code.
        let shares: Vec<(f64, String)> = o
            .shares
            .iter()
            .filter(|s| s.fraction > 0.0)
            .map(|s| (s.fraction, share_key(&s.outcome)))
            .collect();
        let total: f64 = dist.values().filter_map(Value::as_f64).sum();
        if (total - 100.0).abs() > 0.5 {
            return Err(format!("the expected shares add up to {total}%, not 100%"));
        }
        for (t, pct) in dist {
            let Some(want) = pct.as_f64() else {
                return Err(format!("the share of {t} must be a number, not {pct}"));
            };
            let have: f64 = shares
                .iter()
                .filter(|(_, k)| k == t)
                .map(|(f, _)| f * 100.0)
                .sum();
            if (have - want).abs() > 0.5 {
                return Err(format!(
                    "expected {t} to get {want}%, got {have:.1}% ({})",
                    got()
                ));
            }
        }
        for (_, k) in &shares {
            if !dist.contains_key(k) {
                return Err(format!("unexpected share {k} ({})", got()));
            }
        }
    }
    for (_, b) in &backends {
        let ShareOutcome::Backend {
            path,
            host,
            headers,
            tls,
            ..
        } = b
        else {
            continue;
        };
        if let Some(p) = e.get("path").and_then(Value::as_str) {
            if &**path != p {
                return Err(format!(
                    "expected the backend to receive path {p}, got {path}"
                ));
            }
        }
        if let Some(h) = e.get("host").and_then(Value::as_str) {
            if !host.eq_ignore_ascii_case(h) {
                return Err(format!(
                    "expected the backend to receive Host {h}, got {host}"
                ));
            }
        }
        for (k, v) in e
            .get("request_headers")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let want = vstr(v);
            let have = header(headers, k);
            if have.as_deref() != Some(want.as_str()) {
                return Err(format!(
                    "expected request header {k}: {want}, got {}",
                    have.unwrap_or_else(|| "(absent)".into())
                ));
            }
        }
        for k in as_list(e.get("absent_request_headers"))
            .iter()
            .filter_map(Value::as_str)
        {
            if let Some(v) = header(headers, k) {
                return Err(format!("expected request header {k} to be absent, got {v}"));
            }
        }
        if let Some(bt) = e.get("backend_tls") {
            match tls {
                None => return Err("expected TLS to the backend, got plaintext".into()),
                Some(t) => {
                    if let Some(sni) = bt.get("sni").and_then(Value::as_str) {
                        if t.sni != sni {
                            return Err(format!("expected backend TLS SNI {sni}, got {}", t.sni));
                        }
                    }
                }
            }
        }
    }
    if (e.get("path").is_some()
        || e.get("host").is_some()
        || e.get("request_headers").is_some()
        || e.get("backend_tls").is_some())
        && backends.is_empty()
    {
        return Err(format!(
            "expected the request to reach a backend, got {}",
            got()
        ));
    }
    for (k, v) in e
        .get("response_headers")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let want = vstr(v);
        let have = header(&o.response_headers, k);
        if have.as_deref() != Some(want.as_str()) {
            return Err(format!(
                "expected response header {k}: {want}, got {}",
                have.unwrap_or_else(|| "(absent)".into())
            ));
        }
    }
    for k in as_list(e.get("absent_response_headers"))
        .iter()
        .filter_map(Value::as_str)
    {
        let removed = o
            .removed_response_headers
            .iter()
            .any(|r| r.eq_ignore_ascii_case(k));
        if let Some(v) = header(&o.response_headers, k) {
            return Err(format!(
                "expected response header {k} to be absent, got {v}"
            ));
        }
        let _ = removed;
    }
    Ok(())
}

/// Splits `a/b/c` ids: the Gateway `ns/name`, the listener `ns/gateway/listener` and the route
/// `Kind/ns/name` the router reports.
fn route_context(
    a: &gwlab::Analysis,
    o: &Outcome,
    req: &gwlab::Request,
) -> Option<gwlab::eg::RouteContext> {
    let (route_id, rule) = o.route.clone()?;
    let route_cors = a.router().rule_cors(&route_id, rule).is_some();
    let mut r = route_id.splitn(3, '/');
    let (route_kind, route_namespace, route) = (
        r.next()?.to_string(),
        r.next()?.to_string(),
        r.next()?.to_string(),
    );
    let listener_id = o.listener.clone()?;
    let mut l = listener_id.splitn(3, '/');
    let (gateway_namespace, gateway, listener) = (
        l.next()?.to_string(),
        l.next()?.to_string(),
        l.next()?.to_string(),
    );
    Some(gwlab::eg::RouteContext {
        gateway_namespace,
        gateway,
        listener,
        route_kind,
        route_namespace,
        route,
        rule,
        client_ip: None,
        ext_auth_denies: req.ext_auth_denies,
        now: None,
        route_cors,
    })
}

/// A global rate limit governs the route: its counts live in the external rate limit service,
/// which gwlab does not simulate, so a burst against it cannot be judged.
fn global_rate_limit(ix: &gwlab::eg::PolicyIndex, ctx: &gwlab::eg::RouteContext) -> Option<String> {
    let (pi, _, _, merged) =
        gwlab::eg::effects::governing(ix, gwlab::eg::PolicyKind::BackendTraffic, ctx)?;
    let p = &ix.policies[pi];
    let raw = merged.unwrap_or_else(|| p.raw.clone());
    raw.pointer("/rateLimit/global").filter(|g| !g.is_null())?;
    Some(format!(
        "BackendTrafficPolicy {}/{} sets a global rate limit, whose counts the external rate limit service keeps; gwlab does not simulate them",
        p.namespace, p.name
    ))
}

/// `burst: {count, per_second}`: sends `count` copies of the request and compares how many get
/// each status with `expect.statuses`. The local rate limit is replayed through Envoy Gateway's
/// token buckets (`gwlab::eg::ratelimit`); a request the gateway answers otherwise (no route, a
/// 500, an authentication failure) answers every copy the same way without taking a token.
fn check_burst<'p>(
    a: &Analysis,
    line: &str,
    b: &Value,
    e: &Value,
    policies: impl FnOnce() -> &'p gwlab::eg::PolicyIndex,
) -> Verdict {
    let req = match gwlab::parse_request(line) {
        Ok(r) => r,
        Err(d) => return Verdict::Fail(format!("invalid request: {}", d.message)),
    };
    let Some(count) = b.get("count").and_then(Value::as_u64).filter(|&c| c > 0) else {
        return Verdict::Fail("`burst.count` must be a positive number of requests".into());
    };
    let Some(rate) = b
        .get("per_second")
        .and_then(Value::as_f64)
        .filter(|&r| r > 0.0)
    else {
        return Verdict::Fail("`burst.per_second` must be a positive rate".into());
    };
    let Some(want) = e.get("statuses").and_then(Value::as_object) else {
        return Verdict::Fail(
            "a burst needs `expect.statuses` (status → number of requests)".into(),
        );
    };
    let o = a.route(&req);
    let mut statuses: std::collections::BTreeMap<u16, u64> = Default::default();
    let mut how = String::new();
    let routed = status_code(&o) == 200
        && !o
            .shares
            .iter()
            .any(|s| s.fraction > 0.0 && !matches!(s.outcome, ShareOutcome::Backend { .. }));
    match (routed, route_context(a, &o, &req)) {
        (true, Some(mut ctx)) => {
            let ix = policies();
            if let (Some(g), Some(l)) = (o.gateway.as_deref(), o.listener.as_deref()) {
                let (gns, gname) = g.split_once('/').unwrap_or(("default", g));
                let lname = l.rsplit('/').next().unwrap_or(l);
                ctx.client_ip =
                    gwlab::eg::client::client_view(ix, gns, gname, lname, &req, None).client_ip;
            }
            let fx = gwlab::eg::effects(ix, &req, &ctx);
            match fx.short_circuit.as_ref().filter(|sc| sc.status != 429) {
                Some(sc) => {
                    statuses.insert(sc.status, count);
                    how = format!("every request is answered {} ({})", sc.status, sc.reason);
                }
                None => {
                    if let Some(why) = global_rate_limit(ix, &ctx) {
                        return Verdict::Skip(why);
                    }
                    let r = gwlab::eg::ratelimit::burst(ix, &req, &ctx, count as usize, rate);
                    for q in &r.requests {
                        *statuses.entry(q.status).or_default() += 1;
                    }
                    how = r.summary;
                }
            }
        }
        _ => {
            let code = status_code(&o);
            if code == 0 {
                return Verdict::Fail(format!(
                    "expected responses, got a refused connection ({})",
                    summarize(&o)
                ));
            }
            statuses.insert(code, count);
        }
    }
    let have = statuses
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    let detail = if how.is_empty() {
        have.clone()
    } else {
        format!("{have}; {how}")
    };
    for (k, v) in want {
        let Ok(code) = k.parse::<u16>() else {
            return Verdict::Fail(format!("`{k}` is not a status code"));
        };
        let n = v.as_u64().unwrap_or(u64::MAX);
        if statuses.get(&code).copied().unwrap_or(0) != n {
            return Verdict::Fail(format!("expected {n} requests to get {code}, got {detail}"));
        }
    }
    if let Some((code, n)) = statuses
        .iter()
        .find(|(c, _)| !want.contains_key(&c.to_string()))
    {
        return Verdict::Fail(format!(
            "{n} requests got {code}, which the expectation does not name ({detail})"
        ));
    }
    Verdict::Pass
}

fn conds_match(actual: Option<&Value>, expected: &[Value]) -> Result<(), String> {
    let list = actual
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for e in expected {
        let ty = e.get("type").and_then(Value::as_str).unwrap_or("");
        let Some(c) = list
            .iter()
            .find(|c| c.get("type").and_then(Value::as_str) == Some(ty))
        else {
            return Err(format!("no {ty} condition (have: {})", cond_summary(&list)));
        };
        for f in ["status", "reason"] {
            if let Some(w) = e.get(f).filter(|v| !v.is_null()) {
                let w = vstr(w);
                let w = if f == "status" && (w == "true" || w == "false") {
                    if w == "true" {
                        "True".into()
                    } else {
                        "False".into()
                    }
                } else {
                    w
                };
                if c.get(f).map(vstr).as_deref() != Some(w.as_str()) {
                    return Err(format!(
                        "expected {ty} {f} {w}, have {}",
                        cond_summary(&list)
                    ));
                }
            }
        }
    }
    Ok(())
}

fn check_status(a: &Analysis, s: &Value) -> Result<(), String> {
    let kind = s.get("kind").and_then(Value::as_str).unwrap_or("");
    let ns = s
        .get("namespace")
        .and_then(Value::as_str)
        .unwrap_or("default");
    let name = s.get("name").and_then(Value::as_str).unwrap_or("");
    let st = find_status(a, kind, ns, name)
        .or_else(|| find_status(a, kind, "", name))
        .ok_or_else(|| format!("no status for {kind} {ns}/{name}"))?;
    let conds = as_list(s.get("conditions"));
    if let Some(l) = s.get("listener").and_then(Value::as_str) {
        let ls = as_list(st.status.get("listeners"));
        let entry = ls
            .iter()
            .find(|x| x.get("name").and_then(Value::as_str) == Some(l))
            .ok_or_else(|| format!("listener {l} has no status"))?;
        if let Some(n) = s.get("attachedRoutes").and_then(Value::as_i64) {
            let have = entry
                .get("attachedRoutes")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            if have != n {
                return Err(format!("expected attachedRoutes {n}, got {have}"));
            }
        }
        return conds_match(entry.get("conditions"), &conds);
    }
    if let Some(p) = s.get("parent").and_then(Value::as_str) {
        let mut entries = as_list(st.status.get("parents"));
        entries.extend(as_list(st.status.get("ancestors")));
        let matching: Vec<&Value> = entries
            .iter()
            .filter(|e| {
                e.get("parentRef")
                    .or(e.get("ancestorRef"))
                    .and_then(|r| r.get("name"))
                    .and_then(Value::as_str)
                    == Some(p)
            })
            .collect();
        if matching.is_empty() {
            return Err(format!("no status entry for parent {p}"));
        }
        let mut last = String::new();
        for e in matching {
            match conds_match(e.get("conditions"), &conds) {
                Ok(()) => return Ok(()),
                Err(m) => last = m,
            }
        }
        return Err(last);
    }
    conds_match(st.status.get("conditions"), &conds)
}

// ------------------------------------------------------------------------------ patches

/// `Kind/namespace/name` or `Kind/name`.
fn parse_target(t: &str) -> Result<(String, Option<String>, String), String> {
    let parts: Vec<&str> = t.split('/').collect();
    match parts.as_slice() {
        [k, n] => Ok((k.to_string(), None, n.to_string())),
        [k, ns, n] => Ok((k.to_string(), Some(ns.to_string()), n.to_string())),
        _ => Err(format!(
            "patch target `{t}` must be Kind/namespace/name or Kind/name"
        )),
    }
}

fn doc_matches(d: &Value, kind: &str, ns: Option<&str>, name: &str) -> bool {
    let k = d.get("kind").and_then(Value::as_str) == Some(kind);
    let n = d.pointer("/metadata/name").and_then(Value::as_str) == Some(name);
    let dns = d
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or("default");
    k && n && ns.is_none_or(|ns| ns == dns)
}

fn unescape(tok: &str) -> String {
    tok.replace("~1", "/").replace("~0", "~")
}

/// Sets `value` at JSON pointer `ptr`, creating missing objects; `-` appends to an array.
///
/// A pointer with more than [`gwlab::source::MAX_DEPTH`] tokens is refused before anything is
/// created: the manifest it would build is one the loader refuses anyway, and a 60,000-level value
/// would cost gigabytes to emit and overflow the stack when dropped.
pub fn pointer_set(doc: &mut Value, ptr: &str, value: Value) -> Result<(), String> {
    if ptr.is_empty() {
        *doc = value;
        return Ok(());
    }
    let depth = ptr.matches('/').count();
    if depth > gwlab::source::MAX_DEPTH {
        return Err(format!(
            "a pointer of {depth} levels is refused: manifests nest at most {} levels",
            gwlab::source::MAX_DEPTH
        ));
    }
    let toks: Vec<String> = ptr
        .strip_prefix('/')
        .ok_or_else(|| format!("`{ptr}` is not a JSON pointer"))?
        .split('/')
        .map(unescape)
        .collect();
    let mut cur = doc;
    for (i, t) in toks.iter().enumerate() {
        let last = i + 1 == toks.len();
        if cur.is_null() {
            *cur = Value::Object(Default::default());
        }
        cur = match cur {
            Value::Object(m) => {
                if last {
                    m.insert(t.clone(), value);
                    return Ok(());
                }
                m.entry(t.clone()).or_insert(Value::Null)
            }
            Value::Array(a) => {
                let idx = if t == "-" {
                    a.len()
                } else {
                    t.parse::<usize>()
                        .map_err(|_| format!("`{t}` is not an array index in `{ptr}`"))?
                };
                if idx > a.len() {
                    return Err(format!("index {idx} is out of range in `{ptr}`"));
                }
                if idx == a.len() {
                    a.push(Value::Null);
                }
                if last {
                    a[idx] = value;
                    return Ok(());
                }
                &mut a[idx]
            }
            _ => return Err(format!("`{ptr}` goes through a scalar")),
        };
    }
    Ok(())
}

/// Removes the value at `ptr`.
pub fn pointer_remove(doc: &mut Value, ptr: &str) -> Result<(), String> {
    let (parent, last) = ptr
        .rsplit_once('/')
        .ok_or_else(|| format!("`{ptr}` is not a JSON pointer"))?;
    let last = unescape(last);
    let p = doc
        .pointer_mut(parent)
        .ok_or_else(|| format!("`{parent}` does not exist"))?;
    match p {
        Value::Object(m) => m
            .remove(&last)
            .map(|_| ())
            .ok_or_else(|| format!("`{ptr}` does not exist")),
        Value::Array(a) => {
            let i: usize = last
                .parse()
                .map_err(|_| format!("`{last}` is not an index"))?;
            if i < a.len() {
                a.remove(i);
                Ok(())
            } else {
                Err(format!("`{ptr}` does not exist"))
            }
        }
        _ => Err(format!("`{parent}` is a scalar")),
    }
}

fn patched_inputs(manifests: &[Manifest], patches: &[Value]) -> Result<Vec<Input>, String> {
    let mut files: Vec<(String, Vec<Value>)> = manifests
        .iter()
        .map(|m| {
            let mut raw = crate::RawObjects::new("default");
            raw.add_text(&m.text);
            (m.name.clone(), raw.docs)
        })
        .collect();
    for p in patches {
        if let Some(t) = p.get("delete").and_then(Value::as_str) {
            let (k, ns, n) = parse_target(t)?;
            let mut hit = false;
            for (_, docs) in files.iter_mut() {
                let before = docs.len();
                docs.retain(|d| !doc_matches(d, &k, ns.as_deref(), &n));
                hit |= docs.len() != before;
            }
            if !hit {
                return Err(format!("delete: no object {t}"));
            }
        } else if let Some(t) = p.get("set").and_then(Value::as_str) {
            let (k, ns, n) = parse_target(t)?;
            let path = p
                .get("path")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("set {t}: missing `path`"))?;
            let value = p.get("value").cloned().unwrap_or(Value::Null);
            let mut hit = false;
            for (_, docs) in files.iter_mut() {
                for d in docs
                    .iter_mut()
                    .filter(|d| doc_matches(d, &k, ns.as_deref(), &n))
                {
                    pointer_set(d, path, value.clone())?;
                    hit = true;
                }
            }
            if !hit {
                return Err(format!("set: no object {t}"));
            }
        } else if let Some(t) = p.get("remove").and_then(Value::as_str) {
            let (k, ns, n) = parse_target(t)?;
            let path = p
                .get("path")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("remove {t}: missing `path`"))?;
            for (_, docs) in files.iter_mut() {
                for d in docs
                    .iter_mut()
                    .filter(|d| doc_matches(d, &k, ns.as_deref(), &n))
                {
                    pointer_remove(d, path)?;
                }
            }
        } else {
            return Err(format!("unknown patch {p}: use `delete` or `set`"));
        }
    }
    Ok(files
        .into_iter()
        .map(|(name, docs)| Input::new(name, gwlab::emit::to_yaml_stream(&docs)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const LAB: &str = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: eg}
spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: eg
  listeners:
    - {name: http, protocol: HTTP, port: 80}
    - {name: tls, protocol: TLS, port: 443, tls: {mode: Passthrough}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web}
spec:
  parentRefs: [{name: gw}]
  hostnames: [app.example.com]
  rules:
    - backendRefs: [{name: web, port: 80}, {name: gone, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: {name: pass}
spec:
  parentRefs: [{name: gw}]
  hostnames: [pass.example.com]
  rules:
    - backendRefs: [{name: web, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: limited}
spec:
  parentRefs: [{name: gw}]
  hostnames: [rl.example.com]
  rules:
    - backendRefs: [{name: web, port: 80}]
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: limits}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: limited}]
  rateLimit:
    local:
      rules:
        - limit: {requests: 3, unit: Second}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
"#;

    /// Runs `expect` (YAML: the requests part of an expectations file) against [`LAB`].
    fn run(expect: &str) -> Vec<Check> {
        let dir = std::env::temp_dir().join(format!(
            "gwlab-testfile-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("m.yaml"), LAB).unwrap();
        let (docs, _) = gwlab::source::parse_stream(&format!("manifests: [m.yaml]\n{expect}"));
        let spec = docs.into_iter().next().unwrap().value;
        let r = run_spec(&spec, &dir, "t");
        assert!(r.error.is_none(), "{:?}", r.error);
        r.checks
    }

    fn verdicts(expect: &str) -> Vec<Result<(), String>> {
        run(expect)
            .into_iter()
            .map(|c| {
                if c.passed {
                    Ok(())
                } else {
                    Err(c.detail.or(c.skipped).unwrap_or_default())
                }
            })
            .collect()
    }

    #[test]
    fn status_code_shares_and_l4_statuses() {
        let v = verdicts(
            r#"requests:
  - {request: "GET http://app.example.com/", expect: {backends: {"default/web:80": 50, "500": 50}}}
  - {request: "GET http://app.example.com/", expect: {backends: {"default/web:80": 100}}}
  - {request: "GET http://app.example.com/", expect: {backends: {"default/web:80": 50, "503": 50}}}
  - {request: "GET http://app.example.com/", expect: {backends: {"default/web:80": 50, "500": 40}}}
  - {request: "tls://pass.example.com", expect: {backend: default/web:80}}
  - {request: "tls://pass.example.com", expect: {status: 200, backend: default/web:80}}
"#,
        );
        assert!(v[0].is_ok(), "{v:?}");
        assert!(
            v[1].as_ref()
                .unwrap_err()
                .contains("default/web:80 to get 100"),
            "{v:?}"
        );
        assert!(
            v[2].is_err() && v[3].as_ref().unwrap_err().contains("add up to 90"),
            "{v:?}"
        );
        assert!(
            v[4].is_ok(),
            "an L4 connection has no HTTP status to check: {v:?}"
        );
        assert!(v[5].is_err(), "a status named for L4 is checked: {v:?}");
    }

    #[test]
    fn refused_http_connections() {
        let v = verdicts(
            r#"requests:
  - {request: "GET http://app.example.com:8080/", expect: {connection: rejected}}
  - {request: "GET http://app.example.com:8080/", expect: {status: 404}}
  - {request: "GET http://app.example.com/", expect: {connection: rejected}}
  - {request: "tls://other.example.com", expect: {connection: rejected}}
"#,
        );
        assert!(v[0].is_ok(), "{v:?}");
        assert!(
            v[1].as_ref().unwrap_err().contains("refused connection"),
            "{v:?}"
        );
        assert!(v[2].is_err() && v[3].is_ok(), "{v:?}");
    }

    #[test]
    fn bursts_replay_the_local_rate_limit() {
        let v = verdicts(
            r#"requests:
  - {request: "GET http://rl.example.com/", burst: {count: 5, per_second: 100}, expect: {statuses: {"200": 3, "429": 2}}}
  - {request: "GET http://rl.example.com/", burst: {count: 5, per_second: 1}, expect: {statuses: {"200": 5}}}
  - {request: "GET http://rl.example.com/", burst: {count: 5, per_second: 100}, expect: {statuses: {"200": 5}}}
  - {request: "GET http://nothing.example.com/", burst: {count: 4, per_second: 100}, expect: {statuses: {"404": 4}}}
  - {request: "GET http://rl.example.com/", burst: {count: 5, per_second: 100}, expect: {status: 200}}
"#,
        );
        assert!(v[0].is_ok() && v[1].is_ok() && v[3].is_ok(), "{v:?}");
        assert!(v[2].as_ref().unwrap_err().contains("429"), "{v:?}");
        assert!(
            v[4].as_ref().unwrap_err().contains("expect.statuses"),
            "{v:?}"
        );
    }

    #[test]
    fn pointers_set_and_remove() {
        let mut v = json!({"spec": {"rules": [{"backendRefs": [{"port": 80}]}]}});
        pointer_set(&mut v, "/spec/rules/0/backendRefs/0/port", json!(8080)).unwrap();
        pointer_set(&mut v, "/spec/hostnames", json!(["a.example"])).unwrap();
        pointer_set(&mut v, "/spec/rules/-", json!({})).unwrap();
        pointer_set(&mut v, "/metadata/labels/x~1y", json!("z")).unwrap();
        assert_eq!(v["spec"]["rules"][0]["backendRefs"][0]["port"], 8080);
        assert_eq!(v["spec"]["rules"].as_array().unwrap().len(), 2);
        assert_eq!(v["metadata"]["labels"]["x/y"], "z");
        pointer_remove(&mut v, "/spec/hostnames").unwrap();
        assert!(v["spec"].get("hostnames").is_none());
        assert!(pointer_set(&mut v, "/spec/rules/7/x", json!(1)).is_err());
        // A 60,000-level pointer is refused at once and leaves the document as it was.
        let before = v.clone();
        let deep = "/a".repeat(60_000);
        let e = pointer_set(&mut v, &deep, json!(1)).unwrap_err();
        assert!(e.contains("60000 levels"), "{e}");
        assert_eq!(v, before);
        assert!(pointer_set(&mut v, &"/a".repeat(gwlab::source::MAX_DEPTH), json!(1)).is_ok());
    }

    #[test]
    fn patches_delete_and_set_documents() {
        let m = vec![Manifest {
            name: "m.yaml".into(),
            text: "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 80}]}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b, namespace: x}\nspec: {ports: [{port: 80}]}\n".into(),
        }];
        let out = patched_inputs(
            &m,
            &[
                json!({"delete": "Service/x/b"}),
                json!({"set": "Service/default/a", "path": "/spec/ports/0/port", "value": 81}),
            ],
        )
        .unwrap();
        assert_eq!(out.len(), 1);
        assert!(out[0].text.contains("port: 81"), "{}", out[0].text);
        assert!(!out[0].text.contains("name: b"));
        assert!(patched_inputs(&m, &[json!({"delete": "Service/default/zzz"})]).is_err());
    }
}
