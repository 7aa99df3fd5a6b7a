"""The settlement engine for many claims at once: the rules of domain/settlement.py, vectorised.

A what-if simulation replays millions of claims under a policy. The online engine settles one
visit in Python; this one settles the k-th claim of every person together, as numpy arrays,
for k = 0, 1, 2, ... So each person's claims still run in their order, one after the other,
with the year's accumulators (deductible used, cumulative base and payment of each layer) and
the account balances carried between them exactly as the online engine carries them, while the
arithmetic of a step runs over every person at once. Persons are independent, so the claims
are taken in chunks of whole persons (CHUNK), which keeps every temporary array small. The
result is the same to the fen: a differential test (tests/property/test_batch_differential.py)
settles random claims both ways.

What a claim is here: one visit (or a whole stay) after its lines were classified by the care
region's catalog, i.e. the setlinfo's medfee_sumamt, fulamt_ownpay_amt, overlmt_selfpay and
preselfpay_amt (the catalog is the care region's and not part of a benefits policy, so a
what-if on benefits starts from classified amounts). Then, for the insured region's Benefits:
the pooled fund (deductible per year or per stay, flat, by-level or banded ratios with plus and
minus points, annual caps per cap group), the supplementary layer (its cap raised by the
person's incentives, Claims.supp_plus), medical assistance, and the personal burden paid from
the person's own account, then family (mutual-aid) money, then cash.

Every layer is a piecewise linear F over the year's cumulative amount, held as segments
(lo, hi, ratio x 10^4): a flat ratio is one segment from 0, bands are consecutive segments
(built by the same skipping rule as benefits.banded), assistance is one segment from its
deductible. A payment is round(F(before + this)) - round(F(before)), rounded half up, at most
what the cap leaves: the same formula as settlement._layer, in integers.

Amounts are int64 fen times ratios in 1/10,000: a person's year of claims must stay below
about 9 x 10^14 fen (services/simulate.py refuses files past 10^12 fen per person and year).

Each claim settles as a whole stay (no mid-stay settlements); a claim out of area without a
filing, where the region refuses direct settlement, is marked refused (the online engine raises
OUT_OF_AREA_NOT_FILED): no fund pays, nothing accumulates, the person pays it all in cash.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt

from gongji.domain.benefits import CARE_TYPES, FILING_KINDS, LEVELS, Benefits, Rule, clamp
from gongji.domain.settlement import LONG_TERM

I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]

SCALE = 10_000
"""Ratios have at most four decimals (benefits.Ratio), so every ratio, after plus and minus
points, is an exact integer count of 1/10,000."""
INF = 2**62
"""A band or a cap without an end."""
CHUNK = 1 << 16
"""Claims settled together (rounded up to whole persons): small enough that the temporaries
of one chunk stay in cache and are reused by the next instead of fresh memory each time."""
INSUTYPES = ("310", "390")
FILINGS = (None, *FILING_KINDS)
"""filing index 0: no filing."""

_FACTS = ("emergency", "stay")
"""The `when` keys beyond the claim's place in the out-of-area rules: where a policy's rules
name none, its rule table is the same along that axis (filled once)."""

OUTPUTS = ("inscp_scp_amt", "act_pay_dedc", "hifp_pay", "hifmi_pay", "hifob_pay", "maf_pay",
           "fund_pay_sumamt", "psn_part_amt", "acct_pay", "acct_mulaid_pay", "psn_cash_pay")


@dataclass(frozen=True)
class Claims:
    """Claims as columns (one entry per claim, in replay order for each person)."""

    person: I64
    """Index of the person (0..persons-1): whose balances pay."""
    group: I64
    """Index of the accumulator key (person, insutype, year): whose deductible and layers."""
    policy: I64
    """Index into the list of Benefits (the insured region's, on the claim's day)."""
    insutype: I64
    """Index into INSUTYPES."""
    psn_type: I64
    """Index into `psn_types`."""
    care: I64
    """Index into benefits.CARE_TYPES."""
    level: I64
    """Index into benefits.LEVELS (the institution's level "0"-"3")."""
    out_of_area: Bool
    filing: I64
    """Index into FILINGS (0: none)."""
    first_stay: Bool
    medfee_sumamt: I64
    fulamt_ownpay_amt: I64
    overlmt_selfpay: I64
    preselfpay_amt: I64
    acct_used: Bool
    assistance: Bool
    low_income: Bool
    own_balance: I64
    """Per person: the own personal account's balance before the first claim."""
    mulaid_balance: I64
    """Per person: family money (same-province sponsors' accounts and wallet quota) before the
    first claim."""
    psn_types: tuple[str, ...] = ("1101", "1201", "1401", "1501")
    cross_province: Bool | None = None
    """Out of area in another province (None: none is)."""
    emergency: Bool | None = None
    """An emergency visit, med_type 13 (None: none is)."""
    supp_plus: I64 | None = None
    """The raise of the supplementary layer's annual cap for the claim's person and year, fen
    (settlement.PersonFacts.supp_plus: 大病保险 incentives; None: none has one)."""

    def __len__(self) -> int:
        return int(self.medfee_sumamt.shape[0])


@dataclass
class Outcome:
    """Per claim, in the claims' order: the setlinfo amounts (fen) and whether it was refused
    (out of area without filing where the region refuses: all cash)."""

    columns: dict[str, I64]
    refused: Bool
    steps: int = 0
    """The most claims of one person (the engine's sequential depth)."""

    def __getitem__(self, name: str) -> I64:
        return self.columns[name]


# -- rule tables -------------------------------------------------------------------------------

def segments(start: int, bands: Sequence[tuple[int | None, Fraction]]
             ) -> list[tuple[int, int, int]]:
    """(lo, hi, ratio x 10^4) for benefits.banded(x, start, bands): bands ending at or before
    the running start are skipped, an open band ends the list."""
    out: list[tuple[int, int, int]] = []
    lo = start
    for hi, ratio in bands:
        if hi is not None and hi <= lo:
            continue
        out.append((lo, INF if hi is None else hi, _scaled(ratio)))
        if hi is None:
            break
        lo = hi
    return out


def _scaled(ratio: Fraction) -> int:
    scaled = ratio * SCALE
    if scaled.denominator != 1:  # pragma: no cover - benefits.Ratio allows 4 decimals
        raise ValueError(f"ratio {ratio} has more than four decimals")
    return int(scaled)


def minus_of(b: Benefits, out_of_area: bool, filing: str | None, *,
             cross_province: bool = False) -> Fraction | None:
    """settlement._minus as a value; None where direct settlement is refused."""
    if not out_of_area:
        return Fraction(0)
    rules = b.out_of_area
    if filing is None:
        mode = rules.unfiled if cross_province else rules.unfiled_in_province
        return None if mode == "refuse" else Fraction(rules.unfiled_minus)
    if filing in LONG_TERM:
        return Fraction(0)
    return Fraction(rules.minus.get(filing, 0))


def rule_of(b: Benefits, insutype: str, care: str, level: str, psn_type: str, *,
            out_of_area: bool = False, cross_province: bool = False,
            filing: str | None = None, first_stay: bool = True,
            emergency: bool = False) -> int:
    """settlement._rule as an index (-1: no rule): the first rule whose `when` fits."""
    for i, r in enumerate(b.rules):
        if r.when.fits(insutype=insutype, psn_type=psn_type, care=care, level=level,
                       out_of_area=out_of_area, cross_province=cross_province,
                       filing=filing if out_of_area else None, first_stay=first_stay,
                       emergency=emergency):
            return i
    return -1


class _Layers:
    """Parameters of every distinct layer (pool rule x level x person kind x minus points,
    supplementary, assistance), each a row of the tables the vectorised steps gather from."""

    def __init__(self) -> None:
        self.keys: dict[tuple[object, ...], int] = {}
        self.segs: list[list[tuple[int, int, int]]] = []
        self.cap: list[int] = []
        self.cap_group: list[int] = []
        self.ded_kind: list[int] = []
        """0 per year, 1 per stay fixed, 2 per stay as a share."""
        self.ded_amount: list[int] = []
        self.share: list[tuple[int, int, int]] = []
        self.later: list[int] = []
        self.fund: list[int] = []
        """supplementary: 0 hifmi, 1 hifob."""
        self.cap_groups: dict[str, int] = {}

    def add(self, key: tuple[object, ...], make: Callable[[], dict[str, object]]) -> int:
        """The row of this layer, made by `make()` the first time the key is seen."""
        if key in self.keys:
            return self.keys[key]
        p = make()
        self.keys[key] = len(self.segs)
        self.segs.append(p["segs"])  # type: ignore[arg-type]
        self.cap.append(p.get("cap", INF))  # type: ignore[arg-type]
        self.cap_group.append(self.cap_groups.setdefault(str(p.get("cap_group", "")),
                                                         len(self.cap_groups)))
        self.ded_kind.append(p.get("ded_kind", 0))  # type: ignore[arg-type]
        self.ded_amount.append(p.get("ded_amount", 0))  # type: ignore[arg-type]
        self.share.append(p.get("share", (0, 0, INF)))  # type: ignore[arg-type]
        self.later.append(p.get("later", -1))  # type: ignore[arg-type]
        self.fund.append(p.get("fund", 0))  # type: ignore[arg-type]
        return self.keys[key]

    def tables(self) -> dict[str, npt.NDArray[np.int64]]:
        width = max([1, *(len(s) for s in self.segs)])
        n = max(1, len(self.segs))
        lo = np.zeros((n, width), np.int64)
        hi = np.zeros((n, width), np.int64)
        r = np.zeros((n, width), np.int64)
        for i, segs in enumerate(self.segs):
            for j, (a, b, c) in enumerate(segs):
                lo[i, j], hi[i, j], r[i, j] = a, b, c

        def col(values: list[int]) -> npt.NDArray[np.int64]:
            return np.array(values or [0], np.int64)

        share = np.array(self.share or [(0, 0, INF)], np.int64).reshape(-1, 3)
        return {"lo": lo, "hi": hi, "r": r, "cap": col(self.cap),
                "cap_group": col(self.cap_group), "ded_kind": col(self.ded_kind),
                "ded_amount": col(self.ded_amount), "share_ratio": share[:, 0],
                "share_min": share[:, 1], "share_max": share[:, 2], "later": col(self.later),
                "fund": col(self.fund)}


def _pool_params(b: Benefits, rule: Rule, level: str, retired: bool, minus: Fraction
                 ) -> dict[str, object]:
    d = rule.deductible
    plus = Fraction(rule.retiree_plus) if retired else Fraction(0)
    if rule.pay.bands is not None:
        bands = tuple((x.upto, clamp(Fraction(x.ratio) + plus - minus)) for x in rule.pay.bands)
        segs = segments(0, bands)
    else:
        base = rule.pay.ratio if rule.pay.ratio is not None else \
            (rule.pay.by_level or {}).get(level)
        segs = segments(0, ((None, clamp(Fraction(base or 0) + plus - minus)),))
    amount = d.amount if d.amount is not None else (d.by_level or {}).get(level, 0)
    p: dict[str, object] = {"segs": segs, "cap": b.caps.get(rule.cap_group, INF),
                            "cap_group": rule.cap_group, "ded_amount": amount}
    if d.per == "year":
        p["ded_kind"] = 0
    elif d.share is not None:
        p["ded_kind"] = 2
        p["share"] = (_scaled(Fraction(d.share.ratio)), d.share.min,
                      INF if d.share.max is None else d.share.max)
    else:
        p["ded_kind"] = 1
    if d.later_stays is not None:
        p["later"] = _scaled(Fraction(d.later_stays))
    return p


# -- integer arithmetic ------------------------------------------------------------------------

def _round_ratio(x: I64, ratio: I64) -> I64:
    """apply_ratio(x, ratio / 10^4) for x >= 0: half up."""
    return (x * ratio + SCALE // 2) // SCALE


def _rounded_f(x: I64, lo: I64, hi: I64, r: I64) -> I64:
    """round(F(x)), F piecewise linear over the segments (rows of lo, hi, r)."""
    seg = np.minimum(x[:, None], hi) - lo
    np.maximum(seg, 0, out=seg)
    return ((seg * r).sum(axis=1) + SCALE // 2) // SCALE  # type: ignore[no-any-return]


def _layer(before: I64, this: I64, lo: I64, hi: I64, r: I64, cap: I64, paid: I64) -> I64:
    pay = _rounded_f(before + this, lo, hi, r) - _rounded_f(before, lo, hi, r)
    return np.maximum(np.minimum(pay, cap - paid), 0)  # type: ignore[no-any-return]


# -- the engine --------------------------------------------------------------------------------

def settle_batch(claims: Claims, benefits: Sequence[Benefits], *,
                 progress: Callable[[int], None] | None = None) -> Outcome:
    """Settle every claim under benefits[claims.policy]; amounts in fen, as the online engine
    would give them settling each person's claims in order from empty accumulators."""
    c = claims
    n = len(c)
    layers, supps, mafs = _Layers(), _Layers(), _Layers()
    n_psn = len(c.psn_types)
    n_pol = len(benefits)
    n_where = 1 + len(FILINGS)
    """where a claim stands among the out-of-area rules: 0 in area, 1 + filing index."""
    pool_t = np.full((n_pol, len(INSUTYPES), len(CARE_TYPES), len(LEVELS), n_psn, n_where,
                      2, 2, 2), -1, np.int64)
    """... x where x cross-province x emergency x first stay."""
    supp_t = np.full((n_pol, len(INSUTYPES), len(CARE_TYPES), 2), -1, np.int64)
    refuse_t = np.zeros((n_pol, n_where, 2), np.bool_)
    maf_t = np.full(n_pol, -1, np.int64)
    self_paid_t = np.zeros(n_pol, np.bool_)
    for bi in (np.unique(c.policy).tolist() if n else []):
        b = benefits[bi]
        self_paid_t[bi] = b.account_pays_self_paid
        used = {k for r in b.rules for k in _FACTS if getattr(r.when, k) is not None}
        emerg = (False, True) if "emergency" in used else (None,)
        stays = (False, True) if "stay" in used else (None,)
        for w in range(n_where):
            filing = FILINGS[w - 1] if w > 0 else None
            for x in (False, True) if w > 0 else (None,):
                m = minus_of(b, w > 0, filing, cross_province=bool(x))
                at_x: int | slice = slice(None) if x is None else int(x)
                refuse_t[bi, w, at_x] = m is None
                if m is None:
                    continue
                for (it, ins), (ct, care), (lv, level), (pt, psn), e, f in itertools.product(
                        enumerate(INSUTYPES), enumerate(CARE_TYPES), enumerate(LEVELS),
                        enumerate(c.psn_types), emerg, stays):
                    ri = rule_of(b, ins, care, level, psn, out_of_area=w > 0,
                                 cross_province=bool(x), filing=filing,
                                 first_stay=f is not False, emergency=bool(e))
                    if ri < 0:
                        continue
                    pool_t[bi, it, ct, lv, pt, w, at_x, slice(None) if e is None else int(e),
                           slice(None) if f is None else int(f)] = layers.add(
                        ("pool", bi, ri, level, psn == "1201", m),
                        partial(_pool_params, b, b.rules[ri], level, psn == "1201", m))
        for it, ins in enumerate(INSUTYPES):
            supp = b.supplementary.get(ins)
            if supp is None:
                continue
            for ct, care in enumerate(CARE_TYPES):
                if care not in supp.care:
                    continue
                for low in (0, 1):
                    plus = Fraction(supp.low_income_plus) if low else Fraction(0)
                    bands = tuple((x.upto, clamp(Fraction(x.ratio) + plus)) for x in supp.bands)
                    supp_t[bi, it, ct, low] = supps.add(("supp", bi, ins, low), partial(
                        dict, segs=segments(supp.deductible, bands),
                        cap=INF if supp.cap is None else supp.cap,
                        fund=0 if supp.fund == "hifmi" else 1))
        a = b.assistance
        if a is not None:
            maf_t[bi] = mafs.add(("maf", bi), partial(
                dict, segs=segments(a.deductible, ((None, Fraction(a.ratio)),)),
                cap=INF if a.cap is None else a.cap))
    t, ts, tm = layers.tables(), supps.tables(), mafs.tables()
    n_cg = max(1, len(layers.cap_groups))
    n_groups = int(c.group.max()) + 1 if n else 0
    dummy = n_groups * n_cg
    """Rows without a pool rule read and write a spare slot: they add nothing (0 eligible)."""
    flat = t["lo"].shape[1] == 1
    any_self_paid = bool(self_paid_t.any())

    # the year's state per accumulator key, the balances per person, the results per claim
    ded_used = np.zeros(dummy + 1, np.int64)
    pool_base = np.zeros(dummy + 1, np.int64)
    pool_paid = np.zeros(dummy + 1, np.int64)
    supp_base = np.zeros(n_groups, np.int64)
    supp_paid = np.zeros(n_groups, np.int64)
    maf_base = np.zeros(n_groups, np.int64)
    maf_paid = np.zeros(n_groups, np.int64)
    own = c.own_balance.astype(np.int64, copy=True)
    fam = c.mulaid_balance.astype(np.int64, copy=True)
    results = {name: np.zeros(n, np.int64) for name in OUTPUTS}
    refused_all = np.zeros(n, np.bool_)
    no = np.zeros(n, np.bool_)
    cross_all = no if c.cross_province is None else c.cross_province
    emergency_all = no if c.emergency is None else c.emergency
    supp_plus_all = None if c.supp_plus is None else c.supp_plus.astype(np.int64, copy=False)
    half = SCALE // 2

    def chunk(rows: I64 | slice) -> int:
        """Settle the claims at `rows` (whole persons): their k-th claims together."""
        def col(a: Any) -> Any:
            return a[rows]

        policy, out_of_area, filing = col(c.policy), col(c.out_of_area), col(c.filing)
        where = np.where(out_of_area, 1 + filing, 0)
        cross = out_of_area & col(cross_all)
        refused = refuse_t.ravel()[(policy * n_where + where) * 2 + cross]
        head = (policy * len(INSUTYPES) + col(c.insutype)) * len(CARE_TYPES) + col(c.care)
        flat_pool = (((((head * len(LEVELS) + col(c.level)) * n_psn + col(c.psn_type))
                       * n_where + where) * 2 + cross) * 2 + col(emergency_all)) * 2 \
            + col(c.first_stay)
        pool_key = np.where(refused, -1, pool_t.ravel()[flat_pool])
        supp_key = np.where(refused, -1, supp_t.ravel()[head * 2 + col(c.low_income)])
        assist_key = np.where(refused | ~col(c.assistance), -1, maf_t[policy])
        medfee = col(c.medfee_sumamt).astype(np.int64, copy=False)
        full_over = col(c.fulamt_ownpay_amt) + col(c.overlmt_selfpay)
        inscp = medfee - full_over - col(c.preselfpay_amt)
        has_pool = pool_key >= 0
        pk = np.maximum(pool_key, 0)
        kind = t["ded_kind"][pk]
        year_kind = has_pool & (kind == 0)
        ded_year = np.where(year_kind, t["ded_amount"][pk], 0)
        # a per-stay deductible depends only on the claim (each claim is a whole stay)
        ded_stay = np.zeros(medfee.shape[0], np.int64)
        at = np.flatnonzero(has_pool & (kind != 0))
        if at.size:
            kk, fee = pk[at], medfee[at]
            due = np.where(kind[at] == 2, np.minimum(np.maximum(
                _round_ratio(fee, t["share_ratio"][kk]), t["share_min"][kk]),
                t["share_max"][kk]), t["ded_amount"][kk])
            later = t["later"][kk]
            due = np.where(~col(c.first_stay)[at] & (later >= 0),
                           _round_ratio(due, np.maximum(later, 0)), due)
            ded_stay[at] = np.minimum(np.maximum(due, 0), inscp[at])
        group, person = col(c.group), col(c.person)
        slot = np.where(has_pool, group * n_cg + t["cap_group"][pk], dummy)

        # the order of work inside the chunk: rows are grouped by person already
        m = medfee.shape[0]
        idx = np.arange(m)
        new = np.ones(m, np.bool_)
        new[1:] = person[1:] != person[:-1]
        rank = idx - np.maximum.accumulate(np.where(new, idx, 0))
        steps = int(rank.max()) + 1
        perm = np.argsort(rank.astype(np.int16 if steps < 2**15 else np.int32), kind="stable")
        bounds = np.concatenate(([0], np.cumsum(np.bincount(rank, minlength=steps))))
        g_s, p_s, slot_s = group[perm], person[perm], slot[perm]
        ins_s, medfee_s, fo_s = inscp[perm], medfee[perm], full_over[perm]
        ins_pool_s = np.where(has_pool, inscp, 0)[perm]
        dy_s, ds_s = ded_year[perm], ded_stay[perm]
        cap_s = t["cap"][pk][perm]
        if flat:
            r_s = np.where(has_pool, t["r"][pk, 0], 0)[perm]
        else:
            key_s = pk[perm]
        supp_s, maf_s = supp_key[perm], assist_key[perm]
        supp_plus_s = None if supp_plus_all is None else col(supp_plus_all)[perm]
        self_paid_s = self_paid_t[policy][perm] if any_self_paid else None
        used_s = (col(c.acct_used) & ~refused)[perm]
        res = {name: np.zeros(m, np.int64) for name in OUTPUTS}

        for k in range(steps):
            s = slice(int(bounds[k]), int(bounds[k + 1]))
            si = slot_s[s]
            ins_k = ins_s[s]
            # the pooled fund: the year's deductible, then the layer
            used = ded_used[si]
            ded_y = np.minimum(np.maximum(dy_s[s] - used, 0), ins_k)
            ded = ded_y + ds_s[s]
            elig = ins_pool_s[s] - ded
            b0 = pool_base[si]
            paid0 = pool_paid[si]
            if flat:
                r = r_s[s]
                pay = ((b0 + elig) * r + half) // SCALE - (b0 * r + half) // SCALE
            else:
                kk = key_s[s]
                pay = _rounded_f(b0 + elig, t["lo"][kk], t["hi"][kk], t["r"][kk]) - \
                    _rounded_f(b0, t["lo"][kk], t["hi"][kk], t["r"][kk])
            hifp = np.maximum(np.minimum(pay, cap_s[s] - paid0), 0)
            ded_used[si] = used + ded_y
            pool_base[si] = b0 + elig
            pool_paid[si] = paid0 + hifp
            funds = hifp.copy()
            res["hifp_pay"][s] = hifp
            res["act_pay_dedc"][s] = ded
            # the supplementary layer and medical assistance, where they apply
            hifmi = res["hifmi_pay"][s]
            hifob = res["hifob_pay"][s]
            at = np.flatnonzero(supp_s[s] >= 0)
            if at.size:
                kk = supp_s[s][at]
                g = g_s[s][at]
                base = ins_k[at] - hifp[at]
                cap = ts["cap"][kk]
                if supp_plus_s is not None:  # the raise of a capped layer (no cap: none)
                    cap = np.where(cap < INF, cap + supp_plus_s[s][at], cap)
                pay = _layer(supp_base[g], base, ts["lo"][kk], ts["hi"][kk], ts["r"][kk],
                             cap, supp_paid[g])
                supp_base[g] += base
                supp_paid[g] += pay
                ob = ts["fund"][kk] == 1
                hifob[at[ob]] = pay[ob]
                hifmi[at[~ob]] = pay[~ob]
                funds[at] += pay
            at = np.flatnonzero(maf_s[s] >= 0)
            if at.size:
                kk = maf_s[s][at]
                g = g_s[s][at]
                base = ins_k[at] - funds[at]
                pay = _layer(maf_base[g], base, tm["lo"][kk], tm["hi"][kk], tm["r"][kk],
                             tm["cap"][kk], maf_paid[g])
                maf_base[g] += base
                maf_paid[g] += pay
                res["maf_pay"][s][at] = pay
                funds[at] += pay
            # the personal burden: own account, family money, cash
            part = medfee_s[s] - funds
            payable = np.maximum(part - fo_s[s], 0)
            if self_paid_s is not None:
                payable = np.where(self_paid_s[s], part, payable)
            payable *= used_s[s]
            p = p_s[s]
            bal = own[p]
            acct = np.minimum(bal, payable)
            own[p] = bal - acct
            bal = fam[p]
            mulaid = np.minimum(bal, payable - acct)
            fam[p] = bal - mulaid
            res["fund_pay_sumamt"][s] = funds
            res["psn_part_amt"][s] = part
            res["acct_pay"][s] = acct
            res["acct_mulaid_pay"][s] = mulaid
            res["psn_cash_pay"][s] = part - acct - mulaid

        res["inscp_scp_amt"][:] = ins_s
        for name, values in res.items():
            back = np.empty(m, np.int64)
            back[perm] = values
            results[name][rows] = back
        refused_all[rows] = refused
        return steps

    # whole persons per chunk, so that each chunk's temporaries stay small and are reused
    person = c.person
    ordered = n == 0 or bool(np.all(person[1:] >= person[:-1]))
    by_person = None if ordered else np.argsort(person, kind="stable")
    sorted_person = person if by_person is None else person[by_person]
    steps_max, lo = 0, 0
    while lo < n:
        hi = min(lo + CHUNK, n)
        if hi < n:  # move the end to the next person's first claim
            hi = int(np.searchsorted(sorted_person, sorted_person[hi - 1], side="right"))
        rows: I64 | slice = slice(lo, hi) if by_person is None else by_person[lo:hi]
        steps_max = max(steps_max, chunk(rows))
        lo = hi
        if progress is not None:
            progress(hi)
    return Outcome(results, refused_all, steps_max)
