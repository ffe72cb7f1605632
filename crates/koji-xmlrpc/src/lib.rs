//! Koji's XML-RPC dialect, without I/O.
