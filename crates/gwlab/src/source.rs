//! Text → positioned tree.
//!
//! We drive saphyr-parser's event stream ourselves instead of using a DOM loader, because only the
//! events let us see what a DOM hides: duplicate keys, anchor expansion (so alias bombs can be
//! budgeted), and nesting depth (so a 10,000-deep document is refused instead of blowing the stack).
//! The result is a `serde_json::Value` per document, which typed serde structs decode from, plus a
//! [`SpanMap`] from JSON pointer to source span, so any later diagnostic can point at the exact field.
//!
//! Scalars follow the YAML 1.2 core schema (what saphyr implements). Kubernetes reads YAML 1.1,
//! where plain `yes`/`no`/`on`/`off`/`y`/`n` are booleans: we keep them as strings (what the user
//! almost always meant) and warn with `yaml11-boolean`, because `kubectl apply` would not.

use crate::diag::{Diagnostic, LineIndex, Location, Span};
use crate::sort::StableSort;
use saphyr_parser::{Event, Parser, ScalarStyle};
use serde_json::{Map, Number, Value};
use std::collections::HashMap;

/// Deeper nesting than this is refused (`yaml-limit`); real manifests stay below 20.
pub const MAX_DEPTH: usize = 128;
/// Upper bound on nodes materialised per file, counting every alias expansion.
pub const MAX_NODES: usize = 4_000_000;
/// Inputs larger than this are refused before parsing.
pub const MAX_BYTES: usize = 32 * 1024 * 1024;

/// One input text with what is needed to turn byte offsets into line:column.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    lines: LineIndex,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let lines = LineIndex::new(&text);
        SourceFile {
            name: name.into(),
            text,
            lines,
        }
    }

    pub fn location(&self, file: usize, span: Span) -> Location {
        let (line, column) = self.lines.position(&self.text, span.start);
        let (end_line, end_column) = self.lines.position(&self.text, span.end);
        Location {
            file,
            file_name: self.name.clone(),
            span,
            line,
            column,
            end_line,
            end_column,
        }
    }
}

/// Decodes raw bytes as UTF-8. Invalid bytes are replaced (so nothing else is lost) and reported
/// with the position of the first one.
pub fn decode_bytes(name: &str, bytes: &[u8]) -> (String, Option<Diagnostic>) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), None),
        Err(e) => {
            let good = e.valid_up_to();
            let text = String::from_utf8_lossy(bytes).into_owned();
            let prefix = std::str::from_utf8(&bytes[..good]).unwrap_or("");
            let file = SourceFile::new(name, prefix);
            let loc = file.location(0, Span::new(good, good));
            let d = Diagnostic::error(
                "invalid-utf8",
                format!("the input is not valid UTF-8 (first invalid byte at offset {good}); invalid bytes were replaced with U+FFFD"),
            )
            .at(Some(loc));
            (text, Some(d))
        }
    }
}

/// JSON pointer → span, for values and for mapping keys.
#[derive(Debug, Clone, Default)]
pub struct SpanMap {
    values: HashMap<String, Span>,
    keys: HashMap<String, Span>,
}

impl SpanMap {
    pub fn value(&self, ptr: &str) -> Option<Span> {
        self.values.get(ptr).copied()
    }
    pub fn key(&self, ptr: &str) -> Option<Span> {
        self.keys.get(ptr).copied()
    }
    /// The span of `ptr`, or of its nearest ancestor that has one (a missing field points at its parent).
    pub fn nearest(&self, ptr: &str) -> Option<Span> {
        let mut p = ptr;
        loop {
            if let Some(s) = self.values.get(p) {
                return Some(*s);
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return None,
            }
        }
    }
    /// Keeps only the entries under `prefix`, re-rooted (used to split `kind: List` items).
    pub fn subtree(&self, prefix: &str) -> SpanMap {
        let cut = |m: &HashMap<String, Span>| {
            m.iter()
                .filter_map(|(k, v)| {
                    if k == prefix {
                        Some((String::new(), *v))
                    } else if k.starts_with(prefix) && k.as_bytes().get(prefix.len()) == Some(&b'/')
                    {
                        Some((k[prefix.len()..].to_string(), *v))
                    } else {
                        None
                    }
                })
                .collect()
        };
        SpanMap {
            values: cut(&self.values),
            keys: cut(&self.keys),
        }
    }
}

