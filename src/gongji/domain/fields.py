"""Field labels in both languages, in one place (issue 18, point 4).

A refusal names the field it is about. The REST body keeps the field's name as sent (detail,
detail.fields[].field); the messages name it in the reader's language: "金额不能为负",
"请填写：证明材料". A field not listed here is named as sent.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple


class Bi(NamedTuple):
    """A label in both languages (domain/errors.py renders messages through this table, so
    this module imports nothing of gongji's)."""

    zh: str
    en: str

    def pick(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


LABELS: dict[str, Bi] = {
    # money
    "amount": Bi("金额", "amount"),
    "amt": Bi("金额", "amount"),
    "medfee_sumamt": Bi("医疗费用总额", "total medical fees"),
    "fund_pay_sumamt": Bi("基金支付总额", "fund payment total"),
    "det_item_fee_sumamt": Bi("明细金额", "line amount"),
    "pric": Bi("单价", "unit price"),
    "pric_uplmt_amt": Bi("最高限价", "price cap"),
    "acct_pay": Bi("个人账户支付", "personal account payment"),
    "balance": Bi("余额", "balance"),
    "keep": Bi("保留金额", "amount to keep"),
    # people and credentials
    "certno": Bi("身份证号码", "ID number"),
    "other_certno": Bi("对方身份证号码", "the other person's ID number"),
    "relative_certno": Bi("亲属身份证号码", "the relative's ID number"),
    "cert_no": Bi("凭证号码", "credential number"),
    "cert_type": Bi("凭证类型", "credential type"),
    "name": Bi("姓名", "name"),
    "phone": Bi("手机号码", "mobile number"),
    "psn_no": Bi("人员编号", "person number"),
    "receiver": Bi("接收人", "receiver"),
    "relation": Bi("关系", "relation"),
    "evidence": Bi("证明材料", "evidence"),
    "memo": Bi("备注", "memo"),
    "doc_kind": Bi("证件类型", "document type"),
    "doc_ref": Bi("证件编号", "document number"),
    "documents": Bi("证件", "documents"),
    "pin": Bi("支付密码", "payment PIN"),
    "old_pin": Bi("原支付密码", "current PIN"),
    "new_pin": Bi("新支付密码", "new PIN"),
    "code": Bi("编码", "code"),
    "token": Bi("医保码", "insurance code"),
    "card_no": Bi("社会保障卡号", "social security card number"),
    # places and dates
    "admdvs": Bi("医保区划代码", "region code"),
    "insuplc_admdvs": Bi("参保地", "insured region"),
    "target_admdvs": Bi("就医地", "care region"),
    "new_admdvs": Bi("新使用地", "new place of use"),
    "region": Bi("地区", "region"),
    "regions": Bi("地区", "regions"),
    "place_of_use": Bi("使用地", "place of use"),
    "target": Bi("就医地", "care region"),
    "year": Bi("年度", "year"),
    "month": Bi("月份", "month"),
    "day": Bi("日期", "day"),
    "date": Bi("日期", "date"),
    "start": Bi("开始日期", "start"),
    "end": Bi("结束日期", "end"),
    "begndate": Bi("开始日期", "start date"),
    "enddate": Bi("结束日期", "end date"),
    "since": Bi("起始时间", "since"),
    "set_to": Bi("时间", "time"),
    "set": Bi("设定时间", "time to set"),
    "advance_seconds": Bi("拨快秒数", "seconds to advance"),
    "stmt_begndate": Bi("对账开始日期", "statement start date"),
    "stmt_enddate": Bi("对账结束日期", "statement end date"),
    "deadline": Bi("截止时间", "deadline"),
    # institutions, catalog, claims, stock
    "institution": Bi("定点医药机构", "institution"),
    "fixmedins_code": Bi("定点医药机构编码", "institution code"),
    "fixmedins_name": Bi("定点医药机构名称", "institution name"),
    "hosp_lv": Bi("医院等级", "hospital level"),
    "med_list_codg": Bi("目录编码", "catalog code"),
    "list_type": Bi("目录类别", "list type"),
    "med_type": Bi("医疗类别", "medical type"),
    "insutype": Bi("险种类型", "insurance type"),
    "dise_codg": Bi("病种编码", "disease code"),
    "dise_name": Bi("病种名称", "disease name"),
    "invoice_no": Bi("发票号码", "invoice number"),
    "bank_name": Bi("开户银行", "bank"),
    "bank_acct": Bi("银行账号", "bank account number"),
    "cnt": Bi("数量", "quantity"),
    "quantity": Bi("数量", "quantity"),
    "bought_on": Bi("购进日期", "date bought"),
    "trace": Bi("追溯码", "trace codes"),
    "reason": Bi("理由", "reason"),
    "kind": Bi("类型", "kind"),
    "scope": Bi("范围", "scope"),
    "flag": Bi("标志", "flag"),
    "page": Bi("页码", "page"),
    "text": Bi("内容", "text"),
    "file": Bi("文件", "file"),
    "format": Bi("文件格式", "format"),
    "policy": Bi("政策文件", "policy"),
    "persons": Bi("参保人", "persons"),
    "principal": Bi("标识", "identifier"),
    "password": Bi("密码", "password"),
    "peer_public": Bi("对方公钥", "peer public key"),
    "subject": Bi("对象", "subject"),
    "scheme": Bi("传输方式", "transport scheme"),
    "infcode_as": Bi("infcode 类型", "infcode type"),
    "relay_opter": Bi("转发经办人代码", "relay operator code"),
    "unit": Bi("单位", "unit"),
    "action": Bi("操作", "action"),
}

REMARKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"before start"), "早于开始日期"),
    (re.compile(r"at most (\d+) days"), r"最多 \1 天"),
    (re.compile(r"1 to (\d+) days"), r"1 至 \1 天"),
    (re.compile(r"1 to (\d+) boxes"), r"1 至 \1 盒"),
    (re.compile(r"at most (\d+) characters"), r"最多 \1 个字符"),
    (re.compile(r"too long"), "太长"),
    (re.compile(r"csv or tsv"), "csv 或 tsv"),
    (re.compile(r"exactly one"), "只能填其中一项"),
    (re.compile(r"exists"), "已存在"),
    (re.compile(r"empty"), "为空"),
    (re.compile(r"only password"), "只支持 password"),
    (re.compile(r"two files with the same name"), "两个文件同名"),
)
"""The remarks services write after a field's name ("end (at most 366 days)"), in Chinese
for the Chinese message; detail keeps them as written."""

