//! An asynchronous client for Koji, the build system behind Fedora, CentOS and RHEL.

pub mod auth;
pub mod cache;
