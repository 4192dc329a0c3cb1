//! Typed objects decoded from the positioned tree.
//!
//! Each document becomes an [`Object`]: its identity, its typed body, and where it came from (file,
//! span, and a [`SpanMap`] for every field), so resolution can blame the exact field it rejects.
//! Decoding problems (wrong types, unknown fields, missing names) become located diagnostics; the
//! object is kept whenever its body decoded.

pub mod core_k8s;
pub mod crd_enums;
mod decode;
pub mod gateway;
pub mod meta;
pub mod policy;
pub mod routes;

use crate::diag::{Diagnostic, Location, Span};
use crate::source::{self, SourceFile, SpanMap};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

pub use core_k8s::*;
pub use gateway::*;
pub use meta::*;
pub use policy::*;
pub use routes::*;

/// The typed body of an object, by kind.
// Gateways are the largest variant; objects live in one Vec for the whole analysis and are never
// moved around by value, so boxing would only add an allocation per Gateway.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Body {
    GatewayClass(GatewayClassSpec),
    Gateway(GatewaySpec),
    ListenerSet(ListenerSetSpec),
    HttpRoute(HttpRouteSpec),
    GrpcRoute(GrpcRouteSpec),
    TlsRoute(L4RouteSpec),
    TcpRoute(L4RouteSpec),
    UdpRoute(L4RouteSpec),
    ReferenceGrant(ReferenceGrantSpec),
    BackendTlsPolicy(BackendTlsPolicySpec),
    Namespace,
    Service(ServiceSpec),
    EndpointSlice(EndpointSliceData),
    Secret(DataObject),
    ConfigMap(DataObject),
    /// A kind gwlab knows of but models elsewhere (Envoy Gateway policies, cert-manager): the raw
    /// object, minus metadata and status.
    Extension(Value),
    /// A kind gwlab does not simulate (Deployments, …): kept, reported once as ignored.
    Ignored,
}

/// Where an object came from.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub file: usize,
    /// The whole document (or `List` item).
    pub span: Span,
    /// Field spans, keyed by JSON pointer relative to the object (`/spec/rules/0`).
    pub spans: SpanMap,
    /// Pointers of the fields the API server filled in from CRD defaults (not in the text), so a
    /// view can show a value as defaulted.
    pub defaulted: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Object {
    pub api_version: String,
    pub kind: String,
    pub meta: ObjectMeta,
    /// Effective namespace ("" for cluster-scoped kinds).
    pub namespace: String,
    pub body: Body,
    pub origin: Origin,
    /// Position in the input stream; earlier = older when no creationTimestamp is given.
    pub order: usize,
}

impl Object {
    pub fn name(&self) -> &str {
        &self.meta.name
    }
    pub fn generation(&self) -> i64 {
        self.meta.generation.unwrap_or(1)
    }
    /// `Kind/namespace/name`, or `Kind/name` for cluster-scoped kinds.
    pub fn id(&self) -> String {
        if self.namespace.is_empty() {
            format!("{}/{}", self.kind, self.meta.name)
        } else {
            format!("{}/{}/{}", self.kind, self.namespace, self.meta.name)
        }
    }
    /// The API group of the object's apiVersion.
    pub fn group(&self) -> &str {
        self.api_version
            .rsplit_once('/')
            .map(|(g, _)| g)
            .unwrap_or("")
    }
    /// Creation order key, as Envoy Gateway sorts every kind it reads: creationTimestamp, then
    /// namespace, then name. Objects without a timestamp count as created in the same second
    /// (what one `kubectl apply` produces), after any that carry one; stream position only breaks
    /// ties between duplicates.
    pub fn age_key(&self) -> (&str, &str, &str, usize) {
        (
            self.meta.creation_timestamp.as_deref().unwrap_or("~"),
            &self.namespace,
            &self.meta.name,
            self.order,
        )
    }
}

