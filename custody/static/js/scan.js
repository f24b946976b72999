/*
 * The scan box in the top bar (hand-written, no framework, no inline script: CSP friendly).
 *
 * USB barcode/QR scanners act as keyboards: they type the label code and press Enter.
 *  - On an ordinary page, Enter submits the box's GET form: /scan?code=... jumps to the item.
 *  - On a page that is building a batch (check-in, transfer list, stocktake), the page marks the
 *    batch element with the attribute data-scan-target. Enter then stays on the page: the code
 *    is sent to that element as a "custody:scan" CustomEvent (detail: {code: "..."}, bubbles),
 *    and the box is cleared and refocused for the next scan (if the page refuses the code with
 *    event.preventDefault(), the code stays in the box, selected). The page decides what to do
 *    with the code and shows its own feedback:
 *
 *      document.querySelector("[data-scan-target]")
 *        .addEventListener("custody:scan", function (event) { add(event.detail.code); });
 *
 * F2 (anywhere) or "/" (outside text fields) puts the cursor in the box.
 *
 * Scanner input always goes to the box, wherever the cursor is: a burst of keystrokes (each within
 * SCAN_GAP_MS of the last) that ends with Enter and reads as a label or location code is taken out
 * of the field it was typed into (the field gets its earlier text back) and scanned, as if typed in
 * the box. On a batch page Enter in any other one-line field does nothing: it never submits the batch
 * (the page's submit button does). Text areas keep their Enter (lists of codes are typed there).
 */
(function () {
  "use strict";

  var form = document.getElementById("scan-form");
  var input = form && form.querySelector("input[name=code]");
  if (!input) {
    return;
  }

  function scanTarget() {
    // Looked up at each scan, not at load: pages may add or swap the batch element later.
    return document.querySelector("[data-scan-target]");
  }

  function isEditable(element) {
    if (!element || element === document.body) {
      return false;
    }
    if (element.isContentEditable) {
      return true;
    }
    var tag = element.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") {
      return true;
    }
    if (tag !== "INPUT") {
      return false;
    }
    var type = (element.getAttribute("type") || "text").toLowerCase();
    return ["button", "checkbox", "radio", "submit", "reset", "image", "file", "hidden", "range", "color"]
      .indexOf(type) === -1;
  }

  function focusBox() {
    input.focus();
    input.select();
  }

  form.addEventListener("submit", function (event) {
    // Scanners may add spaces or a trailing tab/CR; the code itself never contains white space.
    var code = input.value.trim();
    if (!code) {
      event.preventDefault();
      focusBox();
      return;
    }
    input.value = code;
    var target = scanTarget();
    if (!target) {
      return; // an ordinary GET submit to /scan?code=...
    }
    event.preventDefault();
    var taken = target.dispatchEvent(new CustomEvent("custody:scan", {
      detail: { code: code },
      bubbles: true,
      cancelable: true
    }));
    if (taken) {
      input.value = "";
      input.focus();
    } else {
      focusBox(); // refused by the page: keep the code, selected, so the next scan replaces it
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    var wanted = event.key === "F2" || (event.key === "/" && !isEditable(event.target));
    if (wanted) {
      event.preventDefault();
      focusBox();
    }
  });

  // -- scanner bursts ---------------------------------------------------------------------------

  var SCAN_GAP_MS = 80; // a scanner types a character every few milliseconds; people take 100+
  var SCAN_MIN_LENGTH = 6;
  var CODE = /^(?:[A-Z0-9]{2,16}-\d{4}-\d{3,10}|LOC:[A-Z0-9][A-Z0-9:._-]{0,80})$/i;
  var burst = null; // {field, before, text, last}

  function now() {
    return window.performance && window.performance.now ? window.performance.now() : Date.now();
  }

  function scanFromField(field, text, before) {
    field.value = before; // the code was never meant for this field
    input.value = text;
    if (scanTarget()) {
      if (form.requestSubmit) {
        form.requestSubmit();
      } else {
        form.dispatchEvent(new Event("submit", { cancelable: true }));
      }
    } else {
      focusBox(); // an ordinary page: the code waits in the box, Enter opens it (the form is kept)
    }
  }

  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (field === input || !isEditable(field) || field.tagName === "TEXTAREA" || field.tagName === "SELECT" ||
        event.ctrlKey || event.metaKey || event.altKey || event.isComposing) {
      burst = null;
      return;
    }
    var time = now();
    var fresh = burst && burst.field === field && time - burst.last <= SCAN_GAP_MS;
    if (event.key && event.key.length === 1) {
      if (fresh) {
        burst.text += event.key;
        burst.last = time;
      } else {
        burst = { field: field, before: field.value, text: event.key, last: time };
      }
      return;
    }
    if (event.key === "Enter") {
      var scanned = fresh && burst.text.length >= SCAN_MIN_LENGTH && CODE.test(burst.text);
      var before = burst ? burst.before : "";
      var text = burst ? burst.text : "";
      burst = null;
      if (scanned) {
        event.preventDefault();
        event.stopPropagation();
        scanFromField(field, text, before);
        return;
      }
      if (scanTarget() && field.form && field.form !== form) {
        event.preventDefault(); // Enter in a field of a batch page never submits the batch
      }
      return;
    }
    if (event.key !== "Shift") {
      burst = null;
    }
  }, true);

  // A batch page is for scanning: put the cursor in the box unless the page chose a field itself.
  if (scanTarget() && (!document.activeElement || document.activeElement === document.body)) {
    focusBox();
  }
})();
