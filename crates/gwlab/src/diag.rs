//! Diagnostics: one type for every problem gwlab reports, from a YAML syntax error to a lint.
//!
//! Codes are stable identifiers (like a linter's rule codes); each has a section in
//! `docs/diagnostics.md` whose anchor is the code itself, so a code is also its Learn link.

use crate::sort::StableSort;
use serde::Serialize;

/// A byte range in one input file. Line and column are derived on demand through a [`LineIndex`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Where a diagnostic points: a file (index into the analysed inputs) and a resolved position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub file: usize,
    pub file_name: String,
    pub span: Span,
    /// 1-based line and column (column counted in characters).
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The object the problem belongs to, as `Kind/namespace/name` (or `Kind/name` for cluster-scoped kinds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// Learn link, relative to the repository root (`docs/diagnostics.md#<code>`).
    pub learn: String,
}

impl Diagnostic {
    pub fn new(code: &'static str, severity: Severity, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity,
            message: message.into(),
            location: None,
            object: None,
            learn: format!("docs/diagnostics.md#{code}"),
        }
    }
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Error, message)
    }
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Warning, message)
    }
    pub fn info(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Info, message)
    }
    pub fn at(mut self, loc: Option<Location>) -> Self {
        self.location = loc;
        self
    }
    pub fn on(mut self, object: impl Into<String>) -> Self {
        self.object = Some(object.into());
        self
    }

    /// `file:line:col: severity[code]: message`, the format editors and CI logs understand.
    pub fn render(&self) -> String {
        match &self.location {
            Some(l) => format!(
                "{}:{}:{}: {}[{}]: {}",
                l.file_name,
                l.line,
                l.column,
                self.severity.as_str(),
                self.code,
                self.message
            ),
            None => format!(
                "{}[{}]: {}",
                self.severity.as_str(),
                self.code,
                self.message
            ),
        }
    }
}

/// Maps byte offsets to 1-based line and character column, and lines to their byte ranges.
///
/// Built once per text in one pass; every lookup is a binary search plus at most
/// [`CHAR_BLOCK`] bytes of counting, so rendering *d* diagnostics costs O(d log n) however long
/// the lines are (a one-line 250 KB JSON manifest with 10,000 diagnostics included).
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    /// For non-ASCII texts: the number of characters before byte `k * CHAR_BLOCK`, so a column
    /// is a subtraction plus a count over less than one block. Empty for ASCII texts, where a
    /// column is a byte difference.
    chars_before_block: Vec<u32>,
}

/// Block size, in bytes, of [`LineIndex`]'s character-count checkpoints.
pub const CHAR_BLOCK: usize = 256;

/// Whether `b` starts a UTF-8 character (is not a continuation byte).
fn starts_char(b: u8) -> bool {
    (b as i8) >= -0x40
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(newline_ends(text.as_bytes()));
        let chars_before_block = if text.is_ascii() {
            Vec::new()
        } else {
            let mut acc = 0u32;
            let mut v = Vec::with_capacity(text.len() / CHAR_BLOCK + 1);
            for block in text.as_bytes().chunks(CHAR_BLOCK) {
                v.push(acc);
                acc += block.iter().filter(|b| starts_char(**b)).count() as u32;
            }
            v
        };
        LineIndex {
            line_starts,
            chars_before_block,
        }
    }

    /// Number of lines (a text ending in a newline has an empty last line).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// 0-based line holding byte `offset` (clamped to the text).
    fn line_of(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// Characters in `text[..offset]`.
    fn chars_before(&self, text: &str, offset: usize) -> usize {
        if self.chars_before_block.is_empty() {
            return offset;
        }
        let block = offset / CHAR_BLOCK;
        let from = block * CHAR_BLOCK;
        let base = self.chars_before_block.get(block).copied().unwrap_or(0) as usize;
        base + text.as_bytes()[from..offset]
            .iter()
            .filter(|b| starts_char(**b))
            .count()
    }

    /// 1-based (line, column); the column counts characters, as editors do.
    pub fn position(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.line_of(offset);
        let start = self.line_starts[line];
        let col = self.chars_before(text, offset) - self.chars_before(text, start);
        (line + 1, col + 1)
    }

    /// Byte range of 1-based `line` without its line break (`\n` or `\r\n`); None past the end.
    pub fn line_range(&self, text: &str, line: usize) -> Option<(usize, usize)> {
        let i = line.checked_sub(1)?;
        let start = *self.line_starts.get(i)?;
        let mut end = self.line_starts.get(i + 1).map_or(text.len(), |n| n - 1);
        if end > start && text.as_bytes()[end - 1] == b'\r' {
            end -= 1;
        }
        Some((start.min(text.len()), end.min(text.len())))
    }
}

/// Offsets just past each `\n` of `bytes`.
fn newline_ends(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i + 1)
}

/// Stable ordering for output: by file, position, then code.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.stable_sort_by(|a, b| {
        let ka = a.location.as_ref().map(|l| (l.file, l.span.start));
        let kb = b.location.as_ref().map(|l| (l.file, l.span.start));
        // Diagnostics without a location go last.
        (ka.is_none(), ka, a.code, &a.message).cmp(&(kb.is_none(), kb, b.code, &b.message))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let text = "ab\nçd\n\nx";
        let idx = LineIndex::new(text);
        assert_eq!(idx.position(text, 0), (1, 1));
        assert_eq!(idx.position(text, 3), (2, 1));
        // 'ç' is two bytes: the 'd' after it is column 2.
        assert_eq!(idx.position(text, 5), (2, 2));
        assert_eq!(idx.position(text, 8), (4, 1));
        assert_eq!(idx.position(text, 999), (4, 2));
        assert_eq!(idx.line_range(text, 2), Some((3, 6)));
        assert_eq!(idx.line_range(text, 4), Some((8, 9)));
        assert_eq!(idx.line_range(text, 5), None);
        assert_eq!(idx.line_range(text, 0), None);
    }

    #[test]
    fn columns_past_many_blocks_of_multibyte_text_are_counted_exactly() {
        // Mixed one-, two- and three-byte characters across many checkpoint blocks.
        let line: String = (0..3_000).map(|i| ["a", "é", "€"][i % 3]).collect();
        let text = format!("x\n{line}\r\nz");
        let idx = LineIndex::new(&text);
        for (k, (b, _)) in line.char_indices().enumerate().step_by(97) {
            assert_eq!(idx.position(&text, 2 + b), (2, k + 1));
        }
        let (s, e) = idx.line_range(&text, 2).unwrap();
        assert_eq!(&text[s..e], line);
        assert_eq!(idx.position(&text, text.len()), (3, 2));
    }
}
