//! Known values.
