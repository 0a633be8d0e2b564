//! The SMTP sink for the e-mail tests: a real SMTP server (aiosmtpd, see
//! `email_smtp_sink.py`) on a free loopback port that requires a login and
//! writes every mail it accepts to a directory the test reads.

use crate::email_peers::{TlsFiles, SMTP_PASSWORD, SMTP_USER};
use crate::helpers::free_port;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use tempfile::TempDir;

/// The SMTP sink, one per test.
pub struct SmtpSink {
    child: Option<Child>,
    pub port: u16,
    dir: TempDir,
    args: Vec<String>,
}

async fn spawn(args: &[String]) -> Child {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/email_smtp_sink.py");
    let child = Command::new(python_with_aiosmtpd())
        .arg(script)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the SMTP sink");
    let port: u16 = args[0].parse().unwrap();
    crate::helpers::eventually("the SMTP sink to accept connections", 20, || async move {
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .ok()
    })
    .await;
    child
}

/// A mail the sink accepted: envelope and raw message.
pub struct Received {
    pub envelope: serde_json::Value,
    pub raw: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.raw.split("\r\n\r\n").next().unwrap_or_default();
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        unfolded.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }

    pub fn to(&self) -> Vec<String> {
        self.envelope["to"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn python_with_aiosmtpd() -> String {
    for python in ["/usr/bin/python3", "python3"] {
        let ok = Command::new(python)
            .args(["-c", "import aiosmtpd"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return python.to_string();
        }
    }
    panic!("no python3 with aiosmtpd: the e-mail tests need Debian's `python3-aiosmtpd` (./deploy/test.sh installs it)");
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        Self::start_with(None).await
    }

    /// Login only over TLS: `mode` is `starttls` or `tls` (implicit).
    pub async fn start_tls(files: &TlsFiles, mode: &'static str) -> SmtpSink {
        Self::start_with(Some((files, mode))).await
    }

    async fn start_with(tls: Option<(&TlsFiles, &'static str)>) -> SmtpSink {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut args = vec![
            port.to_string(),
            dir.path().display().to_string(),
            SMTP_USER.to_string(),
            SMTP_PASSWORD.to_string(),
        ];
        if let Some((files, mode)) = tls {
            args.push(files.cert.display().to_string());
            args.push(files.key.display().to_string());
            args.push(mode.to_string());
        }
        let child = spawn(&args).await;
        SmtpSink {
            child: Some(child),
            port,
            dir,
            args,
        }
    }

    /// Stops the server: sends fail until [`SmtpSink::resume`].
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, keeping what it received.
    pub async fn resume(&mut self) {
        assert!(self.child.is_none(), "the sink is running");
        self.child = Some(spawn(&self.args).await);
    }

    /// Every mail accepted so far, in order.
    pub fn received(&self) -> Vec<Received> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|p| Received {
                raw: String::from_utf8_lossy(&std::fs::read(&p).unwrap()).to_string(),
                envelope: serde_json::from_slice(&std::fs::read(p.with_extension("json")).unwrap())
                    .unwrap(),
            })
            .collect()
    }

    /// Waits until `n` mails have arrived and returns them.
    pub async fn wait_for(&self, n: usize, what: &str) -> Vec<Received> {
        crate::helpers::eventually(what, 30, || {
            let got = self.received();
            async move { (got.len() >= n).then_some(got) }
        })
        .await
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}
