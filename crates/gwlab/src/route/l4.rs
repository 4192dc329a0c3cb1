//! L4 routing: TLS passthrough (the SNI picks a TLSRoute; the encrypted stream goes through),
//! TLS terminate (TLSRoute or TCPRoute behind a terminating TLS listener), TCP and UDP by port.
//! A failing share (invalid backend, no endpoints) rejects the connection (TCP/TLS) or drops the
//! datagrams (UDP) instead of answering 500.

use super::outcome::{describe_backend, finish, pct, Planned};
use super::table::{GwTables, Router};
use super::{Outcome, Request, RequestProtocol, Share, ShareOutcome, Tracer};
use crate::resolve::{BackendTarget, RouteKind};
use std::sync::Arc;

pub(crate) fn outcome(
    router: &Router,
    gw: &GwTables,
    listener: usize,
    action: usize,
    req: &Request,
    passthrough: bool,
    t: &mut Tracer,
) -> Outcome {
    let a = &router.actions[action];
    let l = &gw.listeners[listener];
    let mut out = Outcome::empty();
    out.route = Some((a.route_id.clone(), a.rule));
    out.listener = Some(l.id.clone());
    out.gateway = Some(gw.key.clone());
    let obj = || Some(a.route_id.to_string());
    t.step("winner", || {
        let how = match a.kind {
            RouteKind::Tls if passthrough => "the TLS stream is passed through unopened",
            RouteKind::Tls => "TLS is terminated at the Gateway and plaintext is forwarded",
            RouteKind::Tcp => "bytes are forwarded as they come",
            RouteKind::Udp => "datagrams are forwarded",
            _ => "forwarded",
        };
        (
            format!("{} takes the connection: {how}", a.route_id),
            obj(),
            Some(a.rule_pointer.clone()),
        )
    });
    if !a.plan_note.is_empty() {
        t.step("backend", || {
            (
                a.plan_note.clone(),
                obj(),
                Some(format!("{}/backendRefs", a.rule_pointer)),
            )
        });
    }
    let http = matches!(req.protocol, RequestProtocol::Http | RequestProtocol::Grpc);
    let host: Arc<str> = Arc::from(
        req.host
            .as_deref()
            .or(req.sni.as_deref())
            .unwrap_or_default(),
    );
    let path: Arc<str> = Arc::from(if http { req.path.as_str() } else { "" });
    let headers: Arc<[(String, String)]> = if http {
        req.headers
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
            .collect()
    } else {
        Arc::from(Vec::new())
    };
    for p in &a.plan {
        match p {
            Planned::Backend {
                backend,
                fraction,
                weight,
            } => {
                let b = &a.backends[*backend];
                let BackendTarget::Service {
                    namespace,
                    name,
                    port,
                    tls,
                    ..
                } = &*b.target
                else {
                    continue;
                };
                t.step("backend", || {
                    (
                        format!(
                            "{} of connections (weight {weight}) go to {}",
                            pct(*fraction),
                            describe_backend(b)
                        ),
                        obj(),
                        Some(b.pointer.clone()),
                    )
                });
                if passthrough {
                    t.note("policy", || {
                        format!(
                            "the backend terminates the client's TLS itself and sees SNI `{}`",
                            req.sni.clone().unwrap_or_default()
                        )
                    });
                }
                let tls = if passthrough { None } else { tls.clone() };
                if let Some(tl) = &tls {
                    t.step("policy", || (format!("the hop to {namespace}/{name} is re-encrypted: SNI `{}`, CA {} (BackendTLSPolicy {})", tl.sni, tl.ca, tl.policy), Some(format!("BackendTLSPolicy/{}", tl.policy)), Some("/spec/validation".into())));
                }
                out.shares.push(Share {
                    fraction: *fraction,
                    weight: *weight,
                    outcome: ShareOutcome::Backend {
                        namespace: namespace.clone(),
                        name: name.clone(),
                        port: *port,
                        path: path.clone(),
                        host: host.clone(),
                        headers: headers.clone(),
                        tls,
                        response_header_ops: Vec::new(),
                        passthrough,
                    },
                });
            }
            Planned::Rejected { fraction, weight } => {
                t.step("backend", || {
                    let who: Vec<String> = a
                        .backends
                        .iter()
                        .filter(|b| {
                            !matches!(
                                *b.target,
                                BackendTarget::Service {
                                    has_endpoints: true,
                                    ..
                                }
                            )
                        })
                        .map(describe_backend)
                        .collect();
                    let verb = if a.kind == RouteKind::Udp {
                        "are dropped"
                    } else {
                        "are rejected"
                    };
                    (
                        format!(
                            "{} of connections (weight {weight}) {verb}: {}",
                            pct(*fraction),
                            who.join("; ")
                        ),
                        obj(),
                        Some(format!("{}/backendRefs", a.rule_pointer)),
                    )
                });
                out.shares.push(Share {
                    fraction: *fraction,
                    weight: *weight,
                    outcome: ShareOutcome::Rejected,
                });
            }
            Planned::Status {
                fraction, weight, ..
            } => {
                out.shares.push(Share {
                    fraction: *fraction,
                    weight: *weight,
                    outcome: ShareOutcome::Rejected,
                });
            }
        }
    }
    finish(&mut out);
    if !http && out.status == 200 {
        out.status = 0;
    }
    out
}
