//! JWT and JWKS: tokens are decoded (base64url JSON header and claims), checked for expiry,
//! issuer and audience, matched to a JWKS key by `kid`/`alg`, and their signatures verified with
//! the small primitives in [`super::crypto`]: RS256/RS384/RS512 (RSA PKCS#1 v1.5) and ES256.
//! Other algorithms (PS*, ES384/512, HS*, EdDSA) are matched by key type only, and the caller
//! says in the trace that their signatures are assumed valid.

use super::codec::base64_decode;
use super::crypto::{es256_verify, rsa_pkcs1_verify};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct Jwt {
    pub header: Value,
    pub claims: Value,
    /// `header.payload` as it appeared in the token: the bytes the signature covers.
    pub signing_input: String,
    pub signature: Vec<u8>,
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
    let signature = match base64_decode(parts[2]) {
        Some(sig) if !sig.is_empty() => sig,
        _ => return Err("the signature is missing or not base64url".into()),
    };
    Ok(Jwt {
        header,
        claims,
        signing_input: format!("{}.{}", parts[0], parts[1]),
        signature,
    })
}

/// One key of a JWKS.
#[derive(Debug, Clone, PartialEq)]
pub struct Jwk {
    pub kty: String,
    pub kid: Option<String>,
    pub alg: Option<String>,
    /// Decoded key members by name (`n`, `e`, `x`, `y`, `k`); `crv` is kept as text.
    pub crv: Option<String>,
    pub members: Vec<(String, Vec<u8>)>,
}

impl Jwk {
    fn member(&self, name: &str) -> Option<&[u8]> {
        self.members
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }
}

/// Keys read from one JWKS at most. Real key sets hold a handful (a current key and one or two
/// being rotated in or out); a larger set is refused with a `jwks-invalid` diagnostic rather than
/// decoded, so a hostile set cannot make every request pay for thousands of keys.
pub const MAX_JWKS_KEYS: usize = 64;

/// Signature checks per token at most. A token whose `kid` is absent (or a JWKS whose keys have
/// none) matches every key of its type; Envoy's verifier then tries them in order. gwlab tries
/// the first [`MAX_KEYS_TRIED`] and, when more keys matched and none of those verified, says so
/// ([`Signature::TooManyKeys`]) instead of spending up to 55 ms per 16,384-bit key on the rest.
pub const MAX_KEYS_TRIED: usize = 4;

/// Parses a JWKS document: a JSON object with a non-empty `keys` array, of at most
/// [`MAX_JWKS_KEYS`] keys, whose keys have the members their `kty` requires (RSA: n, e; EC: crv,
/// x, y; oct: k; OKP: crv, x).
pub fn parse_jwks(text: &str) -> Result<Vec<Jwk>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let keys = v
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("no `keys` array")?;
    if keys.is_empty() {
        return Err("`keys` is empty".into());
    }
    if keys.len() > MAX_JWKS_KEYS {
        return Err(format!(
            "{} keys: gwlab reads at most {MAX_JWKS_KEYS} keys per JWKS",
            keys.len()
        ));
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
        let mut members = Vec::new();
        for m in need {
            let s = k
                .get(*m)
                .and_then(Value::as_str)
                .ok_or(format!("key {i} ({kty}) lacks `{m}`"))?;
            if *m != "crv" {
                let bytes =
                    base64_decode(s).ok_or(format!("key {i} member `{m}` is not base64url"))?;
                members.push((m.to_string(), bytes));
            }
        }
        out.push(Jwk {
            kty: kty.to_string(),
            kid: k.get("kid").and_then(Value::as_str).map(str::to_string),
            alg: k.get("alg").and_then(Value::as_str).map(str::to_string),
            crv: k.get("crv").and_then(Value::as_str).map(str::to_string),
            members,
        });
    }
    Ok(out)
}

/// The keys that could have signed a token with this header (kid, key type and alg agree).
fn candidates<'a>(jwt: &Jwt, keys: &'a [Jwk]) -> Vec<&'a Jwk> {
    let fam = match jwt.alg().get(..2) {
        Some("RS") | Some("PS") => "RSA",
        Some("ES") => "EC",
        Some("HS") => "oct",
        Some("Ed") => "OKP",
        _ => return Vec::new(),
    };
    keys.iter()
        .filter(|k| {
            k.kty == fam
                && (jwt.kid().is_none() || k.kid.is_none() || k.kid.as_deref() == jwt.kid())
                && k.alg.as_deref().is_none_or(|a| a == jwt.alg())
        })
        .collect()
}

/// Whether a key could have signed a token with this header (kid and key type agree).
pub fn key_matches(jwt: &Jwt, keys: &[Jwk]) -> bool {
    !candidates(jwt, keys).is_empty()
}

