//! HTTPRouteFilter (an ExtensionRef filter): `directResponse` and the regex path rewrite.

use super::types::*;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DirectReply {
    pub status: u16,
    pub body: Option<String>,
    pub content_type: Option<String>,
}

/// The reply of a `directResponse` filter: status defaults to **200**. A body from a ConfigMap is
/// looked up by the caller (`valueRef`); here only inline bodies are returned.
pub fn direct_response(f: &HttpRouteFilterSpec) -> Option<DirectReply> {
    let d = f.direct_response.as_ref()?;
    Some(DirectReply {
        status: d.status_code.unwrap_or(200),
        body: d.body.as_ref().and_then(|b| b.inline.clone()),
        content_type: d.content_type.clone(),
    })
}

/// Envoy `regex_rewrite`: every match of the RE2 pattern in the path (not the query) is replaced;
/// `\1`-style group references in the substitution are honoured. None when there is no regex
/// rewrite or the pattern does not compile.
pub fn rewrite_path(f: &HttpRouteFilterSpec, path_and_query: &str) -> Option<String> {
    let r = f
        .url_rewrite
        .as_ref()?
        .path
        .as_ref()?
        .replace_regex_match
        .as_ref()?;
    let re = regex::Regex::new(&r.pattern).ok()?;
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_and_query, None),
    };
    let sub = envoy_substitution(&r.substitution);
    let out = re.replace_all(path, sub.as_str()).into_owned();
    Some(match query {
        Some(q) => format!("{out}?{q}"),
        None => out,
    })
}

/// `\1` → `${1}`, and a literal `$` escaped for the regex crate.
fn envoy_substitution(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek().is_some_and(|d| d.is_ascii_digit()) => {
                let d = chars.next().unwrap();
                out.push_str(&format!("${{{d}}}"));
            }
            '\\' if chars.peek() == Some(&'\\') => {
                chars.next();
                out.push('\\');
            }
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out
}
