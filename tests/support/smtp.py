"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, with STARTTLS (a trustme certificate), implicit
TLS, AUTH, scripted failures, and stop/start on the same port ("SMTP down, then back").

    server = LocalSMTPServer(tls="starttls", users={"alice": "secret"}).start()
    server.fail_next("421 4.3.0 try later", "550 5.1.1 no such user")
    ... server.messages ...   # what was accepted: envelope sender, recipients, parsed message
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    sender: str
    recipients: list[str]
    raw: bytes
    tls: bool
    authenticated_as: str | None

    @property
    def message(self) -> EmailMessage:
        msg = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Handler:
    def __init__(self, owner: LocalSMTPServer) -> None:
        self.owner = owner

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        with self.owner.lock:
            if self.owner.rcpt_failures:
                return self.owner.rcpt_failures.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.owner.hang_after_data:
            await asyncio.sleep(self.owner.hang_after_data)  # the client's timeout ends it first
        with self.owner.lock:
            if self.owner.data_failures:
                return self.owner.data_failures.pop(0)
            self.owner.messages.append(
                Received(
                    sender=envelope.mail_from,
                    recipients=list(envelope.rcpt_tos),
                    raw=bytes(envelope.original_content or envelope.content),
                    tls=session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
                    authenticated_as=self.owner._auth_login(session),
                )
            )
            number = len(self.owner.messages)
        return f"250 2.0.0 Ok: queued as TEST{number:04d}"


class LocalSMTPServer:
    """aiosmtpd in a thread. ``tls``: "starttls" (offered), "implicit" (TLS from the first byte) or
    "none" (STARTTLS never offered: the downgrade case)."""

    def __init__(
        self,
        *,
        tls: Literal["starttls", "implicit", "none"] = "starttls",
        users: dict[str, str] | None = None,
        port: int | None = None,
    ) -> None:
        self.tls = tls
        self.users = users or {}
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.lock = threading.Lock()
        self.messages: list[Received] = []
        self.data_failures: list[str] = []
        self.rcpt_failures: list[str] = []
        #: Seconds to sit on the message after DATA before answering (a server that hangs).
        self.hang_after_data = 0.0
        self.ca = trustme.CA()
        self._cert = self.ca.issue_cert("127.0.0.1", "localhost")
        self._controller: Controller | None = None
        self._logins: dict[int, str] = {}

    def _auth_login(self, session: Any) -> str | None:
        return self._logins.get(id(session)) if getattr(session, "authenticated", False) else None

    def _authenticator(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword):
            ok = self.users.get(data.login.decode()) == data.password.decode()
            if ok:
                self._logins[id(session)] = data.login.decode()
            return AuthResult(success=ok, handled=False)
        return AuthResult(success=False, handled=False)

    def write_ca(self, directory: Path) -> Path:
        path = directory / "smtp-test-ca.pem"
        self.ca.cert_pem.write_to_path(str(path))
        return path

    def _server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._cert.configure_cert(context)
        return context

    def start(self) -> LocalSMTPServer:
        kwargs: dict[str, Any] = {"hostname": self.host, "port": self.port}
        if self.tls == "starttls":
            kwargs["tls_context"] = self._server_context()
        elif self.tls == "implicit":
            kwargs["ssl_context"] = self._server_context()
            kwargs["server_hostname"] = "localhost"
        if self.users:
            kwargs["authenticator"] = self._authenticator
            kwargs["auth_required"] = True
            kwargs["auth_require_tls"] = self.tls != "none"
        controller = Controller(_Handler(self), **kwargs)
        for _ in range(50):  # the port may be in TIME_WAIT right after a stop
            try:
                controller.start()
                break
            except (OSError, RuntimeError):
                controller = Controller(_Handler(self), **kwargs)
                time.sleep(0.1)
        else:
            raise RuntimeError(f"cannot start the test SMTP server on port {self.port}")
        self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def fail_next(self, *answers: str, at: Literal["data", "rcpt"] = "data") -> None:
        with self.lock:
            (self.data_failures if at == "data" else self.rcpt_failures).extend(answers)

    def env(self, ca_file: Path, **extra: str) -> dict[str, str]:
        """MONITOR_* variables pointing the email channel at this server."""
        security = {"starttls": "starttls", "implicit": "tls", "none": "starttls"}[self.tls]
        env = {
            "MONITOR_EMAIL__ENABLED": "true",
            "MONITOR_EMAIL__HOST": self.host,
            "MONITOR_EMAIL__PORT": str(self.port),
            "MONITOR_EMAIL__SECURITY": security,
            "MONITOR_EMAIL__CA_FILE": str(ca_file),
            "MONITOR_EMAIL__TIMEOUT_SECONDS": "10",
            "MONITOR_EMAIL__SENDER": "monitor@example.org",
            "MONITOR_EMAIL__RECIPIENTS": '["analyst@example.org"]',
        }
        if self.users:
            login, password = next(iter(self.users.items()))
            env["MONITOR_SMTP_USERNAME"] = login
            env["MONITOR_SMTP_PASSWORD"] = password
        env.update(extra)
        return env
