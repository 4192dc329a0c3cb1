//! Lints: configurations that are valid (or only partly invalid) but almost certainly not what
//! was meant. Each lint lives in its own file with its code, the reason it exists, and its tests;
//! every code has a section in `docs/diagnostics.md`. Lints are warnings and never change status
//! or routing: they read the model, the resolution and the compiled routing table.
//!
//! Lints are conservative: when the input does not say enough to be sure (a Secret with
//! placeholder data, a Service whose endpoints are not loaded), they stay silent.

pub mod certificate_hostname_mismatch;
pub mod externalname_service;
pub mod headless_service;
pub mod missing_reference_grant;
pub mod redirect_loop;
pub mod service_without_endpoints;
pub mod shadowed_rule;
pub mod target_port_instead_of_port;
pub mod x509;

use crate::diag::Diagnostic;
use crate::model::{BackendRef, Body, HttpRouteFilter, Model, Object, ServiceSpec};
use crate::resolve::index::Index;
use crate::resolve::Resolved;
use crate::route::{Router, TableRow};

/// Everything a lint may read, built once per run.
pub struct Ctx<'m> {
    pub model: &'m Model,
    pub resolved: &'m Resolved,
    pub ix: Index<'m>,
    pub router: &'m Router,
    /// The routing table (every programmed listener × hostname × match, shadowed rows flagged).
    pub table: Vec<TableRow>,
}

impl<'m> Ctx<'m> {
    pub fn new(model: &'m Model, resolved: &'m Resolved, router: &'m Router) -> Self {
        let table = router.table();
        Ctx {
            model,
            resolved,
            ix: Index::build(model),
            router,
            table,
        }
    }

    /// A warning located at `ptr` (a JSON pointer) inside `obj`.
    pub fn warn(&self, code: &'static str, obj: &Object, ptr: &str, message: String) -> Diagnostic {
        Diagnostic::warning(code, message)
            .at(self.model.locate(obj, ptr))
            .on(obj.id())
    }

    /// The route objects the resolver processed, in input order.
    pub fn routes(&self) -> impl Iterator<Item = &'m Object> + '_ {
        self.resolved
            .routes
            .iter()
            .filter_map(|r| self.model.objects.get(r.object))
    }

    /// Finds an object by its `Kind/ns/name` id.
    pub fn by_id(&self, id: &str) -> Option<&'m Object> {
        let mut parts = id.splitn(3, '/');
        let (kind, a, b) = (parts.next()?, parts.next()?, parts.next());
        match b {
            Some(name) => self.ix.object(kind, a, name),
            None => self.ix.object(kind, "", a),
        }
    }

    /// The Service a backend reference names, if it is a core Service present in the input.
    pub fn service(&self, r: &BackendRef, from_ns: &str) -> Option<(&'m Object, &'m ServiceSpec)> {
        if !r.group().is_empty() || r.kind() != "Service" {
            return None;
        }
        let ns = r
            .namespace
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or(from_ns);
        let o = self.ix.object("Service", ns, &r.name)?;
        match &o.body {
            Body::Service(s) => Some((o, s)),
            _ => None,
        }
    }
}

/// One backend reference of a route: rule backendRefs, and the RequestMirror targets of rule-
/// and backend-level filters, with the JSON pointer of the reference.
pub struct RouteRef<'m> {
    pub pointer: String,
    pub backend: &'m BackendRef,
    /// True for a RequestMirror target.
    pub mirror: bool,
}

/// Every backend reference of a route object, in document order.
pub fn route_refs(o: &Object) -> Vec<RouteRef<'_>> {
    fn mirrors<'m>(filters: &'m [HttpRouteFilter], base: &str, out: &mut Vec<RouteRef<'m>>) {
        for (fi, f) in filters.iter().enumerate() {
            if let Some(m) = &f.request_mirror {
                out.push(RouteRef {
                    pointer: format!("{base}/filters/{fi}/requestMirror/backendRef"),
                    backend: &m.backend_ref,
                    mirror: true,
                });
            }
        }
    }
    let mut out = Vec::new();
    match &o.body {
        Body::HttpRoute(s) => {
            for (ri, r) in s.rules.iter().flatten().enumerate() {
                let base = format!("/spec/rules/{ri}");
                mirrors(&r.filters, &base, &mut out);
                for (bi, b) in r.backend_refs.iter().enumerate() {
                    let bp = format!("{base}/backendRefs/{bi}");
                    out.push(RouteRef {
                        pointer: bp.clone(),
                        backend: b,
                        mirror: false,
                    });
                    mirrors(&b.filters, &bp, &mut out);
                }
            }
        }
        Body::GrpcRoute(s) => {
            for (ri, r) in s.rules.iter().enumerate() {
                let base = format!("/spec/rules/{ri}");
                mirrors(&r.filters, &base, &mut out);
                for (bi, b) in r.backend_refs.iter().enumerate() {
                    let bp = format!("{base}/backendRefs/{bi}");
                    out.push(RouteRef {
                        pointer: bp.clone(),
                        backend: b,
                        mirror: false,
                    });
                    mirrors(&b.filters, &bp, &mut out);
                }
            }
        }
        Body::TlsRoute(s) | Body::TcpRoute(s) | Body::UdpRoute(s) => {
            for (ri, r) in s.rules.iter().enumerate() {
                for (bi, b) in r.backend_refs.iter().enumerate() {
                    out.push(RouteRef {
                        pointer: format!("/spec/rules/{ri}/backendRefs/{bi}"),
                        backend: b,
                        mirror: false,
                    });
                }
            }
        }
        _ => {}
    }
    out
}

