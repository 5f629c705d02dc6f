//! Key fingerprints that cannot be subtracted: how plan.json records which keys each
//! stratum held, so that `draw` and `verify` can tell that an extract is the one planned
//! for, without giving anyone a value from which a key can be recovered.
//!
//! Per stratum the scan adds up XXH3-128 of every key (wrapping, mod 2¹²⁸): order-
//! independent, so the same whatever the row order, file split, format or thread count,
//! and mergeable per chunk. plan.json does not publish that sum (plan format 1 did) but a
//! commitment to it ([`commit`]): the first 128 bits of SHA-256 (FIPS 180-4) of a
//! domain-separation label and the sum.
//!
//! Why: a sum of key hashes can be subtracted. Two plans made from extracts that differ by
//! one record (last night's and tonight's) leave that record's hash as the difference of
//! their fingerprints, and a search over the ~4·10⁸ personnummer finds it in seconds. The
//! SHA-256 of a sum has no such arithmetic: the difference of two commitments is noise, and
//! recovering a sum from its commitment is a preimage search over 2¹²⁸ values. Testing a
//! guessed key against one commitment needs every other key of the stratum, which is why
//! a stratum records no fingerprint at all when it has fewer than
//! [`MIN_FINGERPRINT_N`] records, or fewer than that many not drawn (the
//! manifest lists the drawn ones). The commitment is deterministic, so the same extract gives the same plan.json
//! (the nightly run stays idempotent) and anyone holding the extract can check it.
//!
//! Our own code is only this composition; the hashes are `xxhash-rust`'s and `sha2`'s.

use sha2::{Digest, Sha256};

/// The label hashed before a stratum's sum, so that a commitment can be told from any
/// other SHA-256 use.
const DOMAIN: &[u8] = b"urval stratum fingerprint v2\0";

/// The method as plan.json states it (`extract.fingerprint_method`, format 2).
pub const METHOD: &str = "per stratum, the first 128 bits of SHA-256(\"urval stratum fingerprint v2\\0\" || the wrapping sum of XXH3-128(key) over its keys, 16 bytes big-endian); none for a stratum under 5 records; the extract's: XXH3-128 over the sorted (strata values, stratum fingerprint) lines";

/// The hash of one key that a stratum's sum adds up (the duplicate-key check of `plan`
/// compares the same hash).
#[inline]
pub fn key_hash(key: &[u8]) -> u128 {
    xxhash_rust::xxh3::xxh3_128(key)
}

/// The fingerprint plan.json records for a stratum whose keys' [`key_hash`]es sum to `sum`:
/// for plan format 2 and later the commitment (module documentation), for a format-1 plan
/// (read for checking only) the sum itself.
pub fn commit(plan_version: u32, sum: u128) -> u128 {
    if plan_version < 2 {
        return sum;
    }
    let mut h = Sha256::new();
    h.update(DOMAIN);
    h.update(sum.to_be_bytes());
    let d = h.finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&d[..16]);
    u128::from_be_bytes(first)
}

/// The fewest keys a stratum's fingerprint may hide. A fingerprint is a SHA-256
/// commitment to the wrapping sum of XXH3-128 hashes of the stratum's keys
/// ([`crate::fingerprint`]), and plan.json is shared: whoever knows all but k of the keys
/// can test guesses for the other k against it. For k = 1 that is a search over every
/// personnummer (about 4·10⁸ a century, a minute's work); for k = 2 a meet-in-the-middle
/// table of 4·10⁸ hashes (6 GB); for k = 3 about 10¹⁷ steps. From 5 on, a margin of two. So
/// a stratum records a fingerprint only when it has at least 5 records and at least 5 of
/// them are not drawn (the manifest lists the drawn keys); others record none (empty) and
/// are left out of the extract's; `draw` and `verify` then check their N_h only. Keys a
/// reader learns in other ways (several manifests drawn from one plan with different seeds
/// or starts) narrow the margin: draw once per plan.
pub const MIN_FINGERPRINT_N: u64 = 5;

#[cfg(test)]
mod tests {
    use super::*;

    /// The commitment is SHA-256 as published: the FIPS 180-4 example "abc" gives
    /// ba7816bf 8f01cfea 414140de 5dae2223 …, and the commitment of a sum is the SHA-256 of
    /// the label and the sum's 16 bytes.
    #[test]
    fn the_commitment_is_sha256_of_the_label_and_the_sum() {
        let abc = Sha256::digest(b"abc");
        assert_eq!(
            u128::from_be_bytes(abc[..16].try_into().unwrap_or_default()),
            0xba78_16bf_8f01_cfea_4141_40de_5dae_2223
        );
        let sum = 0x0123_4567_89ab_cdef_0011_2233_4455_6677u128;
        let mut bytes = DOMAIN.to_vec();
        bytes.extend_from_slice(&sum.to_be_bytes());
        let d = Sha256::digest(&bytes);
        assert_eq!(
            commit(2, sum),
            u128::from_be_bytes(d[..16].try_into().unwrap_or_default())
        );
        assert_eq!(commit(1, sum), sum);
    }

    /// The finding this module answers: the difference of two format-1 fingerprints over
    /// extracts that differ by one key is that key's hash; the difference of two format-2
    /// fingerprints is not the hash of any key, nor of any key's commitment.
    #[test]
    fn two_plans_differing_by_one_key_give_nothing_by_subtraction() {
        let keys: Vec<String> = (0..50).map(|i| format!("1942011{i:02}-0129")).collect();
        let extra = "19420113-0129";
        let sum = |ks: &[&str]| {
            ks.iter()
                .fold(0u128, |a, k| a.wrapping_add(key_hash(k.as_bytes())))
        };
        let base: Vec<&str> = keys.iter().map(String::as_str).collect();
        let mut more = base.clone();
        more.push(extra);
        assert_eq!(
            commit(1, sum(&more)).wrapping_sub(commit(1, sum(&base))),
            key_hash(extra.as_bytes())
        );
        let diff = commit(2, sum(&more)).wrapping_sub(commit(2, sum(&base)));
        for k in base.iter().chain([&extra]) {
            let h = key_hash(k.as_bytes());
            assert_ne!(diff, h, "{k}");
            assert_ne!(diff, commit(2, h), "{k}");
        }
    }
}
