// pacta's only script besides htmx: small behaviours, no inline scripts (CSP).
// Every page works without it; it only saves a click or shows progress.
document.documentElement.classList.add("js");

// A select marked data-autosubmit submits its form when changed (language switcher, filters).
document.addEventListener("change", function (e) {
  var el = e.target;
  if (!el.matches("[data-autosubmit]")) return;
  if (el.form.requestSubmit) el.form.requestSubmit(); else el.form.submit();
});

// A form marked data-confirm asks before it is sent; every other post shows the running indicator.
document.addEventListener("submit", function (e) {
  var msg = e.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) { e.preventDefault(); return; }
  if (!e.defaultPrevented && !e.target.hasAttribute("hx-get") && !e.target.hasAttribute("hx-post")) {
    document.body.classList.add("submitting");
  }
});

// Back from the browser's cache: the page is not submitting any more.
window.addEventListener("pageshow", function () { document.body.classList.remove("submitting"); });

// A checkbox marked data-toggles="ID" shows or hides the element with that id (optional fieldsets).
function syncToggle(box) {
  var target = document.getElementById(box.getAttribute("data-toggles"));
  if (target) target.hidden = !box.checked;
}
document.addEventListener("change", function (e) {
  if (e.target.matches("[data-toggles]")) syncToggle(e.target);
});
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-toggles]").forEach(syncToggle);
  var first = document.querySelector("[data-focus-first] [aria-invalid='true']");
  if (first) first.focus();
});