/// Escapes one JSON-pointer reference token.
pub fn escape_token(s: &str) -> String {
    if s.contains('~') || s.contains('/') {
        s.replace('~', "~0").replace('/', "~1")
    } else {
        s.to_string()
    }
}

#[derive(Debug, Clone)]
pub struct Document {
    pub value: Value,
    pub spans: SpanMap,
    pub span: Span,
}

enum Frame {
    Seq {
        items: Vec<Value>,
        ptr: String,
        start: usize,
        anchor: usize,
    },
    Map {
        map: Map<String, Value>,
        ptr: String,
        start: usize,
        anchor: usize,
        key: Option<(String, Span)>,
        merged: Vec<String>,
    },
}

struct Builder<'a> {
    text: &'a str,
    /// char index → byte offset; empty when the text is ASCII (identity).
    char_to_byte: Vec<usize>,
    /// Padding added by [`reindent_quoted`]: (byte offset in `text`, length), ascending.
    padding: &'a [(usize, usize)],
    spans: SpanMap,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Value, usize)>,
    nodes: usize,
    /// >0 while skipping a refused subtree (too deep, or a complex key).
    skip: usize,
    skip_start: usize,
    diags: Vec<(Diagnostic, Span)>,
    root: Option<(Value, Span)>,
}

fn count_nodes(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(count_nodes).sum::<usize>(),
        Value::Object(m) => 1 + m.values().map(count_nodes).sum::<usize>(),
        _ => 1,
    }
}

impl<'a> Builder<'a> {
    /// Byte offset in the caller's text of a scanner char index (padding removed).
    fn byte(&self, char_index: usize) -> usize {
        let b = if self.char_to_byte.is_empty() {
            char_index.min(self.text.len())
        } else {
            *self
                .char_to_byte
                .get(char_index)
                .unwrap_or(&self.text.len())
        };
        map_back(b, self.padding)
    }

    fn diag(&mut self, d: Diagnostic, span: Span) {
        if self.diags.len() < 200 {
            self.diags.push((d, span));
        }
    }

    /// The pointer the next value will get, or None when the next value is a mapping key.
    fn child_ptr(&self) -> Option<String> {
        match self.stack.last() {
            None => Some(String::new()),
            Some(Frame::Seq { items, ptr, .. }) => Some(format!("{ptr}/{}", items.len())),
            Some(Frame::Map {
                ptr,
                key: Some((k, _)),
                ..
            }) => Some(format!("{ptr}/{}", escape_token(k))),
            Some(Frame::Map { key: None, .. }) => None,
        }
    }

    fn start_container(&mut self, is_map: bool, anchor: usize, span: Span) {
        if self.skip > 0 {
            self.skip += 1;
            return;
        }
        let ptr = match self.child_ptr() {
            Some(p) => p,
            None => {
                self.diag(
                    Diagnostic::error(
                        "yaml-syntax",
                        "a mapping key must be a scalar, not a sequence or mapping",
                    ),
                    span,
                );
                self.skip = 1;
                self.skip_start = span.start;
                return;
            }
        };
        if self.stack.len() >= MAX_DEPTH {
            self.diag(
                Diagnostic::error(
                    "yaml-limit",
                    format!("nesting deeper than {MAX_DEPTH} levels is refused"),
                ),
                span,
            );
            self.skip = 1;
            self.skip_start = span.start;
            return;
        }
        self.nodes += 1;
        let start = span.start;
        self.stack.push(if is_map {
            Frame::Map {
                map: Map::new(),
                ptr,
                start,
                anchor,
                key: None,
                merged: Vec::new(),
            }
        } else {
            Frame::Seq {
                items: Vec::new(),
                ptr,
                start,
                anchor,
            }
        });
    }

