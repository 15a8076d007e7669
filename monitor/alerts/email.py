"""Email delivery over SMTP: STARTTLS or implicit TLS, certificates verified, never clear text by
accident.

- ``security = "starttls"``: EHLO, then STARTTLS if offered. If it is not offered and ``require_tls`` is
  on, we stop before MAIL FROM (PermanentDeliveryError): smtplib once continued in clear text silently
  (CVE-2016-0772), and a man in the middle can strip the STARTTLS capability.
- ``security = "tls"``: TLS from the first byte (port 465).
- ``security = "none"``: only when ``require_tls`` is off (a local relay).
- Certificates are verified against the system store plus ``ca_file``; host names are checked.
- One message per recipient: ``To`` is that recipient alone, no Bcc header exists to leak.
- Errors: 4xx, connection trouble and timeouts are temporary; 5xx and TLS refusals are permanent; the
  server's own answer is in the message.

``build_message`` is pure; ``SmtpSender`` does the I/O.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime

from monitor.alerts import rules
from monitor.alerts import text as t
from monitor.alerts.render import Rendered
from monitor.config import EmailSettings
from monitor.errors import PermanentDeliveryError, TemporaryDeliveryError

CHANNEL = "email"


def build_message(
    rendered: Rendered,
    *,
    key: str,
    sender: str,
    recipient: str,
    now: dt.datetime,
    thread_key: str | None = None,
) -> EmailMessage:
    """A multipart/alternative message (text, then HTML) for one recipient."""
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["Subject"] = t.header_value(rendered.subject, 200)
    msg["From"] = t.header_value(sender, 320)
    msg["To"] = t.header_value(recipient, 320)
    msg["Date"] = format_datetime(now.astimezone(dt.UTC))
    msg["Message-ID"] = rules.message_id(key, sender)
    if thread_key and thread_key != key:
        parent = rules.message_id(thread_key, sender)
        msg["In-Reply-To"] = parent
        msg["References"] = parent
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    msg["X-Monitor-Alert-Key"] = t.header_value(key, 200)
    msg.set_content(rendered.text, subtype="plain", charset="utf-8")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
    return msg


def _answer(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {t.one_line(text, 500)}"


def _classify(code: int, what: str, message: bytes | str) -> Exception:
    answer = _answer(code, message)
    if 400 <= code < 500:
        return TemporaryDeliveryError(CHANNEL, f"{what}: server answered {answer}")
    return PermanentDeliveryError(CHANNEL, f"{what}: server answered {answer}")


def tls_context(settings: EmailSettings) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if settings.ca_file:
        context.load_verify_locations(cafile=settings.ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class SmtpSender:
    """Sends one message per call over a fresh connection (alerts are few; a connection per message
    keeps one bad recipient from affecting the next)."""

    def __init__(self, settings: EmailSettings) -> None:
        self.settings = settings

    def _connect(self, log: list[str]) -> smtplib.SMTP:
        s = self.settings
        if s.security == "none" and s.require_tls:
            raise PermanentDeliveryError(
                CHANNEL,
                'refusing to send in clear text: email.security is "none" and email.require_tls is on',
            )
        context = tls_context(s)
        smtp: smtplib.SMTP
        if s.security == "tls":
            smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_seconds, context=context)
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds)
        try:
            code, banner = smtp.ehlo()
            log.append(f"EHLO: {_answer(code, banner)}")
            if code != 250:
                raise _classify(code, "EHLO", banner)
            if s.security == "starttls":
                if not smtp.has_extn("starttls"):
                    if s.require_tls:
                        raise PermanentDeliveryError(
                            CHANNEL,
                            f"refusing to send in clear text: {s.host}:{s.port} does not offer STARTTLS "
                            "and email.require_tls is on",
                        )
                    log.append("STARTTLS not offered; sending in clear text (require_tls is off)")
                else:
                    code, reply = smtp.starttls(context=context)
                    log.append(f"STARTTLS: {_answer(code, reply)}")
                    code, banner = smtp.ehlo()
                    if code != 250:
                        raise _classify(code, "EHLO after STARTTLS", banner)
            if s.username is not None and s.password is not None:
                code, reply = smtp.login(s.username.get_secret_value(), s.password.get_secret_value())
                log.append(f"AUTH: {_answer(code, reply)}")
        except BaseException:
            _close(smtp)
            raise
        return smtp

    def probe(self) -> list[str]:
        """Connect, EHLO, STARTTLS and log in without sending; the server's answers, in order."""
        log: list[str] = []
        try:
            smtp = self._connect(log)
        except Exception as exc:
            raise _wrap(exc, self.settings, "connect") from exc
        _close(smtp)
        return log

    def send(self, msg: EmailMessage, recipient: str) -> str:
        """Send ``msg`` to ``recipient`` only; return the server's answer to the message data."""
        log: list[str] = []
        try:
            smtp = self._connect(log)
            try:
                code, reply = smtp.mail(self.settings.sender)
                if code != 250:
                    raise _classify(code, "MAIL FROM", reply)
                code, reply = smtp.rcpt(recipient)
                if code not in (250, 251):
                    raise _classify(code, f"RCPT TO {recipient}", reply)
                code, reply = smtp.data(msg.as_bytes(policy=SMTP_POLICY))
                if code != 250:  # smtplib.data() returns the final answer without checking it
                    raise _classify(code, "DATA", reply)
                return _answer(code, reply)
            finally:
                _close(smtp)
        except Exception as exc:
            wrapped = _wrap(exc, self.settings, "send")
            if wrapped is exc:
                raise
            raise wrapped from exc


def _close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _wrap(exc: Exception, settings: EmailSettings, what: str) -> Exception:
    """Turn smtplib, socket and TLS exceptions into our Temporary/Permanent delivery errors."""
    if isinstance(exc, TemporaryDeliveryError | PermanentDeliveryError):
        return exc
    where = f"{settings.host}:{settings.port}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(exc.recipients.values()))
        return _classify(code, f"{where}: recipient refused", reply)
    if isinstance(exc, smtplib.SMTPResponseException):  # data, auth, helo, starttls answers
        return _classify(exc.smtp_code, f"{where}: {what}", exc.smtp_error)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return PermanentDeliveryError(CHANNEL, f"{where}: {exc}")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return PermanentDeliveryError(
            CHANNEL, f"{where}: TLS certificate not trusted: {exc.verify_message or exc}"
        )
    if isinstance(exc, socket.timeout | TimeoutError):
        return TemporaryDeliveryError(CHANNEL, f"{where}: timed out during {what}")
    if isinstance(exc, smtplib.SMTPException | OSError):  # refused, reset, DNS, TLS handshake
        return TemporaryDeliveryError(CHANNEL, f"{where}: {type(exc).__name__}: {exc}")
    return exc
