//! Compiled request matchers (path, headers, query, method, gRPC method) and Envoy Gateway's
//! precedence key. Regexes are compiled once, with size limits, when the table is built.

use regex::{Regex, RegexBuilder};
use std::borrow::Cow;

/// Compiles an RE2-style pattern that must match the whole input. Size limits keep hostile
/// patterns from eating memory; the regex engine itself runs in linear time.
pub fn compile_regex(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(1 << 20)
        .nest_limit(64)
        .build()
        .map_err(|e| {
            let s = e.to_string();
            s.lines().last().unwrap_or(&s).trim().to_string()
        })
}

#[derive(Debug, Clone)]
pub enum PathMatch {
    /// Whole-path, case-sensitive.
    Exact(String),
    /// Segment-aware prefix, stored without its trailing `/` ("" = everything). `written` is the
    /// value as configured (its length is the precedence length).
    Prefix {
        trimmed: String,
        written: String,
    },
    Regex {
        re: Regex,
        pattern: String,
    },
}

impl PathMatch {
    pub fn prefix(written: &str) -> PathMatch {
        let trimmed = written.trim_end_matches('/').to_string();
        PathMatch::Prefix {
            trimmed,
            written: written.to_string(),
        }
    }
    pub fn rank(&self) -> u8 {
        match self {
            PathMatch::Exact(_) => 2,
            PathMatch::Regex { .. } => 1,
            PathMatch::Prefix { .. } => 0,
        }
    }
    /// Envoy Gateway's precedence length: characters of the value; prefix `/` counts 0.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        match self {
            PathMatch::Exact(v) => v.chars().count(),
            PathMatch::Prefix { written, .. } => {
                if written == "/" {
                    0
                } else {
                    written.chars().count()
                }
            }
            PathMatch::Regex { pattern, .. } => pattern.chars().count(),
        }
    }
    pub fn matches(&self, path: &str) -> bool {
        match self {
            PathMatch::Exact(v) => path == v,
            PathMatch::Prefix { trimmed, .. } => prefix_matches(trimmed, path),
            PathMatch::Regex { re, .. } => re.is_match(path),
        }
    }
    pub fn describe(&self) -> String {
        match self {
            PathMatch::Exact(v) => format!("Exact {v}"),
            PathMatch::Prefix { written, .. } => format!("PathPrefix {written}"),
            PathMatch::Regex { pattern, .. } => format!("RegularExpression {pattern}"),
        }
    }
    pub fn type_name(&self) -> &'static str {
        match self {
            PathMatch::Exact(_) => "Exact",
            PathMatch::Prefix { .. } => "PathPrefix",
            PathMatch::Regex { .. } => "RegularExpression",
        }
    }
    pub fn value(&self) -> &str {
        match self {
            PathMatch::Exact(v) => v,
            PathMatch::Prefix { written, .. } => written,
            PathMatch::Regex { pattern, .. } => pattern,
        }
    }
    /// Every request this matcher accepts, `other` accepts too (conservative: false when unsure).
    pub fn covers(&self, other: &PathMatch) -> bool {
        match (self, other) {
            (PathMatch::Prefix { trimmed: a, .. }, PathMatch::Prefix { trimmed: b, .. }) => {
                prefix_matches(a, b)
            }
            (PathMatch::Prefix { trimmed: a, .. }, PathMatch::Exact(x)) => prefix_matches(a, x),
            (PathMatch::Prefix { trimmed, .. }, PathMatch::Regex { .. }) => trimmed.is_empty(),
            (PathMatch::Exact(a), PathMatch::Exact(b)) => a == b,
            (PathMatch::Regex { pattern: a, .. }, PathMatch::Regex { pattern: b, .. }) => a == b,
            (PathMatch::Regex { re, .. }, PathMatch::Exact(x)) => re.is_match(x),
            _ => false,
        }
    }
}

