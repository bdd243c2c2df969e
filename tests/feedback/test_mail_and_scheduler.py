"""The development mail catcher and the scheduler that wakes jobs up."""

import socket
import threading
from email.message import EmailMessage

from flask_mail import Message

from feedback import jobs, mailcatcher
from feedback.extensions import mail


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_mail_the_app_sends_can_be_read_by_an_admin(app, client, auth, tmp_path):
    port = _free_port()
    catcher = mailcatcher.start(tmp_path / "mail", "127.0.0.1", port)
    try:
        app.config.update(
            MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_CATCHER_DIR=str(tmp_path / "mail")
        )
        mail.init_app(app)
        mail.send(
            Message(
                "Your views on multi-agency training",
                recipients=["sam@example.org"],
                body="Please tell us what you thought.\nThank you.",
            )
        )
    finally:
        catcher.stop()
    auth.sign_in_as("admin")
    listing = client.get("/admin/mail").get_data(as_text=True)
    assert "Your views on multi-agency training" in listing
    key = listing.split("/admin/mail/")[1].split('"')[0]
    message = client.get(f"/admin/mail/{key}").get_data(as_text=True)
    assert "Please tell us what you thought." in message
    assert "sam@example.org" in message


def test_the_mail_page_says_when_no_catcher_runs(client, auth):
    auth.sign_in_as("admin")
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "mail catcher is not running" in page


def test_mail_subjects_are_escaped_on_the_admin_page(app, client, auth, tmp_path):
    import mailbox

    box = mailbox.Maildir(str(tmp_path / "mail"), create=True)
    msg = EmailMessage()
    msg["Subject"] = "<script>alert(1)</script>"
    msg["To"] = "x@example.org"
    msg.set_content("hi")
    box.add(msg)
    app.config["MAIL_CATCHER_DIR"] = str(tmp_path / "mail")
    auth.sign_in_as("admin")
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;</a>" in page


def test_the_scheduler_runs_due_jobs_inside_the_app(app):
    ran = threading.Event()

    def probe(now):
        from flask import current_app

        assert current_app.name == app.name
        ran.set()

    jobs.JOBS.append(jobs.Job("probe", probe))
    app.config["SCHEDULER_INTERVAL_SECONDS"] = 1
    scheduler = jobs.build_scheduler(app, blocking=False)
    scheduler.start()
    try:
        assert ran.wait(timeout=10)
    finally:
        scheduler.shutdown(wait=True)
        jobs.JOBS.pop()
