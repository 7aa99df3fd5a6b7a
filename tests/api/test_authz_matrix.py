"""The authorization matrix, generated from the route table: every API operation is called by
every kind of caller, and the outcome is held against the expectation written below.

Callers: nobody; person A (张伟) and everything below is his; B, a person with no tie to A
(张丽); P, who holds a proxy for A (李秀英); institution X (the hospital that treated A);
institution Y (another); an operator. Paths name A's own records (his psn_no, his binding,
his transfer, X's visit and settlement of his).

Two kinds of cell:
- a call that reaches the service (every read, and writes that carry no body to validate
  first) is the whole decision: allowed = 2xx for reads, anything but 401/403 for writes
  (an act on a record already in its final state answers 409); refused = 401/403, or 404
  (another's record is "not found", never confirmed, whether read or acted on);
- a write whose body is validated first is sent with an empty body: it is refused at the
  door (401/403) or meets validation (422), so the cell says who gets through the door. Who
  may then act on whose record with a real body is held by the service tests (wallet,
  family, settlement, proxies).

A route that is not in the table fails the test: a new endpoint needs its line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gongji.api.app import create_app
from gongji.client.signing import signed_headers
from gongji.config import Settings
from gongji.domain.clock import SHANGHAI, FixedClock
from gongji.ledger.kinds import AccountKind, account_code
from gongji.services.catalog import service as catalog
from gongji.services.claims import service as claims
from gongji.services.claims.model import ClaimLineIn, SubmitClaim
from gongji.services.demo.service import DEMO_PIN, FAMILY, certno_of, seed
from gongji.services.institutions import service as institutions
from gongji.services.mobilepay import service as mobile
from gongji.services.mobilepay.model import Authorize, OrderItem, Upload
from gongji.services.prescriptions import service as prescriptions
from gongji.services.proxies import service as proxies
from gongji.services.runtime import Gongji
from gongji.services.settlement import service as svc
from gongji.services.transfers import service as transfers
from gongji.services.transport import service as transport
from gongji.services.transport.model import IssueCredential
from gongji.services.unit_of_work import Principal
from gongji.services.wallet import service as wallet
from gongji.store.db import Database
from gongji.store.tables import accounts, bindings, enrollments, holds
from tests.conftest import OPERATOR

NOON = datetime(2026, 11, 24, 10, 0, 0, tzinfo=SHANGHAI)
X, Y = "H51010000001", "H51010000002"
CALLERS = ("nobody", "A", "B", "P", "X", "Y", "operator")
_n = count()

ALL = frozenset(CALLERS)
BEARER = frozenset({"A", "B", "P", "operator"})
PERSONS = frozenset({"A", "B", "P"})
INSTITUTIONS = frozenset({"X", "Y"})
OPERATOR_ONLY = frozenset({"operator"})
A_SIDE = frozenset({"A", "P", "operator"})
"""A's records: A, his proxy, operators."""

