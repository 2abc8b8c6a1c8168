// Keypool dashboard: toasts raised by the server (HX-Trigger: {"toast":
// {"message":"…","kind":"ok|error"}}) and by failed HTMX requests.
(function () {
  "use strict";
  function toast(text, kind) {
    var box = document.getElementById("toasts");
    if (!box || !text) return;
    var el = document.createElement("div");
    el.className = "flash " + (kind === "error" ? "error" : "ok");
    el.setAttribute("role", kind === "error" ? "alert" : "status");
    el.textContent = text;
    box.appendChild(el);
    setTimeout(function () { el.remove(); }, 6000);
  }
  document.addEventListener("toast", function (e) {
    var d = e.detail || {};
    toast(d.message || d.value, d.kind);
  });
  document.addEventListener("htmx:responseError", function (e) {
    toast("The request failed (" + e.detail.xhr.status + "). Reload the page and try again.", "error");
  });
  document.addEventListener("htmx:sendError", function () {
    toast("The gateway did not answer. Check that it is running.", "error");
  });
})();
