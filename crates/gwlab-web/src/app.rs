//! The playground: editor on the left, live results on the right.
use std::collections::{HashMap, HashSet};

use gloo::events::EventListener;
use gloo::timers::callback::Timeout;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::builtin::{self, SCENARIOS};
use crate::engine::{self, Computed, Outcome};
use crate::remote::{self, Remote};
use crate::share::{self, State};
use crate::{dom, editor, graph, learn, yamlish};

const STORAGE_KEY: &str = "gwlab.state.v1";
const THEME_KEY: &str = "gwlab.theme";
const DEBOUNCE_MS: u32 = 120;
/// The file the Export dialog downloads.
const EXPORT_FILE: &str = "gwlab-lab.zip";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Tab {
    Problems,
    Status,
    Routes,
    Requests,
    Graph,
    Learn,
}

const TABS: [Tab; 6] = [
    Tab::Problems,
    Tab::Status,
    Tab::Routes,
    Tab::Requests,
    Tab::Graph,
    Tab::Learn,
];

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
    Probe(String),
    Learn(String),
    PickScenario(String),
    Share,
    Reset,
    ToggleTheme,
    PinBaseline,
    ClearBaseline,
    HashChanged,
    ClearToast,
    Refresh,
    OpenExport,
    CloseExport,
    ExportVersions(String),
    DownloadExport,
    DialogKey(KeyboardEvent),
    /// An answer of the analysis worker: its id and the results as JSON (`None`: the worker failed).
    Remote(u32, Option<remote::Answer>),
    /// The Learn text (`diagnostics.md`), fetched after the first paint; `None` if it could not be.
    LearnText(Option<String>),
    /// The editor bundle finished loading (or failed to).
    EditorLoaded,
    /// The first analysis, run once the page has painted.
    FirstAnalyze,
    /// Mount CodeMirror now that the first results are painted.
    MountEditor,
    /// The API server's validation module finished loading (or failed to): analyse again with it.
    AdmitLoaded,
}

/// What the Export dialog shows: the chosen version set and what the lab will not check.
struct ExportDialog {
    versions: String,
    /// `None` while the worker prepares them (large inputs).
    notes: Option<Vec<String>>,
    /// The worker's answer ids for the notes and for the bundle, while they are awaited.
    notes_id: Option<u32>,
    zip_id: Option<u32>,
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
    editor_root: Option<web_sys::Element>,
    debounce: Option<Timeout>,
    toast: Option<(String, Timeout)>,
    open_traces: HashSet<usize>,
    learn_code: Option<String>,
    /// The Learn text: `None` while it is loading, `Some("")` when it could not be loaded.
    learn_md: Option<String>,
    notice: Option<String>,
    render_start: Option<f64>,
    analyses: u32,
    dirty: bool,
    /// The Export dialog, while it is open.
    export: Option<ExportDialog>,
    _hash_listener: Option<EventListener>,
    link: yew::html::Scope<App>,
    /// CodeMirror is not mounted yet (nor given up for the textarea).
    editor_pending: bool,
    _editor_listener: Option<EventListener>,
    _admit_listener: Option<EventListener>,
    /// Before the first analysis (which runs right after the first paint).
    booting: bool,
    /// The analysis worker, started for the first large input.
    remote: Option<Remote>,
    /// The worker answer the panels wait for: its id, and whether it brings a new analysis.
    waiting: Option<(u32, bool)>,
    /// The worker could not run here; everything is analysed on the main thread.
    worker_failed: bool,
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
    let sc = dom::query_flag("scenario")
        .and_then(|s| builtin::find(&s))
        .or_else(builtin::default_scenario);
    match sc {
        Some(sc) => (scenario_state(sc), sc.slug.to_string(), notice),
        None => (State::new(builtin::FALLBACK, vec![]), String::new(), notice),
    }
}

fn scenario_state(sc: &builtin::Scenario) -> State {
    State::new(
        sc.manifests,
        sc.requests.iter().map(|r| r.to_string()).collect(),
    )
}

impl App {
    fn state(&self) -> State {
        State::new(self.text.clone(), self.requests.clone())
    }

    fn share_url(&self) -> String {
        format!("{}#s={}", dom::base_url(), share::encode(&self.state()))
    }

