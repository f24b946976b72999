/*
 * Page helpers for the custody forms (hand-written, no framework, no inline script). Every page
 * works without this file; it only makes the forms quicker to use:
 *
 *  - registration form: shows the category-specific fields of the chosen category only, and the
 *    new-seizure-list fields only when a new list is chosen (hidden fields are disabled, so they
 *    are not sent);
 *  - batch check-in ([data-batch]): each code scanned into the top scan box (a "custody:scan"
 *    event, see scan.js) is looked up and added to the visible list with the item's name, or
 *    flagged (unknown, not awaiting check-in, scanned twice); a scanned shelf or bin label (LOC:…)
 *    chooses the batch's location; each scan is answered visibly (the status line, coloured, and a flash
 *    of the row) and audibly (a short WebAudio tone: one high for OK, two for a repeat, one low for a
 *    refusal); the late-reason field shows while a late police item is in the batch;
 *  - location pickers (select[data-searchable]): a filter box by code or any part of the path;
 *  - transfer builder ([data-pick]): a scanned code ticks that item's checkbox;
 *  - transfer builder ([data-file-only]): the warning that a stage transfer with no item ticked
 *    sends the case file only, shown while that is so (the server renders it for the first view);
 *  - sign-for ([data-sign-for]): lines start undecided; scanning a line's label accepts it (the line
 *    flashes, the count of checked lines goes up); "Accept all" asks for confirmation first. The
 *    server refuses a submission with undecided lines whatever this script does.
 *  - release, return and disposal execution ([data-confirm-items]): scanning an item's label ticks its
 *    card (each item confirmed in hand), answered like a batch scan (status line, flash, tone); a form
 *    with data-confirm-submit (执行处置, irreversible) asks for confirmation before it is sent. The server
 *    refuses a step with an item not ticked whatever this script does.
 */
