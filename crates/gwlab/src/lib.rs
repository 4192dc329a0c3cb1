//! gwlab core: load Gateway API manifests, resolve attachment and status as Envoy Gateway would,
//! route requests with a trace, and explain, lint and export the result.
//!
//! Data flows one way through pure stages: text → [`source`] (positioned tree) → [`model`] (typed
//! objects) → [`resolve`] (attachment, status) → [`route`] (outcomes with traces). Nothing here
//! knows about terminals or browsers.

pub mod diag;
pub mod model;
pub mod request;
pub mod resolve;
pub mod route;
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
        Input { name: name.into(), text: text.into() }
    }
}

/// Everything gwlab knows about a set of manifests.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub model: model::Model,
    pub resolved: resolve::Resolved,
    /// Load, resolve and lint diagnostics, in stable order.
    pub diagnostics: Vec<Diagnostic>,
}

/// Loads and resolves the inputs. Never panics; every problem is a diagnostic.
pub fn analyze(inputs: &[Input], opts: &Options) -> Analysis {
    analyze_with(inputs, opts, &model::LoadOptions::default())
}

pub fn analyze_with(inputs: &[Input], opts: &Options, load: &model::LoadOptions) -> Analysis {
    let files = inputs.iter().map(|i| source::SourceFile::new(i.name.clone(), i.text.clone())).collect();
    let model = model::load(files, load);
    let resolved = resolve::resolve(&model, opts);
    let mut diagnostics = model.diagnostics.clone();
    diagnostics.extend(resolved.diagnostics.iter().cloned());
    diag::sort(&mut diagnostics);
    Analysis { model, resolved, diagnostics }
}

impl Analysis {
    pub fn route(&self, req: &Request) -> Outcome {
        route::route(&self.model, &self.resolved, req)
    }
    pub fn routing_table(&self) -> Vec<TableRow> {
        route::routing_table(&self.model, &self.resolved)
    }
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.severity == Severity::Error)
    }
}
