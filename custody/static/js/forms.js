/*
 * After a form failed validation the page lists the errors at its top (#error-summary, a
 * role="alert" box linking to each field). This moves the keyboard focus there, so the user (and
 * a screen reader) starts from the list instead of the page top. Pages work without this file.
 */
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (!summary) {
    return;
  }
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    var target = link && document.getElementById(link.getAttribute("href").slice(1));
    if (target) {
      var control = target.matches("input, select, textarea") ? target : target.querySelector("input:not([type=hidden]), select, textarea");
      if (control) {
        event.preventDefault();
        target.scrollIntoView({block: "center"});
        control.focus();
      }
    }
  });
}());