/// Segment-aware prefix: `/abc` matches `/abc`, `/abc/` and `/abc/def`, never `/abcd`.
pub fn prefix_matches(trimmed: &str, path: &str) -> bool {
    if trimmed.is_empty() {
        return true;
    }
    match path.strip_prefix(trimmed) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

#[derive(Debug, Clone)]
pub enum ValueMatch {
    Exact(String),
    Regex {
        re: Regex,
        pattern: String,
    },
    /// gRPC method-only matches become a `:path` suffix match in Envoy Gateway.
    Suffix(String),
}

impl ValueMatch {
    pub fn matches(&self, v: &str) -> bool {
        match self {
            ValueMatch::Exact(x) => v == x,
            ValueMatch::Regex { re, .. } => re.is_match(v),
            ValueMatch::Suffix(s) => v.ends_with(s.as_str()),
        }
    }
    pub fn is_exact(&self) -> bool {
        matches!(self, ValueMatch::Exact(_))
    }
    pub fn describe(&self) -> String {
        match self {
            ValueMatch::Exact(x) => format!("= {x}"),
            ValueMatch::Regex { pattern, .. } => format!("~ {pattern}"),
            ValueMatch::Suffix(s) => format!("ends with {s}"),
        }
    }
    pub fn same(&self, o: &ValueMatch) -> bool {
        match (self, o) {
            (ValueMatch::Exact(a), ValueMatch::Exact(b))
            | (ValueMatch::Suffix(a), ValueMatch::Suffix(b)) => a == b,
            (ValueMatch::Regex { pattern: a, .. }, ValueMatch::Regex { pattern: b, .. }) => a == b,
            _ => false,
        }
    }
    pub fn type_name(&self) -> &'static str {
        match self {
            ValueMatch::Exact(_) => "Exact",
            ValueMatch::Regex { .. } => "RegularExpression",
            ValueMatch::Suffix(_) => "Suffix",
        }
    }
    pub fn value(&self) -> &str {
        match self {
            ValueMatch::Exact(x) | ValueMatch::Suffix(x) => x,
            ValueMatch::Regex { pattern, .. } => pattern,
        }
    }
}

/// A header (names lower-cased; `:method`, `:path` pseudo-headers allowed) or query condition.
#[derive(Debug, Clone)]
pub struct Cond {
    pub name: String,
    pub value: ValueMatch,
    /// JSON pointer of the condition in its route.
    pub pointer: String,
}

#[derive(Debug, Clone)]
pub struct Match {
    pub path: PathMatch,
    pub path_pointer: String,
    pub headers: Vec<Cond>,
    pub query: Vec<Cond>,
}

/// Envoy Gateway's sort key (`sort.go`); larger sorts first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PrecKey {
    pub path_rank: u8,
    pub path_len: usize,
    pub headers: usize,
    pub exact_headers: usize,
    pub query: usize,
    pub exact_query: usize,
}

impl Match {
    pub fn key(&self) -> PrecKey {
        PrecKey {
            path_rank: self.path.rank(),
            path_len: self.path.len(),
            headers: self.headers.len(),
            exact_headers: self.headers.iter().filter(|c| c.value.is_exact()).count(),
            query: self.query.len(),
            exact_query: self.query.iter().filter(|c| c.value.is_exact()).count(),
        }
    }

    /// Human form: `PathPrefix /api, header x-env = canary, query a = b`.
    pub fn describe(&self) -> String {
        let mut s = self.path.describe();
        for h in &self.headers {
            if h.name == ":method" {
                s.push_str(&format!(", method {}", h.value.value()));
            } else {
                s.push_str(&format!(", header {} {}", h.name, h.value.describe()));
            }
        }
        for q in &self.query {
            s.push_str(&format!(", query {} {}", q.name, q.value.describe()));
        }
        s
    }

    /// Checks the request; on a miss says which condition failed.
    pub fn check(&self, r: &ReqView) -> Result<(), Miss> {
        if !self.path.matches(&r.path) {
            return Err(Miss::Path);
        }
        for (i, h) in self.headers.iter().enumerate() {
            match r.header(&h.name) {
                None => return Err(Miss::HeaderMissing(i)),
                Some(v) if !h.value.matches(v) => return Err(Miss::HeaderValue(i)),
                _ => {}
            }
        }
        for (i, q) in self.query.iter().enumerate() {
            match r.query(&q.name) {
                None => return Err(Miss::QueryMissing(i)),
                Some(v) if !q.value.matches(v) => return Err(Miss::QueryValue(i)),
                _ => {}
            }
        }
        Ok(())
    }

    pub fn is_match(&self, r: &ReqView) -> bool {
        self.check(r).is_ok()
    }

    /// Every request `other` matches, `self` matches too.
    pub fn covers(&self, other: &Match) -> bool {
        self.path.covers(&other.path)
            && self.headers.iter().all(|a| {
                other
                    .headers
                    .iter()
                    .any(|b| a.name == b.name && a.value.same(&b.value))
            })
            && self.query.iter().all(|a| {
                other
                    .query
                    .iter()
                    .any(|b| a.name == b.name && a.value.same(&b.value))
            })
    }

