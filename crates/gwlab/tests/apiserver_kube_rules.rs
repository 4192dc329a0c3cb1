//! Rules of the API server's validation that its own code (apiextensions-apiserver, kube-openapi
//! and the Kubernetes CEL libraries) showed gwlab, one case each: the expected refusals are what
//! the API server prints for the object (the line saying that some rules were not checked,
//! which names no field, left out). `gwlab-apioracle` checks the same against the live code.

use serde_json::{Map, Value};

/// The refusals `admit` gives for `object`, as `field: detail`, sorted.
fn refusals(object: &str) -> Vec<String> {
    let mut obj: Map<String, Value> = serde_json::from_str(object).expect("test objects are JSON");
    let api_version = obj
        .remove("apiVersion")
        .and_then(|v| v.as_str().map(str::to_string));
    let kind = obj
        .remove("kind")
        .and_then(|v| v.as_str().map(str::to_string));
    let (api_version, kind) = (api_version.unwrap_or_default(), kind.unwrap_or_default());
    let admission = gwlab::apiserver::admit(&api_version, &kind, true, "default", &mut obj);
    let mut out: Vec<String> = admission
        .refusals
        .iter()
        .map(|r| format!("{}: {}", r.field, r.detail))
        .collect();
    out.sort();
    out
}

fn check(object: &str, expected: &[&str]) {
    let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(refusals(object), want, "{object}");
}

/// A CEL rule reading an absent field raises `no such key`, which refuses the object.
#[test]
fn cel_no_such_key() {
    check(
        r#"{"apiVersion":"gateway.envoyproxy.io/v1alpha1","kind":"SecurityPolicy","metadata":{"name":"p"},"spec":{"targetRefs":[{"group":"gateway.networking.k8s.io","kind":"HTTPRoute","name":"r"}],"extAuth":{"http":{}}}}"#,
        &[
            "spec.extAuth.http: Invalid value: \"object\": no such key: backendRefs evaluating rule: backendRef or backendRefs needs to be set",
        ],
    );
}

/// `duration()` of a string that is not one is CEL's type conversion error (a pattern error does not block rules).
#[test]
fn cel_duration() {
    check(
        r#"{"apiVersion":"gateway.envoyproxy.io/v1alpha1","kind":"BackendTrafficPolicy","metadata":{"name":"p"},"spec":{"targetRefs":[{"group":"gateway.networking.k8s.io","kind":"HTTPRoute","name":"r"}],"http2":{"connectionKeepalive":{"interval":"5x","timeout":"1s"}}}}"#,
        &[
            "spec.http2.connectionKeepalive.interval: Invalid value: \"5x\": spec.http2.connectionKeepalive.interval in body should match '^([0-9]{1,5}(h|m|s|ms)){1,4}$'",
            "spec.http2.connectionKeepalive: Invalid value: \"object\": type conversion error from 'string' to 'google.protobuf.Duration' evaluating rule: timeout must be less than interval",
        ],
    );
}

/// Each `allOf` member's errors once, then the combinator's own error at `<nil>`.
#[test]
fn allof_enum() {
    check(
        r#"{"apiVersion":"gateway.envoyproxy.io/v1alpha1","kind":"BackendTrafficPolicy","metadata":{"name":"p"},"spec":{"targetRefs":[{"group":"gateway.networking.k8s.io","kind":"HTTPRoute","name":"r"}],"healthCheck":{"active":{"type":"UDP"}}}}"#,
        &[
            "spec.healthCheck.active.type: Unsupported value: \"UDP\": supported values: \"HTTP\", \"TCP\", \"GRPC\"",
            "<nil>: Invalid value: \"\": \"spec.healthCheck.active.type\" must validate all the schemas (allOf). None validated",
        ],
    );
}

/// No `oneOf` member passes: its error, then the errors of the member that got furthest.
#[test]
fn oneof_address() {
    check(
        r#"{"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway","metadata":{"name":"gw"},"spec":{"gatewayClassName":"eg","addresses":[{"type":"IPAddress","value":"not-an-ip"}],"listeners":[{"name":"http","port":80,"protocol":"HTTP"}]}}"#,
        &[
            "<nil>: Invalid value: \"\": \"spec.addresses[0]\" must validate one and only one schema (oneOf). Found none valid",
            "<nil>: Invalid value: \"\": \"spec.addresses[0].value\" must validate at least one schema (anyOf)",
            "spec.addresses[0].value: Invalid value: \"not-an-ip\": spec.addresses[0].value in body must be of type ipv4: \"not-an-ip\"",
        ],
    );
}

/// A wrong type does not stop the enum check.
#[test]
fn type_and_enum() {
    check(
        r#"{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"r"},"spec":{"rules":[{"matches":[{"path":{"type":5,"value":"/"}}]}]}}"#,
        &[
            "spec.rules[0].matches[0].path.type: Invalid value: \"integer\": spec.rules[0].matches[0].path.type in body must be of type string: \"integer\"",
            "spec.rules[0].matches[0].path.type: Unsupported value: 5: supported values: \"Exact\", \"PathPrefix\", \"RegularExpression\"",
        ],
    );
}

/// Of maxLength, minLength and pattern only the first failing one is reported.
#[test]
fn minlen_first() {
    check(
        r#"{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"r"},"spec":{"parentRefs":[{"name":"gw","sectionName":""}]}}"#,
        &[
            "spec.parentRefs[0].sectionName: Invalid value: \"\": spec.parentRefs[0].sectionName in body should be at least 1 chars long",
        ],
    );
}

