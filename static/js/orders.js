// Orders pages: confirmations for moves that cannot be undone, and Enter in an order line
// recomputes the lines (htmx "change") instead of submitting the whole order.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var message = (button && button.dataset.confirm) || form.dataset.confirm;
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || !target.closest || !target.closest("#order-lines")) {
      return;
    }
    if (target.tagName === "INPUT") {
      event.preventDefault();
      target.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
})();
