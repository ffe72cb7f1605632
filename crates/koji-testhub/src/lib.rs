//! A Koji-compatible hub for tests, examples and benchmarks.
