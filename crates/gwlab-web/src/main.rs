//! gwlab playground: a thin Yew shell over the gwlab core.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod app;
mod builtin;
mod dom;
mod editor;
mod engine;
mod graph;
mod learn;
mod share;
mod yamlish;

fn main() {
    #[cfg(target_arch = "wasm32")]
    yew::Renderer::<app::App>::new().render();
}
