// Editor glue for the gwlab web app: mounts CodeMirror 6 and exposes a tiny API on
// `window.gwlabEditor` for the Rust side. Bundled by esbuild at build time
// (`npm run build:editor`); nothing from CodeMirror is checked into the repository.
import { EditorView, basicSetup } from "codemirror";
import { EditorState, Compartment } from "@codemirror/state";
import { keymap } from "@codemirror/view";
import { yaml } from "@codemirror/lang-yaml";
import { lintGutter, setDiagnostics, openLintPanel } from "@codemirror/lint";
import { HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { tags as t } from "@lezer/highlight";

// Colours come from CSS variables so the page theme (light/dark) restyles the editor without reconfiguring it.
const highlight = HighlightStyle.define([
  { tag: [t.propertyName, t.definition(t.propertyName)], color: "var(--syn-key)" },
  { tag: [t.string, t.special(t.string)], color: "var(--syn-string)" },
  { tag: [t.number, t.bool, t.null, t.atom], color: "var(--syn-number)" },
  { tag: [t.comment, t.lineComment], color: "var(--syn-comment)", fontStyle: "italic" },
  { tag: [t.meta, t.processingInstruction, t.labelName, t.typeName], color: "var(--syn-meta)" },
  { tag: [t.punctuation, t.separator, t.squareBracket, t.brace], color: "var(--syn-punct)" },
  { tag: t.keyword, color: "var(--syn-meta)" },
]);

const baseTheme = EditorView.theme({
  "&": { height: "100%", color: "var(--fg)", backgroundColor: "var(--editor-bg)" },
  ".cm-scroller": { fontFamily: "var(--mono)", lineHeight: "1.45" },
  ".cm-content": { caretColor: "var(--fg)" },
  ".cm-cursor, .cm-dropCursor": { borderLeftColor: "var(--fg)" },
  ".cm-gutters": { backgroundColor: "var(--editor-gutter)", color: "var(--muted)", border: "none" },
  ".cm-activeLine": { backgroundColor: "var(--editor-active)" },
  ".cm-activeLineGutter": { backgroundColor: "var(--editor-active)" },
  "&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection": {
    backgroundColor: "var(--editor-selection) !important",
  },
  ".cm-tooltip": { backgroundColor: "var(--panel)", color: "var(--fg)", border: "1px solid var(--border)" },
  ".cm-panels": { backgroundColor: "var(--panel)", color: "var(--fg)" },
  ".cm-flash": { backgroundColor: "var(--flash)" },
});

let view = null;
let suppress = false;
const readOnly = new Compartment();

function clamp(n, lo, hi) {
  return Math.max(lo, Math.min(hi, n | 0));
}

const api = {
  version: 1,
  /** Mounts the editor into `parent`; `onChange(text)` is called after every user edit. */
  mount(parent, text, onChange) {
    if (view) view.destroy();
    const listener = EditorView.updateListener.of((u) => {
      if (u.docChanged && !suppress) onChange(u.state.doc.toString());
    });
    view = new EditorView({
      parent,
      state: EditorState.create({
        doc: text,
        extensions: [
          basicSetup,
          yaml(),
          lintGutter(),
          syntaxHighlighting(highlight),
          baseTheme,
          readOnly.of(EditorState.readOnly.of(false)),
          EditorView.contentAttributes.of({ "aria-label": "Manifests", "aria-multiline": "true" }),
          keymap.of([{ key: "Mod-Shift-m", run: openLintPanel }]),
          listener,
        ],
      }),
    });
    return true;
  },
  getText() {
    return view ? view.state.doc.toString() : "";
  },
  /** Replaces the whole document without firing onChange. */
  setText(text) {
    if (!view) return;
    if (view.state.doc.toString() === text) return;
    suppress = true;
    try {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    } finally {
      suppress = false;
    }
  },
  /** `diags`: JSON array of {from, to, severity, message, source} with UTF-16 document offsets. */
  setDiagnostics(json) {
    if (!view) return;
    const len = view.state.doc.length;
    const list = JSON.parse(json).map((d) => {
      const from = clamp(d.from, 0, len);
      return {
        from,
        to: clamp(Math.max(d.to, from), from, len),
        severity: d.severity === "error" ? "error" : d.severity === "warning" ? "warning" : "info",
        message: d.message,
        source: d.source,
      };
    });
    view.dispatch(setDiagnostics(view.state, list));
  },
  /** Selects [from, to) (UTF-16 offsets), scrolls it into view and focuses the editor. */
  select(from, to) {
    if (!view) return;
    const len = view.state.doc.length;
    const a = clamp(from, 0, len);
    const b = clamp(to ?? from, a, len);
    view.dispatch({
      selection: { anchor: a, head: b },
      effects: EditorView.scrollIntoView(a, { y: "center" }),
    });
    view.focus();
  },
  focus() {
    if (view) view.focus();
  },
  setReadOnly(ro) {
    if (view) view.dispatch({ effects: readOnly.reconfigure(EditorState.readOnly.of(!!ro)) });
  },
};

window.gwlabEditor = api;
window.gwlabEditorState = "loaded";
dispatchEvent(new Event("gwlab-editor"));