/// Everything loaded from the inputs.
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub files: Vec<SourceFile>,
    pub objects: Vec<Object>,
    /// Objects the API server would refuse (`api-rejected`): never part of `objects`, because the
    /// cluster would never have stored them.
    pub refused: Vec<Refused>,
    /// `Refused::id` of every refused object, so a reference to one is told apart from a
    /// reference to nothing in constant time (see [`Model::missing`]).
    refused_ids: std::collections::HashSet<String>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Model {
    /// How a diagnostic says that `kind` `namespace/name` is not in the cluster: it does not
    /// exist (followed by `advice`, such as `: create it or fix the parentRef`), or the input has
    /// it but the API server refuses it, which is what to fix then. `namespace` is "" for
    /// cluster-scoped kinds.
    pub fn missing(&self, kind: &str, namespace: &str, name: &str, advice: &str) -> String {
        let id = if namespace.is_empty() {
            format!("{kind}/{name}")
        } else {
            format!("{kind}/{namespace}/{name}")
        };
        if !self.refused_ids.is_empty() && self.refused_ids.contains(&id) {
            "is refused by the API server, so the cluster never stores it: fix its `api-rejected` errors".to_string()
        } else {
            format!("does not exist{advice}")
        }
    }
}

/// An object the API server would refuse, kept only so views can show it as refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub kind: String,
    /// Effective namespace ("" for cluster-scoped kinds).
    pub namespace: String,
    pub name: String,
    pub file: usize,
    /// The whole document (or `List` item).
    pub span: Span,
}

impl Refused {
    /// `Kind/namespace/name`, or `Kind/name` for cluster-scoped kinds, as [`Object::id`].
    pub fn id(&self) -> String {
        if self.namespace.is_empty() {
            format!("{}/{}", self.kind, self.name)
        } else {
            format!("{}/{}/{}", self.kind, self.namespace, self.name)
        }
    }
}

impl Model {
    /// Location of a field of an object (or of its nearest existing ancestor).
    pub fn locate(&self, obj: &Object, ptr: &str) -> Option<Location> {
        let span = obj.origin.spans.nearest(ptr).unwrap_or(obj.origin.span);
        self.files
            .get(obj.origin.file)
            .map(|f| f.location(obj.origin.file, span))
    }
    /// Location of a mapping key (falls back to the value).
    pub fn locate_key(&self, obj: &Object, ptr: &str) -> Option<Location> {
        match obj.origin.spans.key(ptr) {
            Some(span) => self
                .files
                .get(obj.origin.file)
                .map(|f| f.location(obj.origin.file, span)),
            None => self.locate(obj, ptr),
        }
    }
}

/// How objects are loaded.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Where namespaced objects without `metadata.namespace` are placed.
    pub default_namespace: String,
    /// Objects without a creationTimestamp keep their input order instead of tying on creation
    /// time and going by namespace/name: Envoy Gateway's translator test harness reads its
    /// inputs unsorted, so its goldens see file order.
    pub ties_in_input_order: bool,
    /// Validate, prune and default every object as the API server would (see [`crate::apiserver`]):
    /// refused objects are `api-rejected` and left out, CRD defaults are filled in. On by
    /// default, since what a user pastes is what they would `kubectl apply`; off only for inputs
    /// that never went through an API server, such as Envoy Gateway's translator inputs.
    pub api_server: bool,
    /// Who decides admission when [`LoadOptions::api_server`] is set: `None` is the validator
    /// built into this build ([`crate::admission::builtin`]); a build without it (the playground's
    /// main bundle) passes one that asks a separately loaded module. With neither, objects are
    /// read as written.
    pub admitter: Option<crate::admission::Admitter>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            default_namespace: "default".into(),
            ties_in_input_order: false,
            api_server: true,
            admitter: None,
        }
    }
}

/// Kinds gwlab decodes, with whether they are namespaced.
fn known_kind(group: &str, kind: &str) -> Option<bool> {
    let gw = matches!(
        group,
        "gateway.networking.k8s.io" | "gateway.networking.x-k8s.io"
    );
    Some(match (kind, group) {
        ("GatewayClass", _) if gw => false,
        (
            "Gateway" | "HTTPRoute" | "GRPCRoute" | "TLSRoute" | "TCPRoute" | "UDPRoute"
            | "ReferenceGrant" | "BackendTLSPolicy" | "ListenerSet" | "XListenerSet",
            _,
        ) if gw => true,
        ("Namespace", "") => false,
        ("Service" | "Secret" | "ConfigMap", "") => true,
        ("EndpointSlice", "discovery.k8s.io") => true,
        (_, "gateway.envoyproxy.io") => true,
        ("Certificate" | "Issuer", "cert-manager.io") => true,
        ("ClusterIssuer", "cert-manager.io") => false,
        _ => return None,
    })
}