/// Runs every lint. The result is in a stable order (lint by lint, input order within a lint);
/// `analyze` sorts all diagnostics together afterwards.
pub fn run(model: &Model, resolved: &Resolved) -> Vec<Diagnostic> {
    run_with(model, resolved, &Router::new(model, resolved))
}

/// [`run`] with an already compiled router (saves compiling the tables twice).
pub fn run_with(model: &Model, resolved: &Resolved, router: &Router) -> Vec<Diagnostic> {
    let cx = Ctx::new(model, resolved, router);
    let mut out = Vec::new();
    target_port_instead_of_port::check(&cx, &mut out);
    service_without_endpoints::check(&cx, &mut out);
    headless_service::check(&cx, &mut out);
    externalname_service::check(&cx, &mut out);
    certificate_hostname_mismatch::check(&cx, &mut out);
    redirect_loop::check(&cx, &mut out);
    shadowed_rule::check(&cx, &mut out);
    missing_reference_grant::check(&cx, &mut out);
    out
}

/// Every lint code, in the order of `docs/diagnostics.md`.
pub const CODES: &[&str] = &[
    target_port_instead_of_port::CODE,
    service_without_endpoints::CODE,
    headless_service::CODE,
    externalname_service::CODE,
    certificate_hostname_mismatch::CODE,
    redirect_loop::CODE,
    shadowed_rule::CODE,
    missing_reference_grant::CODE,
];

/// Backend references inside an Envoy Gateway policy (extAuth, JWKS, OIDC, ALS, extProc …):
/// every `backendRef` object and `backendRefs` entry, with its pointer. Entries that do not
/// decode as a reference are skipped.
pub fn policy_refs(o: &Object) -> Vec<(String, BackendRef)> {
    fn walk(v: &serde_json::Value, ptr: &str, out: &mut Vec<(String, BackendRef)>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    let p = format!("{ptr}/{}", crate::source::escape_token(k));
                    match (k.as_str(), v) {
                        ("backendRef", serde_json::Value::Object(_)) => push(v, p, out),
                        ("backendRefs", serde_json::Value::Array(items)) => {
                            for (i, item) in items.iter().enumerate() {
                                push(item, format!("{p}/{i}"), out);
                            }
                        }
                        ("targetRef" | "targetRefs" | "targetSelectors", _) => {}
                        _ => walk(v, &p, out),
                    }
                }
            }
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, &format!("{ptr}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    fn push(v: &serde_json::Value, ptr: String, out: &mut Vec<(String, BackendRef)>) {
        if let Ok(r) = crate::model::from_value::<BackendRef>(v) {
            if !r.name.is_empty() {
                out.push((ptr, r));
            }
        }
    }
    let mut out = Vec::new();
    if let Body::Extension(v) = &o.body {
        if o.group() == crate::model::EG_GROUP {
            walk(v, "", &mut out);
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod testutil {
    use crate::diag::Diagnostic;

    /// Lint diagnostics of one manifest text, as (code, line, column, message).
    pub fn lint(text: &str) -> Vec<Diagnostic> {
        let a = crate::analyze(
            &[crate::Input::new("t.yaml", text)],
            &crate::Options::default(),
        );
        let codes = super::CODES;
        a.diagnostics
            .into_iter()
            .filter(|d| codes.contains(&d.code))
            .collect()
    }

    /// (code, line, column) of each lint diagnostic.
    pub fn positions(text: &str) -> Vec<(&'static str, usize, usize)> {
        if std::env::var("LINT_DEBUG").is_ok() {
            for d in lint(text) {
                let l = d.location.as_ref().unwrap();
                eprintln!(
                    "DEBUG {} {}:{} => {:?}",
                    d.code,
                    l.line,
                    l.column,
                    text.lines()
                        .nth(l.line - 1)
                        .map(|s| &s[s.char_indices().nth(l.column - 1).map_or(0, |c| c.0)..])
                );
            }
        }
        lint(text)
            .iter()
            .map(|d| {
                (
                    d.code,
                    d.location.as_ref().map_or(0, |l| l.line),
                    d.location.as_ref().map_or(0, |l| l.column),
                )
            })
            .collect()
    }

    /// (code, line, column) of one lint diagnostic.
    pub type Pos = (&'static str, usize, usize);

    pub const CLASS: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: eg}\nspec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n---\n";
}
