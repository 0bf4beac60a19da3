// FPR enhancement script. Every page works without it; it only adds
// conveniences. Loaded with defer from the site's own origin (CSP
// script-src 'self').
(function () {
  "use strict";
  // Ask before destructive actions: <form data-confirm="Delete this?">.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var msg = form.getAttribute && form.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) {
      e.preventDefault();
    }
  });
  // Move focus to an error summary so screen readers announce it.
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  }
})();
