"""One registry of every error gongji can answer with.

Each code has one meaning, an HTTP status, the national interface's infcode, and a message in
Chinese and English. Messages are templates filled from the error's parameters, so a refusal
can say which rule and which limit ("at most 3 transfers a day") in both languages.
Entrypoints render errors from here and nowhere else.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    code: str
    http_status: int
    zh: str
    en: str
    infcode: int = -1
    retryable: bool = False


ERRORS: dict[str, ErrorSpec] = {}


def define(code: str, http_status: int, zh: str, en: str, *, infcode: int = -1,
           retryable: bool = False) -> ErrorSpec:
    if code in ERRORS:
        raise ValueError(f"error code {code} defined twice")
    spec = ErrorSpec(code, http_status, zh, en, infcode, retryable)
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


def render(template: str, params: Mapping[str, Any], lang: str = "zh") -> str:
    values = {k: v.pick(lang) if isinstance(v, Bi) else v for k, v in params.items()}
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
        return render(self.spec.zh, self.params, "zh")

    @property
    def message_en(self) -> str:
        return render(self.spec.en, self.params, "en")

    def body(self) -> dict[str, Any]:
        """The JSON error body every entrypoint answers with."""
        return {
            "code": self.code,
            "message": self.message,
            "message_en": self.message_en,
            "detail": {k: _detail(v) for k, v in self.params.items()},
        }


def _detail(v: Any) -> Any:
    if isinstance(v, Bi):
        return v.en
    if v is None or isinstance(v, str | int | bool | list | dict):
        return v
    return str(v)


# -- general -------------------------------------------------------------------------------
define("VALIDATION_ERROR", 422, "请求字段不合法：{fields}", "Invalid request fields: {fields}")
define("NOT_FOUND", 404, "未找到：{what}", "Not found: {what}")
define("METHOD_NOT_ALLOWED", 405, "不支持该请求方法", "Method not allowed")
define("UNAUTHENTICATED", 401, "未登录或凭据无效", "Not authenticated or invalid credentials")
define("FORBIDDEN", 403, "无权执行此操作", "Not allowed to do this")
define("INTERNAL", 500, "系统内部错误，请稍后重试（请求号 {request_id}）",
       "Internal error, please retry later (request {request_id})", retryable=True)
define("UNAVAILABLE", 503, "系统繁忙，请稍后重试", "Service busy, please retry", retryable=True)
define("DB_NOT_MIGRATED", 503, "数据库结构版本 {current} 落后于程序所需的 {head}，请运行 gongji db upgrade",
       "Database schema {current} is behind {head}; run `gongji db upgrade`")

# -- money ---------------------------------------------------------------------------------
define("MONEY_INVALID", 422, "{field} 不是合法金额：{value}（应为元，最多两位小数，如 2000.00）",
       "{field} is not a valid amount: {value} (yuan with at most two decimals, e.g. 2000.00)")
define("MONEY_TOO_PRECISE", 422, "{field} 金额最多两位小数：{value}",
       "{field} has more than two decimals: {value}")
define("MONEY_NEGATIVE", 422, "{field} 金额不能为负：{value}", "{field} must not be negative: {value}")
define("MONEY_ZERO", 422, "{field} 金额必须大于零", "{field} must be greater than zero")
define("MONEY_OVERFLOW", 422, "{field} 金额 {value} 超过上限 {limit}",
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
