//! A minimal X.509 reader: just enough DER to pull the DNS names a certificate is valid for
//! (subjectAltName `dNSName` entries, and the subject commonName) out of a PEM `tls.crt`.
//!
//! Hand-written on purpose: the lint needs two fields, and a full ASN.1/X.509 crate would add
//! weight to the wasm build for nothing. Every read is bounds-checked; malformed input gives
//! `None`, never a panic. No signature or validity checks: this is a lint, not a TLS stack.

/// The names a certificate is issued for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertNames {
    /// subjectAltName dNSName entries, in order.
    pub dns: Vec<String>,
    /// The subject commonName, if any.
    pub common_name: Option<String>,
    /// The certificate has a subjectAltName extension (then clients ignore the commonName).
    pub has_san: bool,
}

impl CertNames {
    /// The names clients verify against: the SAN DNS names, or the commonName for a legacy
    /// certificate without a subjectAltName extension.
    pub fn effective(&self) -> Vec<String> {
        if self.has_san {
            self.dns.clone()
        } else {
            self.common_name.iter().cloned().collect()
        }
    }
}

/// The DER bodies of every `CERTIFICATE` block of a PEM text, in order (leaf first in a chain).
pub fn pem_certificates(text: &str) -> Vec<Vec<u8>> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(b) = rest.find(BEGIN) {
        let after = &rest[b + BEGIN.len()..];
        let Some(e) = after.find(END) else { break };
        if let Some(der) = crate::resolve::index::base64_decode(&after[..e]) {
            out.push(der);
        }
        rest = &after[e + END.len()..];
    }
    out
}

/// One DER element: (tag, content, rest after it).
pub(crate) fn tlv(d: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, d) = d.split_first()?;
    let (&l0, d) = d.split_first()?;
    let (len, d) = if l0 < 0x80 {
        (l0 as usize, d)
    } else {
        let n = (l0 & 0x7f) as usize;
        if n == 0 || n > 4 || d.len() < n {
            return None;
        }
        let len = d[..n].iter().fold(0usize, |a, &b| (a << 8) | b as usize);
        (len, &d[n..])
    };
    if d.len() < len {
        return None;
    }
    Some((tag, &d[..len], &d[len..]))
}

/// The elements of a constructed value's content.
pub(crate) fn children(mut d: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut out = Vec::new();
    while !d.is_empty() {
        let (t, c, r) = tlv(d)?;
        out.push((t, c));
        d = r;
    }
    Some(out)
}

const SEQUENCE: u8 = 0x30;
const OID_COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
const OID_SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];

/// Reads the names of a DER certificate; None when it is not a parsable certificate.
pub fn names(der: &[u8]) -> Option<CertNames> {
    let (t, cert, _) = tlv(der)?;
    if t != SEQUENCE {
        return None;
    }
    let (t, tbs, _) = tlv(cert)?;
    if t != SEQUENCE {
        return None;
    }
    let fields = children(tbs)?;
    // version [0]? serial, signature, issuer, validity, subject, spki, [1]?, [2]?, [3] extensions?
    let mut i = usize::from(fields.first()?.0 == 0xa0);
    i += 1; // serial
    let seqs: Vec<&[u8]> = fields
        .get(i..)?
        .iter()
        .take(5)
        .filter(|f| f.0 == SEQUENCE)
        .map(|f| f.1)
        .collect();
    if seqs.len() < 5 {
        return None;
    }
    let mut out = CertNames {
        common_name: common_name(seqs[3]),
        ..Default::default()
    };
    if let Some((_, ext)) = fields.iter().find(|f| f.0 == 0xa3) {
        let (t, list, _) = tlv(ext)?;
        if t != SEQUENCE {
            return None;
        }
        for (t, e) in children(list)? {
            if t != SEQUENCE {
                continue;
            }
            let parts = children(e)?;
            if parts.first().map(|p| (p.0, p.1)) != Some((0x06, OID_SUBJECT_ALT_NAME)) {
                continue;
            }
            let Some((_, value)) = parts.iter().find(|p| p.0 == 0x04) else {
                continue;
            };
            out.has_san = true;
            let (t, general_names, _) = tlv(value)?;
            if t != SEQUENCE {
                return None;
            }
            for (t, n) in children(general_names)? {
                // [2] IMPLICIT IA5String: dNSName.
                if t == 0x82 {
                    out.dns
                        .push(String::from_utf8_lossy(n).to_ascii_lowercase());
                }
            }
        }
    }
    Some(out)
}

