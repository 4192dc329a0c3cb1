//! The API server's validation against the shipped CRD tables: what `kubectl apply` would refuse
//! is one located `api-rejected` error per refused field with the API server's message, the
//! refused object is left out of the model, CRD defaults reach the model, and unknown fields are
//! pruned with a warning. The Gateway API project's own kinds of invalid objects are the cases.

use gwlab::model::{load, Body, LoadOptions};
use gwlab::source::SourceFile;

fn load_one(text: &str) -> gwlab::model::Model {
    load(
        vec![SourceFile::new("m.yaml", text)],
        &LoadOptions {
            api_server: true,
            ..LoadOptions::default()
        },
    )
}

/// The `api-rejected` messages of `text`, with their line.
fn rejected(text: &str) -> Vec<(usize, String)> {
    let m = load_one(text);
    m.diagnostics
        .iter()
        .filter(|d| d.code == "api-rejected")
        .map(|d| (d.location.as_ref().map_or(0, |l| l.line), d.message.clone()))
        .collect()
}

const GW: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  gatewayClassName: eg\n  listeners:\n";
const ROUTE: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec:\n  parentRefs: [{name: gw}]\n  rules:\n";

#[test]
fn a_valid_gateway_and_route_are_accepted() {
    let text = format!("{GW}  - {{name: http, port: 80, protocol: HTTP}}\n---\n{ROUTE}  - matches: [{{path: {{type: PathPrefix, value: /a}}}}]\n    backendRefs: [{{name: svc, port: 80}}]\n");
    let m = load_one(&text);
    // Nothing but the notes on the defaults the API server filled in (the listener's
    // allowedRoutes, the backendRef's weight).
    assert!(
        m.diagnostics.iter().all(|d| d.code == "api-defaulted"),
        "{:?}",
        m.diagnostics
    );
    assert_eq!(m.objects.len(), 2);
}

#[test]
fn duplicate_listener_names_are_refused() {
    let r = rejected(&format!("{GW}  - {{name: http, port: 80, protocol: HTTP}}\n  - {{name: http, port: 81, protocol: HTTP}}\n"));
    assert!(r.iter().any(|(line, m)| *line == 8 && m == "The Gateway \"gw\" is invalid: spec.listeners[1]: Duplicate value: {\"name\":\"http\"}"), "{r:?}");
}

#[test]
fn weights_ports_and_paths_out_of_their_crd_ranges_are_refused() {
    let r = rejected(&format!(
        "{ROUTE}  - backendRefs: [{{name: svc, port: 80, weight: 1000001}}]\n"
    ));
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0].1, "The HTTPRoute \"r\" is invalid: spec.rules[0].backendRefs[0].weight: Invalid value: 1000001: spec.rules[0].backendRefs[0].weight in body should be less than or equal to 1000000");
    let r = rejected(&format!(
        "{ROUTE}  - backendRefs: [{{name: svc, port: -1}}]\n"
    ));
    assert!(r[0].1.ends_with("port: Invalid value: -1: spec.rules[0].backendRefs[0].port in body should be greater than or equal to 1"), "{r:?}");
    let r = rejected(&format!(
        "{ROUTE}  - matches: [{{path: {{type: PathPrefix, value: api}}}}]\n"
    ));
    assert!(r.iter().any(|(line, m)| *line == 7 && m.contains("spec.rules[0].matches[0].path: Invalid value: value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']")), "{r:?}");
}

#[test]
fn cel_rules_refuse_what_the_crd_forbids() {
    let redirect_and_backends = format!("{ROUTE}  - filters: [{{type: RequestRedirect, requestRedirect: {{scheme: https}}}}]\n    backendRefs: [{{name: svc, port: 80}}]\n");
    let r = rejected(&redirect_and_backends);
    assert!(
        r.iter().any(|(_, m)| m
            .contains("RequestRedirect filter must not be used together with backendRefs")),
        "{r:?}"
    );
    let duplicate_headers = format!("{ROUTE}  - matches: [{{headers: [{{name: x-a, value: '1'}}, {{name: x-a, value: '2'}}]}}]\n");
    assert!(!rejected(&duplicate_headers).is_empty());
    let bad_header_name =
        format!("{ROUTE}  - matches: [{{headers: [{{name: 'x a', value: '1'}}]}}]\n");
    let r = rejected(&bad_header_name);
    assert!(
        r.iter().any(
            |(_, m)| m.contains("headers[0].name: Invalid value: \"x a\"")
                && m.contains("should match")
        ),
        "{r:?}"
    );
}

#[test]
fn required_fields_and_enums_come_from_the_crd() {
    let r = rejected("apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata: {name: g}\nspec:\n  to: [{group: '', kind: Service}]\n");
    assert!(
        r.iter()
            .any(|(_, m)| m == "The ReferenceGrant \"g\" is invalid: spec.from: Required value"),
        "{r:?}"
    );
    let enums = format!("{ROUTE}  - matches:\n    - path: {{type: Regex, value: /a}}\n      headers: [{{type: Prefix, name: x, value: v1}}]\n      method: get\n");
    let lines: Vec<usize> = rejected(&enums).iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, [8, 9, 10]);
    let r = rejected(&format!(
        "{GW}  - {{name: http, port: 80, protocol: HTTP, hostname: 'A.EXAMPLE.COM'}}\n"
    ));
    assert!(
        r.iter().any(
            |(_, m)| m.contains("spec.listeners[0].hostname: Invalid value: \"A.EXAMPLE.COM\"")
        ),
        "{r:?}"
    );
}

