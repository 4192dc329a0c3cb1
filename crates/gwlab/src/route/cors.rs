//! The CORS filter as Envoy Gateway programs Envoy's: one policy per route, built from an
//! HTTPRoute `CORS` filter or (when the route has none) a SecurityPolicy's `cors`.
//!
//! Envoy's CORS filter acts only on requests with an `Origin` header. A preflight (`OPTIONS`
//! with `Origin` and `Access-Control-Request-Method`) is answered by Envoy itself, never
//! forwarded (Envoy Gateway sets `forwardNotMatchingPreflights: false`): with the
//! `access-control-*` headers when the origin is allowed, without them otherwise. Any other
//! request from an allowed origin goes on and its response gets `access-control-allow-origin`
//! (plus `access-control-expose-headers` and `access-control-allow-credentials` when set).

use regex::Regex;

/// An allowed origin: exact, or a pattern where `*` stands for any run of characters (Envoy
/// Gateway turns those into an anchored regex with every other character literal).
#[derive(Debug, Clone)]
pub enum OriginMatch {
    Exact(String),
    Pattern(Regex),
}

impl OriginMatch {
    pub fn new(origin: &str) -> Option<OriginMatch> {
        if !origin.contains('*') {
            return Some(OriginMatch::Exact(origin.to_string()));
        }
        let pattern = format!("^{}$", regex::escape(origin).replace("\\*", ".*"));
        Regex::new(&pattern).ok().map(OriginMatch::Pattern)
    }
    fn matches(&self, origin: &str) -> bool {
        match self {
            OriginMatch::Exact(o) => o == origin,
            OriginMatch::Pattern(re) => re.is_match(origin),
        }
    }
}

/// One route's CORS policy, in the terms Envoy receives it.
#[derive(Debug, Clone, Default)]
pub struct CorsPolicy {
    pub allow_origins: Vec<OriginMatch>,
    /// `, `-joined; a `*` among them makes the whole value `*` (Envoy reads `*, GET` literally).
    pub allow_methods: String,
    pub allow_headers: String,
    pub expose_headers: String,
    /// Seconds; None leaves `access-control-max-age` out.
    pub max_age: Option<u64>,
    pub allow_credentials: bool,
}

impl CorsPolicy {
    pub fn new(
        origins: &[String],
        methods: &[String],
        headers: &[String],
        expose: &[String],
        max_age: Option<u64>,
        allow_credentials: bool,
    ) -> CorsPolicy {
        CorsPolicy {
            allow_origins: origins.iter().filter_map(|o| OriginMatch::new(o)).collect(),
            allow_methods: join_star(methods),
            allow_headers: join_star(headers),
            expose_headers: expose.join(", "),
            max_age,
            allow_credentials,
        }
    }

    /// An HTTPRoute `CORS` filter; its `maxAge` defaults to 5 seconds (the CRD default).
    pub fn from_route_filter(c: &crate::model::Cors) -> CorsPolicy {
        let max_age = Some(c.max_age.unwrap_or(5).max(0) as u64);
        CorsPolicy::new(
            &c.allow_origins,
            &c.allow_methods,
            &c.allow_headers,
            &c.expose_headers,
            max_age,
            c.allow_credentials == Some(true),
        )
    }

    pub fn origin_allowed(&self, origin: &str) -> bool {
        self.allow_origins.iter().any(|o| o.matches(origin))
    }

    /// What the filter does with a request of `method` carrying these headers.
    pub fn evaluate(&self, method: &str, headers: &[(String, String)]) -> CorsAnswer {
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        let Some(origin) = get("origin") else {
            return CorsAnswer::NotCors;
        };
        let allowed = self.origin_allowed(origin);
        let preflight = method.eq_ignore_ascii_case("OPTIONS")
            && get("access-control-request-method").is_some();
        let mut h = Vec::new();
        if allowed {
            h.push((
                "access-control-allow-origin".to_string(),
                origin.to_string(),
            ));
        }
        if preflight {
            if allowed {
                self.push_preflight_headers(&mut h);
            }
            return CorsAnswer::Preflight {
                origin: origin.to_string(),
                allowed,
                headers: h,
            };
        }
        if allowed {
            if !self.expose_headers.is_empty() {
                h.push((
                    "access-control-expose-headers".into(),
                    self.expose_headers.clone(),
                ));
            }
            if self.allow_credentials {
                h.push(("access-control-allow-credentials".into(), "true".into()));
            }
        }
        CorsAnswer::Actual {
            origin: origin.to_string(),
            allowed,
            headers: h,
        }
    }

