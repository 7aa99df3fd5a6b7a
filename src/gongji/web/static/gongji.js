// gongji pages work without this file; with it they get a little smoother.
"use strict";

// A form sends once: the button is disabled after the first submit (the idempotency key
// would make a second one harmless anyway, but a double tap should not look like two).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.dataset.sent) { event.preventDefault(); return; }
  form.dataset.sent = "1";
  form.querySelectorAll("button").forEach(function (b) { b.setAttribute("aria-disabled", "true"); });
});

// The insurance code counts down and renews itself when it expires.
(function () {
  var el = document.querySelector("[data-expires-in]");
  if (!el) { return; }
  var left = parseInt(el.dataset.expiresIn, 10);
  var tick = function () {
    if (left <= 0) { window.location.reload(); return; }
    el.textContent = String(left);
    left -= 1;
    window.setTimeout(tick, 1000);
  };
  tick();
})();

// Print buttons (receipts) without inline script.
document.querySelectorAll("[data-print]").forEach(function (b) {
  b.addEventListener("click", function () { window.print(); });
});
