//! A real Kannel for the SMS tests: bearerbox with a `fake` SMSC, the
//! `fakesmsc` test SMSC connected to it (messages are typed into its
//! standard input; what it receives is in its log), and smsbox calling the
//! gateway's webhook. Everything lives in a temporary directory on free
//! ports and is stopped by PID when dropped.

use crate::helpers::{eventually, free_port};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use tempfile::TempDir;

pub const BEARERBOX: &str = "/usr/sbin/bearerbox";
pub const SMSBOX: &str = "/usr/sbin/smsbox";
pub const FAKESMSC: &str = "/usr/lib/kannel/test/fakesmsc";
pub const USER: &str = "satupintu";
pub const PASSWORD: &str = "kannel-sendsms-rahasia";

/// Fails the test with a clear message when a Kannel binary is missing.
pub fn require_kannel() {
    for bin in [BEARERBOX, SMSBOX, FAKESMSC] {
        assert!(
            Path::new(bin).exists(),
            "Kannel is required for this test and `{bin}` is missing: install the Debian packages \
             `kannel` and `kannel-extras` (./deploy/test.sh does)"
        );
    }
}

pub struct Ports {
    pub admin: u16,
    pub smsbox: u16,
    pub smsc: u16,
    pub sendsms: u16,
}

impl Ports {
    pub fn free() -> Ports {
        Ports {
            admin: free_port(),
            smsbox: free_port(),
            smsc: free_port(),
            sendsms: free_port(),
        }
    }

    pub fn sendsms_url(&self) -> String {
        format!("http://127.0.0.1:{}/cgi-bin/sendsms", self.sendsms)
    }
}

pub struct Kannel {
    pub dir: TempDir,
    pub ports: Ports,
    bearerbox: Child,
    smsbox: Option<Child>,
    fakesmsc: Option<Child>,
    fakesmsc_in: Option<ChildStdin>,
}

fn config(dir: &Path, ports: &Ports, get_url: &str) -> String {
    let d = dir.display();
    format!(
        r#"group = core
admin-port = {admin}
admin-password = admin
smsbox-port = {smsbox}
log-file = "{d}/bearerbox.log"
log-level = 0
access-log = "{d}/access.log"
box-allow-ip = 127.0.0.1
sms-combine-concatenated-mo = false

group = smsc
smsc = fake
smsc-id = FAKE
port = {smsc}
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
sendsms-port = {sendsms}
log-file = "{d}/smsbox.log"
log-level = 0

group = sendsms-user
username = {USER}
password = {PASSWORD}

group = sms-service
keyword = default
get-url = "{get_url}"
max-messages = 0
catch-all = true
"#,
        admin = ports.admin,
        smsbox = ports.smsbox,
        smsc = ports.smsc,
        sendsms = ports.sendsms,
    )
}

fn spawn(bin: &str, args: &[&str], log: PathBuf, stdin: Stdio) -> Child {
    let out = std::fs::File::create(&log).unwrap();
    Command::new(bin)
        .args(args)
        .stdin(stdin)
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap_or_else(|e| panic!("start {bin}: {e}"))
}

impl Kannel {
    /// Starts bearerbox, fakesmsc and smsbox; smsbox calls `get_url`
    /// (Kannel escapes such as `%p` are filled in by smsbox).
    pub async fn start(ports: Ports, get_url: &str) -> Kannel {
        require_kannel();
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("kannel.conf");
        std::fs::write(&conf, config(dir.path(), &ports, get_url)).unwrap();
        let conf = conf.to_str().unwrap().to_string();
        let bearerbox = spawn(
            BEARERBOX,
            &[&conf],
            dir.path().join("bearerbox.out"),
            Stdio::null(),
        );
        let mut kannel = Kannel {
            dir,
            ports,
            bearerbox,
            smsbox: None,
            fakesmsc: None,
            fakesmsc_in: None,
        };
        kannel
            .wait_status("bearerbox to answer", |s| s.contains("Status: running"))
            .await;
        let mut fake = spawn(
            FAKESMSC,
            // No message arguments and no `-m`: interactive, lines from stdin.
            &[
                "-H",
                "127.0.0.1",
                "-r",
                &kannel.ports.smsc.to_string(),
                "-i",
                "0.1",
            ],
            kannel.dir.path().join("fakesmsc.log"),
            Stdio::piped(),
        );
        kannel.fakesmsc_in = fake.stdin.take();
        kannel.fakesmsc = Some(fake);
        kannel
            .wait_status("the fake SMSC to be online", |s| {
                s.lines()
                    .any(|l| l.contains("FAKE[FAKE]") && l.contains("(online"))
            })
            .await;
        kannel.start_smsbox(&conf).await;
        kannel
    }

