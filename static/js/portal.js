// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Copy buttons: <button data-copy-target="#id"> copies that input's value.
  var live = document.createElement("p");
  live.className = "visually-hidden";
  live.setAttribute("aria-live", "polite");
  document.addEventListener("DOMContentLoaded", function () { document.body.appendChild(live); });

  function announce(text) { live.textContent = ""; window.setTimeout(function () { live.textContent = text; }, 50); }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) { return; }
    var source = document.querySelector(button.getAttribute("data-copy-target"));
    if (!source) { return; }
    var value = source.value !== undefined ? source.value : source.textContent;
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      announce("Copied to the clipboard");
      window.setTimeout(function () { button.textContent = label; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(value).then(done, function () { fallback(source); done(); });
    } else {
      fallback(source);
      done();
    }
  });

  function fallback(source) {
    source.focus();
    if (source.select) { source.select(); }
    try { document.execCommand("copy"); } catch (e) { /* the selection is left for Ctrl+C */ }
  }

  // Forms with data-confirm ask before a destructive POST.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });

  // Approvals: the "what happens to existing processes" choice only matters when
  // automatic creation was on and is being switched off.
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("approvals-form");
    if (!form) { return; }
    var toggle = form.querySelector("[name=auto_approval_processes]");
    var choice = form.querySelector(".on-disable");
    if (!toggle || !choice) { return; }
    var wasOn = form.getAttribute("data-auto-was-on") === "1";
    var sync = function () { choice.hidden = !(wasOn && !toggle.checked); };
    toggle.addEventListener("change", sync);
    sync();
  });
})();
