"""The cash part of an order (ownPayAmt, 自费) and the channel that takes it.

- model.py: CashChannel (the interface a real channel implements: pay, refund, query, each
  idempotent by request_id), ChannelResult, CashRequest, the sandbox's modes.
- store.py: gongji's record of each request to a channel (cash_payments: add_request,
  set_state, requests_of, pending for reconciliation) and the sandbox channel's own book.
- service.py: SandboxChannel (its book in sandbox_cash, so it survives restarts and agrees
  across processes) and next_outcome (queue the sandbox's next answers).

Promises: a channel moves money at most once per request_id; "unknown" is never taken as paid
(query() settles it later); a refund names the original payment and never gives back more
than it took. docs/MOBILE_PAY.md, "Cash channel", says how to plug in a real channel.
"""
