//! Tests of `exhibit investigate` (filled in by the change that builds it).
