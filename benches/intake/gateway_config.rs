//! The configuration the gateway under test runs with: the repository's
//! config/satupintu.toml as a city runs it (Padang's routing rules and
//! areas, duplicate detection, SLA clocks, the default log level), with its
//! paths made absolute, its database and port the bench's own, a WhatsApp
//! number whose secrets are files in the run's temporary directory, and
//! for end-to-end runs every destination a webhook to the bench's stand-in
//! and the Graph API a stand-in too.

use std::path::{Path, PathBuf};
use toml::{Table, Value};

/// Replies per second the bench's WhatsApp number may send.
pub const REPLY_RATE: i64 = 1000;

pub struct Options<'a> {
    pub db_url: &'a str,
    pub port: u16,
    pub dispatch: bool,
    /// The WhatsApp channel, with this app secret and Graph API base URL.
    pub whatsapp: Option<(&'a str, &'a str)>,
    /// Base URL of the stand-in destination every destination delivers to.
    pub standin: Option<&'a str>,
}

fn table<'a>(t: &'a mut Table, key: &str) -> &'a mut Table {
    t.entry(key)
        .or_insert_with(|| Value::Table(Table::new()))
        .as_table_mut()
        .expect("a table")
}

fn secret_file(dir: &Path, name: &str, value: &str) -> Value {
    let path = dir.join(name);
    std::fs::write(&path, value).expect("secret file");
    let mut t = Table::new();
    t.insert("file".into(), path.display().to_string().into());
    Value::Table(t)
}

/// Writes the configuration into `dir` and returns its path.
pub fn write(root: &Path, dir: &Path, o: &Options) -> PathBuf {
    let text = std::fs::read_to_string(root.join("config/satupintu.toml")).expect("city config");
    let mut c: Table = text.parse().expect("city config parses");
    let abs = |p: &str| Value::String(root.join(p).display().to_string());

    let server = table(&mut c, "server");
    server.insert("listen".into(), format!("127.0.0.1:{}", o.port).into());
    server.insert(
        "public_url".into(),
        format!("http://127.0.0.1:{}", o.port).into(),
    );
    table(&mut c, "database").insert("url".into(), o.db_url.into());
    let routing = table(&mut c, "routing");
    for key in ["rules_file", "areas_dir"] {
        let p = routing[key].as_str().expect("a path").to_string();
        routing.insert(key.into(), abs(&p));
    }
    let sla = table(&mut c, "sla");
    let files: Vec<Value> = sla["holiday_files"]
        .as_array()
        .expect("holiday files")
        .iter()
        .map(|p| abs(p.as_str().expect("a path")))
        .collect();
    sla.insert("holiday_files".into(), Value::Array(files));
    table(&mut c, "attachments").insert(
        "dir".into(),
        dir.join("attachments").display().to_string().into(),
    );
    table(&mut c, "dispatch").insert("enabled".into(), o.dispatch.into());

    if let Some((secret, graph)) = o.whatsapp {
        let channels = table(&mut c, "channels");
        let wa = table(channels, "whatsapp");
        wa.insert(
            "app_secret".into(),
            secret_file(dir, "wa-app.secret", secret),
        );
        wa.insert(
            "verify_token".into(),
            secret_file(dir, "wa-verify.token", "bench-verify"),
        );
        wa.insert(
            "access_token".into(),
            secret_file(dir, "wa-access.token", "bench-access"),
        );
        wa.insert("graph_base_url".into(), graph.into());
        // Replies go out at most this fast per number; the shipped 20 per
        // second would make the end-to-end rate the limiter's, not the
        // gateway's.
        wa.insert("rate_per_second".into(), REPLY_RATE.into());
        let mut account = Table::new();
        account.insert("phone_number_id".into(), crate::bodies::WA_ACCOUNT.into());
        account.insert("name".into(), "Pengaduan Kota Padang".into());
        wa.insert("accounts".into(), Value::Array(vec![Value::Table(account)]));
    }

    if let Some(standin) = o.standin {
        let secret = secret_file(dir, "destination.secret", "bench-destination");
        let destinations = table(&mut c, "destinations");
        for (name, d) in destinations.iter_mut() {
            let mut t = Table::new();
            t.insert("kind".into(), "webhook".into());
            t.insert("url".into(), format!("{standin}/deliver/{name}").into());
            t.insert("secret".into(), secret.clone());
            *d = Value::Table(t);
        }
    }

    let path = dir.join("satupintu.toml");
    std::fs::write(&path, toml::to_string(&c).expect("config serialises")).expect("config file");
    path
}
