/*
 * Stocktake scan page: each code from the scan box (custody:scan, see static/js/scan.js) is posted
 * to the server at once and judged there; the answer is listed newest first and the counts refresh.
 * Without JavaScript the page's own form does the same with a full page load.
 */
(function () {
  "use strict";

  var target = document.querySelector("[data-scan-target][data-scan-url]");
  if (!target) {
    return;
  }
  var status = document.getElementById("scan-status");
  var place = document.getElementById("scan-location");

  function show(text, tone) {
    var row = document.createElement("li");
    row.className = "batch-row" + (tone === "bad" ? " has-problem" : "");
    row.textContent = text;
    target.insertBefore(row, target.firstChild);
    if (status) {
      status.textContent = text;
    }
  }

  function refreshCounts(counts) {
    Object.keys(counts || {}).forEach(function (key) {
      var cell = document.querySelector('[data-count="' + key + '"]');
      if (cell) {
        cell.textContent = String(counts[key]);
      }
    });
  }

  target.addEventListener("custody:scan", function (event) {
    var body = new FormData();
    body.append("csrf_token", target.getAttribute("data-csrf"));
    body.append("label_code", event.detail.code);
    body.append("location_id", place ? place.value : "");
    fetch(target.getAttribute("data-scan-url"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json();
    }).then(function (answer) {
      show(answer.message || target.getAttribute("data-msg-error"), answer.ok && !answer.discrepancy ? "ok" : "bad");
      refreshCounts(answer.counts);
    }).catch(function () {
      show(target.getAttribute("data-msg-error"), "bad");
    });
  });
})();
