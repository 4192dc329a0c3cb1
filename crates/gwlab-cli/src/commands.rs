use crate::Format;
use std::path::{Path, PathBuf};
pub fn check(_: &[PathBuf], _: Option<Format>, _: Option<String>) -> u8 { 2 }
pub fn route(_: &[PathBuf], _: &[String], _: Format, _: Option<String>) -> u8 { 2 }
pub fn table(_: &[PathBuf], _: Format, _: Option<String>) -> u8 { 2 }
pub fn test(_: &[PathBuf], _: bool, _: bool) -> u8 { 2 }
pub fn diff(_: &Path, _: &Path, _: &[String], _: bool, _: Option<String>) -> u8 { 2 }
