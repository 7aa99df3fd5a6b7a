"""Long console work (a catalog import) run in a background thread, with progress a page can
show: the page refreshes itself (no JavaScript) until the job is done.

Jobs live in this process's memory: a restart forgets them (the work itself is committed batch
by batch, and importing the same file again replaces the same items). Only the latest few are
kept.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gongji.domain.errors import GongjiError

log = logging.getLogger("gongji.web.jobs")
KEEP = 50


@dataclass
class Job:
    id: str
    title: str
    total: int
    started_at: datetime
    done: int = 0
    result: Any = None
    error: GongjiError | None = None
    finished_at: datetime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def advance(self, n: int) -> None:
        with self._lock:
            self.done = min(self.total, self.done + n)

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else self.done * 100 // self.total


class Jobs:
    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def start(self, title: str, total: int, work: Callable[[Job], Any],
              now: Callable[[], datetime]) -> Job:
        """Run work(job) in a thread; its result (or refusal) is kept on the job."""
        job = Job(secrets.token_urlsafe(12), title, total, now())

        def run() -> None:
            try:
                job.result = work(job)
            except GongjiError as e:
                job.error = e
            except Exception:
                log.exception("job %s failed", job.id)
                job.error = GongjiError("INTERNAL", request_id=f"job {job.id}")
            finally:
                job.finished_at = now()

        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > self.keep:
                self._jobs.popitem(last=False)
        threading.Thread(target=run, name=f"job-{job.id}", daemon=True).start()
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def recent(self) -> list[Job]:
        with self._lock:
            return list(reversed(self._jobs.values()))


JOBS = Jobs()