    fn end_container(&mut self, span: Span) {
        if self.skip > 0 {
            self.skip -= 1;
            if self.skip == 0 {
                let s = Span::new(self.skip_start, span.end);
                // A refused key is dropped; a refused value becomes null so its parent stays intact.
                if self.child_ptr().is_some() {
                    self.value(Value::Null, s, 0);
                }
            }
            return;
        }
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let (v, ptr, start, anchor) = match frame {
            Frame::Seq {
                items,
                ptr,
                start,
                anchor,
            } => (Value::Array(items), ptr, start, anchor),
            Frame::Map {
                map,
                ptr,
                start,
                anchor,
                key,
                ..
            } => {
                if let Some((k, ks)) = key {
                    self.diag(
                        Diagnostic::error("yaml-syntax", format!("key `{k}` has no value")),
                        ks,
                    );
                }
                (Value::Object(map), ptr, start, anchor)
            }
        };
        let s = Span::new(start, span.end.max(start));
        self.spans.values.insert(ptr, s);
        self.finish(v, s, anchor, true);
    }

    /// Records an anchor and hands a finished node to its parent.
    fn finish(&mut self, v: Value, span: Span, anchor: usize, recorded: bool) {
        if anchor > 0 {
            let n = count_nodes(&v);
            self.anchors.insert(anchor, (v.clone(), n));
        }
        self.attach(v, span, recorded);
    }

    fn value(&mut self, v: Value, span: Span, anchor: usize) {
        self.nodes += 1;
        self.finish(v, span, anchor, false);
    }

    fn attach(&mut self, v: Value, span: Span, recorded: bool) {
        let ptr = self.child_ptr();
        match self.stack.last_mut() {
            None => {
                self.root = Some((v, span));
                if !recorded {
                    self.spans.values.insert(String::new(), span);
                }
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(v);
                if let (false, Some(p)) = (recorded, ptr) {
                    self.spans.values.insert(p, span);
                }
            }
            Some(Frame::Map {
                map,
                ptr: mptr,
                key,
                merged,
                ..
            }) => match key.take() {
                None => {
                    let k = match v {
                        Value::String(s) => s,
                        Value::Null => String::new(),
                        Value::Bool(b) => b.to_string(),
                        Value::Number(n) => n.to_string(),
                        _ => {
                            // Only reachable through an alias to a collection used as a key.
                            let d =
                                Diagnostic::error("yaml-syntax", "a mapping key must be a scalar");
                            self.diags.push((d, span));
                            "<complex key>".to_string()
                        }
                    };
                    let kptr = format!("{mptr}/{}", escape_token(&k));
                    if let Some(i) = merged.iter().position(|m| *m == k) {
                        // An explicit key overrides one that came in through a merge key.
                        merged.swap_remove(i);
                        map.remove(&k);
                    }
                    if map.contains_key(&k) && k != "<<" {
                        let d = Diagnostic::error(
                            "yaml-duplicate-key",
                            format!("duplicate key `{k}`: kubectl refuses this document; the first value is kept"),
                        );
                        self.diags.push((d, span));
                        *key = Some((format!("\u{0}dup:{k}"), span));
                    } else {
                        self.spans.keys.insert(kptr, span);
                        *key = Some((k, span));
                    }
                }
                Some((k, _)) => {
                    if k.starts_with("\u{0}dup:") {
                        return;
                    }
                    if k == "<<" {
                        // YAML 1.1 merge key, which Kubernetes' YAML reader honours.
                        let sources = match v {
                            Value::Array(a) => a,
                            other => vec![other],
                        };
                        for src in sources {
                            if let Value::Object(m) = src {
                                for (mk, mv) in m {
                                    if !map.contains_key(&mk) {
                                        merged.push(mk.clone());
                                        map.insert(mk, mv);
                                    }
                                }
                            }
                        }
                        return;
                    }
                    if let (false, Some(p)) = (recorded, ptr) {
                        self.spans.values.insert(p, span);
                    }
                    map.insert(k, v);
                }
            },
        }
    }

