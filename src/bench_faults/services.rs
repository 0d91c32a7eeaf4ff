//! A private copy of everything a fault run touches: Mosquitto, Redis and PostgreSQL on
//! free loopback ports with their data in the run's directory, and the platform's
//! `tds serve --only ingest` and `--only workers` as child processes. Killing any of them
//! never disturbs the machine's shared services. The stack supervises its children: one
//! that exits without being told to is recorded and started again, as a process manager
//! in production would.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::process::{Child, Command};
use tokio::sync::Mutex;

/// The name ingest and workers run under, the same across restarts (so a restarted
/// ingest resumes its MQTT session).
const INSTANCE: &str = "fault-bench";

/// Longest wait for a service to accept connections.
const READY_WITHIN: Duration = Duration::from_secs(60);

/// A child exit nobody asked for.
#[derive(Debug, Clone)]
pub struct UnplannedExit {
    /// Which process.
    pub service: &'static str,
    /// Milliseconds since the stack started.
    pub at_ms: u64,
    /// How it ended.
    pub status: String,
}

/// One supervised child: how to start it, and the running process if any.
struct Proc {
    name: &'static str,
    spawn: Box<dyn Fn() -> anyhow::Result<Child> + Send + Sync>,
    child: Option<Child>,
    last_start: Instant,
}

impl Proc {
    fn new(
        name: &'static str,
        spawn: impl Fn() -> anyhow::Result<Child> + Send + Sync + 'static,
    ) -> Arc<Mutex<Self>> {
        Arc::new(Mutex::new(Self {
            name,
            spawn: Box::new(spawn),
            child: None,
            last_start: Instant::now(),
        }))
    }

    fn start(&mut self) -> anyhow::Result<()> {
        self.child = Some((self.spawn)().with_context(|| format!("cannot start {}", self.name))?);
        self.last_start = Instant::now();
        Ok(())
    }

    /// SIGKILL, and reap.
    async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// SIGTERM, and wait for the exit (SIGKILL after `grace`).
    async fn terminate(&mut self, grace: Duration) -> anyhow::Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        if let Some(pid) = child.id() {
            signal(pid, "TERM").await?;
        }
        if tokio::time::timeout(grace, child.wait()).await.is_err() {
            let _ = child.kill().await;
            bail!("{} did not stop within {grace:?} of SIGTERM", self.name);
        }
        Ok(())
    }
}

/// Sends `kill -<name>` to `pid` (the crate forbids the unsafe a libc call needs).
async fn signal(pid: u32, name: &str) -> anyhow::Result<()> {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .await
        .context("kill")?;
    if !status.success() {
        bail!("kill -{name} {pid} failed");
    }
    Ok(())
}

/// A private PostgreSQL cluster, run through `pg_ctl` (as user `postgres` when we are root:
/// PostgreSQL refuses to run as root).
struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    as_postgres: bool,
}

impl Postgres {
    fn command(&self, program: &str) -> std::process::Command {
        let path = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            std::process::Command::new(path)
        };
        command.stdin(Stdio::null()).stdout(Stdio::null());
        command
    }

    async fn pg_ctl(&self, args: &[&str]) -> anyhow::Result<()> {
        let mut command = self.command("pg_ctl");
        command.arg("-D").arg(&self.data).args(args);
        let output = Command::from(command)
            .stderr(Stdio::piped())
            .output()
            .await
            .context("pg_ctl")?;
        if !output.status.success() {
            bail!(
                "pg_ctl {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(())
    }
}

/// The newest PostgreSQL server binaries installed the Debian way.
fn postgres_bin() -> anyhow::Result<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .context("no PostgreSQL server under /usr/lib/postgresql")?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .context("no initdb under /usr/lib/postgresql/*/bin")
}

fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// A port nothing listens on now (another process could take it before we do; unlikely
/// on loopback within a second).
fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("no free port")?;
    Ok(listener.local_addr()?.port())
}

async fn accepting(port: u16) -> bool {
    tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_ok()
}

