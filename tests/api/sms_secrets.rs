//! SMS gateway secrets stay out of the logs: the real binary runs with a
//! Kannel instance whose sendsms is unreachable (so failed sends are
//! logged) and a Twilio instance that gets a forged request; the log
//! names what failed and never a password, token or auth token.

use crate::helpers::{
    eventually, free_port, secret_file, tempdir, test_config, write_config, Backend, Gateway,
    TestDb,
};
use satupintu::channels::sms::{InstanceConfig, KannelConfig, SmsConfig, TwilioConfig};

const PASSWORD: &str = "sendsms-password-4f1c";
const TOKEN: &str = "get-url-token-9b2e";
const AUTH_TOKEN: &str = "twilio-auth-token-77aa";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_the_log() {
    let dir = tempdir();
    let db = TestDb::new(Backend::Sqlite, dir.path()).await;
    let closed = free_port();
    let port = free_port();
    let mut config = test_config(&db, dir.path(), None);
    config.log.level = "debug,sqlx=warn,hyper=info,reqwest=info".into();
    config.channels.sms = Some(SmsConfig {
        instances: vec![
            InstanceConfig::Kannel(KannelConfig {
                name: "kannel".into(),
                sendsms_url: format!("http://127.0.0.1:{closed}/cgi-bin/sendsms"),
                username: "satupintu".into(),
                password: secret_file(dir.path(), "kannel.password", PASSWORD),
                from: None,
                smsc: None,
                token: Some(secret_file(dir.path(), "kannel.token", TOKEN)),
                allow_ips: vec![],
                dlr_url: Some(format!(
                    "http://127.0.0.1:{port}/webhooks/sms/kannel/status"
                )),
                timeout_secs: 2,
                limits: Default::default(),
            }),
            InstanceConfig::Twilio(TwilioConfig {
                name: "twilio".into(),
                account_sid: "AC1".into(),
                auth_token: secret_file(dir.path(), "twilio.token", AUTH_TOKEN),
                from: Some("+6281100012345".into()),
                messaging_service_sid: None,
                base_url: format!("http://127.0.0.1:{closed}"),
                public_url: None,
                timeout_secs: 2,
                limits: Default::default(),
            }),
        ],
        part_timeout_secs: 600,
        part_check_secs: 30,
        media: Default::default(),
    });
    let config_path = write_config(&config, &dir.path().join("satupintu.toml"));
    let log = dir.path().join("gateway.log");
    let gateway = Gateway::start(&config_path, port, &log).await;
    let client = reqwest::Client::new();

    let mo = format!(
        "{}/webhooks/sms/kannel?token={TOKEN}&from=%2B6285274441234&to=1708&text=Lampu+mati&id=s1",
        gateway.base
    );
    assert_eq!(client.get(&mo).send().await.unwrap().status(), 200);
    let wrong = mo.replace(TOKEN, "wrong-token");
    assert_eq!(client.get(&wrong).send().await.unwrap().status(), 403);
    let forged = client
        .post(format!("{}/webhooks/sms/twilio", gateway.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", "AAAA")
        .body("MessageSid=SM1&From=%2B6281374561234&Body=x")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let text = eventually("a failed sendsms attempt in the log", 30, || async {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        text.contains("Kannel: cannot connect").then_some(text)
    })
    .await;
    assert!(
        text.contains("SMS webhook refused"),
        "the refusals are logged"
    );
    for secret in [PASSWORD, TOKEN, AUTH_TOKEN] {
        assert!(!text.contains(secret), "the log shows a secret:\n{text}");
    }
    // Written to a file, the log is plain text: no terminal colour codes.
    assert!(
        !text.contains('\u{1b}'),
        "the log file holds escape codes:\n{text}"
    );
    gateway.terminate();
}
