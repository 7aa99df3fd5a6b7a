"""The specification's output objects: one tuple of field names per object, in the
specification's order, gongji's few extensions after them. Every answer is built through
`shape`, so each declared field is there (null where gongji has no value) and an undeclared
one cannot slip in; tests/gateway/test_outputs.py checks each infno against OUTPUTS.

Field lists as public HIS clients of the national interface name them (定点医药机构接口规范
V1.0 and its later fields hifdm_pay, exp_content). Where clients of different provinces
disagree (the cancellation setlinfo), gongji answers the superset.
"""

from __future__ import annotations

from typing import Any

BASEINFO = ("psn_no", "psn_cert_type", "certno", "psn_name", "gend", "naty", "brdy", "age")
"""1101 baseinfo."""
INSUINFO = ("balc", "insutype", "psn_type", "psn_insu_stas", "psn_insu_date",
            "paus_insu_date", "cvlserv_flag", "insuplc_admdvs", "emp_name")
"""1101 insuinfo[]."""
IDETINFO = ("psn_idet_type", "psn_type_lv", "memo", "begntime", "endtime")
"""1101 idetinfo[] (gongji keeps no identity categories: always empty)."""

VISIT = ("mdtrt_id", "psn_no", "ipt_otp_no")
"""2201 data; 2401 result (the specification names mdtrt_id there; gongji echoes psn_no and
the ipt_otp_no as 2201 does)."""

FEE_RESULT = ("feedetl_sn", "det_item_fee_sumamt", "cnt", "pric", "pric_uplmt_amt",
              "selfpay_prop", "fulamt_ownpay_amt", "overlmt_amt", "preselfpay_amt",
              "inscp_scp_amt", "chrgitm_lv", "med_chrgitm_type", "bas_medn_flag",
              "hi_nego_drug_flag", "chld_medc_flag", "list_sp_item_flag", "lmt_used_flag",
              "drt_reim_flag", "memo")
"""2204 / 2301 result[]: one classified fee line."""
DETLCUTINFO = ("feedetl_sn", "det_item_fee_sumamt", "cnt", "pric", "pric_uplmt_amt",
               "selfpay_prop", "fulamt_ownpay_amt", "overlmt_amt", "preselfpay_amt",
               "inscp_scp_amt", "chrgitm_lv", "med_chrgitm_type", "bas_medn_flag",
               "hi_nego_drug_flag", "chld_medc_flag", "list_sp_item_flag", "drt_reim_flag",
               "memo",
               "med_list_codg", "lmt_used_flag")
"""2101 / 2102 detlcutinfo[]; extensions: med_list_codg and lmt_used_flag (as 2204)."""

SETLINFO = ("mdtrt_id", "setl_id", "psn_no", "psn_name", "psn_cert_type", "certno", "gend",
            "naty", "brdy", "age", "insutype", "psn_type", "cvlserv_flag", "setl_time",
            "mdtrt_cert_type", "med_type", "medfee_sumamt", "fulamt_ownpay_amt",
            "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt", "act_pay_dedc", "hifp_pay",
            "pool_prop_selfpay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay",
            "maf_pay", "oth_pay", "fund_pay_sumamt", "psn_part_amt", "acct_pay",
            "psn_cash_pay", "hosp_part_amt", "balc", "acct_mulaid_pay", "medins_setl_id",
            "clr_optins", "clr_way", "clr_type", "hifdm_pay", "exp_content")
"""setlinfo of 2206/2207, 2303/2304, 2101/2102 (setl_id null before settling), and of the
cancellations 2208/2305 (amounts negative): some provinces' 2208 answers a subset of it."""
PHARMACY_CANCEL_SETLINFO = (*SETLINFO, "psn_pay", "cash_payamt")
"""2103 setlinfo: the specification names the personal part psn_pay and the cash
cash_payamt there; gongji answers those names and the 2207 ones."""
QUERY_SETLINFO = ("setl_id", "mdtrt_id", "psn_no", "psn_name", "psn_cert_type", "certno",
                  "gend", "naty", "brdy", "age", "insutype", "psn_type", "cvlserv_flag",
                  "flxempe_flag", "nwb_flag", "insu_optins", "emp_name", "pay_loc",
                  "fixmedins_code", "fixmedins_name", "hosp_lv", "fixmedins_poolarea",
                  "lmtpric_hosp_lv", "dedc_hosp_lv", "begndate", "enddate", "setl_time",
                  "mdtrt_cert_type", "med_type", "clr_type", "clr_way", "clr_optins",
                  "medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt",
                  "inscp_scp_amt", "act_pay_dedc", "hifp_pay", "pool_prop_selfpay",
                  "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay",
                  "fund_pay_sumamt", "psn_pay", "acct_pay", "cash_payamt", "balc",
                  "acct_mulaid_pay", "medins_setl_id", "refd_setl_flag", "year", "dise_codg",
                  "dise_name", "invono", "opter_id", "opter_name", "opt_time",
                  "psn_part_amt", "psn_cash_pay", "hosp_part_amt", "hifdm_pay", "exp_content")
