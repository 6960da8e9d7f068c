//! Running a plan against a provider: how many jobs may be in flight (the breaker and the
//! gate that wraps it for async callers), how long to wait before a retry (backoff) and
//! before the next status call (poll).

pub mod backoff;
pub mod breaker;
pub mod gate;
pub mod poll;