pub(crate) use decode::decode_value;

/// At most this many defaulted fields are named in one `api-defaulted` note; the rest are counted.
const MAX_DEFAULTS_NAMED: usize = 6;
/// A defaulted value longer than this (as JSON) is shown cut, ending in `…`.
const MAX_DEFAULT_VALUE_CHARS: usize = 60;

/// One `api-defaulted` info for an object the API server filled CRD defaults into: which fields
/// (as the API server names them) and with what value, so a user sees what the controller will
/// read beyond what they wrote. One note per object, not one per field, to keep output short.
/// The defaulted `status` (conditions waiting for a controller) is left out: the controller
/// writes status, it does not read it.
/// Also returns the pointer of the first defaulted field named, where the note is located.
fn defaults_note(
    kind: &str,
    obj: &Map<String, Value>,
    defaulted: &[String],
) -> Option<(Diagnostic, String)> {
    let defaulted: Vec<&String> = defaulted
        .iter()
        .filter(|p| *p != "/status" && !p.starts_with("/status/"))
        .collect();
    if defaulted.is_empty() {
        return None;
    }
    let name = obj
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut fields: Vec<String> = defaulted
        .iter()
        .take(MAX_DEFAULTS_NAMED)
        .map(|ptr| {
            let value = value_at(obj, ptr)
                .map(crate::admission::render)
                .unwrap_or_default();
            format!(
                "{} = {}",
                crate::admission::field_path(ptr),
                cut(&value, MAX_DEFAULT_VALUE_CHARS)
            )
        })
        .collect();
    if defaulted.len() > MAX_DEFAULTS_NAMED {
        fields.push(format!("and {} more", defaulted.len() - MAX_DEFAULTS_NAMED));
    }
    let n = defaulted.len();
    let note = Diagnostic::info(
        "api-defaulted",
        format!(
            "the API server fills in {n} CRD default{} of {kind} {name:?}: {}",
            if n == 1 { "" } else { "s" },
            fields.join("; ")
        ),
    );
    Some((note, defaulted[0].clone()))
}

/// The value at JSON pointer `ptr` (`/spec/rules/0`) of an object held as a map.
fn value_at<'a>(obj: &'a Map<String, Value>, ptr: &str) -> Option<&'a Value> {
    let rest = ptr.strip_prefix('/')?;
    let (head, tail) = rest.split_once('/').unwrap_or((rest, ""));
    let top = obj.get(&head.replace("~1", "/").replace("~0", "~"))?;
    if tail.is_empty() {
        Some(top)
    } else {
        top.pointer(&format!("/{tail}"))
    }
}

/// `s` cut to at most `max` characters, ending in `…` when cut.
fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((b, _)) => format!("{}…", &s[..b]),
        None => s.to_string(),
    }
}

/// Decodes `v` into `T` (as `serde_json::from_value` would, but with a `key: null` entry read as an
/// absent key); the error is the message with the pointer of the offending value.
pub(crate) fn from_value<T: DeserializeOwned>(v: &Value) -> Result<T, String> {
    decode_value(v, "")
        .map(|(t, _unknown)| t)
        .map_err(|(ptr, msg)| {
            if ptr.is_empty() {
                msg
            } else {
                format!("{ptr}: {msg}")
            }
        })
}

fn decode<T: DeserializeOwned>(
    v: &Value,
    base: &str,
) -> Result<(T, Vec<String>), (String, String)> {
    decode_value(v, base)
}

struct Loader<'a> {
    model: &'a mut Model,
    opts: &'a LoadOptions,
    file: usize,
}

