//! gwlab playground: a thin Yew shell over the gwlab core.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod admit;
mod app;
mod builtin;
mod dom;
mod editor;
mod engine;
mod graph;
mod learn;
mod remote;
mod share;
mod yamlish;

fn main() {
    // The same module also runs in the analysis worker (see remote.rs), where there is no page.
    #[cfg(target_arch = "wasm32")]
    if web_sys::window().is_some() {
        yew::Renderer::<app::App>::new().render();
    }
}
