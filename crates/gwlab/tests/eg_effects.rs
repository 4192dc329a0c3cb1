#![allow(clippy::type_complexity)]

//! Envoy Gateway policy effects on simulated requests, attachment precedence, and validation
//! diagnostics. Each table row is one request and what the gateway does with it.

use gwlab::eg::codec::{base64_encode, base64url_encode, htpasswd_sha};
use gwlab::eg::{self, client, filter, ratelimit, PolicyIndex, RouteContext};
use gwlab::model::{load, LoadOptions, Model};
use gwlab::route::{Request, RequestProtocol};
use gwlab::source::SourceFile;

const BASE: &str = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: eg}
spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  gatewayClassName: eg
  listeners:
  - {name: http, protocol: HTTP, port: 80}
  - {name: web, protocol: HTTP, port: 8080}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: app, namespace: default}
spec:
  parentRefs: [{name: gw}]
  rules:
  - name: api
    matches: [{path: {type: PathPrefix, value: /api}}]
    backendRefs: [{name: svc, port: 80}]
  - name: web
    backendRefs: [{name: svc, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: svc, namespace: default}
spec: {ports: [{port: 80}]}
"#;

fn model(extra: &str) -> Model {
    let text = format!("{BASE}---\n{extra}");
    load(
        vec![SourceFile::new("m.yaml", text)],
        &LoadOptions::default(),
    )
}

fn index(extra: &str) -> (Model, PolicyIndex) {
    let m = model(extra);
    let ix = PolicyIndex::from_model(&m);
    (m, ix)
}

/// As [`index`], with objects read as written: Envoy Gateway's own checks on input no API server
/// validated (its translator fixtures), which the CRD would otherwise refuse first.
fn index_unvalidated(extra: &str) -> (Model, PolicyIndex) {
    let text = format!("{BASE}---\n{extra}");
    let m = load(
        vec![SourceFile::new("m.yaml", text)],
        &LoadOptions {
            api_server: false,
            ..LoadOptions::default()
        },
    );
    let ix = PolicyIndex::from_model(&m);
    (m, ix)
}

/// The `api-rejected` messages of the model.
fn refusals(m: &Model) -> Vec<&str> {
    m.diagnostics
        .iter()
        .filter(|d| d.code == "api-rejected")
        .map(|d| d.message.as_str())
        .collect()
}

fn req(method: &str, path: &str, headers: &[(&str, &str)]) -> Request {
    Request {
        protocol: RequestProtocol::Http,
        method: method.into(),
        scheme: "http".into(),
        host: Some("www.example.com".into()),
        port: 80,
        path: path.into(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        sni: None,
        client_certificate: false,
        ext_auth_denies: false,
        gateway: None,
    }
}

fn ctx(rule: usize) -> RouteContext {
    RouteContext {
        gateway_namespace: "default".into(),
        gateway: "gw".into(),
        listener: "http".into(),
        route_kind: "HTTPRoute".into(),
        route_namespace: "default".into(),
        route: "app".into(),
        rule,
        client_ip: Some("10.1.2.3".into()),
        ext_auth_denies: false,
        now: None,
        route_cors: false,
    }
}

/// Status code the gateway answers, or 0 when the request goes to the backend.
fn status(ix: &PolicyIndex, r: &Request, c: &RouteContext) -> u16 {
    eg::effects(ix, r, c)
        .short_circuit
        .map(|s| s.status)
        .unwrap_or(0)
}

fn get<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn jwt(claims: &str) -> String {
    format!(
        "{}.{}.c2lnbmF0dXJl",
        base64url_encode(br#"{"alg":"RS256","kid":"k1"}"#),
        base64url_encode(claims.as_bytes())
    )
}

fn sp(spec: &str) -> String {
    format!("apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: SecurityPolicy\nmetadata: {{name: sp, namespace: default}}\nspec:\n  targetRefs: [{{group: gateway.networking.k8s.io, kind: HTTPRoute, name: app}}]\n{spec}")
}

#[test]
fn cors() {
    let (_, ix) = index(&sp("  cors:\n    allowOrigins: [\"https://*.example.com\", \"https://app.test\"]\n    allowMethods: [GET, POST]\n    allowHeaders: [x-a]\n    exposeHeaders: [x-b]\n    maxAge: 10m\n    allowCredentials: true\n"));
    let pre = |o: &str| {
        req(
            "OPTIONS",
            "/api",
            &[("Origin", o), ("Access-Control-Request-Method", "GET")],
        )
    };
    // (request, status (0 = forwarded), allow-origin on the reply or response)
    let rows: Vec<(Request, u16, Option<&str>)> = vec![
        (
            pre("https://a.b.example.com"),
            200,
            Some("https://a.b.example.com"),
        ),
        (pre("https://app.test"), 200, Some("https://app.test")),
        (pre("https://evil.test"), 200, None),
        (
            req("GET", "/api", &[("Origin", "https://app.test")]),
            0,
            Some("https://app.test"),
        ),
        (
            req("GET", "/api", &[("Origin", "https://evil.test")]),
            0,
            None,
        ),
        (req("OPTIONS", "/api", &[]), 0, None),
    ];
    for (r, want, origin) in rows {
        let fx = eg::effects(&ix, &r, &ctx(0));
        let got = fx.short_circuit.as_ref().map(|s| s.status).unwrap_or(0);
        assert_eq!(got, want, "{:?}", r.headers);
        let headers = fx
            .short_circuit
            .as_ref()
            .map(|s| s.headers.clone())
            .unwrap_or(fx.response_headers.clone());
        assert_eq!(
            get(&headers, "access-control-allow-origin"),
            origin,
            "{:?}",
            r.headers
        );
    }
    let fx = eg::effects(&ix, &pre("https://app.test"), &ctx(0));
    let h = fx.short_circuit.unwrap().headers;
    assert_eq!(get(&h, "access-control-allow-methods"), Some("GET, POST"));
    assert_eq!(get(&h, "access-control-max-age"), Some("600"));
    assert_eq!(get(&h, "access-control-allow-credentials"), Some("true"));
}

#[test]
fn jwt_authentication() {
    let (_, ix) = index(&sp(
        "  jwt:\n    providers:\n    - name: p\n      issuer: https://issuer\n      audiences: [api]\n      remoteJWKS: {uri: https://issuer/jwks}\n      claimToHeaders: [{header: x-user, claim: sub}, {header: x-team, claim: org.team}]\n",
    ));
    let good = jwt(
        r#"{"iss":"https://issuer","aud":"api","sub":"alice","org":{"team":"blue"},"exp":2000}"#,
    );
    let rows: Vec<(Vec<(&str, String)>, &str, u16)> = vec![
        (vec![], "/api", 401),
        (vec![("Authorization", format!("Bearer {good}"))], "/api", 0),
        (
            vec![],
            &*Box::leak(format!("/api?access_token={good}").into_boxed_str()),
            0,
        ),
        (
            vec![(
                "Authorization",
                format!("Bearer {}", jwt(r#"{"iss":"https://other","aud":"api"}"#)),
            )],
            "/api",
            401,
        ),
        (
            vec![(
                "Authorization",
                format!("Bearer {}", jwt(r#"{"iss":"https://issuer","aud":"web"}"#)),
            )],
            "/api",
            403,
        ),
        (
            vec![("Authorization", "Bearer not.a-token".to_string())],
            "/api",
            401,
        ),
    ];
    for (h, path, want) in rows {
        let hs: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(
            status(&ix, &req("GET", path, &hs), &ctx(0)),
            want,
            "{path} {h:?}"
        );
    }
    let r = req(
        "GET",
        "/api",
        &[("Authorization", &format!("Bearer {good}"))],
    );
    let fx = eg::effects(&ix, &r, &ctx(0));
    assert_eq!(get(&fx.request_headers, "x-user"), Some("alice"));
    assert_eq!(get(&fx.request_headers, "x-team"), Some("blue"));
    assert!(fx
        .trace
        .iter()
        .any(|t| t.message.contains("signature assumed valid")));
    // Expiry is checked only when the simulation is given a clock.
    let mut c = ctx(0);
    c.now = Some(3000);
    assert_eq!(status(&ix, &r, &c), 401);
    let denied = eg::effects(&ix, &req("GET", "/api", &[]), &ctx(0))
        .short_circuit
        .unwrap();
    assert!(get(&denied.headers, "www-authenticate")
        .unwrap()
        .starts_with("Bearer realm="));

    let (_, opt) = index(&sp("  jwt:\n    optional: true\n    providers:\n    - {name: p, remoteJWKS: {uri: https://i/jwks}}\n"));
    assert_eq!(status(&opt, &req("GET", "/", &[]), &ctx(1)), 0);
}

#[test]
fn basic_auth() {
    let htpasswd = format!(
        "alice:{}\nbob:{}\n",
        htpasswd_sha("s3cret"),
        htpasswd_sha("hunter2")
    );
    let secret = format!("apiVersion: v1\nkind: Secret\nmetadata: {{name: users, namespace: default}}\ndata:\n  .htpasswd: {}\n", base64_encode(htpasswd.as_bytes()));
    let (_, ix) = index(&format!(
        "{secret}---\n{}",
        sp("  basicAuth:\n    users: {name: users}\n    forwardUsernameHeader: x-user\n")
    ));
    let basic =
        |u: &str, p: &str| format!("Basic {}", base64_encode(format!("{u}:{p}").as_bytes()));
    let rows = [
        (basic("alice", "s3cret"), 0),
        (basic("bob", "hunter2"), 0),
        (basic("alice", "wrong"), 401),
        (basic("carol", "x"), 401),
        ("Bearer x".into(), 401),
    ];
    for (auth, want) in rows {
        assert_eq!(
            status(&ix, &req("GET", "/", &[("authorization", &auth)]), &ctx(1)),
            want,
            "{auth}"
        );
    }
    let fx = eg::effects(
        &ix,
        &req("GET", "/", &[("authorization", &basic("alice", "s3cret"))]),
        &ctx(1),
    );
    assert_eq!(get(&fx.request_headers, "x-user"), Some("alice"));
    let denied = eg::effects(&ix, &req("GET", "/", &[]), &ctx(1))
        .short_circuit
        .unwrap();
    assert!(get(&denied.headers, "www-authenticate")
        .unwrap()
        .starts_with("Basic"));
}

#[test]
fn malformed_htpasswd_is_located_and_answers_500() {
    let secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: users, namespace: default}\nstringData:\n  .htpasswd: \"alice:$apr1$abc$def\"\n";
    let (_, ix) = index(&format!(
        "{secret}---\n{}",
        sp("  basicAuth:\n    users: {name: users}\n")
    ));
    let d = ix
        .diagnostics
        .iter()
        .find(|d| d.code == "htpasswd-invalid")
        .expect("htpasswd-invalid");
    assert!(d.message.contains("{SHA}"), "{}", d.message);
    let loc = d.location.as_ref().unwrap();
    assert_eq!(loc.line, 45, "{}", d.render());
    let st = &ix.statuses[0].status["ancestors"][0]["conditions"][0];
    assert_eq!(
        (st["status"].as_str(), st["reason"].as_str()),
        (Some("False"), Some("Invalid"))
    );
    assert_eq!(status(&ix, &req("GET", "/", &[]), &ctx(0)), 500);
}

#[test]
fn bad_jwks_is_located() {
    let (_, ix) = index(&sp("  jwt:\n    providers:\n    - name: p\n      localJWKS:\n        type: Inline\n        inline: '{\"keys\": [{\"kty\": \"RSA\", \"e\": \"AQAB\"}]}'\n"));
    let d = ix
        .diagnostics
        .iter()
        .find(|d| d.code == "jwks-invalid")
        .expect("jwks-invalid");
    assert!(d.message.contains("lacks `n`"), "{}", d.message);
    assert_eq!(d.location.as_ref().unwrap().line, 42, "{}", d.render());
    assert_eq!(status(&ix, &req("GET", "/", &[]), &ctx(0)), 500);
}

#[test]
fn api_keys() {
    let secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: keys, namespace: default}\nstringData: {client-a: key-a, client-b: key-b}\n";
    let (_, ix) = index(&format!(
        "{secret}---\n{}",
        sp("  apiKeyAuth:\n    credentialRefs: [{name: keys}]\n    extractFrom: [{headers: [x-api-key]}, {params: [key]}]\n    forwardClientIDHeader: x-client\n    sanitize: true\n")
    ));
    let rows: [(&str, &[(&str, &str)], u16); 4] = [
        ("/", &[("x-api-key", "key-a")], 0),
        ("/?key=key-b", &[], 0),
        ("/", &[("x-api-key", "nope")], 401),
        ("/", &[], 401),
    ];
    for (path, h, want) in rows {
        assert_eq!(
            status(&ix, &req("GET", path, h), &ctx(1)),
            want,
            "{path} {h:?}"
        );
    }
    let fx = eg::effects(&ix, &req("GET", "/", &[("x-api-key", "key-a")]), &ctx(1));
    assert_eq!(get(&fx.request_headers, "x-client"), Some("client-a"));
    assert_eq!(fx.removed_request_headers, vec!["x-api-key"]);

    let dup = "apiVersion: v1\nkind: Secret\nmetadata: {name: keys, namespace: default}\nstringData: {client-a: same, client-b: same}\n";
    let (_, ix) = index(&format!("{dup}---\n{}", sp("  apiKeyAuth:\n    credentialRefs: [{name: keys}]\n    extractFrom: [{headers: [x-api-key]}]\n")));
    assert!(ix.diagnostics.iter().any(|d| d.code == "api-key-duplicate"));
}

#[test]
fn ext_auth_and_authorization() {
    let (_, ix) = index(&sp(
        "  extAuth:\n    http: {backendRefs: [{name: svc, port: 80}]}\n    headersToExtAuth: [Authorization]\n  authorization:\n    defaultAction: Deny\n    rules:\n    - {name: office, action: Allow, principal: {clientCIDRs: [10.0.0.0/8]}}\n    - {name: admins, action: Allow, principal: {headers: [{name: x-role, values: [admin]}]}}\n",
    ));
    let r = req("GET", "/", &[("authorization", "t"), ("x-other", "1")]);
    let fx = eg::effects(&ix, &r, &ctx(1));
    assert_eq!(fx.short_circuit, None);
    assert_eq!(
        fx.ext_auth_headers,
        vec![("authorization".to_string(), "t".to_string())]
    );
    let mut deny = ctx(1);
    deny.ext_auth_denies = true;
    assert_eq!(status(&ix, &r, &deny), 403);
    // Authorization: first matching rule wins, default deny.
    let mut outside = ctx(1);
    outside.client_ip = Some("192.0.2.1".into());
    assert_eq!(status(&ix, &req("GET", "/", &[]), &outside), 403);
    assert_eq!(
        status(&ix, &req("GET", "/", &[("x-role", "admin")]), &outside),
        0
    );
    assert_eq!(status(&ix, &req("GET", "/", &[]), &ctx(1)), 0);
    let body = eg::effects(&ix, &req("GET", "/", &[]), &outside)
        .short_circuit
        .unwrap()
        .body;
    assert_eq!(body, "RBAC: access denied");
}

#[test]
fn authorization_by_jwt_claim() {
    let (_, ix) = index(&sp(
        "  jwt:\n    providers: [{name: p, remoteJWKS: {uri: https://i/jwks}}]\n  authorization:\n    rules:\n    - action: Allow\n      principal: {jwt: {provider: p, scopes: [write], claims: [{name: groups, valueType: StringArray, values: [ops]}]}}\n",
    ));
    let ok = jwt(r#"{"scope":"read write","groups":["dev","ops"]}"#);
    let weak = jwt(r#"{"scope":"read","groups":["ops"]}"#);
    assert_eq!(
        status(
            &ix,
            &req("GET", "/", &[("authorization", &format!("Bearer {ok}"))]),
            &ctx(0)
        ),
        0
    );
    assert_eq!(
        status(
            &ix,
            &req("GET", "/", &[("authorization", &format!("Bearer {weak}"))]),
            &ctx(0)
        ),
        403
    );
}

fn btp(spec: &str) -> String {
    format!("apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: BackendTrafficPolicy\nmetadata: {{name: btp, namespace: default}}\nspec:\n  targetRefs: [{{group: gateway.networking.k8s.io, kind: HTTPRoute, name: app}}]\n{spec}")
}

#[test]
fn local_rate_limit_bursts() {
    let (_, ix) = index(&btp(
        "  rateLimit:\n    type: Local\n    local:\n      rules:\n      - limit: {requests: 3, unit: Second}\n      - clientSelectors: [{headers: [{name: x-user, type: Distinct}]}]\n        limit: {requests: 1, unit: Minute}\n",
    ));
    // (requests, rate/s, headers, how many get 429)
    let rows: [(usize, f64, &[(&str, &str)], usize); 4] = [
        (10, 10.0, &[], 7),              // one second: 3 pass
        (20, 10.0, &[], 14),             // two seconds: 3 + 3 pass
        (3, 1.0, &[], 0),                // one per second never runs dry
        (5, 1.0, &[("x-user", "a")], 4), // the selector bucket, not the default
    ];
    for (n, rate, h, limited) in rows {
        let r = ratelimit::burst(&ix, &req("GET", "/", h), &ctx(1), n, rate);
        assert_eq!(r.limited.len(), limited, "{n}@{rate} {h:?}: {}", r.summary);
    }
    let r = ratelimit::burst(&ix, &req("GET", "/", &[]), &ctx(1), 4, 100.0);
    assert_eq!(r.limited, vec![3]);
    assert_eq!(r.requests[3].status, 429);
    assert_eq!(
        get(&r.requests[2].headers, "x-ratelimit-remaining"),
        Some("0")
    );
}

#[test]
fn selector_unit_finer_than_the_default_unit_is_invalid() {
    let (_, ix) = index(&btp(
        "  rateLimit:\n    local:\n      rules:\n      - limit: {requests: 10, unit: Minute}\n      - clientSelectors: [{headers: [{name: x-plan, value: free}]}]\n        limit: {requests: 2, unit: Second}\n",
    ));
    let d = ix
        .diagnostics
        .iter()
        .find(|d| d.code == "policy-invalid")
        .expect("policy-invalid");
    assert!(d.message.contains("not a multiple"), "{}", d.message);
    assert!(d.render().contains("error"), "{}", d.render());
    let st = &ix.statuses[0].status["ancestors"][0]["conditions"][0];
    assert_eq!(
        (st["status"].as_str(), st["reason"].as_str()),
        (Some("False"), Some("Invalid"))
    );
    assert_eq!(status(&ix, &req("GET", "/", &[]), &ctx(0)), 500);
    // Coarser selector units are fine.
    let (_, ok) = index(&btp(
        "  rateLimit:\n    local:\n      rules:\n      - limit: {requests: 10, unit: Minute}\n      - clientSelectors: [{headers: [{name: x-plan, value: free}]}]\n        limit: {requests: 2, unit: Hour}\n",
    ));
    assert!(!ok.diagnostics.iter().any(|d| d.code == "policy-invalid"));
}

#[test]
fn faults_overrides_and_route_facts() {
    let (_, ix) = index(&btp(
        "  faultInjection:\n    abort: {httpStatus: 503, percentage: 25}\n    delay: {fixedDelay: 2s}\n  retry: {numRetries: 5}\n  timeout: {http: {requestTimeout: 3s}}\n  circuitBreaker: {maxConnections: 10}\n  responseOverride:\n  - match: {statusCodes: [{type: Range, range: {start: 500, end: 599}}]}\n    response: {statusCode: 502, body: {type: Inline, inline: oops}}\n",
    ));
    let fx = eg::effects(&ix, &req("GET", "/", &[]), &ctx(1));
    assert_eq!(fx.short_circuit, None);
    assert_eq!(fx.faults.len(), 2);
    let abort = fx.faults.iter().find(|f| f.kind == "abort").unwrap();
    assert_eq!((abort.percent, abort.status), (25.0, Some(503)));
    assert_eq!(
        fx.faults
            .iter()
            .find(|f| f.kind == "delay")
            .unwrap()
            .delay_seconds,
        Some(2.0)
    );
    let facts: Vec<&str> = fx.route_facts.iter().map(|f| f.0.as_str()).collect();
    for want in [
        "retries",
        "request timeout",
        "circuit breaker",
        "response override",
    ] {
        assert!(facts.contains(&want), "{facts:?}");
    }
    let eg::PolicySpec::BackendTraffic(spec) = &ix.policies[0].spec else {
        panic!()
    };
    assert_eq!(
        eg::effects::override_response(spec, 503),
        Some((502, Some("oops".into())))
    );
    assert_eq!(eg::effects::override_response(spec, 404), None);

    let (_, all) = index(&btp("  faultInjection:\n    abort: {httpStatus: 418}\n"));
    assert_eq!(status(&all, &req("GET", "/", &[]), &ctx(1)), 418);
}

#[test]
fn precedence_conflicts_and_status() {
    let policy = |name: &str, target: &str, origin: &str| {
        format!("apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: SecurityPolicy\nmetadata: {{name: {name}, namespace: default}}\nspec:\n  targetRefs: [{target}]\n  cors: {{allowOrigins: [\"{origin}\"]}}\n---\n")
    };
    let text = [
        policy(
            "gw",
            "{group: gateway.networking.k8s.io, kind: Gateway, name: gw}",
            "https://gw",
        ),
        policy(
            "route",
            "{group: gateway.networking.k8s.io, kind: HTTPRoute, name: app}",
            "https://route",
        ),
        policy(
            "rule",
            "{group: gateway.networking.k8s.io, kind: HTTPRoute, name: app, sectionName: api}",
            "https://rule",
        ),
        policy(
            "route-2",
            "{group: gateway.networking.k8s.io, kind: HTTPRoute, name: app}",
            "https://route2",
        ),
        policy(
            "missing",
            "{group: gateway.networking.k8s.io, kind: HTTPRoute, name: nope}",
            "https://x",
        ),
        policy(
            "bad-rule",
            "{group: gateway.networking.k8s.io, kind: HTTPRoute, name: app, sectionName: nope}",
            "https://x",
        ),
    ]
    .concat();
    let (_, ix) = index(&text);
    let allowed = |rule: usize, origin: &str| {
        let r = req("GET", "/", &[("origin", origin)]);
        get(
            &eg::effects(&ix, &r, &ctx(rule)).response_headers,
            "access-control-allow-origin",
        )
        .is_some()
    };
    assert!(
        allowed(0, "https://rule"),
        "rule-level policy governs rule 0"
    );
    assert!(!allowed(0, "https://route"));
    assert!(
        allowed(1, "https://route"),
        "route-level policy governs rule 1"
    );
    assert!(!allowed(1, "https://gw"));
    let mut other = ctx(1);
    other.route = "other".into();
    let r = req("GET", "/", &[("origin", "https://gw")]);
    assert_eq!(
        get(
            &eg::effects(&ix, &r, &other).response_headers,
            "access-control-allow-origin"
        ),
        Some("https://gw"),
        "other routes get the Gateway policy"
    );

    let cond = |name: &str| -> Vec<(String, String, String)> {
        let s = ix.statuses.iter().find(|s| &*s.name == name).unwrap();
        s.status["ancestors"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|a| a["conditions"].as_array().unwrap().clone())
            .map(|c| {
                (
                    c["type"].as_str().unwrap().into(),
                    c["status"].as_str().unwrap().into(),
                    c["reason"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    let t = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
    assert!(cond("gw").contains(&t("Overridden", "True", "Overridden")));
    assert!(cond("route").contains(&t("Accepted", "True", "Accepted")));
    assert!(cond("route").contains(&t("Overridden", "True", "Overridden")));
    assert_eq!(cond("rule"), vec![t("Accepted", "True", "Accepted")]);
    assert_eq!(cond("route-2"), vec![t("Accepted", "False", "Conflicted")]);
    assert!(
        cond("missing").is_empty(),
        "a missing target is skipped silently"
    );
    assert_eq!(
        cond("bad-rule"),
        vec![t("Accepted", "False", "TargetNotFound")]
    );
    // Ancestor refs are the route's Gateway parents.
    let route = ix.statuses.iter().find(|s| &*s.name == "route").unwrap();
    let a = &route.status["ancestors"][0];
    assert_eq!(a["ancestorRef"]["name"], "gw");
    assert_eq!(
        a["controllerName"],
        "gateway.envoyproxy.io/gatewayclass-controller"
    );
    // Located diagnostics for each problem.
    for code in [
        "policy-target-not-found",
        "policy-conflicted",
        "policy-overridden",
    ] {
        let d = ix
            .diagnostics
            .iter()
            .find(|d| d.code == code)
            .unwrap_or_else(|| panic!("{code}"));
        assert!(d.location.is_some(), "{code}");
    }
    let nf = ix
        .diagnostics
        .iter()
        .find(|d| d.code == "policy-target-not-found" && d.message.contains("nope"))
        .unwrap();
    assert!(nf.location.as_ref().unwrap().line > 40);
}

#[test]
fn merge_type_merges_into_the_gateway_policy() {
    let text = "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: SecurityPolicy\nmetadata: {name: parent, namespace: default}\nspec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]\n  cors: {allowOrigins: [\"https://gw\"]}\n---\n"
        .to_string()
        + &sp("  mergeType: StrategicMerge\n  authorization: {defaultAction: Deny}\n");
    let (_, ix) = index(&text);
    let fx = eg::effects(&ix, &req("GET", "/", &[("origin", "https://gw")]), &ctx(1));
    assert_eq!(
        fx.short_circuit.as_ref().map(|s| s.status),
        Some(403),
        "the child's authorization applies"
    );
    let pre = req(
        "OPTIONS",
        "/",
        &[
            ("origin", "https://gw"),
            ("access-control-request-method", "GET"),
        ],
    );
    assert_eq!(
        status(&ix, &pre, &ctx(1)),
        200,
        "the parent's CORS applies too"
    );
    let merged = |name: &str| {
        ix.statuses
            .iter()
            .find(|s| &*s.name == name)
            .unwrap()
            .status
            .to_string()
            .contains("\"Merged\"")
    };
    assert!(merged("parent") && merged("sp"));
}

fn ctp(spec: &str) -> String {
    format!("apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: ClientTrafficPolicy\nmetadata: {{name: ctp, namespace: default}}\nspec:\n  targetRefs: [{{group: gateway.networking.k8s.io, kind: Gateway, name: gw, sectionName: http}}]\n{spec}")
}

#[test]
fn client_traffic_defaults_and_settings() {
    let (_, none) = index("");
    let view = |ix: &PolicyIndex, r: &Request| {
        client::client_view(ix, "default", "gw", "http", r, Some("203.0.113.9"))
    };
    // (path, headers, reply status, path the router sees)
    let rows: [(&str, &[(&str, &str)], Option<u16>, &str); 5] = [
        ("/a//b/../c", &[], None, "/a/c"),
        ("/a?x=1", &[("x_user", "1")], Some(400), "/a?x=1"),
        ("/a%2Fb", &[], Some(307), "/a%2Fb"),
        ("/./a/", &[], None, "/a/"),
        ("/a", &[("x-forwarded-for", "1.1.1.1")], None, "/a"),
    ];
    for (path, h, reply, seen) in rows {
        let v = view(&none, &req("GET", path, h));
        assert_eq!(v.reply.as_ref().map(|r| r.0), reply, "{path}");
        assert_eq!(v.request.path, seen, "{path}");
        assert_eq!(
            v.client_ip.as_deref(),
            Some("203.0.113.9"),
            "XFF is not trusted by default"
        );
    }
    assert_eq!(
        view(&none, &req("GET", "/a%2Fb", &[])).location.as_deref(),
        Some("/a/b")
    );

    let (_, ix) = index(&ctp("  headers: {withUnderscoresAction: DropHeader}\n  path: {disableMergeSlashes: true}\n  clientIPDetection: {xForwardedFor: {numTrustedHops: 1}}\n"));
    let v = view(
        &ix,
        &req(
            "GET",
            "/a//b",
            &[
                ("x_user", "1"),
                ("x-forwarded-for", "198.51.100.7, 10.0.0.1"),
            ],
        ),
    );
    assert_eq!(v.reply, None);
    assert!(v.request.headers.iter().all(|(k, _)| k != "x_user"));
    assert_eq!(v.request.path, "/a//b");
    assert_eq!(v.client_ip.as_deref(), Some("10.0.0.1"));
    assert_eq!(v.policy.as_deref(), Some("default/ctp"));
    // The other listener is not covered by a section-scoped policy.
    let other = client::client_view(
        &ix,
        "default",
        "gw",
        "web",
        &req("GET", "/", &[("x_user", "1")]),
        None,
    );
    assert_eq!(other.reply.map(|r| r.0), Some(400));
}

#[test]
fn client_traffic_policy_on_a_shared_port_is_invalid() {
    let gw2 = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw2, namespace: default}\nspec:\n  gatewayClassName: eg\n  listeners:\n  - {name: a, protocol: HTTP, port: 80}\n  - {name: b, protocol: HTTP, port: 80, hostname: b.example.com}\n---\n";
    let p = "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: ClientTrafficPolicy\nmetadata: {name: c, namespace: default}\nspec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw2, sectionName: a}]\n";
    let (_, ix) = index(&format!("{gw2}{p}"));
    assert!(ix.statuses[0].status.to_string().contains("\"Invalid\""));
    assert!(ix.diagnostics.iter().any(|d| d.code == "policy-invalid"));
}

#[test]
fn http_route_filter() {
    let f = "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: HTTPRouteFilter\nmetadata: {name: f, namespace: default}\nspec:\n  directResponse: {body: {type: Inline, inline: hi}}\n  urlRewrite:\n    path:\n      type: ReplaceRegexMatch\n      replaceRegexMatch: {pattern: '^/service/([^/]+)(/.*)$', substitution: '\\2/instance/\\1'}\n";
    let (_, ix) = index(f);
    let spec = ix.filter("default", "f").unwrap();
    assert_eq!(filter::direct_response(spec).unwrap().status, 200);
    assert_eq!(
        filter::direct_response(spec).unwrap().body.as_deref(),
        Some("hi")
    );
    assert_eq!(
        filter::rewrite_path(spec, "/service/foo/v1/api?x=1").as_deref(),
        Some("/v1/api/instance/foo?x=1")
    );
    let bad = "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: HTTPRouteFilter\nmetadata: {name: g, namespace: default}\nspec:\n  urlRewrite:\n    path:\n      type: ReplaceRegexMatch\n      replaceRegexMatch: {pattern: '(', substitution: x}\n";
    let (_, ix) = index(bad);
    assert!(
        ix.diagnostics
            .iter()
            .any(|d| d.code == "policy-invalid" && d.location.as_ref().unwrap().line == 40),
        "{:?}",
        ix.diagnostics
    );
}

#[test]
fn backends_are_validated() {
    let b = |name: &str, eps: &str| {
        format!("apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: Backend\nmetadata: {{name: {name}, namespace: default}}\nspec:\n  endpoints: {eps}\n---\n")
    };
    let text = [
        b("ip", "[{ip: {address: 10.0.0.1, port: 80}}]"),
        b("fqdn", "[{fqdn: {hostname: api.example.com, port: 443}}]"),
        b(
            "mixed",
            "[{ip: {address: 10.0.0.1, port: 80}}, {fqdn: {hostname: a.example.com, port: 80}}]",
        ),
        b("short", "[{fqdn: {hostname: localhost, port: 80}}]"),
    ]
    .concat();
    // The CRD refuses the mixed one before Envoy Gateway sees it.
    let (m, ix) = index(&text);
    let r = refusals(&m);
    assert!(
        r.len() == 1
            && r[0].starts_with("The Backend \"mixed\" is invalid: spec.endpoints: ")
            && r[0].ends_with("fqdn addresses cannot be mixed with other address types"),
        "{r:?}"
    );
    assert!(!ix.backends.iter().any(|(k, _, _)| k == "default/mixed"));
    // Without the API server, Envoy Gateway's own checks reject it.
    let (_, ix) = index_unvalidated(&text);
    let ok: Vec<(&str, bool)> = ix
        .backends
        .iter()
        .map(|(k, _, v)| (k.as_str(), v.is_ok()))
        .collect();
    // In age order: created together, so by namespace/name.
    assert_eq!(
        ok,
        vec![
            ("default/fqdn", true),
            ("default/ip", true),
            ("default/mixed", false),
            ("default/short", false)
        ]
    );
    assert_eq!(
        ix.diagnostics
            .iter()
            .filter(|d| d.code == "backend-invalid")
            .count(),
        2
    );
}

#[test]
fn merge_gateways_flag() {
    let m = model("apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyProxy\nmetadata: {name: ep, namespace: default}\nspec: {mergeGateways: true}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: merged}\nspec:\n  controllerName: gateway.envoyproxy.io/gatewayclass-controller\n  parametersRef: {group: gateway.envoyproxy.io, kind: EnvoyProxy, name: ep, namespace: default}\n");
    assert!(eg::merge_gateways_enabled(&m, "merged"));
    assert!(!eg::merge_gateways_enabled(&m, "eg"));
    assert!(!eg::merge_gateways_enabled(&m, "absent"));
}

#[test]
fn malformed_policy_fields_are_located() {
    let text = btp(
        "  rateLimit:\n    local:\n      rules:\n      - limit: {requests: many, unit: Second}\n",
    );
    let (m, ix) = index(&text);
    let r = refusals(&m);
    assert!(
        r.len() == 1
            && r[0].contains(
                "spec.rateLimit.local.rules[0].limit.requests: Invalid value: \"string\""
            ),
        "{r:?}"
    );
    assert!(ix.statuses.is_empty(), "a refused policy has no status");
    // Read as written, the policy decodes with a located error.
    let (_, ix) = index_unvalidated(&text);
    let d = ix
        .diagnostics
        .iter()
        .find(|d| d.code == "policy-invalid")
        .unwrap();
    assert!(
        d.message
            .contains("/spec/rateLimit/local/rules/0/limit/requests"),
        "{}",
        d.message
    );
    assert_eq!(d.location.as_ref().unwrap().line, 41, "{}", d.render());
}

const LISTENER_SETS: &str = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: eg}
spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  gatewayClassName: eg
  allowedListeners: {namespaces: {from: Same}}
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: ls, namespace: default}
spec:
  parentRef: {name: gw}
  listeners:
  - {name: ext-a, protocol: HTTP, port: 8081, hostname: a.example.com}
  - {name: ext-b, protocol: HTTP, port: 8081, hostname: b.example.com}
---
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: far, namespace: other}
spec:
  parentRef: {name: gw, namespace: default}
  listeners: [{name: x, protocol: HTTP, port: 9000}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: app, namespace: default}
spec:
  parentRefs: [{kind: ListenerSet, name: ls}]
  rules: [{backendRefs: [{name: svc, port: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: svc, namespace: default}
spec: {ports: [{port: 80}]}
"#;

fn conditions(ix: &PolicyIndex, name: &str) -> Vec<(String, String, String, String)> {
    let s = &ix
        .statuses
        .iter()
        .find(|s| &*s.name == name)
        .unwrap()
        .status;
    let mut out = Vec::new();
    for a in s["ancestors"].as_array().unwrap() {
        let r = &a["ancestorRef"];
        let at = format!(
            "{}/{}/{}",
            r["kind"].as_str().unwrap(),
            r["name"].as_str().unwrap(),
            r["sectionName"].as_str().unwrap_or("")
        );
        for c in a["conditions"].as_array().unwrap() {
            out.push((
                at.clone(),
                c["type"].as_str().unwrap().to_string(),
                c["status"].as_str().unwrap().to_string(),
                c["reason"].as_str().unwrap().to_string(),
            ));
        }
    }
    out
}

fn has(ix: &PolicyIndex, name: &str, at: &str, reason: &str) -> bool {
    conditions(ix, name)
        .iter()
        .any(|c| c.0 == at && c.3 == reason)
}

#[test]
fn listener_sets_are_policy_targets() {
    let policy = |name: &str, ns: &str, target: &str, origin: &str| {
        format!("apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: SecurityPolicy\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  targetRefs: [{target}]\n  cors: {{allowOrigins: [\"{origin}\"]}}\n---\n")
    };
    let ls = "group: gateway.networking.k8s.io, kind: ListenerSet";
    let text = [
        LISTENER_SETS.to_string(),
        "---\n".into(),
        policy(
            "gw",
            "default",
            "{group: gateway.networking.k8s.io, kind: Gateway, name: gw}",
            "https://gw",
        ),
        policy(
            "set",
            "default",
            &format!("{{{ls}, name: ls}}"),
            "https://ls",
        ),
        policy(
            "set-a",
            "default",
            &format!("{{{ls}, name: ls, sectionName: ext-a}}"),
            "https://ls-a",
        ),
        policy(
            "set-2",
            "default",
            &format!("{{{ls}, name: ls}}"),
            "https://x",
        ),
        policy(
            "set-nope",
            "default",
            &format!("{{{ls}, name: ls, sectionName: nope}}"),
            "https://x",
        ),
        policy("far", "other", &format!("{{{ls}, name: far}}"), "https://x"),
    ]
    .concat();
    let m = load(
        vec![SourceFile::new("m.yaml", text)],
        &LoadOptions::default(),
    );
    let ix = PolicyIndex::from_model(&m);
    assert!(has(&ix, "set-a", "ListenerSet/ls/ext-a", "Accepted"));
    assert!(
        has(&ix, "set", "ListenerSet/ls/", "Overridden"),
        "{:?}",
        conditions(&ix, "set")
    );
    assert!(
        has(&ix, "gw", "Gateway/gw/", "Overridden"),
        "ListenerSet policies displace the Gateway's"
    );
    assert!(has(&ix, "set-2", "ListenerSet/ls/", "Conflicted"));
    assert!(has(
        &ix,
        "set-nope",
        "ListenerSet/ls/nope",
        "TargetNotFound"
    ));
    assert!(
        conditions(&ix, "far").is_empty(),
        "a ListenerSet its Gateway does not admit is no target"
    );

    let on = |listener: &str, origin: &str| {
        let mut c = ctx(0);
        c.listener = listener.into();
        let r = req("GET", "/", &[("origin", origin)]);
        get(
            &eg::effects(&ix, &r, &c).response_headers,
            "access-control-allow-origin",
        )
        .is_some()
    };
    assert!(
        on("ext-a", "https://ls-a") && !on("ext-a", "https://ls"),
        "the listener's policy wins"
    );
    assert!(
        on("ext-b", "https://ls") && !on("ext-b", "https://gw"),
        "then the ListenerSet's"
    );
}

#[test]
fn client_traffic_policy_on_listener_sets() {
    let ctp = |name: &str, target: &str| {
        format!("apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: ClientTrafficPolicy\nmetadata: {{name: {name}, namespace: default}}\nspec:\n  targetRefs: [{target}]\n  tcpKeepalive: {{probes: 3}}\n---\n")
    };
    let ls = "group: gateway.networking.k8s.io, kind: ListenerSet";
    let build = |policies: &[String]| {
        let text = format!("{LISTENER_SETS}---\n{}", policies.concat());
        let m = load(
            vec![SourceFile::new("m.yaml", text)],
            &LoadOptions::default(),
        );
        PolicyIndex::from_model(&m)
    };
    // ext-a and ext-b share port 8081, so one of them alone cannot be configured.
    let ix = build(&[ctp(
        "set-a",
        &format!("{{{ls}, name: ls, sectionName: ext-a}}"),
    )]);
    assert!(
        has(&ix, "set-a", "ListenerSet/ls/ext-a", "Invalid"),
        "{:?}",
        conditions(&ix, "set-a")
    );
    assert!(client::policy_for(&ix, "default", "gw", "ext-a").is_none());
    // The ListenerSet's policy goes before the Gateway's, which keeps the other listeners.
    let ix = build(&[
        ctp(
            "gw",
            "{group: gateway.networking.k8s.io, kind: Gateway, name: gw}",
        ),
        ctp("set", &format!("{{{ls}, name: ls}}")),
    ]);
    assert!(
        has(&ix, "set", "ListenerSet/ls/", "Accepted"),
        "{:?}",
        conditions(&ix, "set")
    );
    assert!(
        has(&ix, "gw", "Gateway/gw/", "Overridden"),
        "{:?}",
        conditions(&ix, "gw")
    );
    assert!(client::policy_for(&ix, "default", "gw", "ext-b").is_some_and(|(p, _)| p.name == "set"));
    assert!(client::policy_for(&ix, "default", "gw", "http").is_some_and(|(p, _)| p.name == "gw"));
}

/// Line of the first `policy-invalid` diagnostic whose message contains `needle`, and the
/// policy's `Accepted` reason.
fn invalid_at(ix: &PolicyIndex, name: &str, needle: &str) -> (usize, String) {
    let d = ix
        .diagnostics
        .iter()
        .find(|d| d.code == "policy-invalid" && d.message.contains(needle))
        .unwrap_or_else(|| panic!("no diagnostic with `{needle}`: {:?}", ix.diagnostics));
    let st = &ix
        .statuses
        .iter()
        .find(|s| &*s.name == name)
        .unwrap()
        .status;
    let reason = st["ancestors"][0]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Accepted")
        .unwrap()["reason"]
        .as_str()
        .unwrap()
        .to_string();
    (d.location.as_ref().unwrap().line, reason)
}

/// 1-based line of the first line of `extra` (appended to BASE) containing `marker`.
fn line_of(extra: &str, marker: &str) -> usize {
    let full = format!("{BASE}---\n{extra}");
    full.lines().position(|l| l.contains(marker)).expect(marker) + 1
}

#[test]
fn translator_checks_make_policies_invalid_at_the_field() {
    // (policy, name, message part, text on the line the diagnostic points at, the field the CRD
    // already refuses or does not have): there, Envoy Gateway's own check is what only input
    // that bypassed the API server meets.
    let cases: [(String, &str, &str, &str, Option<&str>); 8] = [
        (btp("  connection:\n    bufferLimit: 1000G\n"), "btp", "out of range", "1000G", None),
        (btp("  timeout:\n    tcp:\n      connectTimeout: 20kib\n"), "btp", "invalid duration", "20kib", Some("spec.timeout.tcp.connectTimeout: Invalid value: \"20kib\"")),
        (btp("  loadBalancer:\n    type: ConsistentHash\n    consistentHash: {type: SourceIP, tableSize: 1024}\n"), "btp", "prime", "1024", None),
        (ctp("  headers:\n    maxRequestHeaderLimit: \"512\"\n"), "ctp", "maxRequestHeaderLimit", "512", Some("unknown field \"spec.headers.maxRequestHeaderLimit\"")),
        (ctp("  headers:\n    earlyRequestHeaders:\n      add: [{name: \"a/b\", value: x}]\n"), "ctp", "not a valid HTTP header name", "a/b", Some("spec.headers.earlyRequestHeaders.add[0].name: Invalid value: \"a/b\"")),
        (ctp("  tls:\n    ciphers: [ECDHE-RSA-AES128-GCM-SHA256, NOPE]\n"), "ctp", "unsupported cipher suite NOPE", "NOPE", None),
        (ctp("  tls:\n    clientValidation:\n      caCertificateRefs: [{kind: ConfigMap, name: nowhere}]\n"), "ctp", "ConfigMap default/nowhere does not exist", "nowhere", None),
        (ctp("  tls:\n    clientValidation: {mode: VerifyIfGiven}\n"), "ctp", "no CA certificate", "VerifyIfGiven", None),
    ];
    for (text, name, needle, marker, refused) in cases {
        let (m, ix) = index(&text);
        let r = refusals(&m);
        let ix = match refused {
            None => {
                assert!(r.is_empty(), "{r:?}");
                ix
            }
            // The v1.9 CRD has no such field: the API server drops it with a warning.
            Some(pruned) if pruned.starts_with("unknown field") => {
                assert!(r.is_empty(), "{r:?}");
                assert!(
                    m.diagnostics
                        .iter()
                        .any(|d| d.code == "unknown-field" && d.message.contains(pruned)),
                    "{pruned}: {:?}",
                    m.diagnostics
                );
                index_unvalidated(&text).1
            }
            Some(field) => {
                assert!(r.len() == 1 && r[0].contains(field), "{field}: {r:?}");
                index_unvalidated(&text).1
            }
        };
        let (at, reason) = invalid_at(&ix, name, needle);
        assert_eq!(
            (at, reason.as_str()),
            (line_of(&text, marker), "Invalid"),
            "{needle}\n{text}"
        );
    }
}

#[test]
fn extension_policy_checks() {
    let eep = |spec: &str| {
        format!("apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyExtensionPolicy\nmetadata: {{name: eep, namespace: default}}\nspec:\n  targetRefs: [{{group: gateway.networking.k8s.io, kind: HTTPRoute, name: app}}]\n{spec}")
    };
    let lua = eep("  lua:\n  - type: Inline\n    inline: \"function envoy_on_response(r) r:UnknownApi() end\"\n");
    let (_, ix) = index(&lua);
    assert_eq!(
        invalid_at(&ix, "eep", "UnknownApi"),
        (line_of(&lua, "UnknownApi"), "Invalid".into())
    );
    assert_eq!(
        status(&ix, &req("GET", "/", &[]), &ctx(0)),
        500,
        "Lua errors always answer 500"
    );
    let (_, ix) = index(&eep("  lua:\n  - type: Inline\n    inline: \"function envoy_on_request(r) r:logInfo('hi') end\"\n"));
    assert!(
        ix.diagnostics.iter().all(|d| d.code != "policy-invalid"),
        "{:?}",
        ix.diagnostics
    );
    let wasm = eep("  wasm:\n  - name: w\n    failOpen: true\n    code:\n      type: Image\n      image: {url: oci://example.com/w:v1, pullSecretRef: {name: pull}}\n");
    let (_, ix) = index(&wasm);
    assert_eq!(
        invalid_at(&ix, "eep", "Secret default/pull does not exist"),
        (line_of(&wasm, "pullSecretRef"), "Invalid".into())
    );
    // A failOpen Wasm that cannot load lets requests through; a fail-closed one answers 500.
    assert_eq!(status(&ix, &req("GET", "/", &[]), &ctx(0)), 0);
    let (_, ix) = index(&wasm.replace("failOpen: true", "failOpen: false"));
    assert_eq!(status(&ix, &req("GET", "/", &[]), &ctx(0)), 500);
}

#[test]
fn warnings_share_one_condition() {
    let text = "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: ClientTrafficPolicy\nmetadata: {name: ctp, namespace: default}\nspec:\n  targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: gw}\n  tls:\n    clientValidation:\n      optional: true\n      caCertificateRefs: [{kind: ConfigMap, name: ca}]\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ca, namespace: default}\ndata: {ca.crt: x}\n";
    let (_, ix) = index(text);
    let st = &ix.statuses[0].status;
    let w: Vec<&serde_json::Value> = st["ancestors"][0]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "Warning")
        .collect();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0]["reason"], "DeprecatedField");
    let msg = w[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("targetRef") && msg.contains("optional"),
        "{msg}"
    );
}

fn accepted_reason(ix: &PolicyIndex, name: &str) -> String {
    let st = &ix
        .statuses
        .iter()
        .find(|s| &*s.name == name)
        .unwrap()
        .status;
    st["ancestors"][0]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Accepted")
        .map(|c| c["reason"].as_str().unwrap().to_string())
        .unwrap_or_default()
}

#[test]
fn http10_default_host_needs_one_hostname() {
    // Route `app` has no hostnames, so the listener has no single host to default to.
    let (_, ix) = index(&ctp("  http1:\n    http10: {useDefaultHost: true}\n"));
    assert_eq!(accepted_reason(&ix, "ctp"), "Invalid");
    let (_, ix) = index(&ctp("  http1:\n    http10: {}\n"));
    assert_eq!(accepted_reason(&ix, "ctp"), "Accepted");
}

#[test]
fn geoip_authorization_needs_client_ip_detection() {
    let geo = sp("  authorization:\n    defaultAction: Deny\n    rules:\n    - action: Allow\n      principal:\n        clientIPGeoLocations: [{country: US}]\n");
    let (_, ix) = index(&geo);
    assert_eq!(accepted_reason(&ix, "sp"), "Invalid");
    assert_eq!(status(&ix, &req("GET", "/", &[]), &ctx(0)), 500);
    let detect = "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: ClientTrafficPolicy\nmetadata: {name: ip, namespace: default}\nspec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]\n  clientIPDetection: {xForwardedFor: {numTrustedHops: 1}}\n---\n";
    let (_, ix) = index(&format!("{detect}{geo}"));
    assert_eq!(accepted_reason(&ix, "sp"), "Accepted");
}

#[test]
fn extension_backend_needs_its_backend_tls_ca() {
    let text = "apiVersion: gateway.networking.k8s.io/v1\nkind: BackendTLSPolicy\nmetadata: {name: btls, namespace: default}\nspec:\n  targetRefs: [{group: \"\", kind: Service, name: svc}]\n  validation: {hostname: svc, caCertificateRefs: [{group: \"\", kind: ConfigMap, name: missing-ca}]}\n---\napiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyExtensionPolicy\nmetadata: {name: eep, namespace: default}\nspec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: app}]\n  extProc:\n  - backendRefs: [{name: svc, port: 80}]\n";
    let (_, ix) = index(text);
    let (line, reason) = invalid_at(&ix, "eep", "missing-ca");
    assert_eq!(
        (line, reason.as_str()),
        (line_of(text, "- backendRefs: [{name: svc"), "Invalid")
    );
    let fixed = format!("{text}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: missing-ca, namespace: default}}\ndata: {{ca.crt: x}}\n");
    let (_, ix) = index(&fixed);
    assert_eq!(accepted_reason(&ix, "eep"), "Accepted");
}

#[test]
fn merge_backends_is_an_object() {
    let proxy = |spec: &str| {
        format!("apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyProxy\nmetadata: {{name: ep, namespace: default}}\nspec: {spec}\n")
    };
    let (_, ix) = index(&proxy(
        "{mergeBackends: {selector: {matchLabels: {dedup: \"on\"}}}}",
    ));
    assert!(ix.diagnostics.is_empty(), "{:?}", ix.diagnostics);
    let (_, ix) = index(&proxy("{mergeBackends: {}}"));
    assert!(ix.diagnostics.is_empty(), "{:?}", ix.diagnostics);
    let (m, _) = index(&proxy("{mergeBackends: true}"));
    let r = refusals(&m);
    assert!(
        r.len() == 1 && r[0].contains("spec.mergeBackends: Invalid value: \"boolean\""),
        "{r:?}"
    );
    let (_, ix) = index_unvalidated(&proxy("{mergeBackends: true}"));
    assert!(
        ix.diagnostics
            .iter()
            .any(|d| d.message.contains("/spec/mergeBackends")),
        "{:?}",
        ix.diagnostics
    );
}

/// The routing table says what routing answers: a rule governed by a policy that failed to
/// translate lists `500`, not its backends, and a request landing on it gets 500.
#[test]
fn table_rows_of_rules_under_an_invalid_policy_answer_500() {
    let secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: users, namespace: default}\nstringData:\n  .htpasswd: \"alice:$apr1$abc$def\"\n";
    let broken = "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: SecurityPolicy\nmetadata: {name: sp, namespace: default}\nspec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: app, sectionName: api}]\n  basicAuth:\n    users: {name: users}\n";
    let a = gwlab::analyze(
        &[gwlab::Input::new(
            "m.yaml",
            format!("{BASE}---\n{secret}---\n{broken}"),
        )],
        &gwlab::Options::default(),
    );
    let rows = a.routing_table();
    assert!(!rows.is_empty());
    for row in &rows {
        let want_500 = row.rule == 0;
        assert_eq!(row.action == "500", want_500, "{row:?}");
        assert_eq!(
            matches!(row.outcome, gwlab::route::RowAction::Direct { status: 500 }),
            want_500,
            "{row:?}"
        );
    }
    let answer = |path: &str| {
        a.route(&gwlab::parse_request(&format!("GET http://example.com{path}")).expect("request"))
            .status
    };
    assert_eq!(answer("/api"), 500);
    assert_ne!(answer("/web"), 500);
}
