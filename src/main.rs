use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    satupintu::cli::run(satupintu::cli::Cli::parse()).await
}
