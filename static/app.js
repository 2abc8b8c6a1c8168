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
  // The playground (/dashboard/playground): sends one chat request through
  // the pool and shows the answer as it streams, the time to the first
  // token, the total, the usage and the key that served it (masked, from
  // X-Keypool-Key).
  function playground(root) {
    var box = root.querySelector ? root.querySelector("#playground") : null;
    if (!box || box.dataset.ready) return;
    box.dataset.ready = "1";
    var $ = function (id) { return document.getElementById(id); };
    var model = $("pg-model"), tpl = $("pg-template");
    fetch(box.dataset.models, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (d) {
      model.innerHTML = "";
      (d.data || []).forEach(function (m) {
        var o = document.createElement("option");
        o.value = o.textContent = m.id;
        model.appendChild(o);
      });
      if (!model.options.length) model.innerHTML = '<option value="">–</option>';
    }, function () { model.innerHTML = '<option value="">–</option>'; });
    tpl.addEventListener("change", function () {
      var o = tpl.selectedOptions[0];
      if (!o || !o.value) return;
      $("pg-system").value = o.dataset.system || "";
      $("pg-user").value = o.dataset.user || "";
      $("pg-temperature").value = o.dataset.temperature || "0.7";
      $("pg-stream").checked = o.dataset.stream === "true";
    });
    $("pg-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var messages = [];
      if ($("pg-system").value.trim()) messages.push({ role: "system", content: $("pg-system").value });
      messages.push({ role: "user", content: $("pg-user").value });
      var stream = $("pg-stream").checked;
      var req = { model: model.value, messages: messages, stream: stream, temperature: parseFloat($("pg-temperature").value) || 0 };
      if (stream) req.stream_options = { include_usage: true };
      send(req, stream);
    });
    function show(id, v) { $(id).textContent = v === undefined || v === null || v === "" ? "–" : String(v); }
    function send(req, stream) {
      var out = $("pg-answer"), err = $("pg-error"), btn = $("pg-send");
      out.textContent = ""; err.hidden = true;
      ["pg-status", "pg-ttft", "pg-total", "pg-prompt-tokens", "pg-completion-tokens", "pg-key", "pg-attempts"].forEach(function (id) { show(id); });
      btn.disabled = true;
      var start = performance.now(), first = 0;
      var ms = function (t) { return Math.round(t) + " ms"; };
      var usage = function (u) { if (u) { show("pg-prompt-tokens", u.prompt_tokens); show("pg-completion-tokens", u.completion_tokens); } };
      var csrf = document.querySelector('#pg-form input[name="_csrf"]');
      fetch(box.dataset.chat, { method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-Csrf-Token": csrf ? csrf.value : "" }, body: JSON.stringify(req) })
        .then(function (r) {
          show("pg-status", r.status); show("pg-key", r.headers.get("X-Keypool-Key")); show("pg-attempts", r.headers.get("X-Keypool-Attempts"));
          var ct = r.headers.get("Content-Type") || "";
          if (!r.ok || ct.indexOf("text/event-stream") < 0) {
            return r.json().then(function (d) {
              show("pg-ttft", ms(performance.now() - start));
              if (!r.ok) { err.textContent = (d.error && d.error.message) || r.statusText; err.hidden = false; return; }
              out.textContent = d.choices && d.choices[0] && d.choices[0].message ? d.choices[0].message.content : "";
              usage(d.usage);
            });
          }
          var reader = r.body.getReader(), dec = new TextDecoder(), rest = "";
          function read() {
            return reader.read().then(function (part) {
              if (part.done) return;
              var lines = (rest + dec.decode(part.value, { stream: true })).split("\n");
              rest = lines.pop();
              lines.forEach(function (line) {
                if (line.indexOf("data:") !== 0) return;
                var data = line.slice(5).trim();
                if (data === "[DONE]") return;
                try { data = JSON.parse(data); } catch (x) { return; }
                var c = data.choices && data.choices[0] && data.choices[0].delta && data.choices[0].delta.content;
                if (c) {
                  if (!first) { first = performance.now(); show("pg-ttft", ms(first - start)); }
                  out.textContent += c;
                }
                if (data.error) { err.textContent = data.error.message || "the stream failed"; err.hidden = false; }
                usage(data.usage);
              });
              return read();
            });
          }
          return read();
        })
        .catch(function (x) { err.textContent = String(x); err.hidden = false; })
        .then(function () { show("pg-total", ms(performance.now() - start)); btn.disabled = false; });
    }
  }
  document.addEventListener("DOMContentLoaded", function () { playground(document); });
  document.addEventListener("htmx:load", function (e) { playground(e.target); });
})();
