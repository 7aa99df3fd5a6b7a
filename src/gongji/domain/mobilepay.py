"""Online purchase with 医保 (医保移动支付): what an order's states mean, how long a person's
authorization lasts, and what an institution's messages must agree with.

The person authorizes one order of one institution in the app (payAuthNo); the institution
uploads its fee lines (6201), pays (6202), and may refund (6203), query (6301) or cancel an
upload not yet paid (6401). The fund, the personal account and family quota are settled as a
purchase of the same items at the counter would be; what is left (ownPayAmt) is paid in cash
through a payment channel. Source: 国家医保局 医保移动支付 接口规范 (6201-6401) and DOMAIN.md.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Literal
from urllib.parse import urlsplit

from gongji.domain.errors import Bi, GongjiError
from gongji.domain.money import format_yuan

AUTH_VALID = timedelta(minutes=10)
"""A payment authorization is good for 10 minutes: long enough to finish an order, short
enough that a number seen over a shoulder is worthless (our decision; the national
mini-programs hold theirs for minutes)."""

CASH_WAIT = timedelta(minutes=2)
"""A cash payment the channel has not answered within 2 minutes is given up: the insurance
part is settled back, and a late success is refunded (our decision)."""

MED_ORG_ORD_MAX = 40

OrdStas = Literal["1", "2", "6", "7", "12", "15"]

ORD_STAS: dict[str, tuple[str, str]] = {
    "1": ("预结算完成", "uploaded and pre-settled"),
    "2": ("结算中", "paying: insurance settled, cash part pending"),
    "6": ("结算完成", "paid"),
    "7": ("已退款", "refunded"),
    "12": ("已撤销", "upload cancelled"),
    "15": ("结算失败", "failed: cash part not paid, insurance settled back"),
}
"""The states we use of the specification's ordStas (0-16). A refund of some lines leaves
the order paid ("6") with its remaining lines' amounts; a refund of all of it makes it "7"."""

REFD_TYPES = {"ALL": Bi("全部退款", "everything"), "HI": Bi("只退医保", "insurance only"),
              "CASH": Bi("只退现金", "cash only")}


def state_name(ord_stas: str) -> Bi:
    zh, en = ORD_STAS.get(ord_stas, (ord_stas, ord_stas))
    return Bi(zh, en)


@dataclass(frozen=True, slots=True)
class Item:
    """One item of an order: what the person saw and what the institution uploads."""

    med_list_codg: str
    cnt: Decimal


def _counted(items: Iterable[Item]) -> Counter[str]:
    out: Counter[str] = Counter()
    for i in items:
        out[f"{i.med_list_codg}×{i.cnt.normalize()}"] += 1
    return out


def check_as_authorized(authorized: Sequence[Item], total: int, uploaded: Sequence[Item],
                        uploaded_total: int) -> None:
    """The lines an institution uploads are the order the person authorized: the same items
    in the same quantities and the same total, to the fen (PAY_AUTH_MISMATCH otherwise)."""
    if uploaded_total != total:
        raise GongjiError("PAY_AUTH_MISMATCH", field="medfeeSumamt", reason=Bi(
            f"授权金额 {format_yuan(total)} 元，上传 {format_yuan(uploaded_total)} 元",
            f"authorized {format_yuan(total)}, uploaded {format_yuan(uploaded_total)}"))
    a, u = _counted(authorized), _counted(uploaded)
    if a != u:
        extra = sorted((u - a).elements()) or sorted((a - u).elements())
        raise GongjiError("PAY_AUTH_MISMATCH", field="feedetailList", reason=Bi(
            f"与授权的药品或数量不一致（{extra[0]}）",
            f"items or quantities differ from the authorized order ({extra[0]})"))


@dataclass(frozen=True, slots=True)
class Split:
    """An order's amounts: the total, and what the fund, the personal account (with family
    quota) and cash paid."""

    total: int
    fund: int
    acct: int
    cash: int

    def __sub__(self, other: Split) -> Split:
        return Split(self.total - other.total, self.fund - other.fund,
                     self.acct - other.acct, self.cash - other.cash)


def check_refund(refd_type: str, asked: Split, due: Split, *, partial: bool) -> None:
    """A refund asks for what is due back, to the fen: all of the order ("ALL"), or the
    lines it names; insurance and cash go back together (a refund of the insurance part
    alone, or of the cash alone, would leave the split of what was kept wrong).

    Amounts the institution leaves out are taken as ours; amounts it gives must be ours."""
    if refd_type not in REFD_TYPES:
        raise GongjiError("GATEWAY_FIELD_INVALID", field="refdType", reason=Bi(
            "应为 ALL、HI 或 CASH", "must be ALL, HI or CASH"))
    if refd_type != "ALL":
        raise GongjiError("REFUND_TYPE_UNSUPPORTED", refd_type=refd_type,
                          kind=REFD_TYPES[refd_type])
    for name, given, ours in (("totlRefdAmt", asked.total, due.total),
                              ("fundRefdAmt", asked.fund, due.fund),
                              ("psnAcctRefdAmt", asked.acct, due.acct),
                              ("cashRefdAmt", asked.cash, due.cash)):
        if given >= 0 and given != ours:
            raise GongjiError("REFUND_AMOUNT_MISMATCH", field=name, given=format_yuan(given),
                              due=format_yuan(ours), what=Bi(
                                  "所退明细" if partial else "整单",
                                  "the lines refunded" if partial else "the whole order"))