EXPECTED: dict[tuple[str, str], frozenset[str]] = {
    # public
    ("GET", "/healthz"): ALL,
    ("GET", "/metrics"): OPERATOR_ONLY,  # GONGJI_METRICS=token, the default
    ("POST", "/api/v1/auth/code"): ALL,
    ("POST", "/api/v1/auth/login"): ALL,
    ("GET", "/api/v1/relations"): ALL,
    ("GET", "/api/v1/regions"): ALL,
    ("GET", "/api/v1/regions/{admdvs}"): ALL,
    ("GET", "/api/v1/regions/{admdvs}/policy"): ALL,
    ("GET", "/api/v1/regions/{admdvs}/contributions"): ALL,
    ("GET", "/api/v1/catalog/{admdvs}/items"): ALL,
    ("GET", "/api/v1/institutions"): ALL,  # the lookup: where the wallet is accepted
    ("POST", "/api/v1/trace-codes/query"): ALL,
    ("GET", "/fhir/R4/metadata"): ALL,
    # the national interface authenticates inside its envelope (9001 sign-in): HTTP is open
    ("POST", "/fsi/api/rsfComIfsService/callService"): ALL,
    ("POST", "/fsi/api/fileupload/upload"): ALL,
    ("POST", "/fsi/api/fileupload/download"): ALL,
    # (the provincial aliases of settings.gateway_paths are left out of the schema) and the
    # OAuth2 token endpoints: the password in the form is the authentication
    ("POST", "/auth/oauth/token"): ALL,
    ("POST", "/auth/oauth/revoke"): ALL,
    # any bearer
    ("POST", "/api/v1/auth/logout"): BEARER,
    ("GET", "/api/v1/me"): BEARER,
    # operators
    ("GET", "/api/v1/outbox"): OPERATOR_ONLY,
    ("POST", "/api/v1/persons"): OPERATOR_ONLY,
    ("POST", "/api/v1/persons/lookup"): OPERATOR_ONLY,
    ("POST", "/api/v1/enrollments"): OPERATOR_ONLY,
    ("POST", "/api/v1/enrollments/{enrollment_id}/end"): OPERATOR_ONLY,
    ("POST", "/api/v1/persons/{psn_no}/credits"): OPERATOR_ONLY,
    ("POST", "/api/v1/persons/{psn_no}/cards"): OPERATOR_ONLY,
    ("POST", "/api/v1/credentials/redeem"): OPERATOR_ONLY,
    ("POST", "/api/v1/bindings/{binding_id}/verify"): OPERATOR_ONLY,
    ("GET", "/api/v1/proxies/queue"): OPERATOR_ONLY,
    ("GET", "/api/v1/claims/queue"): OPERATOR_ONLY,
    ("POST", "/api/v1/claims/{claim_id}/review"): OPERATOR_ONLY,
    ("POST", "/api/v1/claims/{claim_id}/pay"): OPERATOR_ONLY,
    ("POST", "/api/v1/claims/{claim_id}/cancel"): OPERATOR_ONLY,
    ("POST", "/api/v1/persons/{psn_no}/chronic"): OPERATOR_ONLY,
    ("POST", "/api/v1/persons/{psn_no}/flags"): OPERATOR_ONLY,
    ("GET", "/api/v1/clearing/statement"): OPERATOR_ONLY,
    ("POST", "/api/v1/institutions"): OPERATOR_ONLY,
    ("POST", "/api/v1/institutions/{code}/keys"): OPERATOR_ONLY,
    ("PUT", "/api/v1/institutions/{code}/recording"): OPERATOR_ONLY,
    ("GET", "/api/v1/institutions/{code}/conformance"): OPERATOR_ONLY,
    ("GET", "/api/v1/institutions/{code}/recorded-messages"): OPERATOR_ONLY,
    ("GET", "/api/v1/institutions/{code}/transport"): OPERATOR_ONLY,
    ("PUT", "/api/v1/institutions/{code}/transport"): OPERATOR_ONLY,
    ("POST", "/api/v1/institutions/{code}/transport/credentials"): OPERATOR_ONLY,
    ("POST", "/api/v1/institutions/{code}/transport/credentials/{credential_id}/revocation"):
        OPERATOR_ONLY,
    ("POST", "/api/v1/catalog/{admdvs}/import"): OPERATOR_ONLY,
    ("POST", "/api/v1/policies/check"): OPERATOR_ONLY,
    ("POST", "/api/v1/policies"): OPERATOR_ONLY,
    ("POST", "/api/v1/ledger/accounts"): OPERATOR_ONLY,
    ("GET", "/api/v1/ledger/accounts"): OPERATOR_ONLY,
    ("GET", "/api/v1/ledger/accounts/{account_id}"): OPERATOR_ONLY,
    ("GET", "/api/v1/ledger/accounts/{account_id}/entries"): OPERATOR_ONLY,
    ("POST", "/api/v1/ledger/transfers"): OPERATOR_ONLY,
    ("GET", "/api/v1/ledger/entries/{entry_id}"): OPERATOR_ONLY,
    ("POST", "/api/v1/ledger/entries/{entry_id}/reversal"): OPERATOR_ONLY,
    ("POST", "/api/v1/ledger/holds"): OPERATOR_ONLY,
    ("GET", "/api/v1/ledger/holds/{hold_id}"): OPERATOR_ONLY,
    ("POST", "/api/v1/ledger/holds/{hold_id}/post"): OPERATOR_ONLY,
    ("POST", "/api/v1/ledger/holds/{hold_id}/void"): OPERATOR_ONLY,
    ("GET", "/api/v1/ledger/verify"): OPERATOR_ONLY,
    ("GET", "/api/v1/sandbox/clock"): OPERATOR_ONLY,
    ("POST", "/api/v1/sandbox/clock"): OPERATOR_ONLY,
    ("GET", "/fhir/R4/PaymentReconciliation/{month}"): OPERATOR_ONLY,
    # a person acting as themselves (writes: the door)
    ("POST", "/api/v1/bindings"): PERSONS,
    ("POST", "/api/v1/proxies"): PERSONS,
    ("PUT", "/api/v1/me/pin"): PERSONS,
    ("POST", "/api/v1/transfers"): PERSONS,
    ("POST", "/api/v1/contributions"): PERSONS,
    ("POST", "/api/v1/me/trace-codes/query"): PERSONS,
    # a person's records, or an operator (writes: the door)
    ("POST", "/api/v1/persons/{psn_no}/wallet/place-of-use"): BEARER,
    # A's own acts with no body to validate first (the whole decision): A and his proxy only
    ("POST", "/api/v1/persons/{psn_no}/code"): frozenset({"A", "P"}),
    ("POST", "/api/v1/persons/{psn_no}/wallet"): frozenset({"A", "P"}),
    ("POST", "/api/v1/persons/{psn_no}/wallet/close"): frozenset({"A"}),  # not a proxy's act
    # acts on one record by its parties (no body to validate first: the whole decision)
    ("POST", "/api/v1/bindings/{binding_id}/consent"): frozenset({"A"}),
    ("POST", "/api/v1/bindings/{binding_id}/decline"): frozenset({"A"}),
    ("POST", "/api/v1/bindings/{binding_id}/end"): frozenset({"A", "operator"}),
    ("POST", "/api/v1/proxies/{proxy_id}/end"): A_SIDE,
    # deciding a proxy: its two parties and operators get an answer (here: already decided);
    # anyone else is refused before learning its state
    ("POST", "/api/v1/proxies/{proxy_id}/approve"): A_SIDE,
    ("POST", "/api/v1/proxies/{proxy_id}/decline"): A_SIDE,
    ("POST", "/api/v1/transfers/{transfer_id}/accept"): frozenset(),  # the receiver's alone
    ("POST", "/api/v1/transfers/{transfer_id}/reject"): frozenset(),
    ("POST", "/api/v1/transfers/{transfer_id}/cancel"): frozenset({"A"}),  # the sender's
    ("POST", "/api/v1/persons/{psn_no}/filings"): BEARER,
    ("POST", "/api/v1/persons/{psn_no}/claims"): BEARER,
    # withdrawing A's claim: A and his proxy (an operator may see it, not withdraw it)
    ("POST", "/api/v1/claims/{claim_id}/withdraw"): frozenset({"A", "P"}),
    ("POST", "/api/v1/filings/{filing_id}/revoke"): BEARER,
    ("PUT", "/api/v1/persons/{psn_no}/switches/{scope}"): BEARER,
    # A's records (reads: the whole decision)
    ("GET", "/api/v1/persons/{psn_no}"): A_SIDE,
    ("GET", "/api/v1/persons/{psn_no}/enrollments"): A_SIDE,
    ("GET", "/api/v1/persons/{psn_no}/bindings"): A_SIDE,
    ("GET", "/api/v1/persons/{psn_no}/proxies"): A_SIDE,
    ("GET", "/api/v1/persons/{psn_no}/wallet"): A_SIDE,
    ("GET", "/api/v1/persons/{psn_no}/transfers"): A_SIDE,
    ("GET", "/api/v1/persons/{psn_no}/transfer-limits"): A_SIDE,
    ("GET", "/api/v1/persons/{psn_no}/contributions"): A_SIDE,
    ("GET", "/api/v1/persons/{psn_no}/filings"): A_SIDE,
    ("GET", "/api/v1/persons/{psn_no}/claims"): A_SIDE,
    ("GET", "/api/v1/claims/{claim_id}"): A_SIDE,
    ("GET", "/api/v1/persons/{psn_no}/settlements"): A_SIDE,
    ("GET", "/api/v1/bindings/{binding_id}"): A_SIDE,
    ("GET", "/api/v1/transfers/{transfer_id}"): A_SIDE,
    ("GET", "/fhir/R4/Patient/{psn_no}"): A_SIDE,
    ("GET", "/fhir/R4/Coverage/{enrollment_id}"): A_SIDE,
    ("GET", "/fhir/R4/Coverage"): A_SIDE,
    ("GET", "/fhir/R4/Account/{account_id}"): A_SIDE,
    ("GET", "/fhir/R4/ExplanationOfBenefit"): A_SIDE,
    # A's visit at X: A's side and X, not Y
    ("GET", "/api/v1/settlements/{setl_id}"): A_SIDE | {"X"},
    ("GET", "/fhir/R4/Claim/{mdtrt_id}"): A_SIDE | {"X"},
    ("GET", "/fhir/R4/ClaimResponse/{setl_id}"): A_SIDE | {"X"},
    ("GET", "/fhir/R4/ExplanationOfBenefit/{setl_id}"): A_SIDE | {"X"},
    # institutions (writes: the door)
    ("POST", "/api/v1/visits"): INSTITUTIONS,
    ("POST", "/api/v1/visits/{mdtrt_id}/fees"): INSTITUTIONS,
    ("POST", "/api/v1/visits/{mdtrt_id}/fees/cancel"): INSTITUTIONS,
    ("POST", "/api/v1/visits/{mdtrt_id}/cancel"): INSTITUTIONS,
    ("POST", "/api/v1/visits/{mdtrt_id}/pre-settle"): INSTITUTIONS,
    ("POST", "/api/v1/visits/{mdtrt_id}/settle"): INSTITUTIONS,
    ("POST", "/api/v1/settlements/{setl_id}/cancel"): INSTITUTIONS,
    ("POST", "/api/v1/settlements/reverse"): INSTITUTIONS,
    ("POST", "/api/v1/reconciliation"): INSTITUTIONS,
    ("POST", "/api/v1/untraced-stock"): INSTITUTIONS,
    ("GET", "/api/v1/untraced-stock"): INSTITUTIONS,
    # electronic prescriptions: issued by a hospital (the door), revoked by its issuer alone;
    # A's prescription from X is read by A's side and X
    ("POST", "/api/v1/prescriptions"): INSTITUTIONS,
    ("POST", "/api/v1/prescriptions/{hi_rxno}/revoke"): frozenset({"X"}),
    ("GET", "/api/v1/prescriptions/{hi_rxno}"): A_SIDE | {"X"},
    ("GET", "/api/v1/persons/{psn_no}/prescriptions"): A_SIDE,
    # online purchase: a person (or their proxy) authorizes with their own PIN; A's order at X
    # is read by A's side and X; X ships its own orders; the key is each institution's own
    ("POST", "/api/v1/pay-authorizations/quote"): PERSONS,
    ("POST", "/api/v1/pay-authorizations"): PERSONS,
    ("GET", "/api/v1/persons/{psn_no}/pay-authorizations"): A_SIDE,
    ("GET", "/api/v1/persons/{psn_no}/pay-orders"): A_SIDE,
    ("GET", "/api/v1/pay-orders/{pay_ord_id}"): A_SIDE | {"X"},
    ("POST", "/api/v1/pay-orders/{pay_ord_id}/shipment"): INSTITUTIONS,
    ("GET", "/api/v1/pay-orders/{pay_ord_id}/notifications"): frozenset({"X", "operator"}),
    ("GET", "/api/v1/mobile-pay/key"): INSTITUTIONS,
    ("POST", "/api/v1/mobile-pay/reconcile"): OPERATOR_ONLY,
}