    pub fn explain_miss(&self, miss: &Miss, r: &ReqView) -> (String, String) {
        match *miss {
            Miss::Path => (
                format!("path `{}` does not match {}", r.path, self.path.describe()),
                self.path_pointer.clone(),
            ),
            Miss::HeaderMissing(i) => {
                let h = &self.headers[i];
                if h.name == ":method" {
                    (
                        format!("method {} is not {}", r.method, h.value.value()),
                        h.pointer.clone(),
                    )
                } else {
                    (
                        format!(
                            "the request has no `{}` header (needs {})",
                            h.name,
                            h.value.describe()
                        ),
                        h.pointer.clone(),
                    )
                }
            }
            Miss::HeaderValue(i) => {
                let h = &self.headers[i];
                let got = r.header(&h.name).unwrap_or("");
                if h.name == ":method" {
                    (
                        format!("method {got} is not {}", h.value.value()),
                        h.pointer.clone(),
                    )
                } else if h.name == ":path" {
                    (
                        format!("gRPC method path `{got}` does not {}", h.value.describe()),
                        h.pointer.clone(),
                    )
                } else {
                    (
                        format!("header `{}` is `{got}`, not {}", h.name, h.value.describe()),
                        h.pointer.clone(),
                    )
                }
            }
            Miss::QueryMissing(i) => {
                let q = &self.query[i];
                (
                    format!(
                        "the query has no `{}` parameter (names are case-sensitive)",
                        q.name
                    ),
                    q.pointer.clone(),
                )
            }
            Miss::QueryValue(i) => {
                let q = &self.query[i];
                let got = r.query(&q.name).unwrap_or("");
                (
                    format!("query `{}` is `{got}`, not {}", q.name, q.value.describe()),
                    q.pointer.clone(),
                )
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Miss {
    Path,
    HeaderMissing(usize),
    HeaderValue(usize),
    QueryMissing(usize),
    QueryValue(usize),
}

/// Why `a` sorts before `b` (the first key that differs), in words.
pub fn why_before(a: &Match, b: &Match) -> String {
    let (ka, kb) = (a.key(), b.key());
    let method = |m: &Match| m.headers.iter().any(|h| h.name == ":method");
    let mut s = if ka == kb {
        "they tie on every precedence key, so the earlier one (route order, then rule, then match) wins".to_string()
    } else if ka.path_rank != kb.path_rank {
        format!(
            "{} path beats {} regardless of length",
            a.path.type_name(),
            b.path.type_name()
        )
    } else if ka.path_len != kb.path_len {
        format!(
            "its path value is longer ({} vs {} characters)",
            ka.path_len, kb.path_len
        )
    } else if ka.headers != kb.headers {
        format!(
            "it has more header matches ({} vs {})",
            ka.headers, kb.headers
        )
    } else if ka.exact_headers != kb.exact_headers {
        format!(
            "it has more exact header matches ({} vs {})",
            ka.exact_headers, kb.exact_headers
        )
    } else if ka.query != kb.query {
        format!(
            "it has more query-parameter matches ({} vs {})",
            ka.query, kb.query
        )
    } else {
        format!(
            "it has more exact query-parameter matches ({} vs {})",
            ka.exact_query, kb.exact_query
        )
    };
    if (method(a) || method(b)) && ka.path_rank == kb.path_rank && ka.path_len == kb.path_len {
        s.push_str("; Envoy Gateway counts a method match as an exact `:method` header (the spec ranks method as its own key, before headers)");
    }
    s
}

/// The request as the matchers see it: normalized path, decoded query, lower-cased headers.
/// Borrows from the request wherever nothing has to change, so the fast path barely allocates.
#[derive(Debug, Clone)]
pub struct ReqView<'a> {
    pub method: &'a str,
    /// Normalized path without the query.
    pub path: Cow<'a, str>,
    /// The raw query string (without `?`), if any.
    pub raw_query: Option<&'a str>,
    /// Path with query (`:path`), only built when there is a query.
    full_path: Option<String>,
    /// Lower-cased names, repeated headers joined with `,`.
    pub headers: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// Decoded; the first occurrence of each name.
    pub query: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    pub authority: &'a str,
}

impl<'a> ReqView<'a> {
    pub fn new(
        method: &'a str,
        path_and_query: &'a str,
        headers: &'a [(String, String)],
        authority: &'a str,
    ) -> ReqView<'a> {
        let (raw_path, raw_query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path_and_query, None),
        };
        let path = normalize_path(raw_path);
        let mut hs: Vec<(Cow<'a, str>, Cow<'a, str>)> = Vec::with_capacity(headers.len());
        for (n, v) in headers {
            let n: Cow<'a, str> = if n.bytes().any(|b| b.is_ascii_uppercase()) {
                Cow::Owned(n.to_ascii_lowercase())
            } else {
                Cow::Borrowed(n.as_str())
            };
            match hs.iter_mut().find(|(k, _)| *k == n) {
                Some((_, old)) => {
                    let o = old.to_mut();
                    o.push(',');
                    o.push_str(v);
                }
                None => hs.push((n, Cow::Borrowed(v.as_str()))),
            }
        }
        let mut query: Vec<(Cow<'a, str>, Cow<'a, str>)> = Vec::new();
        if let Some(q) = raw_query {
            for part in q.split('&').filter(|p| !p.is_empty()) {
                let (n, v) = part.split_once('=').unwrap_or((part, ""));
                let n = percent_decode(n);
                if !query.iter().any(|(k, _)| *k == n) {
                    query.push((n, percent_decode(v)));
                }
            }
        }
        let full_path = raw_query.map(|q| format!("{path}?{q}"));
        ReqView {
            method,
            path,
            raw_query,
            full_path,
            headers: hs,
            query,
            authority,
        }
    }