    /// Large inputs go to the worker (the panels keep the previous results until it answers); small
    /// ones are analysed here, in a few milliseconds.
    fn analyze(&mut self) {
        if self.text.len() >= remote::WORKER_MIN_BYTES && !self.worker_failed && self.start_remote()
        {
            if let Some(r) = &mut self.remote {
                let id = r.post(Some(&self.text), &self.requests, &self.draft);
                self.waiting = Some((id, true));
                return;
            }
        }
        self.waiting = None;
        self.computed = engine::compute(&self.text, dom::now);
        self.reroute();
        self.analyses += 1;
        if self.cm {
            editor::set_diagnostics(&self.computed.diags);
        }
    }

    fn start_remote(&mut self) -> bool {
        if self.remote.is_none() {
            let link = self.link.clone();
            self.remote =
                Remote::start(move |id, answer| link.send_message(Msg::Remote(id, answer)));
        }
        self.remote.is_some()
    }

    /// Results from the worker: only the newest request's answer is taken.
    fn take_remote(&mut self, id: u32, json: &str) -> bool {
        let Some((want, analysis)) = self.waiting else {
            return false;
        };
        if id != want {
            return false;
        }
        self.waiting = None;
        let Some((computed, outcomes, draft)) = engine::from_results_json(json) else {
            return false;
        };
        self.computed = computed;
        self.outcomes = outcomes;
        self.draft_outcome = draft;
        if analysis {
            self.analyses += 1;
            if self.cm {
                editor::set_diagnostics(&self.computed.diags);
            }
        }
        true
    }

    /// Routes the draft line alone (or, with the worker's results, everything again over there).
    fn route_draft(&mut self) {
        if self.computed.analysis.is_none() && self.remote.is_some() {
            self.reroute();
        } else {
            self.draft_outcome =
                (!self.draft.trim().is_empty()).then(|| engine::route(&self.computed, &self.draft));
        }
    }

    /// Hands the bundle to the browser as a download and closes the Export dialog.
    fn downloaded(&mut self, ctx: &Context<Self>, bytes: &[u8], versions: &str) -> bool {
        if dom::download(EXPORT_FILE, "application/zip", bytes) {
            self.export = None;
            self.toast(
                ctx,
                format!("Downloaded {EXPORT_FILE} ({versions} versions)"),
            );
        } else {
            if let Some(d) = &mut self.export {
                d.zip_id = None;
            }
            self.toast(ctx, "The browser refused the download");
        }
        true
    }

    /// The core's analysis of the current text: the one at hand, or (for results that came from the
    /// worker) a fresh one made here, for the rare actions that need the whole model, like Export.
    fn with_analysis<R>(&self, f: impl FnOnce(&gwlab::Analysis) -> R) -> R {
        match &self.computed.analysis {
            Some(a) => f(a),
            None => f(engine::compute(&self.text, dom::now)
                .analysis
                .as_ref()
                .expect("a local analysis")),
        }
    }

    fn reroute(&mut self) {
        if self.computed.analysis.is_none() && self.remote.is_some() {
            if let Some(r) = &mut self.remote {
                let id = r.post(None, &self.requests, &self.draft);
                // A pending analysis answer also routes these requests: keep waiting for it.
                if !matches!(self.waiting, Some((_, true))) {
                    self.waiting = Some((id, false));
                } else {
                    self.waiting = Some((id, true));
                }
            }
            return;
        }
        self.outcomes = self
            .requests
            .iter()
            .map(|r| engine::route(&self.computed, r))
            .collect();
        self.draft_outcome =
            (!self.draft.trim().is_empty()).then(|| engine::route(&self.computed, &self.draft));
    }

    fn persist(&self) {
        let st = self.state();
        if !self.embed {
            dom::save(STORAGE_KEY, &st.to_json());
        }
        // The address bar always holds a link to the current state, so a reload (or a copy of the URL) keeps it;
        // except for large inputs, which make no sensible link (the autosave keeps them).
        if st.manifests.len() >= remote::WORKER_MIN_BYTES {
            dom::replace_hash("");
        } else {
            dom::replace_hash(&format!("s={}", share::encode(&st)));
        }
    }

    fn load(&mut self, st: State, scenario: String) {
        self.set_state(st, scenario);
        self.analyze();
    }

    fn set_state(&mut self, st: State, scenario: String) {
        self.text = st.manifests;
        self.requests = st.requests;
        self.draft = self.requests.first().cloned().unwrap_or_default();
        self.scenario = scenario;
        self.open_traces.clear();
        if self.cm {
            editor::set_text(&self.text);
        }
    }