impl Loader<'_> {
    fn diag_at(&mut self, d: Diagnostic, span: Span) {
        let loc = self.model.files[self.file].location(self.file, span);
        self.model.diagnostics.push(d.at(Some(loc)));
    }

    fn document(&mut self, value: Value, spans: SpanMap, span: Span) {
        let Value::Object(map) = value else {
            if !value.is_null() {
                let d = Diagnostic::error(
                    "not-an-object",
                    "a manifest document must be a mapping with apiVersion and kind",
                );
                self.diag_at(d, span);
            }
            return;
        };
        let kind = map
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if kind == "List" || kind.ends_with("List") && map.get("items").is_some_and(Value::is_array)
        {
            let Some(Value::Array(items)) = map.get("items") else {
                return;
            };
            for (i, item) in items.iter().enumerate() {
                let ptr = format!("/items/{i}");
                let sub = spans.subtree(&ptr);
                let sp = spans.value(&ptr).unwrap_or(span);
                self.object(item.clone(), sub, sp);
            }
            return;
        }
        self.object(Value::Object(map), spans, span);
    }

    fn object(&mut self, value: Value, spans: SpanMap, span: Span) {
        let Value::Object(mut map) = value else {
            self.diag_at(
                Diagnostic::error(
                    "not-an-object",
                    "a List item must be a mapping with apiVersion and kind",
                ),
                span,
            );
            return;
        };
        let at = |p: &str| spans.nearest(p).unwrap_or(span);
        let api_version = match map.remove("apiVersion") {
            Some(Value::String(s)) if !s.is_empty() => s,
            _ => {
                self.diag_at(
                    Diagnostic::error(
                        "invalid-field",
                        "missing `apiVersion`: every object needs apiVersion and kind",
                    ),
                    at(""),
                );
                return;
            }
        };
        let kind = match map.remove("kind") {
            Some(Value::String(s)) if !s.is_empty() => s,
            _ => {
                self.diag_at(
                    Diagnostic::error(
                        "invalid-field",
                        "missing `kind`: every object needs apiVersion and kind",
                    ),
                    at(""),
                );
                return;
            }
        };
        let group = api_version
            .rsplit_once('/')
            .map(|(g, _)| g)
            .unwrap_or("")
            .to_string();
        let Some(defaulted) = self.admit(&api_version, &group, &kind, &mut map, &spans, span)
        else {
            return;
        };
        let defaults_note = defaults_note(&kind, &map, &defaulted).map(|(d, first)| {
            let at = spans.nearest(&first).unwrap_or(span);
            let loc = self.model.files[self.file].location(self.file, at);
            d.at(Some(loc))
        });
        let meta_val = match map.remove("metadata") {
            None | Some(Value::Null) => Value::Object(Map::new()),
            Some(v) => v,
        };
        map.remove("status");
        let meta: ObjectMeta = match decode::<ObjectMeta>(&meta_val, "/metadata") {
            Ok((m, ignored)) => {
                self.unknown_fields(&spans, span, &kind, ignored);
                m
            }
            Err((ptr, msg)) => {
                self.diag_at(
                    Diagnostic::error("invalid-field", format!("{kind} `{ptr}`: {msg}")),
                    at(&ptr),
                );
                return;
            }
        };
        if meta.name.is_empty() {
            self.diag_at(
                Diagnostic::error("invalid-field", format!("{kind} has no `metadata.name`")),
                at("/metadata"),
            );
            return;
        }
        let Some(namespaced) = known_kind(&group, &kind) else {
            let d = Diagnostic::info(
                "unknown-kind",
                format!(
                    "{api_version} {kind} `{}` is not simulated; it is kept and ignored",
                    meta.name
                ),
            );
            self.diag_at(d, at("/kind"));
            self.push(
                api_version,
                kind,
                meta,
                String::new(),
                Body::Ignored,
                spans,
                span,
            );
            return;
        };
        let namespace = if namespaced {
            meta.namespace
                .clone()
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| self.opts.default_namespace.clone())
        } else {
            String::new()
        };
        let spec = map.remove("spec").unwrap_or(Value::Object(Map::new()));
        let body = match self.body(&group, &kind, spec, map, &spans, span) {
            Some(b) => b,
            None => return,
        };
        for (ptr, msg) in crd_enums::check(&body) {
            let s = spans.nearest(&ptr).unwrap_or(span);
            self.diag_at(
                Diagnostic::error("invalid-field", format!("{kind} `{ptr}`: {msg}")),
                s,
            );
        }
        self.push(api_version, kind, meta, namespace, body, spans, span);
        if let Some(o) = self.model.objects.last_mut() {
            o.origin.defaulted = defaulted;
            if let Some(d) = defaults_note {
                let d = d.on(o.id());
                self.model.diagnostics.push(d);
            }
        }
    }

    /// Admission as the API server does it (when [`LoadOptions::api_server`] is set): prunes and
    /// defaults `map` in place and returns the defaulted fields, or reports the refusals and
    /// returns `None` (the object is then left out of the model).
    fn admit(
        &mut self,
        api_version: &str,
        group: &str,
        kind: &str,
        map: &mut Map<String, Value>,
        spans: &SpanMap,
        span: Span,
    ) -> Option<Vec<String>> {
        let admitter = self.opts.admitter.or_else(crate::admission::builtin);
        let (Some(namespaced), Some(admitter)) = (
            known_kind(group, kind).filter(|_| self.opts.api_server),
            admitter,
        ) else {
            return Some(Vec::new());
        };
        let admission = admitter(
            api_version,
            kind,
            namespaced,
            &self.opts.default_namespace,
            map,
        );
        for (ptr, field) in &admission.pruned {
            let d = Diagnostic::warning("unknown-field", format!("{kind} has no field `{ptr}`: the API server drops it (kubectl warns: unknown field \"{field}\")"));
            let s = spans
                .key(ptr)
                .or_else(|| spans.nearest(ptr))
                .unwrap_or(span);
            self.diag_at(d, s);
        }
        if !admission.refusals.is_empty() {
            self.refuse(kind, namespaced, map, admission, spans, span);
            return None;
        }
        Some(admission.defaulted)
    }

    /// Reports every refused field of an object the API server would not store, and records the
    /// object as refused instead of adding it to the model.
    fn refuse(
        &mut self,
        kind: &str,
        namespaced: bool,
        map: &Map<String, Value>,
        admission: crate::admission::Admission,
        spans: &SpanMap,
        span: Span,
    ) {
        let meta = map.get("metadata");
        let text = |k: &str| {
            meta.and_then(|m| m.get(k))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let name = text("name");
        let namespace = if namespaced {
            Some(text("namespace"))
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| self.opts.default_namespace.clone())
        } else {
            String::new()
        };
        let refused = Refused {
            kind: kind.to_string(),
            namespace,
            name,
            file: self.file,
            span,
        };
        for r in &admission.refusals {
            let at = spans
                .value(&r.ptr)
                .or_else(|| spans.nearest(&r.ptr))
                .unwrap_or(span);
            let d =
                Diagnostic::error("api-rejected", r.message(kind, &refused.name)).on(refused.id());
            self.diag_at(d, at);
        }
        self.model.refused_ids.insert(refused.id());
        self.model.refused.push(refused);
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        api_version: String,
        kind: String,
        meta: ObjectMeta,
        namespace: String,
        body: Body,
        spans: SpanMap,
        span: Span,
    ) {
        let order = self.model.objects.len();
        let kind = if kind == "XListenerSet" {
            "ListenerSet".to_string()
        } else {
            kind
        };
        self.model.objects.push(Object {
            api_version,
            kind,
            meta,
            namespace,
            body,
            origin: Origin {
                file: self.file,
                span,
                spans,
                defaulted: Vec::new(),
            },
            order,
        });
    }

    fn unknown_fields(&mut self, spans: &SpanMap, span: Span, kind: &str, ignored: Vec<String>) {
        for ptr in ignored {
            let field = ptr.rsplit('/').next().unwrap_or("");
            let d = Diagnostic::warning(
                "unknown-field",
                format!("{kind} has no field `{ptr}`; it is ignored (a typo of `{field}`?)"),
            );
            let s = spans
                .key(&ptr)
                .or_else(|| spans.nearest(&ptr))
                .unwrap_or(span);
            self.diag_at(d, s);
        }
    }

    fn typed<T: DeserializeOwned>(
        &mut self,
        kind: &str,
        v: Value,
        base: &str,
        spans: &SpanMap,
        span: Span,
    ) -> Option<T> {
        match decode::<T>(&v, base) {
            Ok((t, ignored)) => {
                self.unknown_fields(spans, span, kind, ignored);
                Some(t)
            }
            Err((ptr, msg)) => {
                let s = spans.nearest(&ptr).unwrap_or(span);
                self.diag_at(
                    Diagnostic::error("invalid-field", format!("{kind} `{ptr}`: {msg}")),
                    s,
                );
                None
            }
        }
    }

    fn body(
        &mut self,
        group: &str,
        kind: &str,
        spec: Value,
        rest: Map<String, Value>,
        spans: &SpanMap,
        span: Span,
    ) -> Option<Body> {
        let k = kind;
        Some(match kind {
            "GatewayClass" => Body::GatewayClass(self.typed(k, spec, "/spec", spans, span)?),
            "Gateway" => Body::Gateway(self.typed(k, spec, "/spec", spans, span)?),
            "ListenerSet" | "XListenerSet" => {
                Body::ListenerSet(self.typed(k, spec, "/spec", spans, span)?)
            }
            "HTTPRoute" => Body::HttpRoute(self.typed(k, spec, "/spec", spans, span)?),
            "GRPCRoute" => Body::GrpcRoute(self.typed(k, spec, "/spec", spans, span)?),
            "TLSRoute" => Body::TlsRoute(self.typed(k, spec, "/spec", spans, span)?),
            "TCPRoute" => Body::TcpRoute(self.typed(k, spec, "/spec", spans, span)?),
            "UDPRoute" => Body::UdpRoute(self.typed(k, spec, "/spec", spans, span)?),
            "ReferenceGrant" => Body::ReferenceGrant(self.typed(k, spec, "/spec", spans, span)?),
            "BackendTLSPolicy" => {
                Body::BackendTlsPolicy(self.typed(k, spec, "/spec", spans, span)?)
            }
            "Namespace" => Body::Namespace,
            "Service" => Body::Service(self.typed(k, spec, "/spec", spans, span)?),
            "EndpointSlice" => {
                Body::EndpointSlice(self.typed(k, Value::Object(rest), "", spans, span)?)
            }
            "Secret" => Body::Secret(self.typed(k, Value::Object(rest), "", spans, span)?),
            "ConfigMap" => Body::ConfigMap(self.typed(k, Value::Object(rest), "", spans, span)?),
            _ => {
                let _ = group;
                let mut m = rest;
                m.insert("spec".into(), spec);
                Body::Extension(Value::Object(m))
            }
        })
    }
}

