"""Login and logout. Accounts are made with `monitor users add`; there is no sign-up page."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, redirect, render_template, request, session, url_for

from monitor.storage import reviews
from monitor.web import state, utcnow
from monitor.web.security import DUMMY_HASH, hash_password, needs_rehash, new_csrf_token, verify_password

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)


def _safe_next(target: str | None) -> str:
    """Only local paths: an attacker's link must not turn our login page into a redirector."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = ""
    status = 200
    if request.method == "POST":
        username = request.form.get("username", "").strip()[:128]
        password = request.form.get("password", "")[:1024]
        app_state = state()
        keys = (f"ip:{request.remote_addr}", f"user:{username.lower()}")
        if not app_state.login_limiter.allowed(*keys):
            log.warning("login rate limit hit", extra={"username": username, "ip": request.remote_addr})
            error = "Too many login attempts. Wait a minute and try again."
            status = 429
        else:
            app_state.login_limiter.hit(*keys)
            with app_state.db.transaction() as s:
                found = reviews.find_user(s, username)
                if found is None:
                    verify_password(DUMMY_HASH, password)  # same work whether or not the user exists
                    user = None
                else:
                    user, stored = found
                    if not user.is_active or not verify_password(stored, password):
                        user = None
                    else:
                        if needs_rehash(stored):
                            reviews.set_password_hash(s, user.id, hash_password(password))
                        reviews.record_login(s, user.id, utcnow())
            if user is not None:
                app_state.login_limiter.reset(f"user:{username.lower()}")
                session.clear()  # a fresh session: no fixation of a pre-login cookie
                session["uid"] = user.id
                session["csrf"] = new_csrf_token()
                session.permanent = True
                log.info("login", extra={"username": username})
                return redirect(_safe_next(request.form.get("next")))
            error = "Wrong username or password."
            status = 401
    return (
        render_template("login.html", error=error, next=_safe_next(request.values.get("next"))),
        status,
    )


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    session.clear()
    return redirect(url_for("auth.login"))
