//! Enum checks the CRDs' OpenAPI schemas make at admission: a value outside the enum never reaches
//! a controller, because the API server refuses the object. Envoy Gateway itself would answer
//! `UnsupportedValue`; the located `invalid-field` error tells the user why `kubectl apply` fails.

use super::{Body, HttpRouteMatch, ValueMatch};

const PATH_TYPES: &[&str] = &["Exact", "PathPrefix", "RegularExpression"];
const VALUE_TYPES: &[&str] = &["Exact", "RegularExpression"];
const METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

/// (JSON pointer, message) for every enum value the CRD would refuse.
pub fn check(body: &Body) -> Vec<(String, String)> {
    let mut out = Vec::new();
    match body {
        Body::HttpRoute(spec) => {
            for (r, rule) in spec.rules.iter().flatten().enumerate() {
                for (m, mt) in rule.matches.iter().flatten().enumerate() {
                    http_match(&format!("/spec/rules/{r}/matches/{m}"), mt, &mut out);
                }
            }
        }
        Body::GrpcRoute(spec) => {
            for (r, rule) in spec.rules.iter().enumerate() {
                for (m, mt) in rule.matches.iter().enumerate() {
                    let p = format!("/spec/rules/{r}/matches/{m}");
                    if let Some(t) = mt.method.as_ref().and_then(|x| x.type_.as_deref()) {
                        one_of(&format!("{p}/method/type"), t, VALUE_TYPES, &mut out);
                    }
                    values(&format!("{p}/headers"), &mt.headers, &mut out);
                }
            }
        }
        _ => {}
    }
    out
}

fn http_match(p: &str, m: &HttpRouteMatch, out: &mut Vec<(String, String)>) {
    if let Some(t) = m.path.as_ref().and_then(|x| x.type_.as_deref()) {
        one_of(&format!("{p}/path/type"), t, PATH_TYPES, out);
    }
    values(&format!("{p}/headers"), &m.headers, out);
    values(&format!("{p}/queryParams"), &m.query_params, out);
    if let Some(method) = &m.method {
        one_of(&format!("{p}/method"), method, METHODS, out);
    }
}

fn values(p: &str, list: &[ValueMatch], out: &mut Vec<(String, String)>) {
    for (i, v) in list.iter().enumerate() {
        if let Some(t) = v.type_.as_deref() {
            one_of(&format!("{p}/{i}/type"), t, VALUE_TYPES, out);
        }
    }
}

fn one_of(ptr: &str, value: &str, allowed: &[&str], out: &mut Vec<(String, String)>) {
    if !allowed.contains(&value) {
        out.push((
            ptr.to_string(),
            format!(
                "`{value}` is not one of {}: the API server refuses this object",
                allowed.join(", ")
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{load, LoadOptions};
    use crate::source::SourceFile;

    #[test]
    fn values_outside_the_crd_enums_are_located_errors() {
        let text = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec:\n  rules:\n  - matches:\n    - path: {type: Regex, value: /a}\n      headers: [{type: Prefix, name: x, value: v1}]\n      method: get\n    - path: {type: Exact, value: /b}\n      queryParams: [{type: RegularExpression, name: q, value: v}]\n";
        // Without an API server (the check gwlab makes itself when it does not validate).
        let m = load(
            vec![SourceFile::new("r.yaml", text)],
            &LoadOptions {
                api_server: false,
                ..LoadOptions::default()
            },
        );
        let lines: Vec<(usize, &str)> = m
            .diagnostics
            .iter()
            .map(|d| (d.location.as_ref().unwrap().line, d.code))
            .collect();
        assert_eq!(
            lines,
            vec![
                (7, "invalid-field"),
                (8, "invalid-field"),
                (9, "invalid-field")
            ]
        );
        assert_eq!(
            m.objects.len(),
            1,
            "the object is kept so the simulation still shows what it would do"
        );
        // The API server refuses the same three values, and the object with them.
        let m = load(
            vec![SourceFile::new("r.yaml", text)],
            &LoadOptions::default(),
        );
        let lines: Vec<(usize, &str)> = m
            .diagnostics
            .iter()
            .map(|d| (d.location.as_ref().unwrap().line, d.code))
            .collect();
        assert_eq!(
            lines,
            vec![
                (7, "api-rejected"),
                (8, "api-rejected"),
                (9, "api-rejected")
            ]
        );
        assert!(m.objects.is_empty());
    }
}
