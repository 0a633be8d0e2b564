//! Connections to mail servers: implicit TLS, STARTTLS or plain text, all
//! TLS through rustls (ring). Plain text is only for a loopback host; the
//! check lives here so no caller can forget it.

use serde::{Deserialize, Serialize};
use std::io;
use std::net::IpAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::{self, pki_types::ServerName, ClientConfig, RootCertStore};

/// How a connection to a mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// TLS from the first byte (IMAPS 993, SMTPS 465).
    Tls,
    /// Plain text upgraded with STARTTLS before login (IMAP 143, submission 587).
    Starttls,
    /// No encryption: refused unless the host is loopback.
    Plain,
}

/// `localhost` or a loopback IP address.
pub fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Refuses plain text to anything but loopback; `key` names the setting.
pub fn check_security(key: &str, host: &str, security: Security) -> Result<(), String> {
    if security == Security::Plain && !is_loopback(host) {
        return Err(format!(
            "{key}: security = \"plain\" is only allowed for a loopback host, not `{host}`; use \"tls\" or \"starttls\""
        ));
    }
    Ok(())
}

/// A rustls client configuration that trusts the platform's roots, or
/// only the certificates in `ca_file` when one is given (a city's own CA).
pub fn client_config(ca_file: Option<&Path>) -> Result<Arc<ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let config = match ca_file {
        Some(path) => {
            let pem = std::fs::read(path)
                .map_err(|e| format!("cannot read CA file `{}`: {e}", path.display()))?;
            let mut roots = RootCertStore::empty();
            for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
                let cert = cert.map_err(|e| format!("CA file `{}`: {e}", path.display()))?;
                roots
                    .add(cert)
                    .map_err(|e| format!("CA file `{}`: {e}", path.display()))?;
            }
            if roots.is_empty() {
                return Err(format!("CA file `{}` holds no certificate", path.display()));
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        None => {
            let verifier = rustls_platform_verifier::Verifier::new(provider)
                .map_err(|e| format!("TLS roots: {e}"))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier))
                .with_no_client_auth()
        }
    };
    Ok(Arc::new(config))
}

/// A TCP connection, with TLS or (loopback only) without.
#[derive(Debug)]
pub enum MailStream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl MailStream {
    pub async fn connect(host: &str, port: u16) -> io::Result<TcpStream> {
        let tcp = TcpStream::connect((host, port)).await?;
        tcp.set_nodelay(true)?;
        Ok(tcp)
    }

    /// Wraps `tcp` in TLS, checking the certificate names `host`.
    pub async fn tls(
        tcp: TcpStream,
        host: &str,
        config: Arc<ClientConfig>,
    ) -> io::Result<MailStream> {
        let name = ServerName::try_from(
            host.trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
        )
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let stream = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await?;
        Ok(MailStream::Tls(Box::new(stream)))
    }
}

impl AsyncRead for MailStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MailStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            MailStream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for MailStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MailStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            MailStream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MailStream::Plain(s) => Pin::new(s).poll_flush(cx),
            MailStream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MailStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            MailStream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_only_to_loopback() {
        for host in ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"] {
            assert!(check_security("k", host, Security::Plain).is_ok(), "{host}");
        }
        for host in ["mail.padang.go.id", "10.0.0.5", "192.168.1.1"] {
            let e =
                check_security("channels.email.imap.security", host, Security::Plain).unwrap_err();
            assert!(e.contains("channels.email.imap.security") && e.contains(host));
            assert!(check_security("k", host, Security::Tls).is_ok());
            assert!(check_security("k", host, Security::Starttls).is_ok());
        }
    }
}
