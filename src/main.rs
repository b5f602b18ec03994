//! `cinnabar-server [config-file] [--directive value ...]`: the command line
//! of redis-server, then the start-up sequence and the event loop.

use clap::Parser as _;

use cinnabar::config::{self, Config};
use cinnabar::server::Server;
use cinnabar::{CINNABAR_VERSION, REDIS_VERSION, log, log_notice, log_warning};

#[global_allocator]
static GLOBAL: cinnabar::alloc::Counting = cinnabar::alloc::Counting;

#[derive(clap::Parser, Debug)]
#[command(
    name = "cinnabar-server",
    disable_version_flag = true,
    disable_help_flag = true,
    about = "A Redis-compatible server"
)]
struct Cli {
    /// Print version and exit.
    #[arg(short = 'v', long = "version")]
    version: bool,
    /// Print usage and exit.
    #[arg(short = 'h', long = "help")]
    help: bool,
    /// `[config-file] [--directive value ...]`, as redis-server takes them.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    rest: Vec<String>,
}

fn usage() -> ! {
    eprintln!(
        "Usage: ./cinnabar-server [/path/to/redis.conf] [options] [-]
       ./cinnabar-server - (read config from stdin)
       ./cinnabar-server -v or --version
       ./cinnabar-server -h or --help

Examples:
       ./cinnabar-server (run the server with default conf)
       ./cinnabar-server /etc/redis/6379.conf
       ./cinnabar-server --port 7777
       ./cinnabar-server --port 7777 --replicaof 127.0.0.1 8888
       ./cinnabar-server /etc/myredis.conf --loglevel verbose -
       ./cinnabar-server /etc/myredis.conf --loglevel verbose
"
    );
    std::process::exit(1);
}

/// `daemonize yes`: fork, let the parent exit, start a new session, and
/// point stdio at /dev/null (logs then go to `logfile`, as in Redis).
fn daemonize() {
    // SAFETY: called before any thread is started; standard fork/setsid.
    unsafe {
        match libc::fork() {
            -1 => {
                eprintln!("fork failed");
                std::process::exit(1);
            }
            0 => {}
            _ => libc::_exit(0),
        }
        libc::setsid();
        let fd = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if fd >= 0 {
            libc::dup2(fd, 0);
            libc::dup2(fd, 1);
            libc::dup2(fd, 2);
            if fd > 2 {
                libc::close(fd);
            }
        }
    }
}

fn version_line() -> String {
    format!(
        "Redis server v={REDIS_VERSION} sha=00000000:0 malloc=mimalloc bits=64 build=cinnabar-{CINNABAR_VERSION} (cinnabar v={CINNABAR_VERSION})"
    )
}

fn main() {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(_) => usage(),
    };
    if cli.version {
        println!("{}", version_line());
        return;
    }
    if cli.help {
        usage();
    }
    let mut cfg = Config::default();
    // As redis-server: a first argument not starting with '-' is the config
    // file; the rest become config lines appended after it (and after
    // stdin, when '-' asks for it), so they override the file.
    let args = cli.rest.as_slice();
    let mut text = String::new();
    let mut skip = 0;
    if let Some(first) = args.first()
        && !first.starts_with('-')
    {
        match std::fs::read_to_string(first) {
            Ok(t) => {
                text = t;
                cfg.config_file = std::fs::canonicalize(first)
                    .ok()
                    .map(|p| p.display().to_string());
            }
            Err(e) => {
                eprintln!(
                    "Fatal error, can't open config file '{}': {}",
                    first,
                    cinnabar::net::listener::strip_os_error(&e)
                );
                std::process::exit(1);
            }
        }
        skip = 1;
    }
    let (options, from_stdin) = config::args_to_config(&args[skip..], skip == 0);
    if from_stdin {
        use std::io::Read;
        let mut input = String::new();
        let _ = std::io::stdin().read_to_string(&mut input);
        text.push_str(&input);
    }
    text.push('\n');
    text.push_str(&options);
    if let Err(e) = cfg.load_string(&text) {
        eprintln!("{e}");
        std::process::exit(1);
    }
    log::set_verbosity(cfg.loglevel);
    log::set_logfile(&cfg.logfile);
    if !cfg.dir.is_empty()
        && let Err(e) = std::env::set_current_dir(&cfg.dir)
    {
        log_warning!("Can't chdir to '{}': {}", cfg.dir, e);
        std::process::exit(1);
    }
    if cfg.daemonize {
        daemonize();
    }
    let pid = std::process::id();
    log_warning!("oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo");
    log_warning!(
        "Redis version={REDIS_VERSION}, bits=64, commit=00000000, modified=0, pid={pid}, just started (cinnabar {CINNABAR_VERSION})"
    );
    if cfg.config_file.is_none() {
        log_warning!(
            "Warning: no config file specified, using the default config. In order to specify a config file use cinnabar-server /path/to/redis.conf"
        );
    } else {
        log_notice!("Configuration loaded");
    }
    let unimpl = cfg.unimplemented_in_use();
    if !unimpl.is_empty() {
        log_warning!(
            "Directives accepted but not implemented yet (no effect): {}",
            unimpl.join(", ")
        );
    }
    // Before any thread starts: the title takes over the environment area.
    cinnabar::proctitle::init();
    cinnabar::crash::install(cfg.pidfile.clone());
    let supervised = cinnabar::supervise::start(cfg.get("supervised").unwrap_or("no"));
    let mut srv = match Server::new(cfg) {
        Ok(s) => s,
        Err(e) => {
            log_warning!("Failed creating the event loop. Error message: '{e}'");
            std::process::exit(1);
        }
    };
    if let Err(e) = srv.init() {
        for line in e.lines() {
            log_warning!("{line}");
        }
        std::process::exit(1);
    }
    // As Redis: the logo (with the PID line test harnesses wait for) and
    // the pidfile come once the listeners are open.
    let port = srv.cfg.port;
    if srv.cfg.always_show_logo {
        log::write_raw(&format!(
            "cinnabar {CINNABAR_VERSION} (Redis {REDIS_VERSION} compatible) 64 bit\nRunning in standalone mode\nPort: {port}\n PID: {pid}\n\n"
        ));
    } else {
        log_notice!("Running mode=standalone, port={port}.");
    }
    if srv.cfg.daemonize && srv.cfg.pidfile.is_empty() {
        // Redis's default when daemonized without a pidfile.
        let _ = srv.cfg.set("pidfile", &["/var/run/redis.pid".to_string()]);
    }
    if !srv.cfg.pidfile.is_empty()
        && let Err(e) = std::fs::write(&srv.cfg.pidfile, format!("{pid}\n"))
    {
        log_warning!("Failed to write PID file: {e}");
    }
    cinnabar::proctitle::apply(&srv.cfg, srv.config_file.as_deref());
    log_notice!("Server initialized");
    if let Err(e) = cinnabar::persistence::load_at_start(&mut srv) {
        log_warning!("{e}");
        if e.starts_with("Internal error") {
            log_warning!("Terminating server after rdb file reading failure.");
        }
        std::process::exit(1);
    }
    log_notice!("Ready to accept connections");
    if let Some((host, port)) = srv.cfg.get("replicaof").and_then(|v| v.split_once(' ')) {
        let (host, port) = (host.to_string(), port.parse().unwrap_or(6379));
        cinnabar::replica::set_master(&mut srv, &host, port, true);
    }
    cinnabar::supervise::ready(supervised);
    let code = srv.run();
    cinnabar::supervise::stopping(supervised);
    std::process::exit(code);
}
