//! GRPCRoute method matches, compiled the way Envoy Gateway does (`route.go`,
//! `processGRPCRouteMethodExact`/`…Regex`): service + method → Exact path `/svc/method`; service
//! only → PathPrefix `/svc`; method only → a `:path` suffix header `/method` (a non-exact header);
//! RegularExpression → a regex path. The result competes in the same table as HTTPRoutes.

use super::matchers::{compile_regex, Cond, Match, PathMatch, ValueMatch};
use super::table::compile_value;
use crate::model::GrpcRouteMatch;

/// What a regex method match without a service matches in the service's place: a dotted
/// identifier, case-insensitive, with an optional leading dot.
pub const VALID_SERVICE_NAME: &str = r"(?i)\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*";
/// What a regex method match without a method matches in the method's place.
pub const VALID_METHOD_NAME: &str = "[A-Za-z_][A-Za-z_0-9]*";

pub fn compile_match(m: &GrpcRouteMatch, p: &str) -> Result<Match, (String, String)> {
    let mptr = format!("{p}/method");
    let mut headers: Vec<Cond> = Vec::new();
    let path = match &m.method {
        None => PathMatch::prefix("/"),
        Some(mm) => {
            let svc = mm.service.as_deref().filter(|s| !s.is_empty());
            let method = mm.method.as_deref().filter(|s| !s.is_empty());
            match mm.type_.as_deref().unwrap_or("Exact") {
                "Exact" => match (svc, method) {
                    (Some(s), Some(me)) => PathMatch::Exact(format!("/{s}/{me}")),
                    (Some(s), None) => PathMatch::prefix(&format!("/{s}")),
                    (None, Some(me)) => {
                        headers.push(Cond {
                            name: ":path".into(),
                            value: ValueMatch::Suffix(format!("/{me}")),
                            pointer: mptr.clone(),
                        });
                        PathMatch::prefix("/")
                    }
                    (None, None) => PathMatch::prefix("/"),
                },
                "RegularExpression" => {
                    // A missing side is Envoy Gateway's pattern of a valid gRPC service or method
                    // name; the pattern's length ranks it among regex routes.
                    let pattern = format!(
                        "/{}/{}",
                        svc.unwrap_or(VALID_SERVICE_NAME),
                        method.unwrap_or(VALID_METHOD_NAME)
                    );
                    match compile_regex(&pattern) {
                        Ok(re) => PathMatch::Regex { re, pattern },
                        Err(e) => {
                            return Err((
                                format!("invalid gRPC method regular expression `{pattern}`: {e}"),
                                mptr,
                            ))
                        }
                    }
                }
                other => {
                    return Err((
                        format!("unsupported gRPC method match type `{other}`"),
                        format!("{mptr}/type"),
                    ))
                }
            }
        }
    };
    for (i, h) in m.headers.iter().enumerate() {
        let name = h.name.to_ascii_lowercase();
        if headers.iter().any(|c| c.name == name) {
            continue;
        }
        let hp = format!("{p}/headers/{i}");
        headers.push(Cond {
            name,
            value: compile_value(h.kind(), &h.value, &hp)?,
            pointer: hp,
        });
    }
    Ok(Match {
        path,
        path_pointer: mptr,
        headers,
        query: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::matchers::ReqView;

    fn m(j: serde_json::Value) -> Match {
        compile_match(
            &serde_json::from_value(j).unwrap(),
            "/spec/rules/0/matches/0",
        )
        .unwrap()
    }
    fn req(path: &'static str) -> ReqView<'static> {
        ReqView::new(
            "POST",
            path,
            Box::leak(
                vec![("content-type".to_string(), "application/grpc".to_string())]
                    .into_boxed_slice(),
            ),
            "h",
        )
    }

    #[test]
    fn method_matches_and_precedence() {
        let full = m(serde_json::json!({"method": {"service": "pkg.Svc", "method": "Echo"}}));
        let svc = m(serde_json::json!({"method": {"service": "pkg.Svc"}}));
        let meth = m(serde_json::json!({"method": {"method": "Echo"}}));
        let re = m(
            serde_json::json!({"method": {"type": "RegularExpression", "service": "pkg\\..*", "method": "Echo.*"}}),
        );
        let any = m(serde_json::json!({}));
        assert!(full.is_match(&req("/pkg.Svc/Echo")));
        assert!(!full.is_match(&req("/pkg.Svc/EchoTwo")));
        assert!(svc.is_match(&req("/pkg.Svc/EchoTwo")));
        assert!(!svc.is_match(&req("/pkg.Svcx/Echo")));
        assert!(meth.is_match(&req("/other.Svc/Echo")));
        assert!(!meth.is_match(&req("/other.Svc/EchoTwo")));
        assert!(re.is_match(&req("/pkg.Svc/EchoThree")));
        assert!(!re.is_match(&req("/other.Svc/Echo")));
        assert!(any.is_match(&req("/x.Y/Z")));
        // A regex without a method or a service fills in Envoy Gateway's name patterns.
        let re_svc =
            m(serde_json::json!({"method": {"type": "RegularExpression", "service": "pkg\\.Svc"}}));
        let re_meth =
            m(serde_json::json!({"method": {"type": "RegularExpression", "method": "Get.*"}}));
        for (matcher, path, want) in [
            (&re_svc, "/pkg.Svc/Echo", true),
            (&re_svc, "/pkg.Svc/1Echo", false),
            (&re_svc, "/pkg.Svc/Echo/x", false),
            (&re_meth, "/pkg.v1.Svc/GetThing", true),
            (&re_meth, "/.pkg.Svc/GetThing", true),
            (&re_meth, "/pkg..Svc/GetThing", false),
            (&re_meth, "/1pkg.Svc/GetThing", false),
        ] {
            assert_eq!(matcher.is_match(&req(path)), want, "{path}");
        }
        assert_eq!(
            re_meth.path.len(),
            format!("/{VALID_SERVICE_NAME}/Get.*").len()
        );
        // Exact > RegularExpression > PathPrefix (service only) > method only (suffix header on prefix /) > any
        assert!(full.key() > re.key());
        assert!(re.key() > svc.key());
        assert!(svc.key() > meth.key());
        assert!(meth.key() > any.key());
    }
}