# -- the institution-started authorization (医保移动支付 from an institution's page) ------------
#
# An institution sends the person's browser to gongji's GET /pay/authorize with its order in
# the query: fixmedins_code, med_org_ord, items, fee_sumamt, return_url, state and sig. sig is
# lower-case hex HMAC-SHA256, under the institution's pay key, over the canonical string
# `auth_canonical` builds from those six values exactly as sent. The person confirms with
# their own PIN; gongji sends the browser back (303) to return_url with payAuthNo, state,
# medOrgOrd and gongji's own sig over `return_canonical`, under the same key, so the
# institution can tell a real return from a forged one.

AUTH_FIELDS = ("fixmedins_code", "med_org_ord", "items", "fee_sumamt", "return_url", "state")
"""The signed parameters of an authorization request, in the canonical string's order."""
AUTH_PREFIX = "gongji-pay-authorize-v1"
RETURN_PREFIX = "gongji-pay-return-v1"
STATE_MAX = 128
RETURN_URL_MAX = 500
ITEMS_MAX = 50


def auth_canonical(params: Mapping[str, str]) -> str:
    """The string an authorization request's sig covers: the prefix, then one `name=value`
    line per field of AUTH_FIELDS in that order (a missing field is empty), joined by "\\n".
    Values are taken exactly as sent (no trimming, no re-formatting of amounts)."""
    return "\n".join([AUTH_PREFIX, *(f"{k}={params.get(k, '')}" for k in AUTH_FIELDS)])


def return_canonical(pay_auth_no: str, state: str, med_org_ord: str) -> str:
    """The string gongji's sig on the return covers."""
    return "\n".join([RETURN_PREFIX, f"payAuthNo={pay_auth_no}", f"state={state}",
                      f"medOrgOrd={med_org_ord}"])


def hmac_hex(key: str, text: str) -> str:
    return hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()


def sign_auth(key: str, params: Mapping[str, str]) -> str:
    return hmac_hex(key, auth_canonical(params))


def verify_auth(key: str, params: Mapping[str, str], sig: str) -> bool:
    """True when sig is the request's signature under this key (constant-time compare)."""
    try:
        return hmac.compare_digest(sign_auth(key, params), sig.strip().lower())
    except (TypeError, ValueError):  # a non-ASCII sig
        return False


def sign_return(key: str, pay_auth_no: str, state: str, med_org_ord: str) -> str:
    return hmac_hex(key, return_canonical(pay_auth_no, state, med_org_ord))


def verify_return(key: str, pay_auth_no: str, state: str, med_org_ord: str,
                  sig: str) -> bool:
    try:
        return hmac.compare_digest(sign_return(key, pay_auth_no, state, med_org_ord),
                                   sig.strip().lower())
    except (TypeError, ValueError):
        return False


def items_text(items: Iterable[tuple[str, str, str]]) -> str:
    """An order's items as the request carries them: `code*cnt*price` joined by ","."""
    return ",".join(f"{c}*{n}*{p}" for c, n, p in items)


_CODE = re.compile(r"[A-Za-z0-9]{1,50}")
_NUMBER = re.compile(r"\d{1,9}(\.\d{1,5})?")


def parse_items(text: str) -> tuple[tuple[str, str, str], ...]:
    """The items of a request: (code, cnt, price) text, each checked for shape only (the
    amounts are checked by the order's own rules). PAY_REQUEST_INVALID otherwise."""
    parts = [p for p in text.split(",")] if text else []
    if not parts or len(parts) > ITEMS_MAX:
        raise GongjiError("PAY_REQUEST_INVALID", field="items", reason=Bi(
            f"应为 1 至 {ITEMS_MAX} 项", f"1 to {ITEMS_MAX} items"))
    out = []
    for n, part in enumerate(parts, start=1):
        bits = part.split("*")
        if len(bits) != 3 or not _CODE.fullmatch(bits[0]) or not all(
                _NUMBER.fullmatch(b) for b in bits[1:]):
            raise GongjiError("PAY_REQUEST_INVALID", field="items", reason=Bi(
                f"第 {n} 项应为 编码*数量*单价", f"item {n} must be code*count*price"))
        out.append((bits[0], bits[1], bits[2]))
    return tuple(out)


def check_return_url(url: str) -> str:
    """Where the browser goes back to: a plain http(s) address with a host, no user or
    password in it, no spaces or control characters (PAY_RETURN_URL_INVALID)."""
    bad = GongjiError("PAY_RETURN_URL_INVALID")
    if not url or len(url) > RETURN_URL_MAX or any(ch.isspace() or ord(ch) < 32 or ch == "\\"
                                                   for ch in url):
        raise bad
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise bad from None
    if parts.scheme not in ("http", "https") or not host or not _NETLOC.fullmatch(
            parts.netloc):
        raise bad
    return url


_NETLOC = re.compile(r"(?:[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?")
"""A host name or an address, and a port: nothing else (no user, no password)."""


def check_state(state: str) -> str:
    if len(state) > STATE_MAX or not all(32 < ord(ch) < 127 for ch in state):
        raise GongjiError("PAY_REQUEST_INVALID", field="state", reason=Bi(
            f"至多 {STATE_MAX} 个可见 ASCII 字符", f"at most {STATE_MAX} visible ASCII characters"))
    return state
