//! JWT and JWKS, as far as a simulator can go without a crypto library: tokens are decoded
//! (base64url JSON header and claims), checked for expiry, issuer and audience, and matched to a
//! JWKS key by `kid`/`alg`. **Signatures are not verified**: the trace says so, and a token that is
//! well-formed is assumed to be signed by the provider's key.

use super::codec::base64_decode;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct Jwt {
    pub header: Value,
    pub claims: Value,
}

impl Jwt {
    pub fn alg(&self) -> &str {
        self.header.get("alg").and_then(Value::as_str).unwrap_or("")
    }
    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }
    pub fn issuer(&self) -> Option<&str> {
        self.claims.get("iss").and_then(Value::as_str)
    }
    /// `aud` as a list (a string or an array of strings).
    pub fn audiences(&self) -> Vec<String> {
        match self.claims.get("aud") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    }
    /// A claim by name; nested claims use dots (`org.team`), as Envoy's claim paths do.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        let mut v = &self.claims;
        for part in name.split('.') {
            v = v.get(part)?;
        }
        Some(v)
    }
    /// The claim as header text: strings as-is, numbers/bools printed, arrays comma-joined.
    pub fn claim_text(&self, name: &str) -> Option<String> {
        Some(match self.claim(name)? {
            Value::String(s) => s.clone(),
            Value::Array(a) => a
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string())
                })
                .collect::<Vec<_>>()
                .join(","),
            Value::Object(_) => return None,
            other => other.to_string(),
        })
    }
    /// Scopes from `scope`/`scp` (space-separated string or array).
    pub fn scopes(&self) -> Vec<String> {
        let mut out = Vec::new();
        for k in ["scope", "scp"] {
            match self.claims.get(k) {
                Some(Value::String(s)) => {
                    out.extend(s.split(' ').filter(|x| !x.is_empty()).map(str::to_string))
                }
                Some(Value::Array(a)) => {
                    out.extend(a.iter().filter_map(|v| v.as_str().map(str::to_string)))
                }
                _ => {}
            }
        }
        out
    }
}

/// Decodes a compact JWS (`header.payload.signature`). The signature is not checked.
pub fn decode(token: &str) -> Result<Jwt, String> {
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(format!(
            "a JWT has 3 dot-separated parts, this one has {}",
            parts.len()
        ));
    }
    let part = |i: usize, what: &str| -> Result<Value, String> {
        let bytes =
            base64_decode(parts[i]).ok_or_else(|| format!("the {what} is not base64url"))?;
        let v: Value =
            serde_json::from_slice(&bytes).map_err(|e| format!("the {what} is not JSON: {e}"))?;
        if !v.is_object() {
            return Err(format!("the {what} is not a JSON object"));
        }
        Ok(v)
    };
    let header = part(0, "header")?;
    let claims = part(1, "payload")?;
    if parts[2].is_empty() || base64_decode(parts[2]).is_none() {
        return Err("the signature is missing or not base64url".into());
    }
    Ok(Jwt { header, claims })
}

/// One key of a JWKS.
#[derive(Debug, Clone, PartialEq)]
pub struct Jwk {
    pub kty: String,
    pub kid: Option<String>,
    pub alg: Option<String>,
}

/// Parses a JWKS document: a JSON object with a non-empty `keys` array whose keys have the
/// members their `kty` requires (RSA: n, e; EC: crv, x, y; oct: k; OKP: crv, x).
pub fn parse_jwks(text: &str) -> Result<Vec<Jwk>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let keys = v
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("no `keys` array")?;
    if keys.is_empty() {
        return Err("`keys` is empty".into());
    }
    let mut out = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let kty = k
            .get("kty")
            .and_then(Value::as_str)
            .ok_or(format!("key {i} has no `kty`"))?;
        let need: &[&str] = match kty {
            "RSA" => &["n", "e"],
            "EC" => &["crv", "x", "y"],
            "oct" => &["k"],
            "OKP" => &["crv", "x"],
            other => return Err(format!("key {i} has unsupported kty `{other}`")),
        };
        for m in need {
            let s = k
                .get(*m)
                .and_then(Value::as_str)
                .ok_or(format!("key {i} ({kty}) lacks `{m}`"))?;
            if *m != "crv" && base64_decode(s).is_none() {
                return Err(format!("key {i} member `{m}` is not base64url"));
            }
        }
        out.push(Jwk {
            kty: kty.to_string(),
            kid: k.get("kid").and_then(Value::as_str).map(str::to_string),
            alg: k.get("alg").and_then(Value::as_str).map(str::to_string),
        });
    }
    Ok(out)
}

/// Whether a key could have signed a token with this header (kid and key type agree).
pub fn key_matches(jwt: &Jwt, keys: &[Jwk]) -> bool {
    let fam = match jwt.alg().get(..2) {
        Some("RS") | Some("PS") => "RSA",
        Some("ES") => "EC",
        Some("HS") => "oct",
        Some("Ed") => "OKP",
        _ => return false,
    };
    keys.iter().any(|k| {
        k.kty == fam && (jwt.kid().is_none() || k.kid.is_none() || k.kid.as_deref() == jwt.kid())
    })
}

#[cfg(test)]
mod tests {
    use super::super::codec::base64url_encode;
    use super::*;

    pub fn token(header: &str, claims: &str) -> String {
        format!(
            "{}.{}.c2ln",
            base64url_encode(header.as_bytes()),
            base64url_encode(claims.as_bytes())
        )
    }

    #[test]
    fn decodes_claims_and_scopes() {
        let t = token(
            r#"{"alg":"RS256","kid":"k1"}"#,
            r#"{"iss":"https://i","aud":["a","b"],"scope":"read write","org":{"team":"x"}}"#,
        );
        let j = decode(&t).unwrap();
        assert_eq!(j.issuer(), Some("https://i"));
        assert_eq!(j.audiences(), vec!["a", "b"]);
        assert_eq!(j.scopes(), vec!["read", "write"]);
        assert_eq!(j.claim_text("org.team").as_deref(), Some("x"));
        assert!(decode("a.b").is_err());
        assert!(decode("!!.e30.c2ln").is_err());
    }

    #[test]
    fn jwks_shapes() {
        assert!(parse_jwks(r#"{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","kid":"k1"}]}"#).is_ok());
        assert!(parse_jwks(r#"{"keys":[]}"#).is_err());
        assert!(parse_jwks(r#"{"keys":[{"kty":"RSA","e":"AQAB"}]}"#).is_err());
        assert!(parse_jwks("not json").is_err());
    }
}
