/* The release site's tables: sort by a column (click its heading) and filter the rows by a text.
   Without this script every row is shown in the order of the release. Nothing is fetched. */
(function () {
  "use strict";
  function cellKey(td, kind) {
    var v = td.getAttribute("data-value");
    if (v === null) v = td.textContent.trim();
    if (kind === "num") {
      var n = parseFloat(v);
      return isNaN(n) ? null : n;
    }
    return v.toLocaleLowerCase();
  }
  function sortBy(th) {
    var table = th.closest("table"), body = table.tBodies[0];
    var col = Array.prototype.indexOf.call(th.parentNode.children, th);
    var kind = th.getAttribute("data-sort");
    var asc = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(th.parentNode.children, function (o) { o.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellKey(a.cells[col], kind), y = cellKey(b.cells[col], kind);
      if (x === y) return 0;
      if (x === null) return 1;   /* no value: always last */
      if (y === null) return -1;
      return (x < y ? -1 : 1) * (asc ? 1 : -1);
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  function filter(input) {
    var table = document.getElementById(input.getAttribute("data-filter"));
    var words = input.value.toLocaleLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
      var text = r.textContent.toLocaleLowerCase();
      var ok = words.every(function (w) { return text.indexOf(w) >= 0; });
      r.hidden = !ok;
      if (ok) shown += 1;
    });
    var count = document.getElementById(input.id + "-count");
    if (count) count.textContent = shown + " / " + table.tBodies[0].rows.length;
  }
  document.addEventListener("click", function (e) {
    var th = e.target.closest && e.target.closest("th[data-sort]");
    if (th) sortBy(th);
  });
  document.addEventListener("input", function (e) {
    if (e.target.matches && e.target.matches("input[data-filter]")) filter(e.target);
  });
  Array.prototype.forEach.call(document.querySelectorAll("input[data-filter]"), function (i) { i.hidden = false; });
})();
