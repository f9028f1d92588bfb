// The Cite control's Copy buttons (templates/works/_cite.html). A file, not inline: the CSP
// allows scripts from 'self' only.
(function () {
  "use strict";

  function copied(button, text) {
    var status = document.querySelector('[data-copy-status="' + button.dataset.copyTarget + '"]');
    if (status) {
      status.textContent = text;
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) {
      return;
    }
    var field = document.getElementById(button.dataset.copyTarget);
    if (!field) {
      return;
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(
        function () { copied(button, "Copied"); },
        function () { field.select(); copied(button, "Selected: press Ctrl+C to copy"); }
      );
    } else {
      field.select();
      var ok = false;
      try {
        ok = document.execCommand("copy");
      } catch (e) {
        ok = false;
      }
      copied(button, ok ? "Copied" : "Selected: press Ctrl+C to copy");
    }
  });
})();
