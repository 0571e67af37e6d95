"""The app as gunicorn serves it, plus ``X-Worker-Pid`` and ``X-Store-Watch`` headers (which
worker answered; whether a watcher thread, not requests, checks its store) for test_serve.py.

Imported by each gunicorn worker (no preload), so every worker builds its own app.
"""

from __future__ import annotations

import os

from flask import Response

from locator import create_app
from locator.web import service

app = create_app()


@app.after_request
def _worker_pid(response: Response) -> Response:
    response.headers["X-Worker-Pid"] = str(os.getpid())
    response.headers["X-Store-Watch"] = "thread" if service.watching(app) else "requests"
    return response
