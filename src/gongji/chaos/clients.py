"""One client process of the bank test: random wallet transfers and responses, pharmacy
settlements, cancels and reversals, reversals racing their late originals, bursts of PIN
guesses, and balance snapshots, all over HTTP against `gongji serve`, every write with its
own idempotency key. When the server is gone (killed) or busy,
the same request is sent again with the same key until it gets a definitive answer; what was
acknowledged is written to a journal (one JSON object a line) for the final checks."""

from __future__ import annotations

import json
import random
import re
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from gongji.benchmark.population import PIN
from gongji.client.signing import signed_headers
from gongji.domain.money import format_yuan

GIVE_UP_SECONDS = 90.0
"""How long one request keeps being retried (the server is restarted within seconds)."""

GUESSES = 8
"""Wrong PINs sent at once in one burst of guessing."""

MAX_WRONG = 5
LOCK_EXPIRES = timedelta(minutes=30)
"""The national policy's lockout: a jump of the business time longer than this (a day turn)
ends any lock, and the wrong answers count from zero again."""
"""Wrong answers a person's PIN may give before it locks (the policy's default)."""


@dataclass
class Job:
    """What one client process is given (picklable: it crosses a process boundary)."""

    number: int
    base: str
    operator_token: str
    pairs: list[tuple[str, str, str, str]]
    """(sponsor psn_no, sponsor certno, receiver psn_no, receiver certno), this client's own."""
    buyers: list[tuple[str, str]]
    """(psn_no, certno) of persons this client buys drugs for."""
    pharmacy: tuple[str, str, str]
    """(fixmedins_code, key_id, secret)."""
    drugs: list[tuple[str, int]]
    """(med_list_codg, highest unit price in fen) of boxed drugs to sell."""
    deadline: float
    """time.time() after which no new operation starts."""
    journal: str
    seed: int


@dataclass
class Tally:
    acknowledged: dict[str, int] = field(default_factory=dict)
    refused: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    reads: int = 0
    negative_reads: int = 0
    unanswered: int = 0
    pin_overguessed: int = 0
    """Bursts after which a PIN had answered more than MAX_WRONG wrong guesses in a row."""
    guesses_accepted: int = 0
    bursts_across_a_day_turn: int = 0
    """Bursts during which the sandbox day turned (their count is not held to MAX_WRONG)."""


class Gone(Exception):
    """No definitive answer within GIVE_UP_SECONDS: the outcome of this call is unknown."""


