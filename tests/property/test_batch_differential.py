"""The batch engine against the online engine: random claims settled both ways, every output
amount identical to the fen (and the same claims refused)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from gongji.domain import batch
from gongji.domain.benefits import CARE_TYPES, Benefits
from gongji.domain.catalog import CatalogItem
from gongji.domain.errors import GongjiError
from gongji.domain.policy import resolve
from gongji.domain.settlement import Accumulators, FeeLine, PersonFacts, Source, Visit, classify
from gongji.domain.settlement import settle as settle_online
from gongji.services.policy.service import shipped_documents


def _item(code: str, lv: str, prop: str, cap: int | None) -> CatalogItem:
    return CatalogItem(code, code, "201", "05", lv, Fraction(Decimal(prop)), cap, False, "",
                       "", date(2024, 1, 1), None)


CATALOG = {i.med_list_codg: i for i in (
    _item("A", "01", "0", None), _item("B10", "02", "0.10", 5000), _item("B15", "02", "0.15", None),
    _item("C", "03", "1", None))}
CODES = [*CATALOG, "UNLISTED"]

# a region of our own that uses every rule shape, with limits small enough to bind often
STRESS = Benefits.model_validate({
    "rules": [
        {"name": "门诊", "when": {"insutype": ["310", "390"], "care": ["outpatient", "pharmacy"]},
         "deductible": {"per": "year", "by_level": {"0": "50.00", "1": "80.00", "3": "200.00"}},
         "pay": {"bands": [{"upto": "300.00", "ratio": "0.5"}, {"upto": "200.00", "ratio": "0.9"},
                           {"upto": "900.00", "ratio": "0.6333"}, {"ratio": "0.7"}]},
         "retiree_plus": "0.1", "cap_group": "op"},
        {"name": "住院", "when": {"care": ["inpatient"], "levels": ["2", "3"]},
         "deductible": {"per": "stay", "share": {"ratio": "0.0333", "min": "100.00",
                                                 "max": "700.00"}, "later_stays": "0.5"},
         "pay": {"by_level": {"2": "0.855", "3": "0.8"}}, "retiree_plus": "0.25",
         "cap_group": "ip"},
        {"name": "住院一级", "when": {"care": ["inpatient"], "psn_types": ["1101", "1201"]},
         "deductible": {"per": "stay", "amount": "150.00", "later_stays": "0.3333"},
         "pay": {"ratio": "0.9"}, "cap_group": "ip"},
    ],
    "caps": {"op": "900.00", "ip": "30000.00"},
    "out_of_area": {"minus": {"referral": "0.1", "other_temporary": "0.15"},
                    "unfiled_in_province": "refuse"},
    "supplementary": {
        "390": {"fund": "hifmi", "deductible": "2000.00", "cap": "9000.00",
                "low_income_plus": "0.05", "care": ["inpatient", "outpatient", "chronic"],
                "bands": [{"upto": "5000.00", "ratio": "0.55"}, {"ratio": "0.7777"}]},
        "310": {"fund": "hifob", "deductible": "3000.00", "bands": [{"ratio": "0.8"}]}},
    "assistance": {"ratio": "0.7", "deductible": "100.00", "cap": "2000.00"},
    "account_pays_self_paid": True,
})


# a region whose rules target out-of-area care: across provinces, by filing kind, first or
# later stay, emergency; the first rule that fits, in this order, applies
TRAVEL = Benefits.model_validate({
    "rules": [
        {"name": "跨省急诊", "when": {"emergency": True, "cross_province": True},
         "pay": {"ratio": "0.7"}, "cap_group": "away"},
        {"name": "跨省首次住院", "when": {"care": ["inpatient"], "cross_province": True,
                                     "stay": "first"},
         "deductible": {"per": "stay", "share": {"ratio": "0.2", "min": "2000.00",
                                                 "max": "10000.00"}},
         "pay": {"by_level": {"1": "0.8", "2": "0.7", "3": "0.6"}}, "cap_group": "away"},
        {"name": "跨省再次住院", "when": {"care": ["inpatient"], "cross_province": True,
                                     "stay": "later"},
         "deductible": {"per": "stay", "amount": "500.00"}, "pay": {"ratio": "0.65"},
         "cap_group": "away"},
        {"name": "异地长期", "when": {"out_of_area": True,
                                   "filing": ["retiree_settled", "long_term_resident"]},
         "deductible": {"per": "year", "amount": "300.00"},
         "pay": {"bands": [{"upto": "2000.00", "ratio": "0.5"}, {"ratio": "0.75"}]},
         "cap_group": "home"},
        {"name": "省内未备案", "when": {"out_of_area": True, "filing": ["none"]},
         "deductible": {"per": "year", "amount": "800.00"}, "pay": {"ratio": "0.4"},
         "cap_group": "home"},
        {"name": "本地急诊", "when": {"emergency": True, "out_of_area": False},
         "pay": {"ratio": "0.9"}, "cap_group": "home"},
        {"name": "本地住院", "when": {"care": ["inpatient"], "out_of_area": False},
         "deductible": {"per": "stay", "by_level": {"1": "200.00", "2": "500.00",
                                                    "3": "800.00"}, "later_stays": "0.5"},
         "pay": {"ratio": "0.85"}, "retiree_plus": "0.05", "cap_group": "home"},
        {"name": "其他", "deductible": {"per": "year", "amount": "100.00"},
         "pay": {"ratio": "0.6"}, "cap_group": "home"},
    ],
    "caps": {"away": "20000.00", "home": "60000.00"},
    "out_of_area": {"unfiled": "reduce", "unfiled_in_province": "reduce"},
})


def _benefits() -> list[Benefits]:
    docs = shipped_documents()
    day = date(2026, 6, 1)
    return [resolve(docs, "510100", day).benefits, resolve(docs, "371500", day).benefits, STRESS,
            TRAVEL]


Claim = dict[str, object]


def _claims(seed: int, persons: int, shapes: int) -> tuple[list[Claim], dict[int, Claim]]:
    rnd = random.Random(seed)
    people: dict[int, dict[str, object]] = {}
    claims: list[dict[str, object]] = []
    for p in range(persons):
        insutype = rnd.choice(batch.INSUTYPES)
        psn_type = rnd.choice(["1101", "1201"] if insutype == "310" else ["1401", "1501"])
        people[p] = {"insutype": insutype, "psn_type": psn_type,
                     "own": rnd.choice([0, rnd.randint(0, 300_00), rnd.randint(0, 5000_00)])
                     if insutype == "310" else 0,
                     "family": rnd.choice([0, 0, rnd.randint(0, 2000_00)]),
                     "assistance": rnd.random() < 0.2, "low_income": rnd.random() < 0.2,
                     # 大病保险 incentives: the supplementary cap raised (both engines)
                     "supp_plus": rnd.choice([0, 0, 1000_00, 3000_00, rnd.randint(1, 5000_00)])}
        for _ in range(rnd.randint(1, 14)):
            care = rnd.choices(CARE_TYPES, weights=[5, 2, 4, 1])[0]
            big = care in ("inpatient", "chronic")
            lines = []
            for n in range(rnd.randint(1, 4)):
                cnt = Decimal(rnd.choice(["1", "2", "3", "0.5"]))
                pric = Decimal(rnd.randint(1, 2_000_000 if big else 40_000)) / 100
                fee = int((cnt * pric * 100).quantize(Decimal(1), rounding="ROUND_HALF_UP"))
                lines.append(FeeLine(str(n), rnd.choice(CODES), cnt, pric, fee))
            out = rnd.random() < 0.3
            cross = out and rnd.random() < 0.5
            claims.append({
                "person": p, "group": p * 2 + (rnd.random() < 0.3), "lines": lines,
                "policy": rnd.randrange(shapes), "care": care, "level": rnd.choice("0123"),
                "out_of_area": out,
                "filing": rnd.choice([None, "referral", "emergency", "other_temporary",
                                      "long_term_resident"]) if out else None,
                "cross": cross, "emergency": rnd.random() < 0.15,
                "acct_used": rnd.random() < 0.9})
    return claims, people


def _online(claims: list[dict[str, object]], people: dict[int, dict[str, object]],
            benefits: list[Benefits]
            ) -> tuple[dict[str, list[int]], list[bool], list[bool], set[str]]:
    acc: dict[object, Accumulators] = defaultdict(Accumulators)
    stays: dict[object, int] = defaultdict(int)
    own = {p: int(v["own"]) for p, v in people.items()}  # type: ignore[call-overload]
    fam = {p: int(v["family"]) for p, v in people.items()}  # type: ignore[call-overload]
    got: dict[str, list[int]] = {k: [] for k in batch.OUTPUTS}
    refused, first = [], []
    applied: set[str] = set()
    for c in claims:
        who = people[c["person"]]  # type: ignore[index]
        is_first = c["care"] == "inpatient" and stays[c["group"]] == 0
        first.append(is_first)
        person = PersonFacts(who["insutype"], who["psn_type"],  # type: ignore[arg-type]
                             assistance_eligible=who["assistance"],  # type: ignore[arg-type]
                             low_income=who["low_income"],  # type: ignore[arg-type]
                             supp_plus=who["supp_plus"])  # type: ignore[arg-type]
        visit = Visit(c["care"], c["level"], date(2026, 6, 1), c["out_of_area"],  # type: ignore[arg-type]
                      c["filing"], is_first, cross_province=c["cross"],  # type: ignore[arg-type]
                      emergency=c["emergency"])  # type: ignore[arg-type]
        p = c["person"]
        sources = [Source("own", None, own[p]), Source("family", "S", fam[p])]  # type: ignore[index]
        try:
            r = settle_online(c["lines"], CATALOG, visit, person,  # type: ignore[arg-type]
                              benefits[c["policy"]], acc[c["group"]], sources,  # type: ignore[index]
                              acct_used=c["acct_used"])  # type: ignore[arg-type]
        except GongjiError as e:
            assert e.code == "OUT_OF_AREA_NOT_FILED"
            refused.append(True)
            for k in batch.OUTPUTS:
                got[k].append(-1)
            continue
        refused.append(False)
        applied.add(r.rule)
        if c["care"] == "inpatient":
            stays[c["group"]] += 1
        a = acc[c["group"]]
        for k, v in r.year_deltas.items():
            a.year[k] = a.year.get(k, 0) + v
        own[p] -= r.acct_pay  # type: ignore[index]
        fam[p] -= r.acct_mulaid_pay  # type: ignore[index]
        for k in batch.OUTPUTS:
            got[k].append(getattr(r, k))
    return got, refused, first, applied


def _batch_claims(claims: list[dict[str, object]], people: dict[int, dict[str, object]],
                  first: list[bool]) -> batch.Claims:
    psn_types = ("1101", "1201", "1401", "1501")
    sums = [[classify(ln, CATALOG.get(ln.med_list_codg)) for ln in c["lines"]]  # type: ignore[attr-defined]
            for c in claims]

    def col(values: list[object], dtype: object = np.int64) -> np.ndarray:  # type: ignore[type-arg]
        return np.array(values, dtype=dtype)  # type: ignore[call-overload]

    def who(c: dict[str, object], k: str) -> object:
        return people[c["person"]][k]  # type: ignore[index]

    return batch.Claims(
        person=col([c["person"] for c in claims]), group=col([c["group"] for c in claims]),
        policy=col([c["policy"] for c in claims]),
        insutype=col([batch.INSUTYPES.index(who(c, "insutype")) for c in claims]),  # type: ignore[arg-type]
        psn_type=col([psn_types.index(who(c, "psn_type")) for c in claims]),  # type: ignore[arg-type]
        care=col([CARE_TYPES.index(c["care"]) for c in claims]),  # type: ignore[arg-type]
        level=col([int(c["level"]) for c in claims]),  # type: ignore[call-overload]
        out_of_area=col([c["out_of_area"] for c in claims], np.bool_),
        filing=col([batch.FILINGS.index(c["filing"]) for c in claims]),
        first_stay=col(first, np.bool_),  # type: ignore[arg-type]
        medfee_sumamt=col([sum(x.det_item_fee_sumamt for x in s) for s in sums]),
        fulamt_ownpay_amt=col([sum(x.fulamt_ownpay_amt for x in s) for s in sums]),
        overlmt_selfpay=col([sum(x.overlmt_amt for x in s) for s in sums]),
        preselfpay_amt=col([sum(x.preselfpay_amt for x in s) for s in sums]),
        acct_used=col([c["acct_used"] for c in claims], np.bool_),
        assistance=col([who(c, "assistance") for c in claims], np.bool_),
        low_income=col([who(c, "low_income") for c in claims], np.bool_),
        own_balance=col([people[p]["own"] for p in sorted(people)]),
        mulaid_balance=col([people[p]["family"] for p in sorted(people)]),
        psn_types=psn_types, cross_province=col([c["cross"] for c in claims], np.bool_),
        emergency=col([c["emergency"] for c in claims], np.bool_),
        supp_plus=col([who(c, "supp_plus") for c in claims]))


@pytest.mark.parametrize(("seed", "persons", "shapes", "chunk"),
                         [(20261124, 1600, 3, batch.CHUNK), (7, 400, 3, 257), (11, 800, 2, 999),
                          (5, 800, 4, 333)])
def test_batch_equals_online_to_the_fen(seed: int, persons: int, shapes: int, chunk: int,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """shapes 2: the shipped policies only (flat ratios: the engine's one-segment path);
    3: with STRESS (bands in the pooled fund: the general path; refusals in the province);
    4: with TRAVEL (rules chosen by out of area, province, filing, stay and emergency). The
    shipped policies refuse unfiled care across provinces. A small chunk makes the engine
    work through many chunks of whole persons."""
    monkeypatch.setattr(batch, "CHUNK", chunk)
    claims, people = _claims(seed, persons, shapes)
    if seed == 7:  # interleave persons: the replay order is each person's own order
        random.Random(seed).shuffle(claims)
    benefits = _benefits()[:shapes]
    online, refused, first, applied = _online(claims, people, benefits)
    if shapes == 4:  # every rule of TRAVEL was chosen somewhere
        assert {r.name for r in TRAVEL.rules} <= applied
    out = batch.settle_batch(_batch_claims(claims, people, first), benefits)
    if seed == 20261124:
        assert len(claims) >= 10_000
    assert out.refused.tolist() == refused
    assert 0 < sum(refused) < len(claims) // 2
    ok = ~out.refused
    for name in batch.OUTPUTS:
        expected = np.array(online[name])[ok]
        mismatch = np.flatnonzero(out[name][ok] != expected)
        assert mismatch.size == 0, (name, mismatch[:5], out[name][ok][mismatch[:5]],
                                    expected[mismatch[:5]])
    # the rules were exercised, not skirted: caps bind, layers pay, family money is used
    for name in ("hifp_pay", "hifmi_pay", "hifob_pay" if shapes == 3 else "hifp_pay", "maf_pay",
                 "acct_pay", "acct_mulaid_pay", "act_pay_dedc", "psn_cash_pay"):
        assert out[name][ok].sum() > 0, name
    # refused claims: nothing from the funds or accounts, all cash
    assert (out["psn_cash_pay"][out.refused] ==
            _batch_claims(claims, people, first).medfee_sumamt[out.refused]).all()