"""5203 setlinfo; extensions: the 2207 names (psn_part_amt, psn_cash_pay, hosp_part_amt,
hifdm_pay, exp_content), so one parser reads a settlement and its query alike."""
SETLDETAIL = ("fund_pay_type", "inscp_scp_amt", "crt_payb_lmt_amt", "fund_payamt",
              "fund_pay_type_name", "setl_proc_info")
"""setldetail[]: one fund's part."""

CUMINFO = ("insutype", "year", "cum_ym", "cum_type_code", "cum")
"""5206 cuminfo[]."""

SIGNINOUTB = ("sign_time", "sign_no")
"""9001 signinoutb."""
SIGNOUTOUTB = ("sign_time",)
"""9002 signoutoutb."""
UPLOADED = ("file_qury_no", "filename", "fixmedins_code", "dld_endtime")
"""9101: the uploaded file's number and the caller's code. dld_endtime is null: a file is
kept a day, but its end is not passed back to the gateway."""
DOWNLOADED = ("file_qury_no", "content")
"""9102: the specification answers the file itself (so does the .../fileupload/download
path); its JSON form at callService is the file's number and its bytes in base64."""
DOWNLOAD = ("file_qury_no", "filename", "dld_end_time", "data_cnt",
            "dld_endtime", "ver", "count")
"""1301-1309: the file to fetch with 9102 and its number of rows (data_cnt; dld_end_time
null, as 9101's). Extensions: dld_endtime (9101's name for the same, null), ver (the newest
version in the file, for the next ask) and count (data_cnt under gongji's first name)."""
DICTIONARY = ("type", "label", "value", "parent_value", "sort", "vali_flag", "create_user",
              "create_date", "version")
"""1901 list[]: one entry of a dictionary (gongji's are flat and kept in code: no parent,
creator or version)."""
FILED = ("trt_dcla_detl_sn",)
"""2501 / 2503 result: the filing's serial number, which 2502 / 2504 name."""
REVERSED = ("result",)
"""2601: the specification answers nothing; extension result, what the reversal did."""
STMTINFO = ("setl_optins", "stmt_rslt", "stmt_rslt_dscr")
"""3201 stmtinfo; 3202 answers it too (an extension there), with the counts."""
FILEINFO = ("file_qury_no", "filename", "dld_endtime")
"""3202 fileinfo: the result file, to fetch with 9102."""
SALE = ("retRslt", "msgRslt")
"""3505 / 3506: the result code (1 done) and its message."""

_SETTLED = {"setlinfo": SETLINFO, "setldetail[]": SETLDETAIL}
OUTPUTS: dict[str, dict[str, tuple[str, ...]]] = {
    "1101": {"baseinfo": BASEINFO, "insuinfo[]": INSUINFO, "idetinfo[]": IDETINFO},
    "2201": {"data": VISIT},
    "2401": {"result": VISIT},
    "2204": {"result[]": FEE_RESULT},
    "2301": {"result[]": FEE_RESULT},
    **{infno: _SETTLED for infno in ("2206", "2207", "2208", "2303", "2304", "2305")},
    "2101": {**_SETTLED, "detlcutinfo[]": DETLCUTINFO},
    "2102": {**_SETTLED, "detlcutinfo[]": DETLCUTINFO},
    "2103": {"setlinfo": PHARMACY_CANCEL_SETLINFO, "setldetail[]": SETLDETAIL},
    "5203": {"setlinfo": QUERY_SETLINFO, "setldetail[]": SETLDETAIL},
    "5206": {"cuminfo[]": CUMINFO},
    "9001": {"signinoutb": SIGNINOUTB},
    "9002": {"signoutoutb": SIGNOUTOUTB},
    "9101": {"": UPLOADED},
    "9102": {"": DOWNLOADED},
    **{infno: {"": DOWNLOAD} for infno in ("1301", "1305", "1306")},
    "1901": {"list[]": DICTIONARY},
    "2501": {"result": FILED},
    "2503": {"result": FILED},
    "2601": {"": REVERSED},
    "3201": {"stmtinfo": STMTINFO},
    "3202": {"fileinfo": FILEINFO, "stmtinfo": STMTINFO},
    "3505": {"": SALE},
    "3506": {"": SALE},
    **{infno: {} for infno in ("2202", "2203", "2205", "2302", "2402", "2404", "2405",
                               "2502", "2504")},
}
"""Each infno's output objects by node ("name[]": a list of them; "": the output is the
object) and their declaration; {} where the specification answers nothing (the output is
an empty object)."""


def shape(fields: tuple[str, ...], **values: Any) -> dict[str, Any]:
    """One output object: every declared field in order, None where no value is given. A
    value for an undeclared field is a bug (the declaration is the contract)."""
    unknown = values.keys() - set(fields)
    if unknown:
        raise ValueError(f"not in the declaration: {', '.join(sorted(unknown))}")
    return {name: values.get(name) for name in fields}
