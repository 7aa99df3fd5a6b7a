"""For an institution's web shop: send the person to gongji to authorize an order with 医保
(the mini-program pattern), and check the return.

    url = authorize_url("https://gongji.example", pay_key, fixmedins_code="P41130000002",
                        med_org_ord="ORD-1", items=[("XR06AXA040A001010191448", "2", "8.60")],
                        fee_sumamt="17.20", return_url="https://shop.example/back",
                        state="c0ffee")
    # ... the browser comes back to return_url?payAuthNo=...&state=...&medOrgOrd=...&sig=...
    if returned_ok(pay_key, request.query): upload (6201) with payAuthNo

The pay key is the institution's (gongji shows it to the institution; the same key checks its
notifications). The canonical strings are gongji.domain.mobilepay's auth_canonical and
return_canonical.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlencode

from gongji.domain.mobilepay import items_text, sign_auth, verify_return


def authorize_params(key: str, *, fixmedins_code: str, med_org_ord: str,
                     items: Iterable[tuple[str, str, str]], fee_sumamt: str,
                     return_url: str, state: str) -> dict[str, str]:
    """The query of GET /pay/authorize, signed (items: (code, count, price) as text)."""
    params = {"fixmedins_code": fixmedins_code, "med_org_ord": med_org_ord,
              "items": items_text(items), "fee_sumamt": fee_sumamt,
              "return_url": return_url, "state": state}
    return {**params, "sig": sign_auth(key, params)}


def authorize_url(base: str, key: str, **order: object) -> str:
    """The address to send the person's browser to (base: gongji's, e.g. https://host)."""
    params = authorize_params(key, **order)  # type: ignore[arg-type]
    return f"{base.rstrip('/')}/pay/authorize?{urlencode(params)}"


def returned_ok(key: str, query: Mapping[str, str], med_org_ord: str | None = None) -> bool:
    """True when the return's sig is gongji's over payAuthNo, state and medOrgOrd (and, when
    given, medOrgOrd is the order the institution sent)."""
    ord_no = query.get("medOrgOrd", "")
    if med_org_ord is not None and ord_no != med_org_ord:
        return False
    return verify_return(key, query.get("payAuthNo", ""), query.get("state", ""), ord_no,
                         query.get("sig", ""))
