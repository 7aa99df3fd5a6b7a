"""The same two operations through HTTP, against `gongji serve --workers N` on 127.0.0.1:

- a transfer: POST /api/v1/transfers (the sponsor's session, his PIN), then
  POST /api/v1/transfers/{id}/accept (the receiver's session);
- a pharmacy settlement: one national-interface 2102 message, HMAC-signed, as a pharmacy POS
  sends it (after its 9001 sign-in).

And the mixed load (issue 16): wallet reads (GET /api/v1/persons/{psn_no}/wallet with the
person's session), a hospital's outpatient visit (2201 registration, 2204 fee upload, 2207
settlement) and transfers, each client picking its next one at random.

Sessions are made the way a person gets one (a one-time code, read from the sandbox, then
login), before the measured window.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from gongji.benchmark import population, workloads
from gongji.benchmark.figures import Operation, Refused
from gongji.client.signing import signed_headers
from gongji.domain.catalog import CatalogItem
from gongji.domain.clock import SHANGHAI
from gongji.services.auth import service as auth
from gongji.services.institutions import service as institutions
from gongji.services.runtime import Gongji
from gongji.services.unit_of_work import SYSTEM
from gongji.testing.postgres import free_port

GATEWAY = "/fsi/api/rsfComIfsService/callService"


@dataclass
class Server:
    base: str
    proc: subprocess.Popen[bytes]

    def peak_memory_mb(self) -> float:
        """The largest peak resident set (VmHWM) among the server's processes, in MiB."""
        return max((_hwm_kb(pid) for pid in _tree(self.proc.pid)), default=0) / 1024

    def cpu_seconds(self) -> float:
        """CPU time (user and system) the server's processes have used so far."""
        return sum(_cpu_ticks(pid) for pid in _tree(self.proc.pid)) / os.sysconf("SC_CLK_TCK")


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime (proc(5) fields 14 and 15)


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, all) CPU seconds of the whole machine so far, every core (/proc/stat): what
    besides the server ran, the client and the database, shows in the difference."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(ticks[:8]) - idle) / hz, sum(ticks[:8]) / hz


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            todo += [int(c) for c in task.read_text().split()]
    return out


