//! Errors starting or configuring a hub.

use std::net::SocketAddr;
use std::path::PathBuf;

/// An error loading a data set or starting a hub.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The data set directory does not exist.
    #[error("data set directory not found: {0}")]
    DatasetNotFound(PathBuf),
    /// A data set file could not be read.
    #[error("cannot read data set file {path}: {source}")]
    DatasetIo {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A data set file does not have the expected shape.
    #[error("invalid data set file {path}: {message}")]
    DatasetFormat {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where in the file.
        message: String,
    },
    /// The listening socket could not be set up.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A non-loopback address was asked for without allowing it.
    #[error(
        "refusing to listen on non-loopback address {0}: the test hub has no authentication \
         worth the name (allow it explicitly if you really mean it)"
    )]
    NonLoopback(SocketAddr),
}
