//! Starting and stopping the broker: one thread per shard, each a glommio
//! `LocalExecutor` (pinned or unbound), joined into a channel mesh; shard 0
//! also runs the control plane timers and name-server registration.
//!
//! Shutdown (SIGTERM/SIGINT): every server stops accepting and closes its
//! connections after flushing what they queued; then each shard flushes its
//! store and persists its consumer offsets, and shard 0 unregisters from the
//! name servers. Each step is bounded, so the process exits within about
//! `stop_timeout + NAMESRV_TIMEOUT_MS` per name server.

use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

use glommio::channels::channel_mesh::MeshBuilder;
use glommio::{LocalExecutorBuilder, Placement};
use thrust_net::{Server, ServerConfig, ShutdownFlag};

use crate::config::{self, BrokerConfig};
use crate::consumer_offset::ConsumerOffsetManager;
use crate::control::Control;
use crate::handler::BrokerHandler;
use crate::ownership::ShardId;
use crate::queue_store::QueueStore;
use crate::router::{Router, ShardMessage};
use crate::shard::{spawn_mesh_receivers, ShardContext};
use crate::subscription_group::SubscriptionGroupManager;
use crate::topic_config::TopicConfigManager;

/// Capacity of each shard-to-shard channel.
pub const MESH_CHANNEL_CAPACITY: usize = 1024;
/// How often each shard persists dirty consumer offsets.
pub const OFFSET_PERSIST_INTERVAL_MS: u64 = 5_000;
/// How often shard 0 drops silent clients.
pub const CLIENT_SCAN_INTERVAL_MS: u64 = 10_000;

/// Why the broker could not start or stopped badly.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BrokerError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Persist(#[from] crate::persist::PersistError),
    #[error(transparent)]
    Net(#[from] thrust_net::NetError),
    #[error("store of shard {shard}: {message}")]
    Store { shard: usize, message: String },
    #[error("shard thread {shard}: {message}")]
    Thread { shard: usize, message: String },
}

/// The addresses the broker listens on: listenPort and listenPort - 2.
pub fn listen_addrs(config: &BrokerConfig) -> Vec<SocketAddr> {
    let ip = std::net::Ipv4Addr::UNSPECIFIED.into();
    let vip = config.listen_port.saturating_sub(2);
    vec![
        SocketAddr::new(ip, config.listen_port),
        SocketAddr::new(ip, vip),
    ]
}

/// How long start-up waits for a listen port still held by a killed
/// predecessor (see [`thrust_net::wait_port_free`]).
const PORT_PATIENCE: std::time::Duration = std::time::Duration::from_secs(10);

/// Runs the broker until SIGTERM/SIGINT.
///
/// # Errors
/// A port in use, an unreadable config or store, a shard that failed.
pub fn run(config: BrokerConfig) -> Result<(), BrokerError> {
    for addr in listen_addrs(&config) {
        thrust_net::wait_port_free(addr, PORT_PATIENCE)?;
    }
    let shutdown = ShutdownFlag::new();
    if let Err(err) = shutdown.install_signal_handlers() {
        log::warn!("signal handlers: {err}");
    }
    let topics = TopicConfigManager::open(&config)?;
    let groups = SubscriptionGroupManager::open(
        &config.store_path_root_dir,
        config.auto_create_subscription_group,
    )?;
    let shards = config.shards;
    let initial = (topics.snapshot(), groups.snapshot());
    let shared = Arc::new(Shared {
        initial,
        config: Arc::new(config),
        peers: (0..shards).map(|_| AtomicUsize::new(usize::MAX)).collect(),
        barrier: Barrier::new(shards),
        control: Mutex::new(Some((topics, groups))),
        shutdown,
    });
    let mesh = MeshBuilder::<ShardMessage, _>::full(shards, MESH_CHANNEL_CAPACITY);
    let mut handles = Vec::with_capacity(shards);
    for index in 0..shards {
        let placement = match shared.config.placement {
            config::Placement::Pinned => Placement::Fixed(index),
            config::Placement::Unbound => Placement::Unbound,
        };
        let (shared, mesh) = (shared.clone(), mesh.clone());
        let handle = LocalExecutorBuilder::new(placement)
            .name(&format!("shard-{index}"))
            .spawn(move || async move {
                let result = shard_main(index, shared.clone(), mesh).await;
                if let Err(err) = &result {
                    // One failed shard stops the broker: the others would
                    // forward to it in vain.
                    log::error!("shard {index} failed: {err}; stopping the broker");
                    shared.shutdown.trigger();
                }
                result
            })
            .map_err(|err| BrokerError::Thread {
                shard: index,
                message: err.to_string(),
            })?;
        handles.push(handle);
    }
    let mut result = Ok(());
    for (index, handle) in handles.into_iter().enumerate() {
        match handle.join() {
            Ok(Ok(())) => {}
            Ok(Err(err)) => result = Err(err),
            Err(err) => {
                result = Err(BrokerError::Thread {
                    shard: index,
                    message: err.to_string(),
                })
            }
        }
    }
    result
}

/// What every shard thread starts from.
struct Shared {
    /// Topic and group snapshots at start (shard 0 publishes later ones).
    initial: (
        Arc<crate::topic_config::TopicTable>,
        Arc<crate::subscription_group::GroupTable>,
    ),
    config: Arc<BrokerConfig>,
    peers: Vec<AtomicUsize>,
    barrier: Barrier,
    /// Shard 0 takes the control managers (loaded before the threads).
    control: Mutex<Option<(TopicConfigManager, SubscriptionGroupManager)>>,
    shutdown: ShutdownFlag,
}