    /// Starts smsbox and waits until bearerbox lists it on-line. An smsbox
    /// that exits (it could not bind its sendsms port, say, taken for a
    /// moment by another test's server) is started again, a few times.
    async fn start_smsbox(&mut self, conf: &str) {
        const TRIES: usize = 4;
        for attempt in 1..=TRIES {
            let out = self.dir.path().join(format!("smsbox-{attempt}.out"));
            let mut smsbox = spawn(SMSBOX, &[conf], out, Stdio::null());
            let online = tokio::time::timeout(std::time::Duration::from_secs(30), async {
                loop {
                    if let Ok(Some(_)) = smsbox.try_wait() {
                        return false;
                    }
                    let status = self.status().await;
                    if status.is_some_and(|s| s.contains("smsbox:") && s.contains("on-line")) {
                        return true;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            })
            .await;
            match online {
                Ok(true) => {
                    self.smsbox = Some(smsbox);
                    return;
                }
                Ok(false) if attempt < TRIES => {
                    let pause = std::time::Duration::from_secs(1 << attempt);
                    eprintln!("smsbox exited before it connected (try {attempt}); starting it again in {pause:?}");
                    tokio::time::sleep(pause).await;
                }
                _ => {
                    let _ = smsbox.kill();
                    let _ = smsbox.wait();
                    let log = |name: &str| {
                        let text =
                            std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
                        text.lines().rev().take(15).collect::<Vec<_>>().join("\n")
                    };
                    panic!(
                        "smsbox did not connect to bearerbox (try {attempt}); smsbox log (newest first):\n{}\nbearerbox log (newest first):\n{}",
                        log("smsbox.log"),
                        log("bearerbox.log")
                    );
                }
            }
        }
    }

    async fn status(&self) -> Option<String> {
        let url = format!(
            "http://127.0.0.1:{}/status.txt?password=admin",
            self.ports.admin
        );
        reqwest::get(&url).await.ok()?.text().await.ok()
    }

    async fn wait_status(&self, what: &str, ok: impl Fn(&str) -> bool) {
        let this = self;
        let ok = &ok;
        let log = self.dir.path().join("bearerbox.log");
        let found = tokio::time::timeout(std::time::Duration::from_secs(30), async move {
            loop {
                if this.status().await.is_some_and(|s| ok(&s)) {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        })
        .await;
        if found.is_err() {
            let tail = std::fs::read_to_string(&log).unwrap_or_default();
            let tail: String = tail.lines().rev().take(20).collect::<Vec<_>>().join("\n");
            panic!("timed out waiting for {what}; bearerbox log (newest first):\n{tail}");
        }
    }

    /// A mobile-originated text message from `from` to `to`.
    pub fn send_text(&mut self, from: &str, to: &str, text: &str) {
        self.line(&format!("{from} {to} text {text}"));
    }

    /// One part of a concatenated message: `udh` and `data` URL-encoded.
    pub fn send_udh(&mut self, from: &str, to: &str, udh: &str, data: &str) {
        self.line(&format!("{from} {to} udh {udh} {data}"));
    }

    fn line(&mut self, line: &str) {
        let stdin = self.fakesmsc_in.as_mut().expect("fakesmsc runs");
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }

    /// What fakesmsc received (mobile-terminated), one `FROM TO TYPE DATA`
    /// line each.
    pub fn received(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("fakesmsc.log"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once("Got message ").map(|(_, rest)| rest))
            .filter_map(|rest| {
                rest.split_once(": <")
                    .map(|(_, m)| m.trim_end_matches('>').to_string())
            })
            .collect()
    }

    /// Waits for fakesmsc to have received a message matching `pred`.
    pub async fn wait_received(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let pred = &pred;
        eventually(what, 30, || async move {
            self.received().into_iter().find(|m| pred(m))
        })
        .await
    }
}

impl Drop for Kannel {
    fn drop(&mut self) {
        drop(self.fakesmsc_in.take());
        for child in [
            self.smsbox.as_mut(),
            self.fakesmsc.as_mut(),
            Some(&mut self.bearerbox),
        ]
        .into_iter()
        .flatten()
        {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
