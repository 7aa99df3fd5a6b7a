"""One registry of every error gongji can answer with.

Each code has one meaning, an HTTP status, the national interface's infcode, and a message in
Chinese and English. Messages are templates filled from the error's parameters, so a refusal
can say which rule and which limit ("at most 3 transfers a day") in both languages.
Entrypoints render errors from here and nowhere else.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gongji.domain.edge import ECHO_MAX, cut
from gongji.domain.fields import label_param


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    code: str
    http_status: int
    zh: str
    en: str
    infcode: int = -1
    retryable: bool = False
    alt: tuple[tuple[str, str, str], ...] = ()
    """(parameter, zh, en): the wording used when that parameter is given (the first that
    is), e.g. the field left empty ("请填写：证明材料") under the same code."""

    def templates(self, params: Mapping[str, Any]) -> tuple[str, str]:
        for name, zh, en in self.alt:
            if params.get(name) is not None:
                return zh, en
        return self.zh, self.en


ERRORS: dict[str, ErrorSpec] = {}


def define(code: str, http_status: int, zh: str, en: str, *, infcode: int = -1,
           retryable: bool = False, alt: tuple[tuple[str, str, str], ...] = ()) -> ErrorSpec:
    if code in ERRORS:
        raise ValueError(f"error code {code} defined twice")
    spec = ErrorSpec(code, http_status, zh, en, infcode, retryable, alt)
    ERRORS[code] = spec
    return spec


@dataclass(frozen=True, slots=True)
class Bi:
    """A parameter that reads differently in each language, e.g. Bi("接收", "accepted")."""

    zh: str
    en: str

    def pick(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


OWN_PARAMS = frozenset({"fields", "missing", "rule", "problems", "problem", "reason", "allowed",
                        "errors"})
"""Parameters gongji composes itself (field lists, reasons): never a value as typed."""
_ID = re.compile(r"[A-Za-z0-9_.:/@#+=\-]{1,40}")
_ID_MAX = 40
"""An id or a code up to this long is repeated whole (a UUID is 36 characters)."""
_OWN_MAX = 1000
_FIELD_MAX = 80
"""A field's name or path ("input.feedetail[0].fee_ocur_time"): gongji's own words, but a
crafted key could be long."""


def echo(name: str, value: Any) -> Any:
    """A parameter as a message may repeat it: a value refused (an amount, a date, a code)
    shows at most ECHO_MAX characters then "…", an id whole up to 40 characters; a 5,000-digit
    amount never comes back (issue 18, point 5)."""
    if isinstance(value, list):
        return [echo(name, v) for v in value[:50]]
    if not isinstance(value, str):
        return value
    if name in OWN_PARAMS:
        return cut(value, _OWN_MAX)
    if name == "field":
        return cut(value, _FIELD_MAX)
    if len(value) <= ECHO_MAX or _ID.fullmatch(value):
        return value
    return cut(value)


AS_SENT = frozenset({"CATALOG_FIELD_INVALID", "GATEWAY_FIELD_INVALID",
                     "GATEWAY_AMOUNT_MISMATCH"})
"""Codes whose messages name a field of the national interface or the catalog file by its
specification name ("字段 input.feedetail.cnt"), as the HIS developer reading them knows it."""


def render(template: str, params: Mapping[str, Any], lang: str = "zh", *,
           labelled: bool = True) -> str:
    """The template filled from params: bilingual values in `lang`, values refused cut short
    (echo), field names by the label table (domain/fields.py) unless not `labelled`."""
    # a bilingual value is gongji's own words (a region's name, a list of documents): kept
    # whole up to _OWN_MAX; anything else may be a value as typed and is cut short
    values = {k: cut(v.pick(lang), _OWN_MAX) if isinstance(v, Bi) else echo(k, v)
              for k, v in params.items()}
    if labelled:
        values = {k: label_param(k, v, lang) for k, v in values.items()}
    return string.Formatter().vformat(template, (), _Blank(values))


class GongjiError(Exception):
    """A refusal with a stable code. Raising one rolls back the whole unit of work."""

    def __init__(self, code: str, /, **params: Any) -> None:
        if code not in ERRORS:
            raise KeyError(f"unknown error code {code}")
        self.spec = ERRORS[code]
        self.params = params
        super().__init__(f"{code}: {self.message_en}")

    @property
    def code(self) -> str:
        return self.spec.code

    @property
    def message(self) -> str:
        return render(self.spec.templates(self.params)[0], self.params, "zh",
                      labelled=self.code not in AS_SENT)

    @property
    def message_en(self) -> str:
        return render(self.spec.templates(self.params)[1], self.params, "en",
                      labelled=self.code not in AS_SENT)

    def body(self) -> dict[str, Any]:
        """The JSON error body every entrypoint answers with."""
        return {
            "code": self.code,
            "message": self.message,
            "message_en": self.message_en,
            "detail": {k: echo(k, _detail(v)) for k, v in self.params.items()},
        }


def missing(*fields: str) -> GongjiError:
    """A required field left empty, named in the reader's language ("请填写：证明材料");
    the code stays VALIDATION_ERROR and detail.fields names the field as sent."""
    names = ", ".join(fields)
    return GongjiError("VALIDATION_ERROR", fields=names, missing=names)


def _detail(v: Any) -> Any:
    if isinstance(v, Bi):
        return v.en
    if v is None or isinstance(v, str | int | bool | list | dict):
        return v
    return str(v)


# -- general -------------------------------------------------------------------------------
define("VALIDATION_ERROR", 422, "请求字段不合法：{fields}", "Invalid request fields: {fields}",
       alt=(("missing", "请填写：{missing}", "Please fill in: {missing}"),
            ("rule", "请求字段不合法：{fields}（{rule}）", "Invalid request fields: {fields} ({rule})")))
define("NOT_FOUND", 404, "未找到：{what}", "Not found: {what}")
define("METHOD_NOT_ALLOWED", 405, "不支持该请求方法", "Method not allowed")
define("UNAUTHENTICATED", 401, "未登录或凭据无效", "Not authenticated or invalid credentials")
define("FORBIDDEN", 403, "无权执行此操作", "Not allowed to do this")
define("FORM_EXPIRED", 403, "页面已过期或不是从本站提交的，请刷新页面后重试", "This form expired or was not sent from this site; reload the page and try again")
define("INTERNAL", 500, "系统内部错误，请稍后重试（请求号 {request_id}）",
       "Internal error, please retry later (request {request_id})", retryable=True)
define("UNAVAILABLE", 503, "系统繁忙，请稍后重试", "Service busy, please retry", retryable=True)
define("BACKUP_UNREADABLE", 422, "备份文件 {path} 无法使用：{reason}",
       "The backup {path} cannot be used: {reason}")
define("BACKUP_KIND_MISMATCH", 422, "这是 {backup} 的备份，不能恢复到 {database} 数据库",
       "This is a {backup} backup; it cannot be restored into a {database} database")
define("RESTORE_TARGET_NOT_EMPTY", 409, "目标数据库 {database} 已有 {tables} 张表；确认覆盖请加 --force",
       "The target database {database} already has {tables} tables; add --force to replace them")
define("BACKUP_TOOL_MISSING", 503, "找不到 {tool}（请安装 PostgreSQL 客户端）",
       "{tool} not found (install the PostgreSQL client tools)")
define("BACKUP_FAILED", 500, "{tool} 失败：{reason}", "{tool} failed: {reason}")
define("DATABASE_UNREACHABLE", 503, "无法打开数据库 {url}：{reason}",
       "Cannot open the database {url}: {reason}", retryable=True)
define("CONFIG_INVALID", 500, "配置不正确：{reason}", "Configuration invalid: {reason}")
define("DB_NOT_MIGRATED", 503, "数据库结构版本 {current} 落后于程序所需的 {head}，请运行 gongji db upgrade",
       "Database schema {current} is behind {head}; run `gongji db upgrade`")

# -- money ---------------------------------------------------------------------------------
define("MONEY_INVALID", 422, "{field}不是合法金额：{value}（应为元，最多两位小数，如 2000.00）",
       "{field} is not a valid amount: {value} (yuan with at most two decimals, e.g. 2000.00)")
define("MONEY_TOO_PRECISE", 422, "{field}最多两位小数：{value}",
       "{field} has more than two decimals: {value}")
define("MONEY_NEGATIVE", 422, "{field}不能为负：{value}", "{field} must not be negative: {value}")
define("MONEY_ZERO", 422, "{field}必须大于零", "{field} must be greater than zero")
define("MONEY_OVERFLOW", 422, "{field} {value} 超过上限 {limit}",
       "{field} amount {value} exceeds the limit {limit}")

# -- idempotency ---------------------------------------------------------------------------
define("IDEMPOTENCY_KEY_MISSING", 400, "写操作必须携带幂等键（Idempotency-Key 请求头）",
       "Every write needs an idempotency key (Idempotency-Key header)")
define("IDEMPOTENCY_KEY_INVALID", 400,
       "幂等键不合法：应为 1-64 位字母、数字或 - _ . :",
       "Invalid idempotency key: use 1-64 letters, digits or - _ . :")
define("IDEMPOTENCY_CONFLICT", 409,
       "幂等键 {key} 已用于不同的请求，差异字段：{fields}",
       "Idempotency key {key} was already used for a different request; differing: {fields}")

# -- ledger --------------------------------------------------------------------------------
define("ACCOUNT_NOT_FOUND", 404, "账户不存在：{account}", "Account not found: {account}")
define("ACCOUNT_KIND_INVALID", 422, "账户类型不合法：{kind}", "Invalid account kind: {kind}")
define("ACCOUNT_OWNER_REQUIRED", 422, "{kind} 类账户必须指定 {missing}",
       "An account of kind {kind} needs {missing}")
define("ACCOUNT_CLOSED", 409, "账户已关闭：{account}", "Account is closed: {account}")
define("ENTRY_UNBALANCED", 422, "分录借贷不平：合计 {total} 分（必须为零）",
       "Entry does not balance: postings sum to {total} fen (must be zero)")
define("ENTRY_TOO_FEW_POSTINGS", 422, "分录至少需要两个账户", "An entry needs at least two postings")
define("ENTRY_DUPLICATE_ACCOUNT", 422, "同一分录中账户重复：{account}",
       "The same account appears twice in one entry: {account}")
define("ENTRY_SAME_ACCOUNT", 422, "转出与转入账户不能相同", "Debit and credit account must differ")
define("ENTRY_NOT_FOUND", 404, "分录不存在：{entry}", "Entry not found: {entry}")
define("ENTRY_NOT_REVERSIBLE", 409, "该分录不能冲正：{reason}", "This entry cannot be reversed: {reason}")
define("ENTRY_ALREADY_REVERSED", 409, "该分录已冲正，冲正分录 {reversal}",
       "This entry was already reversed by {reversal}")
define("INSUFFICIENT_FUNDS", 409, "账户 {account} 余额不足：可用 {available} 元，需要 {required} 元",
       "Insufficient funds in {account}: {available} yuan available, {required} yuan needed")
define("HOLD_NOT_FOUND", 404, "冻结（待接收）记录不存在：{hold}", "Hold not found: {hold}")
define("HOLD_NOT_PENDING", 409, "冻结记录已处理（状态 {state}），不能再 {action}",
       "Hold is already {state}; it cannot be {action}")
define("HOLD_EXPIRED", 409, "冻结记录已于 {deadline} 到期，不能再 {action}",
       "Hold expired at {deadline}; it can no longer be {action}")
define("HOLD_NOT_DUE", 409, "冻结记录要到 {deadline} 才到期", "Hold is not due until {deadline}")
define("ENTRY_TOO_MANY_POSTINGS", 422, "一个分录最多 {limit} 个账户",
       "An entry may have at most {limit} postings")
define("HOLD_DEADLINE_PAST", 422, "冻结的截止时间 {deadline} 早于当前时间",
       "Hold deadline {deadline} is not in the future")

# -- regions and policy --------------------------------------------------------------------
define("ADMDVS_INVALID", 422, "{field}不是合法的医保区划代码：{value}（6 位数字）", "{field} is not a valid admdvs code: {value} (6 digits)")
define("AREA_INVALID", 422, "地区应为省（2 位）、市（4 位）或 6 位医保区划代码：{value}", "The area must be a province (2 digits), a city (4 digits) or a 6-digit admdvs code: {value}")
define("REGION_NOT_FOUND", 404, "未知的医保区划：{admdvs}", "Unknown region: {admdvs}")
define("POLICY_INVALID", 422, "政策文件 {source} 不合法：{problems}", "Policy document {source} is invalid: {problems}")

# -- persons and enrollment ----------------------------------------------------------------
define("CERTNO_INVALID", 422, "身份证号码不合法：{reason}", "Invalid resident ID number: {reason}")
define("NAME_INVALID", 422, "姓名不合法：应为 1-50 个字符", "Invalid name: 1-50 characters")
define("PHONE_INVALID", 422, "手机号码不合法：应为 11 位数字、以 1 开头", "Invalid mobile number: 11 digits starting with 1")
define("PERSON_NOT_FOUND", 404, "参保人不存在：{psn_no}", "Person not found: {psn_no}")
define("PERSON_EXISTS", 409, "该身份证号码已登记，人员编号 {psn_no}", "This ID number is already registered as {psn_no}")
define("INSUTYPE_INVALID", 422, "险种类型不合法：{insutype}（应为 {allowed}）", "Invalid insutype {insutype} (one of {allowed})")
define("PSN_TYPE_INVALID", 422, "人员类别 {psn_type} 与险种 {insutype} 不符", "psn_type {psn_type} does not fit insutype {insutype}")
define("ENROLLMENT_EXISTS", 409, "已有有效的 {insutype} 参保记录（{admdvs}）", "An active {insutype} enrollment already exists ({admdvs})")
define("ENROLLMENT_NOT_FOUND", 404, "参保记录不存在：{enrollment}", "Enrollment not found: {enrollment}")
define("ENROLLMENT_NOT_ACTIVE", 409, "参保记录已终止", "The enrollment has ended")
define("ENROLLMENT_DATES_INVALID", 422, "参保日期不合法：{reason}", "Invalid enrollment dates: {reason}")
define("NOT_ENROLLED", 409, "{who}没有有效的基本医疗保险参保记录", "{who} has no active basic insurance enrollment")
define("NO_PERSONAL_ACCOUNT", 409, "该参保人没有职工医保个人账户", "This person has no employee personal account")

# -- credentials and proxies ---------------------------------------------------------------
define("CREDENTIAL_INVALID", 422, "医保电子凭证无效", "Invalid insurance code")
define("PAY_AUTH_NOT_FOUND", 404, "支付授权 {pay_auth_no} 不存在，或不属于本机构", "Payment authorization {pay_auth_no} does not exist or is not this institution's")
define("PAY_AUTH_EXPIRED", 422, "支付授权已于 {at} 过期，请参保人重新授权", "The payment authorization expired at {at}: the person authorizes again")
define("PAY_AUTH_USED", 409, "支付授权已用于订单 {pay_ord_id}，一次授权只能支付一个订单", "The payment authorization was used for order {pay_ord_id}: one authorization pays one order")
define("PAY_AUTH_MISMATCH", 422, "上传内容与参保人授权的订单不一致（{field}）：{reason}", "The upload is not the order the person authorized ({field}): {reason}")
define("PAY_ORDER_NOT_FOUND", 404, "支付订单 {pay_ord_id} 不存在，或不属于本机构", "Payment order {pay_ord_id} does not exist or is not this institution's")
define("PAY_TOKEN_INVALID", 422, "payToken 与支付订单不符", "payToken does not belong to this payment order")
define("PAY_ORDER_STATE", 409, "订单当前状态为“{state}”，不能{action}", "The order is {state}: it cannot be {action}")
define("PAY_ORDER_DUPLICATE", 409, "机构订单号 {med_org_ord} 已上传过另一份明细；新订单请使用新的订单号", "Order {med_org_ord} was uploaded before with other lines: a new order takes a new order number")
define("PAY_IN_PROGRESS", 409, "订单 {pay_ord_id} 正在支付，请稍后用 6301 查询结果", "Order {pay_ord_id} is being paid: query it (6301) in a moment", retryable=True)
define("CASH_PAYMENT_FAILED", 402, "自费部分 {amount} 元支付未成功（{reason}），医保基金和个人账户支付已全部退回，订单未支付", "The cash part ({amount}) was not paid ({reason}): the fund and personal-account payments were all put back; the order is not paid")
define("REFUND_TYPE_UNSUPPORTED", 422, "不支持单独{kind}（{refd_type}）：医保与现金须一同退回，请用 ALL（可按明细部分退款）", "A refund of {kind} alone ({refd_type}) is not supported: insurance and cash go back together; use ALL (per line for a part)")
define("REFUND_AMOUNT_MISMATCH", 422, "{field} 应为 {due} 元（{what}应退），收到 {given} 元", "{field} must be {due} ({what} give back), got {given}")
define("PAY_ORDER_NOT_SHIPPABLE", 409, "订单状态为“{state}”，不能登记发货", "The order is {state}: it cannot be shipped")
define("PAY_REQUEST_SIGNATURE_INVALID", 403, "支付请求的签名缺失或不正确：订单可能被改动，未做任何授权", "The payment request's signature is missing or wrong: the order may have been altered; nothing was authorized")
define("PAY_REQUEST_INVALID", 422, "支付请求的参数 {field} 不合法：{reason}", "The payment request's {field} is invalid: {reason}")
define("PAY_RETURN_URL_INVALID", 422, "支付请求的返回地址不是普通的 http 或 https 网址，未做任何授权", "The payment request's return address is not a plain http or https address; nothing was authorized")
define("SHOP_ITEM_NOT_SOLD", 422, "{code} 不是本药房在售的商品", "{code} is not sold by this pharmacy")
define("SHOP_QUANTITY_INVALID", 422, "数量须为 0 至 {max} 的整数", "A quantity is a whole number from 0 to {max}")
define("CREDENTIAL_EXPIRED", 409, "医保码已过期，请刷新后重新出示", "The insurance code has expired; refresh and show it again")
define("CREDENTIAL_USED", 409, "医保码已使用过，请刷新后重新出示", "The insurance code was already used; refresh and show it again")
define("CARD_INVALID", 422, "社会保障卡号不合法", "Invalid social security card number")
define("CARD_NOT_FOUND", 404, "社会保障卡不存在或已挂失", "Social security card not found or reported lost")
define("CARD_EXISTS", 409, "该社会保障卡号已登记", "This card number is already registered")
define("PROXY_SELF", 422, "不能为自己开通亲情账户", "A person cannot be their own proxy")
define("PROXY_MEMBERS_FULL", 409, "亲情账户最多添加 {limit} 位家人，请先解除一位", "A family account (亲情账户) holds at most {limit} relatives; end one first")
define("PROXY_EXISTS", 409, "已有该亲属的亲情账户", "A proxy for this relative already exists")
define("PROXY_NOT_FOUND", 404, "亲情账户不存在：{proxy}", "Proxy not found: {proxy}")
define("PROXY_NOT_PENDING", 409, "亲情账户申请已处理（状态 {state}）", "The proxy request is already {state}")
define("PROXY_NEEDS_OPERATOR", 409, "未成年人的亲情账户须由经办人员审核证明材料", "A proxy for a minor is approved by an operator who checks the documents")
define("PROXY_NEEDS_CONSENT", 409, "成年亲属的亲情账户须由其本人同意", "A proxy for an adult is approved by that adult")
define("PROXY_DOCUMENTS_MISSING", 422, "为未满 {age} 周岁的亲属开通亲情账户，须提供证件（{needed}：{documents}）及其编号，由经办人员审核", "A proxy for a relative under {age} names the documents ({needed}: {documents}) with their numbers, for an operator to check")
define("PROXY_DOCUMENT_INVALID", 422, "证件不合法：{reason}", "Invalid document: {reason}")
define("PROXY_OPEN_NEEDS_DOCUMENTS", 409, "代开通医保钱包须在亲情账户中提供亲属的证件（{documents}）", "Opening a relative's wallet for them (代开通) needs the relative's documents ({documents}) on the proxy")
define("PROXY_NOT_ALLOWED", 403, "亲情账户不能代为办理此事项（{act}）", "A proxy may not do this for the relative ({act})")

# -- family mutual aid ---------------------------------------------------------------------
define("BINDING_SELF", 422, "不能与自己建立共济关系", "A person cannot share with themselves")
define("RELATION_NOT_CLOSE", 422, "{relation}不属于可以共济的近亲属", "{relation} is not a close relative who may share")
define("RELATION_NOT_ALLOWED", 422, "本地区暂不支持与{relation}共济（可选：{allowed}）", "This region does not allow sharing with a {relation} (allowed: {allowed})")
define("RELATION_IMPLAUSIBLE", 422, "所填关系与出生日期不符：{relation}", "The relation does not fit the birth dates: {relation}")
define("SPONSOR_NOT_ELIGIBLE", 409, "共济人须参加职工医保并有个人账户（{required}）", "The sponsor must be in employee insurance with a personal account ({required})")
define("BENEFICIARY_NOT_ENROLLED", 409, "被共济人须参加基本医疗保险（{required}）", "The beneficiary must be enrolled in basic insurance ({required})")
define("BINDING_EXISTS", 409, "双方已有共济关系或待确认的申请", "A binding or a pending request already exists between them")
define("BINDING_NOT_FOUND", 404, "共济关系不存在：{binding}", "Binding not found: {binding}")
define("BINDING_NOT_PENDING", 409, "共济申请已处理（状态 {state}）", "The binding request is already {state}")
define("BINDING_NOT_ACTIVE", 409, "共济关系未生效或已解除", "The binding is not active")
define("BINDING_CONSENT_BY_OTHER_SIDE", 409, "共济申请须由对方确认", "The other party must consent to this request")
define("BINDING_TOO_RECENT", 409, "共济关系建立未满 {days} 天，{until} 后才能解除", "A binding can be ended only after {days} days, from {until}")
define("BINDING_NOT_VERIFIED", 409, "本地区要求经办人员核实亲属关系后才能转账", "This region requires an operator to verify the relation before money moves")

# -- wallet and transfers ------------------------------------------------------------------
define("WALLET_NOT_OPEN", 409, "{who}的医保钱包未开通", "The {who}'s wallet is not open")
define("WALLET_ALREADY_OPEN", 409, "医保钱包已开通", "The wallet is already open")
define("WALLET_REGION_DISABLED", 409, "{who}所在地区（{region}）尚未开通医保钱包", "The wallet is not live yet in the {who}'s region ({region})")
define("PLACE_OF_USE_CHANGE_DISABLED", 409, "本地区暂不支持变更使用地", "This region does not allow changing the place of use")
define("WALLET_HAS_PENDING", 409, "还有待接收的转账，处理后再关闭", "Transfers are still waiting; settle them before closing")
define("TRANSFER_WINDOW_CLOSED", 409, "每天 {start} 至次日 {end} 不能转账，请于 {reopens} 后再试", "No transfers from {start} to {end}; try again from {reopens}")
define("TRANSFER_AMOUNT_OVER_LIMIT", 422, "单笔转账不能超过 {limit} 元，本次 {amount} 元", "A transfer may be at most {limit} yuan; this one is {amount} yuan")
define("TRANSFER_RECEIVER_NO_WALLET", 409, "接收方尚未开通医保钱包，转账不能完成", "The receiver has not opened a wallet; the transfer cannot be made")
define("MUTUAL_AID_CROSS_PROVINCE_DISABLED", 409, "{who}所在地区（{region}）尚未开通跨省共济", "The {who}'s region ({region}) does not take part in cross-province mutual aid yet")
define("TRANSFER_NOT_BOUND", 409, "双方没有有效的家庭共济关系，请先绑定", "There is no active mutual-aid binding between you; bind first")
define("TRANSFER_QUOTA_NOT_TRANSFERABLE", 409, "家人共济给您的额度只能用于您本人就医购药，不能再转给他人；只有职工个人账户可以转给已绑定的家人", "Quota a relative shared with you pays for your own care only and cannot be sent on; only an employee's personal account can be sent, to a relative bound to it")
define("TRANSFER_DAILY_LIMIT", 409, "每个医保钱包每天最多转账 {limit} 笔，今天已转 {sent} 笔", "A wallet may send at most {limit} transfers a day; {sent} sent today")
define("TRANSFER_PENDING_EXISTS", 409, "给对方的上一笔转账尚未接收，接收或退回后再转", "Your last transfer to this person has not been accepted yet; wait until it is accepted or returned")
define("TRANSFER_ANNUAL_CAP", 409, "本年度转账累计不能超过 {limit} 元，还可转 {left} 元", "Transfers this year may total at most {limit} yuan; {left} yuan left")
define("MIN_SPONSOR_BALANCE", 409, "个人账户须保留 {keep} 元，本次最多可转 {available} 元", "The personal account must keep {keep} yuan; at most {available} yuan can be sent")
define("TRANSFER_NOT_FOUND", 404, "转账不存在：{transfer}", "Transfer not found: {transfer}")
define("TRANSFER_NOT_PENDING", 409, "转账已处理（状态 {state}）", "The transfer is already {state}")
define("TRANSFER_EXPIRED", 409, "转账未在 {deadline} 前接收，已退回转出方", "The transfer was not accepted by {deadline} and goes back to the sender")
define("PIN_NOT_SET", 409, "请先设置支付密码", "Set a payment PIN first")
define("PIN_FORMAT", 422, "支付密码应为 {length} 位数字", "The payment PIN is {length} digits")
define("PIN_WEAK", 422, "支付密码过于简单（如 111111、123456），请换一个", "The PIN is too simple (like 111111 or 123456); choose another")
define("PIN_WRONG", 403, "支付密码错误，还可尝试 {left} 次", "Wrong payment PIN; attempts left: {left}")
define("PIN_LOCKED", 423, "支付密码错误次数过多，已锁定至 {until}", "Too many wrong PINs; locked until {until}")
define("PIN_BUSY", 429, "支付密码正在验证中，请稍后再试", "Other PIN attempts are being checked; try again in a moment",
       retryable=True)

# -- contributions -------------------------------------------------------------------------
define("CONTRIBUTION_NOT_OFFERED", 409, "{admdvs} 没有 {year} 年度 {insutype} 的个人缴费标准", "{admdvs} has no {year} individual contribution for {insutype}")
define("CONTRIBUTION_WINDOW_CLOSED", 409, "{year} 年度缴费期为 {start} 至 {end}", "The {year} collection window is {start} to {end}")
define("CONTRIBUTION_ALREADY_PAID", 409, "{year} 年度已缴费", "The {year} contribution is already paid")
define("CONTRIBUTION_TOO_LATE", 409, "现在缴纳 {year} 年度费用，待遇等待期 {months} 个月，自 {benefits_from} 起才享受待遇，已过该年度，不予收取；请缴纳下一年度", "Paid now, the {year} benefits would start only on {benefits_from} after a {months}-month waiting period, past the end of the year: not taken; pay for the next year")
define("TREATMENT_WAITING", 409, "{year} 年度居民医保在集中缴费期外或断保后缴费，处于待遇等待期，自 {benefits_from} 起享受待遇", "The {year} resident contribution was paid outside the collection window or after a lapse: benefits start on {benefits_from} (waiting period)")
define("CONTRIBUTION_SOURCE_INVALID", 422, "缴费来源不合法：{reason}", "Invalid payment source: {reason}")
define("CONTRIBUTION_VIA_WALLET", 409, "为外省（{region}）的亲属缴费须通过医保钱包：先向其医保钱包转账，再由其用共济额度缴纳", "Paying for a relative in another province ({region}) goes through the wallet: send to their wallet, then they pay from that quota")

# -- persons' login and the sandbox --------------------------------------------------------
define("OTP_INVALID", 401, "验证码错误或已过期", "The one-time code is wrong or expired")
define("OTP_LOCKED", 429, "验证码错误次数过多，请重新获取", "Too many wrong codes; request a new one")
define("OTP_TOO_SOON", 429, "请 {seconds} 秒后再获取验证码", "Please wait {seconds} seconds before asking for another code")
define("OTP_DAILY_LIMIT", 429, "今天的登录尝试次数已达上限，请于 {until} 后再试", "Too many login attempts today; try again after {until}")
define("SANDBOX_ONLY", 403, "仅沙箱模式可用（gongji serve --sandbox）", "Only in sandbox mode (gongji serve --sandbox)")
define("CLOCK_BACKWARDS", 409, "测试时钟只能向前拨（当前 {now}）", "The test clock only moves forward (now {now})")

# -- drug trace codes ---
define("TRACE_CODE_INVALID", 422, "药品追溯码不合法：{reason}", "Invalid drug trace code: {reason}")

# -- catalog and settlement ----------------------------------------------------------------
define("CATALOG_CODE_INVALID", 422, "目录编码 {code} 不符合 {list_type} 类编码规则", "Catalog code {code} does not fit list_type {list_type}")
define("CATALOG_FIELD_INVALID", 422, "目录字段 {field} 不合法：{value}", "Invalid catalog field {field}: {value}")
define("CATALOG_ITEM_NOT_FOUND", 404, "就医地目录中没有 {code}", "{code} is not in the care region's catalog")
define("FEE_LINES_EMPTY", 422, "没有费用明细", "No fee lines")
define("FEE_LINE_INVALID", 422, "费用明细 {feedetl_sn} 不合法：{reason}", "Fee line {feedetl_sn} is invalid: {reason}")
define("FEE_LINE_MISMATCH", 422, "费用明细 {feedetl_sn} 金额 {given} 与数量×单价 {expected} 不符", "Fee line {feedetl_sn}: amount {given} is not cnt x pric = {expected}")
define("OUT_OF_AREA_NOT_FILED", 409, "未办理异地就医备案，不能直接结算：请在出院（结算）前补办备案，或全额垫付后回参保地手工报销", "No out-of-area filing, so this cannot be settled directly: file before discharge (or before paying), or pay in full and claim at home")

# -- institutions and signed requests ------------------------------------------------------
define("INSTITUTION_CODE_INVALID", 422, "定点医药机构编码不合法：{code}（H 或 P 加 11 位数字）", "Invalid institution code {code} (H or P then 11 digits)")
define("INSTITUTION_NOT_FOUND", 404, "定点医药机构不存在：{code}", "Institution not found: {code}")
define("INSTITUTION_EXISTS", 409, "定点医药机构已登记：{code}", "Institution already registered: {code}")
define("SIGNATURE_INVALID", 401, "请求签名无效：{reason}", "Invalid request signature: {reason}")
define("SIGNATURE_EXPIRED", 401, "请求时间戳超出允许范围（±{window} 秒），请校准时钟", "Request timestamp outside the allowed window (±{window} s); check the clock")
define("NONCE_REUSED", 401, "请求随机数已使用过（重放）", "This nonce was already used (replay)")

# -- filing, switches ----------------------------------------------------------------------
define("FILING_KIND_INVALID", 422, "备案类型不合法：{kind}（可选 {allowed}）", "Invalid filing kind {kind} (one of {allowed})")
define("FILING_DATES_INVALID", 422, "备案日期不合法：{reason}", "Invalid filing dates: {reason}")
define("FILING_TARGET_INVALID", 422, "备案的就医地不能是参保地本身", "The filing's care region cannot be the insured region itself")
define("FILING_NOT_FOUND", 404, "备案不存在：{filing}", "Filing not found: {filing}")
define("FILING_EXISTS", 409, "已有覆盖该地区的有效备案", "An active filing for that region already exists")
define("FILING_NOT_ACTIVE", 409, "备案已撤销", "The filing was already revoked")

# -- hand claims (手工报销) ---------------------------------------------------------------------
define("CLAIM_NOT_FOUND", 404, "报销申请不存在：{claim_id}", "Claim not found: {claim_id}")
define("CLAIM_STATE", 409, "报销申请{state}，不能{action}", "The claim is {state}: it cannot be {action}")
define("CLAIM_DATES_INVALID", 422, "就医日期不合法：{reason}", "Invalid dates of care: {reason}")
define("CLAIM_TOO_LATE", 422, "已超过报销申请期限（就医结束后 {days} 天内）", "Too late to claim: claims are made within {days} days of the end of care")
define("CLAIM_REVIEW_INVALID", 422, "审核意见不合法（明细 {feedetl_sn}）：{reason}", "Invalid review (line {feedetl_sn}): {reason}")
define("CLAIM_REFUSE_REASON", 422, "不予报销须说明理由", "A refusal says why")
define("CLAIM_INVOICE_CLAIMED", 409, "该发票已申请报销（{claim_id}）", "This invoice is already claimed ({claim_id})")
define("CLAIM_BANK_ACCOUNT_INVALID", 422, "银行账号须为 12 到 30 位数字", "The bank account number is 12 to 30 digits")
define("CLAIM_TOTAL_MISMATCH", 422, "发票金额 {claimed} 与费用明细合计 {total} 不符", "The invoice total {claimed} does not match the fee lines' sum {total}")
define("CHRONIC_DISEASE_INVALID", 422, "不是可跨省直接结算的门诊慢特病：{code}", "Not one of the chronic diseases settled across provinces: {code}")
define("CHRONIC_NOT_RECOGNIZED", 409, "参保地尚未认定该门诊慢特病：{code}", "The insured region has not recognised this chronic disease: {code}")
define("PHARMACY_SWITCH_OFF", 409, "参保地要求开启“刷卡购药设置·跨省”后才能在外省药店刷卡购药", "The insured region requires the cross-province pharmacy switch to be on before buying at pharmacies in other provinces")

# -- visits and settlements ----------------------------------------------------------------
define("MED_TYPE_UNSUPPORTED", 422, "不支持的医疗类别 {med_type}（可选 {allowed}）", "Unsupported med_type {med_type} (one of {allowed})")
define("VISIT_NOT_FOUND", 404, "就诊记录不存在：{mdtrt_id}", "Visit not found: {mdtrt_id}")
define("VISIT_NOT_OPEN", 409, "就诊已结束或已撤销：{mdtrt_id}", "The visit is closed or cancelled: {mdtrt_id}")
define("PSN_NO_MISMATCH", 422, "人员编号 psn_no 不是该就诊或结算的参保人", "psn_no is not the person of this visit or settlement")
define("CREDENTIAL_MISMATCH", 409, "出示的凭证不是本次就诊参保人的", "The credential presented is not this visit's person's")
define("SETTLE_AMOUNT_MISMATCH", 409, "结算总额 {given} 元与已上传明细合计 {expected} 元不符", "medfee_sumamt {given} does not match the uploaded lines' total {expected}")
define("MID_SETTLEMENT_INPATIENT_ONLY", 422, "只有住院可以中途结算", "Only inpatient stays can be settled mid-stay")
define("SETTLEMENT_NOT_FOUND", 404, "结算记录不存在：{setl_id}", "Settlement not found: {setl_id}")
define("SETTLEMENT_NOT_SETTLED", 409, "结算 {setl_id} 当前状态为 {state}，不能撤销", "Settlement {setl_id} is already {state}")
define("SETTLEMENT_DUPLICATE_MSGID", 409, "机构结算流水号 {medins_setl_id} 已使用", "medins_setl_id {medins_setl_id} was already used")
define("MESSAGE_REVERSED", 409, "报文 {msgid} 已被冲正，不能再生效",
       "Message {msgid} was reversed (冲正) before it took effect; it cannot take effect now")
define("TRACE_CODE_MISSING", 422, "药品明细 {feedetl_sn} 缺少追溯码，医保基金不予结算", "Drug line {feedetl_sn} has no trace code: the fund will not settle it")
define("TRACE_CODE_COUNT", 422, "药品明细 {feedetl_sn} 追溯码数量应为 {expected}，实际 {given}", "Drug line {feedetl_sn} needs {expected} trace code(s), {given} given")
define("TRACE_CODE_SOLD", 409, "追溯码 {code} 已销售过，疑似回流药，不能再次结算", "Trace code {code} was already sold (a resold box?); it cannot be settled again")
define("TRACE_SPLIT_INVALID", 422, "药品明细 {feedetl_sn} 拆零数量不合法：{reason}", "Drug line {feedetl_sn}: invalid split sale quantity: {reason}")
define("TRACE_SPLIT_OVER", 409, "追溯码 {code} 的这盒药拆零售出将超过整盒：整盒 {box}，尚余 {left}，本次 {asked}", "Trace code {code}: this split sale would sell more than the box: it holds {box}, {left} remain, this sale asks {asked}")
define("UNTRACED_STOCK_EXHAUSTED", 409, "药品明细 {feedetl_sn} 没有追溯码，本机构登记的无码库存不足：尚余 {left}，本次 {asked}", "Drug line {feedetl_sn} has no trace code and the institution's registered untraced stock is short: {left} left, {asked} asked")
define("UNTRACED_STOCK_DATE", 422, "无码库存应为追溯码强制扫码（{required_from}）之前购进的药品，购进日期 {bought_on} 不符", "Untraced stock is what was bought before trace codes were required ({required_from}); bought on {bought_on} does not qualify")
define("FEE_PRICE_OVER_CAP", 422, "费用明细 {feedetl_sn} 单价 {pric} 元超过最高限价 {cap} 元", "Fee line {feedetl_sn}: price {pric} is above the cap {cap}")

# -- the national-interface gateway --------------------------------------------------------
define("GATEWAY_BODY_INVALID", 400, "报文不是合法的 JSON", "The message is not valid JSON")
define("GATEWAY_FIELD_INVALID", 422, "字段 {field} 不合法：{reason}", "Field {field} is invalid: {reason}")
define("GATEWAY_INFNO_UNKNOWN", 422, "不支持的交易编号 {infno}", "Unsupported infno {infno}")
define("GATEWAY_INSTITUTION_MISMATCH", 403, "报文中的定点医药机构编码与密钥不符", "fixmedins_code in the envelope does not match the key")
define("GATEWAY_NOT_SIGNED_IN", 401, "未签到或签到已失效，请先调用 9001 签到", "Not signed in (or signed out): call 9001 first")
define("GATEWAY_AMOUNT_MISMATCH", 409, "结算金额 {field} 与医保计算不一致：机构 {given}，医保 {ours}", "Settlement amount {field} differs: yours {given}, ours {ours}")
define("TRANSPORT_SCHEME_REFUSED", 401, "该机构的传输方式为 {expected}，不接受 {given}", "This institution's transport is {expected}; {given} is not accepted")
define("TRANSPORT_ENCRYPTION_REQUIRED", 400, "该机构须以 SM4 加密报文（enc_type=SM4）并以 SM2 签名", "This institution must send SM4-encrypted (enc_type=SM4), SM2-signed messages")
define("TRANSPORT_ENCRYPTION_NOT_SET", 400, "该机构未配置加密传输，不能解密 enc_type={enc_type} 的报文", "No encrypted transport is set for this institution; cannot decrypt enc_type={enc_type}")
define("TRANSPORT_DECRYPT_FAILED", 400, "报文 input 解密失败：{reason}", "Could not decrypt input: {reason}")
define("TRANSPORT_SIGNATURE_INVALID", 401, "报文 SM2 签名（cainfo）无效", "The message's SM2 signature (cainfo) is invalid")
define("TRANSPORT_TOKEN_INVALID", 401, "访问令牌无效、已过期或已撤销", "Access token invalid, expired or revoked")
define("TRANSPORT_CREDENTIAL_NOT_FOUND", 404, "传输凭据不存在：{credential_id}", "Transport credential not found: {credential_id}")
define("TRANSPORT_PRINCIPAL_TAKEN", 409, "该{kind}标识已被使用：{principal}", "This {kind} identifier is taken: {principal}")
define("GATEWAY_FILE_NOT_FOUND", 404, "文件不存在或已过期：{file_qury_no}", "File not found or expired: {file_qury_no}")
define("RECORDING_MINUTES_INVALID", 422, "录制时长应为 0 到 10080 分钟（0 为关闭），收到 {minutes}", "Recording minutes must be 0 to 10080 (0 turns it off), got {minutes}")

# -- FHIR reads and the what-if simulator ----------------------------------------------------
define("FHIR_RESOURCE_NOT_FOUND", 404, "FHIR 资源 {resource}/{id} 不存在", "FHIR resource {resource}/{id} not found")
define("FHIR_RESOURCE_UNSUPPORTED", 404, "不支持的 FHIR 资源类型 {resource}（见 /fhir/R4/metadata）", "FHIR resource type {resource} is not served (see /fhir/R4/metadata)")
define("FHIR_ID_INVALID", 400, "FHIR 资源标识 {id} 格式不正确", "FHIR id {id} is malformed")
define("CLAIMS_FILE_INVALID", 422, "理赔文件 {path} 不合法：{problem}", "Claims file {path} is invalid: {problem}")

# -- crafted input: far dates, request bodies, catalog files ---------------------------------
define("DATE_OUT_OF_RANGE", 422, "{field} {value} 超出允许范围（{earliest} 至 {latest}）", "{field} {value} is outside the accepted dates ({earliest} to {latest})")
define("BODY_NOT_JSON", 400, "请求体不是合法的 JSON", "The request body is not valid JSON",
       alt=(("character", "请求体不是合法的 JSON（第 {character} 个字符）",
             "The request body is not valid JSON (at character {character})"),))
define("BODY_NOT_UTF8", 400, "请求体不是 UTF-8 编码的文本", "The request body is not UTF-8 text")
define("BODY_UNREADABLE", 400, "无法读取请求体", "The request body cannot be read")
define("BODY_TOO_LARGE", 413, "请求体过大：上限为 {limit}", "The request body is too large: the limit is {limit}")
define("RECONCILE_FILE_INVALID", 422, "对账明细文件第 {line} 行不合法：{reason}", "Line {line} of the reconciliation file is invalid: {reason}")
define("GATEWAY_BODY_TOO_DEEP", 400, "报文嵌套超过 {limit} 层", "The message is nested deeper than {limit} levels")
define("CATALOG_FILE_INVALID", 422, "目录文件第 {line} 行无法读取：{reason}", "Line {line} of the catalog file cannot be read: {reason}")

# -- the operator ledger keeps to its own money; tamper-evidence outside the database -------
define("LEDGER_PERSON_ACCOUNT", 409, "账户 {account} 属于参保人：个人的资金只能经其所属业务（结算、转账、缴费、划入）变动，不能通过账务接口调整", "Account {account} belongs to an insured person: a person's money moves only through the capability that owns it (settlement, transfer, contribution, credit), never through the ledger API")
define("ENTRY_OWNED", 409, "分录 {entry} 属于业务记录（{code}），只能由该业务撤销（如结算的撤销或冲正、转账的退回）", "Entry {entry} belongs to a business record ({code}); only that capability may undo it (a settlement's cancel or 冲正, a transfer's reject or cancel)")
define("HOLD_OWNED", 409, "冻结 {hold} 属于业务记录（{code}），只能由该业务处理（接收、拒收、撤回或到期退回）", "Hold {hold} belongs to a business record ({code}); only that capability may resolve it (accept, reject, cancel, or the return at its deadline)")
define("CHECKPOINT_KEY_INVALID", 422, "{path} 不是可用的 Ed25519 {kind}（PEM）：{reason}", "{path} is not a usable Ed25519 {kind} (PEM): {reason}")
define("CHECKPOINT_FILE_UNREADABLE", 422, "无法读取或写入检查点文件 {path}：{reason}", "The checkpoint file {path} cannot be read or written: {reason}")
# -- electronic prescriptions (电子处方): 《处方管理办法》第十八条, domain/prescriptions.py ------
define("RX_NOT_FOUND", 404, "电子处方不存在：{hi_rxno}", "Electronic prescription not found: {hi_rxno}")
define("RX_EXPIRED", 422, "电子处方 {hi_rxno} 已过有效期（有效至 {valid_until}）", "Electronic prescription {hi_rxno} has expired (valid until {valid_until})")
define("RX_ALREADY_FILLED", 409, "电子处方 {hi_rxno} 已取药（已结算），不能再次使用", "Electronic prescription {hi_rxno} has already been filled; it cannot be used again")
define("RX_REVOKED", 422, "电子处方 {hi_rxno} 已被开方机构作废", "Electronic prescription {hi_rxno} was revoked by the issuing institution")
define("RX_OTHER_PERSON", 422, "电子处方 {hi_rxno} 不是开给该参保人的", "Electronic prescription {hi_rxno} was not issued to this insured person")
define("RX_ITEM_NOT_PRESCRIBED", 422, "电子处方 {hi_rxno} 中没有 {code}", "{code} is not on electronic prescription {hi_rxno}")
define("RX_QUANTITY_EXCEEDED", 422, "{code} 超出处方数量：处方 {prescribed}，本次 {asked}", "{code} exceeds the prescribed quantity: prescribed {prescribed}, asked {asked}")
define("RX_REQUIRED", 422, "{code}（{name}）是处方药，须凭电子处方购买", "{code} ({name}) is a prescription drug: it needs an electronic prescription")
define("RX_VALID_DAYS", 422, "处方有效期应为 1 至 {max_valid_days} 天，收到 {given}", "A prescription is valid 1 to {max_valid_days} days, got {given}")
define("RX_ISSUER_NOT_HOSPITAL", 403, "只有医疗机构可以开具电子处方，零售药店不能开方", "Only a medical institution issues electronic prescriptions; a retail pharmacy cannot")
define("RX_ITEM_NOT_DRUG", 422, "{code} 不是药品，不能开入处方", "{code} is not a drug and cannot go on a prescription")
define("RX_ITEMS_INVALID", 422, "处方药品不合法：{reason}", "Invalid prescription items: {reason}")
