// Warns before an idle staff session ends (WCAG 2.2.1) and lets the person extend it.
// The session's real clock is on the server; this only mirrors it. Without script the page
// still works: the next request after the idle time leads to the login page with a message.
(function () {
  "use strict";
  var body = document.body;
  var idle = Number(body.dataset.idle || 0) * 1000;
  var warn = Number(body.dataset.warn || 0) * 1000;
  var dialog = document.getElementById("idle-warning");
  var form = document.getElementById("idle-form");
  if (!idle || !dialog || !form || typeof dialog.showModal !== "function") {
    return;
  }
  var warnTimer = null;
  var endTimer = null;
  var opener = null;

  function schedule() {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    warnTimer = setTimeout(function () {
      opener = document.activeElement;
      dialog.showModal();
    }, Math.max(0, idle - warn));
    endTimer = setTimeout(function () {
      window.location.assign("/login?expired=1");
    }, idle);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    }).then(function (response) {
      if (!response.ok) {
        window.location.assign("/login?expired=1");
        return;
      }
      dialog.close();
      if (opener && typeof opener.focus === "function") {
        opener.focus();
      }
      schedule();
    });
  });
  schedule();
})();
