//! Differential testing of gwlab against Envoy Gateway's own translator.
//!
//! A seeded generator ([`gen`]) writes configurations a user might; the oracle ([`oracle`], egctl
//! v1.9.0) translates each into status and Envoy configuration; both sides are brought to one
//! normalised form ([`status`] facts, probe [`answer`]s, the latter from a small evaluator of
//! Envoy's configuration, [`xds`]) and counted per kind ([`compare`]). Disagreements are shrunk
//! ([`shrink`]) and kept as regression cases ([`case`]) that replay without the oracle.

pub mod answer;
pub mod batch;
pub mod case;
pub mod compare;
pub mod gen;
pub mod oracle;
pub mod probe;
pub mod rng;
pub mod run;
pub mod shrink;
pub mod status;
pub mod xds;
