//! Raw glommio DMA write probe: sequential O_DIRECT writes of `block_kib`
//! KiB with `depth` in flight to one file for `seconds`, through glommio's
//! `DmaFile::write_at` (no store), optionally with an fdatasync every
//! `sync_every` writes (0: none). Prints MiB/s. Compare with fio on the same
//! disk in the same minute to tell glommio's own rate from the store's.
//!
//! Usage: `storage-dma-write-probe <file> <block_kib> <depth> <seconds>
//! <preallocate:0|1> <sync_every>`.

use std::rc::Rc;
use std::time::{Duration, Instant};

use glommio::io::OpenOptions;
use glommio::{LocalExecutorBuilder, Placement};

struct Args {
    path: String,
    block_bytes: usize,
    depth: usize,
    seconds: u64,
    preallocate: bool,
    sync_every: u64,
}

fn parse_args() -> Option<Args> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path, block_kib, depth, seconds, preallocate, sync_every] = args.as_slice() else {
        return None;
    };
    Some(Args {
        path: path.clone(),
        block_bytes: block_kib.parse::<usize>().ok()?.checked_mul(1024)?,
        depth: depth.parse().ok()?,
        seconds: seconds.parse().ok()?,
        preallocate: preallocate == "1",
        sync_every: sync_every.parse().ok()?,
    })
}

fn main() {
    let Some(args) = parse_args() else {
        eprintln!(
            "usage: storage-dma-write-probe <file> <block_kib> <depth> <seconds> \
             <preallocate:0|1> <sync_every>"
        );
        std::process::exit(2);
    };
    let handle = LocalExecutorBuilder::new(Placement::Unbound).spawn(move || async move {
        run(args).await;
    });
    if handle.map(|handle| handle.join()).is_err() {
        std::process::exit(1);
    }
}

const FILE_BYTES: u64 = 4 << 30;

async fn run(args: Args) {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .dma_open(&args.path)
        .await
        .expect("open");
    if args.preallocate {
        file.pre_allocate(FILE_BYTES, false)
            .await
            .expect("fallocate");
    }
    let file = Rc::new(file);
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let next_position = Rc::new(std::cell::Cell::new(0u64));
    let writes = Rc::new(std::cell::Cell::new(0u64));
    let mut tasks = Vec::new();
    for _ in 0..args.depth {
        let file = Rc::clone(&file);
        let next_position = Rc::clone(&next_position);
        let writes = Rc::clone(&writes);
        let (block_bytes, sync_every) = (args.block_bytes, args.sync_every);
        tasks.push(glommio::spawn_local(async move {
            while Instant::now() < deadline {
                let position = next_position.get() % FILE_BYTES;
                next_position.set(position + block_bytes as u64);
                let mut buffer = file.alloc_dma_buffer(block_bytes);
                buffer.as_bytes_mut().fill(b'x');
                let written = file.write_at(buffer, position).await.expect("write");
                assert_eq!(written, block_bytes, "short write");
                writes.set(writes.get() + 1);
                if sync_every > 0 && writes.get() % sync_every == 0 {
                    file.fdatasync().await.expect("fdatasync");
                }
            }
        }));
    }
    for task in tasks {
        task.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let bytes = writes.get() * args.block_bytes as u64;
    println!(
        "{{\"probe\":\"glommio\",\"block_kib\":{},\"depth\":{},\"preallocate\":{},\"sync_every\":{},\
         \"mib_per_s\":{:.1}}}",
        args.block_bytes / 1024,
        args.depth,
        args.preallocate,
        args.sync_every,
        bytes as f64 / elapsed / (1 << 20) as f64
    );
    let Ok(file) = Rc::try_unwrap(file) else {
        panic!("file still shared after every writer ended");
    };
    file.close().await.expect("close");
}