    /// Mounts CodeMirror (once its bundle is there), or settles for the textarea.
    fn mount_editor(&mut self, ctx: &Context<Self>) {
        let link = ctx.link().clone();
        let cb = Closure::<dyn Fn(String)>::new(move |text: String| {
            link.send_message(Msg::Edited(text))
        });
        // CodeMirror lives in an element of our own, outside Yew's virtual DOM, and is put back into the
        // host if a re-render ever replaces the host.
        let root = dom::window()
            .document()
            .and_then(|d| d.create_element("div").ok());
        if let Some(root) = &root {
            root.set_class_name("editor-root");
        }
        let t0 = dom::now();
        self.cm = editor::state() == editor::Load::Ready
            && root
                .as_ref()
                .is_some_and(|r| editor::mount(r, &self.text, &cb));
        dom::publish("editorMountMs", dom::now() - t0);
        self.editor_root = root.filter(|_| self.cm);
        self.on_change = Some(cb);
        if self.cm {
            editor::set_diagnostics(&self.computed.diags);
        }
        dom::set_root_attr(
            "data-editor",
            if self.cm { "codemirror" } else { "textarea" },
        );
        ctx.link().send_message(Msg::Refresh); // put the editor root into its host (or show the textarea)
    }

    fn toast(&mut self, ctx: &Context<Self>, text: impl Into<String>) {
        let link = ctx.link().clone();
        self.toast = Some((
            text.into(),
            Timeout::new(2500, move || link.send_message(Msg::ClearToast)),
        ));
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
        dom::publish("appStart", dom::now());
        let embed = dom::query_flag("embed").is_some_and(|v| v != "0");
        let dark = match dom::query_flag("theme")
            .or_else(|| dom::load(THEME_KEY))
            .as_deref()
        {
            Some("dark") => true,
            Some("light") => false,
            _ => dom::prefers_dark(),
        };
        dom::set_root_attr("data-theme", if dark { "dark" } else { "light" });
        let (st, scenario, notice) = initial_state(embed);
        let link = ctx.link().clone();
        let hash_listener = EventListener::new(&dom::window(), "hashchange", move |_| {
            link.send_message(Msg::HashChanged)
        });
        let mut app = App {
            text: String::new(),
            requests: Vec::new(),
            draft: String::new(),
            draft_outcome: None,
            computed: engine::Computed::empty(),
            outcomes: Vec::new(),
            baseline: None,
            tab: if embed { Tab::Requests } else { Tab::Problems },
            dark,
            embed,
            scenario: String::new(),
            editor_host: NodeRef::default(),
            // The editor bundle is a deferred script: mounted in the first `rendered` when it is there,
            // or when it arrives (Msg::EditorLoaded).
            cm: false,
            on_change: None,
            editor_root: None,
            debounce: None,
            toast: None,
            open_traces: HashSet::new(),
            learn_code: None,
            learn_md: None,
            notice,
            render_start: None,
            analyses: 0,
            dirty: false,
            export: None,
            _hash_listener: Some(hash_listener),
            link: ctx.link().clone(),
            // CodeMirror is mounted once the first results are painted (Msg::MountEditor), or when its
            // bundle arrives after that.
            editor_pending: true,
            _editor_listener: None,
            _admit_listener: None,
            booting: true,
            remote: None,
            waiting: None,
            worker_failed: false,
        };
        // The first paint shows the text; the analysis follows right after it (Msg::FirstAnalyze).
        app.set_state(st, scenario);
        // The editor bundle is fetched early (a preload in index.html) but run only once the first
        // results are painted (`editor::load` from Msg::MountEditor); it announces itself, or its
        // failure, with a `gwlab-editor` event.
        let link = ctx.link().clone();
        app._editor_listener = Some(EventListener::new(
            &dom::window(),
            "gwlab-editor",
            move |_| link.send_message(Msg::EditorLoaded),
        ));
        // The validation module (`admit.rs`) is loaded after the first results, and announces
        // itself, or its failure, with a `gwlab-admit` event.
        let link = ctx.link().clone();
        app._admit_listener = Some(EventListener::new(
            &dom::window(),
            "gwlab-admit",
            move |_| link.send_message(Msg::AdmitLoaded),
        ));
        app
    }