def _hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@contextmanager
def serving(db_url: str, *, workers: int) -> Iterator[Server]:
    """`gongji serve` in the sandbox (its clock resumes from the data: business hours) with
    `workers` processes, on a free loopback port; stopped afterwards."""
    port = free_port()
    env = {**os.environ, "GONGJI_LOG_LEVEL": "warning", "PYTHONUNBUFFERED": "1"}
    # the server's log goes to a file: a pipe nobody reads fills up and stalls the server
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed below)
    proc = subprocess.Popen([sys.executable, "-m", "gongji", "serve", "--db", db_url,
                             "--port", str(port), "--workers", str(workers), "--sandbox"],
                            env=env, stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError("gongji serve exited: " + log.read().decode()[-4000:])
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gongji serve did not answer /healthz within 60 s")
            time.sleep(0.1)
        yield Server(base, proc)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.seek(0)
        tail = log.read()[-20_000:].decode("utf-8", "replace")
        log.close()
        if keep := os.environ.get("GONGJI_BENCH_SERVER_LOG"):  # to see what the server said
            Path(keep).write_text(tail, encoding="utf-8")


def sessions(app: Gongji, psn_nos: list[str], certnos: dict[str, str]) -> dict[str, str]:
    """A session token per person, through the one-time-code login (the sandbox shows the
    code to the caller, as the demo does)."""
    out = {}
    for psn_no in psn_nos:
        sent = auth.request_code(app, certnos[psn_no])
        assert sent.sandbox_code is not None, "sessions for the benchmark need the sandbox"
        out[psn_no] = auth.login(app, certnos[psn_no], sent.sandbox_code).token
    return out


def refused(r: httpx.Response) -> Refused:
    """A REST refusal by its error code (the Error schema's `code`), else its HTTP status."""
    try:
        code = r.json().get("code")
    except ValueError:
        code = None
    return Refused(str(code or f"HTTP_{r.status_code}"), r.text[:500])


def send_and_accept(client: httpx.Client, tokens: dict[str, str], sponsor: str,
                    receiver: str, key: str) -> None:
    """One transfer through the REST API: the sponsor sends 20.00 with his PIN, the receiver
    accepts it."""
    r = client.post("/api/v1/transfers", json={
        "receiver_psn_no": receiver, "amount": yuan(workloads.TRANSFER_FEN),
        "pin": population.PIN},
        headers={"Authorization": f"Bearer {tokens[sponsor]}", "Idempotency-Key": f"hs-{key}"})
    if r.status_code != 201:
        raise refused(r)
    r = client.post(f"/api/v1/transfers/{r.json()['id']}/accept",
                    headers={"Authorization": f"Bearer {tokens[receiver]}",
                             "Idempotency-Key": f"ha-{key}"})
    if r.status_code != 200:
        raise refused(r)


def yuan(fen: int) -> str:
    """Fen as the yuan text the APIs take ("20.00"), without a float on the way."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def healthz_clients(base: str) -> Callable[[int], Operation]:
    """GET /healthz, which reads nothing: what HTTP itself costs on this machine (uvicorn,
    FastAPI, the loopback and this client), the floor under every HTTP figure."""
    def make(i: int) -> Operation:
        client = httpx.Client(base_url=base, timeout=30)

        def op() -> None:
            if client.get("/healthz").status_code != 200:
                raise RuntimeError("healthz")

        return op

    return make


def transfer_clients(base: str, pairs: list[tuple[str, str]], tokens: dict[str, str],
                     clients: int) -> Callable[[int], Operation]:
    def make(i: int) -> Operation:
        client = httpx.Client(base_url=base, timeout=30)
        mine = iter([p for p in pairs[i::clients] for _ in range(3)])
        tag = secrets.token_hex(4)
        keys = itertools.count()

        def op() -> None:
            sponsor, receiver = next(mine)
            send_and_accept(client, tokens, sponsor, receiver, f"{tag}-{next(keys)}")

        return op

    return make


class Pos:
    """A pharmacy POS (or a hospital's HIS) on the national interface: signs each message,
    numbers msgids."""

    def __init__(self, base: str, key_id: str, secret: str,
                 code: str = workloads.PHARMACY) -> None:
        self.client = httpx.Client(base_url=base, timeout=30)
        self.key_id, self.secret, self.code = key_id, secret, code
        self.sign_no = ""
        self.tag = f"{secrets.randbelow(10**6):06d}"
        self.seq = itertools.count()

    def call(self, infno: str, input_: dict[str, Any]) -> dict[str, Any]:
        now = datetime.now(SHANGHAI)
        envelope = {
            "infno": infno, "msgid": f"{self.code}{self.tag}{next(self.seq):012d}",
            "mdtrtarea_admvs": population.REGION, "insuplc_admdvs": population.REGION,
            "recer_sys_code": "GONGJI", "infver": "V1.0", "opter_type": "1", "opter": "001",
            "opter_name": "bench", "inf_time": f"{now:%Y-%m-%d %H:%M:%S}",
            "fixmedins_code": self.code, "fixmedins_name": "bench",
            "sign_no": self.sign_no, "input": input_}
        raw = json.dumps(envelope, ensure_ascii=False).encode()
        headers = signed_headers(self.key_id, self.secret, "POST", GATEWAY, raw)
        r = self.client.post(GATEWAY, content=raw,
                             headers={**headers, "Content-Type": "application/json"})
        try:
            body: dict[str, Any] = json.loads(r.content, parse_float=Decimal)
        except ValueError:
            raise Refused(f"HTTP_{r.status_code}", f"{infno}: {r.text[:500]}") from None
        if body.get("infcode") != 0:
            raise Refused(str(body.get("err_code") or f"{infno}_REFUSED"),
                          f"{infno}: {body.get('err_msg')}")
        return body

    def sign_in(self, opter_no: str) -> None:
        self.sign_no = self.call("9001", {"signIn": {"opter_no": opter_no}})["output"][
            "signinoutb"]["sign_no"]


def settlement_clients(app: Gongji, base: str, members: list[population.Member],
                       drugs: list[CatalogItem], clients: int) -> Callable[[int], Operation]:
    key = institutions.create_key(app, SYSTEM, workloads.PHARMACY)
    codes = workloads.trace_codes()

    def make(i: int) -> Operation:
        pos = Pos(base, key.key_id, key.secret)
        pos.sign_in(f"{i:03d}")
        mine = members[i::clients]
        rnd = random.Random(1000 + i)

        def op() -> None:
            m = rnd.choice(mine)
            lines = workloads.purchase_lines(rnd, drugs, codes)
            total = sum(x.det_item_fee_sumamt for x in lines)
            now = f"{datetime.now(SHANGHAI):%Y-%m-%d %H:%M:%S}"
            pos.call("2102", {
                "druginfo": {"psn_no": m.psn_no, "mdtrt_cert_type": "02",
                             "mdtrt_cert_no": m.certno, "begntime": now,
                             "medfee_sumamt": f"{Decimal(total) / 100:.2f}", "insutype": "310",
                             "acct_used_flag": "1", "med_type": "41"},
                "drugdetail": [{
                    "feedetl_sn": x.feedetl_sn, "fee_ocur_time": now,
                    "med_list_codg": x.med_list_codg, "medins_list_codg": f"Y{x.feedetl_sn}",
                    "det_item_fee_sumamt": f"{Decimal(x.det_item_fee_sumamt) / 100:.2f}",
                    "cnt": x.cnt, "pric": x.pric,
                    "drugtracinfo": [{"drug_trac_codg": c} for c in x.trace_codes]}
                    for x in lines]})

        return op

    return make


MIXED = {"wallet read": 50, "hospital visit": 30, "transfer": 20}
"""The mixed load's operations and their shares in percent (issue 16)."""
SENDS_PER_PAIR = workloads.DEPENDENT["transfer"]
"""A sponsor may send three times a day (the policy's daily_transfer_count)."""


@dataclass(frozen=True, slots=True)
class MixedPeople:
    """Whom the mixed load works on: persons loaded for it, none shared between kinds."""

    readers: list[str]
    """Read their own wallets."""
    patients: list[population.Member]
    """Visit the hospital."""
    pairs: list[tuple[str, str]]
    """(sponsor, receiver), handed out to the clients as they use them up."""
    tokens: dict[str, str]
    """A session per reader, sponsor and receiver."""


def mixed_clients(app: Gongji, base: str, people: MixedPeople, drugs: list[CatalogItem],
                  clients: int) -> Callable[[int], dict[str, Operation]]:
    """Client i reads the wallets of its slice of the readers, visits the hospital with its
    slice of the patients (a HIS of its own, signed in), and sends from the next unused pair
    of a shared pool (each pair three times, the daily limit); a pool run dry is an error,
    BENCH_PAIRS_USED_UP, not an end."""
    key = institutions.create_key(app, SYSTEM, workloads.HOSPITAL)
    codes = workloads.trace_codes()
    pool = workloads.PairPool(people.pairs)

    def make(i: int) -> dict[str, Operation]:
        client = httpx.Client(base_url=base, timeout=30)
        his = Pos(base, key.key_id, key.secret, workloads.HOSPITAL)
        his.sign_in(f"{i:03d}")
        readers, patients = people.readers[i::clients], people.patients[i::clients]
        rnd = random.Random(2000 + i)
        tag = secrets.token_hex(4)
        keys = itertools.count()
        sends: list[tuple[str, str]] = []

        def wallet_read() -> None:
            psn_no = rnd.choice(readers)
            r = client.get(f"/api/v1/persons/{psn_no}/wallet",
                           headers={"Authorization": f"Bearer {people.tokens[psn_no]}"})
            if r.status_code != 200:
                raise refused(r)

        def hospital_visit() -> None:
            m = rnd.choice(patients)
            n = next(keys)
            now = f"{datetime.now(SHANGHAI):%Y-%m-%d %H:%M:%S}"
            cert = {"mdtrt_cert_type": "02", "mdtrt_cert_no": m.certno}
            mdtrt_id = his.call("2201", {"data": {
                "psn_no": m.psn_no, "insutype": "310", "begntime": now, **cert,
                "ipt_otp_no": f"MZ{tag}{n}"}})["output"]["data"]["mdtrt_id"]
            lines = workloads.visit_lines(rnd, drugs, codes)
            his.call("2204", {"feedetail": [
                {"feedetl_sn": x.feedetl_sn, "mdtrt_id": mdtrt_id, "psn_no": m.psn_no,
                 "chrg_bchno": f"B{n}", "fee_ocur_time": now, "med_list_codg": x.med_list_codg,
                 "medins_list_codg": f"L{x.feedetl_sn}",
                 "det_item_fee_sumamt": yuan(x.det_item_fee_sumamt), "cnt": x.cnt,
                 "pric": x.pric, "drugtracinfo": [{"drug_trac_codg": c} for c in x.trace_codes]}
                for x in lines]})
            his.call("2207", {"data": {
                "psn_no": m.psn_no, **cert, "mdtrt_id": mdtrt_id, "med_type": "11",
                "medfee_sumamt": yuan(sum(x.det_item_fee_sumamt for x in lines)),
                "insutype": "310", "acct_used_flag": "1", "chrg_bchno": f"B{n}"}})

        def transfer() -> None:
            if not sends:
                try:
                    sends.extend([pool.take()] * SENDS_PER_PAIR)
                except StopIteration:
                    raise Refused("BENCH_PAIRS_USED_UP",
                                  f"all {len(people.pairs)} pairs have sent today") from None
            sponsor, receiver = sends.pop()
            send_and_accept(client, people.tokens, sponsor, receiver, f"{tag}-{next(keys)}")

        return {"wallet read": wallet_read, "hospital visit": hospital_visit,
                "transfer": transfer}

    return make
