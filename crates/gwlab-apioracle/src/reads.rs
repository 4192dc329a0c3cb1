//! The fields a CEL rule reads of its own value (`has(self.tls.mode)`, `self.type == 'TLS'`), to
//! build the variant that sets them all together: many rules refuse only a combination of two or
//! three fields (a type and a flag, a setting nested under another), which the one-field-at-a-time
//! variants never build.

use serde_json::{json, Value};

/// One `self.a.b` chain of a rule: the property names, and the value the rule compares it to
/// with `==` (a string, number or boolean literal), if any.
#[derive(Clone, Debug, PartialEq)]
pub struct Read {
    pub path: Vec<String>,
    pub equals: Option<Value>,
    /// Whether the rule tests the chain against a list (`self.x in [...]`): setting it tends to
    /// satisfy the rule's escape clause, so the second variant leaves it out.
    pub in_list: bool,
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every `self.` chain of `rule`, in order, without repeats. A trailing method call
/// (`.lowerAscii()`, `.size()`) is not a property; the comparison after it still counts.
pub fn reads(rule: &str) -> Vec<Read> {
    let chars: Vec<char> = rule.chars().collect();
    let mut out: Vec<Read> = Vec::new();
    let mut k = 0;
    while k + 5 <= chars.len() {
        let starts = chars[k..k + 5].iter().collect::<String>() == "self."
            && (k == 0 || !is_ident(chars[k - 1]));
        if !starts {
            k += 1;
            continue;
        }
        k += 5;
        let mut path = Vec::new();
        loop {
            let begin = k;
            while k < chars.len() && is_ident(chars[k]) {
                k += 1;
            }
            if begin == k {
                break;
            }
            let name: String = chars[begin..k].iter().collect();
            if k < chars.len() && chars[k] == '(' {
                // A method: skip an empty argument list, and stop the chain.
                if chars.get(k + 1) == Some(&')') {
                    k += 2;
                }
                break;
            }
            path.push(name);
            if k < chars.len() && chars[k] == '.' {
                k += 1;
            } else {
                break;
            }
        }
        if path.is_empty() {
            continue;
        }
        let rest: String = chars[k..].iter().collect::<String>();
        let rest = rest.trim_start();
        let read = Read {
            path,
            equals: rest.strip_prefix("==").and_then(literal),
            in_list: rest.starts_with("in ["),
        };
        if !out.contains(&read) {
            out.push(read);
        }
    }
    out
}

/// The literal at the start of `text` (after spaces): `'x'`, `"x"`, `true`, `false` or an integer.
fn literal(text: &str) -> Option<Value> {
    let text = text.trim_start();
    let mut chars = text.chars();
    match chars.next()? {
        q @ ('\'' | '"') => {
            let body: String = chars.take_while(|c| *c != q).collect();
            Some(json!(body))
        }
        _ if text.starts_with("true") => Some(json!(true)),
        _ if text.starts_with("false") => Some(json!(false)),
        c if c.is_ascii_digit() => {
            let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<i64>().ok().map(|n| json!(n))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_comparisons_and_methods_are_read() {
        let r = reads(
            "self.type != 'DynamicResolver' || !has(self.tls) || !(has(self.tls.auto) && self.tls.auto == true) || self.h.lowerAscii() == 'authorization' || self.lb.type in ['Random']",
        );
        let paths: Vec<String> = r.iter().map(|r| r.path.join(".")).collect();
        assert_eq!(
            paths,
            ["type", "tls", "tls.auto", "tls.auto", "h", "lb.type"]
        );
        assert_eq!(r[0].equals, None, "`!=` is not an equality to set");
        assert_eq!(r[3].equals, Some(json!(true)));
        assert_eq!(r[4].equals, Some(json!("authorization")));
        assert!(r[5].in_list && !r[0].in_list);
        assert!(reads("oldSelf == self || myself.x").is_empty());
    }
}