QUERIES: dict[str, Callable[[dict[str, str]], dict[str, str]]] = {
    "/fhir/R4/Coverage": lambda ids: {"beneficiary": f"Patient/{ids['psn_no']}"},
    "/fhir/R4/ExplanationOfBenefit": lambda ids: {"patient": f"Patient/{ids['psn_no']}"},
    "/api/v1/clearing/statement": lambda _ids: {"month": "2026-11"},
    "/api/v1/catalog/{admdvs}/items": lambda _ids: {"q": "片"},
}
PATH_IDS: dict[str, Callable[[dict[str, str]], dict[str, str]]] = {
    "/fhir/R4/Account/{account_id}": lambda ids: {"account_id": ids["psn_no"]},
}
"""Where a path's parameter means something else than its name elsewhere (FHIR ids)."""


class World:
    def __init__(self, client: TestClient, app: Gongji) -> None:
        self.client, self.app = client, app
        self.tokens: dict[str, dict[str, str]] = {"operator": {"Authorization": "Bearer op"},
                                                  "nobody": {}}
        self.keys: dict[str, tuple[str, str]] = {}
        self.ids: dict[str, str] = {}

    def call(self, who: str, method: str, path: str, *, body: Any = None,
             query: dict[str, str] | None = None) -> Any:
        raw = b"" if method == "GET" else (b"{}" if body is None else
                                          __import__("json").dumps(body).encode())
        headers = {"Content-Type": "application/json"} if method != "GET" else {}
        if who in ("X", "Y"):
            key_id, secret = self.keys[who]
            headers |= signed_headers(key_id, secret, method, path, raw,
                                      timestamp=int(NOON.timestamp()))
        else:
            headers |= self.tokens[who]
        if method != "GET":
            headers["Idempotency-Key"] = f"authz-{next(_n)}"
        return self.client.request(method, path, content=raw or None, headers=headers,
                                   params=query)


