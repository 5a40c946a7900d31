//! # thrust-namesrv
//!
//! The RocketMQ-compatible name server of Thrust: brokers register with it
//! and heartbeat, clients ask it where a topic's queues live (REMOTING.md
//! §4). Several name servers run side by side without talking to each
//! other. One glommio shard serves everything (the name server is control
//! plane; the route-query benchmark measured 6–10 µs of server CPU per query
//! with 8–64 client connections, see `benches/route_query.rs`).
//!
//! Modules: [`config`] (CLI and properties file), [`registry`] (route
//! info), [`kv_config`] (persisted KV table), [`processor`] (request
//! handling), [`liveness`] (expiry scan); Java properties text comes from
//! `thrust_core::java_properties`. Place in the crate graph: depends on `thrust-core` and
//! `thrust-net`.
#![forbid(unsafe_code)]

mod config;
mod kv_config;
mod liveness;
mod processor;
mod registry;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::rc::Rc;

use clap::Parser;
use glommio::{LocalExecutorBuilder, Placement};
use thrust_net::{wait_port_free, Event, Server, ServerConfig, ShutdownFlag};

use crate::config::{Cli, NamesrvConfig};
use crate::kv_config::KvConfig;
use crate::processor::NameServer;

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            log::error!("{message}");
            eprintln!("thrust-namesrv: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> Result<(), String> {
    let config = NamesrvConfig::resolve(cli).map_err(|err| err.to_string())?;
    let kv = KvConfig::load(&config.kv_config_path).map_err(|err| err.to_string())?;
    let listen_addr = SocketAddr::new(config.listen_addr, config.listen_port);
    // A killed predecessor's socket can outlive it briefly (io_uring).
    wait_port_free(listen_addr, std::time::Duration::from_secs(10))
        .map_err(|err| err.to_string())?;
    let shutdown = ShutdownFlag::new();
    shutdown
        .install_signal_handlers()
        .map_err(|err| format!("signal handlers: {err}"))?;
    log::info!(
        "thrust-namesrv {} starting: {listen_addr}, KV file {}, broker timeout {} ms, scan every {} ms",
        env!("CARGO_PKG_VERSION"),
        config.kv_config_path.display(),
        config.broker_timeout_ms,
        config.scan_interval_ms
    );
    // Unbound placement: the name server shares the machine with brokers,
    // and pinning next to a busy core costs more than it gains (DESIGN.md).
    let executor = LocalExecutorBuilder::new(Placement::Unbound)
        .name("namesrv")
        .spawn(move || serve(config, kv, listen_addr, shutdown))
        .map_err(|err| format!("cannot start the executor: {err}"))?;
    executor
        .join()
        .map_err(|err| format!("executor failed: {err}"))?
}

async fn serve(
    config: NamesrvConfig,
    kv: KvConfig,
    listen_addr: SocketAddr,
    shutdown: ShutdownFlag,
) -> Result<(), String> {
    let server = Server::bind(ServerConfig::new(listen_addr)).map_err(|err| err.to_string())?;
    let handler = Rc::new(NameServer::new(config, kv));
    let stop_scan = Rc::new(Event::new());
    let scan = glommio::spawn_local(liveness::run_scan(handler.clone(), stop_scan.clone()));
    server.serve(handler, shutdown).await;
    stop_scan.set();
    scan.await;
    log::info!("thrust-namesrv stopped");
    Ok(())
}
