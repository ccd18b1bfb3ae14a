//! Computing several digests of one stream in a single pass.
//!
//! The verifier checks every manifest an archive holds, as bagit-python
//! does, so it hashes each member with every algorithm some manifest uses
//! (always SHA-256, the one Exhibit writes) while streaming it once.

use crate::archive::bagit::Algorithm;
use sha2::Digest as _;

/// One running hash.
enum Running {
    Md5(md5::Md5),
    Sha1(sha1::Sha1),
    Sha224(sha2::Sha224),
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
}

impl Running {
    fn new(alg: Algorithm) -> Self {
        match alg {
            Algorithm::Md5 => Running::Md5(md5::Md5::new()),
            Algorithm::Sha1 => Running::Sha1(sha1::Sha1::new()),
            Algorithm::Sha224 => Running::Sha224(sha2::Sha224::new()),
            Algorithm::Sha256 => Running::Sha256(sha2::Sha256::new()),
            Algorithm::Sha384 => Running::Sha384(sha2::Sha384::new()),
            Algorithm::Sha512 => Running::Sha512(sha2::Sha512::new()),
        }
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Running::Md5(h) => h.update(data),
            Running::Sha1(h) => h.update(data),
            Running::Sha224(h) => h.update(data),
            Running::Sha256(h) => h.update(data),
            Running::Sha384(h) => h.update(data),
            Running::Sha512(h) => h.update(data),
        }
    }

    fn hex(self) -> String {
        match self {
            Running::Md5(h) => hex::encode(h.finalize()),
            Running::Sha1(h) => hex::encode(h.finalize()),
            Running::Sha224(h) => hex::encode(h.finalize()),
            Running::Sha256(h) => hex::encode(h.finalize()),
            Running::Sha384(h) => hex::encode(h.finalize()),
            Running::Sha512(h) => hex::encode(h.finalize()),
        }
    }
}

/// Several hashes of one stream.
pub(super) struct MultiHasher {
    running: Vec<(Algorithm, Running)>,
}

impl MultiHasher {
    /// Hash with each of `algs` (duplicates ignored).
    pub(super) fn new(algs: &[Algorithm]) -> Self {
        let mut running: Vec<(Algorithm, Running)> = Vec::with_capacity(algs.len());
        for &a in algs {
            if !running.iter().any(|(b, _)| *b == a) {
                running.push((a, Running::new(a)));
            }
        }
        Self { running }
    }

    pub(super) fn update(&mut self, data: &[u8]) {
        for (_, h) in &mut self.running {
            h.update(data);
        }
    }

    /// The hex digests, one per algorithm.
    pub(super) fn finish(self) -> Digests {
        Digests(
            self.running
                .into_iter()
                .map(|(a, h)| (a, h.hex()))
                .collect(),
        )
    }
}

/// The hex digests of one member.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Digests(Vec<(Algorithm, String)>);

impl Digests {
    /// The digest with `alg`, when it was computed.
    pub(super) fn get(&self, alg: Algorithm) -> Option<&str> {
        self.0
            .iter()
            .find(|(a, _)| *a == alg)
            .map(|(_, h)| h.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests_of_abc() {
        let mut h = MultiHasher::new(&Algorithm::ALL);
        h.update(b"a");
        h.update(b"bc");
        let d = h.finish();
        assert_eq!(
            d.get(Algorithm::Md5),
            Some("900150983cd24fb0d6963f7d28e17f72")
        );
        assert_eq!(
            d.get(Algorithm::Sha1),
            Some("a9993e364706816aba3e25717850c26c9cd0d89d")
        );
        assert_eq!(
            d.get(Algorithm::Sha256),
            Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(d.get(Algorithm::Sha512).map(str::len), Some(128));
        assert_eq!(
            MultiHasher::new(&[Algorithm::Md5])
                .finish()
                .get(Algorithm::Sha1),
            None
        );
    }
}
