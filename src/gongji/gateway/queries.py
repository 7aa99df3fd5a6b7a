"""The HIS's daily queries of the national interface: treatment check (2001), visits (5201),
fee lines (5204), chronic/special disease medication records (5205), recognitions (5301),
designated institutions (5302), stays in hospital (5303), referral filings (5304), and the
herbal pieces and disease list downloads (1302, 1307, 1309); and the stay's information
change (2403). Each reads its input by the specification, makes one service call and writes
the specification's output through `shape`, every declared field present (null where gongji
keeps no value). Nothing here decides a rule; only the downloads (a file for 9102, as 1301
does) and 2403 write.

The field lists are those public HIS clients of the national interface read (定点医药机构接口
规范 V1.0), in their order; QUERY_OUTPUTS declares them per infno as outputs.OUTPUTS does.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from gongji.domain.clock import business_date, display
from gongji.gateway.fields import Reader, bad, tolerated
from gongji.gateway.jsonio import yuan
from gongji.gateway.outputs import DOWNLOAD, shape
from gongji.gateway.transactions import Ctx, downloaded, handles
from gongji.services.catalog import service as catalog
from gongji.services.filing import service as filing
from gongji.services.settlement import service as svc

TRTINFO = ("psn_no", "trt_chk_type", "fund_pay_type", "trt_enjymnt_flag", "begndate",
           "enddate", "trt_chk_rslt")
"""2001 trtinfo[]: trt_chk_type 01 (a fund), trt_enjymnt_flag 1 enjoys / 0 does not, and
then trt_chk_rslt says why not."""

OPSP_FEEDETAIL = ("opsp_dise_code", "opsp_dise_name", "begndate", "enddate")
"""5301 feedetail[]: one recognised chronic/special disease."""

PSNFIXMEDIN = ("psn_no", "insutype", "fix_srt_no", "fixmedins_code", "fixmedins_name",
               "begndate", "enddate", "memo")
"""5302 psnfixmedin[] (gongji binds nobody to an institution: always empty)."""

MDTRTINFO = (
    "mdtrt_id", "psn_no", "psn_cert_type", "certno", "psn_name", "gend", "naty", "brdy", "age",
    "coner_name", "tel", "insutype", "psn_type", "maf_psn_flag", "cvlserv_flag",
    "flxempe_flag", "nwb_flag", "insu_optins", "emp_name", "begntime", "endtime",
    "mdtrt_cert_type", "med_type", "ars_year_ipt_flag", "pre_pay_flag", "ipt_otp_no",
    "medrcdno", "atddr_no", "chfpdr_name", "adm_dept_codg", "adm_dept_name", "adm_bed",
    "dscg_maindiag_code", "dscg_maindiag_name", "dscg_dept_codg", "dscg_dept_name",
    "dscg_bed", "dscg_way", "main_cond_dscr", "dise_codg", "dise_name", "oprn_oprt_code",
    "oprn_oprt_name", "otp_diag_info", "inhosp_stas", "die_date", "ipt_days", "fpsc_no",
    "matn_type", "birctrl_type", "latechb_flag", "geso_val", "fetts", "fetus_cnt",
    "pret_flag", "birctrl_matn_date", "cop_flag", "opter_id", "opter_name", "opt_time",
    "memo")
"""5201 mdtrtinfo[]: one visit."""

FEE_QUERY = (
    "mdtrt_id", "setl_id", "feedetl_sn", "rx_drord_no", "med_type", "fee_ocur_time", "cnt",
    "pric", "sin_dos_dscr", "used_frqu_dscr", "prd_days", "medc_way_dscr",
    "det_item_fee_sumamt", "pric_uplmt_amt", "selfpay_prop", "fulamt_ownpay_amt",
    "overlmt_amt", "preselfpay_amt", "inscp_scp_amt", "chrgitm_lv", "hilist_code",
    "hilist_name", "list_type", "med_list_codg", "medins_list_codg", "medins_list_name",
    "med_chrgitm_type", "prodname", "spec", "dosform_name", "bilg_dept_codg",
    "bilg_dept_name", "bilg_dr_codg", "bilg_dr_name", "acord_dept_codg", "acord_dept_name",
    "orders_dr_code", "orders_dr_name", "lmt_used_flag", "hosp_prep_flag", "hosp_appr_flag",
    "tcmdrug_used_way", "prodplac_type", "bas_medn_flag", "hi_nego_drug_flag",
    "chld_medc_flag", "etip_flag", "etip_hosp_code", "dscg_tkdrug_flag", "list_sp_item_flag",
    "matn_fee_flag", "drt_reim_flag", "memo", "opter_id", "opter_name", "opt_time")
"""5204 output[]: one fee line (the output is the list itself)."""

MEDICATION = (
    "feedetl_sn", "rx_drord_no", "fixmedins_code", "fixmedins_name", "psn_no", "med_type",
    "fee_ocur_time", "cnt", "pric", "chrgitm_lv", "hilist_code", "hilist_name", "list_type",
    "med_list_codg", "medins_list_codg", "medins_list_name", "med_chrgitm_type", "prodname",
    "spec", "dosform_name", "lmt_used_flag", "hosp_prep_flag", "hosp_appr_flag",
    "tcmdrug_used_way", "prodplac_type", "bas_medn_flag", "hi_nego_drug_flag",
    "chld_medc_flag", "etip_flag", "etip_hosp_code", "dscg_tkdrug_flag", "list_sp_item_flag",
    "matn_fee_flag")
"""5205 feedetail[]: one medication line of a chronic/special disease visit."""

STAY = ("mdtrt_id", "psn_no", "psn_cert_type", "certno", "psn_name", "gend", "brdy", "age",
        "insutype", "begndate", "med_type", "ipt_otp_no", "out_flag",
        "begntime", "fixmedins_code", "fixmedins_name")
"""5303 data[]: one stay in hospital; out_flag 1 when cared for outside the insured region.
Extensions: begntime (the moment of begndate), fixmedins_code and fixmedins_name (the
stay's institution: the caller)."""

REFMEDIN = (
    "insutype", "dcla_souc", "psn_no", "psn_cert_type", "certno", "psn_name", "gend", "brdy",
    "tel", "addr", "insu_optins", "emp_name", "diag_code", "diag_name", "dise_cond_dscr",
    "reflin_medins_no", "reflin_medins_name", "out_flag", "refl_date", "refl_rea",
    "begndate", "enddate", "hosp_agre_refl_flag", "opter_id", "opter_name", "opt_time",
    "trt_dcla_detl_sn", "mdtrtarea_admdvs")
"""5304 refmedin[]: one referral filing. Extensions: trt_dcla_detl_sn (what 2501 answered
and 2502 names) and mdtrtarea_admdvs (the care region 2501 filed for)."""

QUERY_OUTPUTS: dict[str, dict[str, tuple[str, ...]]] = {
    "2001": {"trtinfo[]": TRTINFO}, "5301": {"feedetail[]": OPSP_FEEDETAIL},
    "5302": {"psnfixmedin[]": PSNFIXMEDIN}, "5201": {"mdtrtinfo[]": MDTRTINFO},
    "5204": {"[]": FEE_QUERY}, "5205": {"feedetail[]": MEDICATION},
    "5303": {"data[]": STAY}, "5304": {"refmedin[]": REFMEDIN},
    **{infno: {"": DOWNLOAD} for infno in ("1302", "1307", "1309")},
    "2403": {},
}
"""Each infno's output objects by node ("name[]": a list of them; "[]": the output is the
list; "": the output is the object; {}: the specification answers nothing, as for 2403), as
outputs.OUTPUTS declares the others. The downloads answer as 1301 (outputs.DOWNLOAD)."""


def _time(at: datetime | None) -> str | None:
    return None if at is None else display(at)


def _day(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


def _flag(on: bool) -> str:
    return "1" if on else "0"


# -- before the visit: treatment, recognitions, designations ------------------------------

@handles("2001", name="人员待遇享受检查 treatment check")
def treatment_check(ctx: Ctx) -> Any:
    """One trtinfo row: whether the person enjoys the scheme's pooled fund on begntime's
    day, and if not, why (trt_chk_rslt). The fixmedins_code the HIS names is its own."""
    d = ctx.input.need_obj("data")
    psn_no = d.need("psn_no", 30)
    insutype = d.need("insutype", 6)
    if d.need("fixmedins_code", 12) != ctx.env.fixmedins_code:
        raise bad("input.data.fixmedins_code", "应为本机构编码（报文的 fixmedins_code）",
                  "must be this institution's (the envelope's fixmedins_code)")
    d.need("med_type", 6)
    begntime = d.when("begntime", required=True)
    d.when("endtime")
    d.char("dise_codg", 30)
    d.char("dise_name", 500)
    d.char("oprn_oprt_code", 30)
    d.char("oprn_oprt_name", 500)
    d.char("matn_type", 6)
    d.char("birctrl_type", 6)
    d.char("exp_content", 4000)
    assert begntime is not None
    t = svc.treatment_check(ctx.app, ctx.who, psn_no, insutype, begntime.date())
    return {"trtinfo": [shape(
        TRTINFO, psn_no=psn_no, trt_chk_type="01", fund_pay_type=t.fund_pay_type,
        trt_enjymnt_flag=_flag(t.enjoys), begndate=_day(t.begndate), enddate=_day(t.enddate),
        trt_chk_rslt=t.reason.zh if t.reason else None)]}


@handles("5301", name="人员慢特病备案查询 chronic disease recognitions")
def recognitions(ctx: Ctx) -> Any:
    """The person's recognised chronic/special diseases (an empty list when none): an HIS
    asks after every 1101."""
    psn_no = ctx.input.need_obj("data").need("psn_no", 30)
    return {"feedetail": [shape(
        OPSP_FEEDETAIL, opsp_dise_code=r.opsp_dise_code, opsp_dise_name=r.opsp_dise_name,
        begndate=_day(r.begndate), enddate=_day(r.enddate))
        for r in filing.recognitions(ctx.app, ctx.who, psn_no)]}


@handles("5302", name="人员定点信息查询 designated institutions")
def designations(ctx: Ctx) -> Any:
    """gongji binds no person to a designated institution: the list is empty."""
    d = ctx.input.need_obj("data")
    psn_no = d.need("psn_no", 30)
    d.char("biz_appy_type", 6)
    return {"psnfixmedin": [shape(
        PSNFIXMEDIN, psn_no=x.psn_no, insutype=x.insutype, fixmedins_code=x.fixmedins_code,
        fixmedins_name=x.fixmedins_name, begndate=_day(x.begndate), enddate=_day(x.enddate))
        for x in filing.designations(ctx.app, ctx.who, psn_no)]}


# -- after the visit: visits, fee lines, medication records ---------------------------------

@handles("5201", name="就诊信息查询 visit query")
def visit_query(ctx: Ctx) -> Any:
    """The person's visits of the med_type at this institution begun in the period."""
    d = ctx.input.need_obj("data")
    psn_no = d.need("psn_no", 30)
    since = d.when("begntime", required=True)
    until = d.when("endtime", required=True)
    med_type = d.need("med_type", 6)
    mdtrt_id = d.char("mdtrt_id", 30)
    assert since is not None and until is not None
    return {"mdtrtinfo": [shape(
        MDTRTINFO, mdtrt_id=v.mdtrt_id, psn_no=v.psn_no, psn_cert_type="01", certno=v.certno,
        psn_name=v.psn_name_masked, gend=v.gend, brdy=_day(v.brdy), age=Decimal(v.age),
        insutype=v.insutype, psn_type=v.psn_type, maf_psn_flag=_flag(v.maf_psn_flag),
        cvlserv_flag="0", insu_optins=v.insuplc_admdvs, emp_name=v.emp_name,
        begntime=_time(v.begntime), endtime=_time(v.endtime),
        mdtrt_cert_type=v.mdtrt_cert_type, med_type=v.med_type, ipt_otp_no=v.ipt_otp_no,
        dise_codg=v.dise_codg, dise_name=v.dise_name, inhosp_stas=_flag(v.in_hospital))
        for v in svc.visits(ctx.app, ctx.who, psn_no, since=since, until=until,
                            med_type=med_type, mdtrt_id=mdtrt_id)]}


def _item(x: svc.FeeLineInfo) -> dict[str, Any]:
    """What 5204 and 5205 say alike of a line's item."""
    line = x.line
    return {"chrgitm_lv": line.chrgitm_lv, "hilist_code": line.med_list_codg,
            "hilist_name": line.name, "list_type": x.list_type,
            "med_list_codg": line.med_list_codg, "medins_list_codg": x.medins_list_codg,
            "med_chrgitm_type": line.med_chrgitm_type, "spec": x.spec,
            "lmt_used_flag": _flag(line.lmt_used_flag),
            "hosp_appr_flag": _flag(x.within_limits)}


@handles("5204", name="费用明细查询 fee line query")
def fee_query(ctx: Ctx) -> Any:
    """A visit's fee lines (one settlement's when setl_id is named). The specification's
    output is the list itself."""
    d = ctx.input.need_obj("data")
    psn_no = d.need("psn_no", 30)
    setl_id = d.char("setl_id", 30)
    mdtrt_id = d.need("mdtrt_id", 30)
    return [shape(
        FEE_QUERY, mdtrt_id=x.mdtrt_id, setl_id=x.setl_id, feedetl_sn=x.feedetl_sn,
        med_type=x.med_type, fee_ocur_time=_time(x.fee_ocur_time), cnt=Decimal(x.cnt),
        pric=Decimal(x.pric), det_item_fee_sumamt=yuan(x.line.det_item_fee_sumamt),
        pric_uplmt_amt=yuan(x.line.pric_uplmt_amt),
        selfpay_prop=Decimal(x.line.selfpay_prop),
        fulamt_ownpay_amt=yuan(x.line.fulamt_ownpay_amt),
        overlmt_amt=yuan(x.line.overlmt_amt), preselfpay_amt=yuan(x.line.preselfpay_amt),
        inscp_scp_amt=yuan(x.line.inscp_scp_amt), **_item(x))
        for x in svc.fee_lines(ctx.app, ctx.who, psn_no, mdtrt_id, setl_id)]


@handles("5205", name="人员慢特病用药记录查询 chronic disease medication records")
def medication_query(ctx: Ctx) -> Any:
    """The drug lines of the person's settled chronic/special outpatient visits, at any
    institution, received in the period."""
    d = ctx.input.need_obj("data")
    psn_no = d.need("psn_no", 30)
    since = d.when("begntime", required=True)
    until = d.when("endtime")
    assert since is not None
    return {"feedetail": [shape(
        MEDICATION, feedetl_sn=x.feedetl_sn, fixmedins_code=x.fixmedins_code,
        fixmedins_name=x.fixmedins_name, psn_no=x.psn_no, med_type=x.med_type,
        fee_ocur_time=_time(x.fee_ocur_time), cnt=Decimal(x.cnt), pric=Decimal(x.pric),
        **_item(x))
        for x in svc.chronic_medication(ctx.app, ctx.who, psn_no, since=since, until=until)]}


# -- catalog downloads ----------------------------------------------------------------------

LIST_DOWNLOADS = {"1302": "102"}
"""The catalog list type each further catalog download carries (1301/1305/1306: see
transactions.CATALOG_DOWNLOADS)."""

DISEASE_DOWNLOADS = {"1307": "diagnosis", "1309": "chronic"}
"""The disease list each disease download carries."""


@handles("1302", name="中药饮片目录下载 herbal pieces catalog")
def herbal_download(ctx: Ctx) -> Any:
    """The herbal pieces of the catalog newer than ver, in 1301's file format."""
    ver = ctx.input.need_obj("data").char("ver", 40) or ""
    return downloaded(catalog.download(ctx.app, ctx.who, ctx.env.infno,
                                       LIST_DOWNLOADS[ctx.env.infno], ver))


@handles("1307", "1309", name="疾病与诊断目录下载 diagnosis list | "
                              "门诊慢特病种目录下载 chronic/special disease list")
def disease_download(ctx: Ctx) -> Any:
    """A disease list newer than ver (1307: gongji keeps no ICD-10 list, so its file is a
    valid empty one)."""
    ver = ctx.input.need_obj("data").char("ver", 40) or ""
    return downloaded(catalog.download_diseases(ctx.app, ctx.who, ctx.env.infno,
                                                DISEASE_DOWNLOADS[ctx.env.infno], ver))


# -- stays and referrals ---------------------------------------------------------------------

@handles("5303", name="在院信息查询 stays in hospital")
def stay_query(ctx: Ctx) -> Any:
    """This institution's stays in hospital now (admitted, neither discharged nor settled):
    the person's, or, as the specification lets psn_no be left out, every patient's in
    hospital; begun in the period where one is given. Only the caller's own stays, as 5201:
    another institution's patients are not its business."""
    d = ctx.input.need_obj("data")
    psn_no = d.char("psn_no", 30)
    since = d.when("begntime")
    until = d.when("endtime")
    return {"data": [_stay(s) for s in svc.open_stays(ctx.app, ctx.who, psn_no, since=since,
                                                       until=until)]}


def _stay(s: svc.StayInfo) -> dict[str, Any]:
    """A stay by the national names; the person as 5201 names them (ID number in full, name
    masked)."""
    v = s.visit
    return shape(
        STAY, mdtrt_id=v.mdtrt_id, psn_no=v.psn_no, psn_cert_type="01", certno=v.certno,
        psn_name=v.psn_name_masked, gend=v.gend, brdy=_day(v.brdy), age=Decimal(v.age),
        insutype=v.insutype, begndate=_day(business_date(v.begntime)), med_type=v.med_type,
        ipt_otp_no=v.ipt_otp_no, out_flag=_flag(s.out_of_area), begntime=_time(v.begntime),
        fixmedins_code=s.fixmedins_code, fixmedins_name=s.fixmedins_name)


@handles("5304", name="转院信息查询 referral filings")
def referral_query(ctx: Ctx) -> Any:
    """The person's referral filings (2501) in force in the period (today onwards when none
    is given). gongji keeps of a filing its care region and period: the diagnosis, the
    hospital referred to, the reason and the hospital's consent that 2501 reads are not kept,
    so they are null; opt_time is when gongji recorded the filing."""
    d = ctx.input.need_obj("data")
    psn_no = d.need("psn_no", 30)
    since = d.when("begntime")
    until = d.when("endtime")
    return {"refmedin": [shape(
        REFMEDIN, insutype=r.insutype, psn_no=r.psn_no, psn_cert_type="01", certno=r.certno,
        psn_name=r.psn_name_masked, gend=r.gend, brdy=_day(r.brdy),
        insu_optins=r.insuplc_admdvs, emp_name=r.emp_name, out_flag=_flag(r.out_of_area),
        begndate=_day(r.begndate), enddate=_day(r.enddate), opt_time=_time(r.filed_at),
        trt_dcla_detl_sn=r.id, mdtrtarea_admdvs=r.target_admdvs)
        for r in filing.referrals(ctx.app, ctx.who, psn_no,
                                  since=since.date() if since else None,
                                  until=until.date() if until else None)]}


# -- during the stay: its information change -------------------------------------------------

STAY_MED_TYPES = {"21", "25", "28"}
"""The stay's med_type group (2401's): 2403 moves a stay within it, never to a visit."""

NOT_SETTLED_HERE = {
    "matn_type": ("共济不结算生育住院（生育类别）", "gongji settles no maternity stay"),
    "birctrl_type": ("共济不结算计划生育手术（计划生育手术类别）",
                     "gongji settles no birth-control operation"),
}
"""Fields whose value would make the stay one gongji does not settle (maternity 51/52 is
another scheme): refused by name rather than dropped."""


def _adminfo(ctx: Ctx) -> Reader:
    """The specification's node is adminfo; a client that reuses 2401's mdtrtinfo is read
    the same and noted."""
    r = ctx.input
    if r.data.get("adminfo") in (None, "") and r.data.get("mdtrtinfo") not in (None, ""):
        tolerated("input.mdtrtinfo", "住院信息变更的节点名应为 adminfo，按 mdtrtinfo 读取",
                  "2403's node is adminfo; read from mdtrtinfo (2401's name)")
        return r.need_obj("mdtrtinfo")
    return r.need_obj("adminfo")


@handles("2403", name="住院信息变更 stay information change")
def stay_change(ctx: Ctx) -> Any:
    """What an open stay's change may change, through the door 2203 uses (update_visit):

    - med_type, within the stay's group 21/25/28 (a stay never becomes a visit, nor a
      maternity stay: 51/52 is refused by the code table);
    - the diagnosis, dise_codg (the code 2401 keeps; gongji keeps no description).

    matn_type and birctrl_type are refused by name: they would make the stay one gongji does
    not settle. Everything else is read by the specification's types and not kept, as 2401
    and 2402 read it: gongji keeps no contacts, doctors, departments, beds, discharge
    diagnoses, operations or maternity details (5201 answers them null). begntime,
    mdtrt_cert_type and ipt_otp_no describe the stay as 2401 opened it and stay so; endtime
    is 2402's to record and 2405's to withdraw, not a change's."""
    m = _adminfo(ctx)
    mdtrt_id = m.need("mdtrt_id", 30)
    m.need("psn_no", 30)
    for name, (zh, en) in NOT_SETTLED_HERE.items():
        if m.char(name, 6) is not None:
            raise bad(f"{m.path}.{name}", zh, en)
    med_type = m.need("med_type", 6, allowed=STAY_MED_TYPES)
    dise_codg = m.char("dise_codg", 30)
    m.when("begntime")
    m.when("endtime")
    m.char("mdtrt_cert_type", 3, allowed={"01", "02", "03"})
    m.char("ipt_otp_no", 30)
    for f, size in (("coner_name", 50), ("tel", 50), ("medrcdno", 30), ("atddr_no", 30),
                    ("chfpdr_name", 50), ("adm_diag_dscr", 200), ("adm_dept_codg", 30),
                    ("adm_dept_name", 100), ("adm_bed", 30), ("dscg_maindiag_code", 20),
                    ("dscg_maindiag_name", 300), ("main_cond_dscr", 1000), ("dise_name", 500),
                    ("oprn_oprt_code", 30), ("oprn_oprt_name", 500), ("fpsc_no", 50),
                    ("latechb_flag", 3), ("pret_flag", 3), ("dise_type_code", 6)):
        m.char(f, size)
    for f in ("geso_val", "fetts", "fetus_cnt"):
        m.number(f, 0)
    m.day("birctrl_matn_date")
    for x in ctx.input.objs("diseinfo"):
        x.char("diag_code", 30)
    svc.update_visit(ctx.app, ctx.who, ctx.key, mdtrt_id, med_type=med_type,
                     dise_codg=dise_codg)
    return {}
