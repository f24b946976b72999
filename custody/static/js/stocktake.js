/*
 * Stocktake scan page: each code from the scan box (custody:scan, see static/js/scan.js) is posted
 * to the server at once and judged there; the answer is listed newest first, the counts refresh and
 * the item's row in the table below shows its result and scan time (a new row for a label that was
 * not on the books; a label scanned again says so).
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

  var lines = document.getElementById("stock-lines");

  function cell(row, name) {
    return row.querySelector('[data-cell="' + name + '"]');
  }

  function newRow(answer) {
    var row = document.createElement("tr");
    row.setAttribute("data-label", answer.label_code);
    var cells = [["code", answer.label_code], ["", answer.name || (lines && lines.getAttribute("data-unknown")) || ""],
                 ["", "\u2014"], ["found", ""], ["result", ""], ["time", ""], ["", ""]];
    cells.forEach(function (spec, index) {
      var td = document.createElement("td");
      if (index === 0) {
        var code = document.createElement("span");
        code.className = "code";
        code.textContent = spec[1];
        td.appendChild(code);
      } else {
        td.textContent = spec[1];
      }
      if (spec[0] && index > 0) {
        td.setAttribute("data-cell", spec[0]);
      }
      row.appendChild(td);
    });
    var empty = lines.querySelector("[data-empty]");
    if (empty) {
      empty.remove();
    }
    lines.insertBefore(row, lines.firstChild);
    return row;
  }

  function updateRow(answer) {
    if (!lines || !answer.label_code) {
      return;
    }
    var row = null;
    lines.querySelectorAll("tr[data-label]").forEach(function (candidate) {
      if (candidate.getAttribute("data-label") === answer.label_code) {
        row = candidate;
      }
    });
    row = row || newRow(answer);
    var badge = document.createElement("span");
    badge.className = "badge badge-" + (answer.discrepancy ? "bad" : "ok");
    badge.textContent = answer.result_label || "";
    var result = cell(row, "result");
    if (result) {
      result.textContent = "";
      result.appendChild(badge);
    }
    if (cell(row, "time")) {
      cell(row, "time").textContent = answer.scanned_at || "";
    }
    if (cell(row, "found")) {
      cell(row, "found").textContent = answer.found_at || target.getAttribute("data-root") || "";
    }
    row.classList.toggle("late", !!answer.discrepancy);
    row.classList.remove("flash-twice");
    void row.offsetWidth; // restart the highlight
    row.classList.add("flash-twice");
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
      if (answer.ok) {
        updateRow(answer);
      }
    }).catch(function () {
      show(target.getAttribute("data-msg-error"), "bad");
    });
  });
})();