    fn alias(&mut self, id: usize, span: Span) {
        if self.skip > 0 {
            return;
        }
        let Some((v, n)) = self.anchors.get(&id) else {
            self.diag(
                Diagnostic::error("yaml-syntax", "alias to an unknown anchor"),
                span,
            );
            self.value(Value::Null, span, 0);
            return;
        };
        if self.nodes + n > MAX_NODES {
            let d = Diagnostic::error(
                "yaml-limit",
                format!("alias expansion would exceed {MAX_NODES} nodes (an alias bomb?); the alias is replaced by null"),
            );
            self.diag(d, span);
            self.value(Value::Null, span, 0);
            return;
        }
        let v = v.clone();
        self.nodes += n;
        self.finish(v, span, 0, false);
    }

    fn scalar(
        &mut self,
        s: &str,
        style: ScalarStyle,
        tag: Option<(&str, &str)>,
        anchor: usize,
        span: Span,
    ) {
        if self.skip > 0 {
            return;
        }
        let v = match (style, tag) {
            (_, Some((_, "str"))) => Value::String(s.to_string()),
            (ScalarStyle::Plain, _) => self.plain(s, span),
            _ => Value::String(s.to_string()),
        };
        self.value(v, span, anchor);
    }

    fn plain(&mut self, s: &str, span: Span) -> Value {
        match s {
            "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
            "true" | "True" | "TRUE" => return Value::Bool(true),
            "false" | "False" | "FALSE" => return Value::Bool(false),
            "yes" | "Yes" | "YES" | "no" | "No" | "NO" | "on" | "On" | "ON" | "off" | "Off"
            | "OFF" | "y" | "Y" | "n" | "N" => {
                // Mapping keys such as `on:` are common in other YAML; warn on values only.
                if self.child_ptr().is_some() {
                    let d = Diagnostic::warning(
                        "yaml11-boolean",
                        format!("`{s}` is a string here, but Kubernetes reads YAML 1.1 where it is a boolean; quote it (\"{s}\") to be safe"),
                    );
                    self.diag(d, span);
                }
                return Value::String(s.to_string());
            }
            _ => {}
        }
        if let Some(n) = parse_int(s) {
            return n;
        }
        if looks_like_float(s) {
            if let Ok(f) = s.parse::<f64>() {
                if let Some(n) = Number::from_f64(f) {
                    return Value::Number(n);
                }
            }
        }
        Value::String(s.to_string())
    }
}

fn parse_int(s: &str) -> Option<Value> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 40 {
        return None;
    }
    let (neg, digits) = match b[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = if let Some(h) = digits.strip_prefix("0x") {
        (16, h)
    } else if let Some(o) = digits.strip_prefix("0o") {
        (8, o)
    } else {
        (10, digits)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let mag = match u128::from_str_radix(digits, radix) {
        Ok(m) => m,
        // Too big for any integer: keep it as a float so typed decoding reports a located range error.
        Err(_) => {
            return s
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map(Value::Number)
        }
    };
    if neg {
        if mag <= i64::MAX as u128 + 1 {
            return Some(Value::Number(Number::from(
                (mag as i128).wrapping_neg() as i64
            )));
        }
    } else if mag <= u64::MAX as u128 {
        return Some(Value::Number(Number::from(mag as u64)));
    }
    Number::from_f64(if neg { -(mag as f64) } else { mag as f64 }).map(Value::Number)
}

fn looks_like_float(s: &str) -> bool {
    let t = s.trim_start_matches(['-', '+']);
    !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
        && t.chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '.')
        && t.chars().any(|c| c.is_ascii_digit())
}

