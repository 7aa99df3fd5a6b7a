"""A small family for service and API tests, built through the services themselves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from itertools import count

from gongji.domain.certno import make_certno
from gongji.services.enrollment import service as enrollment
from gongji.services.family import service as family
from gongji.services.pins import service as pins
from gongji.services.runtime import Gongji
from gongji.services.unit_of_work import Principal
from gongji.services.wallet import service as wallet
from tests.conftest import OPERATOR

PIN = "135790"
_keys = count()


def key(prefix: str = "k") -> str:
    return f"{prefix}-{next(_keys)}"


@dataclass
class Member:
    name: str
    certno: str
    psn_no: str

    @property
    def who(self) -> Principal:
        return Principal("person", self.psn_no)


@dataclass
class Family:
    app: Gongji
    members: dict[str, Member] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Member:
        return self.members[name]

    def add(self, name: str, *, born: date, seq: int, insutype: str, psn_type: str,
            admdvs: str, credit: int = 0, pin: bool = True, phone: str = "13900000000",
            born_in: str = "510104") -> Member:
        certno = make_certno(born_in, born, seq)
        p = enrollment.register(self.app, OPERATOR, key("reg"),
                                enrollment.RegisterPerson(certno, name, phone)).value
        enrollment.enroll(self.app, OPERATOR, key("enr"), enrollment.Enroll(
            psn_no=p.psn_no, insutype=insutype, psn_type=psn_type, insuplc_admdvs=admdvs,
            begndate=date(2020, 1, 1)))
        if credit:
            enrollment.credit(self.app, OPERATOR, key("cr"),
                              enrollment.Credit(p.psn_no, credit))
        if pin:
            pins.set_pin(self.app, Principal("person", p.psn_no), key("pin"), p.psn_no, PIN)
        m = Member(name, certno, p.psn_no)
        self.members[name] = m
        return m

    def open_wallet(self, name: str) -> None:
        m = self[name]
        wallet.open_wallet(self.app, m.who, key("w"), m.psn_no)

    def bind(self, sponsor: str, beneficiary: str, relation: str) -> str:
        """sponsor asks, beneficiary consents; relation: what beneficiary is to sponsor."""
        s, b = self[sponsor], self[beneficiary]
        req = family.request(self.app, s.who, key("b"), family.RequestBinding(
            b.certno, b.name, "sponsor", relation)).value
        family.respond(self.app, b.who, key("c"), req.id, True)
        return req.id


def make_family(app: Gongji) -> Family:
    """张伟 (employee, Chengdu, 12,000 yuan) and his mother 李秀英 (resident, Nanyang, Henan),
    his wife 王芳 (employee, Chengdu), his sister 张丽 (employee, Guangzhou: no wallet yet),
    his son 张小宝 (a child, resident in Chengdu)."""
    f = Family(app)
    f.add("张伟", born=date(1990, 3, 7), seq=123, insutype="310", psn_type="1101",
          admdvs="510100", credit=12_000_00)
    f.add("李秀英", born=date(1964, 11, 2), seq=248, insutype="390", psn_type="1501",
          admdvs="411300", born_in="411302")
    f.add("王芳", born=date(1992, 8, 15), seq=246, insutype="310", psn_type="1101",
          admdvs="510100", credit=9_000_00)
    f.add("张丽", born=date(1994, 6, 30), seq=222, insutype="310", psn_type="1101",
          admdvs="440100", credit=8_000_00, born_in="440106")
    f.add("张小宝", born=date(2019, 9, 1), seq=357, insutype="390", psn_type="1401",
          admdvs="510100", pin=False)
    return f