    fn rendered(&mut self, ctx: &Context<Self>, first_render: bool) {
        if first_render {
            dom::publish("firstRender", dom::now());
            let link = ctx.link().clone();
            dom::after_paint(move || link.send_message(Msg::FirstAnalyze));
            // The Learn text is not needed for the first paint: fetch it now (the service worker keeps it).
            let link = ctx.link().clone();
            wasm_bindgen_futures::spawn_local(async move {
                link.send_message(Msg::LearnText(dom::fetch_text("diagnostics.md").await));
            });
        }
        if let (Some(root), Some(host)) = (
            &self.editor_root,
            self.editor_host.cast::<web_sys::Element>(),
        ) {
            if root.parent_element().as_ref() != Some(&host) {
                let _ = host.append_child(root);
            }
        }
        if !self.booting && self.waiting.is_none() && !dom::published("firstResult") {
            dom::publish("firstResult", dom::now());
        }
        if self.waiting.is_none() {
            if let Some(t0) = self.render_start.take() {
                dom::publish("editToResult", dom::now() - t0);
            }
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
                self.debounce = Some(Timeout::new(DEBOUNCE_MS, move || {
                    link.send_message(Msg::Analyze)
                }));
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
                self.route_draft();
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
                    self.route_draft();
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
            Msg::Probe(line) => {
                self.draft = line;
                self.route_draft();
                dom::focus_by_id("request");
                true
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
                let outcomes = self
                    .requests
                    .iter()
                    .cloned()
                    .zip(self.outcomes.iter().cloned())
                    .collect();
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
                        Err(e) => {
                            self.notice = Some(format!("Could not open the shared link: {e}"))
                        }
                    }
                    return true;
                }
                false
            }
            Msg::Refresh => true,
            Msg::OpenExport => {
                let versions = gwlab::export::Versions::default().name.to_string();
                let mut d = ExportDialog {
                    versions,
                    notes: None,
                    notes_id: None,
                    zip_id: None,
                };
                match (&self.computed.analysis, &mut self.remote) {
                    // A large input: the worker has the analysis, and makes the export there.
                    (None, Some(r)) => {
                        d.notes_id = Some(r.post_export("notes", &self.requests, ""))
                    }
                    _ => {
                        d.notes = Some(
                            self.with_analysis(|a| gwlab::export::export(a, &self.requests).notes),
                        )
                    }
                }
                self.export = Some(d);
                dom::focus_by_id_later("export-download");
                true
            }
            Msg::CloseExport => {
                self.export = None;
                dom::focus_by_id_later("export-open");
                true
            }
            Msg::ExportVersions(name) => {
                if let Some(d) = &mut self.export {
                    d.versions = name;
                }
                false
            }
            Msg::DownloadExport => {
                let versions = self
                    .export
                    .as_ref()
                    .and_then(|d| gwlab::export::Versions::by_name(&d.versions))
                    .unwrap_or_default();
                if let (None, Some(r), Some(d)) =
                    (&self.computed.analysis, &mut self.remote, &mut self.export)
                {
                    if d.zip_id.is_none() {
                        d.zip_id = Some(r.post_export("zip", &self.requests, versions.name));
                    }
                    return true;
                }
                let bytes =
                    self.with_analysis(|a| gwlab::export::export_zip(a, &self.requests, &versions));
                self.downloaded(ctx, &bytes, versions.name)
            }
            Msg::Remote(id, Some(remote::Answer::ExportNotes(notes))) => match &mut self.export {
                Some(d) if d.notes_id == Some(id) => {
                    d.notes = Some(notes);
                    d.notes_id = None;
                    true
                }
                _ => false,
            },
            Msg::Remote(id, Some(remote::Answer::ExportZip(bytes))) => match &self.export {
                Some(d) if d.zip_id == Some(id) => {
                    let versions = d.versions.clone();
                    dom::publish("exportedBy", 1.0); // 1: the worker made the bundle (read by the browser tests)
                    self.downloaded(ctx, &bytes, &versions)
                }
                _ => false,
            },
            Msg::Remote(id, Some(remote::Answer::Results(json))) => self.take_remote(id, &json),
            Msg::Remote(_, None) => {
                // No worker after all: analyse here (the page waits, but gets its answer), and finish
                // an export the worker was making.
                self.remote = None;
                self.worker_failed = true;
                self.analyze();
                if self.export.as_ref().is_some_and(|d| d.notes.is_none()) {
                    let notes =
                        self.with_analysis(|a| gwlab::export::export(a, &self.requests).notes);
                    if let Some(d) = &mut self.export {
                        (d.notes, d.notes_id) = (Some(notes), None);
                    }
                }
                if self.export.as_mut().and_then(|d| d.zip_id.take()).is_some() {
                    ctx.link().send_message(Msg::DownloadExport);
                }
                true
            }
            // Before the first results are on screen the editor waits: `FirstAnalyze` mounts it after them.
            Msg::EditorLoaded | Msg::MountEditor => {
                if !self.editor_pending || self.booting {
                    return false;
                }
                if editor::state() == editor::Load::Pending {
                    editor::load(); // once; its `gwlab-editor` event comes back as EditorLoaded
                    return false;
                }
                self.editor_pending = false;
                self._editor_listener = None;
                self.mount_editor(ctx);
                true
            }
            Msg::FirstAnalyze => {
                let t0 = dom::now();
                self.booting = false;
                self.analyze();
                dom::publish("firstAnalyzeMs", dom::now() - t0);
                // The results are painted first; the editor bundle runs and CodeMirror mounts (tens of ms
                // each) right after them.
                if self.editor_pending {
                    let link = ctx.link().clone();
                    dom::after_paint(move || link.send_message(Msg::MountEditor));
                }
                // The API server's validation comes after the first results, never before them.
                dom::after_paint(crate::admit::load);
                true
            }
            Msg::AdmitLoaded => {
                if !crate::admit::ready() {
                    // It failed to load: analyses go on reading objects as written.
                    dom::publish("admitSettled", dom::now());
                    return false;
                }
                dom::publish("admitReady", dom::now());
                if let Some(r) = &mut self.remote {
                    r.load_admit();
                }
                self.analyze();
                dom::publish("admitSettled", dom::now());
                true
            }
            Msg::LearnText(md) => {
                self.learn_md = Some(md.unwrap_or_default());
                self.tab == Tab::Learn
            }
            Msg::DialogKey(e) => {
                if e.key() == "Escape" {
                    e.prevent_default();
                    ctx.link().send_message(Msg::CloseExport);
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
        let errors = self
            .computed
            .diags
            .iter()
            .filter(|d| d.severity == "error")
            .count();
        let warnings = self
            .computed
            .diags
            .iter()
            .filter(|d| d.severity == "warning")
            .count();
        let editor = html! {
            <section class="pane editor-pane" aria-label="Editor">
                <div class="editor-host" ref={self.editor_host.clone()} hidden={!self.cm} />
                if self.editor_pending {
                    // The text, until the editor bundle has loaded and CodeMirror takes its place.
                    <pre class="editor-placeholder" aria-hidden="true">{ self.text.clone() }</pre>
                }
                if !self.cm && !self.editor_pending {
                    <textarea id="manifests-fallback" class="fallback" aria-label="Manifests" spellcheck="false"
                        value={self.text.clone()}
                        oninput={link.callback(|e: InputEvent| Msg::Edited(e.target_unchecked_into::<HtmlTextAreaElement>().value()))} />
                }
                <div class="statusbar" aria-live="polite">
                    <span class={classes!("count", (errors > 0).then_some("err"))}>{ plural(errors, "error") }</span>
                    <span class={classes!("count", (warnings > 0).then_some("warn"))}>{ plural(warnings, "warning") }</span>
                    <span class="muted" title="time the core took for the last analysis">
                        { if self.booting || self.waiting.is_some_and(|(_, a)| a) { "analyzing…".to_string() } else { format!("analyzed in {:.1} ms", self.computed.ms) } }
                    </span>
                </div>
            </section>
        };
        let results = html! {
            <section class="pane results-pane" aria-label="Analysis">
                { self.view_request_bar(ctx) }
                { self.view_result(ctx) }
                { self.view_tabs(ctx) }
            </section>
        };
        let toast = self
            .toast
            .as_ref()
            .map(|(t, _)| html! { <div class="toast" role="status">{ t.clone() }</div> });
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
                                <option value={s.slug} selected={self.scenario == s.slug}>{ scenario_label(s) }</option>
                            }) }
                        </select>
                    </label>
                    <div class="actions">
                        <button onclick={link.callback(|_| Msg::Share)} title="Copy a link to these manifests and requests">{ "Share" }</button>
                        <button id="export-open" onclick={link.callback(|_| Msg::OpenExport)} aria-haspopup="dialog"
                            title="Download a kind + Envoy Gateway lab that checks these predictions on a real cluster">
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
                { self.view_export(ctx) }
                { for toast }
            </div>
        }
    }
}