_ROW = re.compile(r"(?P<name>[a-z_]+?)_(?P<n>[0-9]{1,3})")
_ITEM = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*(?: or [A-Za-z_][A-Za-z0-9_]*)*)"
                   r"(?P<rest>\s*[(（].*)?", re.S)
_TOP_COMMA = re.compile(r",\s*(?![^()（）]*[)）])")
"""A comma between items, not one inside an item's remark ("kind (a, b)")."""
LABELLED = frozenset({"field", "fields", "missing"})
"""The parameters that name fields: rendered through the table."""


def label(name: str, lang: str) -> str:
    """One field's label: "amount" -> 金额 / amount; "amt_3" -> 第 3 行金额 / amount (row 3).
    A name not in the table comes back as it is."""
    known = LABELS.get(name)
    if known is not None:
        return known.pick(lang)
    row = _ROW.fullmatch(name)
    if row and row["name"] in LABELS:
        base = LABELS[row["name"]].pick(lang)
        return f"第 {row['n']} 行{base}" if lang == "zh" else f"{base} (row {row['n']})"
    return name


def _remark(rest: str, lang: str) -> str:
    if lang != "zh" or not rest.strip():
        return rest
    inner = rest.strip()[1:].rstrip(")）")
    for pattern, zh in REMARKS:
        inner = pattern.sub(zh, inner)
    return f"（{inner}）"


def labels(names: str, lang: str) -> str:
    """A list of fields as gongji writes it ("evidence", "amount, pin", "end (before
    start)"): each item's leading name by the table, the remark after it in Chinese where
    REMARKS knows it."""
    out = []
    for item in _TOP_COMMA.split(names):
        m = _ITEM.fullmatch(item)
        if m is None:
            out.append(item)
            continue
        either = ("或" if lang == "zh" else " or ").join(
            label(n, lang) for n in m["name"].split(" or "))
        out.append(either + _remark(m["rest"] or "", lang))
    return ("、" if lang == "zh" else ", ").join(out)


def label_param(key: str, value: Any, lang: str) -> Any:
    """A message parameter as shown: field names by the table, anything else unchanged."""
    if key == "field" and isinstance(value, str):
        return label(value, lang)
    if key in ("fields", "missing") and isinstance(value, str):
        return labels(value, lang)
    return value
