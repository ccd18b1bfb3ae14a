//! The investigation (`exhibit investigate`): from the evidence to the
//! answers the breach guides ask for — how and when the attacker got in,
//! what was taken, who, what was erased and left behind, whose credentials
//! to reset — each with the evidence behind it and how sure it is. It reads
//! through the modules that already understand the evidence (`snapshot`,
//! `examine`, `logs`, `detect`, `timeline`, `leak`) and re-parses nothing.

pub mod model;

pub use model::*;

use crate::job::{CancelToken, ProgressSink};

/// Investigate the evidence.
pub fn investigate(
    req: &InvestigateRequest,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<Investigation, InvestigateError> {
    let _ = (progress, cancel);
    if req.evidence.is_empty() {
        return Err(InvestigateError::NoEvidence);
    }
    Err(InvestigateError::Evidence(
        "the investigation is not built yet".into(),
    ))
}
