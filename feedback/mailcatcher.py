"""A development SMTP server that keeps every message in a Maildir the admin pages can read."""

import mailbox
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class MaildirHandler:
    """aiosmtpd handler: store each message as it arrives."""

    def __init__(self, folder: Path):
        # Maildir makes cur/, new/ and tmp/ only when it makes the folder itself.
        folder.parent.mkdir(parents=True, exist_ok=True)
        for sub in ("cur", "new", "tmp"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        self.maildir = mailbox.Maildir(str(folder), create=False)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.maildir.add(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def start(folder: Path, host: str = "127.0.0.1", port: int = 1025) -> Controller:
    """Start the catcher in a background thread; call .stop() on the result to end it."""
    controller = Controller(MaildirHandler(folder), hostname=host, port=port)
    controller.start()
    return controller
