//! The Bloom filter of a sealed key index unit (see `key_index.rs`): kept
//! in memory with the unit's fences, stored in its `.idx` footer, it lets a
//! lookup skip, without a read, the sealed units that cannot hold a hash.

/// Bloom filter bits per entry of a sealed unit.
pub const BLOOM_BITS_PER_ENTRY: u64 = 8;
/// Bit probes per hash: with 8 bits per entry, about 2% false positives.
const BLOOM_PROBES: u64 = 5;

/// A Bloom filter over the hashes of a sealed unit: `words.len() * 64`
/// bits, probes `h + i * (rotl32(h) | 1)` by double hashing (the hash is
/// already xxh3, so no second hash function is needed).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bloom {
    pub words: Vec<u64>,
}

impl Bloom {
    /// A filter sized for `count` hashes, holding `hashes`.
    pub fn build(count: usize, hashes: impl Iterator<Item = u64>) -> Bloom {
        let words = (count as u64 * BLOOM_BITS_PER_ENTRY).div_ceil(64) as usize;
        let mut bloom = Bloom {
            words: vec![0; words],
        };
        for hash in hashes {
            assert!(words > 0, "hash added to an empty filter");
            for bit in bloom.bits(hash) {
                bloom.words[(bit / 64) as usize] |= 1 << (bit % 64);
            }
        }
        bloom
    }

    fn bits(&self, hash: u64) -> impl Iterator<Item = u64> {
        let bit_count = self.words.len() as u64 * 64;
        let step = hash.rotate_left(32) | 1;
        (0..BLOOM_PROBES).map(move |probe| hash.wrapping_add(probe.wrapping_mul(step)) % bit_count)
    }

    /// False only if `hash` was never added.
    pub fn may_contain(&self, hash: u64) -> bool {
        if self.words.is_empty() {
            return false;
        }
        let words = &self.words;
        self.bits(hash).all(|bit| {
            words
                .get((bit / 64) as usize)
                .is_some_and(|word| word & (1 << (bit % 64)) != 0)
        })
    }
}

#[cfg(test)]
mod tests {
    use xxhash_rust::xxh3::xxh3_64;

    use super::*;

    #[test]
    fn bloom_never_misses_an_added_hash_and_rejects_most_others() {
        let added: Vec<u64> = (0..5000u64).map(|n| xxh3_64(&n.to_be_bytes())).collect();
        let bloom = Bloom::build(added.len(), added.iter().copied());
        assert!(added.iter().all(|hash| bloom.may_contain(*hash)));
        let others = (5000..105_000u64).map(|n| xxh3_64(&n.to_be_bytes()));
        let false_positives = others.filter(|hash| bloom.may_contain(*hash)).count();
        assert!(
            false_positives < 5000,
            "{false_positives} false positives in 100000"
        );
        assert!(!Bloom::default().may_contain(added[0]));
    }
}
