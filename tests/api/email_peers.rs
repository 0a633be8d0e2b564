//! A real Dovecot (IMAP) per e-mail test, in a temporary directory on a
//! free loopback port with one test user, stopped by its PID; and the
//! channel configuration pointing at it and at the SMTP sink. A missing
//! binary fails the test with a message naming it.

pub use crate::email_sink::SmtpSink;
use crate::helpers::free_port;
use satupintu::channels::email::{EmailConfig, ImapConfig, SmtpConfig};
use satupintu::config::SecretRef;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use tempfile::TempDir;

pub const IMAP_USER: &str = "pengaduan";
pub const IMAP_PASSWORD: &str = "imap-rahasia-7f3a";
pub const SMTP_USER: &str = "satupintu";
pub const SMTP_PASSWORD: &str = "smtp-rahasia-91bc";
pub const CITY_ADDRESS: &str = "pengaduan@padang.go.id";

fn require(binary: &str, package: &str) -> PathBuf {
    let path = PathBuf::from(binary);
    if !path.exists() {
        panic!(
            "{binary} is missing: the e-mail tests need Debian's `{package}` \
             (./deploy/test.sh installs it)"
        );
    }
    path
}

/// A test CA and a certificate it signed for 127.0.0.1 and localhost.
pub struct TlsFiles {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TlsFiles {
    pub fn generate(dir: &Path) -> TlsFiles {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, SanType};
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "satupintu test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params
            .subject_alt_names
            .push(SanType::IpAddress([127, 0, 0, 1].into()));
        let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
        let files = TlsFiles {
            ca: dir.join("ca.pem"),
            cert: dir.join("server.pem"),
            key: dir.join("server.key"),
        };
        std::fs::write(&files.ca, ca.pem()).unwrap();
        std::fs::write(&files.cert, cert.pem()).unwrap();
        std::fs::write(&files.key, key.serialize_pem()).unwrap();
        files
    }
}

fn dovecot_config(dir: &Path, port: u16, tls: Option<(&TlsFiles, u16)>) -> String {
    let d = dir.display();
    let (ssl, imaps_port) = match tls {
        Some((files, imaps)) => (
            format!(
                "ssl = yes\nssl_cert = <{}\nssl_key = <{}\n",
                files.cert.display(),
                files.key.display()
            ),
            imaps,
        ),
        None => ("ssl = no\n".to_string(), 0),
    };
    format!(
        "protocols = imap\nfirst_valid_uid = 1\nlisten = 127.0.0.1\n\
         base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\n\
         {ssl}disable_plaintext_auth = no\nauth_mechanisms = plain login\n\
         default_internal_user = dovecot\ndefault_internal_group = dovecot\n\
         default_login_user = dovenull\nmail_location = maildir:{d}/mail/%u\n\
         service imap-login {{\n  inet_listener imap {{\n    port = {port}\n  }}\n  \
         inet_listener imaps {{\n    port = {imaps_port}\n  }}\n  chroot =\n}}\n\
         service anvil {{\n  chroot =\n}}\n\
         passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {d}/users\n}}\n\
         userdb {{\n  driver = static\n  args = uid=dovecot gid=dovecot home={d}/mail/%u\n}}\n"
    )
}

/// One Dovecot with the user `pengaduan`, its INBOX empty.
pub struct Dovecot {
    dir: TempDir,
    pub port: u16,
    /// The implicit-TLS port, when started with [`Dovecot::start_tls`].
    pub imaps_port: Option<u16>,
    running: bool,
}

impl Dovecot {
    pub async fn start() -> Dovecot {
        Self::start_with(None).await
    }

    /// With TLS: STARTTLS on `port`, implicit TLS on `imaps_port`.
    pub async fn start_tls(files: &TlsFiles) -> Dovecot {
        Self::start_with(Some(files)).await
    }

    async fn start_with(tls: Option<&TlsFiles>) -> Dovecot {
        require("/usr/sbin/dovecot", "dovecot-imapd");
        require("/usr/bin/doveadm", "dovecot-core");
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let d = dir.path();
        for sub in ["run", "state", "mail"] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        let imaps_port = tls.map(|_| free_port());
        let config = dovecot_config(d, port, tls.zip(imaps_port));
        std::fs::write(d.join("dovecot.conf"), config).unwrap();
        std::fs::write(
            d.join("users"),
            format!("{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}\n"),
        )
        .unwrap();
        // Dovecot's own users must reach the directory and own the mail.
        run("chmod", &["755", d.to_str().unwrap()]);
        run(
            "chown",
            &["-R", "dovecot:dovecot", d.join("mail").to_str().unwrap()],
        );
        let mut dovecot = Dovecot {
            dir,
            port,
            imaps_port,
            running: false,
        };
        dovecot.resume().await;
        dovecot
    }

    fn conf(&self) -> String {
        self.dir.path().join("dovecot.conf").display().to_string()
    }

