//! (placeholder: filled by the logs work)
