//! Logging in to a hub: client certificates ([`ssl`]) and Kerberos
//! ([`gssapi`]).

pub mod gssapi;
pub mod ssl;
