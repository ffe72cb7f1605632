//! [`EstimateSource`] for [`Connection`]: a batch of calls is one request,
//! a `system.multicall` (or the call itself when there is only one).

use koji_xmlrpc::{Fault, Struct, Value};

use super::{EstimateError, EstimateSource, HubCall};
use crate::error::Kind;
use crate::{Connection, Error};

impl EstimateSource for Connection {
    type Error = Error;

    /// One call goes out as itself; several as one `system.multicall`,
    /// whose entries answer `[value]` or a fault struct each.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use koji_client::Connection;
    /// use koji_client::estimate::{estimate_channel_tasks, EstimateConfig};
    ///
    /// let koji = Connection::from_profile("fedora")?;
    /// let plan = estimate_channel_tasks(&koji, 9, jiff::Timestamp::now(), EstimateConfig::default()).await?;
    /// # Ok(()) }
    /// ```
    async fn call_batch(&self, calls: &[HubCall]) -> Result<Vec<Result<Value, Fault>>, Error> {
        if let [call] = calls {
            return match self.call(call.method(), call.params()).await {
                Ok(value) => Ok(vec![Ok(value)]),
                Err(err) => match (err.fault_code(), err.fault_string()) {
                    (Some(code), Some(text)) => Ok(vec![Err(Fault::new(code, text))]),
                    _ => Err(err),
                },
            };
        }
        let entries: Vec<Value> = calls
            .iter()
            .map(|call| {
                let mut entry = Struct::new();
                entry.insert("methodName".into(), Value::from(call.method()));
                entry.insert("params".into(), Value::Array(call.params()));
                Value::Struct(entry)
            })
            .collect();
        let answers: Vec<Value> = self
            .call_as("system.multicall", (Value::Array(entries),))
            .await?;
        read_multicall(answers).map_err(|detail| {
            Error::new(Kind::Decode)
                .with_source(detail)
                .context("system.multicall", self.server_url())
        })
    }
}

/// Reads the entries of a `system.multicall` answer: `[value]` for a call
/// that succeeded, a fault struct (with the hub's `traceback` kept in
/// `extra`) for one that failed.
fn read_multicall(answers: Vec<Value>) -> Result<Vec<Result<Value, Fault>>, String> {
    answers
        .into_iter()
        .enumerate()
        .map(|(i, answer)| match answer {
            Value::Struct(s) if s.contains_key("faultCode") => Fault::from_struct(s)
                .map(Err)
                .map_err(|e| format!("answer {i}: {e}")),
            Value::Array(mut one) if one.len() == 1 => Ok(Ok(one.pop().unwrap_or(Value::Nil))),
            other => Err(format!(
                "answer {i}: expected [value] or a fault struct, got {}",
                match other {
                    Value::Array(items) => format!("a list of {} values", items.len()),
                    Value::Struct(_) => "a struct without faultCode".to_owned(),
                    _ => "a single value".to_owned(),
                }
            )),
        })
        .collect()
}

impl EstimateError {
    /// The connection's error behind an [`EstimateError::Source`], to ask
    /// it what happened ([`Error::is_timeout`], [`Error::fault_kind`], …).
    ///
    /// ```
    /// use koji_client::estimate::EstimateError;
    ///
    /// let e = EstimateError::NoCapacity { channel: 3 };
    /// assert!(e.hub_error().is_none());
    /// ```
    pub fn hub_error(&self) -> Option<&Error> {
        match self {
            EstimateError::Source(source) => source.downcast_ref::<Error>(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// The real hub's answer to a multicall mixing successes and failures
    /// (exchange 246: getBuild, a strict miss, a failed task's result, a
    /// test exception, an unknown method, a bad argument, getAPIVersion, a
    /// write without login, echo).
    #[test]
    fn reads_the_real_hubs_mixed_multicall_answer() {
        let body =
            koji_testenv::realhub::exchange_file("246-system.multicall-mixed", "response.xml");
        let answers: Vec<Value> = koji_xmlrpc::decode_response(&body).unwrap().unwrap();
        let read = read_multicall(answers).unwrap();
        let codes: Vec<Option<i64>> = read
            .iter()
            .map(|r| r.as_ref().err().map(|f| f.code))
            .collect();
        assert_eq!(
            codes,
            [
                None,
                Some(1000),
                Some(1005),
                Some(1),
                Some(1000),
                Some(1019),
                None,
                Some(1004),
                None
            ]
        );
        let Ok(Value::Struct(build)) = &read[0] else {
            panic!("{:?}", read[0])
        };
        assert_eq!(build.get("build_id"), Some(&Value::Int(3)));
        assert_eq!(read[6], Ok(Value::Int(1)));
        let Err(fault) = &read[4] else { panic!() };
        assert_eq!(fault.string, "Invalid method: noSuchMethod");
        assert!(fault.extra.contains_key("traceback"));
    }

    #[test]
    fn a_misshapen_entry_is_a_decode_error() {
        let ok = Value::Array(vec![Value::Int(1)]);
        for (bad, what) in [
            (Value::Int(1), "a single value"),
            (Value::Array(vec![]), "a list of 0 values"),
            (
                Value::Array(vec![Value::Nil, Value::Nil]),
                "a list of 2 values",
            ),
            (Value::Struct(Struct::new()), "a struct without faultCode"),
        ] {
            let err = read_multicall(vec![ok.clone(), bad]).unwrap_err();
            assert_eq!(
                err,
                format!("answer 1: expected [value] or a fault struct, got {what}")
            );
        }
        let mut s = Struct::new();
        s.insert("faultCode".into(), Value::from("x"));
        let err = read_multicall(vec![Value::Struct(s)]).unwrap_err();
        assert!(err.starts_with("answer 0: "), "{err}");
    }
}
