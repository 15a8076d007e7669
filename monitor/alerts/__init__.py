"""Alerts: an outbox in the database, and the channels that empty it.

Flow::

    spike decision --(same transaction)--> outbox.enqueue_spike_alert -> alerts + alert_deliveries rows
    delivery.deliver_due: claim one due delivery (own transaction) -> render -> email / slack
                          -> mark sent (new transaction) | back off and retry | dead-letter + report
    digest: weekly figures -> one alert "digest:<ISO week>" -> one delivery per recipient

Modules: ``rules`` (pure: keys, silences, back-off), ``render`` and ``digest_render`` (pure: subjects,
bodies, Block Kit), ``outbox`` and ``digest`` (storage: take a Session, never commit), ``email`` and
``slack`` (the network), ``delivery`` (the send loop), ``jobs`` (what the scheduler calls).
"""
