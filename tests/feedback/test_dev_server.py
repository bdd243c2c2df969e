"""`make run`'s steps as a user runs them: migrate, seed, then serve with the mail catcher."""

import os
import smtplib
import socket
import subprocess
import sys
import time
import urllib.request
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, seconds: float = 30) -> bytes:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                return response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_the_dev_server_serves_the_seeded_demo_and_catches_mail(tmp_path):
    web_port, mail_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
        "MAIL_PORT": str(mail_port),
        "MAIL_CATCHER_DIR": str(tmp_path / "mail"),
        "PORT": str(web_port),
        "FLASK_DEBUG": "1",
    }
    for step in (["db", "upgrade"], ["seed-demo"]):
        done = subprocess.run(
            FLASK + step, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
    assert "admin@northshire.example" in done.stdout
    server = subprocess.Popen(
        FLASK + ["dev"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        health = _wait_for(f"http://127.0.0.1:{web_port}/healthz")
        assert b'"database": "ok"' in health or b'"database":"ok"' in health
        message = EmailMessage()
        message["Subject"] = "Caught by the dev server"
        message["From"] = "no-reply@frontline.invalid"
        message["To"] = "sam@example.org"
        message.set_content("hello")
        with smtplib.SMTP("127.0.0.1", mail_port, timeout=10) as smtp:
            smtp.send_message(message)
        stored = list((tmp_path / "mail" / "new").iterdir())
        assert len(stored) == 1
        assert b"Caught by the dev server" in stored[0].read_bytes()
    finally:
        server.terminate()
        try:
            server.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()
