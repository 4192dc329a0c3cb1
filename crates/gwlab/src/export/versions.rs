//! The one table of versions the lab installs.

/// Versions of everything the lab installs. [`Versions::default`] is the current set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versions {
    /// Name of the set (`current`, `original-plan`), shown in the README.
    pub name: &'static str,
    pub kind_node_image: &'static str,
    /// Envoy Gateway Helm chart version (the chart also installs the Gateway API CRDs).
    pub envoy_gateway: &'static str,
    /// cert-manager Helm chart version (`jetstack/cert-manager`).
    pub cert_manager: &'static str,
    pub echo_image: &'static str,
    /// The Gateway API release the Envoy Gateway chart bundles; install.sh compares it with the CRDs'
    /// `gateway.networking.k8s.io/bundle-version` and warns on a mismatch.
    pub gateway_api: &'static str,
}

/// Every selectable set; the first is the default.
pub const VERSION_SETS: &[Versions] = &[
    Versions {
        name: "current",
        kind_node_image: "kindest/node:v1.36.1",
        envoy_gateway: "v1.9.0",
        cert_manager: "v1.19.1",
        echo_image: "registry.k8s.io/gateway-api/echo-basic:v1.5.1",
        gateway_api: "v1.6.1",
    },
    // The set the original lab plan pinned. Envoy Gateway v1.4 supports Kubernetes up to 1.33.
    Versions {
        name: "original-plan",
        kind_node_image: "kindest/node:v1.32.2",
        envoy_gateway: "v1.4.0",
        cert_manager: "v1.16.2",
        echo_image: "registry.k8s.io/gateway-api/echo-basic:v1.5.1",
        gateway_api: "v1.2.1",
    },
];

impl Versions {
    /// A set by name (`current`, `original-plan`).
    pub fn by_name(name: &str) -> Option<Versions> {
        VERSION_SETS.iter().find(|v| v.name == name).cloned()
    }

    /// The names of all sets, default first.
    pub fn names() -> Vec<&'static str> {
        VERSION_SETS.iter().map(|v| v.name).collect()
    }
}

impl Default for Versions {
    fn default() -> Self {
        VERSION_SETS[0].clone()
    }
}

/// The longest image reference or version a bundle accepts.
const MAX_REFERENCE: usize = 255;

/// Checks a container image reference (`[registry[:port]/]path[:tag][@sha256:digest]`): lower-case path
/// components of letters, digits and single `.`, `_` or `-` separators, a tag of up to 128 letters, digits,
/// `_`, `.` and `-` not starting with `.` or `-`, a 64-hex-digit sha256 digest. Nothing else can reach the
/// scripts or the YAML the bundle writes.
pub fn check_image(s: &str) -> Result<(), String> {
    if s.is_empty() || s.len() > MAX_REFERENCE {
        return Err(format!("must be 1 to {MAX_REFERENCE} characters"));
    }
    let (name_tag, digest) = match s.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (s, None),
    };
    if let Some(d) = digest {
        let hex = d.strip_prefix("sha256:").unwrap_or("");
        if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err("a digest must be @sha256: and 64 lower-case hex digits".into());
        }
    }
    let (name, tag) = match name_tag.rfind(':') {
        Some(i) if !name_tag[i + 1..].contains('/') => (&name_tag[..i], Some(&name_tag[i + 1..])),
        _ => (name_tag, None),
    };
    if let Some(t) = tag {
        let ok_first = t
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
        let ok_rest = t
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if !ok_first || !ok_rest || t.len() > 128 {
            return Err("a tag is 1 to 128 letters, digits, `_`, `.` and `-`, starting with a letter, digit or `_`".into());
        }
    }
    for (i, component) in name.split('/').enumerate() {
        let component = match component.split_once(':') {
            // Only the registry (the first of several components) may carry a port.
            Some((host, port)) if i == 0 && name.contains('/') => {
                if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
                    return Err("a registry port must be digits".into());
                }
                host
            }
            Some(_) => return Err("`:` may only separate a registry port or the tag".into()),
            None => component,
        };
        if !path_component(component) {
            return Err(format!(
                "`{}` is not a lower-case path component (letters, digits, single `.`, `_` or `-` inside)",
                super::quote::inline(component)
            ));
        }
    }
    Ok(())
}

fn path_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: &u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    !b.is_empty()
        && alnum(&b[0])
        && alnum(&b[b.len() - 1])
        && b.iter()
            .all(|x| alnum(x) || matches!(x, b'.' | b'_' | b'-'))
        && !c.contains("..")
}

