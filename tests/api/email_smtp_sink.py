"""SMTP sink for the e-mail tests: a real SMTP server (aiosmtpd) on a
loopback port that requires AUTH, refuses recipients whose local part
starts with `tidakada` (550, mailbox unknown), and writes every message it
accepts to OUTDIR as NNNN.eml, with NNNN.json holding the envelope.

    python3 email_smtp_sink.py PORT OUTDIR USER PASSWORD
"""
import json
import os
import signal
import sys

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
        base = os.path.join(outdir, "%04d" % self.count)
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


controller = Controller(Sink(), hostname="127.0.0.1", port=port,
                        authenticator=authenticate, auth_required=True,
                        auth_require_tls=False)
controller.start()
print("READY", flush=True)
signal.sigwait([signal.SIGTERM, signal.SIGINT])
controller.stop()
