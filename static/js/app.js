// Small behaviours shared by every page, kept out of inline attributes so that a strict
// Content-Security-Policy (no inline scripts) can be applied.
(function () {
  "use strict";
  // <form data-confirm="Really?">: ask before submitting.
  document.addEventListener("submit", function (event) {
    var message = event.target.dataset && event.target.dataset.confirm;
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  // <input type="checkbox" data-check-all="ids">: (un)ticks every checkbox named "ids".
  document.addEventListener("change", function (event) {
    var name = event.target.dataset && event.target.dataset.checkAll;
    if (!name) return;
    var form = event.target.form || document;
    form.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) {
      box.checked = event.target.checked;
    });
  });
})();
