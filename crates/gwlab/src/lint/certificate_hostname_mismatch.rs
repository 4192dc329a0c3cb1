//! `certificate-hostname-mismatch`: an HTTPS (or TLS Terminate) listener whose certificate does
//! not cover the listener hostname.
//!
//! Why: Envoy Gateway never compares the two. It programs the listener, serves the certificate
//! for the listener's SNI, and every client then fails verification. The names come from the
//! Secret's PEM `tls.crt` when it holds a real certificate (subjectAltName DNS names, or the
//! commonName of a legacy certificate without SANs), otherwise from the cert-manager Certificate
//! whose `secretName` is the Secret (`dnsNames` and `commonName`). X.509 wildcards cover exactly
//! one label, unlike Gateway API wildcards. Listeners without a hostname, and certificates whose
//! names are unknown (placeholder data, no Certificate), are not checked.

use super::x509;
use super::Ctx;
use crate::diag::Diagnostic;
use crate::model::{Body, DataObject};
use crate::resolve::{Protocol, TlsMode};

pub const CODE: &str = "certificate-hostname-mismatch";

pub fn check(cx: &Ctx, out: &mut Vec<Diagnostic>) {
    for g in &cx.resolved.gateways {
        for l in &g.listeners {
            let terminates = l.protocol == Protocol::Https
                || (l.protocol == Protocol::Tls && l.tls_mode == Some(TlsMode::Terminate));
            let Some(host) = l.hostname.as_deref().filter(|h| !h.is_empty()) else {
                continue;
            };
            if !terminates || l.certificates.is_empty() {
                continue;
            }
            let known: Vec<(String, Vec<String>)> = l
                .certificates
                .iter()
                .filter_map(|c| certificate_names(cx, c))
                .collect();
            if known.is_empty()
                || known
                    .iter()
                    .any(|(_, names)| names.iter().any(|n| x509::covers(n, host)))
            {
                continue;
            }
            let Some(src) = cx.model.objects.get(l.source) else {
                continue;
            };
            let listeners = match &src.body {
                Body::Gateway(s) => &s.listeners,
                Body::ListenerSet(s) => &s.listeners,
                _ => continue,
            };
            let Some(li) = listeners.iter().position(|x| x.name == l.name) else {
                continue;
            };
            let (what, names) = &known[0];
            let list = if names.is_empty() {
                "no DNS names".to_string()
            } else {
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let msg = format!(
                "listener `{}` hostname `{host}` is not covered by its certificate ({what}: {list}); Envoy Gateway serves it anyway and clients fail verification; add `{host}` to the certificate's names (a `*.` name covers one label only)",
                l.name
            );
            out.push(cx.warn(CODE, src, &format!("/spec/listeners/{li}/hostname"), msg));
        }
    }
}

/// The names of the certificate in Secret `ns/name`, with where they were read from.
fn certificate_names(cx: &Ctx, secret: &str) -> Option<(String, Vec<String>)> {
    let (ns, name) = secret.split_once('/')?;
    if let Some(Body::Secret(d)) = cx.ix.object("Secret", ns, name).map(|o| &o.body) {
        if let Some(names) = pem_names(d) {
            return Some((format!("`tls.crt` of Secret `{secret}`"), names));
        }
    }
    for o in &cx.model.objects {
        if o.kind != "Certificate" || o.group() != "cert-manager.io" || o.namespace != ns {
            continue;
        }
        let Body::Extension(v) = &o.body else {
            continue;
        };
        if v.pointer("/spec/secretName").and_then(|s| s.as_str()) != Some(name) {
            continue;
        }
        let mut names: Vec<String> = v
            .pointer("/spec/dnsNames")
            .and_then(|a| a.as_array())
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str())
            .map(str::to_ascii_lowercase)
            .collect();
        if let Some(cn) = v.pointer("/spec/commonName").and_then(|s| s.as_str()) {
            if !names.iter().any(|n| n.eq_ignore_ascii_case(cn)) {
                names.push(cn.to_ascii_lowercase());
            }
        }
        return Some((format!("Certificate `{ns}/{}` issues", o.meta.name), names));
    }
    None
}