/// Checks a release version: `v1.9.0`, `1.19.1`, `v0.0.0-latest`, `v1.2.3-rc.1+build.5`
/// (optional `v`, three dot-separated numbers, optional `-pre-release` and `+build` of letters, digits,
/// `.` and `-`).
pub fn check_version(s: &str) -> Result<(), String> {
    const SHAPE: &str = "must look like v1.9.0 (optional v, three numbers, optional -pre-release and +build of letters, digits, `.` and `-`)";
    if s.is_empty() || s.len() > 64 {
        return Err(SHAPE.into());
    }
    let core_and_rest = s.strip_prefix('v').unwrap_or(s);
    let (core, rest) = match core_and_rest.find(['-', '+']) {
        Some(i) => core_and_rest.split_at(i),
        None => (core_and_rest, ""),
    };
    let numbers: Vec<&str> = core.split('.').collect();
    let numbers_ok = numbers.len() == 3
        && numbers
            .iter()
            .all(|n| !n.is_empty() && n.len() <= 9 && n.bytes().all(|b| b.is_ascii_digit()));
    let rest_ok = rest.is_empty()
        || (rest.len() > 1
            && rest[1..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+')));
    if numbers_ok && rest_ok {
        Ok(())
    } else {
        Err(SHAPE.into())
    }
}

/// Checks a GatewayClass `controllerName` as the CRD's pattern has it: a lower-case DNS domain, `/`, then a path
/// of URL path characters (at most 253 characters in all).
pub fn check_controller_name(s: &str) -> Result<(), String> {
    const SHAPE: &str =
        "must be a domain-prefixed path like gateway.envoyproxy.io/gatewayclass-controller (at most 253 characters)";
    let Some((domain, path)) = s.split_once('/') else {
        return Err(SHAPE.into());
    };
    let label_ok = |l: &str| {
        let b = l.as_bytes();
        !b.is_empty()
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter()
                .all(|x| x.is_ascii_lowercase() || x.is_ascii_digit() || *x == b'-')
    };
    let path_ok = !path.is_empty()
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-._~%!$&'()*+,;=:".contains(&b));
    if s.len() <= 253 && domain.split('.').all(label_ok) && path_ok {
        Ok(())
    } else {
        Err(SHAPE.into())
    }
}

impl Versions {
    /// Checks every field with [`check_image`] or [`check_version`]; the error names the field.
    pub fn check(&self) -> Result<(), String> {
        let images = [
            ("kind node image", self.kind_node_image),
            ("echo image", self.echo_image),
        ];
        for (what, value) in images {
            check_image(value)
                .map_err(|e| format!("{what} `{}`: {e}", super::quote::inline(value)))?;
        }
        let versions = [
            ("Envoy Gateway version", self.envoy_gateway),
            ("cert-manager version", self.cert_manager),
            ("Gateway API version", self.gateway_api),
        ];
        for (what, value) in versions {
            check_version(value)
                .map_err(|e| format!("{what} `{}`: {e}", super::quote::inline(value)))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_set_passes_its_own_checks() {
        for v in VERSION_SETS {
            assert_eq!(v.check(), Ok(()), "{}", v.name);
        }
    }

    #[test]
    fn images() {
        for ok in [
            "kindest/node:v1.36.1",
            "registry.k8s.io/gateway-api/echo-basic:v1.5.1",
            "localhost:5000/node",
            "localhost:5000/my_org/node:V1_x.2-rc",
            "node",
            "kindest/node@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "kindest/node:v1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert_eq!(check_image(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "-kindest/node",
            "--config=/etc/x",
            "kindest/node:v1\n  extraMounts: []",
            "kindest/node:v1\u{2028}x",
            "Kindest/node",
            "kindest//node",
            "kindest/node:",
            "kindest/node:-v1",
            "kindest/node:v1 #",
            "kindest/node:$(id)",
            "kindest/../node",
            "kindest/node@sha256:abc",
            "a:b:c",
            "node:1:2",
            &"a".repeat(256),
        ] {
            assert!(check_image(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn controller_names() {
        assert_eq!(
            check_controller_name("gateway.envoyproxy.io/gatewayclass-controller"),
            Ok(())
        );
        assert_eq!(check_controller_name("example.com/a/b_c"), Ok(()));
        for bad in [
            "",
            "nodomain",
            "/path",
            "Example.com/x",
            "example.com/",
            "example.com/a b",
            "example.com/a\nb",
            "-x.com/a",
        ] {
            assert!(check_controller_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn versions() {
        for ok in ["v1.9.0", "1.19.1", "v0.0.0-latest", "v1.2.3-rc.1+build.5"] {
            assert_eq!(check_version(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "v1.9",
            "v1.9.0.1",
            "--version",
            "v1.9.0 ",
            "v1.9.0\n",
            "v1.9.0-",
            "v1.9.0-$(x)",
            "latest",
            "v1..0",
        ] {
            assert!(check_version(bad).is_err(), "{bad:?}");
        }
    }
}
