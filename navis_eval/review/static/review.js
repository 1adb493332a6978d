/* navis-eval review: keyboard navigation and small conveniences. Served as a file (CSP: script-src 'self'). */
(function () {
  "use strict";

  var body = document.body;
  var page = body.getAttribute("data-page");
  var help = document.getElementById("keyhelp");

  function typing(event) {
    var t = event.target;
    return !!t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(t.tagName) && t.type !== "submit" && t.type !== "button");
  }

  function toggleHelp() {
    if (help) help.hidden = !help.hidden;
  }

  function flash(elements) {
    Array.prototype.forEach.call(elements, function (el) {
      el.classList.remove("flash");
      void el.offsetWidth;
      el.classList.add("flash");
    });
  }

  function marksFor(id) {
    return document.querySelectorAll('[data-marks~="' + id.replace(/[^A-Za-z0-9_-]/g, "") + '"]');
  }

  function jumpTo(id) {
    var anchor = document.getElementById(id);
    var marks = marksFor(id);
    var target = marks.length ? marks[0] : anchor;
    if (!target) return;
    target.scrollIntoView({ block: "center", behavior: "smooth" });
    flash(marks.length ? marks : [target]);
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-toggle=keyhelp]"), function (b) {
    b.addEventListener("click", toggleHelp);
  });

  Array.prototype.forEach.call(document.querySelectorAll("select.autosubmit"), function (select) {
    select.addEventListener("change", function () {
      var page = select.form.querySelector("input[name=page]");
      if (page) page.remove();
      select.form.submit();
    });
  });

  /* ---------------- queue ---------------- */
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.qrow"));
  var current = -1;

  function selectRow(i) {
    if (!rows.length) return;
    i = Math.max(0, Math.min(rows.length - 1, i));
    if (current >= 0 && rows[current]) {
      rows[current].classList.remove("current");
      rows[current].removeAttribute("aria-selected");
    }
    current = i;
    rows[i].classList.add("current");
    rows[i].setAttribute("aria-selected", "true");
    rows[i].scrollIntoView({ block: "nearest" });
  }

  if (page === "queue" && rows.length) {
    var last = null;
    try { last = sessionStorage.getItem("navis-review-last"); } catch (e) { /* storage may be off */ }
    var start = 0;
    rows.forEach(function (row, i) {
      if (last && row.getAttribute("data-run") + "|" + row.getAttribute("data-item") === last) start = i;
      row.addEventListener("click", function (event) {
        if (event.target.closest("a")) return;
        window.location.href = row.getAttribute("data-href");
      });
    });
    selectRow(start);
  }

  /* ---------------- item ---------------- */
  var flags = Array.prototype.slice.call(document.querySelectorAll("section.flag"));
  var active = -1;
  var reviewer = document.getElementById("reviewer");
  var form = document.getElementById("verdict-form");
  var submitting = false;

  function setActive(i, scroll) {
    if (!flags.length) return;
    i = Math.max(0, Math.min(flags.length - 1, i));
    flags.forEach(function (f) { f.classList.remove("active"); });
    active = i;
    flags[i].classList.add("active");
    if (scroll) flags[i].scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  function decide(verdict) {
    if (active < 0 || submitting) return;
    if (reviewer && !reviewer.value.trim()) {
      reviewer.focus();
      reviewer.classList.add("needed");
      reviewer.setAttribute("placeholder", "Enter your name first, then press the key again");
      return;
    }
    var button = flags[active].querySelector('button[data-verdict="' + verdict + '"]');
    if (button) button.click();
  }

  if (page === "item") {
    var key = (document.querySelector("input[name=run_id]") || {}).value + "|" + (document.querySelector("input[name=item_id]") || {}).value;
    try { sessionStorage.setItem("navis-review-last", key); } catch (e) { /* storage may be off */ }
    flags.forEach(function (f, i) {
      if (f.classList.contains("active")) active = i;
      f.addEventListener("focusin", function () { setActive(i, false); });
      f.addEventListener("click", function () { setActive(i, false); });
    });
    if (active < 0 && flags.length) setActive(0, false);
    if (location.hash.indexOf("#flag-") === 0) {
      flags.forEach(function (f, i) { if ("#flag-" + f.getAttribute("data-check") === decodeURIComponent(location.hash)) setActive(i, true); });
    }
    if (reviewer) {
      reviewer.addEventListener("keydown", function (event) {
        if (event.key === "Enter") event.preventDefault();
      });
    }
    if (form) {
      form.addEventListener("submit", function (event) {
        if (submitting) { event.preventDefault(); return; }
        submitting = true;
      });
    }
    Array.prototype.forEach.call(document.querySelectorAll("mark.hl[data-target]"), function (mark) {
      mark.addEventListener("click", function () { jumpTo(mark.getAttribute("data-target")); });
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-jump]"), function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        jumpTo(link.getAttribute("data-jump"));
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll(".span-item[data-mark]"), function (item) {
      var id = item.getAttribute("data-mark");
      item.addEventListener("mouseenter", function () {
        Array.prototype.forEach.call(marksFor(id), function (m) { m.classList.add("hot"); });
      });
      item.addEventListener("mouseleave", function () {
        Array.prototype.forEach.call(marksFor(id), function (m) { m.classList.remove("hot"); });
      });
    });
  }

  function follow(id) {
    var link = document.getElementById(id);
    if (link) window.location.href = link.getAttribute("href");
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    var k = event.key;
    if (k === "?") { toggleHelp(); event.preventDefault(); return; }
    if (k === "Escape" && help && !help.hidden) { help.hidden = true; return; }
    if (page === "queue") {
      if (k === "j" || k === "ArrowDown") { selectRow(current + 1); event.preventDefault(); }
      else if (k === "k" || k === "ArrowUp") { selectRow(current - 1); event.preventDefault(); }
      else if (k === "Enter" && current >= 0 && rows[current] && !event.target.closest("a")) {
        event.preventDefault();
        window.location.href = rows[current].getAttribute("data-href");
      }
    } else if (page === "item") {
      if (k === "j") { setActive(active + 1, true); event.preventDefault(); }
      else if (k === "k") { setActive(active - 1, true); event.preventDefault(); }
      else if (k === "c") { decide("confirm"); event.preventDefault(); }
      else if (k === "o") { decide("overturn"); event.preventDefault(); }
      else if (k === "u") { decide("unsure"); event.preventDefault(); }
      else if (k === "e" && active >= 0) {
        var note = flags[active].querySelector("textarea");
        if (note) { note.focus(); event.preventDefault(); }
      }
      else if (k === "n") follow("next-item");
      else if (k === "p") follow("prev-item");
      else if (k === "q" || k === "Escape") follow("to-queue");
    }
  });
})();