/// A certificate's subjectPublicKeyInfo: the algorithm OID, its parameters element (the curve
/// OID for EC keys) and the key bytes of the BIT STRING (the RSAPublicKey DER, or an EC point).
pub struct PublicKeyInfo<'a> {
    pub algorithm: &'a [u8],
    pub parameters: Option<&'a [u8]>,
    pub key: &'a [u8],
}

/// Reads the subjectPublicKeyInfo of a DER certificate; None when it is not parsable.
pub fn subject_public_key(der: &[u8]) -> Option<PublicKeyInfo<'_>> {
    let (t, cert, _) = tlv(der)?;
    let (t2, tbs, _) = tlv(cert)?;
    if t != SEQUENCE || t2 != SEQUENCE {
        return None;
    }
    let fields = children(tbs)?;
    let i = usize::from(fields.first()?.0 == 0xa0) + 1;
    // signature, issuer, validity, subject, then the subjectPublicKeyInfo.
    let spki = fields
        .get(i..)?
        .iter()
        .filter(|f| f.0 == SEQUENCE)
        .nth(4)?
        .1;
    match children(spki)?.as_slice() {
        [(SEQUENCE, alg), (0x03, bits)] => {
            let alg = children(alg)?;
            let (&(0x06, algorithm), rest) = alg.split_first()? else {
                return None;
            };
            let parameters = rest.first().filter(|p| p.0 == 0x06).map(|p| p.1);
            // The first content byte of a BIT STRING counts its unused bits: 0 for keys.
            let (&0, key) = bits.split_first()? else {
                return None;
            };
            Some(PublicKeyInfo {
                algorithm,
                parameters,
                key,
            })
        }
        _ => None,
    }
}

/// The last commonName of an X.501 Name (the most specific one).
fn common_name(name: &[u8]) -> Option<String> {
    let mut cn = None;
    for (t, set) in children(name)? {
        if t != 0x31 {
            continue;
        }
        for (t, atv) in children(set)? {
            if t != SEQUENCE {
                continue;
            }
            let parts = children(atv)?;
            if let [(0x06, oid), (_, value), ..] = parts.as_slice() {
                if *oid == OID_COMMON_NAME {
                    cn = Some(String::from_utf8_lossy(value).to_ascii_lowercase());
                }
            }
        }
    }
    cn
}

