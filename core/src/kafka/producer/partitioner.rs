//! sarama's partitioners (IBM/sarama `partitioner.go`, and the range check
//! of `async_producer.go` `topicProducer.partitionMessage`), as pure
//! functions of the message key and the partition count. Randomness comes
//! from the caller's [`SimRng`], so a seed fixes every choice.
//!
//! # Semantics
//! - [`Partitioner::Hash`] (`NewHashPartitioner`, sarama's default): a nil
//!   key picks a random partition (`Intn(numPartitions)`); otherwise the
//!   32-bit FNV-1a hash of the key bytes is read as a *signed* `int32`,
//!   taken `% numPartitions` (Go's remainder keeps the dividend's sign) and
//!   a negative result negated. This is not Java's murmur2, so a Go and a
//!   Java producer place the same key differently. The hash `0x8000_0000`
//!   (`i32::MIN`, key `"1468509572224"`) gives `-48 % 50 -> 48`.
//! - [`Partitioner::ReferenceHash`] (`NewReferenceHashPartitioner`): FNV-1a,
//!   then `(int32(h) & 0x7fffffff) % numPartitions` (Java's abs).
//! - [`Partitioner::ConsistentCrc`] (`NewConsistentCRCHashPartitioner`,
//!   librdkafka's `consistent_random`): unsigned CRC-32 (IEEE) `% n`.
//! - [`Partitioner::Random`]: a uniform partition for every message.
//! - [`Partitioner::RoundRobin`]: a counter starting at 0; if it is at or
//!   past the partition count it restarts at 0; the result is the counter,
//!   which then advances. One counter per topic (sarama builds one
//!   partitioner per topic).
//! - [`Partitioner::Manual`]: the message's own partition field.
//! - sarama's producer then rejects a choice outside `[0, n)` with
//!   `ErrInvalidPartition` ([`PartitionError::InvalidPartition`]), and a
//!   topic with no partitions with `ErrLeaderNotAvailable`
//!   ([`PartitionError::NoPartitions`]) before asking the partitioner.
//! - Consistency (`RequiresConsistency` / `MessageRequiresConsistency`):
//!   hashing partitioners with a key and Manual must choose among *all*
//!   partitions; Random, RoundRobin and nil-key hashing only among the
//!   writable ones (the caller passes the right count).
//!
//! # Simplifications
//! The key is its encoded bytes (`Encoder.Encode()` cannot fail here).
//! sarama seeds its random partitioner from the wall clock; here it is the
//! world's generator. The murmur2 partitioner is not modelled.

use crate::rng::SimRng;
use std::fmt;

/// Why a message could not be given a partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartitionError {
    /// The topic has no partitions (sarama: `ErrLeaderNotAvailable`).
    NoPartitions,
    /// The chosen partition is outside `[0, num_partitions)` (sarama:
    /// `ErrInvalidPartition`); only Manual can produce it.
    InvalidPartition { partition: i32, num_partitions: i32 },
}

impl fmt::Display for PartitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartitionError::NoPartitions => {
                write!(
                    f,
                    "kafka server: topic has no partitions (leader not available)"
                )
            }
            PartitionError::InvalidPartition {
                partition,
                num_partitions,
            } => write!(
                f,
                "kafka: partitioner returned an invalid partition index: {partition} \
                 not in [0, {num_partitions})"
            ),
        }
    }
}

impl std::error::Error for PartitionError {}

/// One topic's partitioner (sarama's `PartitionerConstructor(topic)`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Partitioner {
    /// `NewHashPartitioner`: FNV-1a, signed remainder, negate (the default).
    Hash,
    /// `NewReferenceHashPartitioner`: FNV-1a, `& 0x7fffffff`, remainder.
    ReferenceHash,
    /// `NewConsistentCRCHashPartitioner`: unsigned CRC-32 IEEE remainder.
    ConsistentCrc,
    /// `NewRandomPartitioner`.
    Random,
    /// `NewRoundRobinPartitioner`; `next` is the partition it gives next.
    RoundRobin { next: i32 },
    /// `NewManualPartitioner`.
    Manual,
}