def _login(c: TestClient, certno: str) -> dict[str, str]:
    assert c.post("/api/v1/auth/code", json={"certno": certno}).status_code == 202
    message = c.get("/api/v1/outbox", headers={"Authorization": "Bearer op"},
                    params={"limit": 1}).json()[0]
    code = re.search(r"验证码是 (\d{6})", message["body"]).group(1)  # type: ignore[union-attr]
    r = c.post("/api/v1/auth/login", json={"certno": certno, "code": code})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


@pytest.fixture
def world(database: Database) -> Iterator[World]:
    app = Gongji(database, FixedClock(NOON), wall=FixedClock(NOON), sandbox=True)
    summary = seed(app)
    psn = {name: p for _c, name, p, _r in summary.people}
    wei, li, xiuying, fang = psn["张伟"], psn["张丽"], psn["李秀英"], psn["王芳"]
    a = Principal("person", wei)
    # A's wallet and a transfer to his wife (bound to him by the demo data), still pending
    wallet.open_wallet(app, a, "authz-wallet", wei)
    t = transfers.send(app, a, "authz-t", transfers.SendTransfer(fang, 10_00), DEMO_PIN).value
    # his mother holds a proxy for him
    pr = proxies.request(app, Principal("person", xiuying), "authz-proxy", proxies.RequestProxy(
        certno_of(FAMILY[0]), "张伟", "child")).value
    proxies.decide(app, a, "authz-proxy-ok", pr.id, True)
    # X treats him
    item = next(i for _, r in catalog.demo_rows()
                if not (i := catalog.to_item(r, begndate=NOON.date())).is_drug)
    xp = Principal("institution", X)
    v = svc.open_visit(app, xp, "authz-v", svc.OpenVisit(
        credential=svc.Credential("02", certno_of(FAMILY[0])), insutype="310",
        med_type="11")).value
    svc.upload_fees(app, xp, "authz-f", v.mdtrt_id, (svc.FeeIn("1", item.med_list_codg, "1",
                                                               "50", 50_00),))
    s = svc.settle(app, xp, "authz-s", v.mdtrt_id, svc.SettleAsk(
        credential=svc.Credential("02", certno_of(FAMILY[0])))).value

    # and he claims by hand for care paid in full at X
    c = claims.submit(app, a, "authz-c", SubmitClaim(
        psn_no=wei, insutype="310", fixmedins_code=X, med_type="11", begndate=NOON.date(),
        enddate=NOON.date(), dise_codg="J00", dise_name="感冒", invoice_no="FP-authz",
        medfee_sumamt=50_00, lines=(ClaimLineIn("1", item.med_list_codg, "1", "50", 50_00),),
        bank_name="银行", bank_acct="6222000000000000")).value

    # and X prescribes him a drug
    drug = next(i for _, r in catalog.demo_rows()
                if (i := catalog.to_item(r, begndate=NOON.date())).is_drug)
    rx = prescriptions.issue(app, xp, "authz-rx", prescriptions.IssuePrescription(
        items=(prescriptions.RxItemIn(drug.med_list_codg, Decimal(1)),), psn_no=wei)).value

    # and orders online from X with a payment authorization (uploaded, not yet paid)
    auth = mobile.authorize(app, a, "authz-pa", Authorize(
        wei, X, "AUTHZ-ORD", (OrderItem(item.med_list_codg, "1", "50"),), 50_00),
        DEMO_PIN).value
    order = mobile.upload(app, xp, "authz-up", Upload(
        auth.pay_auth_no, "AUTHZ-ORD", "11", (svc.FeeIn("1", item.med_list_codg, "1", "50",
                                                        50_00),), 50_00)).value

    def one(q: Any) -> str:
        return str(app.read_conn(lambda c: c.execute(q).scalar_one()))

    ids = {
        "psn_no": wei, "admdvs": "510100", "code": X, "month": "2026-11", "scope": "wallet",
        "transfer_id": t.id, "proxy_id": pr.id, "mdtrt_id": v.mdtrt_id,
        "setl_id": s.setl_id or "", "filing_id": "F-none", "claim_id": c.claim_id,
        "hi_rxno": rx.hi_rxno, "pay_ord_id": order.pay_ord_id,
        "binding_id": one(select(bindings.c.id).where(bindings.c.sponsor_psn_no == wei)),
        "enrollment_id": one(select(enrollments.c.id).where(enrollments.c.psn_no == wei)),
        "account_id": one(select(accounts.c.id).where(
            accounts.c.code == account_code(AccountKind.PERSONAL, owner=wei))),
        "hold_id": one(select(holds.c.id).limit(1)),
        "entry_id": one(select(holds.c.entry_id).limit(1)),
        "credential_id": transport.issue(app, OPERATOR, "authz-tc", X,
                                         IssueCredential("tif")).value.credential_id,
    }
    settings = Settings(db=database.url, admin_token="op", sandbox=True)
    with TestClient(create_app(app, settings), raise_server_exceptions=False) as c:
        w = World(c, app)
        w.ids = ids
        w.tokens |= {"A": _login(c, certno_of(FAMILY[0])), "B": _login(c, certno_of(FAMILY[5])),
                     "P": _login(c, certno_of(FAMILY[3]))}
        assert li and xiuying
        for who, code in (("X", X), ("Y", Y)):
            k = institutions.create_key(app, OPERATOR, code)
            w.keys[who] = (k.key_id, k.secret)
        yield w