    fn push_preflight_headers(&self, h: &mut Vec<(String, String)>) {
        if !self.allow_methods.is_empty() {
            h.push((
                "access-control-allow-methods".into(),
                self.allow_methods.clone(),
            ));
        }
        if !self.allow_headers.is_empty() {
            h.push((
                "access-control-allow-headers".into(),
                self.allow_headers.clone(),
            ));
        }
        if let Some(s) = self.max_age {
            h.push(("access-control-max-age".into(), s.to_string()));
        }
        if self.allow_credentials {
            h.push(("access-control-allow-credentials".into(), "true".into()));
        }
    }
}

/// The CORS filter's verdict on one request.
#[derive(Debug, Clone, PartialEq)]
pub enum CorsAnswer {
    /// No `Origin` header: the filter does nothing.
    NotCors,
    /// A preflight, answered 200 by Envoy with these headers (none when the origin is refused).
    Preflight {
        origin: String,
        allowed: bool,
        headers: Vec<(String, String)>,
    },
    /// A request that goes on; its response gets these headers (none when refused).
    Actual {
        origin: String,
        allowed: bool,
        headers: Vec<(String, String)>,
    },
}

fn join_star(v: &[String]) -> String {
    if v.iter().any(|x| x == "*") {
        "*".into()
    } else {
        v.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn cors_answers() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let p = CorsPolicy::new(
            &s(&["https://*.example.com", "https://app.test"]),
            &s(&["GET", "POST"]),
            &s(&["x-a"]),
            &s(&["x-b"]),
            Some(5),
            true,
        );
        let star = CorsPolicy::new(&s(&["*"]), &s(&["GET", "*"]), &[], &[], None, false);
        let pre = |o: &str| hs(&[("Origin", o), ("Access-Control-Request-Method", "GET")]);
        // (policy, method, request headers, verdict)
        type Case<'a> = (&'a CorsPolicy, &'a str, Vec<(String, String)>, CorsAnswer);
        let cases: Vec<Case> = vec![
            (&p, "GET", vec![], CorsAnswer::NotCors),
            (
                &p,
                "OPTIONS",
                pre("https://a.example.com"),
                CorsAnswer::Preflight {
                    origin: "https://a.example.com".into(),
                    allowed: true,
                    headers: hs(&[
                        ("access-control-allow-origin", "https://a.example.com"),
                        ("access-control-allow-methods", "GET, POST"),
                        ("access-control-allow-headers", "x-a"),
                        ("access-control-max-age", "5"),
                        ("access-control-allow-credentials", "true"),
                    ]),
                },
            ),
            (
                &p,
                "OPTIONS",
                pre("https://evil.test"),
                CorsAnswer::Preflight {
                    origin: "https://evil.test".into(),
                    allowed: false,
                    headers: vec![],
                },
            ),
            // `.` is literal in a pattern: `https://aXexample.com` does not match `*.example.com`.
            (
                &p,
                "OPTIONS",
                pre("https://aXexample.com"),
                CorsAnswer::Preflight {
                    origin: "https://aXexample.com".into(),
                    allowed: false,
                    headers: vec![],
                },
            ),
            // OPTIONS without Access-Control-Request-Method is no preflight.
            (
                &p,
                "OPTIONS",
                hs(&[("origin", "https://app.test")]),
                CorsAnswer::Actual {
                    origin: "https://app.test".into(),
                    allowed: true,
                    headers: hs(&[
                        ("access-control-allow-origin", "https://app.test"),
                        ("access-control-expose-headers", "x-b"),
                        ("access-control-allow-credentials", "true"),
                    ]),
                },
            ),
            (
                &p,
                "GET",
                hs(&[("origin", "https://evil.test")]),
                CorsAnswer::Actual {
                    origin: "https://evil.test".into(),
                    allowed: false,
                    headers: vec![],
                },
            ),
            (
                &star,
                "OPTIONS",
                pre("http://x"),
                CorsAnswer::Preflight {
                    origin: "http://x".into(),
                    allowed: true,
                    headers: hs(&[
                        ("access-control-allow-origin", "http://x"),
                        ("access-control-allow-methods", "*"),
                    ]),
                },
            ),
        ];
        for (policy, method, headers, want) in cases {
            assert_eq!(
                policy.evaluate(method, &headers),
                want,
                "{method} {headers:?}"
            );
        }
    }

    #[test]
    fn route_filter_max_age_defaults_to_five_seconds() {
        let c: crate::model::Cors =
            serde_json::from_value(serde_json::json!({"allowOrigins": ["*"]})).expect("cors");
        assert_eq!(CorsPolicy::from_route_filter(&c).max_age, Some(5));
        let c: crate::model::Cors =
            serde_json::from_value(serde_json::json!({"allowOrigins": ["*"], "maxAge": 0}))
                .expect("cors");
        assert_eq!(CorsPolicy::from_route_filter(&c).max_age, Some(0));
    }
}