impl Default for Partitioner {
    /// sarama's default, [`Partitioner::Hash`].
    fn default() -> Self {
        Partitioner::Hash
    }
}

impl Partitioner {
    /// A fresh round-robin partitioner (counter at 0).
    pub fn round_robin() -> Self {
        Partitioner::RoundRobin { next: 0 }
    }

    /// The partition for a message with `key` (`None` = nil key) and, for
    /// Manual, its own `manual_partition`, on a topic of `num_partitions`.
    /// Includes the producer's range check.
    pub fn partition(
        &mut self,
        key: Option<&[u8]>,
        manual_partition: i32,
        num_partitions: i32,
        rng: &mut SimRng,
    ) -> Result<i32, PartitionError> {
        if num_partitions <= 0 {
            return Err(PartitionError::NoPartitions);
        }
        let n = num_partitions;
        let random = |rng: &mut SimRng| rng.below(n as u64) as i32;
        let choice = match self {
            Partitioner::Random => random(rng),
            Partitioner::RoundRobin { next } => {
                if *next >= n || *next < 0 {
                    *next = 0;
                }
                let ret = *next;
                *next += 1;
                ret
            }
            Partitioner::Manual => manual_partition,
            Partitioner::Hash => match key {
                None => random(rng),
                Some(k) => hash_partition(fnv1a32(k), n),
            },
            Partitioner::ReferenceHash => match key {
                None => random(rng),
                Some(k) => reference_hash_partition(fnv1a32(k), n),
            },
            Partitioner::ConsistentCrc => match key {
                None => random(rng),
                Some(k) => (crc32_ieee(k) % n as u32) as i32,
            },
        };
        if choice < 0 || choice >= n {
            return Err(PartitionError::InvalidPartition {
                partition: choice,
                num_partitions: n,
            });
        }
        Ok(choice)
    }

    /// Whether this message must be placed among all partitions, even
    /// unavailable ones (sarama's `MessageRequiresConsistency`, else
    /// `RequiresConsistency`).
    pub fn requires_consistency(&self, key: Option<&[u8]>) -> bool {
        match self {
            Partitioner::Hash | Partitioner::ReferenceHash | Partitioner::ConsistentCrc => {
                key.is_some()
            }
            Partitioner::Manual => true,
            Partitioner::Random | Partitioner::RoundRobin { .. } => false,
        }
    }
}

/// sarama's default conversion: `int32(h) % n`, negated if negative.
/// `n` must be positive.
pub fn hash_partition(hash: u32, n: i32) -> i32 {
    // `wrapping_rem` only differs for `i32::MIN % -1`, excluded by `n > 0`.
    let p = (hash as i32).wrapping_rem(n);
    if p < 0 {
        -p
    } else {
        p
    }
}

/// The Java-compatible conversion: `(int32(h) & 0x7fffffff) % n`.
pub fn reference_hash_partition(hash: u32, n: i32) -> i32 {
    ((hash as i32) & 0x7fff_ffff).wrapping_rem(n)
}