def operations(client: TestClient) -> list[tuple[str, str]]:
    """Every operation of the OpenAPI, logout last (it ends the session it is called with)."""
    spec = client.get("/openapi.json").json()
    return sorted(((m.upper(), p) for p, ops in spec["paths"].items() for m in ops),
                  key=lambda op: (op[1] == "/api/v1/auth/logout", op))


def test_every_operation_has_a_line_in_the_matrix(world: World) -> None:
    ops = set(operations(world.client))
    assert ops - set(EXPECTED) == set(), "new endpoints need a line in EXPECTED"
    assert set(EXPECTED) - ops == set(), "EXPECTED names endpoints that are gone"


def test_every_caller_gets_what_the_matrix_says(world: World) -> None:
    wrong = []
    for method, template in operations(world.client):
        ids = world.ids | PATH_IDS.get(template, lambda _ids: {})(world.ids)
        path = re.sub(r"\{(\w+)\}", lambda m, ids=ids: ids[m.group(1)], template)
        query = QUERIES.get(template, lambda _ids: {})(world.ids)
        for who in CALLERS:
            r = world.call(who, method, path, query=query)
            allowed = who in EXPECTED[(method, template)]
            refused_codes = (401, 403, 404)
            if allowed and method == "GET" and not 200 <= r.status_code < 300:
                wrong.append(f"{method} {template} as {who}: {r.status_code} {r.text[:160]}")
            elif allowed and r.status_code in (401, 403):
                wrong.append(f"{method} {template} as {who}: refused {r.status_code} "
                             f"{r.text[:160]}")
            elif not allowed and r.status_code not in refused_codes:
                wrong.append(f"{method} {template} as {who}: {r.status_code}, expected a "
                             f"refusal; {r.text[:160]}")
            assert r.status_code < 500, f"{method} {template} as {who}: {r.text[:300]}"
    assert not wrong, "\n".join(wrong)
