//! The runtime rocketmq-client-rust 1.x needs around its clients: a
//! `RuntimeOwner` (the Tokio runtime), the telemetry guard (logging to
//! stderr, filter from `RUST_LOG`, default `warn`) and the `ClientRuntime`
//! that every producer and consumer is built from. Mirrors the crate's
//! `examples/support/mod.rs`.

use std::sync::Arc;
use std::time::Duration;

use rocketmq_client_rust::ClientRuntime;
use rocketmq_client_rust::ClientRuntimeConfig;
use rocketmq_observability::TelemetryBootstrapConfig;
use rocketmq_observability::TelemetryRuntimeGuard;
use rocketmq_runtime::RuntimeConfig;
use rocketmq_runtime::RuntimeOwner;

/// How long shutting the client runtime down may take.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

/// Failure to set the client runtime up.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeSetupError {
    #[error("runtime config: {0:?}")]
    Config(rocketmq_runtime::RuntimeContractViolation),
    #[error("build runtime: {0}")]
    Build(String),
    #[error("telemetry: {0}")]
    Telemetry(String),
    #[error("client runtime: {0}")]
    Client(rocketmq_client_rust::ClientError),
}

/// Owns everything the clients run on.
pub struct ClientHost {
    owner: RuntimeOwner,
    client_runtime: Arc<ClientRuntime>,
    telemetry: TelemetryRuntimeGuard,
}

impl ClientHost {
    /// Builds the Tokio runtime, installs logging and creates the client runtime.
    pub fn new() -> Result<ClientHost, RuntimeSetupError> {
        let owner = RuntimeOwner::plan(RuntimeConfig {
            thread_name: "interop-rust".to_string(),
            ..RuntimeConfig::default()
        })
        .map_err(RuntimeSetupError::Config)?
        .build()
        .map_err(|error| RuntimeSetupError::Build(error.to_string()))?;
        let mut telemetry_config = TelemetryBootstrapConfig::default();
        telemetry_config.logging.filter =
            std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".to_string());
        telemetry_config.logging.console.ansi = false;
        let telemetry = rocketmq_observability::install_global(&telemetry_config)
            .map_err(|error| RuntimeSetupError::Telemetry(error.to_string()))?;
        let client_runtime = ClientRuntime::try_new(
            owner.root_context().component("client"),
            ClientRuntimeConfig {
                shutdown_timeout: SHUTDOWN_TIMEOUT,
                ..ClientRuntimeConfig::default()
            },
            telemetry.handle(),
        )
        .map_err(RuntimeSetupError::Client)?;
        Ok(ClientHost {
            owner,
            client_runtime,
            telemetry,
        })
    }

    /// The client runtime that producers and consumers are built from.
    pub fn client_runtime(&self) -> Arc<ClientRuntime> {
        Arc::clone(&self.client_runtime)
    }

    /// Runs `future` to completion on the owned Tokio runtime.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.owner.block_on(future)
    }

    /// Shuts the clients, the runtime and telemetry down; unhealthy reports go to stderr.
    pub fn shutdown(self) {
        let ClientHost {
            owner,
            client_runtime,
            telemetry,
        } = self;
        let client_report = owner.block_on(client_runtime.shutdown());
        if !client_report.is_healthy() {
            eprintln!("client runtime shutdown: {}", client_report.to_json());
        }
        let tasks_report = owner.block_on(owner.shutdown_tasks());
        if !tasks_report.is_healthy() {
            eprintln!("runtime tasks shutdown: {}", tasks_report.to_json());
        }
        drop(client_runtime);
        let background_report = owner.shutdown_background();
        if !background_report.is_healthy() {
            eprintln!("runtime shutdown: {}", background_report.to_json());
        }
        let telemetry_report = telemetry.shutdown();
        if !telemetry_report.is_healthy() {
            eprintln!("telemetry shutdown: {}", telemetry_report.to_json());
        }
    }
}