/// The outcome of checking a token's signature against a JWKS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signature {
    /// A key of the JWKS verified the signature.
    Verified,
    /// A key matches, but gwlab does not implement this algorithm: assumed valid.
    Assumed,
    /// No key of the JWKS matches the token's kid/alg.
    NoKey,
    /// Keys match, but none verifies the signature.
    Invalid,
    /// More than [`MAX_KEYS_TRIED`] keys match and none of the first ones verifies: the rest were
    /// not tried. Holds the number of matching keys.
    TooManyKeys(usize),
}

/// Verifies the token's signature with the matching keys of a JWKS (at most [`MAX_KEYS_TRIED`]).
pub fn verify(jwt: &Jwt, keys: &[Jwk]) -> Signature {
    let matching = candidates(jwt, keys).len();
    match verify_tried(jwt, keys) {
        Signature::Invalid if matching > MAX_KEYS_TRIED => Signature::TooManyKeys(matching),
        v => v,
    }
}

/// The verdict of the first [`MAX_KEYS_TRIED`] matching keys, remembered per token and keys.
fn verify_tried(jwt: &Jwt, keys: &[Jwk]) -> Signature {
    let mut cands = candidates(jwt, keys);
    if cands.is_empty() {
        return Signature::NoKey;
    }
    cands.truncate(MAX_KEYS_TRIED);
    let input = jwt.signing_input.as_bytes();
    let sig = &jwt.signature;
    if !matches!(jwt.alg(), "RS256" | "RS384" | "RS512" | "ES256") {
        return Signature::Assumed;
    }
    // The same token against the same keys always gets the same verdict; the playground re-routes
    // every saved request on each edit, and a signature check is by far the costliest step of a route
    // (milliseconds in wasm for a 2,048-bit RSA key).
    let mut memo_key = Vec::with_capacity(input.len() + sig.len() + 600);
    for part in [jwt.alg().as_bytes(), input, sig] {
        memo_key.extend_from_slice(&(part.len() as u64).to_le_bytes());
        memo_key.extend_from_slice(part);
    }
    for k in &cands {
        for m in [
            k.crv.as_deref().map(str::as_bytes),
            k.member("n"),
            k.member("e"),
            k.member("x"),
            k.member("y"),
        ] {
            let m = m.unwrap_or(&[]);
            memo_key.extend_from_slice(&(m.len() as u64).to_le_bytes());
            memo_key.extend_from_slice(m);
        }
    }
    if let Some(v) = VERDICTS.with(|c| c.borrow().get(&memo_key).cloned()) {
        return v;
    }
    let verdict = verify_uncached(jwt, &cands, input, sig);
    VERDICTS.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= VERDICTS_MAX {
            c.clear();
        }
        c.insert(memo_key, verdict.clone());
    });
    verdict
}

/// How many verdicts [`verify`] remembers (per thread) before it starts over.
const VERDICTS_MAX: usize = 256;

thread_local! {
    static VERDICTS: std::cell::RefCell<std::collections::HashMap<Vec<u8>, Signature>> = Default::default();
}

