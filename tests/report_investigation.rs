//! Tests of `exhibit report_investigation` (filled in by the change that builds it).