/// Loads every input into one model. Objects with the same kind, namespace and name replace
/// earlier ones (as `kubectl apply` would), with a `duplicate-object` warning.
pub fn load(files: Vec<SourceFile>, opts: &LoadOptions) -> Model {
    let mut model = Model {
        files,
        ..Default::default()
    };
    for file in 0..model.files.len() {
        let text = std::mem::take(&mut model.files[file].text);
        let (docs, diags) = source::parse_stream(&text);
        model.files[file].text = text;
        for (d, span) in diags {
            let loc = model.files[file].location(file, span);
            model.diagnostics.push(d.at(Some(loc)));
        }
        let mut loader = Loader {
            model: &mut model,
            opts,
            file,
        };
        for doc in docs {
            loader.document(doc.value, doc.spans, doc.span);
        }
    }
    dedupe(&mut model);
    if opts.ties_in_input_order {
        // After every real timestamp (`~` sorts after digits), in input order.
        for o in model
            .objects
            .iter_mut()
            .filter(|o| o.meta.creation_timestamp.is_none())
        {
            o.meta.creation_timestamp = Some(format!("~{:010}", o.order));
        }
    }
    model
}

fn dedupe(model: &mut Model) {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut drop = vec![false; model.objects.len()];
    for (i, o) in model.objects.iter().enumerate() {
        if matches!(o.body, Body::Ignored) {
            continue;
        }
        if let Some(prev) = seen.insert(o.id(), i) {
            drop[prev] = true;
            let d = Diagnostic::warning(
                "duplicate-object",
                format!(
                    "{} is defined twice; the later definition replaces the earlier one",
                    o.id()
                ),
            );
            let loc = model
                .files
                .get(o.origin.file)
                .map(|f| f.location(o.origin.file, o.origin.span));
            model.diagnostics.push(d.at(loc));
        }
    }
    let mut i = 0;
    model.objects.retain(|_| {
        i += 1;
        !drop[i - 1]
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_one(text: &str) -> Model {
        load(
            vec![SourceFile::new("t.yaml", text)],
            &LoadOptions::default(),
        )
    }

    /// Objects read as written, with no API server in between: the decoder's own checks.
    fn load_unvalidated(text: &str) -> Model {
        load(
            vec![SourceFile::new("t.yaml", text)],
            &LoadOptions {
                api_server: false,
                ..LoadOptions::default()
            },
        )
    }

    #[test]
    fn decodes_kinds_and_applies_the_default_namespace() {
        let m = load_one(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec:\n  parentRefs: [{name: gw}]\n  rules:\n  - backendRefs: [{name: svc, port: 80}]\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: team, labels: {env: prod}}\n",
        );
        // The only diagnostic is the note on the defaults the API server filled in.
        let codes: Vec<&str> = m.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["api-defaulted"], "{:?}", m.diagnostics);
        assert_eq!(m.objects.len(), 2);
        assert_eq!(m.objects[0].id(), "HTTPRoute/default/r");
        assert_eq!(m.objects[1].id(), "Namespace/team");
        let Body::HttpRoute(r) = &m.objects[0].body else {
            panic!()
        };
        assert_eq!(r.rules.as_ref().unwrap()[0].backend_refs[0].weight(), 1);
    }

    #[test]
    fn type_errors_point_at_the_field() {
        let text = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec:\n  rules:\n  - backendRefs:\n    - name: svc\n      port: \"eighty\"\n";
        let m = load_unvalidated(text);
        let d = &m.diagnostics[0];
        assert_eq!(d.code, "invalid-field");
        assert!(
            d.message.contains("/spec/rules/0/backendRefs/0/port"),
            "{}",
            d.message
        );
        assert_eq!(d.location.as_ref().unwrap().line, 8);
        // The API server refuses the type before anything decodes it.
        let m = load(
            vec![SourceFile::new("t.yaml", text)],
            &LoadOptions {
                api_server: true,
                ..LoadOptions::default()
            },
        );
        let d = &m.diagnostics[0];
        assert_eq!(d.code, "api-rejected");
        assert!(
            d.message
                .contains("spec.rules[0].backendRefs[0].port: Invalid value: \"string\""),
            "{}",
            d.message
        );
        assert_eq!(d.location.as_ref().unwrap().line, 8);
        assert!(m.objects.is_empty());
    }

    #[test]
    fn unknown_fields_warn_at_the_key() {
        let text = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec:\n  parentRefs:\n  - name: gw\n    sectionname: http\n";
        let m = load_one(text);
        assert_eq!(m.objects.len(), 1);
        let d = &m.diagnostics[0];
        assert_eq!(d.code, "unknown-field");
        let l = d.location.as_ref().unwrap();
        assert_eq!((l.line, l.column), (7, 5));
    }

    #[test]
    fn null_fields_count_as_absent() {
        let text = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, labels: null}\nspec:\n  hostnames: null\n  parentRefs: [{name: gw, sectionName: null}]\n  rules:\n  - filters: null\n    backendRefs:\n    - name: svc\n      port: 80\n      filters:\n      - type: RequestHeaderModifier\n        requestHeaderModifier: {add: null, set: [{name: x, value: v}], remove: null}\n    matches: null\n";
        let m = load_unvalidated(text);
        assert!(m.diagnostics.is_empty(), "{:?}", m.diagnostics);
        let Body::HttpRoute(r) = &m.objects[0].body else {
            panic!()
        };
        let rule = &r.rules.as_ref().unwrap()[0];
        assert!(rule.filters.is_empty());
        let hm = rule.backend_refs[0].filters[0]
            .request_header_modifier
            .as_ref()
            .unwrap();
        assert!(hm.add.is_empty() && hm.remove.is_empty() && hm.set.len() == 1);
        // A required field given as null is missing; an unknown field given as null is still reported.
        let m = load_unvalidated("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec:\n  rules:\n  - filters:\n    - type: RequestHeaderModifier\n      requestHeaderModifier: {set: [{name: null, value: v}]}\n");
        assert_eq!(m.diagnostics[0].code, "invalid-field");
        let want = "`/spec/rules/0/filters/0/requestHeaderModifier/set/0`: missing field `name`";
        assert!(
            m.diagnostics[0].message.contains(want),
            "{}",
            m.diagnostics[0].message
        );
        // The API server drops the null and then misses the required field.
        let m = load_one("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec:\n  rules:\n  - filters:\n    - type: RequestHeaderModifier\n      requestHeaderModifier: {set: [{name: null, value: v}]}\n");
        assert_eq!(m.diagnostics[0].code, "api-rejected");
        let want = "spec.rules[0].filters[0].requestHeaderModifier.set[0].name: Required value";
        assert!(
            m.diagnostics[0].message.contains(want),
            "{}",
            m.diagnostics[0].message
        );
        let m = load_unvalidated("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec:\n  parentRefs: [{name: gw, sectionname: null}]\n");
        assert_eq!(m.diagnostics[0].code, "unknown-field");
        assert!(m.diagnostics[0]
            .message
            .contains("/spec/parentRefs/0/sectionname"));
    }

    #[test]
    fn objects_the_api_server_refuses_are_reported_and_left_out() {
        let text = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: --kubeconfig=x\nspec: {gatewayClassName: eg, listeners: [{name: http, port: 80, protocol: HTTP}]}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: svc}\nspec: {ports: [{port: 80}]}\n";
        let m = load(
            vec![SourceFile::new("t.yaml", text)],
            &LoadOptions {
                api_server: true,
                ..LoadOptions::default()
            },
        );
        assert_eq!(m.diagnostics.len(), 1, "{:?}", m.diagnostics);
        let d = &m.diagnostics[0];
        assert_eq!(
            (d.code, d.severity),
            ("api-rejected", crate::Severity::Error)
        );
        assert!(
            d.message.starts_with("The Gateway \"--kubeconfig=x\" is invalid: metadata.name: Invalid value: \"--kubeconfig=x\": a lowercase RFC 1123 subdomain must consist of"),
            "{}",
            d.message
        );
        assert_eq!(d.location.as_ref().unwrap().line, 4);
        assert_eq!(d.object.as_deref(), Some("Gateway/default/--kubeconfig=x"));
        assert_eq!(
            m.objects.iter().map(Object::id).collect::<Vec<_>>(),
            ["Service/default/svc"]
        );
        assert_eq!(
            m.refused.iter().map(Refused::id).collect::<Vec<_>>(),
            ["Gateway/default/--kubeconfig=x"]
        );
        // Without the API server (inputs that never went through one), the object is kept.
        let raw = load_unvalidated(text);
        assert_eq!(raw.objects.len(), 2);
        assert!(raw.diagnostics.is_empty());
    }

    #[test]
    fn unknown_kinds_are_kept_and_reported() {
        let m = load_one(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: 1}\n",
        );
        assert_eq!(m.objects.len(), 1);
        assert!(matches!(m.objects[0].body, Body::Ignored));
        assert_eq!(m.diagnostics[0].code, "unknown-kind");
    }

    #[test]
    fn lists_are_flattened_with_item_positions() {
        let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a}\n  spec: {ports: [{port: 80}]}\n- apiVersion: v1\n  kind: Service\n  metadata: {name: b}\n  spec: {ports: [{port: x}]}\n";
        let m = load_one(text);
        assert_eq!(m.objects.len(), 1);
        assert_eq!(m.diagnostics[0].location.as_ref().unwrap().line, 11);
    }

    #[test]
    fn duplicates_keep_the_later_object() {
        let m = load_one("apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 80}]}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 81}]}\n");
        assert_eq!(m.objects.len(), 1);
        let Body::Service(s) = &m.objects[0].body else {
            panic!()
        };
        assert_eq!(s.ports[0].port, 81);
        assert_eq!(m.diagnostics[0].code, "duplicate-object");
    }
}
