"""The 医保钱包: open, place of use, close, balances, PIN, transfers and today's limits."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field

from gongji.api.deps import Caller, IdempotencyKey, Person, Services, replay_header
from gongji.api.openapi import PIN_REFUSALS
from gongji.api.types import Admdvs, In, Pin, Psn, Yuan, YuanOut
from gongji.services.pins import service as pins
from gongji.services.transfers import service as transfers
from gongji.services.wallet import service as wallet

router = APIRouter(prefix="/api/v1", tags=["wallet"])


class QuotaOut(BaseModel):
    sponsor_psn_no: str
    sponsor_name_masked: str
    relation: str | None
    balance: YuanOut


class WalletOut(BaseModel):
    psn_no: str
    status: Literal["open", "closed", "none"]
    place_of_use: str | None
    opened_at: datetime | None
    opened_by_proxy: bool
    insuplc_admdvs: str | None
    enabled: bool
    place_of_use_change: bool
    personal_account: YuanOut | None = Field(description="The owner's own personal account")
    quotas: list[QuotaOut] = Field(description="Quota held per sponsor (共济额度)")
    quota_total: YuanOut

    @classmethod
    def of(cls, w: wallet.WalletView) -> WalletOut:
        return cls(psn_no=w.psn_no, status=w.status,
                   place_of_use=w.place_of_use, opened_at=w.opened_at,
                   opened_by_proxy=w.opened_by_proxy, insuplc_admdvs=w.insuplc_admdvs,
                   enabled=w.enabled, place_of_use_change=w.place_of_use_change,
                   personal_account=w.personal_account,
                   quotas=[QuotaOut(sponsor_psn_no=q.sponsor_psn_no,
                                    sponsor_name_masked=q.sponsor_name_masked,
                                    relation=q.relation, balance=q.balance) for q in w.quotas],
                   quota_total=w.quota_total)


class OpenIn(In):
    place_of_use: Admdvs | None = Field(None, description="Default: the insured region")


class PlaceIn(In):
    place_of_use: Admdvs


class PinIn(In):
    pin: Pin
    old_pin: Pin | None = Field(None, description="Required to change an existing PIN")


class PinOut(BaseModel):
    psn_no: str
    changed: bool


@router.get("/persons/{psn_no}/wallet", response_model=WalletOut,
            summary="The wallet: status, own account, quota per sponsor")
def get_wallet(psn_no: Psn, who: Caller, services: Services) -> WalletOut:
    return WalletOut.of(wallet.get(services, who, psn_no))


@router.post("/persons/{psn_no}/wallet", status_code=status.HTTP_201_CREATED,
             response_model=WalletOut,
             summary="Open the wallet (the person, or a proxy holder: 代开通)")
def open_wallet(psn_no: Psn, body: OpenIn, who: Caller, services: Services,
                response: Response, key: IdempotencyKey = None) -> WalletOut:
    w = wallet.open_wallet(services, who, key, psn_no, body.place_of_use)
    replay_header(response, w)
    return WalletOut.of(w.value)


@router.post("/persons/{psn_no}/wallet/place-of-use", response_model=WalletOut,
             summary="Change the place of use (使用地变更) where the region allows it")
def change_place(psn_no: Psn, body: PlaceIn, who: Caller, services: Services,
                 response: Response, key: IdempotencyKey = None) -> WalletOut:
    w = wallet.change_place(services, who, key, psn_no, body.place_of_use)
    replay_header(response, w)
    return WalletOut.of(w.value)


@router.post("/persons/{psn_no}/wallet/close", response_model=WalletOut,
             summary="Close the wallet; unused quota goes back to each sponsor")
def close_wallet(psn_no: Psn, who: Caller, services: Services, response: Response,
                 key: IdempotencyKey = None) -> WalletOut:
    w = wallet.close_wallet(services, who, key, psn_no)
    replay_header(response, w)
    return WalletOut.of(w.value)


@router.put("/me/pin", response_model=PinOut, responses=PIN_REFUSALS,
            summary="Set or change my payment PIN (支付密码)")
def set_pin(body: PinIn, who: Person, services: Services, response: Response,
            key: IdempotencyKey = None) -> PinOut:
    w = pins.set_pin(services, who, key, who.id, body.pin, body.old_pin)
    replay_header(response, w)
    return PinOut(psn_no=w.value.psn_no, changed=w.value.changed)


# -- transfers -----------------------------------------------------------------------------

class SendTransferIn(In):
    receiver_psn_no: Psn
    amount: Yuan
    pin: Pin
    memo: str = Field("", max_length=200)


class WalletTransferOut(BaseModel):
    id: str
    sender_psn_no: str
    receiver_psn_no: str
    sender_name_masked: str
    receiver_name_masked: str
    amount: YuanOut
    status: Literal["pending", "accepted", "returned", "rejected", "cancelled", "unbound"]
    submitted_at: datetime
    deadline: datetime = Field(description="Not accepted by then, it returns to the sender")
    resolved_at: datetime | None
    business_date: date

    @classmethod
    def of(cls, t: transfers.TransferView) -> WalletTransferOut:
        return cls(**{f: getattr(t, f) for f in cls.model_fields})


class LimitsOut(BaseModel):
    max_transfer: YuanOut
    daily_transfer_count: int
    sent_today: int
    left_today: int
    closed_hours_start: str
    closed_hours_end: str
    closed_now: bool
    next_open: datetime | None
    accept_deadline_if_sent_now: datetime


@router.post("/transfers", status_code=status.HTTP_201_CREATED, response_model=WalletTransferOut,
             responses=PIN_REFUSALS,
             summary="Send money from my personal account to a bound relative's wallet")
def send(body: SendTransferIn, who: Person, services: Services, response: Response,
         key: IdempotencyKey = None) -> WalletTransferOut:
    cmd = transfers.SendTransfer(body.receiver_psn_no, body.amount, body.memo)
    w = transfers.send(services, who, key, cmd, body.pin)
    replay_header(response, w)
    return WalletTransferOut.of(w.value)


def _respond(action: Literal["accept", "reject", "cancel"]):  # type: ignore[no-untyped-def]
    def handler(transfer_id: str, who: Caller, services: Services, response: Response,
                key: IdempotencyKey = None) -> WalletTransferOut:
        w = transfers.respond(services, who, key, transfer_id, action)
        replay_header(response, w)
        return WalletTransferOut.of(w.value)

    return handler


router.add_api_route("/transfers/{transfer_id}/accept", _respond("accept"), methods=["POST"],
                     response_model=WalletTransferOut,
                     summary="Accept (接收) before the deadline: into my quota from the sender")
router.add_api_route("/transfers/{transfer_id}/reject", _respond("reject"), methods=["POST"],
                     response_model=WalletTransferOut, summary="Refuse: back to the sender now")
router.add_api_route("/transfers/{transfer_id}/cancel", _respond("cancel"), methods=["POST"],
                     response_model=WalletTransferOut, summary="The sender takes it back")


@router.get("/transfers/{transfer_id}", response_model=WalletTransferOut, summary="One transfer")
def get_transfer(transfer_id: str, who: Caller, services: Services) -> WalletTransferOut:
    return WalletTransferOut.of(transfers.get(services, who, transfer_id))


@router.get("/persons/{psn_no}/transfers", response_model=list[WalletTransferOut],
            summary="Transfers sent and received, newest first")
def list_transfers(psn_no: Psn, who: Caller, services: Services,
                   limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[WalletTransferOut]:
    return [WalletTransferOut.of(t) for t in transfers.list_for(services, who, psn_no, limit=limit)]


@router.get("/persons/{psn_no}/transfer-limits", response_model=LimitsOut,
            summary="What the person may still send today, and when the window closes")
def limits(psn_no: Psn, who: Caller, services: Services) -> LimitsOut:
    lim = transfers.limits(services, who, psn_no)
    return LimitsOut(**{f: getattr(lim, f) for f in LimitsOut.model_fields})
