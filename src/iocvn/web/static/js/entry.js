// Entry grid: Enter moves to the next value; a value far from both last period and last year
// is flagged before submitting (the server's checks still decide).
(function () {
  "use strict";
  var grid = document.getElementById("entry-grid");
  if (!grid) { return; }
  var message = grid.getAttribute("data-outlier");
  var inputs = Array.prototype.slice.call(grid.querySelectorAll("input.num-input"));
  function parse(text) {
    if (!text) { return null; }
    var t = String(text).replace(/\s/g, "");
    if (t.indexOf(",") >= 0 && t.indexOf(".") < 0) { t = t.replace(",", "."); }
    var n = Number(t);
    return isFinite(n) ? n : null;
  }
  function far(value, ref) {
    if (ref === null || ref === 0) { return false; }
    return Math.abs(value - ref) / Math.abs(ref) > 0.5;
  }
  function check(input) {
    var v = parse(input.value);
    var prev = parse(input.getAttribute("data-previous"));
    var ly = parse(input.getAttribute("data-last-year"));
    var note = input.parentNode.querySelector(".outlier-note");
    var flagged = v !== null && (prev !== null || ly !== null) &&
      (prev === null || far(v, prev)) && (ly === null || far(v, ly));
    input.classList.toggle("outlier", flagged);
    if (note) { note.hidden = !flagged; note.textContent = flagged ? message : ""; }
  }
  inputs.forEach(function (input, i) {
    input.addEventListener("input", function () { check(input); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter") {
        e.preventDefault();
        var next = inputs[i + 1];
        if (next) { next.focus(); next.select(); }
      }
    });
    check(input);
  });
})();
