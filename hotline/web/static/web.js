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
