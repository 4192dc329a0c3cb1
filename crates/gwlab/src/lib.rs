//! gwlab core: load Gateway API manifests, resolve attachment and status as Envoy Gateway would,
//! route requests with a trace, and explain, lint and export the result.
//!
//! Data flows one way through pure stages: text → [`source`] (positioned tree) → [`model`] (typed
//! objects) → [`resolve`] (attachment, status) → [`route`] (outcomes with traces). Nothing here
//! knows about terminals or browsers.

// Table tests spell out the tuple type of their rows; naming each row type would not make them clearer.
#![cfg_attr(test, allow(clippy::type_complexity))]

/// The API server's verdict on an object, and the hook that decides it (always built).
pub mod admission;
/// What the Kubernetes API server would refuse, prune and default (behind the `api-server`
/// feature: the web bundle leaves it out for size).
#[cfg(feature = "api-server")]
pub mod apiserver;
pub mod diag;
pub mod eg;
pub mod emit;
pub mod export;
pub(crate) mod fxhash;
pub mod lint;
pub mod model;
pub mod policy_effects;
pub mod request;
pub mod resolve;
pub mod route;
pub mod sort;
pub mod source;

pub use diag::{Diagnostic, Location, Severity, Span};
pub use request::parse_request;
pub use resolve::Options;
pub use route::{Outcome, Request, TableRow};

use serde::Serialize;

/// One input buffer or file.
#[derive(Debug, Clone, Serialize)]
pub struct Input {
    pub name: String,
    pub text: String,
}

impl Input {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        Input {
            name: name.into(),
            text: text.into(),
        }
    }
}

/// Everything gwlab knows about a set of manifests.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub model: model::Model,
    pub resolved: resolve::Resolved,
    /// Load, resolve and lint diagnostics, in stable order.
    pub diagnostics: Vec<Diagnostic>,
    /// Envoy Gateway policies, their attachment and effects.
    pub policies: eg::PolicyIndex,
    /// The compiled router, built on first use.
    router: std::sync::OnceLock<route::Router>,
    /// How the inputs were loaded, so a re-analysis with more inputs (the export's generated
    /// objects) loads them the same way.
    load: model::LoadOptions,
}

/// Loads and resolves the inputs. Never panics; every problem is a diagnostic.
pub fn analyze(inputs: &[Input], opts: &Options) -> Analysis {
    analyze_with(inputs, opts, &model::LoadOptions::default())
}

pub fn analyze_with(inputs: &[Input], opts: &Options, load: &model::LoadOptions) -> Analysis {
    let files = inputs
        .iter()
        .map(|i| source::SourceFile::new(i.name.clone(), i.text.clone()))
        .collect();
    let model = model::load(files, load);
    let mut resolved = resolve::resolve(&model, opts);
    let policies = eg::PolicyIndex::build(&model, &opts.controller_name);
    resolved.statuses.extend(policies.statuses.iter().cloned());
    let mut diagnostics = model.diagnostics.clone();
    diagnostics.extend(resolved.diagnostics.iter().cloned());
    diagnostics.extend(policies.diagnostics.iter().cloned());
    // The lints read the routing table, so the router is compiled here once and kept.
    let router = route::Router::new(&model, &resolved);
    diagnostics.extend(lint::run_with(&model, &resolved, &router));
    diag::sort(&mut diagnostics);
    Analysis {
        model,
        resolved,
        diagnostics,
        policies,
        router: std::sync::OnceLock::from(router),
        load: load.clone(),
    }
}

impl Analysis {
    /// Builds an analysis from already loaded and resolved parts.
    pub fn from_parts(
        model: model::Model,
        resolved: resolve::Resolved,
        diagnostics: Vec<Diagnostic>,
    ) -> Analysis {
        let policies = eg::PolicyIndex::from_model(&model);
        Analysis {
            model,
            resolved,
            diagnostics,
            policies,
            router: std::sync::OnceLock::new(),
            load: model::LoadOptions::default(),
        }
    }
    /// How the inputs were loaded.
    pub fn load_options(&self) -> &model::LoadOptions {
        &self.load
    }
    /// The compiled routing tables (built once, on first use).
    pub fn router(&self) -> &route::Router {
        self.router
            .get_or_init(|| route::Router::new(&self.model, &self.resolved))
    }
    /// Routes one request, with a trace, including Envoy Gateway policy effects.
    pub fn route(&self, req: &Request) -> Outcome {
        policy_effects::route(self.router(), &self.policies, req, true)
    }
    /// Routes one request without a trace (the fast path).
    pub fn route_fast(&self, req: &Request) -> Outcome {
        policy_effects::route(self.router(), &self.policies, req, false)
    }
    /// Every row of the routing table, with the answers Envoy Gateway policies fix (an invalid
    /// policy's 500), so that the table says what [`Analysis::route`] answers.
    pub fn routing_table(&self) -> Vec<TableRow> {
        policy_effects::table(self.router(), &self.policies)
    }
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}