/// `01 · Minimal HTTP`: the README title when it already carries the number, else number + title.
fn scenario_label(s: &builtin::Scenario) -> String {
    let num = s.slug.split('-').next().unwrap_or("");
    if s.title.starts_with(num) {
        s.title.to_string()
    } else {
        format!("{num} · {}", s.title)
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
    fn view_export(&self, ctx: &Context<Self>) -> Html {
        let Some(d) = &self.export else {
            return html! {};
        };
        let link = ctx.link();
        let requests = self.requests.len();
        html! {
            <div class="dialog-backdrop" onclick={link.callback(|_| Msg::CloseExport)}>
                <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="export-title"
                    aria-describedby="export-about"
                    onclick={Callback::from(|e: MouseEvent| e.stop_propagation())}
                    onkeydown={link.callback(Msg::DialogKey)}>
                    <h2 id="export-title">{ "Export a lab" }</h2>
                    <p id="export-about">
                        { "A zip with a kind cluster, Envoy Gateway, echo backends and these manifests. " }
                        { "Its " }<code>{ "verify.sh" }</code>{ " sends " }{ plural(requests, "saved request") }
                        { " and one probe per routing-table row, and compares each answer with what gwlab predicts." }
                    </p>
                    <label class="field">
                        <span>{ "Versions" }</span>
                        <select id="export-versions" aria-label="Versions"
                            onchange={link.callback(|e: Event| Msg::ExportVersions(e.target_unchecked_into::<HtmlSelectElement>().value()))}>
                            { for gwlab::export::VERSION_SETS.iter().map(|v| html! {
                                <option value={v.name} selected={d.versions == v.name}>
                                    { format!("{} — Envoy Gateway {}, Kubernetes {}", v.name, v.envoy_gateway,
                                        v.kind_node_image.rsplit(':').next().unwrap_or(v.kind_node_image)) }
                                </option>
                            }) }
                        </select>
                    </label>
                    { match &d.notes {
                        None => html! { <p class="muted export-notes" aria-live="polite">{ "Checking what the lab can verify…" }</p> },
                        Some(notes) if !notes.is_empty() => html! {
                            <div class="export-notes" role="region" aria-label="Export notes">
                                <p>{ "Kept in expect.yaml but not checked by verify.sh:" }</p>
                                <ul>{ for notes.iter().map(|n| html! { <li>{ n.clone() }</li> }) }</ul>
                            </div>
                        },
                        Some(_) => html! {},
                    } }
                    <div class="dialog-actions">
                        <button type="button" onclick={link.callback(|_| Msg::CloseExport)}>{ "Cancel" }</button>
                        <button type="button" id="export-download" class="primary" aria-busy={d.zip_id.is_some().to_string()}
                            onclick={link.callback(|_| Msg::DownloadExport)}>
                            { if d.zip_id.is_some() { format!("Preparing {EXPORT_FILE}…") } else { format!("Download {EXPORT_FILE}") } }
                        </button>
                    </div>
                </div>
            </div>
        }
    }

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
            Some(o) => self.view_outcome(o, ctx),
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
                        Tab::Routes => self.view_routes(ctx),
                        Tab::Requests => self.view_requests(ctx),
                        Tab::Graph => html! {
                            <div class="graph-wrap">
                                <p class="muted legend">{ "Click a node to see its YAML. Dashed red edges are rejected attachments or unusable backends (hover for the reason)." }</p>
                                { graph::view(&self.computed.graph, link.callback(Msg::Jump)) }
                            </div>
                        },
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
                    let range = st.range;
                    let all_ok = st.refused.is_empty() && st.conditions.iter().all(cond_ok);
                    html! {
                        <details class={classes!("status", (!all_ok).then_some("bad"))} open={!all_ok}>
                            <summary>
                                <span class="obj">{ st.id() }</span>
                                <span class="chips">
                                    if !st.refused.is_empty() {
                                        <span class="chip bad" title={ st.refused.join("\n") }>{ "refused by the API server ✗" }</span>
                                    }
                                    { for st.conditions.iter().map(|c| {
                                        let cls = if c.status == "Unknown" { "chip unknown" } else if cond_ok(c) { "chip ok" } else { "chip bad" };
                                        let title = format!("{}{}={} ({}): {}", if c.scope.is_empty() { String::new() } else { format!("[{}] ", c.scope) }, c.kind, c.status, c.reason, c.message);
                                        let mark = if c.status == "True" { "✓" } else if c.status == "False" { "✗" } else { "?" };
                                        let scope = c.scope.rsplit(": ").next().filter(|_| !c.scope.is_empty());
                                        let text = match scope { Some(sc) => format!("{sc} · {} {mark}", c.kind), None => format!("{} {mark}", c.kind) };
                                        html! { <span class={cls} {title}>{ text }</span> }
                                    }) }
                                </span>
                                <button class="link" title="Show in the editor" onclick={link.callback(move |e: MouseEvent| { e.prevent_default(); Msg::Jump(range) })}>{ "YAML ↗" }</button>
                            </summary>
                            if st.refused.is_empty() {
                                <pre class="yaml">{ format!("status:\n{}", indent(&yamlish::to_yaml(&st.status), 2)) }</pre>
                            } else {
                                <p class="refused-note">{ "The API server refuses this object, so the cluster never stores it and nothing uses it. kubectl apply would print:" }</p>
                                <pre class="refused">{ st.refused.join("\n") }</pre>
                            }
                            if !st.defaulted.is_empty() {
                                <p class="defaulted">{ format!("Filled in by the API server from the CRD's defaults: {}", st.defaulted.join(", ")) }</p>
                            }
                        </details>
                    }
                }) }
            </div>
        }
    }

    fn view_routes(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let rows = &self.computed.table;
        if rows.is_empty() {
            return html! { <table class="routes" aria-label="Routes"><tbody><tr><td class="empty">{ "No route is attached to a programmed listener." }</td></tr></tbody></table> };
        }
        html! {
            <table class="routes" aria-label="Routes">
                <thead><tr>
                    <th scope="col">{ "Listener" }</th><th scope="col">{ "Hostname" }</th><th scope="col">{ "Match" }</th>
                    <th scope="col">{ "Route" }</th><th scope="col">{ "Backends / action" }</th><th scope="col"><span class="sr">{ "Notes" }</span></th>
                </tr></thead>
                <tbody>
                    { for rows.iter().map(|r| {
                        let probe = r.probe.clone();
                        let range = self.computed.locate(&r.route, Some(&format!("/spec/rules/{}", r.rule)));
                        html! {
                            <tr class={classes!(r.shadowed.then_some("shadowed"))}>
                                <td>{ format!("{} :{}", r.listener, r.port) }</td>
                                <td>{ if r.hostname.is_empty() { "*".to_string() } else { r.hostname.clone() } }</td>
                                <td>{ r.matches.clone() }</td>
                                <td><button class="link" title="Show the rule in the editor" onclick={link.callback(move |_| Msg::Jump(range))}>
                                    { format!("{} #{}", r.route, r.rule) }</button></td>
                                <td>{ r.action.clone() }</td>
                                <td class="notes">
                                    if r.shadowed {
                                        <span class="chip bad" title="An earlier entry matches every request this one would: it can never be reached">{ "shadowed" }</span>
                                    }
                                    if let Some(p) = probe {
                                        <button class="try" title={format!("Try: {p}")} onclick={link.callback(move |_| Msg::Probe(p.clone()))}>{ "Try" }</button>
                                    }
                                </td>
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
            .filter(|(r, o)| {
                b.outcomes
                    .get(*r)
                    .map(|p| !p.same_answer(o))
                    .unwrap_or(true)
            })
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
                        let changed = match before { Some(Some(p)) => !p.same_answer(o), Some(None) => true, None => false };
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
                                if open { { self.view_outcome(o, ctx) } }
                            </li>
                        }
                    }) }
                </ol>
            </div>
        }
    }

    fn view_learn(&self) -> Html {
        let Some(code) = &self.learn_code else {
            return html! { <p class="empty">{ "Click a problem's code to read why it happens and how to fix it." }</p> };
        };
        let Some(md) = self.learn_md.as_deref() else {
            return html! { <p class="muted">{ "Loading…" }</p> };
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

fn pct(f: f64) -> String {
    let p = f * 100.0;
    if (p - p.round()).abs() < 0.05 {
        format!("{}%", p.round() as i64)
    } else {
        format!("{p:.1}%")
    }
}

fn share_text(sh: &gwlab::route::Share) -> String {
    use gwlab::route::ShareOutcome;
    match &sh.outcome {
        ShareOutcome::Backend {
            namespace,
            name,
            port,
            ..
        } => format!("{namespace}/{name}:{port}"),
        ShareOutcome::Status { code } => format!("{code} from the gateway"),
        ShareOutcome::Rejected => "connection rejected".to_string(),
    }
}

/// One line: status and where the request went.
pub fn summary(o: &Outcome) -> String {
    let o = match o {
        Outcome::BadRequest(e) => return format!("invalid request: {e}"),
        Outcome::Ok(o) => o,
    };
    let mut parts = Vec::new();
    if let Some(g) = &o.grpc_status {
        parts.push(g.clone());
    } else if o.status != 0 {
        parts.push(o.status.to_string());
    }
    if let Some(r) = &o.redirect {
        parts.push(format!("→ {}", r.location));
    }
    let shares: Vec<String> = o
        .shares
        .iter()
        .filter(|s| !matches!(s.outcome, gwlab::route::ShareOutcome::Status { code } if code == o.status && o.shares.len() == 1))
        .map(|s| if o.shares.len() > 1 { format!("{} {}", share_text(s), pct(s.fraction)) } else { share_text(s) })
        .collect();
    if !shares.is_empty() {
        parts.push(format!("→ {}", shares.join(", ")));
    }
    parts.join(" ")
}

impl App {
    fn view_outcome(&self, o: &Outcome, ctx: &Context<Self>) -> Html {
        use gwlab::route::ShareOutcome;
        let link = ctx.link();
        let o = match o {
            Outcome::BadRequest(e) => {
                return html! { <p class="bad-request" role="alert">{ format!("Invalid request: {e}") }</p> }
            }
            Outcome::Ok(o) => o,
        };
        let status_cls = match o.status {
            0 => "chip unknown",
            200..=299 => "chip ok",
            300..=399 => "chip info",
            _ => "chip bad",
        };
        let status_text = match (&o.grpc_status, o.status) {
            (Some(g), _) => format!("gRPC {g}"),
            (None, 0)
                if o.shares.is_empty()
                    || o.shares.iter().any(|s| s.outcome == ShareOutcome::Rejected) =>
            {
                "refused".to_string()
            }
            (None, 0) => "connected".to_string(),
            (None, s) => s.to_string(),
        };
        let shares = o.shares.iter().map(|sh| {
            let share = if o.shares.len() > 1 || sh.fraction < 1.0 { Some(pct(sh.fraction)) } else { None };
            match &sh.outcome {
                ShareOutcome::Backend { namespace, name, port, path, host, headers, tls, passthrough, .. } => html! {
                    <li class="share">
                        <span class="backend">{ format!("{namespace}/{name}:{port}") }</span>
                        if let Some(p) = share { <span class="pct">{ p }</span> }
                        if *passthrough {
                            <span class="chip info">{ "TLS passthrough" }</span>
                        } else {
                            <span class="muted">{ format!(" receives {host}{path}") }</span>
                        }
                        if let Some(t) = tls { <span class="chip info" title={format!("BackendTLSPolicy {} · CA {}", t.policy, t.ca)}>{ format!("TLS, SNI {}", t.sni) }</span> }
                        if !headers.is_empty() {
                            <details class="details"><summary>{ format!("{} request headers", headers.len()) }</summary>
                                <pre class="yaml">{ headers.iter().map(|(k, v)| format!("{k}: {v}\n")).collect::<String>() }</pre>
                            </details>
                        }
                    </li>
                },
                other => html! {
                    <li class="share">
                        <span class="chip bad">{ match other { ShareOutcome::Status { code } => format!("{code} from the gateway"), _ => "connection rejected".to_string() } }</span>
                        if let Some(p) = share { <span class="pct">{ p }</span> }
                    </li>
                },
            }
        });
        html! {
            <div class="outcome">
                <div class="headline">
                    <span class={status_cls}>{ status_text }</span>
                    if let Some(r) = &o.redirect {
                        <span class="redirect">{ format!("redirect {} → {}", r.status, r.location) }</span>
                    }
                    if let Some((route, rule)) = &o.route {
                        <span class="muted">{ format!("via {route} rule {rule}") }</span>
                    }
                    if let Some(l) = &o.listener { <span class="muted">{ format!("on {l}") }</span> }
                </div>
                if !o.shares.is_empty() {
                    <ul class="shares" aria-label="Backends">{ for shares }</ul>
                }
                if !o.response_headers.is_empty() || !o.removed_response_headers.is_empty() {
                    <details class="details"><summary>{ "Response headers" }</summary>
                        <pre class="yaml">{ o.response_headers.iter().map(|(k, v)| format!("{k}: {v}\n")).chain(o.removed_response_headers.iter().map(|k| format!("(removed) {k}\n"))).collect::<String>() }</pre>
                    </details>
                }
                if !o.mirrors.is_empty() {
                    <p class="muted">{ format!("mirrored to {}", o.mirrors.iter().map(|(m, p)| format!("{m} ({p}%)")).collect::<Vec<_>>().join(", ")) }</p>
                }
                if !o.trace.is_empty() {
                    <ol class="trace" aria-label="Trace">
                        { for o.trace.iter().map(|t| {
                            let range = t.object.as_deref().and_then(|obj| self.computed.locate(obj, t.pointer.as_deref()));
                            html! {
                                <li class={format!("stage-{}", t.stage)}>
                                    <span class="stage">{ t.stage.clone() }</span>
                                    { format!(" {}", t.message) }
                                    if range.is_some() {
                                        <button class="link" title="Show in the editor" onclick={link.callback(move |_| Msg::Jump(range))}>{ "↗" }</button>
                                    }
                                </li>
                            }
                        }) }
                    </ol>
                }
            </div>
        }
    }
}
