"""SMTP sink for the e-mail tests: a real SMTP server (aiosmtpd) on a
loopback port that requires AUTH, refuses recipients whose local part
starts with `tidakada` (550, mailbox unknown), and writes every message it
accepts to OUTDIR as <time>-<n>.eml, with a .json beside it holding the
envelope (names sort in arrival order, also across restarts).

    python3 email_smtp_sink.py PORT OUTDIR USER PASSWORD [CERT KEY starttls|tls]

With a certificate the login is only offered over TLS: after STARTTLS, or
from the first byte (implicit TLS).
"""
import json
import os
import signal
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, outdir, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]


class Sink:
    def __init__(self):
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.split("@")[0].lower().startswith("tidakada"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(outdir, "%020d-%04d" % (time.time_ns(), self.count))
        with open(base + ".json", "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                       "authenticated": bool(session.authenticated)}, f)
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content)
        # The .eml appears whole or not at all.
        os.rename(base + ".tmp", base + ".eml")
        return "250 OK"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword)
          and auth_data.login.decode() == user
          and auth_data.password.decode() == password)
    return AuthResult(success=ok, handled=False)


options = dict(authenticator=authenticate, auth_required=True, auth_require_tls=False)
if len(sys.argv) > 5:
    cert, key, mode = sys.argv[5], sys.argv[6], sys.argv[7]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    if mode == "starttls":
        options.update(tls_context=context, require_starttls=True, auth_require_tls=True)
    else:
        # aiosmtpd only counts STARTTLS as TLS for auth_require_tls; here
        # every byte is encrypted already.
        options["ssl_context"] = context
controller = Controller(Sink(), hostname="127.0.0.1", port=port, **options)
controller.start()
print("READY", flush=True)
signal.sigwait([signal.SIGTERM, signal.SIGINT])
controller.stop()
