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
  // A chart HTMX swaps out is disposed of, or ECharts would keep it (and
  // its canvas) for as long as the page is open: /stats swaps its charts
  // at every refresh.
  document.addEventListener("htmx:beforeCleanupElement", function (e) {
    var el = e.target;
    if (window.echarts && el.classList && el.classList.contains("chart-box")) {
      var chart = echarts.getInstanceByDom(el);
      if (chart) chart.dispose();
    }
  });
  document.addEventListener("htmx:sendError", function () {
    toast("The gateway did not answer. Check that it is running.", "error");
  });
  // Copy buttons (data-copy="#input"): hidden until this script shows them.
  function enhance(root) {
    root.querySelectorAll("[data-copy]").forEach(function (b) { b.hidden = false; });
    root.querySelectorAll("[data-select-all]").forEach(function (b) { b.hidden = false; });
    countSelected();
  }
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("[data-copy]");
    if (!b) return;
    var input = document.querySelector(b.getAttribute("data-copy"));
    if (!input) return;
    input.select();
    var done = function () { toast("Copied to the clipboard.", "ok"); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { toast("Copy failed: select the text and copy it.", "error"); });
    } else {
      document.execCommand("copy");
      done();
    }
  });
  // The keys table: "select all" and the bulk bar's count of ticked rows.
  function countSelected() {
    var n = document.querySelectorAll('input[name="id"][form="bulk"]:checked').length;
    document.querySelectorAll("[data-selected-count]").forEach(function (el) {
      el.textContent = n === 1 ? "1 key selected:" : n + " keys selected:";
    });
  }
  document.addEventListener("change", function (e) {
    if (e.target.matches("[data-select-all]")) {
      document.querySelectorAll('input[name="id"][form="bulk"]').forEach(function (c) { c.checked = e.target.checked; });
    }
    if (e.target.matches('input[name="id"][form="bulk"], [data-select-all]')) countSelected();
  });
  // Forms that name an event in data-reset-on are cleared when the server
  // raises it (HX-Trigger): a token created, keys imported.
  ["tokenCreated", "keysImported"].forEach(function (name) {
    document.addEventListener(name, function () {
      document.querySelectorAll('form[data-reset-on="' + name + '"]').forEach(function (f) { f.reset(); });
    });
  });
  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:load", function (e) { enhance(e.target); });
})();
