"""收支明细: every movement of the accounts a person holds or gave, with its cause in words
and the balance after it, a month at a time (Shanghai time), newest first."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from gongji.domain.access import Act, Principal
from gongji.domain.clock import SHANGHAI, aware
from gongji.domain.errors import Bi, GongjiError
from gongji.domain.privacy import mask_name
from gongji.ledger.kinds import AccountKind, account_code
from gongji.ledger.model import Account
from gongji.services.access import authorize
from gongji.services.door import door
from gongji.services.institutions import service as institutions
from gongji.services.people import service as people
from gongji.services.runtime import Gongji
from gongji.services.settlement import service as settlements
from gongji.services.statement import store
from gongji.services.statement.model import (
    PERSONAL,
    QUOTA_GIVEN,
    QUOTA_HELD,
    Book,
    GivenQuota,
    Line,
    Statement,
)
from gongji.services.unit_of_work import UnitOfWork
from gongji.services.wallet import store as wallets

MONTH = re.compile(r"^(\d{4})-(\d{2})$")

INSUTYPE_NAMES = {"390": Bi("城乡居民医保", "resident insurance"),
                  "410": Bi("长期护理保险", "long-term care insurance")}


@door
def statement(app: Gongji, who: Principal, month: str | None = None,
              psn_no: str | None = None) -> Statement:
    """A person's statement (or a relative's, by an active proxy): one month, by default the
    latest with a movement."""
    def run(uow: UnitOfWork) -> Statement:
        if who.kind != "person":
            raise GongjiError("FORBIDDEN")
        subject = psn_no or who.id
        authorize(uow, who, Act.READ, subject)
        return statement_in(uow, subject, month)

    return app.read(run, principal=who)


def statement_in(uow: UnitOfWork, psn_no: str, month: str | None) -> Statement:
    names = _names(uow)
    accounts = _accounts(uow, psn_no)
    ids = [a.id for a, _, _ in accounts]
    start = _month_start(month) if month else _month_of(
        store.latest(uow.conn, ids) or uow.now)
    end = _next_month(start)
    later = store.moved_since(uow.conn, ids, end)
    rows = store.movements(uow.conn, ids, start, end)
    books: dict[str, Book] = {}
    for acc, kind, other in accounts:
        closing = acc.balance - later.get(acc.id, 0)
        moved = sum(r.amount for r in rows if r.account_id == acc.id)
        books[acc.id] = Book(kind, names(other) if other else None, acc.balance,
                             closing - moved, closing)
    after = {i: b.closing for i, b in books.items()}
    causes = _Causes(uow, psn_no, names)
    lines = []
    for r in rows:
        book = books[r.account_id]
        lines.append(Line(r.created_at, book, r.amount, after[r.account_id],
                          causes.of(r, book), r.entry_id))
        after[r.account_id] -= r.amount
    before = store.latest(uow.conn, ids, before=start)
    nxt = store.earliest_from(uow.conn, ids, end)
    return Statement(psn_no, names(psn_no), _label(start), tuple(books.values()),
                     tuple(lines), _label(_month_of(before)) if before else None,
                     _label(_month_of(nxt)) if nxt else None)


def given_in(uow: UnitOfWork, sponsor: str) -> list[GivenQuota]:
    """Quota this sponsor gave relatives and they have not spent nor been returned."""
    names = _names(uow)
    return [GivenQuota(names(a.owner or ""), a.balance)
            for a in (uow.ledger.account(i) for i in store.given(uow.conn, sponsor))
            if a.balance]


# -- the parts -------------------------------------------------------------------------------

def _accounts(uow: UnitOfWork, psn_no: str) -> list[tuple[Account, str, str | None]]:
    """(account, book kind, the other person) of every book on the person's statement."""
    out: list[tuple[Account, str, str | None]] = []
    own = uow.ledger.account_by_code(account_code(AccountKind.PERSONAL, owner=psn_no))
    if own is not None:
        out.append((own, PERSONAL, None))
    out += [(a, QUOTA_HELD, a.sponsor) for a in uow.ledger.list_accounts(
        kind=AccountKind.WALLET_QUOTA, owner=psn_no, limit=10_000) if a.sponsor]
    out += [(a, QUOTA_GIVEN, a.owner) for a in
            (uow.ledger.account(i) for i in store.given(uow.conn, psn_no))]
    return out


def _month_start(month: str) -> datetime:
    m = MONTH.match(month.strip())
    if m is None or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 2000:
        raise GongjiError("VALIDATION_ERROR", fields="month (YYYY-MM)")
    return datetime(int(m.group(1)), int(m.group(2)), 1, tzinfo=SHANGHAI)


def _month_of(at: datetime) -> datetime:
    local = aware(at)
    return datetime(local.year, local.month, 1, tzinfo=SHANGHAI)


def _next_month(start: datetime) -> datetime:
    y, m = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return datetime(y, m, 1, tzinfo=SHANGHAI)


def _label(start: datetime) -> str:
    return f"{start.year:04d}-{start.month:02d}"


