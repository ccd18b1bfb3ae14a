//! Problems: the discrepancies verification reports, whoever finds them.
//!
//! The ZIP reader (`archive::zipread`), the verifier (`verify`) and the
//! custody checker (`custody`) each find problems; all of them are reported
//! in one list, by one type, with a kind from one enum. The kind is the
//! stable, machine-readable part of a report: it is serialized as the
//! `snake_case` string listed here, which scripts, the custody log's
//! `problem_kinds` and the documentation (`docs/archive-format.md`,
//! `docs/custody.md`) use. A new kind is one line here and one line in the
//! documentation (a test checks that every kind is documented).
//!
//! This module is a leaf: it imports nothing from the crate, so every layer
//! can report problems without depending on another.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! kinds {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// What kind of discrepancy a [`Problem`] is.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ProblemKind {
            $($(#[$doc])* $variant,)*
        }

        impl ProblemKind {
            /// Every kind, in declaration order.
            pub const ALL: &'static [ProblemKind] = &[$(ProblemKind::$variant,)*];

            /// The stable name, as serialized.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ProblemKind::$variant => $name,)*
                }
            }
        }
    };
}

kinds! {
    // The ZIP structure.
    ArchiveComment = "archive_comment",
    CentralDirectoryCorrupt = "central_directory_corrupt",
    DirectoryWithData = "directory_with_data",
    DuplicateMember = "duplicate_member",
    EncryptedMember = "encrypted_member",
    ExtraFieldMalformed = "extra_field_malformed",
    Gap = "gap",
    LocalHeaderMismatch = "local_header_mismatch",
    LocalHeaderMissing = "local_header_missing",
    MemberAttributes = "member_attributes",
    MemberOverlaps = "member_overlaps",
    MultiDisk = "multi_disk",
    NameCollision = "name_collision",
    NameEncoding = "name_encoding",
    NameNotUtf8 = "name_not_utf8",
    NoncanonicalName = "noncanonical_name",
    NotAZip = "not_a_zip",
    SpecialMember = "special_member",
    StoredWithDataDescriptor = "stored_with_data_descriptor",
    TimestampMismatch = "timestamp_mismatch",
    TrailingData = "trailing_data",
    UnicodePathField = "unicode_path_field",
    UnknownExtraField = "unknown_extra_field",
    UnsafeMemberName = "unsafe_member_name",
    UnsupportedFlags = "unsupported_flags",
    UnsupportedMethod = "unsupported_method",
    Zip64ExtensibleData = "zip64_extensible_data",
    Zip64Inconsistent = "zip64_inconsistent",
    // Member content.
    CorruptData = "corrupt_data",
    /// An encrypted archive whose ciphertext does not authenticate.
    DecryptionFailed = "decryption_failed",
    CrcMismatch = "crc_mismatch",
    SizeMismatch = "size_mismatch",
    TrailingCompressedData = "trailing_compressed_data",
    UnreadableMember = "unreadable_member",
    // The bag and its manifests.
    BagDeclaration = "bag_declaration",
    DirectoryMember = "directory_member",
    ManifestMalformed = "manifest_malformed",
    ManifestMismatch = "manifest_mismatch",
    ManifestUnsupported = "manifest_unsupported",
    MissingMember = "missing_member",
    NotABag = "not_a_bag",
    OutsideBag = "outside_bag",
    OxumMismatch = "oxum_mismatch",
    TagMismatch = "tag_mismatch",
    UnlistedMember = "unlisted_member",
    // Records in `files.jsonl`.
    MemberMetadataMismatch = "member_metadata_mismatch",
    RecordMalformed = "record_malformed",
    RecordMemberMismatch = "record_member_mismatch",
    RecordMismatch = "record_mismatch",
    // The custody log.
    CustodyArchiveMismatch = "custody_archive_mismatch",
    CustodyChainBroken = "custody_chain_broken",
    CustodyEmpty = "custody_empty",
    CustodyMissing = "custody_missing",
    CustodyNotSealed = "custody_not_sealed",
    CustodyOrder = "custody_order",
    CustodyParse = "custody_parse",
    /// The decrypted archive is not the plaintext the `sealed` event hashed.
    CustodyPlaintextMismatch = "custody_plaintext_mismatch",
    CustodySeq = "custody_seq",
    CustodySignatureInvalid = "custody_signature_invalid",
    CustodySignatureUntrusted = "custody_signature_untrusted",
    CustodySignerNotActor = "custody_signer_not_actor",
    CustodyTruncated = "custody_truncated",
    CustodyTrustUnreadable = "custody_trust_unreadable",
    CustodyUnreadable = "custody_unreadable",
    CustodyUnsigned = "custody_unsigned",
}

impl ProblemKind {
    /// The kind of a stable name.
    pub fn parse(name: &str) -> Option<ProblemKind> {
        ProblemKind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == name)
    }
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ProblemKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ProblemKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        ProblemKind::parse(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown problem kind `{name}`")))
    }
}

/// One discrepancy: its kind, the member or file concerned, and what was
/// found, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub kind: ProblemKind,
    pub path: Option<String>,
    pub detail: String,
}

impl Problem {
    /// A problem of `kind` about `path`.
    pub fn new(kind: ProblemKind, path: Option<&str>, detail: impl Into<String>) -> Self {
        Problem {
            kind,
            path: path.map(str::to_string),
            detail: detail.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut names: Vec<&str> = ProblemKind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ProblemKind::ALL.len());
        for &k in ProblemKind::ALL {
            let json = serde_json::to_string(&k).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
            assert_eq!(serde_json::from_str::<ProblemKind>(&json).ok(), Some(k));
        }
        assert!(serde_json::from_str::<ProblemKind>("\"no_such_kind\"").is_err());
    }

    #[test]
    fn every_kind_is_documented() {
        let docs = [
            include_str!("../docs/archive-format.md"),
            include_str!("../docs/custody.md"),
        ]
        .concat();
        let missing: Vec<&str> = ProblemKind::ALL
            .iter()
            .map(|k| k.as_str())
            .filter(|k| !docs.contains(&format!("`{k}`")))
            .collect();
        assert!(
            missing.is_empty(),
            "undocumented problem kinds: {missing:?}"
        );
    }
}
