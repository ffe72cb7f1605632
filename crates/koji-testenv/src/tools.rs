//! Finding the programs the components need.

use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// Directories searched after `PATH`: the Debian packages put the daemons in
/// `sbin`, which is not on an unprivileged user's `PATH`.
const EXTRA_DIRS: &[&str] = &["/usr/sbin", "/sbin", "/usr/local/sbin", "/usr/bin"];

/// Finds `name` on `PATH` or in the usual `sbin` directories.
///
/// The error names the Debian package (`package`) and the script that
/// installs it.
pub fn find_program(name: &str, package: &str) -> Result<PathBuf> {
    let path_var = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::env::split_paths(&path_var).chain(EXTRA_DIRS.iter().map(PathBuf::from));
    for dir in dirs {
        let candidate = dir.join(name);
        if is_executable(&candidate) {
            return Ok(candidate);
        }
    }
    Err(Error::new(format!(
        "`{name}` not found (Debian package {package}); run scripts/install-test-deps as root"
    )))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// True when this process runs as root (Apache then needs `User`/`Group`).
pub(crate) fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}
