//! gwlab core: load Gateway API manifests, resolve attachment and status as Envoy Gateway would,
//! route requests with a trace, and explain, lint and export the result.
//!
//! Data flows one way through pure stages: text → [`source`] (positioned tree) → [`model`] (typed
//! objects) → resolution → routing. Nothing here knows about terminals or browsers.

pub mod diag;
pub mod model;
pub mod source;

pub use diag::{Diagnostic, Location, Severity, Span};
