//! The API server's name and label formats (Kubernetes `apimachinery` validation), with the exact
//! wording it prints, so a refusal reads as `kubectl apply` would show it.

/// Longest DNS-1123 subdomain (object names of most kinds).
pub const SUBDOMAIN_MAX: usize = 253;
/// Longest DNS-1123 / DNS-1035 label (namespaces, Service names, label values).
pub const LABEL_MAX: usize = 63;

const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const QUALIFIED_NAME_MSG: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const CONFIG_KEY_MSG: &str = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

fn too_long(max: usize) -> String {
    format!("must be no more than {max} characters")
}

fn lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

fn is_label_shape(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && lower_alnum(b[0])
        && lower_alnum(b[b.len() - 1])
        && b.iter().all(|&c| lower_alnum(c) || c == b'-')
}

/// Problems of `s` as a DNS-1123 label (empty when valid), in the API server's order.
pub fn dns1123_label(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    if s.len() > LABEL_MAX {
        out.push(too_long(LABEL_MAX));
    }
    if !is_label_shape(s) {
        out.push(LABEL_MSG.to_string());
    }
    out
}

/// Problems of `s` as a DNS-1123 subdomain.
pub fn dns1123_subdomain(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    if s.len() > SUBDOMAIN_MAX {
        out.push(too_long(SUBDOMAIN_MAX));
    }
    if !s.split('.').all(is_label_shape) {
        out.push(SUBDOMAIN_MSG.to_string());
    }
    out
}

/// Problems of `s` as a DNS-1035 label (Service names: must start with a letter).
pub fn dns1035_label(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    if s.len() > LABEL_MAX {
        out.push(too_long(LABEL_MAX));
    }
    if !is_label_shape(s) || !s.as_bytes()[0].is_ascii_lowercase() {
        out.push(DNS1035_MSG.to_string());
    }
    out
}

fn is_qualified_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// Problems of `s` as a qualified name (`prefix/name`): label and annotation keys.
pub fn qualified_name(s: &str) -> Vec<String> {
    let (prefix, name) = match s.split_once('/') {
        Some((p, n)) if !n.contains('/') => (Some(p), n),
        Some(_) => {
            return vec![format!("a qualified name {QUALIFIED_NAME_MSG} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')")]
        }
        None => (None, s),
    };
    let mut out = Vec::new();
    if let Some(p) = prefix {
        if p.is_empty() {
            out.push("prefix part must be non-empty".to_string());
        } else {
            out.extend(
                dns1123_subdomain(p)
                    .into_iter()
                    .map(|m| format!("prefix part {m}")),
            );
        }
    }
    if name.is_empty() {
        out.push("name part must be non-empty".to_string());
    } else {
        if name.len() > LABEL_MAX {
            out.push(format!("name part {}", too_long(LABEL_MAX)));
        }
        if !is_qualified_name_part(name) {
            out.push(QUALIFIED_NAME_MSG.to_string());
        }
    }
    out
}

/// Problems of `s` as a label value (may be empty).
pub fn label_value(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    if s.len() > LABEL_MAX {
        out.push(too_long(LABEL_MAX));
    }
    if !s.is_empty() && !is_qualified_name_part(s) {
        out.push(LABEL_VALUE_MSG.to_string());
    }
    out
}

/// Problems of `s` as a Secret or ConfigMap data key.
pub fn config_key(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    if s.len() > SUBDOMAIN_MAX {
        out.push(too_long(SUBDOMAIN_MAX));
    }
    if s.is_empty()
        || !s
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
    {
        out.push(CONFIG_KEY_MSG.to_string());
    }
    if s == "." {
        out.push("must not be '.'".to_string());
    } else if s == ".." {
        out.push("must not be '..'".to_string());
    } else if s.starts_with("..") {
        out.push("must not start with '..'".to_string());
    }
    out
}

/// Problems of `s` as an IANA service name (a named `targetPort` or container port).
pub fn iana_svc_name(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    if s.len() > 15 {
        out.push("must be no more than 15 characters".to_string());
    }
    if !s.bytes().all(|c| lower_alnum(c) || c == b'-') {
        out.push(
            "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".to_string(),
        );
    }
    if s.contains("--") {
        out.push("must not contain consecutive hyphens".to_string());
    }
    if !s.bytes().any(|c| c.is_ascii_lowercase()) {
        out.push("must contain at least one letter (a-z)".to_string());
    }
    if s.starts_with('-') || s.ends_with('-') {
        out.push("must not begin or end with a hyphen".to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subdomains_and_labels() {
        let ok_sub = ["a", "gw", "my-gw.example", "0a", "a".repeat(253).as_str()].map(String::from);
        for s in &ok_sub {
            assert!(dns1123_subdomain(s).is_empty(), "{s}");
        }
        for s in [
            "",
            "--kubeconfig=x",
            "A",
            "a.",
            ".a",
            "a..b",
            "a-",
            "-a",
            "a_b",
            "é",
        ] {
            assert_eq!(dns1123_subdomain(s), vec![SUBDOMAIN_MSG.to_string()], "{s}");
        }
        assert_eq!(dns1123_subdomain(&"a".repeat(254)), vec![too_long(253)]);
        assert!(dns1123_label("team-a").is_empty());
        assert_eq!(dns1123_label("a.b"), vec![LABEL_MSG.to_string()]);
        assert_eq!(dns1123_label(&"a".repeat(64)), vec![too_long(63)]);
        assert!(dns1035_label("svc-1").is_empty());
        assert_eq!(dns1035_label("1svc"), vec![DNS1035_MSG.to_string()]);
        assert_eq!(dns1035_label(""), vec![DNS1035_MSG.to_string()]);
    }

    #[test]
    fn label_keys_values_and_config_keys() {
        assert!(qualified_name("app.kubernetes.io/name").is_empty());
        assert!(qualified_name("Env").is_empty());
        assert_eq!(
            qualified_name("/x"),
            vec!["prefix part must be non-empty".to_string()]
        );
        assert_eq!(
            qualified_name("a/"),
            vec!["name part must be non-empty".to_string()]
        );
        assert_eq!(qualified_name("Bad_/x").len(), 1);
        assert_eq!(qualified_name("a/b/c").len(), 1);
        assert!(label_value("").is_empty());
        assert!(label_value("prod_1.x").is_empty());
        assert_eq!(label_value("-x"), vec![LABEL_VALUE_MSG.to_string()]);
        assert!(config_key("tls.crt").is_empty());
        assert_eq!(config_key("a/b"), vec![CONFIG_KEY_MSG.to_string()]);
        assert_eq!(config_key(".."), vec!["must not be '..'".to_string()]);
        assert!(iana_svc_name("http").is_empty());
        assert_eq!(iana_svc_name("80").len(), 1);
        assert_eq!(iana_svc_name("a--b-").len(), 2);
    }
}
