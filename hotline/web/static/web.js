// Small progressive enhancements; every page works without this script.
(function () {
  "use strict";
  // Count the claim's lease down once a minute so the agent sees it running out.
  document.querySelectorAll("[data-lease-seconds]").forEach(function (el) {
    var left = parseInt(el.getAttribute("data-lease-seconds"), 10);
    var template = el.getAttribute("data-lease-template");
    if (isNaN(left) || !template) { return; }
    var started = Date.now();
    setInterval(function () {
      var remaining = Math.max(0, left - Math.floor((Date.now() - started) / 1000));
      el.textContent = template.replace("{minutes}", String(Math.floor(remaining / 60)));
    }, 30000);
  });
})();

// Live callers waiting: poll the server every few seconds (a 304 when nothing changed),
// redraw the panel, and alert an available adviser who speaks a waiting caller's
// language (on the page, with a short beep, and as a desktop notification if allowed).
(function () {
  "use strict";
  var panel = document.getElementById("live-waiting");
  if (!panel || !window.fetch) { return; }
  var pollUrl = panel.getAttribute("data-poll-url");
  var takeUrl = panel.getAttribute("data-take-url");
  var every = Math.max(2, parseInt(panel.getAttribute("data-poll-seconds"), 10) || 3) * 1000;
  var names = JSON.parse(panel.getAttribute("data-language-names") || "{}");
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var etag = null;
  var last = null;
  var clockOffset = 0; // server time minus this browser's, in ms
  var active = false; // a click or key since the last poll
  var alerted = ""; // the waiting callers we already alerted about
  var audio = null;
  var enableButton = panel.querySelector(".live-enable-alerts");

  function text(name) { return panel.getAttribute("data-t-" + name) || ""; }

  ["click", "keydown"].forEach(function (type) {
    document.addEventListener(type, function () {
      active = true;
      if (audio && audio.state === "suspended") { audio.resume(); }
    }, true);
  });

  if (enableButton && window.Notification && Notification.permission === "default") {
    enableButton.hidden = false;
    enableButton.addEventListener("click", function () {
      Notification.requestPermission().then(function () { enableButton.hidden = true; });
    });
  }

  function duration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    return text("duration").replace("{m}", String(Math.floor(seconds / 60)))
      .replace("{s}", String(seconds % 60));
  }

  function beep() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) { return; }
    try {
      audio = audio || new Context();
      var tone = audio.createOscillator();
      var gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.value = 0.15;
      tone.connect(gain);
      gain.connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.3);
    } catch (e) { /* no sound here: the page alert still shows */ }
  }

  function notify() {
    if (!window.Notification || Notification.permission !== "granted") { return; }
    try { new Notification(text("notification"), { body: text("alert"), tag: "hotline-live" }); }
    catch (e) { /* some browsers allow notifications only from a service worker */ }
  }

  function takeForm(language) {
    var form = document.createElement("form");
    form.method = "post";
    form.action = takeUrl;
    form.className = "inline";
    [["csrf_token", csrf], ["language", language]].forEach(function (pair) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = pair[0];
      input.value = pair[1];
      form.appendChild(input);
    });
    var button = document.createElement("button");
    button.type = "submit";
    button.textContent = text("take");
    form.appendChild(button);
    return form;
  }

  function draw(data) {
    var now = Date.now() + clockOffset;
    var body = panel.querySelector(".live-table tbody");
    body.textContent = "";
    data.languages.forEach(function (row) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-language", row.language);
      var th = document.createElement("th");
      th.scope = "row";
      th.textContent = names[row.language] || row.language;
      var count = document.createElement("td");
      count.className = "num";
      count.textContent = String(row.waiting);
      var wait = document.createElement("td");
      wait.className = "live-wait";
      wait.setAttribute("data-since", row.callers.length ? row.callers[0].since : "");
      wait.textContent = duration((now - Date.parse(row.callers[0].since)) / 1000);
      var take = document.createElement("td");
      if (row.can_take && data.availability === "on") { take.appendChild(takeForm(row.language)); }
      [th, count, wait, take].forEach(function (cell) { tr.appendChild(cell); });
      body.appendChild(tr);
    });
    panel.querySelector(".live-table").hidden = data.languages.length === 0;
    panel.querySelector(".live-none").hidden = data.languages.length !== 0;
    panel.querySelector(".live-state").textContent = text("state-" + data.availability);
    panel.querySelector(".live-alert").hidden = !data.alert;
    var waitingNow = data.languages.filter(function (row) { return row.can_take; })
      .map(function (row) { return row.callers.map(function (c) { return c.since; }).join(","); })
      .join(";");
    if (data.alert && waitingNow !== alerted) { beep(); notify(); }
    alerted = data.alert ? waitingNow : "";
  }

  function tick() {
    // Between polls the waits count up here, from when each caller joined.
    var now = Date.now() + clockOffset;
    panel.querySelectorAll(".live-wait[data-since]").forEach(function (cell) {
      var since = Date.parse(cell.getAttribute("data-since"));
      if (!isNaN(since)) { cell.textContent = duration((now - since) / 1000); }
    });
  }

  function poll() {
    var headers = { "Accept": "application/json" };
    if (etag) { headers["If-None-Match"] = etag; }
    var url = pollUrl + (active ? "?active=1" : "");
    active = false;
    fetch(url, { headers: headers, credentials: "same-origin", cache: "no-cache" })
      .then(function (response) {
        if (response.status === 304) { return null; }
        if (!response.ok) { throw new Error("poll " + response.status); }
        etag = response.headers.get("ETag");
        return response.json();
      })
      .then(function (data) {
        if (data) {
          clockOffset = Date.parse(data.now) - Date.now();
          last = data;
          draw(data);
        } else if (last) {
          tick();
        }
      })
      .catch(function () { /* signed out or offline: try again at the next poll */ })
      .then(function () { setTimeout(poll, every); });
  }

  setInterval(tick, 1000);
  poll();
})();

// Training: the phone simulator's keypad types into the keys field.
(function () {
  "use strict";
  var field = document.getElementById("sim-keys");
  if (!field) return;
  document.querySelectorAll(".keypad .key").forEach(function (button) {
    button.addEventListener("click", function () {
      field.value += button.getAttribute("data-key");
      field.focus();
    });
  });
})();