/// kube-openapi names a map entry `.key`.
#[test]
fn map_entry() {
    check(
        r#"{"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway","metadata":{"name":"gw"},"spec":{"gatewayClassName":"eg","infrastructure":{"labels":{"team":7}},"listeners":[{"name":"http","port":80,"protocol":"HTTP"}]}}"#,
        &[
            "spec.infrastructure.labels.team: Invalid value: \"integer\": spec.infrastructure.labels.team in body must be of type string: \"integer\"",
        ],
    );
}

/// A list-type map item that is not an object.
#[test]
fn listmap_object() {
    check(
        r#"{"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway","metadata":{"name":"gw"},"spec":{"gatewayClassName":"eg","listeners":["http"]}}"#,
        &[
            "spec.listeners[0]: Invalid value: \"string\": spec.listeners[0] in body must be of type object: \"string\"",
            "spec.listeners[0]: Invalid value: \"http\": must be an object for an array of list-type map",
        ],
    );
}

/// Only the second copy of a duplicate is reported.
#[test]
fn dup_third() {
    check(
        r#"{"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway","metadata":{"name":"gw"},"spec":{"gatewayClassName":"eg","listeners":[{"name":"a","port":80,"protocol":"HTTP"},{"name":"a","port":81,"protocol":"HTTP"},{"name":"a","port":82,"protocol":"HTTP"}]}}"#,
        &[
            "spec.listeners[1]: Duplicate value: {\"name\":\"a\"}",
            "spec.listeners: Invalid value: Listener name must be unique within the Gateway",
        ],
    );
}

/// An int-or-string field of another type fails its own type check and its `anyOf`.
#[test]
fn int_or_string() {
    check(
        r#"{"apiVersion":"gateway.envoyproxy.io/v1alpha1","kind":"BackendTrafficPolicy","metadata":{"name":"p"},"spec":{"targetRefs":[{"group":"gateway.networking.k8s.io","kind":"HTTPRoute","name":"r"}],"connection":{"bufferLimit":true}}}"#,
        &[
            "spec.connection.bufferLimit: Invalid value: \"boolean\": spec.connection.bufferLimit in body must be of type integer,string: \"boolean\"",
            "<nil>: Invalid value: \"\": \"spec.connection.bufferLimit\" must validate at least one schema (anyOf)",
            "spec.connection.bufferLimit: Invalid value: \"boolean\": spec.connection.bufferLimit in body must be of type integer: \"boolean\"",
        ],
    );
}

/// An int32 field is checked against the int32 range before its maximum.
#[test]
fn int32() {
    check(
        r#"{"apiVersion":"gateway.envoyproxy.io/v1alpha1","kind":"BackendTrafficPolicy","metadata":{"name":"p"},"spec":{"targetRefs":[{"group":"gateway.networking.k8s.io","kind":"HTTPRoute","name":"r"}],"http2":{"maxConcurrentStreams":2147483648}}}"#,
        &[
            "<nil>: Invalid value: \"\": Checked value must be of type integer with format int32 in spec.http2.maxConcurrentStreams",
            "spec.http2.maxConcurrentStreams: Invalid value: 2147483648: spec.http2.maxConcurrentStreams in body should be less than or equal to 2147483647",
        ],
    );
}

/// An object without a name; the blocking error keeps CEL rules (the path rule) from running.
#[test]
fn no_name() {
    check(
        r#"{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{},"spec":{"rules":[{"matches":[{"path":{"type":"PathPrefix","value":"x"}}]}]}}"#,
        &["metadata.name: Required value: name or generateName is required"],
    );
}

/// `format.dns1123Label().validate(x)` returns an optional, which never equals null.
#[test]
fn dns_label_optional() {
    check(
        r#"{"apiVersion":"gateway.networking.x-k8s.io/v1alpha1","kind":"XBackend","metadata":{"name":"b"},"spec":{"type":"ExternalHostname","externalHostname":{"hostname":"example.com"},"port":{"port":80,"name":"http"}}}"#,
        &["spec.port.name: Invalid value: \"http\": Name must be a valid DNS label"],
    );
}

/// The `byte` format refuses the empty string.
#[test]
fn byte_empty() {
    check(
        r#"{"apiVersion":"gateway.envoyproxy.io/v1alpha1","kind":"BackendTrafficPolicy","metadata":{"name":"p"},"spec":{"targetRefs":[{"group":"gateway.networking.k8s.io","kind":"HTTPRoute","name":"r"}],"healthCheck":{"active":{"type":"HTTP","http":{"path":"/","expectedResponse":{"type":"Binary","binary":""}}}}}}"#,
        &[
            "spec.healthCheck.active.http.expectedResponse.binary: Invalid value: \"\": spec.healthCheck.active.http.expectedResponse.binary in body must be of type byte: \"\"",
        ],
    );
}

/// CEL reads the property `namespace` as `__namespace__`: two references to a Gateway of the
/// same name in different namespaces are two parents.
#[test]
fn escaped_property_names() {
    check(
        r#"{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"r"},"spec":{"parentRefs":[{"name":"gw","namespace":"a"},{"name":"gw"}]}}"#,
        &[],
    );
    check(
        r#"{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"r"},"spec":{"parentRefs":[{"name":"gw","namespace":"a"},{"name":"gw","namespace":"a"}]}}"#,
        &["spec.parentRefs: Invalid value: sectionName or port must be unique when parentRefs includes 2 or more references to the same parent"],
    );
}