    /// Starts the server (again) on the same port and mail.
    pub async fn resume(&mut self) {
        // Dovecot daemonizes: its output must not be a pipe we wait on.
        let status = Command::new("/usr/sbin/dovecot")
            .args(["-c", &self.conf()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run dovecot");
        assert!(status.success(), "dovecot did not start:\n{}", self.log());
        self.running = true;
        let port = self.port;
        crate::helpers::eventually("Dovecot to accept connections", 20, || async move {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .ok()
        })
        .await;
    }

    fn pid(&self) -> Option<i32> {
        std::fs::read_to_string(self.dir.path().join("run/master.pid"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// Stops the server (SIGTERM to its master, which ends every session).
    pub async fn stop(&mut self) {
        let Some(pid) = self.pid() else { return };
        run("kill", &["-TERM", &pid.to_string()]);
        let proc_dir = PathBuf::from(format!("/proc/{pid}"));
        crate::helpers::eventually("Dovecot to exit", 20, || {
            let gone = !proc_dir.exists();
            async move { gone.then_some(()) }
        })
        .await;
        self.running = false;
    }

    /// Delivers a message into `folder` as the mail server would.
    pub fn deliver_to(&self, folder: &str, raw: &[u8]) {
        use std::io::Write;
        let mut child = Command::new("/usr/bin/doveadm")
            .args(["-c", &self.conf(), "save", "-u", IMAP_USER, "-m", folder])
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run doveadm");
        child.stdin.take().unwrap().write_all(raw).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "doveadm save failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn deliver(&self, raw: &[u8]) {
        self.deliver_to("INBOX", raw);
    }

    /// UIDs matching an IMAP search in `folder` (e.g. `UNSEEN`, `ALL`).
    pub fn search(&self, folder: &str, query: &str) -> usize {
        let mut args = vec![
            "-c".to_string(),
            self.conf(),
            "search".into(),
            "-u".into(),
            IMAP_USER.into(),
        ];
        args.push("mailbox".into());
        args.push(folder.into());
        args.extend(query.split_whitespace().map(str::to_string));
        let out = Command::new("/usr/bin/doveadm")
            .args(&args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .count()
    }

    fn inbox_dir(&self) -> PathBuf {
        self.dir.path().join("mail").join(IMAP_USER)
    }

    /// Delivers into the INBOX while the server is down, as a local
    /// delivery agent does: a file in `tmp/`, renamed into `new/`.
    pub fn deliver_while_stopped(&self, raw: &[u8]) {
        assert!(!self.running, "use `deliver` while Dovecot runs");
        static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let name = format!(
            "{}.P{}Q{n}.satupintu-test",
            chrono::Utc::now().timestamp(),
            std::process::id()
        );
        let inbox = self.inbox_dir();
        let tmp = inbox.join("tmp").join(&name);
        std::fs::write(&tmp, raw).unwrap();
        std::fs::rename(&tmp, inbox.join("new").join(&name)).unwrap();
        run("chown", &["-R", "dovecot:dovecot", inbox.to_str().unwrap()]);
    }

    /// Clears `\Seen` on every mail in the INBOX while the server is down,
    /// as a person marking them unread in another client would.
    pub fn mark_unread_while_stopped(&self) {
        assert!(!self.running, "only while Dovecot is stopped");
        let cur = self.inbox_dir().join("cur");
        for entry in std::fs::read_dir(&cur).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().to_string();
            if let Some((base, flags)) = name.split_once(":2,") {
                let kept: String = flags.chars().filter(|c| *c != 'S').collect();
                std::fs::rename(cur.join(&name), cur.join(format!("{base}:2,{kept}"))).unwrap();
            }
        }
    }

    /// Makes the server number the INBOX anew (a new UIDVALIDITY), as a
    /// restored or migrated mailbox does. Only while stopped.
    pub fn renumber_inbox(&self) {
        assert!(
            !self.running,
            "renumber the INBOX only while Dovecot is stopped"
        );
        let inbox = self.inbox_dir();
        for entry in std::fs::read_dir(&inbox).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().to_string();
            if name.starts_with("dovecot-uidlist") || name.starts_with("dovecot.index") {
                std::fs::remove_file(inbox.join(name)).unwrap();
            }
        }
        // The next UIDVALIDITY Dovecot picks is derived from this file.
        let _ = std::fs::remove_file(inbox.join("dovecot-uidvalidity"));
        std::thread::sleep(Duration::from_millis(1100));
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        if let Some(pid) = self.pid() {
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
    }
}

fn run(cmd: &str, args: &[&str]) {
    let status = Command::new(cmd).args(args).status().unwrap();
    assert!(status.success(), "{cmd} {args:?} failed");
}

fn secret(dir: &Path, name: &str, value: &str) -> SecretRef {
    crate::helpers::secret_file(dir, name, value)
}

/// `[channels.email]` reading `dovecot` (plain text, loopback) and sending
/// through `sink`, with fast reconnects.
pub fn email_config(dir: &Path, dovecot: &Dovecot, sink: &SmtpSink) -> EmailConfig {
    EmailConfig {
        account: None,
        own_addresses: vec![],
        imap: Some(ImapConfig {
            host: "127.0.0.1".into(),
            port: Some(dovecot.port),
            security: adapters::email::Security::Plain,
            user: IMAP_USER.into(),
            password: secret(dir, "imap.password", IMAP_PASSWORD),
            ca_file: None,
            folder: "INBOX".into(),
            processed_folder: None,
            quarantine_folder: "Karantina".into(),
            idle: true,
            idle_renew_secs: 600,
            poll_interval_secs: 600,
            timeout_secs: 10,
            reconnect_min_ms: 100,
            reconnect_max_secs: 1,
        }),
        smtp: SmtpConfig {
            host: "127.0.0.1".into(),
            port: Some(sink.port),
            security: adapters::email::Security::Plain,
            user: Some(SMTP_USER.into()),
            password: Some(secret(dir, "smtp.password", SMTP_PASSWORD)),
            ca_file: None,
            from_address: CITY_ADDRESS.into(),
            from_name: Some("Pengaduan Kota Padang".into()),
            timeout_secs: 10,
        },
        limits: Default::default(),
    }
}

/// A fixture from `adapters/testdata/email/`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/adapters/testdata/email/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}
