//! Does a listener Secret's `tls.key` belong to its `tls.crt`? Envoy Gateway refuses a Secret
//! whose pair does not match (Envoy would reject it at load time), so the listener loses that
//! certificate.
//!
//! Read as Envoy Gateway reads it: the first certificate of `tls.crt`, and the first PEM block of
//! `tls.key` that is a PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`) or SEC1
//! (`EC PRIVATE KEY`) key. An RSA key matches when its modulus and exponent are the
//! certificate's; an EC key when its public point (stored with the key, or derived for P-256)
//! is. Anything this reader cannot decide (an Ed25519 key, another curve without a stored
//! point, text that is not real PEM) is left to the other checks: [`matches`] gives None.

use crate::lint::x509::{children, pem_certificates, subject_public_key, tlv};
use crate::resolve::index::base64_decode;

const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// A private key reduced to what its public half is compared by.
#[derive(Debug, PartialEq)]
enum KeyShape {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// The curve OID when known, the stored public point when present, and the scalar.
    Ec {
        curve: Option<Vec<u8>>,
        point: Option<Vec<u8>>,
        d: Vec<u8>,
    },
}

/// Some(true) when the key is the certificate's, Some(false) when it is provably another, None
/// when this reader cannot tell.
pub fn matches(cert_pem: &str, key_pem: &str) -> Option<bool> {
    let der = pem_certificates(cert_pem).into_iter().next()?;
    let spki = subject_public_key(&der)?;
    let key = private_key(key_pem)?;
    match (&key, spki.algorithm) {
        (KeyShape::Rsa { n, e }, OID_RSA) => {
            let parts = children(tlv(spki.key)?.1)?;
            let [(0x02, cn), (0x02, ce)] = parts.as_slice() else {
                return None;
            };
            Some(unsigned(cn) == unsigned(n) && unsigned(ce) == unsigned(e))
        }
        (KeyShape::Ec { curve, point, d }, OID_EC) => {
            if let (Some(c), Some(p)) = (curve.as_deref(), spki.parameters) {
                if c != p {
                    return Some(false);
                }
            }
            let point = match point {
                Some(p) => p.clone(),
                None if spki.parameters == Some(OID_P256) => {
                    crate::eg::crypto::p256_public_point(d)?
                }
                None => return None,
            };
            Some(point == spki.key)
        }
        (KeyShape::Rsa { .. }, OID_EC) | (KeyShape::Ec { .. }, OID_RSA) => Some(false),
        _ => None,
    }
}

/// An INTEGER's content without its sign-padding zeros.
fn unsigned(b: &[u8]) -> &[u8] {
    let skip = b
        .iter()
        .take_while(|&&x| x == 0)
        .count()
        .min(b.len().saturating_sub(1));
    &b[skip..]
}

/// The first supported private key block of a PEM text.
fn private_key(text: &str) -> Option<KeyShape> {
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + 11..];
        let label_end = after.find("-----")?;
        let label = &after[..label_end];
        let body = &after[label_end + 5..];
        let end_marker = format!("-----END {label}-----");
        let end = body.find(&end_marker)?;
        let der = base64_decode(&body[..end]);
        rest = &body[end + end_marker.len()..];
        let shape = match label {
            "PRIVATE KEY" => pkcs8(&der?),
            "RSA PRIVATE KEY" => pkcs1(&der?),
            "EC PRIVATE KEY" => sec1(&der?, None),
            _ => continue,
        };
        return shape;
    }
    None
}

/// PKCS#8 PrivateKeyInfo: version, algorithm, the key OCTET STRING.
fn pkcs8(der: &[u8]) -> Option<KeyShape> {
    let parts = children(tlv(der)?.1)?;
    let [(0x02, _), (0x30, alg), (0x04, key), ..] = parts.as_slice() else {
        return None;
    };
    let alg = children(alg)?;
    match alg.as_slice() {
        [(0x06, OID_RSA), ..] => pkcs1(key),
        [(0x06, OID_EC), rest @ ..] => sec1(
            key,
            rest.first().filter(|p| p.0 == 0x06).map(|p| p.1.to_vec()),
        ),
        _ => None,
    }
}

