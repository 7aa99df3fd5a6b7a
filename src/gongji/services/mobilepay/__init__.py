"""Online purchase with 医保 (医保移动支付): a person's payment authorization (payAuthNo), and an
institution's mobile-payment order through 6201 upload, 6202 pay, 6203 refund, 6301 query,
6401 cancel; the cash part through the payment channel (services/cashpay), each state change
notified to the institution (services/notify), prescriptions filled (services/prescriptions),
trace codes recorded when the order ships.

- model: the commands and views.
- store: pay_auths, pay_orders, pay_refunds as typed records.
- service: the doors.
"""
