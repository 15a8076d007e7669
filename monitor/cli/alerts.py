"""`monitor alerts list|test|deliver|retry`, `monitor silences add|list|remove` and `monitor digest`.

Thin layer over ``monitor.alerts``: parses arguments, opens transactions, prints results. Everything a
server or a feed wrote (errors, subjects) is made one-line and control-free before it reaches the terminal.
Exit status: 0 fine, 1 "ran but something failed" (a test message not delivered), 2 usage/config errors.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path

import click

from monitor.alerts import outbox, queries
from monitor.alerts.delivery import Summary, deliver_due
from monitor.alerts.digest import collect_week, parse_week, previous_week
from monitor.alerts.digest_render import render_digest
from monitor.alerts.email import SmtpSender
from monitor.alerts.slack import webhook_problem
from monitor.alerts.text import one_line
from monitor.cli.context import AppContext, pass_app
from monitor.config import Settings
from monitor.errors import DeliveryError, InputError


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _when(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "-"


def _print_summary(summary: Summary) -> None:
    for r in summary.results:
        who = r.recipient or "webhook"
        click.echo(
            f"{r.outcome:8} #{r.delivery_id} {r.channel} {one_line(who, 80)}: {one_line(r.answer, 300)}"
        )
    counts = summary.as_dict()
    waiting = ", ".join(summary.waiting_channels) or "none"
    click.echo(
        f"sent {counts['sent']}, retry later {counts['retried']}, dead {counts['dead']}, "
        f"silenced {counts['silenced']}, re-sent after a crash {counts['reclaimed']}; "
        f"channels disabled or not configured: {waiting}"
    )


@click.group("alerts")
def alerts_group() -> None:
    """The alert outbox: list, deliver, test, re-queue."""


@alerts_group.command("list")
@click.option(
    "--status", type=click.Choice(queries.STATUSES), default=None, help="Only deliveries in this state."
)
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_app
def alerts_list(app: AppContext, status: str | None, limit: int, as_json: bool) -> None:
    """Deliveries, newest first; dead letters show their last error."""
    with app.database().reader() as s:
        rows = queries.list_deliveries(s, status, limit)
    for row in rows:
        if as_json:
            click.echo(json.dumps(row.as_json(), ensure_ascii=False))
            continue
        who = row.recipient or "webhook"
        click.echo(
            f"#{row.id} {row.status:8} {row.channel:5} {one_line(who, 60)} attempts={row.attempts} "
            f"{'sent ' + _when(row.sent_at) if row.sent_at else 'next ' + _when(row.next_attempt_at)}"
        )
        click.echo(f"    {row.kind} {one_line(row.alert_key, 80)}: {one_line(row.subject, 120)}")
        if row.last_error:
            click.echo(f"    last error: {one_line(row.last_error, 400)}")
    if not rows and not as_json:
        click.echo("no deliveries" + (f" with status {status}" if status else ""))


@alerts_group.command("deliver")
@pass_app
def alerts_deliver(app: AppContext) -> None:
    """Run one delivery pass now (the scheduler does this every few seconds)."""
    _print_summary(deliver_due(app.database(), app.settings, _now()))


@alerts_group.command("test")
@click.option(
    "--channel", type=click.Choice(["email", "slack"]), default=None, help="Default: every enabled one."
)
@pass_app
def alerts_test(app: AppContext, channel: str | None) -> None:
    """Send a real test message now and print each server's own answer (exit 1 on failure)."""
    settings = app.settings
    if not outbox.targets(settings, channel):
        click.echo(f"no enabled {channel or 'alert'} channel: set email.enabled / slack.enabled", err=True)
        sys.exit(1)
    db = app.database()
    now = _now()
    with db.transaction() as s:
        alert_id = outbox.enqueue_test(s, settings, now, channel).id
    summary = deliver_due(db, settings, now, alert_id=alert_id)
    _print_summary(summary)
    with db.reader() as s:
        left = [
            r for r in queries.list_deliveries(s, limit=1000) if r.alert_id == alert_id and r.status != "sent"
        ]
    for row in left:
        if row.status == "pending":  # never attempted: the channel is not configured
            note = f"not sent: {row.channel} is disabled or not configured (see `monitor config check`)"
            with db.transaction() as s:
                queries.abandon(s, row.id, note)
            click.echo(note)
    if left:
        sys.exit(1)


