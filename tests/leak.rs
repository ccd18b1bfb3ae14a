//! Tests of `exhibit leak` (filled in by the change that builds it).
