//! Committing to a request before its seed exists, and deriving the seed from randomness
//! drawn in the open: a draw neither side can steer.
//!
//! Whoever holds the extract and chooses the seed could try seeds until the sample looks
//! convenient. Risk-limiting election audits close that door in two steps (Rivest's
//! `consistent_sampler`; Stark's audit tools; VotingWorks' Arlo): the frame and the plan
//! are fixed and published first, then a seed is made in public (dice rolled at a meeting)
//! and fed into a published procedure anyone can rerun. Here:
//!
//! 1. `urval commit` writes `commitment.json`: the SHA-256 of plan.json as urval wrote it,
//!    the extract fingerprint the plan holds, the PRN specification's version, the stage,
//!    the SHA-256 of each file of an earlier stage's results (its manifest, its findings)
//!    and the time, and `commitment`, the SHA-256 of those fields in the canonical text of
//!    [`Commitment::canonical_text`]. The commitment goes into the request letter before
//!    any seed exists.
//! 2. `urval draw --commitment commitment.json --randomness DIGITS` derives the seed:
//!    the first 8 bytes, as a big-endian unsigned 64-bit integer, of
//!    SHA-256(`urval-seed-v1:` ‖ commitment ‖ `:` ‖ randomness ‖ `:` ‖ stage)
//!    ([`derive_seed`]), the randomness being what the parties produced after the
//!    commitment (dice, or several contributions joined by `,`), spaces removed.
//! 3. `urval verify` checks the chain: the commitment against its own fields, the plan and
//!    the extract; the seed against the commitment and the randomness; the manifest against
//!    the seed.
//!
//! A later stage (stage 2 of a staged request, the re-review of a two-phase review) takes a
//! new commitment naming the earlier stage's results and fresh randomness: whoever chose a
//! later stage's size knowing its sample could steer it (Arlo's lesson for rounds).
//!
//! The hashing is the `sha2` crate's; the text forms are this module's own, because they
//! are the specification another implementation (the guide's 30-line Python script)
//! recomputes byte for byte.

pub use crate::error::CommitmentError;
use crate::files::file_name;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The format version of `commitment.json`.
pub const COMMITMENT_VERSION: u32 = 1;
/// The first line of the canonical text a commitment hashes.
pub const COMMITMENT_LABEL: &str = "urval-commitment-v1";
/// The prefix of the text a seed is derived from.
pub const SEED_LABEL: &str = "urval-seed-v1";

/// The result of this module's functions.
pub type Result<T, E = CommitmentError> = std::result::Result<T, E>;

/// One file of an earlier stage's results, by name and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PreviousFile {
    /// The file's name (no directory).
    pub file: String,
    /// SHA-256 of its bytes, lower-case hex.
    pub sha256: String,
}

/// `commitment.json`: what a request commits to before its seed exists.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Commitment {
    /// Always `urval-commitment`.
    pub kind: String,
    /// [`COMMITMENT_VERSION`].
    pub version: u32,
    /// The urval that made it.
    pub urval_version: String,
    /// The plan's file name (no directory).
    pub plan: String,
    /// SHA-256 of the plan file's bytes as urval wrote it, lower-case hex.
    pub plan_sha256: String,
    /// The extract's fingerprint the plan holds (empty for a re-review's plan, whose
    /// population is the phase-1 manifest named in `previous`).
    pub extract_fingerprint: String,
    /// The version of the PRN specification the draw will follow.
    pub prn_spec_version: u32,
    /// The stage (1 for a one-stage request; 2 for stage 2 or a re-review).
    pub stage: u32,
    /// The earlier stage's results (its manifest, its findings), in the order given.
    pub previous: Vec<PreviousFile>,
    /// When the commitment was made (UTC, RFC 3339).
    pub created: String,
    /// SHA-256 of [`Commitment::canonical_text`], lower-case hex.
    pub commitment: String,
}

/// SHA-256 of `bytes` as lower-case hex.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// SHA-256 of a file's bytes.
///
/// # Errors
/// The file cannot be read.
pub fn file_sha256(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|source| CommitmentError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(sha256_hex(&bytes))
}

