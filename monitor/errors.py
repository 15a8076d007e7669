"""The one exception hierarchy of the monitor.

Every error the service raises on purpose is a ``MonitorError``; third-party exceptions are wrapped at
the boundary where they happen (``raise FetchError(url, ...) from exc``), so a message always says which
feed, file, line or channel went wrong and why.

    MonitorError
    ├── ConfigError                 bad config file, environment value or missing secret
    ├── StorageError                database unreachable, schema not migrated, integrity trouble
    │   └── SchemaOutOfDateError    the database needs `monitor db upgrade`
    ├── FeedError                   a feed could not be polled (carries ``kind`` for the poll log)
    │   ├── FetchError              network, HTTP status, deadline, size cap, redirect, address refused
    │   │   ├── AddressRefusedError private/loopback/link-local address or non-http scheme
    │   │   └── RetryLaterError     429/503 with Retry-After: not a failure of the feed's content
    │   └── ParseError              bytes that are not a feed, or hostile XML
    ├── ModelError                  classifier artifact missing, incompatible or corrupt
    ├── InputError                  a malformed line of an input file (carries the line number)
    ├── DeliveryError               an alert could not be delivered on a channel
    │   ├── TemporaryDeliveryError  retry later (SMTP 4xx, HTTP 5xx, timeouts, 429)
    │   └── PermanentDeliveryError  dead-letter it (SMTP 5xx, HTTP 4xx, TLS required but absent)
    └── SchedulerError              another scheduler holds the lease, a job overran

This module does not log or print anything; the command-line layer decides how errors are shown.
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base of every error raised on purpose by the monitor."""


class ConfigError(MonitorError):
    """A configuration value is missing or wrong; the message names the file, key and problem."""


class StorageError(MonitorError):
    """The database could not be used."""


class SchemaOutOfDateError(StorageError):
    """The database schema is older than the code; run `monitor db upgrade`."""


class FeedError(MonitorError):
    """A feed could not be polled. ``kind`` is a short stable label stored in the poll log."""

    kind = "feed"

    def __init__(self, url: str, message: str, *, kind: str | None = None) -> None:
        super().__init__(f"{url}: {message}")
        self.url = url
        self.message = message
        if kind is not None:
            self.kind = kind


class FetchError(FeedError):
    kind = "fetch"

    def __init__(self, url: str, message: str, *, kind: str | None = None, status: int | None = None) -> None:
        super().__init__(url, message, kind=kind)
        self.status = status


class AddressRefusedError(FetchError):
    kind = "address_refused"


class RetryLaterError(FetchError):
    """The server asked us to come back later (429/503 with Retry-After)."""

    kind = "retry_later"

    def __init__(
        self, url: str, message: str, *, retry_after_seconds: float, status: int | None = None
    ) -> None:
        super().__init__(url, message, status=status)
        self.retry_after_seconds = retry_after_seconds


class ParseError(FeedError):
    kind = "parse"


class ModelError(MonitorError):
    """The classifier artifact is missing, incompatible or corrupt; the message says how to rebuild it."""


class InputError(MonitorError):
    """A malformed record in an input file."""

    def __init__(self, message: str, *, line: int | None = None, source: str | None = None) -> None:
        where = ""
        if source is not None:
            where += source
        if line is not None:
            where += f"{':' if where else 'line '}{line}"
        super().__init__(f"{where}: {message}" if where else message)
        self.line = line
        self.source = source


class DeliveryError(MonitorError):
    """An alert could not be delivered on one channel."""

    def __init__(self, channel: str, message: str) -> None:
        super().__init__(f"{channel}: {message}")
        self.channel = channel
        self.message = message


class TemporaryDeliveryError(DeliveryError):
    def __init__(self, channel: str, message: str, *, retry_after_seconds: float | None = None) -> None:
        super().__init__(channel, message)
        self.retry_after_seconds = retry_after_seconds


class PermanentDeliveryError(DeliveryError):
    pass


class SchedulerError(MonitorError):
    pass
