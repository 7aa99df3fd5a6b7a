"""What a counter (收费台) needs around settlement: whose credential this is (masked), the
defaults an institution's kind suggests, who paid the personal part, and a printable receipt.

Read-only: every write goes through services/settlement.py (purchase, cancel). Used by the
demo cashier pages (web/cashier.py); nothing here decides an amount.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select

from gongji.domain.clock import business_date
from gongji.services import catalog, people
from gongji.services import settlement as svc
from gongji.services.institutions import Institution, get_in
from gongji.services.runtime import Gongji
from gongji.services.unit_of_work import Principal, UnitOfWork
from gongji.store.tables import fee_details

Kind = Literal["hospital", "pharmacy"]

MED_TYPES: dict[Kind, tuple[str, ...]] = {"pharmacy": ("41",), "hospital": ("11", "13")}
"""What a counter settles at each kind of institution, the default first: a pharmacy sells
drugs (41 定点药店购药); a hospital's counter settles outpatient visits (11 普通门诊,
13 急诊). Chronic visits (14) need a recognised diagnosis and stays (21-28) admission and
discharge: a HIS does those through the national interface."""


def kind_of(inst: Institution) -> Kind:
    """Pharmacies are fixmedins_type 2 (their codes start with P)."""
    return "pharmacy" if inst.fixmedins_type == "2" else "hospital"


@dataclass(frozen=True, slots=True)
class Presenter:
    """Who presented a credential, as a counter may see it (checked, not used up)."""

    name_masked: str
    insutypes: tuple[str, ...]
    """The active enrollments' insutypes."""
    basic_insutype: str | None
    """The basic enrollment a visit defaults to (employee preferred), if any."""


def presenter(app: Gongji, who: Principal, cred: svc.Credential) -> Presenter:
    """1101 for a counter: an insurance code is checked, not used up."""
    def run(uow: UnitOfWork) -> Presenter:
        info = svc.person_info(uow, who, cred)
        basic = people.basic_enrollment(uow.conn, info.psn_no)
        p = people.person(uow.conn, info.psn_no)
        return Presenter(p.masked.name_masked,
                         tuple(e.insutype for e in info.enrollments if e.status == "active"),
                         basic.insutype if basic else None)

    return app.read(run, principal=who)


@dataclass(frozen=True, slots=True)
class Payer:
    """Where part of the personal burden came from: own account, a family member's account
    (家庭共济, sponsor masked), a sponsor's wallet quota, or cash at the counter."""

    kind: str
    """own, family, quota, cash."""
    sponsor_masked: str | None
    amount: int


def payers(app: Gongji, view: svc.SettlementView) -> tuple[Payer, ...]:
    def run(uow: UnitOfWork) -> tuple[Payer, ...]:
        out = [Payer(p.kind, _masked(uow, p.sponsor), p.amount)
               for p in view.payments if p.amount]
        if view.psn_cash_pay:
            out.append(Payer("cash", None, view.psn_cash_pay))
        return tuple(out)

    return app.read(run)


def _masked(uow: UnitOfWork, psn_no: str | None) -> str | None:
    return None if psn_no is None else people.person(uow.conn, psn_no).masked.name_masked


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    line: svc.LineView
    cnt: str
    pric: str
    trace_codes: tuple[str, ...]
    unit: str | None


@dataclass(frozen=True, slots=True)
class Receipt:
    settlement: svc.SettlementView
    institution: Institution
    lines: tuple[ReceiptLine, ...]
    payers: tuple[Payer, ...]


def receipt(app: Gongji, who: Principal, setl_id: str) -> Receipt:
    """A settlement as the institution that made it prints it: the national amounts, each fee
    line with its quantity, price and trace codes, and who paid the personal part. Another
    institution (or a missing id) gets SETTLEMENT_NOT_FOUND."""
    view = svc.get(app, who, setl_id)

    def run(uow: UnitOfWork) -> Receipt:
        inst = get_in(uow, who.id)
        rows = {r.feedetl_sn: r for r in uow.conn.execute(select(
            fee_details.c.feedetl_sn, fee_details.c.cnt, fee_details.c.pric,
            fee_details.c.trace_codes).where(fee_details.c.mdtrt_id == view.mdtrt_id))}
        items = catalog.lookup(uow, view.clr_optins, [x.med_list_codg for x in view.lines],
                               business_date(view.setl_time))
        lines = []
        for x in view.lines:
            r = rows.get(x.feedetl_sn)
            item = items.get(x.med_list_codg)
            lines.append(ReceiptLine(x, r.cnt if r else "", r.pric if r else "",
                                     tuple(_codes(r.trace_codes)) if r else (),
                                     item.unit if item else None))
        return Receipt(view, inst, tuple(lines), ())

    got = app.read(run, principal=who)
    return Receipt(got.settlement, got.institution, got.lines, payers(app, view))


def _codes(raw: str | None) -> list[str]:
    return [str(c) for c in json.loads(raw or "[]")]