impl Commitment {
    /// The text the commitment is the SHA-256 of: one `name=value` line per field, each
    /// ending in `\n`, in this order:
    ///
    /// ```text
    /// urval-commitment-v1
    /// plan_sha256=<hex>
    /// extract_fingerprint=<text>
    /// prn_spec_version=<integer>
    /// stage=<integer>
    /// previous=<hex>,<hex>,…     (empty after '=' when there is none)
    /// created=<RFC 3339>
    /// ```
    ///
    /// File names are left out: renaming a file changes nothing that was committed to.
    #[must_use]
    pub fn canonical_text(&self) -> String {
        let previous: Vec<&str> = self.previous.iter().map(|p| p.sha256.as_str()).collect();
        format!(
            "{COMMITMENT_LABEL}\nplan_sha256={}\nextract_fingerprint={}\nprn_spec_version={}\nstage={}\nprevious={}\ncreated={}\n",
            self.plan_sha256,
            self.extract_fingerprint,
            self.prn_spec_version,
            self.stage,
            previous.join(","),
            self.created
        )
    }

    /// The commitment its fields give.
    #[must_use]
    pub fn computed(&self) -> String {
        sha256_hex(self.canonical_text().as_bytes())
    }

    /// A commitment to the plan at `plan` (its bytes and the extract fingerprint it holds),
    /// for `stage`, after the earlier stage's results in `previous`, made at `created`.
    ///
    /// # Errors
    /// A file cannot be read.
    pub fn make(
        plan: &Path,
        extract_fingerprint: &str,
        stage: u32,
        previous: &[PathBuf],
        created: &str,
    ) -> Result<Self> {
        let previous = previous
            .iter()
            .map(|p| {
                Ok(PreviousFile {
                    file: file_name(p),
                    sha256: file_sha256(p)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut c = Commitment {
            kind: "urval-commitment".to_string(),
            version: COMMITMENT_VERSION,
            urval_version: env!("CARGO_PKG_VERSION").to_string(),
            plan: file_name(plan),
            plan_sha256: file_sha256(plan)?,
            extract_fingerprint: extract_fingerprint.to_string(),
            prn_spec_version: urval_sample::PRN_SPEC_VERSION,
            stage,
            previous,
            created: created.to_string(),
            commitment: String::new(),
        };
        c.commitment = c.computed();
        Ok(c)
    }

    /// Read `commitment.json` and check that its fields give its commitment.
    ///
    /// # Errors
    /// The file cannot be read, is not a commitment of this version, or was altered.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| CommitmentError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let c: Commitment =
            serde_json::from_str(&text).map_err(|e| CommitmentError::NotACommitment {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        if c.kind != "urval-commitment" || c.version != COMMITMENT_VERSION {
            return Err(CommitmentError::NotACommitment {
                path: path.to_path_buf(),
                reason: format!(
                    "kind {:?} version {}, expected \"urval-commitment\" version {COMMITMENT_VERSION}",
                    c.kind, c.version
                ),
            });
        }
        let computed = c.computed();
        if computed != c.commitment {
            return Err(CommitmentError::Altered {
                path: path.to_path_buf(),
                stated: c.commitment,
                computed,
            });
        }
        Ok(c)
    }

    /// The first 16 hex digits, the short form for a letter.
    #[must_use]
    pub fn short(&self) -> &str {
        &self.commitment[..16.min(self.commitment.len())]
    }

    /// Check that `plan` is the plan committed to.
    ///
    /// # Errors
    /// [`CommitmentError::OtherPlan`] naming both hashes.
    pub fn check_plan(&self, plan: &Path, commitment_file: &str) -> Result<()> {
        let bytes = std::fs::read(plan).map_err(|source| CommitmentError::Read {
            path: plan.to_path_buf(),
            source,
        })?;
        self.check_plan_bytes(&file_name(plan), &bytes, commitment_file)
    }

    /// Check that `bytes`, the plan named `plan`, are the plan committed to.
    ///
    /// # Errors
    /// [`CommitmentError::OtherPlan`] naming both hashes.
    pub fn check_plan_bytes(&self, plan: &str, bytes: &[u8], commitment_file: &str) -> Result<()> {
        let actual = sha256_hex(bytes);
        if actual == self.plan_sha256 {
            Ok(())
        } else {
            Err(CommitmentError::OtherPlan {
                plan: plan.to_string(),
                commitment: commitment_file.to_string(),
                actual,
                committed: self.plan_sha256.clone(),
            })
        }
    }

    /// Check that `file`, an earlier stage's result, is named in the commitment.
    ///
    /// # Errors
    /// [`CommitmentError::PreviousNotCommitted`].
    pub fn check_previous(&self, file: &Path, commitment_file: &str) -> Result<()> {
        let sha = file_sha256(file)?;
        if self.previous.iter().any(|p| p.sha256 == sha) {
            Ok(())
        } else {
            Err(CommitmentError::PreviousNotCommitted {
                commitment: commitment_file.to_string(),
                file: file_name(file),
            })
        }
    }
}

/// The randomness as it enters the seed: spaces (any Unicode white space) removed; only
/// digits and `,` (between contributions) allowed, at least one digit.
///
/// # Errors
/// [`CommitmentError::BadRandomness`].
pub fn normalize_randomness(given: &str) -> Result<String> {
    let text: String = given.chars().filter(|c| !c.is_whitespace()).collect();
    let ok = text.chars().all(|c| c.is_ascii_digit() || c == ',')
        && text.chars().any(|c| c.is_ascii_digit());
    if ok {
        Ok(text)
    } else {
        Err(CommitmentError::BadRandomness {
            given: given.to_string(),
        })
    }
}

/// The seed of a draw: the first 8 bytes, big-endian, of
/// SHA-256(`urval-seed-v1:` ‖ commitment ‖ `:` ‖ randomness ‖ `:` ‖ stage), the commitment
/// in lower-case hex and the randomness as [`normalize_randomness`] leaves it.
#[must_use]
pub fn derive_seed(commitment: &str, randomness: &str, stage: u32) -> u64 {
    let text = format!(
        "{SEED_LABEL}:{}:{randomness}:{stage}",
        commitment.to_ascii_lowercase()
    );
    let digest = Sha256::digest(text.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// How a draw's seed came about, as its sidecar records it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SeedOrigin {
    /// Typed by the analyst (`--seed`): nothing shows it was not chosen after trying others.
    #[default]
    Chosen,
    /// Derived from a commitment and randomness produced after it ([`derive_seed`]).
    Derived {
        /// The commitment file's name.
        commitment_file: String,
        /// The commitment, lower-case hex.
        commitment: String,
        /// When the commitment was made.
        committed: String,
        /// The randomness as it entered the seed.
        randomness: String,
        /// The stage.
        stage: u32,
    },
}

/// A commitment with the randomness that gives a draw its seed, checked against the plan
/// (and, for a later stage, the earlier stage's manifest and its randomness).
#[derive(Debug, Clone)]
pub struct DerivedSeed {
    /// The seed.
    pub seed: u64,
    /// What the sidecar records.
    pub origin: SeedOrigin,
}

/// Derive a draw's seed from `commitment_path` and `randomness`, checking every link the
/// draw can check before it starts: the commitment's own hash, the plan, the stage, and
/// for a later stage that the earlier stage's manifest (`previous`) is committed to and
/// its randomness (`previous_origin`) is not reused.
///
/// # Errors
/// The first broken link.
pub fn derive_for_draw(
    commitment_path: &Path,
    randomness: &str,
    plan: &Path,
    stage: u32,
    previous: Option<(&Path, &SeedOrigin)>,
) -> Result<DerivedSeed> {
    let c = Commitment::read(commitment_path)?;
    let name = file_name(commitment_path);
    c.check_plan(plan, &name)?;
    if c.stage != stage {
        return Err(CommitmentError::OtherStage {
            commitment: name,
            committed: c.stage,
            drawn: stage,
        });
    }
    let randomness = normalize_randomness(randomness)?;
    if let Some((file, origin)) = previous {
        c.check_previous(file, &name)?;
        if let SeedOrigin::Derived {
            randomness: earlier,
            ..
        } = origin
        {
            if *earlier == randomness {
                return Err(CommitmentError::ReusedRandomness {
                    stage,
                    earlier: file_name(file),
                });
            }
        }
    }
    Ok(DerivedSeed {
        seed: derive_seed(&c.commitment, &randomness, stage),
        origin: SeedOrigin::Derived {
            commitment_file: name,
            commitment: c.commitment.clone(),
            committed: c.created.clone(),
            randomness,
            stage,
        },
    })
}

/// The chain from a commitment to a drawn manifest, as `urval verify` checks it.
#[derive(Debug, Clone, Default)]
pub struct Chain {
    /// The links that hold, in words.
    pub holds: Vec<String>,
    /// The links that are broken, in words (each names the link).
    pub broken: Vec<String>,
}

/// Check the chain of a draw whose sidecar says its seed was derived (or that the caller
/// expects to be): the commitment file against its own fields and the sidecar's
/// commitment, the plan against the commitment, the extract fingerprint the plan holds,
/// the randomness (`witnessed`, when the checker saw it produced) and the seed. `None`
/// when the seed was chosen and no commitment is given: there is no chain to check.
///
/// # Errors
/// A file cannot be read (a broken link is not an error: it is in [`Chain::broken`]).
pub fn check_chain(
    origin: &SeedOrigin,
    seed: u64,
    plan: (&str, &[u8]),
    plan_fingerprint: Option<&str>,
    commitment_path: Option<&Path>,
    witnessed: Option<&str>,
) -> Result<Option<Chain>> {
    let mut chain = Chain::default();
    let SeedOrigin::Derived {
        commitment,
        randomness,
        stage,
        ..
    } = origin
    else {
        if commitment_path.is_some() || witnessed.is_some() {
            chain.broken.push(
                "the manifest's seed was chosen by the analyst, not derived from a commitment"
                    .to_string(),
            );
            return Ok(Some(chain));
        }
        return Ok(None);
    };
    if let Some(path) = commitment_path {
        let name = file_name(path);
        match Commitment::read(path) {
            Err(e @ CommitmentError::Read { .. }) => return Err(e),
            Err(e) => chain.broken.push(e.to_string()),
            Ok(c) => {
                if c.commitment == *commitment {
                    chain.holds.push(format!(
                        "{name} is the commitment the draw names ({})",
                        c.short()
                    ));
                } else {
                    chain.broken.push(format!(
                        "{name} is not the commitment the draw names: it is {}, the draw's is {}",
                        c.short(),
                        &commitment[..16.min(commitment.len())]
                    ));
                }
                match c.check_plan_bytes(plan.0, plan.1, &name) {
                    Ok(()) => chain
                        .holds
                        .push(format!("the plan {} is the one committed to", plan.0)),
                    Err(e @ CommitmentError::Read { .. }) => return Err(e),
                    Err(e) => chain.broken.push(e.to_string()),
                }
                if let Some(fp) = plan_fingerprint {
                    if !c.extract_fingerprint.is_empty() && c.extract_fingerprint != fp {
                        chain.broken.push(format!(
                            "the plan's extract fingerprint is not the one committed to in {name}"
                        ));
                    }
                }
                if c.stage != *stage {
                    chain.broken.push(format!(
                        "{name} commits to stage {}, the draw is stage {stage}",
                        c.stage
                    ));
                }
            }
        }
    } else {
        chain.broken.push(
            "the commitment file is missing: give --commitment (the file the request letter names)"
                .to_string(),
        );
    }
    let used = match witnessed.map(normalize_randomness) {
        None => randomness.clone(),
        Some(Ok(w)) => w,
        Some(Err(e)) => return Err(e),
    };
    if derive_seed(commitment, &used, *stage) == seed {
        chain.holds.push(format!(
            "the randomness {used} gives the seed {seed} from the commitment"
        ));
    } else {
        chain.broken.push(format!(
            "the randomness {used} does not give the seed of this manifest ({seed}) from its commitment"
        ));
    }
    Ok(Some(chain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_is_the_first_eight_bytes_of_the_documented_text() {
        // The first 8 bytes, big-endian, of SHA-256("urval-seed-v1:abc:123:1"), computed
        // with Python's hashlib: int.from_bytes(sha256(b"...").digest()[:8], "big").
        assert_eq!(derive_seed("ABC", "123", 1), 9_102_710_426_907_397_639);
        assert_ne!(derive_seed("abc", "123", 1), derive_seed("abc", "123", 2));
        assert_ne!(derive_seed("abc", "123", 1), derive_seed("abc", "1,23", 1));
    }

    #[test]
    fn randomness_is_digits_and_commas() {
        assert_eq!(
            normalize_randomness(" 31 41 59, 26 53 ").ok().as_deref(),
            Some("314159,2653")
        );
        assert!(normalize_randomness("").is_err());
        assert!(normalize_randomness(",").is_err());
        assert!(normalize_randomness("12a").is_err());
    }

    #[test]
    fn a_changed_field_breaks_the_commitment() {
        let mut c = Commitment {
            kind: "urval-commitment".into(),
            version: COMMITMENT_VERSION,
            urval_version: "0".into(),
            plan: "plan.json".into(),
            plan_sha256: "00".into(),
            extract_fingerprint: "f".into(),
            prn_spec_version: 1,
            stage: 1,
            previous: vec![],
            created: "2026-12-06T10:00:00Z".into(),
            commitment: String::new(),
        };
        c.commitment = c.computed();
        assert_eq!(
            c.canonical_text(),
            "urval-commitment-v1\nplan_sha256=00\nextract_fingerprint=f\nprn_spec_version=1\nstage=1\nprevious=\ncreated=2026-12-06T10:00:00Z\n"
        );
        let before = c.commitment.clone();
        c.stage = 2;
        assert_ne!(c.computed(), before);
        c.stage = 1;
        c.plan = "renamed.json".into();
        assert_eq!(c.computed(), before, "a file name is not committed to");
    }
}
