//! Why a scenario failed, and the bound that every wait runs under.

use std::future::Future;
use std::time::Duration;

use rocketmq_client_rust::ClientError;

/// Bound of every single wait (one request, one consume phase).
pub const WAIT_MAX: Duration = Duration::from_secs(60);

/// A failed scenario: the client returned an error, a wait ran out, or what
/// came back was not what was sent.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("{what}: {source}")]
    Client { what: String, source: ClientError },
    #[error("{what}: no answer within {limit_s} s")]
    Timeout { what: String, limit_s: u64 },
    #[error("{0}")]
    Check(String),
}

/// Awaits one client call for at most [`WAIT_MAX`], naming it in any error.
pub async fn bounded<T, F>(what: impl Into<String>, call: F) -> Result<T, ScenarioError>
where
    F: Future<Output = Result<T, ClientError>>,
{
    let what = what.into();
    match tokio::time::timeout(WAIT_MAX, call).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(source)) => Err(ScenarioError::Client { what, source }),
        Err(_) => Err(ScenarioError::Timeout {
            what,
            limit_s: WAIT_MAX.as_secs(),
        }),
    }
}

/// Awaits a call that cannot fail (a shutdown) for at most [`WAIT_MAX`].
pub async fn bounded_infallible<F: Future<Output = ()>>(
    what: &str,
    call: F,
) -> Result<(), ScenarioError> {
    tokio::time::timeout(WAIT_MAX, call)
        .await
        .map_err(|_| ScenarioError::Timeout {
            what: what.to_string(),
            limit_s: WAIT_MAX.as_secs(),
        })
}
