"""Hostile HTML from feedparser's sanitizer tests, loaded into the review app and checked in Chromium.

For every document in the folder given (feedparser's ``wellformed/sanitize``), two articles are stored:
what our parser extracts (the normal path), and the raw, unsanitized HTML of the entry as title and
summary (the worst case: as if a parser let everything through). Chromium then loads every queue page
and every article page, and the script counts what must never happen:

- a dialog (alert/confirm/prompt), or a request to any origin but the app's;
- an element or attribute that came from feed text: event handlers (``on*``), ``javascript:`` links,
  script/iframe/object/embed/img/style/meta/base elements other than the app's own;
- Content-Security-Policy violations (blocked attempts: counted separately, they did not run).

    python bench/web_sanitize.py /path/to/feedparser-tests/wellformed/sanitize
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import feedparser
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.config import load_settings
from monitor.parse import parse_feed
from monitor.storage import reviews
from monitor.storage.db import Database, upgrade
from monitor.storage.models import Article, ArticleFeed, Feed
from monitor.web import create_app
from monitor.web.security import hash_password

NOW = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
PASSWORD = "sanitize bench password"

PROBE = """
window.__events = {violations: 0};
document.addEventListener('securitypolicyviolation', () => { window.__events.violations += 1; });
"""

AUDIT = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith('on')) bad.push(el.tagName + '[' + name + ']');
      if ((name === 'href' || name === 'src' || name === 'action' || name === 'formaction')
          && /^\\s*(javascript|data|vbscript):/i.test(attr.value)) bad.push(el.tagName + '[' + name + '=' + attr.value.slice(0, 30) + ']');
    }
  }
  const foreign = 'iframe, object, embed, img, style, meta[http-equiv], base, frame, applet, video, audio, '
    + 'link:not([rel=stylesheet])';
  for (const el of document.querySelectorAll(foreign))
    bad.push('element ' + el.tagName);
  for (const el of document.querySelectorAll('script')) if (!/\\/static\\/review\\.js$/.test(el.src)) bad.push('script ' + (el.src || 'inline'));
  return bad;
}"""


def raw_entries(data: bytes) -> list[tuple[str, str]]:
    parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    out = []
    for entry in parsed.entries:
        html = ""
        for key in ("content", "summary_detail", "title_detail"):
            value = entry.get(key)
            if isinstance(value, list) and value:
                html = value[0].get("value", "")
            elif isinstance(value, dict):
                html = value.get("value", "")
            if html:
                break
        out.append((entry.get("title", "") or html[:200], html))
    return out


def seed(db: Database, folder: Path) -> tuple[int, int]:
    docs = sorted(folder.glob("*.xml"))
    with db.transaction() as s:
        feed = Feed(
            url="https://sanitize.example/feed", title="<b>feedparser</b> sanitize tests", added_at=NOW
        )
        s.add(feed)
        s.flush()
        n = 0
        for doc in docs:
            data = doc.read_bytes()
            try:
                entries = [
                    (e.title, e.summary) for e in parse_feed(data, "https://sanitize.example/", NOW).entries
                ]
            except Exception as exc:  # a document our parser refuses is still checked raw below
                entries = [(f"{doc.name}: refused ({exc.__class__.__name__})", "")]
            for title, summary in [*entries, *raw_entries(data)]:
                n += 1
                article = Article(
                    canonical_url=f"https://sanitize.example/{n}", url="javascript:alert(document.domain)",
                    title=title or doc.name, summary=summary, content_hash=str(n), first_seen_at=NOW,
                    last_changed_at=NOW, published_at=NOW, score=0.9, flagged=True, model_version="bench",
                    reasons=[title[:80]], classified_at=NOW,
                )  # fmt: skip
                s.add(article)
                s.flush()
                s.add(
                    ArticleFeed(
                        article_id=article.id,
                        feed_id=feed.id,
                        entry_key=str(n),
                        first_seen_at=NOW,
                        last_seen_at=NOW,
                    )
                )
        reviews.add_user(s, "bench", hash_password(PASSWORD), NOW)
    return len(docs), n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path, help="feedparser-tests/wellformed/sanitize")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/sanitize.db"
        upgrade(url)
        db = Database(url)
        docs, articles = seed(db, args.folder)
        app = create_app(load_settings({"MONITOR_DATABASE_URL": url, "MONITOR_DATA_DIR": tmp}), db)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        origin = f"http://127.0.0.1:{server.server_port}"
        dialogs: list[str] = []
        outside: list[str] = []
        findings: dict[str, list[str]] = {}
        violations = 0
        pages = 0
        start = time.perf_counter()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=args.chromium,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
            )
            page = browser.new_page()
            page.add_init_script(PROBE)
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.on("request", lambda r: None if r.url.startswith(origin) else outside.append(r.url))
            page.goto(origin + "/login")
            page.fill('input[name="username"]', "bench")
            page.fill('input[name="password"]', PASSWORD)
            page.click('button[type="submit"]')
            page.wait_for_url(origin + "/")
            paths = [f"/review?verdict=any&page={p}" for p in range(1, articles // 50 + 2)]
            paths += [f"/articles/{i}" for i in range(1, articles + 1)]
            for path in paths:
                page.goto(origin + path)
                pages += 1
                bad = page.evaluate(AUDIT)
                if bad:
                    findings[path] = bad
                violations += page.evaluate("window.__events.violations")
            browser.close()
        server.shutdown()
        db.dispose()
    print(
        f"documents: {docs}  articles stored: {articles}  pages loaded: {pages}  in {time.perf_counter() - start:.0f} s"
    )
    print(
        f"dialogs: {len(dialogs)}  requests to other origins: {len(outside)}  pages with injected markup: {len(findings)}"
    )
    print(f"CSP violations (blocked attempts, nothing ran): {violations}")
    for path, bad in list(findings.items())[:10]:
        print(f"  {path}: {bad[:5]}")
    for url in outside[:10]:
        print(f"  outside request: {url}")
    ok = not dialogs and not outside and not findings
    print("RESULT:", "nothing executed or loaded" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
