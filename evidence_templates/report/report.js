// Filters for the requirements and findings: hide what does not match. The report reads in
// full without this script; it fetches nothing and writes nothing but the page's classes.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) { return; }
  form.hidden = false;
  var fields = ["search", "framework", "status", "severity", "since", "owner"].map(function (name) {
    return document.getElementById("f-" + name);
  });
  var count = document.getElementById("f-count");
  var requirements = Array.prototype.slice.call(document.querySelectorAll("article.req"));
  var headings = Array.prototype.slice.call(document.querySelectorAll("h3.fw"));
  function matches(el, search, framework, status, severity, since, owner) {
    if (owner && (el.dataset.owners || "").split(" | ").indexOf(owner) < 0) { return false; }
    if (framework && el.dataset.framework !== framework) { return false; }
    if (status && el.dataset.status !== status) { return false; }
    if (severity && (" " + el.dataset.severity + " ").indexOf(" " + severity + " ") < 0) { return false; }
    if (since) {
      var later = (el.dataset.changed || "").split(" ").filter(function (seq) {
        return seq && Number(seq) > Number(since);
      });
      if (!later.length) { return false; }
    }
    return !search || el.textContent.toLowerCase().indexOf(search) >= 0;
  }
  function apply() {
    var v = fields.map(function (f) { return f.value; });
    var search = v[0].trim().toLowerCase();
    var shown = 0;
    requirements.forEach(function (el) {
      var ok = matches(el, search, v[1], v[2], v[3], v[4], v[5]);
      el.classList.toggle("is-hidden", !ok);
      if (ok) { shown += 1; }
    });
    headings.forEach(function (h) {
      var any = requirements.some(function (el) {
        return el.dataset.framework === h.dataset.framework && !el.classList.contains("is-hidden");
      });
      h.classList.toggle("is-hidden", !any);
    });
    count.textContent = shown + " of " + requirements.length + " requirements shown";
  }
  fields.forEach(function (f) { f.addEventListener("input", apply); f.addEventListener("change", apply); });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  apply();
})();
