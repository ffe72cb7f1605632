//! The audited FFI surface to MIT Kerberos' GSSAPI library
//! (`libgssapi_krb5.so.2`), loaded at run time with libloading.
//!
//! Everything `unsafe` in the Kerberos support is in this file. It declares
//! the few C types and functions it uses itself (from MIT's `gssapi.h` and
//! `gssapi_ext.h`, RFC 2744 C bindings), so building needs neither Kerberos
//! headers nor bindgen/libclang. Every raw handle is owned by a small RAII
//! type that releases it with the matching `gss_release_*` /
//! `gss_delete_sec_context` call, and every call site has a `SAFETY`
//! comment.
//!
//! Types (MIT Kerberos 1.x, all platforms it supports):
//!
//! | C | here |
//! |---|---|
//! | `OM_uint32` (`uint32_t`) | `u32` |
//! | `gss_buffer_desc { size_t length; void *value; }` | [`BufferDesc`] |
//! | `gss_OID_desc { OM_uint32 length; void *elements; }` | [`OidDesc`] |
//! | `gss_key_value_element_desc { const char *key; const char *value; }` | [`KeyValueElement`] |
//! | `gss_key_value_set_desc { OM_uint32 count; gss_key_value_element_desc *elements; }` | [`KeyValueSet`] |
//! | `gss_name_t`, `gss_cred_id_t`, `gss_ctx_id_t` (pointers to opaque structs) | `*mut c_void` |
//! | `gss_OID_set`, `gss_channel_bindings_t` | only ever passed as NULL |

use std::ffi::{CString, c_int, c_void};
use std::ptr;
use std::sync::Arc;

/// `OM_uint32`.
type OmUint32 = u32;
type GssName = *mut c_void;
type GssCred = *mut c_void;
type GssCtx = *mut c_void;

/// `gss_buffer_desc`.
#[repr(C)]
struct BufferDesc {
    length: usize,
    value: *mut c_void,
}

/// `gss_OID_desc`.
#[repr(C)]
pub(super) struct OidDesc {
    length: OmUint32,
    elements: *mut c_void,
}

/// `gss_key_value_element_desc`.
#[repr(C)]
struct KeyValueElement {
    key: *const std::ffi::c_char,
    value: *const std::ffi::c_char,
}

/// `gss_key_value_set_desc`.
#[repr(C)]
struct KeyValueSet {
    count: OmUint32,
    elements: *mut KeyValueElement,
}

const GSS_C_INITIATE: c_int = 1;
const GSS_C_GSS_CODE: c_int = 1;
const GSS_C_MECH_CODE: c_int = 2;
const GSS_C_INDEFINITE: OmUint32 = 0xffff_ffff;
/// `GSS_C_MUTUAL_FLAG | GSS_C_SEQUENCE_FLAG`.
const REQ_FLAGS: OmUint32 = 2 | 8;
/// `GSS_S_CONTINUE_NEEDED`.
const CONTINUE_NEEDED: OmUint32 = 1;

/// The DER contents (without tag and length) of the object identifiers used.
pub(super) mod oid {
    /// SPNEGO, 1.3.6.1.5.5.2.
    pub(crate) const SPNEGO: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];
    /// GSS_C_NT_HOSTBASED_SERVICE, 1.2.840.113554.1.2.1.4 (`service@host`).
    pub(crate) const NT_HOSTBASED_SERVICE: &[u8] =
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x01, 0x04];
    /// GSS_KRB5_NT_PRINCIPAL_NAME, 1.2.840.113554.1.2.2.1 (`user@REALM`).
    pub(crate) const KRB5_NT_PRINCIPAL_NAME: &[u8] =
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x01];
}

type ImportName =
    unsafe extern "C" fn(*mut OmUint32, *mut BufferDesc, *mut OidDesc, *mut GssName) -> OmUint32;
type ReleaseName = unsafe extern "C" fn(*mut OmUint32, *mut GssName) -> OmUint32;
type AcquireCredFrom = unsafe extern "C" fn(
    *mut OmUint32,
    GssName,
    OmUint32,
    *mut c_void,
    c_int,
    *const KeyValueSet,
    *mut GssCred,
    *mut *mut c_void,
    *mut OmUint32,
) -> OmUint32;
type ReleaseCred = unsafe extern "C" fn(*mut OmUint32, *mut GssCred) -> OmUint32;
type InitSecContext = unsafe extern "C" fn(
    *mut OmUint32,
    GssCred,
    *mut GssCtx,
    GssName,
    *mut OidDesc,
    OmUint32,
    OmUint32,
    *mut c_void,
    *mut BufferDesc,
    *mut *mut OidDesc,
    *mut BufferDesc,
    *mut OmUint32,
    *mut OmUint32,
) -> OmUint32;
type DeleteSecContext =
    unsafe extern "C" fn(*mut OmUint32, *mut GssCtx, *mut BufferDesc) -> OmUint32;
