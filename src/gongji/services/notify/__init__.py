"""Notifications to institutions: an order's state changed (医保移动支付 notify_url).

- model.py: Due (one claimed attempt), NotificationView (what operators and the institution
  see), DeliveryReport.
- store.py: pay_notifications rows: add, claim (a lease on next_at; FOR UPDATE SKIP LOCKED
  on PostgreSQL), delivered, failed.
- service.py: enqueue_in (in the caller's unit of work), deliver_due (the server's loop),
  list_for, pay_key. The schedule and the signature are domain/notify.py; institutions check
  signatures with gongji.client.notify.verify_signature.

Promises: a notification exists exactly when the change it reports was committed; it is
POSTed until a 2xx answer or the schedule runs out (16 attempts over about a day); two
deliverers never send one row at the same time; the institution deduplicates by notifyId
(at least once, not exactly once: a lost 2xx answer means it comes again).
"""
