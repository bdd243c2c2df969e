"""The API's one error shape: {"error": {"code", "message", "details"}}."""

from typing import Any

from flask import Response, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

API_PREFIX = "/api/"


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def _flatten(messages: Any, path: str = "") -> list[dict[str, str]]:
    """webargs/marshmallow messages ({"json": {"email": ["..."]}}) as [{"path", "message"}]."""
    out: list[dict[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if not path and key in {"json", "query", "form", "headers", "files", "view_args"}:
                out += _flatten(value, "")
            else:
                out += _flatten(value, f"{path}.{key}" if path else str(key))
    elif isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            out += [{"path": path, "message": m} for m in messages]
        else:
            for m in messages:
                out += _flatten(m, path)
    else:
        out.append({"path": path, "message": str(messages)})
    return out


def error_response(
    status: int,
    message: str | None = None,
    details: list[dict[str, Any]] | None = None,
    exc: HTTPException | None = None,
) -> tuple[Response, int]:
    """A JSON error; status codes map to codes such as "not_found" or "unprocessable_entity"."""
    headers: dict[str, str] = {}
    if exc is not None:
        data = getattr(exc, "data", None) or {}
        message = message or data.get("message")
        if details is None and ("messages" in data or "errors" in data):
            details = _flatten(data.get("errors") or data.get("messages"))
        headers.update(data.get("headers") or {})
        if exc.code == 401:
            headers.setdefault("WWW-Authenticate", 'Bearer realm="api"')
        if message is None and exc.code != 500:
            message = exc.description
    name = HTTP_STATUS_CODES.get(status, "Error")
    body = {
        "error": {
            "code": name.lower().replace(" ", "_").replace("'", ""),
            "message": message or name,
            "details": details or [],
        }
    }
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers)
    return response, status