class Client:
    def __init__(self, job: Job) -> None:
        self.job = job
        self.rnd = random.Random(job.seed)
        self.http = httpx.Client(base_url=job.base, timeout=10)
        self.tally = Tally()
        self.sessions: dict[str, str] = {}
        self.n = 0
        self.pending: list[dict[str, Any]] = []
        """Transfers sent and acknowledged, not yet answered by this client."""
        self.settled: list[dict[str, Any]] = []
        self.wrong_streak: Counter[str] = Counter()
        """Wrong PIN answers per sponsor since their last right PIN or lock."""
        self.journal = Path(job.journal).open("a", encoding="utf-8")  # noqa: SIM115 (run closes)

    # -- plumbing ----------------------------------------------------------------------------

    def key(self, op: str) -> str:
        self.n += 1
        return f"chaos-{self.job.number}-{op}-{self.n}"

    def send(self, method: str, path: str, *, body: Any = None, bearer: str | None = None,
             signed: bool = False, key: str | None = None,
             params: dict[str, Any] | None = None) -> httpx.Response:
        """One call, repeated with the same key until the server gives a definitive answer
        (anything but a lost connection, a 5xx or a 429)."""
        raw = b"" if body is None else json.dumps(body).encode()
        give_up = time.monotonic() + GIVE_UP_SECONDS
        while True:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            if bearer:
                headers["Authorization"] = f"Bearer {bearer}"
            if signed:  # a fresh nonce and timestamp each time; the key stays the same
                _code, key_id, secret = self.job.pharmacy
                headers |= signed_headers(key_id, secret, method, path, raw)
            if key:
                headers["Idempotency-Key"] = key
            try:
                r = self.http.request(method, path, content=raw or None, headers=headers,
                                      params=params)
                if r.status_code < 500 and r.status_code != 429:
                    return r
            except httpx.TransportError:
                pass
            self.tally.retries += 1
            if time.monotonic() > give_up:
                raise Gone(f"{method} {path}")
            time.sleep(self.rnd.uniform(0.05, 0.4))

    def business_time(self) -> datetime:
        """The server's business time (the sandbox clock the nemesis turns)."""
        r = self.send("GET", "/api/v1/sandbox/clock", bearer=self.job.operator_token)
        if r.status_code != 200:
            raise Gone(f"sandbox clock: {r.status_code}")
        return datetime.fromisoformat(r.json()["now"])

    def record(self, op: str, **facts: Any) -> None:
        self.tally.acknowledged[op] = self.tally.acknowledged.get(op, 0) + 1
        self.journal.write(json.dumps({"op": op, **facts}) + "\n")
        self.journal.flush()

    def refuse(self, op: str, r: httpx.Response) -> None:
        code = r.json().get("code", str(r.status_code)) if r.content else str(r.status_code)
        name = f"{op}:{code}"
        self.tally.refused[name] = self.tally.refused.get(name, 0) + 1

    def as_person(self, who: tuple[str, str], method: str, path: str, *, key: str,
                  body: Any) -> httpx.Response:
        """A person's call; a session that expired (the sandbox day turned) is renewed once."""
        r = self.send(method, path, bearer=self.session(*who), key=key, body=body)
        if r.status_code == 401:
            self.sessions.pop(who[0], None)
            r = self.send(method, path, bearer=self.session(*who), key=key, body=body)
        return r

    def session(self, psn_no: str, certno: str) -> str:
        token = self.sessions.get(psn_no)
        if token:
            return token
        sent = self.send("POST", "/api/v1/auth/code", body={"certno": certno})
        if sent.status_code != 202:
            raise Gone(f"login code for a person: {sent.status_code} {sent.text[:200]}")
        # the sandbox sender keeps messages in the outbox, where an operator reads them
        box = self.send("GET", "/api/v1/outbox", bearer=self.job.operator_token,
                        params={"psn_no": psn_no, "limit": 1})
        found = re.search(r"(\d{6})", box.json()[0]["body"]) if box.status_code == 200 \
            and box.json() else None
        if found is None:
            raise Gone(f"no login code in the outbox: {box.status_code}")
        r = self.send("POST", "/api/v1/auth/login", body={"certno": certno,
                                                          "code": found.group(1)})
        if r.status_code != 200:
            raise Gone(f"login: {r.status_code} {r.text[:200]}")
        self.sessions[psn_no] = r.json()["token"]
        return self.sessions[psn_no]

    # -- operations --------------------------------------------------------------------------

    def transfer(self) -> None:
        sponsor, s_cert, receiver, _r_cert = self.rnd.choice(self.job.pairs)
        amount = self.rnd.randint(1, 5000) * 100 + self.rnd.randint(0, 99)
        key = self.key("send")
        r = self.as_person((sponsor, s_cert), "POST", "/api/v1/transfers", key=key,
                           body={"receiver_psn_no": receiver, "amount": format_yuan(amount),
                                 "pin": PIN})
        if r.status_code == 201:
            t = r.json()
            self.record("send", key=key, transfer_id=t["id"], amount=amount, sponsor=sponsor)
            self.pending.append(t | {"key": key})
            self.wrong_streak[sponsor] = 0
        else:
            self.refuse("send", r)
            code = _code(r)
            # a lock clears the count; so does a right PIN refused by a later rule (a limit)
            if code == "PIN_LOCKED" or (not code.startswith("PIN_") and r.status_code != 401):
                self.wrong_streak[sponsor] = 0

    def respond(self) -> None:
        if not self.pending:
            return self.transfer()
        t = self.pending.pop(self.rnd.randrange(len(self.pending)))
        action = self.rnd.choice(("accept", "accept", "accept", "reject", "cancel", "leave"))
        if action == "leave":  # left to come back by the sweep when the day turns
            return None
        pair = next(p for p in self.job.pairs if p[0] == t["sender_psn_no"])
        who = (pair[0], pair[1]) if action == "cancel" else (pair[2], pair[3])
        key = self.key(action)
        r = self.as_person(who, "POST", f"/api/v1/transfers/{t['id']}/{action}", key=key,
                           body={})
        if r.status_code == 200:
            self.record(action, key=key, transfer_id=t["id"], status=r.json()["status"])
        else:
            self.refuse(action, r)
        return None

    def guess_pins(self) -> None:
        """Someone who took a sponsor's phone sends GUESSES wrong PINs at the same moment:
        no more than MAX_WRONG of them may be answered "wrong" before the PIN locks, and
        none is accepted."""
        sponsor, s_cert, receiver, _r_cert = self.rnd.choice(self.job.pairs)
        self.session(sponsor, s_cert)
        keys = [self.key("guess") for _ in range(GUESSES)]
        began = self.business_time()

        def guess(i: int) -> httpx.Response:
            wrong = f"{(int(PIN) + 1 + i * 7919) % 10**6:06d}"
            return self.as_person((sponsor, s_cert), "POST", "/api/v1/transfers",
                                  key=keys[i],
                                  body={"receiver_psn_no": receiver, "amount": "1.00",
                                        "pin": wrong})

        with ThreadPoolExecutor(GUESSES) as pool:
            answers = list(pool.map(guess, range(GUESSES)))
        codes = Counter(_code(r) for r in answers)
        for code, n in codes.items():
            name = f"guess:{code}"
            self.tally.refused[name] = self.tally.refused.get(name, 0) + n
        self.tally.guesses_accepted += sum(1 for r in answers if r.status_code == 201)
        if self.business_time() - began > LOCK_EXPIRES:
            # the nemesis turned the sandbox day during the burst: every lock expired with
            # it, so a count that starts over is the rule, not a breach
            self.wrong_streak[sponsor] = 0
            self.tally.bursts_across_a_day_turn += 1
        else:
            self.wrong_streak[sponsor] += codes["PIN_WRONG"]
            if self.wrong_streak[sponsor] > MAX_WRONG:
                self.tally.pin_overguessed += 1
        if codes["PIN_LOCKED"]:
            self.wrong_streak[sponsor] = 0
        self.record("guess", sponsor=sponsor, wrong=codes["PIN_WRONG"],
                    locked=codes["PIN_LOCKED"])

    def late_original(self) -> None:
        """An HIS timed out on a settlement and reverses it (冲正) by its medins_setl_id while
        the original may still be on its way: the two race, or the reversal comes first.
        Whatever the order, a reversal answered "nothing took effect" must leave nothing
        charged under that id (checked at the end)."""
        prepared = self._visit_with_fees()
        if prepared is None:
            return
        psn_no, mdtrt_id, cred, total = prepared
        medins_setl_id = f"LT{self.job.number}{self.n:08d}{self.rnd.randrange(10**6):06d}"
        settle_key, reverse_key = self.key("late_settle"), self.key("late_reverse")

        def original() -> httpx.Response:
            time.sleep(self.rnd.uniform(0, 0.02))
            return self.send("POST", f"/api/v1/visits/{mdtrt_id}/settle", signed=True,
                             key=settle_key, body={"credential": cred,
                                                   "medfee_sumamt": format_yuan(total),
                                                   "medins_setl_id": medins_setl_id})

        def reversal() -> httpx.Response:
            return self.send("POST", "/api/v1/settlements/reverse", signed=True,
                             key=reverse_key, body={"medins_setl_id": medins_setl_id})

        with ThreadPoolExecutor(2) as pool:
            s_f, r_f = pool.submit(original), pool.submit(reversal)
            s, r = s_f.result(), r_f.result()
        if r.status_code != 200:
            self.refuse("late_reverse", r)
            return
        rev = r.json()
        self.record("late", medins_setl_id=medins_setl_id, psn_no=psn_no,
                    done=rev["done"], setl_id=rev["setl_id"],
                    original=s.status_code, original_code=_code(s),
                    original_setl_id=s.json()["setl_id"] if s.status_code == 201 else None)
        if s.status_code != 201:
            self.refuse("late_settle", s)

    def _visit_with_fees(self) -> tuple[str, str, dict[str, str], int] | None:
        """A pharmacy visit with drug lines uploaded: (psn_no, mdtrt_id, credential, total)."""
        psn_no, certno = self.rnd.choice(self.job.buyers)
        cred = {"mdtrt_cert_type": "02", "mdtrt_cert_no": certno}
        v = self.send("POST", "/api/v1/visits", signed=True, key=self.key("visit"),
                      body={"credential": cred, "insutype": "310", "med_type": "41"})
        if v.status_code != 201:
            self.refuse("visit", v)
            return None
        mdtrt_id = v.json()["mdtrt_id"]
        lines, total = [], 0
        for i in range(self.rnd.randint(3, 5)):
            code, cap = self.rnd.choice(self.job.drugs)
            cnt = self.rnd.randint(1, 2)
            pric = min(self.rnd.randint(100, 5000), cap)
            total += cnt * pric
            lines.append({"feedetl_sn": str(i + 1), "med_list_codg": code, "cnt": str(cnt),
                          "pric": str(Decimal(pric) / 100), "det_item_fee_sumamt":
                          format_yuan(cnt * pric), "trace_codes": [
                              self._trace() for _ in range(cnt)]})
        f = self.send("POST", f"/api/v1/visits/{mdtrt_id}/fees", signed=True,
                      key=self.key("fees"), body={"lines": lines})
        if f.status_code != 201:
            self.refuse("fees", f)
            return None
        return psn_no, mdtrt_id, cred, total

    def settle(self) -> None:
        prepared = self._visit_with_fees()
        if prepared is None:
            return None
        psn_no, mdtrt_id, cred, total = prepared
        medins_setl_id = f"CH{self.job.number}{self.n:08d}{self.rnd.randrange(10**6):06d}"
        key = self.key("settle")
        s = self.send("POST", f"/api/v1/visits/{mdtrt_id}/settle", signed=True, key=key,
                      body={"credential": cred, "medfee_sumamt": format_yuan(total),
                            "medins_setl_id": medins_setl_id})
        if s.status_code == 201:
            out = s.json()
            self.record("settle", key=key, setl_id=out["setl_id"], psn_no=psn_no,
                        medins_setl_id=medins_setl_id)
            self.settled.append(out | {"medins_setl_id": medins_setl_id})
        else:
            self.refuse("settle", s)
        return None

    def undo(self) -> None:
        if not self.settled:
            return self.settle()
        s = self.settled.pop(self.rnd.randrange(len(self.settled)))
        if self.rnd.random() < 0.5:
            key = self.key("cancel_settlement")
            r = self.send("POST", f"/api/v1/settlements/{s['setl_id']}/cancel", signed=True,
                          key=key, body={})
            if r.status_code == 200:
                self.record("cancel_settlement", key=key, setl_id=s["setl_id"])
            else:
                self.refuse("cancel_settlement", r)
        else:
            key = self.key("reverse")
            r = self.send("POST", "/api/v1/settlements/reverse", signed=True, key=key,
                          body={"medins_setl_id": s["medins_setl_id"]})
            if r.status_code == 200:
                self.record("reverse", key=key, setl_id=s["setl_id"], done=r.json()["done"])
            else:
                self.refuse("reverse", r)
        return None

    def read(self) -> None:
        """A snapshot of person balances: none may ever be read below zero."""
        after: str | None = None
        while True:
            params: dict[str, Any] = {"kind": "PERSONAL", "limit": 500}
            if after:
                params["after"] = after
            r = self.send("GET", "/api/v1/ledger/accounts", bearer=self.job.operator_token,
                          params=params)
            if r.status_code != 200:
                return self.refuse("read", r)
            page = r.json()
            self.tally.reads += 1
            self.tally.negative_reads += sum(1 for a in page
                                             if Decimal(a["balance"]) < 0)
            if len(page) < 500:
                return None
            after = page[-1]["id"]

    def _trace(self) -> str:
        return f"8{self.job.number:02d}{self.rnd.randrange(10**17):017d}"

    def run(self) -> Tally:
        ops = (self.transfer, self.respond, self.settle, self.undo, self.read,
               self.late_original, self.guess_pins)
        weights = (4, 8, 4, 4, 4, 2, 1)
        try:
            while time.time() < self.job.deadline:
                try:
                    self.rnd.choices(ops, weights)[0]()
                except Gone:
                    self.tally.unanswered += 1
        finally:
            self.journal.close()
            self.http.close()
        return self.tally


def _code(r: httpx.Response) -> str:
    """The error code of an answer (its status when it has none)."""
    try:
        body = r.json()
    except ValueError:
        return str(r.status_code)
    return str(body.get("code", r.status_code)) if isinstance(body, dict) else \
        str(r.status_code)


def main(job: Job, results: Any) -> None:
    """Entry of a client process: run, then put the tally on the results queue."""
    results.put((job.number, Client(job).run().__dict__))