/// Parses a YAML (or JSON) stream into documents. Never panics; problems come back as diagnostics
/// with their spans, and documents completed before a syntax error are kept.
pub fn parse_stream(text: &str) -> (Vec<Document>, Vec<(Diagnostic, Span)>) {
    if text.len() > MAX_BYTES {
        let d = Diagnostic::error(
            "yaml-limit",
            format!(
                "input of {} bytes exceeds the {MAX_BYTES}-byte limit",
                text.len()
            ),
        );
        return (Vec::new(), vec![(d, Span::new(0, 0))]);
    }
    // Saphyr follows YAML 1.2 and rejects what Kubernetes accepts; each such quoted scalar is
    // re-indented and the text parsed again.
    let mut patched: Option<String> = None;
    let mut padding: Vec<(usize, usize)> = Vec::new();
    let mut notes: Vec<(Diagnostic, Span)> = Vec::new();
    loop {
        let t = patched.as_deref().unwrap_or(text);
        let (docs, mut diags, lenient) = parse_once(t, &padding);
        let retry = lenient
            .filter(|_| {
                notes.len() < MAX_REINDENTS && (notes.len() + 1) * text.len() <= REPARSE_BUDGET
            })
            .and_then(|at| {
                let mut p = padding.clone();
                let fixed = reindent_quoted(t, at, &mut p)?;
                Some((fixed, p, at))
            });
        match retry {
            Some((fixed, p, at)) => {
                let orig = map_back(at, &padding);
                let d = Diagnostic::warning(
                    "yaml-quoted-indent",
                    "a continuation line of this quoted string is indented less than its key: YAML 1.2 rejects it, the Go YAML library Kubernetes uses accepts it",
                );
                notes.push((d, Span::new(orig, orig + 1)));
                patched = Some(fixed);
                padding = p;
            }
            None => {
                notes.append(&mut diags);
                return (docs, notes);
            }
        }
    }
}

/// Quoted scalars re-indented before giving up on a text.
const MAX_REINDENTS: usize = 64;
/// Bytes re-parsed in total for re-indented quoted scalars, so a huge hostile input cannot make
/// parsing take 64 times as long.
const REPARSE_BUDGET: usize = 256 * 1024 * 1024;

fn map_back(b: usize, padding: &[(usize, usize)]) -> usize {
    let mut shift = 0;
    for &(at, len) in padding {
        if at >= b {
            break;
        }
        shift += (b - at).min(len);
    }
    b - shift
}

/// The quoted scalar opening at byte `at` of `text`, with every continuation line indented to the
/// column of its opening quote. Leading blanks of continuation lines are dropped by line folding,
/// so the value is unchanged; `padding` records the inserted spaces (offsets in the new text).
/// None when `at` opens no closed quoted scalar or no line needed padding.
fn reindent_quoted(text: &str, at: usize, padding: &mut Vec<(usize, usize)>) -> Option<String> {
    let quote = *text.as_bytes().get(at)?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..at].chars().count();
    let bytes = text.as_bytes();
    let mut end = None;
    let mut i = at + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == b'"' => i += 1,
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 1,
            c if c == quote => {
                end = Some(i);
                break;
            }
            _ => {}
        }
        i += 1;
    }
    let end = end?;
    let mut out = String::with_capacity(text.len() + 64);
    let mut last = 0;
    // (offset in `text`, offset in the new text, spaces)
    let mut inserted: Vec<(usize, usize, usize)> = Vec::new();
    for (nl, _) in text[at..end].match_indices('\n') {
        let start = at + nl + 1;
        let blanks = text[start..]
            .bytes()
            .take_while(|b| *b == b' ' || *b == b'\t')
            .count();
        let content = text
            .as_bytes()
            .get(start + blanks)
            .is_some_and(|b| !matches!(b, b'\n' | b'\r'));
        if !content || blanks >= column {
            continue;
        }
        out.push_str(&text[last..start]);
        let at_new = out.len();
        let pad = column - blanks;
        out.extend(std::iter::repeat_n(' ', pad));
        last = start;
        inserted.push((start, at_new, pad));
    }
    if inserted.is_empty() {
        return None;
    }
    out.push_str(&text[last..]);
    // Earlier padding was located in `text`; move it to the new text, then add ours.
    for e in padding.iter_mut() {
        e.0 += inserted
            .iter()
            .filter(|i| i.0 <= e.0)
            .map(|i| i.2)
            .sum::<usize>();
    }
    padding.extend(inserted.iter().map(|i| (i.1, i.2)));
    padding.stable_sort();
    Some(out)
}

