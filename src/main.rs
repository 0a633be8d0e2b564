use clap::Parser;
use std::process::ExitCode;

// glibc's allocator spent about a seventh of the gateway's CPU under load,
// much of it consolidating and unlinking free chunks across threads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    satupintu::cli::run(satupintu::cli::Cli::parse()).await
}
