//! gwlab core

pub mod export;