/// One parse. The third value is the byte offset (in `text`) of a quoted scalar whose
/// continuation lines saphyr rejected for their indentation, when that was the error.
fn parse_once(
    text: &str,
    padding: &[(usize, usize)],
) -> (Vec<Document>, Vec<(Diagnostic, Span)>, Option<usize>) {
    let char_to_byte = if text.is_ascii() {
        Vec::new()
    } else {
        let mut v: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        v.push(text.len());
        v
    };
    let mut b = Builder {
        text,
        char_to_byte,
        padding,
        spans: SpanMap::default(),
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        skip: 0,
        skip_start: 0,
        diags: Vec::new(),
        root: None,
    };
    let mut docs = Vec::new();
    let mut doc_start = 0;
    let mut lenient = None;
    // saphyr-parser's scanner walks the text once; a BOM is accepted by it.
    for ev in Parser::new_from_str(text) {
        let (ev, sp) = match ev {
            Ok(x) => x,
            Err(e) => {
                if e.info() == "invalid indentation in quoted scalar" {
                    let i = e.marker().index();
                    lenient = Some(if b.char_to_byte.is_empty() {
                        i
                    } else {
                        b.char_to_byte.get(i).copied().unwrap_or(text.len())
                    });
                }
                let at = b.byte(e.marker().index());
                b.diag(
                    Diagnostic::error("yaml-syntax", format!("YAML syntax error: {}", e.info())),
                    Span::new(at, at),
                );
                break;
            }
        };
        let span = Span::new(b.byte(sp.start.index()), b.byte(sp.end.index()));
        match ev {
            Event::DocumentStart(_) => {
                doc_start = span.start;
                b.spans = SpanMap::default();
                b.anchors.clear();
                b.stack.clear();
                b.skip = 0;
                b.root = None;
            }
            Event::DocumentEnd => {
                if let Some((value, vspan)) = b.root.take().filter(|(v, _)| !v.is_null()) {
                    let spans = std::mem::take(&mut b.spans);
                    docs.push(Document {
                        value,
                        spans,
                        span: Span::new(doc_start.min(vspan.start), vspan.end),
                    });
                }
            }
            Event::MappingStart(anchor, _) => b.start_container(true, anchor, span),
            Event::SequenceStart(anchor, _) => b.start_container(false, anchor, span),
            Event::MappingEnd | Event::SequenceEnd => b.end_container(span),
            Event::Alias(id) => b.alias(id, span),
            Event::Scalar(s, style, anchor, tag) => {
                let t = tag.as_ref().map(|t| (t.handle.as_str(), t.suffix.as_str()));
                let t = t.map(|(h, s)| {
                    (
                        h,
                        if h == "!!" || h == "tag:yaml.org,2002:" {
                            s
                        } else {
                            ""
                        },
                    )
                });
                b.scalar(&s, style, t, anchor, span)
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
    }
    (docs, b.diags, lenient)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> (Value, SpanMap, Vec<&'static str>) {
        let (mut docs, diags) = parse_stream(text);
        let codes = diags.iter().map(|(d, _)| d.code).collect();
        let d = docs.remove(0);
        (d.value, d.spans, codes)
    }

    #[test]
    fn spans_point_at_values_and_keys() {
        let text = "a:\n  b: [1, two]\n  c: {d: x}\n";
        let (v, spans, codes) = one(text);
        assert!(codes.is_empty());
        assert_eq!(
            v,
            serde_json::json!({"a": {"b": [1, "two"], "c": {"d": "x"}}})
        );
        let s = spans.value("/a/b/1").unwrap();
        assert_eq!(&text[s.start..s.end], "two");
        let k = spans.key("/a/c").unwrap();
        assert_eq!(&text[k.start..k.end], "c");
        // A field that does not exist points at its nearest parent.
        assert_eq!(spans.nearest("/a/c/d/zzz"), spans.value("/a/c/d"));
    }

    #[test]
    fn scalars_follow_yaml_1_2_and_warn_on_yaml_1_1_booleans() {
        let (v, _, codes) = one(
            "a: yes\nb: 'no'\nc: 8080\nd: 0x10\ne: 1.5\nf: ~\ng: true\nh: \"80\"\ni: !!str 42\n",
        );
        assert_eq!(
            v,
            serde_json::json!({"a":"yes","b":"no","c":8080,"d":16,"e":1.5,"f":null,"g":true,"h":"80","i":"42"})
        );
        assert_eq!(codes, vec!["yaml11-boolean"]);
    }

    #[test]
    fn duplicate_keys_are_errors_and_the_first_value_is_kept() {
        let text = "a: 1\nb: 2\na: 3\n";
        let (v, _, codes) = one(text);
        assert_eq!(v, serde_json::json!({"a": 1, "b": 2}));
        assert_eq!(codes, vec!["yaml-duplicate-key"]);
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let (v, _, codes) = one("base: &b {x: 1, y: 2}\nuse: *b\nmerged:\n  <<: *b\n  y: 3\n");
        assert!(codes.is_empty(), "{codes:?}");
        assert_eq!(v["use"], serde_json::json!({"x":1,"y":2}));
        assert_eq!(v["merged"], serde_json::json!({"y":3,"x":1}));
    }

    #[test]
    fn multi_document_streams_and_json() {
        let (docs, diags) =
            parse_stream("---\na: 1\n---\n# only a comment\n---\n{\"b\": [true, null]}\n");
        assert!(diags.is_empty());
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].value, serde_json::json!({"b": [true, null]}));
    }

    #[test]
    fn syntax_errors_are_located_and_earlier_documents_survive() {
        let text = "a: 1\n---\nb: [1, 2\n";
        let (docs, diags) = parse_stream(text);
        assert_eq!(docs.len(), 1);
        assert_eq!(diags[0].0.code, "yaml-syntax");
    }

    #[test]
    fn non_ascii_offsets_are_bytes() {
        let text = "ä: \"ü\"\nb: x\n";
        let (_, spans, _) = one(text);
        let s = spans.value("/b").unwrap();
        assert_eq!(&text[s.start..s.end], "x");
    }

    #[test]
    fn quoted_continuation_lines_left_of_their_key_are_accepted_like_go_yaml() {
        let text = "a:\n- k: x\n  lua: \"f(x)\n  g()\n\n end\"\n  next: 'it''s\n y'\n  after: z\n";
        let (docs, diags) = parse_stream(text);
        let codes: Vec<_> = diags.iter().map(|(d, _)| d.code).collect();
        assert_eq!(codes, ["yaml-quoted-indent", "yaml-quoted-indent"]);
        let v = &docs[0].value;
        assert_eq!(v["a"][0]["lua"], "f(x) g()\nend");
        assert_eq!(v["a"][0]["next"], "it's y");
        // Spans stay in the caller's text.
        let sp = docs[0].spans.value("/a/0/after").unwrap();
        assert_eq!(&text[sp.start..sp.end], "z");
        let warn = diags[0].1;
        assert_eq!(&text[warn.start..warn.end], "\"");
        // An unterminated string is still a syntax error, not a loop.
        let (_, diags) = parse_stream("a:\n  b: \"x\n y\n");
        assert!(diags.iter().any(|(d, _)| d.code == "yaml-syntax"));
    }

    #[test]
    fn huge_integers_do_not_wrap() {
        let (v, _, _) =
            one("a: 99999999999999999999999\nb: -9223372036854775808\nc: 18446744073709551615\n");
        assert!(v["a"].is_f64());
        assert_eq!(v["b"].as_i64(), Some(i64::MIN));
        assert_eq!(v["c"].as_u64(), Some(u64::MAX));
    }
}