fn verify_uncached(jwt: &Jwt, cands: &[&Jwk], input: &[u8], sig: &[u8]) -> Signature {
    let rsa_bits = match jwt.alg() {
        "RS256" => Some(256),
        "RS384" => Some(384),
        "RS512" => Some(512),
        _ => None,
    };
    let ok = match (rsa_bits, jwt.alg()) {
        (Some(bits), _) => cands.iter().any(|k| match (k.member("n"), k.member("e")) {
            (Some(n), Some(e)) => rsa_pkcs1_verify(bits, n, e, input, sig),
            _ => false,
        }),
        (None, "ES256") => cands.iter().any(|k| {
            k.crv.as_deref() == Some("P-256")
                && match (k.member("x"), k.member("y")) {
                    (Some(x), Some(y)) => es256_verify(x, y, input, sig),
                    _ => false,
                }
        }),
        _ => return Signature::Assumed,
    };
    if ok {
        Signature::Verified
    } else {
        Signature::Invalid
    }
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

    // The demo key and tokens of the CORS/JWT scenario (RS256, 2048-bit key).
    const DEMO_JWKS: &str = r#"{"keys":[{"kty":"RSA","kid":"gwlab-demo","use":"sig","alg":"RS256","n":"kGmSkmiwc920PNAZIgyU1jJgxuP3y9megv6UNd54_uCEy73B6TJEP2ghir3rqJicLI4FomrvrrlHekbfuZvK-_ZaiFQhmq8IHVRscR1ttR7GAfb5iQ1-8r-s1RQOt3Mtd2JjbbdLoEyk4_cjxbh6epwbjInHtVGfyRBNgUonlORa7NSAtJ9iPR6K--Ksg3GBQ5lVLHIPDfq3fK5I6NsbEZiyNEltlk8_22D0ZMIfP34IALvsGZe1nA0Rqjpxns43VV38M1A37gaSunFZDPPaUz9q_8bwCPYDK_L79TnttTXEIwJ6D0cSY8PzTw_wmZZImER9-XJjiuOlKrlJQEYhkw","e":"AQAB"}]}"#;
    const GOOD: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6Imd3bGFiLWRlbW8ifQ.eyJpc3MiOiJodHRwczovL2F1dGguZXhhbXBsZS5jb20iLCJzdWIiOiJhbGljZSIsImF1ZCI6ImFwaS5leGFtcGxlLmNvbSIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjo0MTAyNDQ0ODAwfQ.NmtRsAKWjprmPYzG3U58plQfKNcaim1tqbE4mpgyVxUBrqROomzW7_uiMnM7whuuZZbp4wj3NuFCe0_xzDKd55KGGOIfgIE3e7Ra4upO6xcIZQZsjLVnWmm7ZO-xw_7UPq3gvVpvqdULDy_6_rVOuZGQSPC6oY-FlxNPV4nnpX2zsH4Fl8CtnFDmcPo-av6ODTGjIhnmOIZSB9aXOibdCyyuWVXYoJNNg7KTyzyBfN79RAqudtSHK-xgtMtALFXlPMyVPOhnpR9VKGIAP_RYPvbZhJ0gjfw2lO0ATBxF4CwFiOhXyTerZFr-NarpJffYezlq3tT7QOJNZzu8oHIsEg";
    const TAMPERED: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6Imd3bGFiLWRlbW8ifQ.eyJpc3MiOiJodHRwczovL2F1dGguZXhhbXBsZS5jb20iLCJzdWIiOiJhbGljZSIsImF1ZCI6ImFwaS5leGFtcGxlLmNvbSIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjo0MTAyNDQ0ODAwfQ.NmtRsAKWjprmPYzG3U58plQfKNcaim1tqbE4mpgyVxUBrqROomzW7_uiMnM7whuuZZbp4wj3NuFCe0_xzDKd55KGGOIfgIE3e7Ra4upO6xcIZQZsjLVnWmm7ZO-xw_7UPq3gvVpvqdULDy_6_rVOuZGQSPC6oY-FlxNPV4nnpX2zsH4Fl8CtnFDmcPo-av6ODTGjIhnmOIZSB9aXOibdCyyuWVXYoJNNg7KTyzyBfN79RAqudtSHK-xgtMtALFXlPMyVPOhnpR9VKGIAP_RYPvbZhJ0gjfw2lO0ATBxF4CwFiOhXyTerZFr-NarpJffYezlq3tT7QOJNZzu8AAAAAA";
    const WRONG_AUD: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6Imd3bGFiLWRlbW8ifQ.eyJpc3MiOiJodHRwczovL2F1dGguZXhhbXBsZS5jb20iLCJzdWIiOiJib2IiLCJhdWQiOiJvdGhlci5leGFtcGxlLmNvbSIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjo0MTAyNDQ0ODAwfQ.RS5nWio5tZOgnxa_2-YGYDY04VPfvPu7DS36t6dDCDcV48SUCjy5uMraKhKz9C57VI8FC2-fhFl6KxaKZqedpcKl7bG1VJtcy5uNB1BFPsLm7Clc-2Drup44qmSgug6JjuNjXs610oR-OEaJorFz9K9ZKTTefd6G7-F-HLjcvolOJJexImABJxQNDbGt39uuc0Y4rwFz6KkIHYFEgKmzXSFLIfhoW3DiPqAawIneJlUDDrnZduclS85WK5LjiQ5UEjkjZWElUbyNowy0tb49a85yWSX6sBCK6bEV2-wnuROAmJROPOSiJFaH_4mrPAp7NKhoTp_n8Rly6F9CTGDFgA";

    #[test]
    fn remembered_verdicts_follow_the_token_and_the_key() {
        let keys = parse_jwks(DEMO_JWKS).unwrap();
        let good = decode(GOOD).unwrap();
        for _ in 0..2 {
            assert_eq!(verify(&good, &keys), Signature::Verified);
            assert_eq!(
                verify(&decode(TAMPERED).unwrap(), &keys),
                Signature::Invalid
            );
        }
        // The same kid with another modulus: the verdict is not the one remembered for the demo key.
        let other = DEMO_JWKS.replace("\"n\":\"kGmS", "\"n\":\"kGmT");
        let other = parse_jwks(&other).unwrap();
        assert_eq!(verify(&good, &other), Signature::Invalid);
        assert_eq!(verify(&good, &keys), Signature::Verified);
        // More verdicts than are remembered: the oldest are dropped, answers stay right.
        for i in 0..VERDICTS_MAX + 5 {
            let mut t = decode(TAMPERED).unwrap();
            t.signing_input.push_str(&i.to_string());
            assert_eq!(verify(&t, &keys), Signature::Invalid);
        }
        assert_eq!(verify(&good, &keys), Signature::Verified);
    }

    #[test]
    fn rs256_signatures_verify() {
        let keys = parse_jwks(DEMO_JWKS).unwrap();
        let good = decode(GOOD).unwrap();
        assert_eq!(verify(&good, &keys), Signature::Verified);
        assert_eq!(good.claim_text("sub").as_deref(), Some("alice"));
        assert_eq!(
            verify(&decode(WRONG_AUD).unwrap(), &keys),
            Signature::Verified
        );
        assert_eq!(
            verify(&decode(TAMPERED).unwrap(), &keys),
            Signature::Invalid
        );
        // The payload changed under a valid signature.
        let parts: Vec<&str> = GOOD.split('.').collect();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            WRONG_AUD.split('.').nth(1).unwrap(),
            parts[2]
        );
        assert_eq!(verify(&decode(&forged).unwrap(), &keys), Signature::Invalid);
        // The right signature under another alg or kid finds no key.
        let other_kid = format!(
            "{}.{}.{}",
            base64url_encode(br#"{"alg":"RS256","kid":"nope"}"#),
            parts[1],
            parts[2]
        );
        assert_eq!(
            verify(&decode(&other_kid).unwrap(), &keys),
            Signature::NoKey
        );
        // The same key as RS384: a key with alg RS256 does not match it.
        let rs384 = format!(
            "{}.{}.{}",
            base64url_encode(br#"{"alg":"RS384"}"#),
            parts[1],
            parts[2]
        );
        assert_eq!(verify(&decode(&rs384).unwrap(), &keys), Signature::NoKey);
        let no_alg = DEMO_JWKS.replace(r#""alg":"RS256","#, "");
        let keys2 = parse_jwks(&no_alg).unwrap();
        assert_eq!(verify(&decode(&rs384).unwrap(), &keys2), Signature::Invalid);
    }

    #[test]
    fn keys_per_jwks_and_keys_tried_per_token_are_capped() {
        let demo = parse_jwks(DEMO_JWKS).unwrap().remove(0);
        let good = decode(GOOD).unwrap();
        // A kid-less key that does not verify: the demo modulus with its last byte changed.
        let mut wrong = demo.clone();
        wrong.kid = None;
        if let Some((_, n)) = wrong.members.iter_mut().find(|(m, _)| m == "n") {
            *n.last_mut().unwrap() ^= 2;
        }
        let set = |wrong_before: usize| {
            let mut keys = vec![wrong.clone(); wrong_before];
            keys.push(demo.clone());
            keys
        };
        // The right key among the first MAX_KEYS_TRIED is found ...
        assert_eq!(verify(&good, &set(MAX_KEYS_TRIED - 1)), Signature::Verified);
        // ... one past them is not tried, and the verdict says why.
        assert_eq!(
            verify(&good, &set(MAX_KEYS_TRIED)),
            Signature::TooManyKeys(MAX_KEYS_TRIED + 1)
        );
        assert_eq!(verify(&good, &set(63)), Signature::TooManyKeys(64));
        // Too few matching keys to hit the cap: an honest Invalid.
        assert_eq!(
            verify(&good, &vec![wrong.clone(); MAX_KEYS_TRIED]),
            Signature::Invalid
        );
        let jwks = |n: usize| {
            format!(
                r#"{{"keys":[{}]}}"#,
                vec![r#"{"kty":"oct","k":"AQAB"}"#; n].join(",")
            )
        };
        assert_eq!(
            parse_jwks(&jwks(MAX_JWKS_KEYS)).unwrap().len(),
            MAX_JWKS_KEYS
        );
        let e = parse_jwks(&jwks(1_000)).unwrap_err();
        assert!(e.contains("1000 keys") && e.contains("at most 64"), "{e}");
    }

    #[test]
    fn es256_and_unverified_algorithms() {
        // RFC 7515 Appendix A.3 (ES256).
        let jwks = r#"{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#;
        let keys = parse_jwks(jwks).unwrap();
        let tok = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
        assert_eq!(verify(&decode(tok).unwrap(), &keys), Signature::Verified);
        let bad = format!("{}AAAA", &tok[..tok.len() - 4]);
        assert_eq!(verify(&decode(&bad).unwrap(), &keys), Signature::Invalid);
        // ES384 is matched by key type only.
        let es384 = token(r#"{"alg":"ES384"}"#, "{}");
        assert_eq!(verify(&decode(&es384).unwrap(), &keys), Signature::Assumed);
    }
}
