"""Keep respondents' link tokens out of access logs, which would otherwise print every path."""

import logging
import re

TOKEN_PATH = re.compile(r"(/[ro]/)[A-Za-z0-9_-]{8,}")
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access")


class TokenRedactingFilter(logging.Filter):
    """Rewrite /r/<token>... and /o/<token>... in a record's message to /r/[token]."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = TOKEN_PATH.sub(r"\1[token]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def install() -> None:
    """Attach the filter to the access loggers (once, however many apps are made)."""
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, TokenRedactingFilter) for f in logger.filters):
            logger.addFilter(TokenRedactingFilter())
