//! `thrust-broker`: the shard-per-core RocketMQ-compatible broker.
//!
//! `thrust-broker -n 'ns1:9876;ns2:9876' -c broker.conf [--shards N]
//! [--pin] [--store-path DIR] [--listen-port P] [-p]`; see
//! [`thrust_broker::config`]. Exit code 0 after a clean SIGTERM/SIGINT stop,
//! 1 on a start-up or runtime error, 2 on bad arguments or configuration.
#![forbid(unsafe_code)]

use clap::Parser;
use thrust_broker::config::{self, Args};

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let args = Args::parse();
    let (config, warnings) = match config::load(&args) {
        Ok(loaded) => loaded,
        Err(err) => {
            eprintln!("thrust-broker: {err}");
            std::process::exit(2);
        }
    };
    for warning in &warnings {
        log::warn!("{warning}");
    }
    if args.print_config {
        print!("{}", config.to_properties());
        return;
    }
    log::info!(
        "thrust-broker {} ({}) on port {} with {} shards ({}), store {}",
        config.broker_name,
        config.broker_cluster_name,
        config.listen_port,
        config.shards,
        config.placement,
        config.store_path_root_dir.display()
    );
    if let Err(err) = thrust_broker::runtime::run(config) {
        log::error!("thrust-broker: {err}");
        std::process::exit(1);
    }
    log::info!("thrust-broker stopped");
}
