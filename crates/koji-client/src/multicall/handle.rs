//! Results: the [`Handle`] a caller keeps for each queued call, and the
//! slot on the other side that `decode` fills.

use std::any::{Any, TypeId};
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;

use koji_xmlrpc::Value;
use serde::de::DeserializeOwned;
use tokio::sync::oneshot;

use super::entry::{Entry, check_count, fault_error};
use crate::error::{Error, Kind, Result};

/// The result of one queued call: available after [`Multicall::send`](crate::Multicall::send)
/// with [`result`](Handle::result), or awaited (it resolves as soon as the
/// call's chunk has been answered, so a task can process early results
/// while `send` is still running elsewhere).
///
/// ```no_run
/// # async fn demo(koji: koji_client::Connection) -> koji_client::Result<()> {
/// let mut m = koji.multicall();
/// let first = m.get_build(3);
/// let sending = tokio::spawn(m.send());
/// let build = first.await?; // as soon as its chunk is answered
/// sending.await.expect("send panicked")?;
/// # Ok(()) }
/// ```
#[must_use = "a handle is how a queued call's result is read"]
pub struct Handle<T> {
    /// Results travel boxed: a queued call then costs a few small
    /// allocations, not room for a `T` (a `Build` is over a kilobyte).
    rx: oneshot::Receiver<Box<Result<T>>>,
}

impl<T> fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("type", &std::any::type_name::<T>())
            .finish_non_exhaustive()
    }
}

impl<T> Handle<T> {
    /// The call's result: its answer decoded into `T`, or its own error (a
    /// fault exactly as the single call would give it, an encoding error,
    /// or the error of its failed chunk). An error with
    /// [`Error::is_not_sent`] if the multicall was not sent (or not yet
    /// answered this call).
    pub fn result(mut self) -> Result<T> {
        match self.rx.try_recv() {
            Ok(result) => *result,
            Err(_) => Err(Error::not_sent()),
        }
    }
}

impl<T: Send + 'static> IntoFuture for Handle<T> {
    type Output = Result<T>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<T>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            match self.rx.await {
                Ok(result) => *result,
                Err(_) => Err(Error::not_sent()),
            }
        })
    }
}

/// Where one call's result goes, whatever its type.
pub(crate) trait Slot: Send {
    fn method(&self) -> &str;
    /// The result type, to recognise chunks decodable in one pass.
    fn result_type(&self) -> TypeId;
    /// Decodes a whole chunk answer as entries of this slot's type: an
    /// iterator over them (for [`take_entry`](Self::take_entry)) and their number.
    #[allow(clippy::type_complexity)]
    fn decode_all(
        &self,
        body: &[u8],
    ) -> std::result::Result<
        std::result::Result<(Box<dyn Any + Send>, usize), koji_xmlrpc::Fault>,
        koji_xmlrpc::Error,
    >;
    /// Takes the next entry from what [`decode_all`](Self::decode_all) of a
    /// slot of the same type returned.
    fn take_entry(&mut self, entries: &mut (dyn Any + Send), url: &str);
    /// Takes the result as a decoded [`Value`].
    fn set_value(&mut self, value: Value, url: &str);
    fn set_error(&mut self, e: Error);
    fn error(&self) -> Option<&Error>;
    /// Hands the result to the handle.
    fn deliver(self: Box<Self>);
}

pub(crate) struct TypedSlot<T> {
    method: Box<str>,
    tx: oneshot::Sender<Box<Result<T>>>,
    pending: Option<Box<Result<T>>>,
}

impl<T: DeserializeOwned + Send + 'static> TypedSlot<T> {
    pub(crate) fn new(method: &str) -> (TypedSlot<T>, Handle<T>) {
        let (tx, rx) = oneshot::channel();
        (
            TypedSlot {
                method: method.into(),
                tx,
                pending: None,
            },
            Handle { rx },
        )
    }
}

type Entries<T> = std::vec::IntoIter<Entry<T>>;

impl<T: DeserializeOwned + Send + 'static> Slot for TypedSlot<T> {
    fn method(&self) -> &str {
        &self.method
    }

    fn result_type(&self) -> TypeId {
        TypeId::of::<T>()
    }

    fn decode_all(
        &self,
        body: &[u8],
    ) -> std::result::Result<
        std::result::Result<(Box<dyn Any + Send>, usize), koji_xmlrpc::Fault>,
        koji_xmlrpc::Error,
    > {
        Ok(
            koji_xmlrpc::decode_response::<Vec<Entry<T>>>(body)?.map(|entries| {
                let n = entries.len();
                (Box::new(entries.into_iter()) as Box<dyn Any + Send>, n)
            }),
        )
    }

    fn take_entry(&mut self, entries: &mut (dyn Any + Send), url: &str) {
        let entry = entries
            .downcast_mut::<Entries<T>>()
            .and_then(Iterator::next);
        self.pending = Some(Box::new(match entry {
            Some(Entry::Ok(v)) => Ok(v),
            Some(Entry::Fault(f)) => {
                Err(fault_error(f.code, f.string, f.traceback).context(&self.method, url))
            }
            // Not reached: the caller checked the types and the count.
            None => Err(check_count(0, 1)
                .err()
                .unwrap_or_else(|| Error::new(Kind::Decode))
                .context(&self.method, url)),
        }));
    }

    fn set_value(&mut self, value: Value, url: &str) {
        // A `Value` is taken as it is; other types are decoded from it.
        let any: Box<dyn Any> = Box::new(value);
        let result = match any.downcast::<T>() {
            Ok(v) => Ok(*v),
            Err(any) => match any.downcast::<Value>() {
                Ok(value) => koji_xmlrpc::from_value::<T>(*value)
                    .map_err(|e| Error::decode(e).context(&self.method, url)),
                Err(_) => Err(Error::new(Kind::Decode).context(&self.method, url)),
            },
        };
        self.pending = Some(Box::new(result));
    }

    fn set_error(&mut self, e: Error) {
        self.pending = Some(Box::new(Err(e)));
    }

    fn error(&self) -> Option<&Error> {
        match self.pending.as_deref() {
            Some(Err(e)) => Some(e),
            _ => None,
        }
    }

    fn deliver(self: Box<Self>) {
        let result = self
            .pending
            .unwrap_or_else(|| Box::new(Err(Error::not_sent())));
        // The handle may have been dropped: nobody wants the result then.
        let _ = self.tx.send(result);
    }
}
