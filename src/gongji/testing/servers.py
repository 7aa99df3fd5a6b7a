"""Waiting for a server process started by a test, a benchmark or the chaos nemesis."""

from __future__ import annotations

import subprocess
import time
from typing import Any

import httpx


def wait_healthy(base: str, proc: subprocess.Popen[Any], *, seconds: float = 90) -> bool:
    """Poll base/healthz until it answers 200 (True), the process exits or time runs out
    (False). A loaded CI machine starts a server slowly, hence the generous default."""
    ready_by = time.monotonic() + seconds
    while time.monotonic() < ready_by and proc.poll() is None:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    return False