def _names(uow: UnitOfWork) -> Callable[[str], str]:
    seen: dict[str, str] = {}

    def name(psn_no: str) -> str:
        if psn_no not in seen:
            seen[psn_no] = mask_name(people.person(uow.conn, psn_no).name)
        return seen[psn_no]

    return name


class _Causes:
    """Why each line moved, in words, from its entry's code and reference."""

    def __init__(self, uow: UnitOfWork, psn_no: str, names: Callable[[str], str]) -> None:
        self.uow, self.psn_no, self.names = uow, psn_no, names

    def of(self, r: store.Moved, book: Book) -> Bi:
        code = r.code
        if code.startswith("wallet.transfer"):
            return self._transfer(r, book)
        if code == "wallet.quota_return":
            return self._returned(r, book)
        if code in ("settlement", "settlement.cancel"):
            base = self._settlement(r.ext_ref or "")
            return _cancelled(base) if code.endswith(".cancel") else base
        if code.startswith("contribution."):
            return self._contribution(code.removeprefix("contribution."), r)
        if code == "account.credit":
            return Bi("个人账户划入", "credited to the personal account")
        if code in ("claim", "claim.cancel"):
            base = Bi("手工报销", "hand claim")
            return _cancelled(base) if code.endswith(".cancel") else base
        if code.endswith(".reversal"):
            return Bi("冲正", "reversal")
        return Bi(f"调账（{code}）", f"adjustment ({code})")

    def _who(self, psn_no: str) -> Bi:
        if psn_no == self.psn_no:
            return Bi("本人", "yourself")
        name = self.names(psn_no)
        return Bi(name, name)

    def _transfer(self, r: store.Moved, book: Book) -> Bi:
        t = store.transfer_of(self.uow.conn, r.ref_entry_id or r.entry_id)
        if t is None:
            return Bi("钱包转账", "wallet transfer")
        to, by = self._who(t.receiver_psn_no), self._who(t.sender_psn_no)
        if r.kind == "hold":
            return Bi(f"转账给 {to.zh}", f"transfer to {to.en}")
        if r.kind == "post" and book.kind == QUOTA_GIVEN:
            return Bi(f"{to.zh} 接收了你的转账，计入其共济额度",
                      f"{to.en} accepted your transfer into their quota")
        if r.kind == "post":
            return Bi(f"接收 {by.zh} 的转账", f"accepted the transfer from {by.en}")
        if r.kind == "expire":
            hm = aware(t.deadline).strftime("%H:%M")
            return Bi(f"给 {to.zh} 的转账未被接收，{hm} 退回",
                      f"transfer to {to.en} not accepted: returned at {hm}")
        why = {"rejected": Bi("对方拒收", "refused"), "cancelled": Bi("已撤回", "cancelled"),
               "unbound": Bi("共济关系解除", "binding ended")}.get(
            t.end_reason or "", Bi("已撤销", "voided"))
        return Bi(f"给 {to.zh} 的转账{why.zh}，退回", f"transfer to {to.en} {why.en}: returned")

    def _returned(self, r: store.Moved, book: Book) -> Bi:
        name = book.other_name_masked or ""
        if book.kind == PERSONAL:
            return Bi("未用完的共济额度退回", "unused quota returned")
        if book.kind == QUOTA_GIVEN:
            return Bi(f"给 {name} 的额度退回你的个人账户（共济关系解除或钱包关闭）",
                      f"quota given to {name} returned to you (binding ended or wallet closed)")
        wallet = wallets.wallet(self.uow.conn, self.psn_no)
        closed = wallet is not None and wallet.closed_at == r.created_at
        return Bi(f"钱包关闭，额度退回 {name}" if closed else f"共济关系解除，额度退回 {name}",
                  f"wallet closed: quota returned to {name}" if closed
                  else f"binding ended: quota returned to {name}")

    def _settlement(self, setl_id: str) -> Bi:
        try:
            s = settlements.view_in(self.uow, setl_id)
            place = institutions.get_in(
                self.uow, settlements.visit_in(self.uow, s.mdtrt_id).fixmedins_code
            ).fixmedins_name
        except GongjiError:
            return Bi("就医结算", "settlement")
        if s.psn_no == self.psn_no:
            return Bi(f"在 {place} 结算", f"settlement at {place}")
        name = self.names(s.psn_no)
        return Bi(f"亲属 {name} 在 {place} 结算", f"{name}'s settlement at {place}")

    def _contribution(self, insutype: str, r: store.Moved) -> Bi:
        kind = INSUTYPE_NAMES.get(insutype, Bi(f"险种 {insutype}", f"insutype {insutype}"))
        year = r.memo[:4] if r.memo[:4].isdigit() else ""
        who = self._who(r.ext_ref or self.psn_no)
        return Bi(f"为{who.zh}缴纳 {year} 年{kind.zh}",
                  f"{year} {kind.en} contribution for {who.en}")


def _cancelled(base: Bi) -> Bi:
    return Bi(f"撤销：{base.zh}", f"cancelled: {base.en}")
