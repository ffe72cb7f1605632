//! rkoji: the command-line tool for Koji.

fn main() {}