type ReleaseBuffer = unsafe extern "C" fn(*mut OmUint32, *mut BufferDesc) -> OmUint32;
type DisplayStatus = unsafe extern "C" fn(
    *mut OmUint32,
    OmUint32,
    c_int,
    *mut OidDesc,
    *mut OmUint32,
    *mut BufferDesc,
) -> OmUint32;

/// The loaded library and the functions taken from it. The function
/// pointers stay valid as long as `_library` is loaded, i.e. as long as this
/// value lives; every handle keeps an `Arc` to it.
pub(super) struct Library {
    import_name: ImportName,
    release_name: ReleaseName,
    acquire_cred_from: AcquireCredFrom,
    release_cred: ReleaseCred,
    init_sec_context: InitSecContext,
    delete_sec_context: DeleteSecContext,
    release_buffer: ReleaseBuffer,
    display_status: DisplayStatus,
    _library: libloading::Library,
}

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Library").finish_non_exhaustive()
    }
}

/// A GSSAPI status: the major and minor codes and their text from
/// `gss_display_status`.
#[derive(Debug, Clone)]
pub(super) struct Status {
    pub(super) major: u32,
    pub(super) minor: u32,
    pub(super) message: String,
}

impl Library {
    /// Loads `name` (e.g. `libgssapi_krb5.so.2`) and resolves the functions.
    pub(super) fn open(name: &str) -> Result<Arc<Self>, String> {
        // SAFETY: loading a shared library runs its initialisers. We only
        // load the system's GSSAPI library (or a name the caller chose for
        // it), whose initialisers have no preconditions on our side.
        let library = unsafe { libloading::Library::new(name) }.map_err(|e| e.to_string())?;
        // SAFETY: each symbol is looked up by its C name and given the
        // function type declared above, which matches its prototype in MIT's
        // gssapi.h / gssapi_ext.h (RFC 2744 and the credential store
        // extension). The pointers are copied out of the `Symbol`s but stay
        // valid because `library` is stored next to them and never unloaded
        // while they can be called.
        unsafe {
            Ok(Arc::new(Self {
                import_name: *library
                    .get::<ImportName>(b"gss_import_name\0")
                    .map_err(|e| e.to_string())?,
                release_name: *library
                    .get::<ReleaseName>(b"gss_release_name\0")
                    .map_err(|e| e.to_string())?,
                acquire_cred_from: *library
                    .get::<AcquireCredFrom>(b"gss_acquire_cred_from\0")
                    .map_err(|e| e.to_string())?,
                release_cred: *library
                    .get::<ReleaseCred>(b"gss_release_cred\0")
                    .map_err(|e| e.to_string())?,
                init_sec_context: *library
                    .get::<InitSecContext>(b"gss_init_sec_context\0")
                    .map_err(|e| e.to_string())?,
                delete_sec_context: *library
                    .get::<DeleteSecContext>(b"gss_delete_sec_context\0")
                    .map_err(|e| e.to_string())?,
                release_buffer: *library
                    .get::<ReleaseBuffer>(b"gss_release_buffer\0")
                    .map_err(|e| e.to_string())?,
                display_status: *library
                    .get::<DisplayStatus>(b"gss_display_status\0")
                    .map_err(|e| e.to_string())?,
                _library: library,
            }))
        }
    }

    /// `gss_import_name` of `name` with the name type `name_type` (DER OID
    /// contents from [`oid`]).
    pub(super) fn import_name(
        self: &Arc<Self>,
        name: &str,
        name_type: &'static [u8],
    ) -> Result<Name, Status> {
        let mut minor = 0;
        let mut buffer = BufferDesc {
            length: name.len(),
            value: name.as_ptr().cast_mut().cast(),
        };
        let mut oid = oid_desc(name_type);
        let mut raw: GssName = ptr::null_mut();
        // SAFETY: `buffer` points at `name`'s bytes, which outlive the call
        // and are only read (gss_import_name copies them); `oid` points at a
        // static byte string and is only read; `raw` receives a new name
        // handle that `Name` releases.
        let major = unsafe { (self.import_name)(&mut minor, &mut buffer, &mut oid, &mut raw) };
        if major >> 16 != 0 {
            return Err(self.status(major, minor));
        }
        Ok(Name {
            library: Arc::clone(self),
            raw,
        })
    }