async fn wait_accepting(name: &str, port: u16) -> anyhow::Result<()> {
    let deadline = Instant::now() + READY_WITHIN;
    while !accepting(port).await {
        if Instant::now() > deadline {
            bail!("{name} does not accept connections on 127.0.0.1:{port}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// Opens `path` for a child's stdout and stderr, appending (a restarted child keeps the
/// lines of the one before).
fn log_file(path: &Path) -> anyhow::Result<(Stdio, Stdio)> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("{}", path.display()))?;
    Ok((Stdio::from(file.try_clone()?), Stdio::from(file)))
}

/// Which platform process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// `tds serve --only ingest`.
    Ingest,
    /// `tds serve --only workers`.
    Workers,
}

/// The private services and platform processes of one run.
pub struct Stack {
    /// The run's directory (logs in `logs/`).
    pub dir: PathBuf,
    /// `mqtt://127.0.0.1:<port>` of the private broker.
    pub mqtt_url: String,
    /// `redis://127.0.0.1:<port>` of the private Redis.
    pub redis_url: String,
    /// `postgres://…` of the private cluster.
    pub database_url: String,
    mqtt_port: u16,
    redis_port: u16,
    pg_port: u16,
    broker: Arc<Mutex<Proc>>,
    redis: Arc<Mutex<Proc>>,
    ingest: Arc<Mutex<Proc>>,
    workers: Arc<Mutex<Proc>>,
    postgres: Postgres,
    postgres_started: bool,
    started: Instant,
    exits: Arc<std::sync::Mutex<Vec<UnplannedExit>>>,
    supervisor: Option<tokio::task::JoinHandle<()>>,
}

impl Stack {
    /// Lays out `dir` and the commands; starts nothing.
    pub fn new(dir: PathBuf) -> anyhow::Result<Self> {
        let logs = dir.join("logs");
        std::fs::create_dir_all(&logs).with_context(|| format!("{}", logs.display()))?;
        let root = running_as_root();
        let (mqtt_port, redis_port, pg_port) = (free_port()?, free_port()?, free_port()?);

        // Mosquitto started as root drops to `mosquitto` before it writes its
        // persistence: that user must own the directory, or nothing survives a restart.
        let broker_dir = dir.join("mosquitto");
        std::fs::create_dir_all(&broker_dir)?;
        let broker_user = if root {
            let ids = tds_certs::files::user_ids("mosquitto").map_err(anyhow::Error::msg)?;
            tds_certs::files::give_to(&broker_dir, ids)?;
            Some("mosquitto")
        } else {
            None
        };
        let conf = dir.join("mosquitto.conf");
        std::fs::write(
            &conf,
            tds_certs::broker::loopback_config(
                &broker_dir,
                mqtt_port,
                broker_user,
                tds_domain::telemetry::MAX_PAYLOAD_BYTES,
            ),
        )?;
        let log = logs.join("mosquitto.log");
        let broker = Proc::new("mosquitto", move || {
            let (out, err) = log_file(&log)?;
            Ok(Command::new("mosquitto")
                .arg("-c")
                .arg(&conf)
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .kill_on_drop(true)
                .spawn()?)
        });

        let redis_dir = dir.join("redis");
        std::fs::create_dir_all(&redis_dir)?;
        let log = logs.join("redis.log");
        let redis = Proc::new("redis", move || {
            let (out, err) = log_file(&log)?;
            Ok(Command::new("redis-server")
                .args(["--bind", "127.0.0.1", "--port", &redis_port.to_string()])
                .arg("--dir")
                .arg(&redis_dir)
                .args(["--appendonly", "yes", "--appendfsync", "everysec"])
                .args(["--save", "", "--daemonize", "no", "--logfile", ""])
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .kill_on_drop(true)
                .spawn()?)
        });

        // PostgreSQL writes only inside its own directory: its log stays there too.
        let pg_dir = dir.join("postgres");
        std::fs::create_dir_all(&pg_dir)?;
        if root {
            let ids = tds_certs::files::user_ids("postgres").map_err(anyhow::Error::msg)?;
            tds_certs::files::give_to(&pg_dir, ids)?;
        }
        let postgres = Postgres {
            bin: postgres_bin()?,
            data: pg_dir.join("data"),
            as_postgres: root,
        };
        let database_url = format!("postgres://postgres@127.0.0.1:{pg_port}/postgres");
        let mqtt_url = format!("mqtt://127.0.0.1:{mqtt_port}");
        let redis_url = format!("redis://127.0.0.1:{redis_port}");

        // The platform with default settings but for where its dependencies are: the
        // environment is cleared, so nothing of the caller's configuration leaks in.
        let exe = std::env::current_exe().context("cannot find the tds executable")?;
        let env: Vec<(String, String)> = vec![
            ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
            ("DATABASE_URL".into(), database_url.clone()),
            ("REDIS_URL".into(), redis_url.clone()),
            ("MQTT_URL".into(), mqtt_url.clone()),
            ("TDS_INSTANCE".into(), INSTANCE.into()),
            (
                "TDS_DATA_DIR".into(),
                dir.join("data").display().to_string(),
            ),
            ("TDS_LOG".into(), "info,sqlx=warn".into()),
        ];
        let platform = |service: &'static str| {
            let (exe, env, log) = (
                exe.clone(),
                env.clone(),
                logs.join(format!("{service}.log")),
            );
            Proc::new(service, move || {
                let (out, err) = log_file(&log)?;
                Ok(Command::new(&exe)
                    .args(["serve", "--only", service])
                    .env_clear()
                    .envs(env.iter().map(|(k, v)| (k, v)))
                    .stdin(Stdio::null())
                    .stdout(out)
                    .stderr(err)
                    .kill_on_drop(true)
                    .spawn()?)
            })
        };
        Ok(Self {
            mqtt_url,
            redis_url,
            database_url,
            mqtt_port,
            redis_port,
            broker,
            redis,
            ingest: platform("ingest"),
            workers: platform("workers"),
            postgres,
            postgres_started: false,
            started: Instant::now(),
            exits: Arc::default(),
            supervisor: None,
            pg_port,
            dir,
        })
    }

    /// Starts Mosquitto, Redis and PostgreSQL and waits until each accepts connections.
    pub async fn start_dependencies(&mut self) -> anyhow::Result<()> {
        self.broker.lock().await.start()?;
        self.redis.lock().await.start()?;
        let pg = &self.postgres;
        let mut initdb = pg.command("initdb");
        initdb.arg("-D").arg(&pg.data).args([
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        ]);
        let output = Command::from(initdb)
            .stderr(Stdio::piped())
            .output()
            .await
            .context("initdb")?;
        if !output.status.success() {
            bail!("initdb: {}", String::from_utf8_lossy(&output.stderr).trim());
        }
        let port = self.pg_port;
        let socket_dir = self.dir.join("postgres");
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1",
            socket_dir.display()
        );
        let log = self.postgres_log().display().to_string();
        self.postgres
            .pg_ctl(&["-l", &log, "-w", "-t", "60", "-o", &options, "start"])
            .await?;
        self.postgres_started = true;
        wait_accepting("mosquitto", self.mqtt_port).await?;
        wait_accepting("redis", self.redis_port).await?;
        Ok(())
    }

    /// Starts a platform process and, from then on, supervises every child.
    pub async fn start(&mut self, which: Platform) -> anyhow::Result<()> {
        self.platform(which).lock().await.start()?;
        if self.supervisor.is_none() {
            self.supervisor = Some(tokio::spawn(supervise(
                vec![
                    self.broker.clone(),
                    self.redis.clone(),
                    self.ingest.clone(),
                    self.workers.clone(),
                ],
                self.started,
                self.exits.clone(),
            )));
        }
        Ok(())
    }

    fn platform(&self, which: Platform) -> &Arc<Mutex<Proc>> {
        match which {
            Platform::Ingest => &self.ingest,
            Platform::Workers => &self.workers,
        }
    }

    /// SIGTERM to the broker, wait for its exit, start it again after `pause` with the
    /// same configuration and persistence. Returns when it accepts connections again.
    pub async fn restart_broker(&self, pause: Duration) -> anyhow::Result<()> {
        let mut broker = self.broker.lock().await;
        broker.terminate(Duration::from_secs(30)).await?;
        tokio::time::sleep(pause).await;
        broker.start()?;
        drop(broker);
        wait_accepting("mosquitto", self.mqtt_port).await
    }

    /// SIGKILL to Redis and an immediate start on the same directory (the append-only
    /// file). Returns when it accepts connections again.
    pub async fn kill_redis(&self) -> anyhow::Result<()> {
        let mut redis = self.redis.lock().await;
        redis.kill().await;
        redis.start()?;
        drop(redis);
        wait_accepting("redis", self.redis_port).await
    }

    /// SIGKILL to the running platform processes and an immediate start of each.
    pub async fn kill_platform(&self) -> anyhow::Result<()> {
        let mut ingest = self.ingest.lock().await;
        let mut workers = self.workers.lock().await;
        let running = (ingest.child.is_some(), workers.child.is_some());
        ingest.kill().await;
        workers.kill().await;
        if running.0 {
            ingest.start()?;
        }
        if running.1 {
            workers.start()?;
        }
        Ok(())
    }

    /// SIGTERM to the running platform processes, each waited for (30 s at most: the
    /// graceful stop takes up to 20 s), then a start of each.
    pub async fn restart_platform(&self) -> anyhow::Result<()> {
        let mut ingest = self.ingest.lock().await;
        let mut workers = self.workers.lock().await;
        let running = (ingest.child.is_some(), workers.child.is_some());
        let grace = Duration::from_secs(30);
        let (stopped_ingest, stopped_workers) =
            tokio::join!(ingest.terminate(grace), workers.terminate(grace));
        stopped_ingest?;
        stopped_workers?;
        if running.0 {
            ingest.start()?;
        }
        if running.1 {
            workers.start()?;
        }
        Ok(())
    }

    /// `pg_ctl restart -m fast`: every connection is cut, the server comes back.
    pub async fn restart_postgres(&self) -> anyhow::Result<()> {
        // The new server must log to the file: on pg_ctl's stderr it would hold the pipe
        // we read pg_ctl's errors from open for ever.
        let log = self.postgres_log().display().to_string();
        self.postgres
            .pg_ctl(&["-l", &log, "-m", "fast", "-w", "-t", "60", "restart"])
            .await
    }

    fn postgres_log(&self) -> PathBuf {
        self.dir.join("postgres").join("postgres.log")
    }

    /// Child exits nobody asked for, so far.
    pub fn unplanned_exits(&self) -> Vec<UnplannedExit> {
        self.exits.lock().map(|e| e.clone()).unwrap_or_default()
    }

    /// Stops everything and removes the run's data; the logs stay when `keep_logs`.
    pub async fn shutdown(mut self, keep_logs: bool) {
        if let Some(supervisor) = self.supervisor.take() {
            supervisor.abort();
            let _ = supervisor.await;
        }
        for proc in [&self.ingest, &self.workers, &self.broker, &self.redis] {
            proc.lock().await.kill().await;
        }
        if self.postgres_started
            && let Err(e) = self
                .postgres
                .pg_ctl(&["-m", "immediate", "-w", "stop"])
                .await
        {
            eprintln!("faults: {e}");
        }
        if keep_logs {
            let _ = std::fs::copy(
                self.postgres_log(),
                self.dir.join("logs").join("postgres.log"),
            );
            for data in ["postgres", "redis", "mosquitto", "data"] {
                let _ = std::fs::remove_dir_all(self.dir.join(data));
            }
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Restarts any child that exited on its own (at most once a second each) and records it.
async fn supervise(
    procs: Vec<Arc<Mutex<Proc>>>,
    started: Instant,
    exits: Arc<std::sync::Mutex<Vec<UnplannedExit>>>,
) {
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    loop {
        tick.tick().await;
        for proc in &procs {
            // A locked process is being stopped or started on purpose right now.
            let Ok(mut proc) = proc.try_lock() else {
                continue;
            };
            let Some(child) = proc.child.as_mut() else {
                continue;
            };
            let Ok(Some(status)) = child.try_wait() else {
                continue;
            };
            let exit = UnplannedExit {
                service: proc.name,
                at_ms: started.elapsed().as_millis() as u64,
                status: status.to_string(),
            };
            eprintln!(
                "faults: {} exited on its own ({}); starting it again",
                exit.service, exit.status
            );
            if let Ok(mut list) = exits.lock() {
                list.push(exit);
            }
            proc.child = None;
            let wait = Duration::from_secs(1).saturating_sub(proc.last_start.elapsed());
            tokio::time::sleep(wait).await;
            if let Err(e) = proc.start() {
                eprintln!("faults: {e:#}");
            }
        }
    }
}
