// Progressive enhancement of the chat: the same form posts, without reloading the page.
// The server answers a post with `X-KE-Partial: 1` with the conversation fragment; new
// transcript entries are appended to the live log (so they are announced), the rest is
// replaced around the answer field, which is kept as the same element: focus never jumps.
(function () {
  "use strict";
  var chat = document.getElementById("chat");
  if (!chat || !window.fetch || !window.DOMParser || !window.FormData) return;
  var KEEP = ["log", "status", "answer"];
  var busy = false;
  var timer = null;
  var warnTimer = null;

  function containsKeeper(node) {
    if (node.nodeType !== 1) return null;
    for (var i = 0; i < KEEP.length; i++) {
      if (node.id === KEEP[i] || node.querySelector("#" + KEEP[i])) return KEEP[i];
    }
    return null;
  }

  function lastEntry() {
    var entries = document.querySelectorAll("#log .msg");
    return entries.length ? entries[entries.length - 1].dataset.id : "";
  }

  function appendEntries(oldLog, newLog) {
    var have = {};
    Array.prototype.forEach.call(oldLog.children, function (c) { have[c.dataset.id] = true; });
    Array.prototype.forEach.call(newLog.children, function (c) {
      if (!have[c.dataset.id]) oldLog.appendChild(document.importNode(c, true));
    });
  }

  function copyAttributes(target, source) {
    Array.prototype.slice.call(target.attributes).forEach(function (a) {
      if (a.name !== "id" && !source.hasAttribute(a.name)) target.removeAttribute(a.name);
    });
    Array.prototype.forEach.call(source.attributes, function (a) {
      if (target.getAttribute(a.name) !== a.value) target.setAttribute(a.name, a.value);
    });
  }

  // Make `old` look like `fresh`, keeping the elements named in KEEP (and their ancestors).
  function patch(old, fresh) {
    if (old.id === "log") { appendEntries(old, fresh); return; }
    if (old.id === "status") return;
    if (old !== chat) copyAttributes(old, fresh);
    // A turn applied gets an empty field; one refused (too fast, an old form) gets back what
    // was typed, as the page without JavaScript shows it.
    if (old.id === "answer") { old.value = fresh.getAttribute("value") || ""; return; }
    var kept = {};
    Array.prototype.slice.call(old.childNodes).forEach(function (child) {
      var k = containsKeeper(child);
      if (k && fresh.querySelector("#" + k)) kept[k] = child; else old.removeChild(child);
    });
    var cursor = null; // insert after this node (null: at the start)
    Array.prototype.slice.call(fresh.childNodes).forEach(function (child) {
      var k = containsKeeper(child);
      var match = k && kept[k];
      if (match) { patch(match, child); cursor = match; return; }
      var node = document.importNode(child, true);
      old.insertBefore(node, cursor ? cursor.nextSibling : old.firstChild);
      cursor = node;
    });
  }

  function update(html) {
    var doc = new DOMParser().parseFromString("<div id='chat'>" + html + "</div>", "text/html");
    var fresh = doc.getElementById("chat");
    var answer = document.getElementById("answer");
    var focused = document.activeElement;
    var fromForm = focused && focused !== answer && focused.closest && focused.closest("#turn");
    var freshAnswer = fresh.querySelector("#answer");
    if (answer && !fresh.querySelector("#turn") && fresh.querySelector(".after")) {
      // Filed: load the receipt page, so the transcript leaves this page too.
      window.location.assign("/");
      return;
    }
    if (answer && !freshAnswer) answer = null;
    patch(chat, fresh);
    // A notice (slow down, an old form, a file too large) is not a transcript entry: it is
    // said through the status line, a live region already on the page (a region inserted
    // with its text is not reliably announced).
    var notice = document.getElementById("notice");
    var status = document.getElementById("status");
    if (notice && status) status.textContent = notice.textContent.trim();
    if (answer && (fromForm || document.activeElement === document.body)) {
      // A quick reply or command button was used (and replaced): back to the answer field.
      if (fromForm) answer.focus();
    }
    startTimer();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id !== "turn") return;
    event.preventDefault();
    if (busy) return;
    var submitter = event.submitter;
    var data = submitter ? new FormData(form, submitter) : new FormData(form);
    // Without a file the turn goes urlencoded: the server reads it for a fraction of the cost of
    // multipart (the upload question keeps multipart for its file).
    var body = form.querySelector("input[type=file]") ? data : new URLSearchParams(data);
    var status = document.getElementById("status");
    var headers = { "X-KE-Partial": "1", "X-KE-Since": lastEntry() };
    if (window.self !== window.top) headers["X-KE-Framed"] = "1"; // the page differs in a frame
    busy = true;
    form.setAttribute("aria-busy", "true");
    if (status) status.textContent = status.dataset.typing || "";
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: headers
    }).then(function (response) {
      var type = response.headers.get("content-type") || "";
      var fragment = response.headers.get("x-ke-partial") === "1";
      if (response.headers.get("x-ke-closed") === "1") {
        // The window had closed: nothing was applied. The plain post gets the page that
        // shows back what was typed (and carries it through the resume code).
        form.submit();
        return null;
      }
      if (response.redirected || type.indexOf("text/html") !== 0 || !fragment) {
        window.location.assign("/");
        return null;
      }
      var lang = response.headers.get("content-language");
      return response.text().then(function (html) {
        if (lang && lang !== document.documentElement.lang) {
          window.location.assign("/"); // a new language: the whole page changes
          return;
        }
        update(html);
      });
    }).catch(function () {
      form.submit(); // the network failed us: fall back to the plain post
    }).then(function () {
      busy = false;
      var current = document.getElementById("turn");
      if (current) current.removeAttribute("aria-busy");
      var s = document.getElementById("status");
      if (s && s.textContent === (s.dataset.typing || "")) s.textContent = "";
    });
  });

  // The time-out warning (WCAG 2.2.1): shown ahead of the idle limit, with a way to extend it.
  function startTimer() {
    var idle = parseInt(chat.dataset.idle || "0", 10);
    clearTimeout(timer);
    clearTimeout(warnTimer);
    var box = document.getElementById("timeout");
    if (!idle || !box) return;
    box.hidden = true;
    var said = document.getElementById("timeout-text");
    if (said) said.textContent = "";
    var lead = Math.min(300, Math.floor(idle / 5));
    warnTimer = setTimeout(function () {
      var b = document.getElementById("timeout");
      if (!b) return;
      var minutes = Math.max(1, Math.round(lead / 60));
      // one minute has its own sentence ("1 minutes" is not a language)
      var template = document.getElementById(minutes === 1 ? "timeout-warn-one" : "timeout-warn");
      document.getElementById("timeout-text").textContent =
        (template ? template.content.textContent : "").replace("{minutes}", String(minutes));
      b.hidden = false;
    }, (idle - lead) * 1000);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("#timeout-extend");
    if (!button) return;
    var box = document.getElementById("timeout");
    var body = new URLSearchParams();
    body.append("csrf", box.dataset.csrf);
    fetch("/keepalive", { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { window.location.assign("/"); return null; }
        var closes = response.headers.get("x-ke-closes");
        var until = document.getElementById("timeout-until");
        if (closes && until && until.dataset.closes) {
          until.textContent = until.textContent.replace(until.dataset.closes, closes);
          until.dataset.closes = closes;
        }
        return response.text();
      })
      .then(function (text) {
        if (text === null) return;
        var s = document.getElementById("status");
        if (s) s.textContent = text;
        startTimer();
        var answer = document.getElementById("answer");
        if (answer) answer.focus();
      });
  });

  startTimer();
})();
