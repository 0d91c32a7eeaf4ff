//! `tds`: the operator command line. Parses arguments and hands over to the library
//! crates; every failure ends as one line on stderr and a non-zero exit.

mod backup;
mod bench;
mod bench_faults;
mod bench_ingest;
mod bench_report;
mod certs_cmd;
mod cli;
mod cpu;
mod demo;
mod firmware;
mod logging;
mod serve;
mod simulate;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(cli::run(cli)) {
        logging::print_error(&e);
        std::process::exit(1);
    }
}
