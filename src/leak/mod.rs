//! Leak validation (`exhibit leak`): is a published sample genuine, and
//! which internal records, and which files in the evidence, does it come
//! from? The sample is read in whatever format it was published in, its
//! rows matched field by field against every tabular file in the evidence,
//! and the files it matched tied to who read them in the evidence's logs.

pub mod model;

pub use model::*;

use crate::job::{CancelToken, ProgressSink};

/// Validate a sample against the evidence.
pub fn validate(
    req: &LeakRequest,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<LeakReport, LeakError> {
    let _ = (progress, cancel);
    Err(LeakError::Evidence(format!(
        "leak validation is not built yet: {}",
        req.sample.display()
    )))
}
