// iocvn web shell: small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Confirmation for dangerous actions: <form data-confirm="...">
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
  // Narrow screens: the navigation folds behind a button.
  var toggle = document.querySelector(".nav-toggle");
  var nav = document.getElementById("mainnav");
  if (toggle && nav) {
    toggle.addEventListener("click", function () {
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  // Selects that filter another select: <select data-filter-target="id"> with options
  // carrying data-levels="province commune" — used to show only org units fitting a role.
  document.querySelectorAll("select[data-role-levels]").forEach(function (roleSelect) {
    var levels = JSON.parse(roleSelect.getAttribute("data-role-levels"));
    var target = document.getElementById(roleSelect.getAttribute("data-org-select"));
    if (!target) { return; }
    function apply() {
      var allowed = levels[roleSelect.value] || [];
      Array.prototype.forEach.call(target.options, function (opt) {
        var level = opt.getAttribute("data-level");
        opt.hidden = !!level && allowed.indexOf(level) < 0;
      });
      var current = target.options[target.selectedIndex];
      if (current && current.hidden) {
        var first = Array.prototype.find.call(target.options, function (o) { return !o.hidden; });
        if (first) { target.value = first.value; }
      }
    }
    roleSelect.addEventListener("change", apply);
    apply();
  });
})();