    /// `gss_acquire_cred_from` for initiating, for `name` (or the default
    /// principal) from the credential store `store` (`key`, `value` pairs
    /// such as `ccache`, `client_keytab`; empty = the default store).
    pub(super) fn acquire_initiator_cred(
        self: &Arc<Self>,
        name: Option<&Name>,
        store: &[(CString, CString)],
    ) -> Result<Cred, Status> {
        let mut elements: Vec<KeyValueElement> = store
            .iter()
            .map(|(k, v)| KeyValueElement {
                key: k.as_ptr(),
                value: v.as_ptr(),
            })
            .collect();
        let set = KeyValueSet {
            count: OmUint32::try_from(elements.len()).unwrap_or(0),
            elements: elements.as_mut_ptr(),
        };
        let set_ptr: *const KeyValueSet = if elements.is_empty() {
            ptr::null()
        } else {
            &set
        };
        let mut minor = 0;
        let mut raw: GssCred = ptr::null_mut();
        // SAFETY: `name` is a live name handle (or NULL = GSS_C_NO_NAME);
        // desired_mechs, actual_mechs and time_rec are NULL, which the API
        // allows; `set_ptr` is NULL (GSS_C_NO_CRED_STORE) or points at `set`,
        // whose `count` elements point at NUL-terminated strings in `store`,
        // all of which outlive the call and are only read; `raw` receives a
        // new credential handle that `Cred` releases.
        let major = unsafe {
            (self.acquire_cred_from)(
                &mut minor,
                name.map_or(ptr::null_mut(), |n| n.raw),
                GSS_C_INDEFINITE,
                ptr::null_mut(),
                GSS_C_INITIATE,
                set_ptr,
                &mut raw,
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        drop(elements);
        if major >> 16 != 0 {
            return Err(self.status(major, minor));
        }
        Ok(Cred {
            library: Arc::clone(self),
            raw,
        })
    }

    /// The text of a status, from `gss_display_status` for the major code
    /// and (if non-zero) the minor code.
    fn status(&self, major: u32, minor: u32) -> Status {
        let mut parts = self.display(major, GSS_C_GSS_CODE);
        if minor != 0 {
            parts.extend(self.display(minor, GSS_C_MECH_CODE));
        }
        Status {
            major,
            minor,
            message: parts.join(": "),
        }
    }

    fn display(&self, code: u32, kind: c_int) -> Vec<String> {
        let mut out = Vec::new();
        let mut context: OmUint32 = 0;
        // gss_display_status returns one message per call; bounded loop in
        // case a broken library never resets the context.
        for _ in 0..8 {
            let mut minor = 0;
            let mut buffer = BufferDesc {
                length: 0,
                value: ptr::null_mut(),
            };
            // SAFETY: mech_type NULL means "the default mechanism", allowed
            // by the API; `context` and `buffer` are valid out-parameters;
            // the buffer is released below with gss_release_buffer.
            let major = unsafe {
                (self.display_status)(
                    &mut minor,
                    code,
                    kind,
                    ptr::null_mut(),
                    &mut context,
                    &mut buffer,
                )
            };
            if major >> 16 != 0 {
                break;
            }
            out.push(
                self.take_buffer(&mut buffer)
                    .map_or_else(String::new, |bytes| {
                        String::from_utf8_lossy(&bytes).into_owned()
                    }),
            );
            if context == 0 {
                break;
            }
        }
        out.retain(|s| !s.is_empty());
        out
    }

    /// Copies a library-allocated buffer's contents and releases it.
    fn take_buffer(&self, buffer: &mut BufferDesc) -> Option<Vec<u8>> {
        let bytes = if buffer.value.is_null() || buffer.length == 0 {
            None
        } else {
            // SAFETY: a buffer filled in by the library points at `length`
            // readable bytes until it is released, which happens below.
            Some(
                unsafe { std::slice::from_raw_parts(buffer.value.cast::<u8>(), buffer.length) }
                    .to_vec(),
            )
        };
        let mut minor = 0;
        // SAFETY: releasing a library-allocated (or empty) buffer exactly
        // once; gss_release_buffer resets it to empty.
        unsafe { (self.release_buffer)(&mut minor, buffer) };
        bytes
    }
}

fn oid_desc(bytes: &'static [u8]) -> OidDesc {
    OidDesc {
        length: OmUint32::try_from(bytes.len()).unwrap_or(0),
        elements: bytes.as_ptr().cast_mut().cast(),
    }
}

/// An imported name (`gss_name_t`).
pub(super) struct Name {
    library: Arc<Library>,
    raw: GssName,
}

// SAFETY: a gss_name_t is a heap object owned by this value alone; MIT's
// GSSAPI does not tie it to the creating thread, and we only read it after
// creation (gss_init_sec_context/gss_acquire_cred_from take it as input).
unsafe impl Send for Name {}

impl Drop for Name {
    fn drop(&mut self) {
        let mut minor = 0;
        // SAFETY: `raw` was returned by gss_import_name and is released
        // exactly once, here.
        unsafe { (self.library.release_name)(&mut minor, &mut self.raw) };
    }
}

/// Initiator credentials (`gss_cred_id_t`).
pub(super) struct Cred {
    library: Arc<Library>,
    raw: GssCred,
}

// SAFETY: like `Name`, an owned heap object with no thread affinity; it is
// used by one security context at a time.
unsafe impl Send for Cred {}

impl Drop for Cred {
    fn drop(&mut self) {
        let mut minor = 0;
        // SAFETY: `raw` came from gss_acquire_cred_from and is released once.
        unsafe { (self.library.release_cred)(&mut minor, &mut self.raw) };
    }
}

/// A security context being established with SPNEGO (`gss_ctx_id_t`).
pub(super) struct Context {
    library: Arc<Library>,
    raw: GssCtx,
    /// The SPNEGO OID, boxed so its address is stable for the context's
    /// life (the library may keep a pointer to the mechanism OID).
    mech: Box<OidDesc>,
    complete: bool,
}

// SAFETY: an owned heap object with no thread affinity; `&mut self` methods
// guarantee that only one thread uses it at a time.
unsafe impl Send for Context {}

/// The result of one `gss_init_sec_context` step.
pub(super) struct Step {
    /// The token to send (may be empty on the last step).
    pub(super) token: Vec<u8>,
    /// True when the context is established (`GSS_S_COMPLETE`).
    pub(super) complete: bool,
}

impl Context {
    /// A new, not yet started SPNEGO context.
    pub(super) fn new(library: &Arc<Library>) -> Self {
        Self {
            library: Arc::clone(library),
            raw: ptr::null_mut(),
            mech: Box::new(oid_desc(oid::SPNEGO)),
            complete: false,
        }
    }

    /// One `gss_init_sec_context` step towards `target` with mutual
    /// authentication, using `cred`, consuming the server's `input` token
    /// (None on the first step).
    pub(super) fn step(
        &mut self,
        cred: &Cred,
        target: &Name,
        input: Option<&[u8]>,
    ) -> Result<Step, Status> {
        let mut minor = 0;
        let mut input_buffer = input.map(|bytes| BufferDesc {
            length: bytes.len(),
            value: bytes.as_ptr().cast_mut().cast(),
        });
        let input_ptr = input_buffer
            .as_mut()
            .map_or(ptr::null_mut(), |b| b as *mut BufferDesc);
        let mut output = BufferDesc {
            length: 0,
            value: ptr::null_mut(),
        };
        let mut ret_flags: OmUint32 = 0;
        // SAFETY: `cred` and `target` are live handles; `self.raw` is NULL
        // (GSS_C_NO_CONTEXT, first call) or the handle the previous call
        // returned; `self.mech` is a boxed OID pointing at static bytes that
        // outlives the context; channel bindings are NULL
        // (GSS_C_NO_CHANNEL_BINDINGS); `input_ptr` is NULL
        // (GSS_C_NO_BUFFER) or points at `input`'s bytes, alive and only
        // read during the call; `output` receives a library-allocated buffer
        // released by take_buffer; actual_mech and time_rec are NULL, which
        // the API allows.
        let major = unsafe {
            (self.library.init_sec_context)(
                &mut minor,
                cred.raw,
                &mut self.raw,
                target.raw,
                &mut *self.mech,
                REQ_FLAGS,
                0,
                ptr::null_mut(),
                input_ptr,
                ptr::null_mut(),
                &mut output,
                &mut ret_flags,
                ptr::null_mut(),
            )
        };
        let token = self.library.take_buffer(&mut output).unwrap_or_default();
        if major >> 16 != 0 {
            return Err(self.library.status(major, minor));
        }
        self.complete = major & CONTINUE_NEEDED == 0;
        Ok(Step {
            token,
            complete: self.complete,
        })
    }

    /// True once the context is established.
    pub(super) fn is_complete(&self) -> bool {
        self.complete
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        if self.raw.is_null() {
            return;
        }
        let mut minor = 0;
        // SAFETY: `raw` came from gss_init_sec_context and is deleted once;
        // no output token is requested (NULL = GSS_C_NO_BUFFER).
        unsafe { (self.library.delete_sec_context)(&mut minor, &mut self.raw, ptr::null_mut()) };
    }
}

/// Turns a credential store entry into C strings; fails on an interior NUL.
pub(super) fn store_entry(key: &str, value: &str) -> Option<(CString, CString)> {
    Some((CString::new(key).ok()?, CString::new(value).ok()?))
}
