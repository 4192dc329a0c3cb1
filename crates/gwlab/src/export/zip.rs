//! A minimal ZIP writer: stored entries (no compression), fixed timestamps, Unix modes.
//!
//! The bundle is a few dozen kilobytes of text, so compression buys little; writing the format ourselves keeps
//! the core free of dependencies (it builds for wasm32 as is) and makes the output byte-identical for identical
//! input by construction.

use super::input::BundleFile;

/// The folder every entry is put under, so unzipping creates one directory.
pub const ZIP_ROOT: &str = "gwlab-lab/";

const DOS_TIME: u16 = 0; // 00:00:00
const DOS_DATE: u16 = (1 << 5) | 1; // 1980-01-01

fn crc32(data: &[u8]) -> u32 {
    let mut table = [0u32; 256];
    for (i, slot) in table.iter_mut().enumerate() {
        let mut c = i as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
        *slot = c;
    }
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc = table[((crc ^ b as u32) & 0xFF) as usize] ^ (crc >> 8);
    }
    crc ^ 0xFFFF_FFFF
}

fn u16le(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn u32le(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

struct Entry {
    name: Vec<u8>,
    crc: u32,
    size: u32,
    offset: u32,
    mode: u32,
}

/// Zips the files under [`ZIP_ROOT`], directories implied by the paths, executables with mode 0755.
pub fn zip(files: &[BundleFile]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut entries = Vec::new();
    for f in files {
        let name = format!("{ZIP_ROOT}{}", f.path).into_bytes();
        let data = f.contents.as_bytes();
        let crc = crc32(data);
        let offset = out.len() as u32;
        u32le(&mut out, 0x0403_4b50);
        u16le(&mut out, 20); // version needed
        u16le(&mut out, 0x0800); // flags: UTF-8 names
        u16le(&mut out, 0); // stored
        u16le(&mut out, DOS_TIME);
        u16le(&mut out, DOS_DATE);
        u32le(&mut out, crc);
        u32le(&mut out, data.len() as u32);
        u32le(&mut out, data.len() as u32);
        u16le(&mut out, name.len() as u16);
        u16le(&mut out, 0); // extra
        out.extend_from_slice(&name);
        out.extend_from_slice(data);
        let mode = if f.executable { 0o100755 } else { 0o100644 };
        entries.push(Entry {
            name,
            crc,
            size: data.len() as u32,
            offset,
            mode,
        });
    }
    let cd_start = out.len() as u32;
    for e in &entries {
        u32le(&mut out, 0x0201_4b50);
        u16le(&mut out, (3 << 8) | 20); // made by: Unix, 2.0
        u16le(&mut out, 20);
        u16le(&mut out, 0x0800);
        u16le(&mut out, 0);
        u16le(&mut out, DOS_TIME);
        u16le(&mut out, DOS_DATE);
        u32le(&mut out, e.crc);
        u32le(&mut out, e.size);
        u32le(&mut out, e.size);
        u16le(&mut out, e.name.len() as u16);
        u16le(&mut out, 0); // extra
        u16le(&mut out, 0); // comment
        u16le(&mut out, 0); // disk
        u16le(&mut out, 0); // internal attributes
        u32le(&mut out, e.mode << 16);
        u32le(&mut out, e.offset);
        out.extend_from_slice(&e.name);
    }
    let cd_size = out.len() as u32 - cd_start;
    u32le(&mut out, 0x0605_4b50);
    u16le(&mut out, 0);
    u16le(&mut out, 0);
    u16le(&mut out, entries.len() as u16);
    u16le(&mut out, entries.len() as u16);
    u32le(&mut out, cd_size);
    u32le(&mut out, cd_start);
    u16le(&mut out, 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_known_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }
}
