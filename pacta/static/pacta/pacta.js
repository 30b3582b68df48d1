// pacta's only script besides htmx: small behaviours, no inline scripts (CSP).
document.addEventListener("change", function (e) {
  if (e.target.matches("[data-autosubmit]")) e.target.form.submit();
});
document.addEventListener("submit", function (e) {
  var msg = e.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) e.preventDefault();
});
