//! The playground: editor on the left, live results on the right.
use std::collections::{HashMap, HashSet};

use gloo::events::EventListener;
use gloo::timers::callback::Timeout;
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::builtin::{self, SCENARIOS};
use crate::engine::{self, Computed, Outcome};
use crate::share::{self, State};
use crate::{dom, editor, graph, learn, yamlish};

const STORAGE_KEY: &str = "gwlab.state.v1";
const THEME_KEY: &str = "gwlab.theme";
const DEBOUNCE_MS: u32 = 120;
const EXPORT_AVAILABLE: bool = false;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Tab {
    Problems,
    Status,
    Routes,
    Requests,
    Graph,
    Learn,
}

const TABS: [Tab; 6] = [Tab::Problems, Tab::Status, Tab::Routes, Tab::Requests, Tab::Graph, Tab::Learn];

impl Tab {
    fn label(self) -> &'static str {
        match self {
            Tab::Problems => "Problems",
            Tab::Status => "Status",
            Tab::Routes => "Routes",
            Tab::Requests => "Requests",
            Tab::Graph => "Graph",
            Tab::Learn => "Learn",
        }
    }
    fn id(self) -> &'static str {
        match self {
            Tab::Problems => "problems",
            Tab::Status => "status",
            Tab::Routes => "routes",
            Tab::Requests => "requests",
            Tab::Graph => "graph",
            Tab::Learn => "learn",
        }
    }
}

pub enum Msg {
    Edited(String),
    Analyze,
    SetDraft(String),
    RunDraft,
    SaveDraft,
    RemoveRequest(usize),
    UseRequest(usize),
    ToggleTrace(usize),
    Tab(Tab),
    TabKey(KeyboardEvent),
    Jump(Option<(usize, usize)>),
    JumpObject(String, String, String),
    Learn(String),
    PickScenario(String),
    Share,
    Reset,
    ToggleTheme,
    PinBaseline,
    ClearBaseline,
    HashChanged,
    ClearToast,
}

struct Baseline {
    outcomes: HashMap<String, Outcome>,
}

pub struct App {
    text: String,
    requests: Vec<String>,
    draft: String,
    draft_outcome: Option<Outcome>,
    computed: Computed,
    outcomes: Vec<Outcome>,
    baseline: Option<Baseline>,
    tab: Tab,
    dark: bool,
    embed: bool,
    scenario: String,
    editor_host: NodeRef,
    cm: bool,
    on_change: Option<Closure<dyn Fn(String)>>,
    debounce: Option<Timeout>,
    toast: Option<(String, Timeout)>,
    open_traces: HashSet<usize>,
    learn_code: Option<String>,
    notice: Option<String>,
    render_start: Option<f64>,
    analyses: u32,
    dirty: bool,
    _hash_listener: Option<EventListener>,
}

/// Where the first state comes from: a share link, then the autosave, then `?scenario=`, then scenario 01.
fn initial_state(embed: bool) -> (State, String, Option<String>) {
    let mut notice = None;
    if let Some(payload) = share::from_fragment(&dom::hash()) {
        match share::decode(payload) {
            Ok(st) => return (st, String::new(), None),
            Err(e) => notice = Some(format!("Could not open the shared link: {e}")),
        }
    }
    if !embed {
        if let Some(st) = dom::load(STORAGE_KEY).and_then(|s| State::from_json(&s).ok()) {
            return (st, String::new(), notice);
        }
    }
    let sc = dom::query_flag("scenario").and_then(|s| builtin::find(&s)).or_else(builtin::default_scenario);
    match sc {
        Some(sc) => (scenario_state(sc), sc.slug.to_string(), notice),
        None => (State::new(builtin::FALLBACK, vec![]), String::new(), notice),
    }
}

fn scenario_state(sc: &builtin::Scenario) -> State {
    State::new(sc.manifests, sc.requests.iter().map(|r| r.to_string()).collect())
}

impl App {
    fn state(&self) -> State {
        State::new(self.text.clone(), self.requests.clone())
    }

    fn share_url(&self) -> String {
        format!("{}#s={}", dom::base_url(), share::encode(&self.state()))
    }

    fn analyze(&mut self) {
        self.computed = engine::compute(&self.text, dom::now);
        self.reroute();
        self.analyses += 1;
        if self.cm {
            editor::set_diagnostics(&self.computed.diags);
        }
    }

