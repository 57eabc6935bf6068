// The rules editor (/alerts/rules): the quantity list shows only what the chosen device
// measures (options carry data-devices). Without this script every quantity is listed and
// the server says when the device does not measure the one chosen.
(function () {
  "use strict";
  var device = document.getElementById("rule-device");
  var quantity = document.getElementById("rule-quantity");
  if (!device || !quantity) { return; }
  function apply() {
    var code = device.value;
    var firstShown = null;
    Array.prototype.forEach.call(quantity.options, function (opt) {
      var codes = (opt.getAttribute("data-devices") || "").split(" ");
      var show = !opt.value || !code || !opt.hasAttribute("data-devices") || codes.indexOf(code) >= 0;
      opt.hidden = !show;
      opt.disabled = !show;
      if (show && opt.value && firstShown === null) { firstShown = opt; }
    });
    var current = quantity.options[quantity.selectedIndex];
    if (current && current.hidden) { quantity.value = ""; }
    if (!quantity.value && firstShown && code) {
      var visible = Array.prototype.filter.call(quantity.options, function (o) { return o.value && !o.hidden; });
      if (visible.length === 1) { quantity.value = firstShown.value; }
    }
  }
  device.addEventListener("change", apply);
  apply();
})();