/// 32-bit FNV-1a (Go's `hash/fnv.New32a`).
pub fn fnv1a32(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in bytes {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// CRC-32 with the IEEE polynomial (Go's `crc32.ChecksumIEEE`), bitwise.
pub fn crc32_ieee(bytes: &[u8]) -> u32 {
    let mut crc: u32 = !0;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rng() -> SimRng {
        SimRng::new(7)
    }

    /// `assertPartitioningConsistent` (partitioner_test.go): in range and
    /// the same answer 50 times.
    fn assert_consistent(p: &mut Partitioner, key: &[u8], n: i32) {
        let mut r = rng();
        let first = p.partition(Some(key), 0, n, &mut r).unwrap();
        assert!((0..n).contains(&first));
        for _ in 1..50 {
            assert_eq!(p.partition(Some(key), 0, n, &mut r).unwrap(), first);
        }
    }

    /// Pseudo-random 256-byte keys (the Go tests use `crypto/rand`).
    fn keys() -> Vec<Vec<u8>> {
        let mut r = SimRng::new(99);
        (1..50)
            .map(|_| (0..256).map(|_| r.below(256) as u8).collect())
            .collect()
    }

    /// Go `hash/fnv` fnv_test.go `golden32a` vectors.
    #[test]
    fn fnv1a32_matches_go_golden32a() {
        assert_eq!(fnv1a32(b""), 0x811c9dc5);
        assert_eq!(fnv1a32(b"a"), 0xe40c292c);
        assert_eq!(fnv1a32(b"ab"), 0x4d2505ca);
        assert_eq!(fnv1a32(b"abc"), 0x1a47e90b);
    }

    /// partitioner_test.go TestRandomPartitioner.
    #[test]
    fn random_partitioner() {
        let mut p = Partitioner::Random;
        let mut r = rng();
        assert_eq!(p.partition(None, 0, 1, &mut r), Ok(0));
        for _ in 1..50 {
            let c = p.partition(None, 0, 50, &mut r).unwrap();
            assert!((0..50).contains(&c));
        }
    }

    /// partitioner_test.go TestRoundRobinPartitioner.
    #[test]
    fn round_robin_partitioner() {
        let mut p = Partitioner::round_robin();
        let mut r = rng();
        assert_eq!(p.partition(None, 0, 1, &mut r), Ok(0));
        for i in 1..50 {
            assert_eq!(p.partition(None, 0, 7, &mut r), Ok(i % 7));
        }
    }

    /// partitioner_test.go TestHashPartitioner (and
    /// TestNewHashPartitionerWithHasher, same partitioner): nil key with one
    /// partition gives 0, nil keys stay in range, keys are consistent.
    #[test]
    fn hash_partitioner() {
        let mut p = Partitioner::Hash;
        let mut r = rng();
        assert_eq!(p.partition(None, 0, 1, &mut r), Ok(0));
        for _ in 1..50 {
            let c = p.partition(None, 0, 50, &mut r).unwrap();
            assert!((0..50).contains(&c));
        }
        for k in keys() {
            assert_consistent(&mut p, &k, 50);
        }
    }

    /// partitioner_test.go TestHashPartitionerMinInt32 (and
    /// TestHashPartitionerWithHasherMinInt32): "1468509572224" hashes to
    /// 2147483648 = i32::MIN; -2147483648 % 50 = -48, negated: 48.
    #[test]
    fn hash_partitioner_min_int32() {
        assert_eq!(fnv1a32(b"1468509572224"), 2_147_483_648);
        let mut p = Partitioner::Hash;
        assert_eq!(
            p.partition(Some(b"1468509572224"), 0, 50, &mut rng()),
            Ok(48)
        );
        // The Java-style abs masks the sign bit instead: 0.
        let mut q = Partitioner::ReferenceHash;
        assert_eq!(
            q.partition(Some(b"1468509572224"), 0, 50, &mut rng()),
            Ok(0)
        );
    }

    /// The two conversions differ exactly on negative hashes: "a" hashes
    /// to 0xe40c292c (negative as int32).
    #[test]
    fn hash_and_reference_hash_differ_on_negative_hashes() {
        let h = fnv1a32(b"a");
        let signed = h as i32; // -468965076
        assert!(signed < 0);
        assert_eq!(hash_partition(h, 100), 76); // -468965076 % 100 = -76
        assert_eq!(
            reference_hash_partition(h, 100),
            (signed & 0x7fff_ffff) % 100
        );
        assert_eq!(reference_hash_partition(h, 100), 72); // 1678518572 % 100
    }

    /// partitioner_test.go TestHashPartitionerConsistency.
    #[test]
    fn hash_partitioner_consistency() {
        let p = Partitioner::Hash;
        assert!(p.requires_consistency(Some(b"hi")));
        assert!(!p.requires_consistency(None));
        assert!(Partitioner::Manual.requires_consistency(None));
        assert!(!Partitioner::Random.requires_consistency(Some(b"hi")));
        assert!(!Partitioner::round_robin().requires_consistency(Some(b"hi")));
    }

    /// partitioner_test.go TestConsistentCRCHashPartitioner and
    /// TestCustomPartitionerWithConsistentHashing ("SheetJS": crc32
    /// 2647669026, unsigned % 100 = 26, not the signed 70).
    #[test]
    fn consistent_crc_hash_partitioner() {
        assert_eq!(crc32_ieee(b"SheetJS"), 2_647_669_026);
        let mut p = Partitioner::ConsistentCrc;
        for (key, want) in [
            ("abc123def456", 57),
            ("SheetJS", 26),
            ("9e8c7f4cf45857cfff7645d6", 24),
            ("3900446192ff85a5f67da10c", 75),
            ("0f4407b7a67d6d27de372198", 50),
        ] {
            assert_eq!(
                p.partition(Some(key.as_bytes()), 0, 100, &mut rng()),
                Ok(want),
                "{key}"
            );
        }
    }

    /// partitioner_test.go TestManualPartitioner, plus async_producer.go's
    /// range check (`ErrInvalidPartition`).
    #[test]
    fn manual_partitioner() {
        let mut p = Partitioner::Manual;
        let mut r = rng();
        assert_eq!(p.partition(None, 0, 1, &mut r), Ok(0));
        for i in 1..50 {
            assert_eq!(p.partition(None, i, 50, &mut r), Ok(i));
        }
        assert_eq!(
            p.partition(None, 50, 50, &mut r),
            Err(PartitionError::InvalidPartition {
                partition: 50,
                num_partitions: 50
            })
        );
        assert_eq!(
            p.partition(None, -1, 50, &mut r),
            Err(PartitionError::InvalidPartition {
                partition: -1,
                num_partitions: 50
            })
        );
    }

    /// async_producer.go `partitionMessage`: no partitions ->
    /// ErrLeaderNotAvailable, for every partitioner (sarama would divide by
    /// zero in the partitioner otherwise).
    #[test]
    fn no_partitions_is_an_error() {
        for mut p in [
            Partitioner::Hash,
            Partitioner::ReferenceHash,
            Partitioner::ConsistentCrc,
            Partitioner::Random,
            Partitioner::round_robin(),
            Partitioner::Manual,
        ] {
            assert_eq!(
                p.partition(Some(b"k"), 0, 0, &mut rng()),
                Err(PartitionError::NoPartitions)
            );
            assert_eq!(
                p.partition(None, 0, -3, &mut rng()),
                Err(PartitionError::NoPartitions)
            );
        }
    }

    /// partitioner.go roundRobinPartitioner: a shrunk partition count
    /// restarts the counter at 0.
    #[test]
    fn round_robin_restarts_when_partitions_shrink() {
        let mut p = Partitioner::round_robin();
        let mut r = rng();
        for i in 0..5 {
            assert_eq!(p.partition(None, 0, 10, &mut r), Ok(i));
        }
        assert_eq!(p.partition(None, 0, 3, &mut r), Ok(0));
        assert_eq!(p.partition(None, 0, 3, &mut r), Ok(1));
    }

    /// Same seed, same nil-key choices (randomness is the caller's).
    #[test]
    fn nil_key_choices_follow_the_seed() {
        let draw = |seed| {
            let mut r = SimRng::new(seed);
            let mut p = Partitioner::Hash;
            (0..20)
                .map(|_| p.partition(None, 0, 12, &mut r).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(3), draw(3));
    }
}