/// X.509 name matching (RFC 6125): `name` equals `host`, or `name` is `*.suffix` and `host` is
/// exactly one label followed by `.suffix`. A Gateway API wildcard host (`*.apps.example.com`) is
/// covered only by the identical wildcard. Case-insensitive.
pub fn covers(name: &str, host: &str) -> bool {
    let (name, host) = (name.to_ascii_lowercase(), host.to_ascii_lowercase());
    if name == host {
        return true;
    }
    match name.strip_prefix("*.") {
        Some(suffix) if !host.starts_with('*') => host
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest == suffix),
        _ => false,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -subj "/O=gwlab test/CN=www.example.com"
    /// -addext "subjectAltName=DNS:www.example.com,DNS:*.apps.example.com,IP:10.0.0.1"`
    pub const SAN_PEM: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIB7TCCAZOgAwIBAgIUWElu1qwLF/3GDvv7KHkHTel5W6YwCgYIKoZIzj0EAwIw\n\
LzETMBEGA1UECgwKZ3dsYWIgdGVzdDEYMBYGA1UEAwwPd3d3LmV4YW1wbGUuY29t\n\
MCAXDTI2MTEyNjEwNDMyOFoYDzIxMjYxMTAyMTA0MzI4WjAvMRMwEQYDVQQKDApn\n\
d2xhYiB0ZXN0MRgwFgYDVQQDDA93d3cuZXhhbXBsZS5jb20wWTATBgcqhkjOPQIB\n\
BggqhkjOPQMBBwNCAARSokGqOwqKXRi9gFNnvXTFIRd0z3JYod7WjNIqd0j+dVI1\n\
W8+3FY+Tf3fuTpa8SZW863Txpq992xIfgwRXb+mIo4GKMIGHMB0GA1UdDgQWBBTq\n\
N1ttgja5yw+DcgmniOnpopMHszAfBgNVHSMEGDAWgBTqN1ttgja5yw+DcgmniOnp\n\
opMHszAPBgNVHRMBAf8EBTADAQH/MDQGA1UdEQQtMCuCD3d3dy5leGFtcGxlLmNv\n\
bYISKi5hcHBzLmV4YW1wbGUuY29thwQKAAABMAoGCCqGSM49BAMCA0gAMEUCIFMG\n\
gAOOaxm4xL4wqVX6WxviSeKtsFRvqO9AVw4o6LT5AiEAwvVWGxo9VhMOEiHUVjg3\n\
ZgB3UVXazWWeOWkq7hpRgU8=\n\
-----END CERTIFICATE-----\n";
    /// `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -subj "/CN=legacy.example.com"` (no SAN).
    pub const CN_ONLY_PEM: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIBizCCATGgAwIBAgIUUNJuCJ57wpslpDdoWQ2Kx1POTCowCgYIKoZIzj0EAwIw\n\
HTEbMBkGA1UEAwwSbGVnYWN5LmV4YW1wbGUuY29tMCAXDTI2MTEyNjEwNDMyOFoY\n\
DzIxMjYxMTAyMTA0MzI4WjAdMRswGQYDVQQDDBJsZWdhY3kuZXhhbXBsZS5jb20w\n\
WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAT7VB2cRtaKh6DA0PTz2faSAtuZoYSb\n\
yHUkpAEgJhL+MwetFo13hWDTsM1CxAyQ6yv6b50vtqaX2ie8MUkaScsSo00wSzAd\n\
BgNVHQ4EFgQUWQxAga+ctZRy4qB6S9VwyeJYqT0wHwYDVR0jBBgwFoAUWQxAga+c\n\
tZRy4qB6S9VwyeJYqT0wCQYDVR0TBAIwADAKBggqhkjOPQQDAgNIADBFAiBVfS6Y\n\
DLHxayZgd/wmwCfR2mXTtPqoFBAEhxZ8rFiL+wIhAIpc4krodtQYR9PcgdyIMwgT\n\
y7FZkLvyBiRsxOwVXYHc\n\
-----END CERTIFICATE-----\n";

    #[test]
    fn reads_san_and_common_name() {
        let ders = pem_certificates(SAN_PEM);
        assert_eq!(ders.len(), 1);
        let n = names(&ders[0]).unwrap();
        assert_eq!(n.dns, vec!["www.example.com", "*.apps.example.com"]);
        assert_eq!(n.common_name.as_deref(), Some("www.example.com"));
        assert!(n.has_san);
        assert_eq!(n.effective(), n.dns);
    }

    #[test]
    fn legacy_certificates_fall_back_to_the_common_name() {
        let n = names(&pem_certificates(CN_ONLY_PEM)[0]).unwrap();
        assert!(!n.has_san);
        assert_eq!(n.effective(), vec!["legacy.example.com"]);
    }

    #[test]
    fn malformed_input_is_none_not_a_panic() {
        let der = &pem_certificates(SAN_PEM)[0];
        for cut in 0..der.len() {
            let _ = names(&der[..cut]);
        }
        assert_eq!(names(b""), None);
        assert_eq!(names(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
        // A tbsCertificate holding only a version.
        assert_eq!(names(&[0x30, 0x04, 0x30, 0x02, 0xa0, 0x00]), None);
        // Flip every byte of a real certificate: never a panic.
        for i in 0..der.len() {
            let mut d = der.clone();
            d[i] ^= 0xff;
            let _ = names(&d);
        }
        assert!(
            pem_certificates("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----")
                .is_empty()
        );
        assert!(pem_certificates("PLACEHOLDER").is_empty());
    }

    #[test]
    fn name_matching_table() {
        let cases = [
            ("www.example.com", "www.example.com", true),
            ("WWW.example.com", "www.EXAMPLE.com", true),
            ("*.example.com", "a.example.com", true),
            ("*.example.com", "a.b.example.com", false),
            ("*.example.com", "example.com", false),
            ("*.example.com", "*.example.com", true),
            ("*.example.com", "*.apps.example.com", false),
            ("www.example.com", "secure.example.com", false),
            ("example.com", "*.example.com", false),
        ];
        for (name, host, want) in cases {
            assert_eq!(covers(name, host), want, "{name} covers {host}");
        }
    }
}
