// The demo cashier's small enhancements; every page works without this file.
(function () {
  "use strict";
  var print = document.getElementById("print");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
})();