#[test]
fn an_unserved_version_is_refused() {
    let r = rejected("apiVersion: gateway.networking.k8s.io/v9\nkind: Gateway\nmetadata: {name: gw}\nspec: {gatewayClassName: eg, listeners: [{name: http, port: 80, protocol: HTTP}]}\n");
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(
        r[0].1.starts_with(
            "no matches for kind \"Gateway\" in version \"gateway.networking.k8s.io/v9\""
        ),
        "{r:?}"
    );
}

#[test]
fn defaults_reach_the_model_and_unknown_fields_are_pruned_with_a_warning() {
    let m = load_one(&format!(
        "{ROUTE}  - backendRefs: [{{name: svc, port: 80, wieght: 5}}]\n"
    ));
    let warnings: Vec<_> = m
        .diagnostics
        .iter()
        .map(|d| (d.code, d.location.as_ref().map_or(0, |l| l.line)))
        .collect();
    // The note sits at the first defaulted field's nearest written parent: the parentRef, whose
    // group and kind the API server fills in.
    assert_eq!(warnings, [("unknown-field", 7), ("api-defaulted", 5)]);
    assert!(
        m.diagnostics[0]
            .message
            .contains("unknown field \"spec.rules[0].backendRefs[0].wieght\""),
        "{}",
        m.diagnostics[0].message
    );
    let Body::HttpRoute(r) = &m.objects[0].body else {
        panic!()
    };
    let rule = &r.rules.as_ref().unwrap()[0];
    assert_eq!(
        rule.backend_refs[0].weight,
        Some(1),
        "the CRD default weight is what the controller reads"
    );
    assert_eq!(
        rule.matches.as_ref().map(Vec::len),
        Some(1),
        "a rule without matches gets the default PathPrefix / match"
    );
    assert!(
        m.objects[0]
            .origin
            .defaulted
            .iter()
            .any(|p| p == "/spec/rules/0/backendRefs/0/weight"),
        "{:?}",
        m.objects[0].origin.defaulted
    );
    // One note for the object names each defaulted field with its value.
    let note = &m.diagnostics[1];
    assert_eq!(
        (note.severity, note.object.as_deref()),
        (gwlab::Severity::Info, Some("HTTPRoute/default/r"))
    );
    assert!(
        note.message.starts_with("the API server fills in ")
            && note
                .message
                .contains("spec.rules[0].backendRefs[0].weight = 1")
            && note.message.contains(
                "spec.rules[0].matches = [{\"path\":{\"type\":\"PathPrefix\",\"value\":\"/\"}}]"
            ),
        "{}",
        note.message
    );
}

#[test]
fn a_long_list_of_defaults_is_one_short_note() {
    let listeners: String = (0..20)
        .map(|i| format!("  - {{name: l{i}, port: {}, protocol: HTTP}}\n", 8000 + i))
        .collect();
    let m = load_one(&format!("{GW}{listeners}"));
    let notes: Vec<_> = m
        .diagnostics
        .iter()
        .filter(|d| d.code == "api-defaulted")
        .collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    // Every listener's allowedRoutes; the defaulted status is not named (the controller writes it).
    let n = m.objects[0]
        .origin
        .defaulted
        .iter()
        .filter(|p| !p.starts_with("/status"))
        .count();
    assert_eq!(n, 20);
    assert!(
        notes[0]
            .message
            .contains(&format!("fills in {n} CRD defaults"))
            && notes[0].message.ends_with(&format!("and {} more", n - 6)),
        "{}",
        notes[0].message
    );
    assert!(notes[0].message.len() < 1000, "{}", notes[0].message);
}

/// Every CEL rule of the shipped tables parses and every pattern compiles, so no rule is silently
/// left unchecked; the per-kind counts are printed (`cargo test --test apiserver -- --nocapture`).
#[test]
fn every_rule_parses_and_every_pattern_compiles() {
    let coverage = gwlab::apiserver::coverage();
    assert!(
        coverage
            .iter()
            .any(|c| c.kind == "gateway.networking.k8s.io/v1/HTTPRoute" && c.rules > 50),
        "the Gateway API tables are missing"
    );
    let (mut rules, mut parsed, mut transition) = (0, 0, 0);
    for c in &coverage {
        println!(
            "{:<60} rules {:>4} parsed {:>4} transition {:>2} patterns {:>4} compiled {:>4}",
            c.kind, c.rules, c.rules_parsed, c.transition_rules, c.patterns, c.patterns_compiled
        );
        assert!(c.failures.is_empty(), "{}: {:#?}", c.kind, c.failures);
        rules += c.rules;
        parsed += c.rules_parsed;
        transition += c.transition_rules;
    }
    println!(
        "total: {rules} rules, {parsed} parsed, {transition} transition rules (skipped on create)"
    );
    assert_eq!(rules, parsed);
}

#[test]
fn a_reference_to_a_refused_object_says_it_is_refused_not_missing() {
    let text = format!("{GW}  - {{name: http, port: 80, protocol: HTTP}}\n  - {{name: http, port: 81, protocol: HTTP}}\n---\n{ROUTE}  - backendRefs: [{{name: svc, port: 80}}]\n");
    let a = gwlab::analyze_with(
        &[gwlab::Input::new("m.yaml", text)],
        &gwlab::Options::default(),
        &LoadOptions {
            api_server: true,
            ..LoadOptions::default()
        },
    );
    let parent = a
        .diagnostics
        .iter()
        .find(|d| d.code == "parent-not-found")
        .expect("the route's parent is not in the cluster");
    assert_eq!(parent.message, "parent Gateway `default/gw` is refused by the API server, so the cluster never stores it: fix its `api-rejected` errors");
    let svc = a
        .diagnostics
        .iter()
        .find(|d| d.code == "backend-not-found")
        .expect("the Service is missing");
    assert!(
        svc.message.contains("`default/svc` does not exist"),
        "{}",
        svc.message
    );
}
