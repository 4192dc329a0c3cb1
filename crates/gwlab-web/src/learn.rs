//! The in-app Learn panel: shows the section of `docs/diagnostics.md` whose anchor is a diagnostic code.
//! A deliberately small Markdown subset (headings, paragraphs, lists, fenced code, `code`, **bold**, links).
use yew::prelude::*;

/// GitHub's heading anchor: lowercase, punctuation dropped, spaces to hyphens.
pub fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The Markdown of the section anchored at `anchor` (heading line included), if any.
pub fn section<'a>(md: &'a str, anchor: &str) -> Option<&'a str> {
    let mut start: Option<(usize, usize)> = None;
    let mut off = 0;
    let mut in_fence = false;
    for line in md.split_inclusive('\n') {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        }
        if !in_fence && line.starts_with('#') {
            let level = line.chars().take_while(|c| *c == '#').count();
            let text = line[level..].trim();
            match start {
                Some((s, l)) if level <= l => return Some(&md[s..off]),
                None if slug(text) == anchor => start = Some((off, level)),
                _ => {}
            }
        }
        off += line.len();
    }
    start.map(|(s, _)| &md[s..])
}

pub fn render(md: &str) -> Html {
    let mut blocks: Vec<Html> = Vec::new();
    let mut para: Vec<&str> = Vec::new();
    let mut list: Vec<&str> = Vec::new();
    let mut fence: Option<Vec<&str>> = None;
    let flush = |para: &mut Vec<&str>, list: &mut Vec<&str>, blocks: &mut Vec<Html>| {
        if !para.is_empty() {
            blocks.push(html! { <p>{ inline(&para.join(" ")) }</p> });
            para.clear();
        }
        if !list.is_empty() {
            blocks.push(
                html! { <ul>{ for list.iter().map(|i| html! { <li>{ inline(i) }</li> }) }</ul> },
            );
            list.clear();
        }
    };
    for line in md.lines() {
        if let Some(code) = fence.as_mut() {
            if line.trim_start().starts_with("```") {
                let text = code.join("\n");
                blocks.push(html! { <pre><code>{ text }</code></pre> });
                fence = None;
            } else {
                code.push(line);
            }
            continue;
        }
        let t = line.trim();
        if t.starts_with("```") {
            flush(&mut para, &mut list, &mut blocks);
            fence = Some(Vec::new());
        } else if t.starts_with('#') {
            flush(&mut para, &mut list, &mut blocks);
            let level = t.chars().take_while(|c| *c == '#').count();
            let text = t[level..].trim();
            blocks.push(match level {
                1 | 2 => html! { <h3>{ inline(text) }</h3> },
                _ => html! { <h4>{ inline(text) }</h4> },
            });
        } else if let Some(item) = t.strip_prefix("- ").or_else(|| t.strip_prefix("* ")) {
            if !para.is_empty() {
                flush(&mut para, &mut Vec::new(), &mut blocks);
            }
            list.push(item);
        } else if t.is_empty() {
            flush(&mut para, &mut list, &mut blocks);
        } else if !list.is_empty() && line.starts_with("  ") {
            // Continuation of a list item: shown as its own line of the item list.
            list.push(t);
        } else {
            if !list.is_empty() {
                flush(&mut Vec::new(), &mut list, &mut blocks);
            }
            para.push(t);
        }
    }
    if let Some(code) = fence {
        blocks.push(html! { <pre><code>{ code.join("\n") }</code></pre> });
    }
    flush(&mut para, &mut list, &mut blocks);
    html! { <>{ for blocks }</> }
}

/// `code`, **bold** and [text](url).
fn inline(text: &str) -> Html {
    let mut out: Vec<Html> = Vec::new();
    let mut rest = text;
    let mut plain = String::new();
    while let Some(c) = rest.chars().next() {
        if c == '`' {
            if let Some(end) = rest[1..].find('`') {
                out.push(html! { <>{ std::mem::take(&mut plain) }</> });
                let code = rest[1..1 + end].to_string();
                out.push(html! { <code>{ code }</code> });
                rest = &rest[end + 2..];
                continue;
            }
        } else if rest.starts_with("**") {
            if let Some(end) = rest[2..].find("**") {
                out.push(html! { <>{ std::mem::take(&mut plain) }</> });
                let b = rest[2..2 + end].to_string();
                out.push(html! { <strong>{ b }</strong> });
                rest = &rest[end + 4..];
                continue;
            }
        } else if c == '[' {
            if let Some(close) = rest.find("](") {
                if let Some(end) = rest[close + 2..].find(')') {
                    let label = rest[1..close].to_string();
                    let href = rest[close + 2..close + 2 + end].to_string();
                    out.push(html! { <>{ std::mem::take(&mut plain) }</> });
                    // Links are relative to docs/; without a known repository they stay plain text.
                    let href = if href.starts_with("http") {
                        Some(href)
                    } else if let Some(anchor) = href.strip_prefix('#') {
                        crate::builtin::repo_link(&format!("docs/diagnostics.md#{anchor}"))
                    } else {
                        crate::builtin::repo_link(&format!("docs/{href}"))
                    };
                    out.push(match href {
                        Some(h) => {
                            html! { <a href={h} target="_blank" rel="noopener">{ label }</a> }
                        }
                        None => html! { <span class="ref">{ label }</span> },
                    });
                    rest = &rest[close + 3 + end..];
                    continue;
                }
            }
        }
        plain.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out.push(html! { <>{ plain }</> });
    html! { <>{ for out }</> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_sections_by_github_anchor() {
        let md = "# Diagnostics\n\n## `backend-not-found`\n\nThe Service is missing.\n\n```yaml\n# not a heading\n```\n\n### Fix\n\nCreate it.\n\n## ref-not-permitted\n\nNeeds a grant.\n";
        let s = section(md, "backend-not-found").unwrap();
        assert!(s.starts_with("## `backend-not-found`"));
        assert!(s.contains("# not a heading") && s.contains("Create it."));
        assert!(!s.contains("grant"));
        assert_eq!(
            section(md, "ref-not-permitted").unwrap(),
            "## ref-not-permitted\n\nNeeds a grant.\n"
        );
        assert!(section(md, "nope").is_none());
        assert_eq!(
            slug("`Route` is *not* accepted (v1.2)"),
            "route-is-not-accepted-v12"
        );
    }
}