    /// Path with query, as forwarded.
    pub fn full_path(&self) -> &str {
        self.full_path.as_deref().unwrap_or(&self.path)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        match name {
            ":method" => Some(self.method),
            ":path" => Some(self.full_path()),
            ":authority" => Some(self.authority),
            _ => self
                .headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_ref()),
        }
    }
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_ref())
    }
    /// Headers as owned pairs (what a backend would receive before filters).
    pub fn owned_headers(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }
}

fn percent_decode(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let h = |c: u8| (c as char).to_digit(16);
            if let (Some(x), Some(y)) = (h(b[i + 1]), h(b[i + 2])) {
                out.push((x * 16 + y) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// Envoy Gateway's default path handling: RFC 3986 dot-segment removal and merged slashes.
pub fn normalize_path(p: &str) -> Cow<'_, str> {
    // One pass instead of two substring searches: this runs for every request.
    let b = p.as_bytes();
    if b.first() == Some(&b'/')
        && !b
            .windows(2)
            .any(|w| w[0] == b'/' && (w[1] == b'/' || w[1] == b'.'))
    {
        return Cow::Borrowed(p);
    }
    let mut out: Vec<&str> = Vec::new();
    let trailing = p.ends_with('/') || p.ends_with("/.") || p.ends_with("/..");
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let mut s = String::with_capacity(p.len());
    for seg in &out {
        s.push('/');
        s.push_str(seg);
    }
    if s.is_empty() || (trailing && !s.ends_with('/')) {
        s.push('/');
    }
    Cow::Owned(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(path: &'static str, headers: &[(&str, &str)]) -> ReqView<'static> {
        let hs: Vec<(String, String)> = headers
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        ReqView::new("GET", path, Box::leak(hs.into_boxed_slice()), "h")
    }

    #[test]
    fn prefix_semantics() {
        let cases = [
            ("/abc", "/abc", true),
            ("/abc", "/abc/", true),
            ("/abc", "/abc/def", true),
            ("/abc", "/abcd", false),
            ("/abc/", "/abc", true),
            ("/abc/", "/abcd", false),
            ("/", "/anything", true),
            ("/v2", "/v2example", false),
            ("/a/b", "/a", false),
            ("/A", "/a", false),
        ];
        for (prefix, path, want) in cases {
            assert_eq!(
                PathMatch::prefix(prefix).matches(path),
                want,
                "{prefix} vs {path}"
            );
        }
        assert!(PathMatch::Exact("/abc".into()).matches("/abc"));
        assert!(!PathMatch::Exact("/abc".into()).matches("/abc/"));
        let re = PathMatch::Regex {
            re: compile_regex("/v[0-9]+/.*").unwrap(),
            pattern: "/v[0-9]+/.*".into(),
        };
        assert!(re.matches("/v12/x"));
        assert!(!re.matches("/x/v12/x"), "full match only");
    }

    #[test]
    fn precedence_keys() {
        let m = |p: PathMatch, h: usize, q: usize| Match {
            path: p,
            path_pointer: String::new(),
            headers: (0..h)
                .map(|i| Cond {
                    name: format!("h{i}"),
                    value: ValueMatch::Exact("v".into()),
                    pointer: String::new(),
                })
                .collect(),
            query: (0..q)
                .map(|i| Cond {
                    name: format!("q{i}"),
                    value: ValueMatch::Exact("v".into()),
                    pointer: String::new(),
                })
                .collect(),
        };
        let re = |s: &str| PathMatch::Regex {
            re: compile_regex(s).unwrap(),
            pattern: s.into(),
        };
        // (higher, lower)
        let pairs = [
            (
                m(PathMatch::Exact("/a".into()), 0, 0),
                m(PathMatch::prefix("/a/very/long/prefix"), 5, 5),
            ),
            (
                m(re("/a"), 0, 0),
                m(PathMatch::prefix("/a/very/long/prefix"), 0, 0),
            ),
            (
                m(PathMatch::Exact("/a".into()), 0, 0),
                m(re("/a/very/long"), 0, 0),
            ),
            (
                m(PathMatch::prefix("/foo/"), 0, 0),
                m(PathMatch::prefix("/foo"), 0, 0),
            ),
            (
                m(PathMatch::prefix("/foo"), 0, 0),
                m(PathMatch::prefix("/"), 3, 3),
            ),
            (
                m(PathMatch::prefix("/"), 2, 0),
                m(PathMatch::prefix("/"), 1, 9),
            ),
            (
                m(PathMatch::prefix("/"), 1, 1),
                m(PathMatch::prefix("/"), 1, 0),
            ),
        ];
        for (a, b) in pairs {
            assert!(
                a.key() > b.key(),
                "{} should beat {}",
                a.describe(),
                b.describe()
            );
            assert!(!why_before(&a, &b).is_empty());
        }
        let mut exact_h = m(PathMatch::prefix("/"), 1, 0);
        let mut re_h = m(PathMatch::prefix("/"), 1, 0);
        re_h.headers[0].value = ValueMatch::Regex {
            re: compile_regex(".*").unwrap(),
            pattern: ".*".into(),
        };
        assert!(exact_h.key() > re_h.key());
        exact_h.headers[0].name = ":method".into();
        assert!(why_before(&exact_h, &re_h).contains("exact header"));
    }

    #[test]
    fn header_and_query_matching() {
        let m = Match {
            path: PathMatch::prefix("/"),
            path_pointer: String::new(),
            headers: vec![Cond {
                name: "x-env".into(),
                value: ValueMatch::Exact("canary".into()),
                pointer: String::new(),
            }],
            query: vec![Cond {
                name: "ANIMAL".into(),
                value: ValueMatch::Exact("Whale".into()),
                pointer: String::new(),
            }],
        };
        assert!(m.is_match(&view("/?ANIMAL=Whale", &[("X-Env", "canary")])));
        assert_eq!(
            m.check(&view("/?animal=Whale", &[("x-env", "canary")])),
            Err(Miss::QueryMissing(0))
        );
        assert_eq!(
            m.check(&view("/?ANIMAL=Whale", &[("x-env", "stable")])),
            Err(Miss::HeaderValue(0))
        );
        assert_eq!(
            m.check(&view("/?ANIMAL=Whale", &[])),
            Err(Miss::HeaderMissing(0))
        );
        // first occurrence of a repeated query parameter wins; values are percent-decoded
        assert!(m.is_match(&view(
            "/?ANIMAL=Wh%61le&ANIMAL=Dolphin",
            &[("x-env", "canary")]
        )));
        assert!(!m.is_match(&view(
            "/?ANIMAL=Dolphin&ANIMAL=Whale",
            &[("x-env", "canary")]
        )));
        // repeated request headers are joined with commas
        let v = view("/", &[("a", "1"), ("A", "2")]);
        assert_eq!(v.header("a"), Some("1,2"));
    }

    #[test]
    fn normalization() {
        for (i, o) in [
            ("/a//b", "/a/b"),
            ("/a/./b/../c", "/a/c"),
            ("/..", "/"),
            ("/a/", "/a/"),
            ("/a/b/..", "/a/"),
            ("/", "/"),
        ] {
            assert_eq!(normalize_path(i), o, "{i}");
        }
        assert_eq!(percent_decode("a%20b%zz%4"), "a b%zz%4");
    }

    #[test]
    fn hostile_regexes_are_refused_or_bounded() {
        assert!(compile_regex("(a").is_err());
        assert!(compile_regex("(?:a{1000}){1000}").is_err(), "size limit");
        let re = compile_regex("(a+)+b").unwrap();
        let s = "a".repeat(100_000);
        assert!(!re.is_match(&s));
    }
}