/// PKCS#1 RSAPrivateKey: version, modulus, public exponent, ...
fn pkcs1(der: &[u8]) -> Option<KeyShape> {
    let parts = children(tlv(der)?.1)?;
    let [(0x02, _), (0x02, n), (0x02, e), ..] = parts.as_slice() else {
        return None;
    };
    Some(KeyShape::Rsa {
        n: n.to_vec(),
        e: e.to_vec(),
    })
}

/// SEC1 ECPrivateKey: version 1, the scalar, `[0]` curve OID, `[1]` public point.
fn sec1(der: &[u8], curve: Option<Vec<u8>>) -> Option<KeyShape> {
    let parts = children(tlv(der)?.1)?;
    let [(0x02, _), (0x04, d), tagged @ ..] = parts.as_slice() else {
        return None;
    };
    let mut shape = KeyShape::Ec {
        curve,
        point: None,
        d: d.to_vec(),
    };
    if let KeyShape::Ec { curve, point, .. } = &mut shape {
        for (t, c) in tagged {
            match *t {
                0xa0 => {
                    if let Some((0x06, oid, _)) = tlv(c) {
                        curve.get_or_insert_with(|| oid.to_vec());
                    }
                }
                0xa1 => {
                    if let Some((0x03, bits, _)) = tlv(c) {
                        *point = bits
                            .split_first()
                            .filter(|(u, _)| **u == 0)
                            .map(|(_, p)| p.to_vec());
                    }
                }
                _ => {}
            }
        }
    }
    Some(shape)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(der: &[u8]) -> String {
        crate::eg::codec::base64_encode(der)
    }

    fn der(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let n = content.len();
        if n < 0x80 {
            out.push(n as u8);
        } else if n < 0x100 {
            out.extend([0x81, n as u8]);
        } else {
            out.extend([0x82, (n >> 8) as u8, n as u8]);
        }
        out.extend_from_slice(content);
        out
    }

    fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
        der(0x30, &parts.concat())
    }

    fn pem(label: &str, body: &[u8]) -> String {
        format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
            b64(body)
        )
    }

    /// A certificate shell: just enough structure for the subjectPublicKeyInfo reader.
    fn cert(alg: &[u8], params: Option<&[u8]>, key: &[u8]) -> String {
        let mut alg_id = vec![der(0x06, alg)];
        if let Some(p) = params {
            alg_id.push(der(0x06, p));
        }
        let mut bits = vec![0u8];
        bits.extend_from_slice(key);
        let spki = seq(&[seq(&alg_id), der(0x03, &bits)]);
        let empty = seq(&[]);
        let tbs = seq(&[
            der(0xa0, &der(0x02, &[2])),
            der(0x02, &[1]),
            empty.clone(),
            empty.clone(),
            empty.clone(),
            empty.clone(),
            spki,
        ]);
        pem("CERTIFICATE", &seq(&[tbs, empty.clone(), der(0x03, &[0])]))
    }

    fn rsa_pub(n: &[u8], e: &[u8]) -> Vec<u8> {
        seq(&[der(0x02, n), der(0x02, e)])
    }

    fn rsa_key(n: &[u8], e: &[u8]) -> Vec<u8> {
        seq(&[der(0x02, &[0]), der(0x02, n), der(0x02, e), der(0x02, &[7])])
    }

    fn p256_point(d: &[u8]) -> Vec<u8> {
        crate::eg::crypto::p256_public_point(d).expect("a valid scalar")
    }

    fn sec1_key(d: &[u8], curve: bool, point: Option<&[u8]>) -> Vec<u8> {
        let mut parts = vec![der(0x02, &[1]), der(0x04, d)];
        if curve {
            parts.push(der(0xa0, &der(0x06, OID_P256)));
        }
        if let Some(p) = point {
            let mut bits = vec![0u8];
            bits.extend_from_slice(p);
            parts.push(der(0xa1, &der(0x03, &bits)));
        }
        seq(&parts)
    }

    #[test]
    fn key_pairs() {
        let n = [0x00, 0xc1, 0x02, 0x03, 0x04];
        let other_n = [0x00, 0xc1, 0x02, 0x03, 0x05];
        let e = [0x01, 0x00, 0x01];
        let rsa_cert = cert(OID_RSA, None, &rsa_pub(&n, &e));
        let pkcs8_rsa = |n: &[u8]| {
            seq(&[
                der(0x02, &[0]),
                seq(&[der(0x06, OID_RSA), der(0x05, &[])]),
                der(0x04, &rsa_key(n, &e)),
            ])
        };
        let d1 = [0x11u8; 32];
        let d2 = [0x22u8; 32];
        let ec_cert = cert(OID_EC, Some(OID_P256), &p256_point(&d1));
        let pkcs8_ec = |k: Vec<u8>| {
            seq(&[
                der(0x02, &[0]),
                seq(&[der(0x06, OID_EC), der(0x06, OID_P256)]),
                der(0x04, &k),
            ])
        };
        let cases: Vec<(&str, String, String, Option<bool>)> = vec![
            (
                "PKCS#1 RSA, same modulus",
                rsa_cert.clone(),
                pem("RSA PRIVATE KEY", &rsa_key(&n, &e)),
                Some(true),
            ),
            (
                "PKCS#1 RSA, other modulus",
                rsa_cert.clone(),
                pem("RSA PRIVATE KEY", &rsa_key(&other_n, &e)),
                Some(false),
            ),
            (
                "PKCS#8 RSA, same modulus",
                rsa_cert.clone(),
                pem("PRIVATE KEY", &pkcs8_rsa(&n)),
                Some(true),
            ),
            (
                "PKCS#8 RSA, other modulus",
                rsa_cert.clone(),
                pem("PRIVATE KEY", &pkcs8_rsa(&other_n)),
                Some(false),
            ),
            (
                "EC PARAMETERS before the key are skipped",
                rsa_cert.clone(),
                format!(
                    "{}{}",
                    pem("EC PARAMETERS", &der(0x06, OID_P256)),
                    pem("RSA PRIVATE KEY", &rsa_key(&n, &e))
                ),
                Some(true),
            ),
            (
                "SEC1 with its stored point",
                ec_cert.clone(),
                pem(
                    "EC PRIVATE KEY",
                    &sec1_key(&d1, true, Some(&p256_point(&d1))),
                ),
                Some(true),
            ),
            (
                "SEC1 storing another point",
                ec_cert.clone(),
                pem(
                    "EC PRIVATE KEY",
                    &sec1_key(&d2, true, Some(&p256_point(&d2))),
                ),
                Some(false),
            ),
            (
                "SEC1 without a point: derived on P-256",
                ec_cert.clone(),
                pem("EC PRIVATE KEY", &sec1_key(&d1, true, None)),
                Some(true),
            ),
            (
                "SEC1 without a point, another scalar",
                ec_cert.clone(),
                pem("EC PRIVATE KEY", &sec1_key(&d2, true, None)),
                Some(false),
            ),
            (
                "PKCS#8 EC",
                ec_cert.clone(),
                pem("PRIVATE KEY", &pkcs8_ec(sec1_key(&d1, false, None))),
                Some(true),
            ),
            (
                "an RSA key for an EC certificate",
                ec_cert.clone(),
                pem("RSA PRIVATE KEY", &rsa_key(&n, &e)),
                Some(false),
            ),
            (
                "an EC key for an RSA certificate",
                rsa_cert.clone(),
                pem("EC PRIVATE KEY", &sec1_key(&d1, true, None)),
                Some(false),
            ),
            (
                "not real PEM",
                "PLACEHOLDER".into(),
                "PLACEHOLDER".into(),
                None,
            ),
            (
                "a certificate that does not parse",
                pem("CERTIFICATE", b"\x30\x03junk"),
                pem("RSA PRIVATE KEY", &rsa_key(&n, &e)),
                None,
            ),
            (
                "a key that does not parse",
                rsa_cert.clone(),
                pem("RSA PRIVATE KEY", b"\x30\x01"),
                None,
            ),
            (
                "an Ed25519 key",
                rsa_cert,
                pem(
                    "PRIVATE KEY",
                    &seq(&[
                        der(0x02, &[0]),
                        seq(&[der(0x06, &[0x2b, 0x65, 0x70])]),
                        der(0x04, &der(0x04, &[9; 32])),
                    ]),
                ),
                None,
            ),
        ];
        for (what, crt, key, want) in cases {
            assert_eq!(matches(&crt, &key), want, "{what}");
        }
    }
}
