//! (placeholder: filled by the findings work)
