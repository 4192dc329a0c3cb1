//! Bad and hostile input: every case ends in a located diagnostic or a correct answer, never a
//! panic or a hang. (Speed is measured by the benchmarks, not here.)

use gwlab::{analyze, Input, Options};

fn codes(text: &str) -> Vec<&'static str> {
    let a = analyze(&[Input::new("in.yaml", text)], &Options::default());
    a.diagnostics.iter().map(|d| d.code).collect()
}

/// The codes for `text` read as written, with no API server refusing it first: the decoder's own
/// defences.
fn codes_unvalidated(text: &str) -> Vec<&'static str> {
    let load = gwlab::model::LoadOptions {
        api_server: false,
        ..Default::default()
    };
    let a = gwlab::analyze_with(&[Input::new("in.yaml", text)], &Options::default(), &load);
    a.diagnostics.iter().map(|d| d.code).collect()
}

fn first_location(text: &str, code: &str) -> (usize, usize) {
    let a = analyze(&[Input::new("in.yaml", text)], &Options::default());
    let d = a
        .diagnostics
        .iter()
        .find(|d| d.code == code)
        .unwrap_or_else(|| panic!("no {code} in {:?}", a.diagnostics));
    let l = d.location.as_ref().expect("located");
    (l.line, l.column)
}

#[test]
fn malformed_yaml_is_located() {
    let text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n   bad: indent\n";
    let (line, _) = first_location(text, "yaml-syntax");
    assert_eq!(line, 5);
    // Unclosed flow collection, unterminated quote, tab indentation, stray document end.
    for t in [
        "a: [1, 2",
        "a: \"open",
        "a:\n\t- b",
        "...\n...\n]",
        "{",
        "- - - [",
        ": :",
        "&a *a",
    ] {
        let c = codes(t);
        assert!(
            !c.is_empty()
                && c.iter().all(|c| c.starts_with("yaml")
                    || *c == "not-an-object"
                    || *c == "invalid-field"),
            "{t:?} → {c:?}"
        );
    }
}

#[test]
fn wrong_types_point_at_the_field() {
    let text = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: g}\nspec:\n  gatewayClassName: eg\n  listeners:\n  - name: http\n    port: [80]\n    protocol: HTTP\n";
    // The API server refuses the type, at the field.
    assert_eq!(first_location(text, "api-rejected"), (8, 11));
    // Read as written, the decoder reports it at the same place.
    let load = gwlab::model::LoadOptions {
        api_server: false,
        ..Default::default()
    };
    let a = gwlab::analyze_with(&[Input::new("in.yaml", text)], &Options::default(), &load);
    let d = a.diagnostics.iter().find(|d| d.code == "invalid-field");
    let at = d
        .and_then(|d| d.location.as_ref())
        .map(|l| (l.line, l.column));
    assert_eq!(at, Some((8, 11)), "{:?}", a.diagnostics);
}

#[test]
fn missing_kind_and_name_are_errors() {
    assert!(codes("apiVersion: v1\nmetadata: {name: a}\n").contains(&"invalid-field"));
    // A nameless object is refused by the API server (`metadata.name: Required value`); read as
    // written, the decoder reports the missing name.
    assert!(codes("apiVersion: v1\nkind: Service\nmetadata: {}\n").contains(&"api-rejected"));
    let unvalidated = gwlab::model::LoadOptions {
        api_server: false,
        ..Default::default()
    };
    let a = gwlab::analyze_with(
        &[Input::new(
            "in.yaml",
            "apiVersion: v1\nkind: Service\nmetadata: {}\n",
        )],
        &Options::default(),
        &unvalidated,
    );
    assert!(
        a.diagnostics.iter().any(|d| d.code == "invalid-field"),
        "{:?}",
        a.diagnostics
    );
    assert!(codes("- just\n- a list\n").contains(&"not-an-object"));
    assert!(codes("42\n").contains(&"not-an-object"));
}

#[test]
fn duplicate_keys_are_reported_at_the_second_key() {
    let text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  name: b\nspec: {ports: [{port: 80}]}\n";
    assert_eq!(first_location(text, "yaml-duplicate-key"), (5, 3));
}

