//! A fast, non-cryptographic hasher for the internal lookup tables (the Fx hash used by rustc).
//! The keys are names from the user's own manifests and requests, so hash flooding is not a
//! concern, and SipHash dominated short-key lookups on the routing hot path.

use std::hash::{BuildHasherDefault, Hasher};

#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.hash = (self.hash.rotate_left(5) ^ w).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    /// Whole 8-byte words, then the 1–7 remaining bytes as one more word (two overlapping
    /// reads) rather than byte by byte: most keys are short names, and the per-byte tail was
    /// most of the cost of hashing them.
    #[inline]
    fn write(&mut self, mut bytes: &[u8]) {
        while bytes.len() >= 8 {
            self.add(u64::from_le_bytes(bytes[..8].try_into().unwrap_or([0; 8])));
            bytes = &bytes[8..];
        }
        let n = bytes.len();
        if n >= 4 {
            let lo = u32::from_le_bytes(bytes[..4].try_into().unwrap_or([0; 4])) as u64;
            let hi = u32::from_le_bytes(bytes[n - 4..].try_into().unwrap_or([0; 4])) as u64;
            self.add(lo | hi << 32);
        } else if n > 0 {
            // Every byte is read: first, middle and last cover lengths 1 to 3.
            self.add(bytes[0] as u64 | (bytes[n / 2] as u64) << 8 | (bytes[n - 1] as u64) << 16);
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

pub type FxBuildHasher = BuildHasherDefault<FxHasher>;
pub type FxHashMap<K, V> = std::collections::HashMap<K, V, FxBuildHasher>;