(function () {
  "use strict";

  function fill(template, values) {
    return (template || "").replace(/\{(\w+)\}/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : match;
    });
  }

  function say(element, text) {
    if (!element) {
      return;
    }
    element.textContent = "";
    window.setTimeout(function () { element.textContent = text; }, 50);
  }

  // Scan feedback a keeper notices without looking at the screen reader's text: a short tone (WebAudio;
  // silently nothing where audio is unavailable or not yet allowed) and a flash of the row or field.
  // ok: one high tone; twice (already scanned): two short tones; bad (unknown, refused): one low tone.
  var audio = null;
  function beep(kind) {
    try {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) {
        return;
      }
      audio = audio || new Context();
      var tones = { ok: [[1046, 0]], twice: [[784, 0], [784, 0.16]], bad: [[220, 0]] }[kind] || [];
      tones.forEach(function (tone) {
        var oscillator = audio.createOscillator();
        var gain = audio.createGain();
        var start = audio.currentTime + tone[1];
        var length = kind === "bad" ? 0.3 : 0.1;
        oscillator.type = kind === "bad" ? "square" : "sine";
        oscillator.frequency.value = tone[0];
        gain.gain.setValueAtTime(0.12, start);
        gain.gain.exponentialRampToValueAtTime(0.001, start + length);
        oscillator.connect(gain);
        gain.connect(audio.destination);
        oscillator.start(start);
        oscillator.stop(start + length);
      });
    } catch (ignored) {
      // no sound: the visible feedback stays
    }
  }

  function flash(element, kind) {
    if (!element) {
      return;
    }
    ["scan-flash-ok", "scan-flash-twice", "scan-flash-bad"].forEach(function (name) {
      element.classList.remove(name);
    });
    void element.offsetWidth; // restart the animation
    element.classList.add("scan-flash-" + kind);
    window.setTimeout(function () { element.classList.remove("scan-flash-" + kind); }, 2000);
  }

  function feedback(box, kind, text, element) {
    if (box) {
      box.setAttribute("data-scan-result", kind);
    }
    say(box, text);
    flash(element, kind);
    beep(kind);
  }

  function toggle(element, shown) {
    element.hidden = !shown;
    element.querySelectorAll("input, select, textarea").forEach(function (control) {
      control.disabled = !shown;
    });
  }

  // -- registration form ---------------------------------------------------------------------

  var register = document.querySelector("[data-register-form]");
  if (register) {
    var category = register.querySelector("select[name=category]");
    var groups = register.querySelectorAll("fieldset[data-category]");
    var showCategory = function () {
      groups.forEach(function (group) { toggle(group, group.getAttribute("data-category") === category.value); });
    };
    if (category && groups.length) {
      category.addEventListener("change", showCategory);
      showCategory();
    }
    var list = register.querySelector("select[name=seizure_list_id]");
    var newList = register.querySelector("[data-new-list]");
    var showNewList = function () { toggle(newList, list.value === "0"); };
    if (list && newList) {
      list.addEventListener("change", showNewList);
      showNewList();
    }
    register.querySelectorAll(".no-js-only").forEach(function (element) { element.hidden = true; });
  }

  // -- batch check-in ------------------------------------------------------------------------

  var batch = document.querySelector("[data-batch]");
  if (batch) {
    var status = document.querySelector("[data-batch-status]");
    var empty = document.querySelector("[data-batch-empty]");
    var count = document.querySelector("[data-batch-count]");
    var msg = function (name) { return batch.getAttribute("data-msg-" + name) || ""; };

    var lateBox = document.querySelector("[data-late-reason]");
    var refresh = function () {
      var rows = batch.querySelectorAll(".batch-row");
      if (lateBox) { // asked on the spot while a late police item is in the batch
        var input = lateBox.querySelector("input");
        lateBox.hidden = !batch.querySelector("[data-late]") && !(input && input.value) &&
          !lateBox.querySelector(".errors");
      }
      if (count) {
        count.textContent = String(batch.querySelectorAll("input[name=codes]").length);
      }
      if (empty) {
        empty.hidden = rows.length > 0;
      }
    };

    var findRow = function (code) {
      var rows = batch.querySelectorAll(".batch-row");
      for (var i = 0; i < rows.length; i += 1) {
        if (rows[i].getAttribute("data-code") === code) {
          return rows[i];
        }
      }
      return null;
    };

    var span = function (className, text) {
      var element = document.createElement("span");
      element.className = className;
      element.textContent = text;
      return element;
    };

    var addRow = function (code, info) {
      var row = document.createElement("li");
      row.className = "batch-row" + (info.ok ? "" : " has-problem");
      row.setAttribute("data-code", code);
      if (info.ok || info.unchecked) {
        var hidden = document.createElement("input");
        hidden.type = "hidden";
        hidden.name = "codes";
        hidden.value = code;
        row.appendChild(hidden);
      }
      row.appendChild(span("code", code));
      if (info.name) {
        row.appendChild(document.createTextNode(" "));
        row.appendChild(span("batch-name", info.name));
        row.appendChild(document.createTextNode(" "));
        row.appendChild(span("badge badge-" + (info.tone || "info"), info.status_label || ""));
      }
      if (info.hours !== null && info.hours !== undefined) {
        row.appendChild(document.createTextNode(" "));
        row.appendChild(span("muted", fill(msg("hours"), { hours: info.hours })));
        if (info.late) {
          row.appendChild(document.createTextNode(" "));
          var late = span("badge badge-bad", msg("late"));
          late.setAttribute("data-late", "");
          row.appendChild(late);
        }
      }
      if (info.message) {
        row.appendChild(document.createTextNode(" "));
        var problem = span("batch-error", info.message + (info.ok || info.unchecked ? "" : " " + msg("excluded")));
        problem.setAttribute("role", "note");
        row.appendChild(problem);
      }
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link";
      remove.setAttribute("data-remove", "");
      remove.textContent = msg("remove");
      row.appendChild(document.createTextNode(" "));
      row.appendChild(remove);
      batch.appendChild(row);
      refresh();
      return row;
    };

    var chooseLocation = function (code) {
      var select = document.getElementById("location_id");
      var url = batch.getAttribute("data-lookup-url") + "?code=" + encodeURIComponent(code);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (info) {
          if (!info.ok || !select) {
            feedback(status, "bad", info.message || code, select);
            showProblem(info.message || code);
            return;
          }
          var filter = document.querySelector("input[data-filter-for='" + select.id + "']");
          if (filter && filter.value) { // the scanned place wins over a half-typed filter
            filter.value = "";
            filter.dispatchEvent(new Event("input"));
          }
          select.value = String(info.id);
          select.dispatchEvent(new Event("change", { bubbles: true }));
          showProblem("");
          feedback(status, "ok", fill(msg("location"), { path: info.short + " · " + info.path }), select);
        })
        .catch(function () { feedback(status, "bad", msg("unreachable"), select); });
    };

    var showProblem = function (text) { // visible, next to the location picker
      var box = document.querySelector("[data-location-problem]");
      if (box) {
        box.textContent = text;
        box.hidden = !text;
      }
    };

    batch.addEventListener("custody:scan", function (event) {
      var code = String(event.detail.code || "").trim().toUpperCase();
      if (!code) {
        return;
      }
      if (code.indexOf("LOC:") === 0) { // a shelf or bin label: the batch goes there
        chooseLocation(code);
        return;
      }
      var existing = findRow(code);
      if (existing) {
        feedback(status, "twice", fill(msg("twice"), { code: code }), existing);
        return;
      }
      var url = batch.getAttribute("data-lookup-url") + "?code=" + encodeURIComponent(code);
      var where = document.getElementById("location_id");
      if (where && where.value) {
        url += "&location_id=" + encodeURIComponent(where.value);
      }
      var placeholder = addRow(code, { ok: true, unchecked: true, name: "…" });
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (info) {
          var row = addRow(code, info);
          batch.replaceChild(row, placeholder);
          refresh();
          feedback(
            status,
            info.ok ? "ok" : "bad",
            info.ok ? fill(msg("added"), { code: code, name: info.name }) : code + "：" + info.message,
            row
          );
        })
        .catch(function () {
          var row = addRow(code, { ok: false, unchecked: true, message: msg("unreachable") });
          batch.replaceChild(row, placeholder);
          refresh();
          feedback(status, "bad", msg("unreachable"), row);
        });
    });

    batch.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove]");
      if (button) {
        button.closest(".batch-row").remove();
        refresh();
        var box = document.getElementById("scan-code");
        if (box) {
          box.focus();
        }
      }
    });
    refresh();
  }

  // -- searchable pickers: a filter box above a long select (by code or any part of the path) -----

  document.querySelectorAll("select[data-searchable]").forEach(function (select) {
    var all = Array.prototype.slice.call(select.options);
    var box = document.createElement("input");
    box.type = "search";
    box.className = "select-filter";
    box.setAttribute("aria-label", select.getAttribute("data-filter-label") || "Filter");
    box.placeholder = select.getAttribute("data-filter-label") || "";
    box.setAttribute("autocomplete", "off");
    box.setAttribute("data-filter-for", select.id);
    select.parentNode.insertBefore(box, select);
    box.addEventListener("input", function () {
      var words = box.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      var first = null;
      all.forEach(function (option) {
        var text = option.text.toLowerCase();
        var shown = !option.value || words.every(function (word) { return text.indexOf(word) !== -1; });
        option.hidden = !shown;
        if (shown && option.value && first === null) {
          first = option;
        }
      });
      if (first && (select.selectedIndex < 0 || select.options[select.selectedIndex].hidden)) {
        select.value = first.value;
      }
    });
  });

  // -- transfer builder: a stage transfer with no items sends the file only --------------------

  var fileOnly = document.querySelector("[data-file-only]");
  var updateFileOnly = function () {
    if (!fileOnly) {
      return;
    }
    var kind = document.getElementById("kind");
    var stageKinds = (fileOnly.getAttribute("data-stage-kinds") || "").split(" ");
    var picked = document.querySelectorAll("input[name=item_ids]:checked").length;
    fileOnly.hidden = !(kind && stageKinds.indexOf(kind.value) >= 0 && picked === 0);
  };
  if (fileOnly) {
    var fileOnlyForm = fileOnly.closest("form");
    if (fileOnlyForm) {
      fileOnlyForm.addEventListener("change", updateFileOnly);
    }
    updateFileOnly();
  }

  // -- transfer builder: scanning ticks the line ---------------------------------------------

  var pick = document.querySelector("[data-pick]");
  if (pick) {
    var pickStatus = document.querySelector("[data-pick-status]");
    var pickedCount = document.querySelector("[data-picked-count]");
    var recount = function () {
      if (pickedCount) {
        pickedCount.textContent = String(pick.querySelectorAll("input[name=item_ids]:checked").length);
      }
      updateFileOnly();
    };
    pick.addEventListener("change", recount);
    pick.addEventListener("custody:scan", function (event) {
      var code = String(event.detail.code || "").trim().toUpperCase();
      var row = pick.querySelector("tr[data-code=\"" + code.replace(/["\\]/g, "") + "\"]");
      var box = row && row.querySelector("input[name=item_ids]");
      if (!box || box.disabled) {
        say(pickStatus, fill(pick.getAttribute("data-msg-unknown"), { code: code }));
        event.preventDefault(); // keep the code in the scan box: the keeper sees what was refused
        return;
      }
      box.checked = true;
      row.classList.remove("flash-twice");
      void row.offsetWidth;
      row.classList.add("flash-twice");
      recount();
      say(pickStatus, fill(pick.getAttribute("data-msg-picked"), { code: code }));
    });
  }

  // -- sign-for: scan each line's label, or click; "accept all" only after confirming --------------

  var signFor = document.querySelector("[data-sign-for]");
  if (signFor) {
    var signStatus = document.querySelector("[data-sign-status]");
    var decidedCount = document.querySelector("[data-decided-count]");
    var acceptAll = document.querySelector("[data-accept-all]");
    var lineOf = function (code) {
      return signFor.querySelector("tr[data-code=\"" + code.replace(/["\\]/g, "") + "\"]");
    };
    var undecided = function () {
      var rows = [];
      signFor.querySelectorAll("fieldset.decision").forEach(function (fieldset) {
        if (!fieldset.querySelector("input[type=radio]:checked")) {
          rows.push(fieldset);
        }
      });
      return rows;
    };
    var recountDecided = function () {
      var all = signFor.querySelectorAll("fieldset.decision").length;
      if (decidedCount) {
        decidedCount.textContent = String(all - undecided().length);
      }
      signFor.querySelectorAll("fieldset.decision").forEach(function (fieldset) {
        var row = fieldset.closest("tr");
        var checked = fieldset.querySelector("input[type=radio]:checked");
        row.classList.toggle("line-accepted", !!checked && checked.value === "accept");
        row.classList.toggle("line-rejected", !!checked && checked.value === "reject");
        if (checked && checked.value === "accept") {
          row.classList.remove("has-problem"); // the server's "not checked yet" no longer applies
          fieldset.querySelectorAll(".errors").forEach(function (list) { list.hidden = true; });
        }
      });
    };
    signFor.addEventListener("change", recountDecided);
    signFor.addEventListener("custody:scan", function (event) {
      var code = String(event.detail.code || "").trim().toUpperCase();
      var row = lineOf(code);
      var accept = row && row.querySelector("input[type=radio][value=accept]");
      if (!row) {
        say(signStatus, fill(signFor.getAttribute("data-msg-unknown"), { code: code }));
        event.preventDefault(); // keep the code in the box: the receiver sees what was refused
        return;
      }
      if (!accept) {
        say(signStatus, fill(signFor.getAttribute("data-msg-decided"), { code: code }));
        return;
      }
      accept.checked = true;
      row.classList.remove("flash-twice");
      void row.offsetWidth;
      row.classList.add("flash-twice");
      row.scrollIntoView({ block: "nearest" });
      recountDecided();
      say(signStatus, fill(signFor.getAttribute("data-msg-accepted"), { code: code }));
    });
    if (acceptAll) {
      acceptAll.hidden = false;
      acceptAll.addEventListener("click", function () {
        var open = undecided();
        if (!open.length) {
          return;
        }
        if (!window.confirm(fill(acceptAll.getAttribute("data-confirm"), { n: open.length }))) {
          return;
        }
        open.forEach(function (fieldset) {
          fieldset.querySelector("input[type=radio][value=accept]").checked = true;
        });
        recountDecided();
      });
    }
    recountDecided();
  }

  // -- release, return, execution: confirm each item in hand by scanning it (or ticking it) ---------

  document.querySelectorAll("[data-confirm-items]").forEach(function (list) {
    var status = list.querySelector("[data-confirm-status]");
    var count = list.querySelector("[data-confirmed-count]");
    var recount = function () {
      var boxes = list.querySelectorAll("input[type=checkbox]");
      var ticked = 0;
      boxes.forEach(function (box) {
        box.closest(".confirm-card").classList.toggle("is-confirmed", box.checked);
        ticked += box.checked ? 1 : 0;
      });
      if (count) {
        count.textContent = String(ticked);
      }
    };
    list.addEventListener("change", recount);
    list.addEventListener("custody:scan", function (event) {
      var code = String(event.detail.code || "").trim().toUpperCase();
      var card = list.querySelector(".confirm-card[data-code=\"" + code.replace(/["\\]/g, "") + "\"]");
      var box = card && card.querySelector("input[type=checkbox]");
      if (!box) {
        feedback(status, "bad", fill(list.getAttribute("data-msg-unknown"), { code: code }), list);
        event.preventDefault(); // keep the code in the box: the keeper sees what was refused
        return;
      }
      if (box.checked) {
        feedback(status, "twice", fill(list.getAttribute("data-msg-twice"), { code: code }), card);
        return;
      }
      box.checked = true;
      recount();
      card.scrollIntoView({ block: "nearest" });
      feedback(status, "ok", fill(list.getAttribute("data-msg-confirmed"), { code: code }), card);
    });
    recount();
  });

  document.querySelectorAll("form[data-confirm-submit]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm-submit"))) {
        event.preventDefault();
      }
    });
  });
})();