    fn reroute(&mut self) {
        self.outcomes = self.requests.iter().map(|r| engine::route(&self.computed, r)).collect();
        self.draft_outcome = (!self.draft.trim().is_empty()).then(|| engine::route(&self.computed, &self.draft));
    }

    fn persist(&self) {
        let st = self.state();
        if !self.embed {
            dom::save(STORAGE_KEY, &st.to_json());
        }
        // The address bar always holds a link to the current state, so a reload (or a copy of the URL) keeps it.
        dom::replace_hash(&format!("s={}", share::encode(&st)));
    }

    fn load(&mut self, st: State, scenario: String) {
        self.text = st.manifests;
        self.requests = st.requests;
        self.draft = self.requests.first().cloned().unwrap_or_default();
        self.scenario = scenario;
        self.open_traces.clear();
        if self.cm {
            editor::set_text(&self.text);
        }
        self.analyze();
    }

    fn toast(&mut self, ctx: &Context<Self>, text: impl Into<String>) {
        let link = ctx.link().clone();
        self.toast = Some((text.into(), Timeout::new(2500, move || link.send_message(Msg::ClearToast))));
    }

    fn select(&self, range: (usize, usize)) {
        if self.cm {
            editor::select(range.0, range.1);
        } else if let Some(ta) = dom::window()
            .document()
            .and_then(|d| d.get_element_by_id("manifests-fallback"))
            .and_then(|e| e.dyn_into::<HtmlTextAreaElement>().ok())
        {
            let _ = ta.focus();
            let _ = ta.set_selection_range(range.0 as u32, range.1 as u32);
        }
    }
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let embed = dom::query_flag("embed").is_some_and(|v| v != "0");
        let dark = match dom::query_flag("theme").or_else(|| dom::load(THEME_KEY)).as_deref() {
            Some("dark") => true,
            Some("light") => false,
            _ => dom::prefers_dark(),
        };
        dom::set_root_attr("data-theme", if dark { "dark" } else { "light" });
        let (st, scenario, notice) = initial_state(embed);
        let link = ctx.link().clone();
        let hash_listener = EventListener::new(&dom::window(), "hashchange", move |_| link.send_message(Msg::HashChanged));
        let mut app = App {
            text: String::new(),
            requests: Vec::new(),
            draft: String::new(),
            draft_outcome: None,
            computed: engine::compute("", dom::now),
            outcomes: Vec::new(),
            baseline: None,
            tab: if embed { Tab::Requests } else { Tab::Problems },
            dark,
            embed,
            scenario: String::new(),
            editor_host: NodeRef::default(),
            cm: false,
            on_change: None,
            debounce: None,
            toast: None,
            open_traces: HashSet::new(),
            learn_code: None,
            notice,
            render_start: None,
            analyses: 0,
            dirty: false,
            _hash_listener: Some(hash_listener),
        };
        app.load(st, scenario);
        app
    }

    fn rendered(&mut self, ctx: &Context<Self>, first_render: bool) {
        if first_render {
            let link = ctx.link().clone();
            let cb = Closure::<dyn Fn(String)>::new(move |text: String| link.send_message(Msg::Edited(text)));
            if let Some(host) = self.editor_host.cast::<web_sys::Element>() {
                self.cm = editor::mount(&host, &self.text, &cb);
            }
            self.on_change = Some(cb);
            if self.cm {
                editor::set_diagnostics(&self.computed.diags);
            } else {
                ctx.link().send_message(Msg::ClearToast); // re-render with the textarea fallback
            }
            dom::set_root_attr("data-editor", if self.cm { "codemirror" } else { "textarea" });
            dom::publish("firstRender", dom::now());
        }
        if let Some(t0) = self.render_start.take() {
            dom::publish("editToResult", dom::now() - t0);
        }
        dom::publish("analyzeMs", self.computed.ms);
        dom::publish("analyses", self.analyses as f64);
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Edited(text) => {
                if text == self.text {
                    return false;
                }
                self.text = text;
                self.dirty = true;
                let link = ctx.link().clone();
                self.debounce = Some(Timeout::new(DEBOUNCE_MS, move || link.send_message(Msg::Analyze)));
                !self.cm
            }
            Msg::Analyze => {
                self.debounce = None;
                self.render_start = Some(dom::now());
                self.analyze();
                self.persist();
                true
            }
            Msg::SetDraft(d) => {
                self.draft = d;
                false
            }
            Msg::RunDraft => {
                self.draft_outcome = (!self.draft.trim().is_empty()).then(|| engine::route(&self.computed, &self.draft));
                true
            }
            Msg::SaveDraft => {
                let d = self.draft.trim().to_string();
                if d.is_empty() {
                    return false;
                }
                if !self.requests.contains(&d) {
                    self.requests.push(d);
                }
                self.reroute();
                self.persist();
                self.tab = Tab::Requests;
                true
            }
            Msg::RemoveRequest(i) => {
                if i < self.requests.len() {
                    self.requests.remove(i);
                    self.open_traces.clear();
                    self.reroute();
                    self.persist();
                }
                true
            }
            Msg::UseRequest(i) => {
                if let Some(r) = self.requests.get(i) {
                    self.draft = r.clone();
                    self.draft_outcome = Some(engine::route(&self.computed, &self.draft));
                    dom::focus_by_id("request");
                }
                true
            }
            Msg::ToggleTrace(i) => {
                if !self.open_traces.remove(&i) {
                    self.open_traces.insert(i);
                }
                true
            }
            Msg::Tab(t) => {
                self.tab = t;
                true
            }
            Msg::TabKey(e) => {
                let i = TABS.iter().position(|t| *t == self.tab).unwrap_or(0);
                let next = match e.key().as_str() {
                    "ArrowRight" => (i + 1) % TABS.len(),
                    "ArrowLeft" => (i + TABS.len() - 1) % TABS.len(),
                    "Home" => 0,
                    "End" => TABS.len() - 1,
                    _ => return false,
                };
                e.prevent_default();
                self.tab = TABS[next];
                dom::focus_by_id(&format!("tab-{}", self.tab.id()));
                true
            }
            Msg::Jump(range) => {
                if let Some(r) = range {
                    self.select(r);
                }
                false
            }
            Msg::JumpObject(kind, ns, name) => {
                match engine::find_object(&self.text, &kind, &ns, &name) {
                    Some((a, b)) => {
                        let m = engine::Utf16Map::new(&self.text);
                        self.select((m.to_utf16(a), m.to_utf16(b)));
                        false
                    }
                    None => {
                        self.toast(ctx, format!("{kind} {name} is not defined in the editor"));
                        true
                    }
                }
            }
            Msg::Learn(code) => {
                self.learn_code = Some(code);
                self.tab = Tab::Learn;
                true
            }
            Msg::PickScenario(slug) => {
                if let Some(sc) = builtin::find(&slug) {
                    self.baseline = None;
                    self.load(scenario_state(sc), sc.slug.to_string());
                    self.persist();
                }
                true
            }
            Msg::Share => {
                let url = self.share_url();
                dom::replace_hash(url.split_once('#').map(|(_, f)| f).unwrap_or(""));
                dom::copy_to_clipboard(&url);
                self.toast(ctx, "Link copied to the clipboard");
                true
            }
            Msg::Reset => {
                dom::remove(STORAGE_KEY);
                dom::replace_hash("");
                self.baseline = None;
                let sc = builtin::find(&self.scenario).or_else(builtin::default_scenario);
                match sc {
                    Some(sc) => self.load(scenario_state(sc), sc.slug.to_string()),
                    None => self.load(State::new(builtin::FALLBACK, vec![]), String::new()),
                }
                self.toast(ctx, "Reset to the scenario; saved edits cleared");
                true
            }
            Msg::ToggleTheme => {
                self.dark = !self.dark;
                let t = if self.dark { "dark" } else { "light" };
                dom::set_root_attr("data-theme", t);
                dom::save(THEME_KEY, t);
                true
            }
            Msg::PinBaseline => {
                let outcomes = self.requests.iter().cloned().zip(self.outcomes.iter().cloned()).collect();
                self.baseline = Some(Baseline { outcomes });
                self.toast(ctx, "Baseline pinned: edits now show which requests change");
                true
            }
            Msg::ClearBaseline => {
                self.baseline = None;
                true
            }
            Msg::HashChanged => {
                if let Some(payload) = share::from_fragment(&dom::hash()) {
                    match share::decode(payload) {
                        Ok(st) if st != self.state() => self.load(st, String::new()),
                        Ok(_) => return false,
                        Err(e) => self.notice = Some(format!("Could not open the shared link: {e}")),
                    }
                    return true;
                }
                false
            }
            Msg::ClearToast => {
                self.toast = None;
                true
            }
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let errors = self.computed.diags.iter().filter(|d| d.severity == "error").count();
        let warnings = self.computed.diags.iter().filter(|d| d.severity == "warning").count();
        let editor = html! {
            <section class="pane editor-pane" aria-label="Editor">
                if self.cm {
                    <div class="editor-host" ref={self.editor_host.clone()} />
                } else {
                    <div class="editor-host" ref={self.editor_host.clone()} hidden=true />
                    <textarea id="manifests-fallback" class="fallback" aria-label="Manifests" spellcheck="false"
                        value={self.text.clone()}
                        oninput={link.callback(|e: InputEvent| Msg::Edited(e.target_unchecked_into::<HtmlTextAreaElement>().value()))} />
                }
                <div class="statusbar" aria-live="polite">
                    <span class={classes!("count", (errors > 0).then_some("err"))}>{ plural(errors, "error") }</span>
                    <span class={classes!("count", (warnings > 0).then_some("warn"))}>{ plural(warnings, "warning") }</span>
                    <span class="muted" title="time the core took for the last analysis">
                        { format!("analyzed in {:.1} ms", self.computed.ms) }
                    </span>
                </div>
            </section>
        };
        let results = html! {
            <section class="pane results-pane" aria-label="Results">
                { self.view_request_bar(ctx) }
                { self.view_result(ctx) }
                { self.view_tabs(ctx) }
            </section>
        };
        let toast = self.toast.as_ref().map(|(t, _)| html! { <div class="toast" role="status">{ t.clone() }</div> });
        if self.embed {
            let open = format!("{}#s={}", dom::base_url(), share::encode(&self.state()));
            return html! {
                <div class="app embed">
                    <header class="embed-bar">
                        <span class="brand">{ "gwlab" }</span>
                        <a class="open" href={open} target="_blank" rel="noopener">{ "Open in gwlab ↗" }</a>
                    </header>
                    <main class="split">{ editor }{ results }</main>
                    { for toast }
                </div>
            };
        }
        html! {
            <div class="app">
                <a class="skip" href="#results-tabs">{ "Skip to results" }</a>
                <header class="topbar">
                    <h1 class="brand">{ "gwlab" }<span class="tagline">{ "Gateway API playground" }</span></h1>
                    <label class="picker">
                        <span>{ "Scenario" }</span>
                        <select aria-label="Scenario"
                            onchange={link.callback(|e: Event| Msg::PickScenario(e.target_unchecked_into::<HtmlSelectElement>().value()))}>
                            if self.scenario.is_empty() {
                                <option value="" selected=true>{ "(your edits)" }</option>
                            }
                            { for SCENARIOS.iter().map(|s| html! {
                                <option value={s.slug} selected={self.scenario == s.slug}>{ format!("{} — {}", &s.slug[..2.min(s.slug.len())], s.title) }</option>
                            }) }
                        </select>
                    </label>
                    <div class="actions">
                        <button onclick={link.callback(|_| Msg::Share)} title="Copy a link to these manifests and requests">{ "Share" }</button>
                        <button disabled={!EXPORT_AVAILABLE}
                            title={ if EXPORT_AVAILABLE { "Download a lab bundle (zip)" } else { "Export needs the core's lab-bundle export, which this build does not include yet" } }>
                            { "Export" }
                        </button>
                        <button onclick={link.callback(|_| Msg::Reset)} title="Forget saved edits and reload the scenario">{ "Reset" }</button>
                        <button class="theme" onclick={link.callback(|_| Msg::ToggleTheme)}
                            aria-label={ if self.dark { "Light theme" } else { "Dark theme" } }
                            title={ if self.dark { "Switch to the light theme" } else { "Switch to the dark theme" } }>
                            { if self.dark { "☀" } else { "☾" } }
                        </button>
                    </div>
                </header>
                if let Some(n) = &self.notice {
                    <div class="notice" role="alert">{ n.clone() }</div>
                }
                <main class="split">{ editor }{ results }</main>
                { for toast }
            </div>
        }
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

impl App {
    fn view_request_bar(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let onkeydown = link.batch_callback(|e: KeyboardEvent| {
            if e.key() == "Enter" {
                e.prevent_default();
                let line = e.target_unchecked_into::<HtmlInputElement>().value();
                if e.ctrl_key() || e.meta_key() {
                    vec![Msg::SetDraft(line), Msg::SaveDraft]
                } else {
                    vec![Msg::SetDraft(line), Msg::RunDraft]
                }
            } else {
                vec![]
            }
        });
        html! {
            <form class="request-bar" onsubmit={link.callback(|e: SubmitEvent| { e.prevent_default(); Msg::RunDraft })}>
                <input id="request" type="text" aria-label="Request" spellcheck="false" autocomplete="off"
                    placeholder="GET http://app.example.com/path -H 'x-env: canary'"
                    value={self.draft.clone()}
                    oninput={link.callback(|e: InputEvent| Msg::SetDraft(e.target_unchecked_into::<HtmlInputElement>().value()))}
                    {onkeydown} />
                <button type="submit" title="Send the request (Enter)">{ "Run" }</button>
                <button type="button" onclick={link.callback(|_| Msg::SaveDraft)} title="Keep it in the request list (Ctrl+Enter)">{ "Save" }</button>
            </form>
        }
    }

    fn view_result(&self, ctx: &Context<Self>) -> Html {
        let body = match &self.draft_outcome {
            None => html! { <p class="muted">{ "Type a request line and press Enter." }</p> },
            Some(o) => view_outcome(o, true, ctx),
        };
        html! { <div class="result" role="region" aria-label="Result" aria-live="polite">{ body }</div> }
    }

    fn view_tabs(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let badge = |t: Tab| match t {
            Tab::Problems => Some(self.computed.diags.len()),
            Tab::Requests => Some(self.requests.len()),
            Tab::Routes => Some(self.computed.table.len()),
            _ => None,
        };
        let changed = self.changed_count();
        html! {
            <div class="tabs" id="results-tabs">
                <div class="tablist" role="tablist" aria-label="Result panels" onkeydown={link.callback(Msg::TabKey)}>
                    { for TABS.iter().map(|&t| {
                        let selected = t == self.tab;
                        let sev = if t == Tab::Problems && self.computed.diags.iter().any(|d| d.severity == "error") { Some("err") } else { None };
                        html! {
                            <button role="tab" id={format!("tab-{}", t.id())} aria-selected={selected.to_string()}
                                aria-controls={format!("panel-{}", t.id())} tabindex={ if selected { "0" } else { "-1" } }
                                class={classes!(selected.then_some("active"))}
                                onclick={link.callback(move |_| Msg::Tab(t))}>
                                { t.label() }
                                if let Some(n) = badge(t) { <span class={classes!("badge", sev)}>{ n }</span> }
                                if t == Tab::Requests && changed > 0 { <span class="badge changed" title="changed since the baseline">{ format!("{changed} Δ") }</span> }
                            </button>
                        }
                    }) }
                </div>
                <div class="panel" role="tabpanel" id={format!("panel-{}", self.tab.id())} aria-labelledby={format!("tab-{}", self.tab.id())}>
                    { match self.tab {
                        Tab::Problems => self.view_problems(ctx),
                        Tab::Status => self.view_status(ctx),
                        Tab::Routes => self.view_routes(),
                        Tab::Requests => self.view_requests(ctx),
                        Tab::Graph => graph::view(&graph::from_json(&self.computed.graph),
                            link.callback(|(k, ns, n): (String, String, String)| Msg::JumpObject(k, ns, n))),
                        Tab::Learn => self.view_learn(),
                    } }
                </div>
            </div>
        }
    }

    fn view_problems(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        if self.computed.diags.is_empty() {
            return html! { <ul class="problems" aria-label="Problems"><li class="ok">{ "No problems: every object is accepted and every reference resolves." }</li></ul> };
        }
        html! {
            <ul class="problems" aria-label="Problems">
                { for self.computed.diags.iter().map(|d| {
                    let range = d.range;
                    let code = d.code.clone();
                    let pos = if d.line > 0 { format!("{}:{}", d.line, d.column) } else { "—".to_string() };
                    html! {
                        <li class={classes!("problem", d.severity.clone())} data-line={d.line.to_string()}>
                            <span class={classes!("sev", d.severity.clone())}>{ d.severity.clone() }</span>
                            <button class="pos" disabled={range.is_none()} title="Show in the editor"
                                onclick={link.callback(move |_| Msg::Jump(range))}>{ pos }</button>
                            <span class="message">{ d.message.clone() }</span>
                            if let Some(o) = &d.object { <span class="object muted">{ o.clone() }</span> }
                            <button class="code" title="Why? Open the explanation" onclick={link.callback(move |_| Msg::Learn(code.clone()))}>{ d.code.clone() }</button>
                        </li>
                    }
                }) }
            </ul>
        }
    }

    fn view_status(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        if self.computed.statuses.is_empty() {
            return html! { <p class="empty">{ "No objects with a status yet." }</p> };
        }
        html! {
            <div class="statuses">
                { for self.computed.statuses.iter().map(|st| {
                    let (k, ns, n) = (st.kind.clone(), st.namespace.clone(), st.name.clone());
                    let all_ok = st.conditions.iter().all(|c| cond_ok(c));
                    html! {
                        <details class={classes!("status", (!all_ok).then_some("bad"))} open={!all_ok}>
                            <summary>
                                <span class="obj">{ st.id() }</span>
                                <span class="chips">
                                    { for st.conditions.iter().map(|c| {
                                        let cls = if c.status == "Unknown" { "chip unknown" } else if cond_ok(c) { "chip ok" } else { "chip bad" };
                                        let title = format!("{}{}={} ({}): {}", if c.scope.is_empty() { String::new() } else { format!("[{}] ", c.scope) }, c.kind, c.status, c.reason, c.message);
                                        html! { <span class={cls} {title}>{ format!("{} {}", c.kind, if c.status == "True" { "✓" } else if c.status == "False" { "✗" } else { "?" }) }</span> }
                                    }) }
                                </span>
                                <button class="link" title="Show in the editor" onclick={link.callback(move |e: MouseEvent| { e.prevent_default(); Msg::JumpObject(k.clone(), ns.clone(), n.clone()) })}>{ "YAML ↗" }</button>
                            </summary>
                            <pre class="yaml">{ format!("status:\n{}", indent(&yamlish::to_yaml(&st.status), 2)) }</pre>
                        </details>
                    }
                }) }
            </div>
        }
    }

    fn view_routes(&self) -> Html {
        let rows = &self.computed.table;
        if rows.is_empty() {
            return html! { <table class="routes" aria-label="Routes"><tbody><tr><td class="empty">{ "No route is attached to a listener." }</td></tr></tbody></table> };
        }
        // Columns are the row fields, in the core's order; `shadowed` is shown as a row flag.
        let mut cols: Vec<String> = Vec::new();
        for r in rows {
            if let Some(m) = r.as_object() {
                for k in m.keys() {
                    if k != "shadowed" && !cols.contains(k) {
                        cols.push(k.clone());
                    }
                }
            }
        }
        html! {
            <table class="routes" aria-label="Routes">
                <thead><tr>{ for cols.iter().map(|c| html! { <th scope="col">{ header(c) }</th> }) }<th scope="col"></th></tr></thead>
                <tbody>
                    { for rows.iter().map(|r| {
                        let shadowed = r.get("shadowed").map(truthy).unwrap_or(false);
                        html! {
                            <tr class={classes!(shadowed.then_some("shadowed"))}>
                                { for cols.iter().map(|c| html! { <td>{ cell(&r[c.as_str()]) }</td> }) }
                                <td>if shadowed {
                                    <span class="chip bad" title={ r.get("shadowed").and_then(Value::as_str).unwrap_or("an earlier rule matches every request this one would").to_string() }>{ "shadowed" }</span>
                                }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
        }
    }

    fn changed_count(&self) -> usize {
        let Some(b) = &self.baseline else { return 0 };
        self.requests
            .iter()
            .zip(&self.outcomes)
            .filter(|(r, o)| b.outcomes.get(*r).map(|p| p.fingerprint() != o.fingerprint()).unwrap_or(true))
            .count()
    }

    fn view_requests(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let baseline_bar = match &self.baseline {
            None => html! {
                <div class="whatif">
                    <button onclick={link.callback(|_| Msg::PinBaseline)} disabled={self.requests.is_empty()}
                        title="Remember today's outcomes; after edits, changed requests are highlighted">{ "Pin baseline" }</button>
                    <span class="muted">{ "What if: pin a baseline, edit the manifests, see which requests move." }</span>
                </div>
            },
            Some(_) => html! {
                <div class="whatif pinned">
                    <span>{ format!("{} of {} requests changed since the baseline", self.changed_count(), self.requests.len()) }</span>
                    <button onclick={link.callback(|_| Msg::PinBaseline)}>{ "Re-pin" }</button>
                    <button onclick={link.callback(|_| Msg::ClearBaseline)}>{ "Clear baseline" }</button>
                </div>
            },
        };
        html! {
            <div class="requests">
                { baseline_bar }
                if self.requests.is_empty() {
                    <p class="empty">{ "No saved requests. Type one above and press Save (Ctrl+Enter)." }</p>
                }
                <ol class="request-list" aria-label="Saved requests">
                    { for self.requests.iter().zip(&self.outcomes).enumerate().map(|(i, (r, o))| {
                        let before = self.baseline.as_ref().map(|b| b.outcomes.get(r));
                        let changed = match before { Some(Some(p)) => p.fingerprint() != o.fingerprint(), Some(None) => true, None => false };
                        let open = self.open_traces.contains(&i);
                        html! {
                            <li class={classes!("saved", changed.then_some("changed"))}>
                                <div class="line">
                                    <code class="req">{ r.clone() }</code>
                                    <span class="summary">
                                        if changed {
                                            <span class="before">{ before.flatten().map(summary).unwrap_or_else(|| "(new)".into()) }</span>
                                            <span class="arrow">{ " → " }</span>
                                        }
                                        <span class="after">{ summary(o) }</span>
                                    </span>
                                    <span class="buttons">
                                        <button onclick={link.callback(move |_| Msg::ToggleTrace(i))} aria-expanded={open.to_string()}>{ if open { "Hide trace" } else { "Trace" } }</button>
                                        <button onclick={link.callback(move |_| Msg::UseRequest(i))} title="Put it in the request box">{ "Edit" }</button>
                                        <button onclick={link.callback(move |_| Msg::RemoveRequest(i))} aria-label={format!("Remove {r}")}>{ "✕" }</button>
                                    </span>
                                </div>
                                if open { { view_outcome(o, false, ctx) } }
                            </li>
                        }
                    }) }
                </ol>
            </div>
        }
    }

    fn view_learn(&self) -> Html {
        let md = builtin::LEARN_MD;
        let Some(code) = &self.learn_code else {
            return html! { <p class="empty">{ "Click a problem's code to read why it happens and how to fix it." }</p> };
        };
        let path = format!("docs/diagnostics.md#{code}");
        let section = learn::section(md, code);
        html! {
            <article class="learn">
                { match section {
                    Some(s) => learn::render(s),
                    None => html! { <p>{ format!("No explanation for {code} in this build.") }</p> },
                } }
                if let Some(url) = builtin::repo_link(&path) {
                    <p><a href={url} target="_blank" rel="noopener">{ format!("{path} ↗") }</a></p>
                } else {
                    <p class="muted"><code>{ path }</code></p>
                }
            </article>
        }
    }
}

fn indent(s: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    s.lines().map(|l| format!("{pad}{l}\n")).collect()
}

fn cond_ok(c: &engine::Cond) -> bool {
    (c.status == "True") != engine::negative_polarity(&c.kind)
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

fn header(k: &str) -> String {
    let mut out = String::new();
    for (i, ch) in k.chars().enumerate() {
        if ch == '_' {
            out.push(' ');
        } else if i == 0 {
            out.extend(ch.to_uppercase());
        } else {
            out.push(ch);
        }
    }
    out
}

fn cell(v: &Value) -> Html {
    match v {
        Value::Null => html! {},
        Value::String(s) => html! { { s.clone() } },
        Value::Array(a) => html! { <ul class="cell-list">{ for a.iter().map(|x| html! { <li>{ cell_text(x) }</li> }) }</ul> },
        other => html! { { cell_text(other) } },
    }
}

fn cell_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(m) => {
            let name = ["backend", "name", "service", "to"].iter().find_map(|k| m.get(*k)).map(|x| cell_text(x));
            let share = ["percent", "share", "weight"].iter().find_map(|k| m.get(*k).map(|x| (k, x)));
            match (name, share) {
                (Some(n), Some((k, w))) if *k == "percent" || *k == "share" => format!("{n} ({}%)", num(w)),
                (Some(n), Some((_, w))) => format!("{n} (weight {})", num(w)),
                (Some(n), None) => n,
                _ => m.iter().map(|(k, v)| format!("{k}: {}", cell_text(v))).collect::<Vec<_>>().join(", "),
            }
        }
        Value::Array(a) => a.iter().map(cell_text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

fn num(v: &Value) -> String {
    match v.as_f64() {
        Some(f) if (f - f.round()).abs() < 1e-9 => format!("{}", f.round() as i64),
        Some(f) => format!("{f:.1}"),
        None => cell_text(v),
    }
}

/// One line: status and where the request went.
pub fn summary(o: &Outcome) -> String {
    let v = match o {
        Outcome::BadRequest(e) => return format!("invalid request: {e}"),
        Outcome::Ok(v) => v,
    };
    let mut parts = Vec::new();
    if let Some(st) = v.get("status").filter(|s| !s.is_null()) {
        parts.push(cell_text(st));
    }
    if let Some(r) = v.get("redirect").filter(|s| !s.is_null()) {
        parts.push(format!("→ {}", redirect_text(r)));
    }
    if let Some(b) = v.get("backends").filter(|s| !s.is_null()) {
        let t = cell_text(b);
        if !t.is_empty() {
            parts.push(format!("→ {t}"));
        }
    } else if let Some(b) = v.get("backend").filter(|s| !s.is_null()) {
        parts.push(format!("→ {}", cell_text(b)));
    }
    if parts.is_empty() {
        v.to_string()
    } else {
        parts.join(" ")
    }
}

fn redirect_text(r: &Value) -> String {
    r.get("location").map(cell_text).unwrap_or_else(|| cell_text(r))
}

fn view_outcome(o: &Outcome, with_trace: bool, _ctx: &Context<App>) -> Html {
    let v = match o {
        Outcome::BadRequest(e) => return html! { <p class="bad-request" role="alert">{ format!("Invalid request: {e}") }</p> },
        Outcome::Ok(v) => v,
    };
    let status = v.get("status").and_then(Value::as_u64);
    let status_cls = match status {
        Some(200..=299) => "chip ok",
        Some(300..=399) => "chip info",
        Some(_) => "chip bad",
        None => "chip unknown",
    };
    let mut rest = v.clone();
    let trace = rest.as_object_mut().and_then(|m| m.remove("trace"));
    let backends: Vec<Value> = match v.get("backends") {
        Some(Value::Array(a)) => a.clone(),
        Some(Value::Object(m)) => m.iter().map(|(k, w)| serde_json::json!({"backend": k, "percent": w})).collect(),
        _ => v.get("backend").filter(|b| !b.is_null()).cloned().into_iter().collect(),
    };
    html! {
        <div class="outcome">
            <div class="headline">
                <span class={status_cls}>{ v.get("status").map(cell_text).unwrap_or_else(|| "—".into()) }</span>
                if let Some(r) = v.get("redirect").filter(|r| !r.is_null()) {
                    <span class="redirect">{ format!("redirect → {}", redirect_text(r)) }</span>
                }
                if !backends.is_empty() {
                    <ul class="backends" aria-label="Backends">
                        { for backends.iter().map(|b| html! { <li class="backend">{ cell_text(b) }</li> }) }
                    </ul>
                }
            </div>
            <details class="details">
                <summary>{ "Details" }</summary>
                <pre class="yaml">{ yamlish::to_yaml(&rest) }</pre>
            </details>
            if with_trace {
                if let Some(t) = trace { { view_trace(&t) } }
            } else if let Some(t) = trace { { view_trace(&t) } }
        </div>
    }
}

fn view_trace(t: &Value) -> Html {
    let items: Vec<String> = match t {
        Value::Array(a) => a
            .iter()
            .map(|x| match x {
                Value::String(s) => s.clone(),
                Value::Object(m) => {
                    let step = ["step", "stage", "kind"].iter().find_map(|k| m.get(*k)).map(cell_text);
                    let text = ["message", "detail", "text", "decision"].iter().find_map(|k| m.get(*k)).map(cell_text);
                    match (step, text) {
                        (Some(s), Some(t)) => format!("{s}: {t}"),
                        (None, Some(t)) => t,
                        _ => cell_text(x),
                    }
                }
                other => cell_text(other),
            })
            .collect(),
        Value::Null => return html! {},
        other => vec![cell_text(other)],
    };
    html! {
        <ol class="trace" aria-label="Trace">
            { for items.into_iter().map(|i| html! { <li>{ i }</li> }) }
        </ol>
    }
}
