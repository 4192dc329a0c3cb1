//! The share-link format: `#s=` + base64url (no padding) of raw DEFLATE (RFC 1951) of UTF-8 JSON
//! `{"v":1,"manifests":"<yaml>","requests":["<line>",...]}`. See `web/SHARE-FORMAT.md`.
use serde::{Deserialize, Serialize};

pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub v: u32,
    pub manifests: String,
    #[serde(default)]
    pub requests: Vec<String>,
}

impl State {
    pub fn new(manifests: impl Into<String>, requests: Vec<String>) -> Self {
        State {
            v: VERSION,
            manifests: manifests.into(),
            requests,
        }
    }
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("state serializes")
    }
    pub fn from_json(s: &str) -> Result<Self, String> {
        let st: State = serde_json::from_str(s).map_err(|e| format!("not a gwlab state: {e}"))?;
        if st.v != VERSION {
            return Err(format!(
                "unsupported state version {} (this build reads version {VERSION})",
                st.v
            ));
        }
        Ok(st)
    }
}

/// The fragment payload (without the leading `#s=`).
pub fn encode(state: &State) -> String {
    let deflated = miniz_oxide::deflate::compress_to_vec(state.to_json().as_bytes(), 9);
    b64url_encode(&deflated)
}

pub fn decode(payload: &str) -> Result<State, String> {
    let bytes = b64url_decode(payload.trim()).ok_or("the link is not valid base64url")?;
    let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&bytes, 16 << 20)
        .map_err(|_| "the link's data is not raw DEFLATE (is the link truncated?)".to_string())?;
    let text = String::from_utf8(json).map_err(|_| "the link's data is not UTF-8".to_string())?;
    State::from_json(&text)
}

/// Finds `s=` in a URL fragment (`#s=…`, also `#a=b&s=…`).
pub fn from_fragment(fragment: &str) -> Option<&str> {
    fragment
        .trim_start_matches('#')
        .split('&')
        .find_map(|kv| kv.strip_prefix("s="))
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

pub fn b64url_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Accepts base64url with or without padding (and, leniently, the standard `+/` alphabet).
pub fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    gwlab::eg::codec::base64_decode(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips_every_length() {
        for n in 0..40u8 {
            let data: Vec<u8> = (0..n)
                .map(|i| i.wrapping_mul(37).wrapping_add(250))
                .collect();
            let enc = b64url_encode(&data);
            assert!(!enc.contains('=') && !enc.contains('+') && !enc.contains('/'));
            assert_eq!(b64url_decode(&enc).unwrap(), data, "length {n}");
        }
        assert_eq!(b64url_encode(b"hello?>"), "aGVsbG8_Pg");
        assert_eq!(b64url_decode("aGVsbG8_Pg==").unwrap(), b"hello?>");
        assert!(b64url_decode("a").is_none());
        assert!(b64url_decode("a b").is_none());
    }

    #[test]
    fn state_round_trips_through_a_link() {
        let st = State::new(
            "kind: Gateway\nmetadata:\n  name: gw # ünïcode\n",
            vec!["GET http://a.example.com/".into()],
        );
        let link = encode(&st);
        assert_eq!(decode(&link).unwrap(), st);
        assert_eq!(from_fragment(&format!("#s={link}")), Some(link.as_str()));
        assert_eq!(
            from_fragment(&format!("#x=1&s={link}")),
            Some(link.as_str())
        );
        assert_eq!(from_fragment("#other"), None);
    }

    #[test]
    fn json_shape_is_the_documented_one() {
        let st = State::new("a: 1\n", vec!["GET http://x/".into()]);
        assert_eq!(
            st.to_json(),
            r#"{"v":1,"manifests":"a: 1\n","requests":["GET http://x/"]}"#
        );
        // A link made by another tool with a plain DEFLATE library decodes too.
        let raw = miniz_oxide::deflate::compress_to_vec(br#"{"v":1,"manifests":"x: y"}"#, 1);
        assert_eq!(
            decode(&b64url_encode(&raw)).unwrap(),
            State::new("x: y", vec![])
        );
    }

    #[test]
    fn links_made_by_node_and_python_decode() {
        let want = State::new("kind: Gateway\n", vec!["GET http://a/".into()]);
        // zlib.deflateRawSync(JSON.stringify(...)).toString("base64url") in Node.
        let node = "q1YqU7Iy1FHKTczLTEstLilWslLKzsxLsVJwTyxJLU-sjMlT0lEqSi0shUhGK7m7hihklJQUWOnrJ-orxdYCAA";
        // The Python recipe of web/SHARE-FORMAT.md (json.dumps puts spaces after separators).
        let python = "q1YqU7JSMNRRUMpNzMtMSy0uKQbylbIz81KsFNwTS1LLEytj8pSA8kWphaVQ6Wgld9cQhYySkgIrff1EfaXYWgA";
        assert_eq!(decode(node).unwrap(), want);
        assert_eq!(decode(python).unwrap(), want);
    }

    #[test]
    fn bad_links_are_explained_not_panicked_on() {
        assert!(decode("!!!").unwrap_err().contains("base64url"));
        assert!(decode("AAAA").is_err());
        let v2 = miniz_oxide::deflate::compress_to_vec(br#"{"v":2,"manifests":""}"#, 6);
        assert!(decode(&b64url_encode(&v2))
            .unwrap_err()
            .contains("version 2"));
    }
}