async fn shard_main(
    index: usize,
    shared: Arc<Shared>,
    mesh: MeshBuilder<ShardMessage, glommio::channels::channel_mesh::Full>,
) -> Result<(), BrokerError> {
    let thread = |message: String| BrokerError::Thread {
        shard: index,
        message,
    };
    let (senders, mut receivers) = mesh
        .join()
        .await
        .map_err(|err| thread(format!("mesh join failed: {err}")))?;
    if let Some(slot) = shared.peers.get(index) {
        slot.store(senders.peer_id(), Ordering::SeqCst);
    }
    // Start-up only: wait until every shard published its mesh peer id.
    shared.barrier.wait();
    let peers: Vec<usize> = shared
        .peers
        .iter()
        .map(|p| p.load(Ordering::SeqCst))
        .collect();
    let id = ShardId(u16::try_from(index).map_err(|_| thread("too many shards".into()))?);
    let router = Router::new(id, senders, peers);
    let shard = Rc::new(build_shard(index, id, &shared, router).await?);
    spawn_mesh_receivers(&shard, &mut receivers);
    serve(&shard, &shared).await?;
    Ok(())
}

async fn build_shard(
    index: usize,
    id: ShardId,
    shared: &Shared,
    router: Router,
) -> Result<ShardContext, BrokerError> {
    let config = shared.config.clone();
    let store = QueueStore::open(&config, id.0)
        .await
        .map_err(|err| BrokerError::Store {
            shard: index,
            message: err.to_string(),
        })?;
    let offsets = ConsumerOffsetManager::open(&config.store_path_root_dir, index)?;
    let taken = if index == 0 {
        shared.control.lock().ok().and_then(|mut c| c.take())
    } else {
        None
    };
    let (topics, groups, control) = match taken {
        Some((topics, groups)) => {
            let (t, g) = (topics.snapshot(), groups.snapshot());
            (t, g, Some(Control::new(topics, groups)))
        }
        None => (shared.initial.0.clone(), shared.initial.1.clone(), None),
    };
    Ok(ShardContext {
        id,
        config,
        topics: std::cell::RefCell::new(topics),
        groups: std::cell::RefCell::new(groups),
        subscriptions: std::cell::RefCell::new(Arc::default()),
        offsets: std::cell::RefCell::new(offsets),
        store,
        router,
        connections: std::cell::RefCell::new(std::collections::HashMap::new()),
        control,
    })
}

async fn serve(shard: &Rc<ShardContext>, shared: &Shared) -> Result<(), BrokerError> {
    let handler = Rc::new(BrokerHandler {
        shard: shard.clone(),
    });
    let mut servers = Vec::new();
    for addr in listen_addrs(&shard.config) {
        let server = Server::bind(ServerConfig::new(addr))?;
        let (handler, shutdown) = (handler.clone(), shared.shutdown.clone());
        servers.push(glommio::spawn_local(server.serve(handler, shutdown)));
    }
    let timers = spawn_timers(shard, &shared.shutdown);
    let clients = Rc::new(if shard.id == ShardId(0) {
        crate::registration::clients(&shard.config)
    } else {
        Vec::new()
    });
    let registration = glommio::spawn_local(crate::registration::run(
        shard.clone(),
        clients.clone(),
        shared.shutdown.clone(),
    ));
    for server in servers {
        server.await;
    }
    drop(timers);
    registration.await;
    stop(shard, &clients).await;
    Ok(())
}

fn spawn_timers(
    shard: &Rc<ShardContext>,
    shutdown: &ShutdownFlag,
) -> Vec<glommio::task::JoinHandle<()>> {
    let mut timers = Vec::new();
    let persist = glommio::spawn_local({
        let shard = shard.clone();
        async move {
            loop {
                glommio::timer::sleep(Duration::from_millis(OFFSET_PERSIST_INTERVAL_MS)).await;
                if let Err(err) = shard.offsets.borrow_mut().persist_if_dirty() {
                    log::error!("shard {}: persisting consumer offsets: {err}", shard.id.0);
                }
            }
        }
    });
    timers.push(persist.detach());
    match crate::schedule::spawn(shard, shutdown) {
        Ok(levels) => timers.extend(levels),
        Err(err) => log::error!("shard {}: delay levels not started: {err}", shard.id.0),
    }
    if shard.id == ShardId(0) {
        let shard = shard.clone();
        let shutdown = shutdown.clone();
        let scan = glommio::spawn_local(async move {
            while !shutdown.is_triggered() {
                glommio::timer::sleep(Duration::from_millis(CLIENT_SCAN_INTERVAL_MS)).await;
                crate::control::scan_expired_clients(&shard).await;
            }
        });
        timers.push(scan.detach());
    }
    timers
}

async fn stop(shard: &Rc<ShardContext>, clients: &[thrust_net::Client]) {
    if let Err(err) = shard.store.close().await {
        log::error!("shard {}: final flush: {err}", shard.id.0);
    }
    if let Err(err) = shard.offsets.borrow_mut().persist_if_dirty() {
        log::error!("shard {}: persisting consumer offsets: {err}", shard.id.0);
    }
    if shard.id == ShardId(0) {
        crate::registration::unregister_all(&shard.config, clients).await;
    }
    log::info!("shard {} stopped", shard.id.0);
}