/// The names of the leaf certificate in a Secret's `tls.crt`, if it holds a real one.
fn pem_names(d: &DataObject) -> Option<Vec<String>> {
    let text = match d.string_data.get("tls.crt") {
        Some(s) => s.clone(),
        None => String::from_utf8(crate::resolve::index::base64_decode(
            d.data.get("tls.crt")?,
        )?)
        .ok()?,
    };
    let der = x509::pem_certificates(&text).into_iter().next()?;
    Some(x509::names(&der)?.effective())
}

#[cfg(test)]
mod tests {
    use crate::lint::testutil::{lint, positions, Pos, CLASS};
    use crate::lint::x509::tests::SAN_PEM;

    fn gateway(hostname: &str, secret: &str) -> String {
        format!(
            "{CLASS}apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: gw}}\nspec:\n  gatewayClassName: eg\n  listeners:\n  - name: https\n    protocol: HTTPS\n    port: 443\n    hostname: \"{hostname}\"\n    tls:\n      certificateRefs: [{{name: {secret}}}]\n---\n"
        )
    }

    fn certificate(names: &str) -> String {
        format!("apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {{name: site}}\nspec:\n  secretName: site-tls\n  {names}\n  issuerRef: {{kind: Issuer, name: selfsigned}}\n---\n")
    }

    fn pem_secret() -> String {
        let crt = SAN_PEM.replace('\n', "\\n");
        format!("apiVersion: v1\nkind: Secret\nmetadata: {{name: real-tls}}\ntype: kubernetes.io/tls\nstringData:\n  tls.crt: \"{crt}\"\n  tls.key: \"-----BEGIN PRIVATE KEY-----\\n-----END PRIVATE KEY-----\\n\"\n---\n")
    }

    #[test]
    fn cert_manager_table() {
        let w = &[("certificate-hostname-mismatch", 15, 15)][..];
        let cases: &[(&str, &str, &[Pos])] = &[
            ("secure.example.com", "dnsNames: [www.example.com]", w),
            (
                "secure.example.com",
                "dnsNames: [www.example.com, secure.example.com]",
                &[],
            ),
            ("secure.example.com", "commonName: secure.example.com", &[]),
            ("secure.example.com", "dnsNames: [\"*.example.com\"]", &[]),
            ("a.b.example.com", "dnsNames: [\"*.example.com\"]", w),
            (
                "*.apps.example.com",
                "dnsNames: [\"*.apps.example.com\"]",
                &[],
            ),
            ("*.apps.example.com", "dnsNames: [\"*.example.com\"]", w),
            ("Secure.Example.com", "dnsNames: [secure.example.com]", &[]),
        ];
        for (host, names, want) in cases {
            let text = format!("{}{}", gateway(host, "site-tls"), certificate(names));
            let got: Vec<_> = positions(&text)
                .into_iter()
                .filter(|d| d.0 == "certificate-hostname-mismatch")
                .collect();
            assert_eq!(got, *want, "{host} vs {names}");
        }
    }

    #[test]
    fn pem_table() {
        let cases: &[(&str, bool)] = &[
            ("www.example.com", false),
            ("shop.apps.example.com", false),
            ("a.b.apps.example.com", true),
            ("secure.example.com", true),
        ];
        for (host, warn) in cases {
            let text = format!("{}{}", gateway(host, "real-tls"), pem_secret());
            let got = lint(&text);
            assert_eq!(
                got.iter()
                    .any(|d| d.code == "certificate-hostname-mismatch"),
                *warn,
                "{host}: {got:?}"
            );
            if *warn {
                assert!(
                    got[0]
                        .message
                        .contains("`www.example.com`, `*.apps.example.com`"),
                    "{}",
                    got[0].message
                );
            }
        }
    }

    #[test]
    fn unknown_names_are_not_checked() {
        // Placeholder Secret, no Certificate: nothing is known about the names.
        let secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: site-tls}\ntype: kubernetes.io/tls\ndata: {tls.crt: PLACEHOLDER, tls.key: PLACEHOLDER}\n";
        assert!(lint(&format!(
            "{}{secret}",
            gateway("secure.example.com", "site-tls")
        ))
        .is_empty());
    }
}
