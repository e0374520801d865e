// pytest-llm-regressions HTML report: filters, search and toggles. The page is
// complete without this script (every row is in the HTML); it only hides and opens.
(function () {
  "use strict";
  var list = document.getElementById("list");
  var panel = document.getElementById("filters");
  if (!list || !panel) {
    return;
  }
  var rows = Array.prototype.slice.call(list.querySelectorAll("details.case"));
  var keys = ["label", "verdict", "golden", "bucket"];
  var selects = {};
  keys.forEach(function (key) {
    selects[key] = document.getElementById("f-" + key);
  });
  var search = document.getElementById("f-q");
  var shown = document.getElementById("shown");
  var texts = null; // each row's text, lower-cased on the first search

  function apply() {
    var want = {};
    keys.forEach(function (key) {
      want[key] = selects[key] ? selects[key].value : "";
    });
    var query = search.value.trim().toLowerCase();
    if (query && texts === null) {
      texts = rows.map(function (row) {
        return row.textContent.toLowerCase();
      });
    }
    var count = 0;
    rows.forEach(function (row, i) {
      var ok = keys.every(function (key) {
        return !want[key] || row.dataset[key] === want[key];
      });
      ok = ok && (!query || texts[i].indexOf(query) !== -1);
      row.hidden = !ok;
      count += ok ? 1 : 0;
    });
    shown.textContent = count + " of " + rows.length + " cases shown";
  }

  function toggle(open) {
    rows.forEach(function (row) {
      if (!row.hidden) {
        row.open = open;
      }
    });
  }

  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var row = id ? document.getElementById(id) : null;
    if (row && row.tagName === "DETAILS") {
      row.hidden = false;
      row.open = true;
      row.scrollIntoView();
    }
  }

  keys.forEach(function (key) {
    if (selects[key]) {
      selects[key].addEventListener("change", apply);
    }
  });
  var pending = null;
  search.addEventListener("input", function () {
    clearTimeout(pending);
    pending = setTimeout(apply, 150);
  });
  document.getElementById("f-open").addEventListener("click", function () {
    toggle(true);
  });
  document.getElementById("f-close").addEventListener("click", function () {
    toggle(false);
  });
  document.getElementById("f-reset").addEventListener("click", function () {
    keys.forEach(function (key) {
      if (selects[key]) {
        selects[key].value = "";
      }
    });
    search.value = "";
    apply();
  });
  // links such as "show these cases" set one filter: data-filter="bucket=regressed"
  Array.prototype.forEach.call(document.querySelectorAll("a[data-filter]"), function (a) {
    a.addEventListener("click", function () {
      var parts = a.getAttribute("data-filter").split("=");
      var select = selects[parts[0]];
      if (select) {
        keys.forEach(function (key) {
          if (selects[key]) {
            selects[key].value = "";
          }
        });
        select.value = parts.slice(1).join("=");
        apply();
      }
    });
  });
  window.addEventListener("hashchange", openTarget);
  panel.hidden = false;
  apply();
  openTarget();
})();
