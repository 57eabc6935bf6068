// The live alert list (/alerts): follows the server-sent events of /alerts/stream and, when
// alerts appear, change or leave the view, fetches the page again and swaps in the rows
// that changed — rendered by the server, so texts, numbers and forms are the same as on a
// fresh page. A row someone is typing in (an open form) is left alone until they are done.
// Without this script (or without EventSource) the page is an ordinary list to reload.
(function () {
  "use strict";
  var list = document.getElementById("al-list");
  var status = document.getElementById("al-live");
  if (!list || !window.EventSource || !window.DOMParser) { return; }

  function say(key, bad) {
    if (!status) { return; }
    status.textContent = status.getAttribute(key) || "";
    status.classList.toggle("al-offline", !!bad);
  }

  function busy(row) { // an open form, or focus inside the row
    return !!(row.querySelector("details[open]") || row.contains(document.activeElement));
  }

  function rowsOf(root) {
    var map = {};
    Array.prototype.forEach.call(root.querySelectorAll("#alerts tbody tr[data-id]"), function (tr) {
      map[tr.getAttribute("data-id")] = tr;
    });
    return map;
  }

  var pending = null;
  var again = false;
  function refresh(changedIds) {
    if (pending) { again = true; return; }
    pending = fetch(window.location.pathname + window.location.search, {
      credentials: "same-origin", headers: { Accept: "text/html" }
    })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("al-list");
        if (!fresh) { return; }
        var table = document.getElementById("alerts");
        var freshTable = fresh.querySelector("#alerts");
        var current = rowsOf(list);
        var anyBusy = Object.keys(current).some(function (id) { return busy(current[id]); });
        if (!table || !freshTable || !anyBusy) {
          // nothing being typed: take the new list as it is
          var focusId = document.activeElement && document.activeElement.id;
          list.replaceChildren.apply(list, Array.prototype.map.call(fresh.childNodes, function (n) {
            return document.importNode(n, true);
          }));
          (changedIds || []).forEach(function (id) {
            var tr = document.getElementById("alert-" + id);
            if (tr) { tr.classList.add("al-fresh"); }
          });
          if (focusId && document.getElementById(focusId)) { document.getElementById(focusId).focus(); }
        } else {
          // keep the rows being typed in; replace, add and remove the others
          var body = table.tBodies[0];
          var next = rowsOf(fresh);
          var order = Object.keys(next);
          order.forEach(function (id, i) {
            var old = current[id];
            var row = old && busy(old) ? old : document.importNode(next[id], true);
            if (!old || !busy(old)) {
              if (old) { body.replaceChild(row, old); } else { body.appendChild(row); }
              if ((changedIds || []).indexOf(id) >= 0) { row.classList.add("al-fresh"); }
            }
            var before = body.rows[i];
            if (before !== row) { body.insertBefore(row, before || null); }
          });
          Object.keys(current).forEach(function (id) {
            if (!next[id] && !busy(current[id]) && current[id].parentNode) { current[id].parentNode.removeChild(current[id]); }
          });
          var count = document.getElementById("al-count");
          var freshCount = fresh.querySelector("#al-count");
          if (count && freshCount) { count.textContent = freshCount.textContent; }
        }
        list.setAttribute("data-refreshed", String(Date.now()));
        say("data-updated");
      })
      .catch(function () { say("data-offline", true); })
      .then(function () {
        pending = null;
        if (again) { again = false; refresh(); }
      });
  }

  var source = new EventSource(list.getAttribute("data-stream"));
  source.addEventListener("open", function () { say("data-live"); });
  source.addEventListener("error", function () { say("data-offline", true); });
  source.addEventListener("snapshot", function (e) {
    // on (re)connecting: the page may be older than the stream, compare what it shows
    var data = JSON.parse(e.data);
    var shown = rowsOf(list);
    var differs = data.alerts.length !== Object.keys(shown).length || data.alerts.some(function (a) {
      var tr = shown[a.id];
      return !tr || tr.getAttribute("data-state") !== a.state ||
        tr.getAttribute("data-acknowledged") !== String(!!a.acknowledged_by) ||
        tr.getAttribute("data-silenced") !== String(!!a.silenced);
    });
    if (differs) { refresh([]); }
    say("data-live");
  });
  source.addEventListener("changed", function (e) {
    var data = JSON.parse(e.data);
    refresh(data.alerts.map(function (a) { return a.id; }));
  });
})();
