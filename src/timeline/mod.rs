//! (placeholder: filled by the timeline work)