#[test]
fn alias_bombs_are_cut_off() {
    // "Billion laughs": 9 levels of 9 aliases = 9^9 nodes if expanded.
    let mut t = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        t.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    assert!(codes(&t).contains(&"yaml-limit"));
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    // The parser refuses deep flow collections itself ("recursion limit exceeded"), located.
    let refused = |c: Vec<&str>| c.contains(&"yaml-limit") || c.contains(&"yaml-syntax");
    let flow = format!("a: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    assert!(refused(codes(&flow)));
    let mut block = String::new();
    // Block style: 3,000 levels (10,000 would already exceed the input size limit).
    for i in 0..3_000 {
        block.push_str(&" ".repeat(i));
        block.push_str("k:\n");
    }
    assert!(refused(codes(&block)));
    let maps = format!("{}{}", "{a: ".repeat(10_000), "}".repeat(10_000));
    assert!(refused(codes(&maps)));
}

#[test]
fn ten_megabytes_of_manifests_load_completely() {
    let doc = "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-NNNNN\n  namespace: default\nspec:\n  selector: {app: web}\n  ports:\n  - {name: http, port: 80, targetPort: 8080}\n---\n";
    let n = 10 * 1024 * 1024 / doc.len() + 1;
    let mut text = String::with_capacity(n * doc.len());
    for i in 0..n {
        text.push_str(&doc.replace("NNNNN", &format!("{i:05}")));
    }
    assert!(text.len() >= 10 * 1024 * 1024);
    let a = analyze(&[Input::new("big.yaml", text)], &Options::default());
    assert!(a.diagnostics.iter().all(|d| d.code != "yaml-syntax"));
    assert_eq!(a.model.objects.len(), n);
}

#[test]
fn invalid_utf8_is_located_and_the_rest_is_kept() {
    let mut bytes =
        b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ok\n  annotations: {x: \"".to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe]);
    bytes.extend_from_slice(b"\"}\n");
    let (text, diag) = gwlab::source::decode_bytes("bad.yaml", &bytes);
    let d = diag.expect("diagnostic");
    assert_eq!(d.code, "invalid-utf8");
    assert_eq!(d.location.as_ref().unwrap().line, 5);
    let a = analyze(&[Input::new("bad.yaml", text)], &Options::default());
    assert_eq!(a.model.objects.len(), 1);
}

#[test]
fn integers_that_overflow_are_errors_not_wraps() {
    let text = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec:\n  rules:\n  - backendRefs:\n    - {name: a, port: 80, weight: 99999999999999999999999}\n";
    assert!(codes(text).contains(&"api-rejected"));
    assert!(codes_unvalidated(text).contains(&"invalid-field"));
    let text =
        "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 4294967296}]}\n";
    assert!(codes(text).contains(&"api-rejected"));
    assert!(codes_unvalidated(text).contains(&"invalid-field"));
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A small deterministic fuzz: mutate a valid manifest byte by byte.
    let base = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: x}\nspec:\n  parentRefs: [{name: gw, sectionName: http}]\n  hostnames: [\"a.example.com\"]\n  rules:\n  - matches: [{path: {type: PathPrefix, value: /a}}]\n    backendRefs: [{name: s, port: 80, weight: 3}]\n";
    let noise = [
        b'[', b']', b'{', b'}', b':', b'-', b'&', b'*', b'!', b'|', b'>', b'\'', b'"', b'\t',
        b'\n', b'#', b'%', b'@', b'`', 0u8,
    ];
    let bytes = base.as_bytes();
    let mut seed = 0x2545F4914F6CDD1Du64;
    for _ in 0..400 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut b = bytes.to_vec();
        let pos = (seed % b.len() as u64) as usize;
        b[pos] = noise[(seed >> 32) as usize % noise.len()];
        let (text, _) = gwlab::source::decode_bytes("f.yaml", &b);
        let _ = analyze(&[Input::new("f.yaml", text)], &Options::default());
    }
}
