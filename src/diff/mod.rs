//! (placeholder: filled by the diff work)