@alerts_group.command("retry")
@click.argument("delivery_id", type=int)
@pass_app
def alerts_retry(app: AppContext, delivery_id: int) -> None:
    """Re-queue a dead (or silenced) delivery; the next pass sends it."""
    with app.database().transaction() as s:
        row = queries.requeue(s, delivery_id, _now())
    click.echo(f"#{row.id} re-queued: {row.channel} {one_line(row.recipient or 'webhook', 80)}")


# --- silences ------------------------------------------------------------------------------------------


def parse_duration(text: str) -> dt.timedelta:
    """``90m``, ``12h``, ``3d``, ``2w``."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*", text.lower())
    if not match:
        raise InputError(f"duration {text!r}: expected a number and m, h, d or w (e.g. 3d)")
    unit = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[match.group(2)]
    return dt.timedelta(**{unit: float(match.group(1))})


def parse_until(text: str) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise InputError(
            f"--until {text!r}: expected an ISO date or time, e.g. 2026-12-01T08:00+05:00"
        ) from exc
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when


@click.group("silences")
def silences_group() -> None:
    """Mute spike alerts for a place, a victim group or a keyword until a given time."""


@silences_group.command("add")
@click.option("--place", default=None, help="A series or place, e.g. karachi or lyari.")
@click.option("--victim-group", default=None, help="Mutes waves whose incidents are all of this group.")
@click.option("--keyword", default=None, help="Mutes when in the series label or in every incident title.")
@click.option("--until", "until_text", default=None, help="ISO time (UTC unless an offset is given).")
@click.option("--for", "for_text", default=None, help="Duration: 90m, 12h, 3d, 2w.")
@click.option("--reason", default="", help="Why (shown in lists and on silenced deliveries).")
@pass_app
def silences_add(
    app: AppContext,
    place: str | None,
    victim_group: str | None,
    keyword: str | None,
    until_text: str | None,
    for_text: str | None,
    reason: str,
) -> None:
    chosen = [
        (f, v) for f, v in (("place", place), ("victim_group", victim_group), ("keyword", keyword)) if v
    ]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --place, --victim-group, --keyword")
    if (until_text is None) == (for_text is None):
        raise click.UsageError("give exactly one of --until, --for")
    now = _now()
    until = parse_until(until_text) if until_text else now + parse_duration(for_text or "")
    field, value = chosen[0]
    with app.database().transaction() as s:
        row = queries.add_silence(s, field, value, until, now, reason=reason, created_by="cli")
    click.echo(f"silence #{row.id}: {row.field}={one_line(row.value, 80)} until {_when(row.until)}")


@silences_group.command("list")
@click.option("--all", "include_expired", is_flag=True, help="Include expired silences.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def silences_list(app: AppContext, include_expired: bool, as_json: bool) -> None:
    now = _now()
    with app.database().reader() as s:
        rows = queries.list_silences(s, now, include_expired)
    for row in rows:
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "id": row.id,
                        "field": row.field,
                        "value": row.value,
                        "until": row.until.isoformat(),
                        "reason": row.reason,
                        "active": row.active(now),
                    },
                    ensure_ascii=False,
                )
            )
        else:
            state = "active" if row.active(now) else "expired"
            click.echo(
                f"#{row.id} {state} {row.field}={one_line(row.value, 80)} until {_when(row.until)}"
                + (f" ({one_line(row.reason, 120)})" if row.reason else "")
            )
    if not rows and not as_json:
        click.echo("no silences")


@silences_group.command("remove")
@click.argument("silence_id", type=int)
@pass_app
def silences_remove(app: AppContext, silence_id: int) -> None:
    with app.database().transaction() as s:
        found = queries.remove_silence(s, silence_id)
    if not found:
        raise InputError(f"no silence with id {silence_id}")
    click.echo(f"silence #{silence_id} removed")


# --- digest --------------------------------------------------------------------------------------------


@click.command("digest")
@click.option("--week", default=None, help="ISO week, e.g. 2026-W47 (default: last complete week).")
@click.option("--html", "html_out", type=click.Path(path_type=Path, dir_okay=False), default=None)
@click.option("--text", "text_out", type=click.Path(path_type=Path, dir_okay=False), default=None)
@click.option("--send", is_flag=True, help="Enqueue and deliver it (once per recipient per week).")
@pass_app
def digest_command(
    app: AppContext, week: str | None, html_out: Path | None, text_out: Path | None, send: bool
) -> None:
    """Preview the weekly digest (text on stdout unless --html/--text), or --send it."""
    settings = app.settings
    now = _now()
    week = week or previous_week(now, settings.digest.timezone)
    parse_week(week)
    db = app.database()
    with db.reader() as s:
        rendered = render_digest(collect_week(s, settings, week, now), settings.alerts.base_url)
    if html_out:
        html_out.write_text(rendered.html, encoding="utf-8")
        click.echo(f"wrote {html_out}")
    if text_out:
        text_out.write_text(rendered.text, encoding="utf-8")
        click.echo(f"wrote {text_out}")
    if not (html_out or text_out or send):
        click.echo(rendered.text, nl=False)
    if send:
        _send_digest(app, settings, week, now)


def _send_digest(app: AppContext, settings: Settings, week: str, now: dt.datetime) -> None:
    db = app.database()
    with db.transaction() as s:
        alert = outbox.enqueue_digest(s, settings, week, now)
        alert_id = alert.id if alert else None
    if alert_id is None:
        with db.reader() as s:
            alert_id = queries.alert_id_for_key(s, f"digest:{week}")
        click.echo(f"the digest for {week} was already enqueued; nothing new is sent to whoever has it")
        if alert_id is None:
            return
    elif not (settings.digest.recipients or settings.email.recipients):
        click.echo("no digest recipients (digest.recipients or email.recipients): nothing to send")
    _print_summary(deliver_due(db, settings, now, alert_id=alert_id))


# --- config check --connect ----------------------------------------------------------------------------


def connect_report(settings: Settings) -> tuple[list[str], list[str]]:
    """Talk to the SMTP server (EHLO, STARTTLS, login; nothing sent) and look at the Slack webhook URL.

    Returns (lines to show, problems). Slack has no dry run, so its webhook is only checked for being set
    and https; `monitor alerts test --channel slack` posts a real test message.
    """
    lines: list[str] = []
    problems: list[str] = []
    if settings.email.enabled:
        where = f"{settings.email.host}:{settings.email.port} ({settings.email.security})"
        try:
            answers = SmtpSender(settings.email).probe()
            lines += [f"email {where}: {one_line(a, 300)}" for a in answers]
            lines.append(f"email {where}: ok")
        except DeliveryError as exc:
            problems.append(f"email {where}: {one_line(exc.message, 400)}")
    else:
        lines.append("email: disabled")
    if settings.slack.enabled:
        url = settings.slack.webhook_url.get_secret_value() if settings.slack.webhook_url else None
        problem = webhook_problem(url)
        if problem:
            problems.append(f"slack: {problem}")
        else:
            lines.append(
                "slack: webhook URL is set and usable (no dry run: try `monitor alerts test --channel slack`)"
            )
    else:
        lines.append("slack: disabled")
    return lines, problems


COMMANDS = (alerts_group, silences_group, digest_command)
