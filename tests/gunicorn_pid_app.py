"""The app as gunicorn serves it, plus an ``X-Worker-Pid`` header (for tests/test_serve.py).

Imported by each gunicorn worker (no preload), so every worker builds its own app.
"""

from __future__ import annotations

import os

from flask import Response

from locator import create_app

app = create_app()


@app.after_request
def _worker_pid(response: Response) -> Response:
    response.headers["X-Worker-Pid"] = str(os.getpid())
    return response
