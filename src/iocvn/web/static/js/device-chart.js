// A device's live charts (/sensors/{code}): one SVG per quantity, drawn from
// /api/v1/sensors/{code}/readings at the page's step (raw readings, or 1m/1h/1d rollups with
// their lowest–highest band), with the alert rules' thresholds as dashed lines. Every few
// seconds it asks for what is newer than its last point and refreshes the latest values
// from /api/v1/sensors/devices/{code}. Numbers in Vietnamese format, times in Vietnam's.
// Without this script the page still shows the latest values and a table of readings.
(function () {
  "use strict";
  var el = document.getElementById("sn-chart");
  if (!el || !window.fetch) { return; }
  var config;
  try { config = JSON.parse(el.getAttribute("data-config") || "{}"); } catch (e) { return; }
  var SVG = "http://www.w3.org/2000/svg";
  var W = 720, H = 220, LEFT = 64, RIGHT = 16, TOP = 12, BOTTOM = 28;
  var MAX_PAGES = 10;
  var step = config.step || "raw";
  var spanMs = (config.span_s || 86400) * 1000;
  var names = Object.keys(config.quantities || {});
  var series = {}; // quantity → [{t, v, lo, hi}], oldest first
  var charts = {}; // quantity → the SVG element
  var live = document.getElementById("sn-live");
  var number = new Intl.NumberFormat("vi-VN", { maximumFractionDigits: 2 });
  var parts = new Intl.DateTimeFormat("en-GB", {
    timeZone: "Asia/Ho_Chi_Minh", day: "2-digit", month: "2-digit", year: "numeric",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23"
  });

  function local(ms) {
    var out = {};
    parts.formatToParts(new Date(ms)).forEach(function (p) { out[p.type] = p.value; });
    return out;
  }
  function dateTime(ms) { // dd/mm/yyyy HH:MM
    var p = local(ms);
    return p.day + "/" + p.month + "/" + p.year + " " + p.hour + ":" + p.minute;
  }
  function tick(ms, range) {
    var p = local(ms);
    if (range <= 600000) { return p.hour + ":" + p.minute + ":" + p.second; }
    return range <= 86400000 ? p.hour + ":" + p.minute : p.day + "/" + p.month;
  }
  function node(name, attrs, parent, text) {
    var n = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { n.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) { n.textContent = text; }
    if (parent) { parent.appendChild(n); }
    return n;
  }

  names.forEach(function (q) {
    var info = config.quantities[q];
    var box = document.createElement("figure");
    box.className = "sn-chart";
    box.setAttribute("data-quantity", q);
    var title = document.createElement("h3");
    title.textContent = info.label + (info.unit ? " (" + info.unit + ")" : "");
    box.appendChild(title);
    var svg = node("svg", { viewBox: "0 0 " + W + " " + H, role: "img",
      "aria-label": (el.getAttribute("data-label") || "{q}").replace("{q}", info.label) });
    box.appendChild(svg);
    el.appendChild(box);
    charts[q] = svg;
    series[q] = [];
  });

  function draw(q) {
    var svg = charts[q];
    var info = config.quantities[q];
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    var points = series[q];
    var now = Date.now();
    var x1 = now;
    // the window's start, or the first point when the history is shorter (a new device)
    var x0 = points.length ? Math.min(Math.max(now - spanMs, points[0].t), now - 60000) : now - spanMs;
    var values = [];
    points.forEach(function (p) {
      values.push(p.v);
      if (p.lo !== undefined) { values.push(p.lo, p.hi); }
    });
    var thresholds = (info.thresholds || []).filter(function (t) { return isFinite(t.value); });
    if (!points.length) {
      node("text", { x: W / 2, y: H / 2, "text-anchor": "middle", "class": "sn-empty" }, svg,
        el.getAttribute("data-empty") || "—");
      svg.setAttribute("data-points", "0");
      return;
    }
    thresholds.forEach(function (t) { values.push(t.value); });
    var lo = Math.min.apply(null, values), hi = Math.max.apply(null, values);
    if (lo === hi) { lo -= 1; hi += 1; }
    var pad = (hi - lo) * 0.08;
    lo -= pad; hi += pad;
    var plotW = W - LEFT - RIGHT, plotH = H - TOP - BOTTOM;
    function x(ms) { return LEFT + (ms - x0) / (x1 - x0) * plotW; }
    function y(v) { return TOP + plotH - (v - lo) / (hi - lo) * plotH; }
    var k;
    for (k = 0; k <= 4; k++) {
      var v = lo + (hi - lo) * k / 4;
      node("line", { x1: LEFT, x2: W - RIGHT, y1: y(v).toFixed(1), y2: y(v).toFixed(1), "class": "sn-grid" }, svg);
      node("text", { x: LEFT - 6, y: (y(v) + 4).toFixed(1), "text-anchor": "end", "class": "sn-axis" }, svg, number.format(v));
    }
    for (k = 0; k <= 5; k++) {
      var ms = x0 + (x1 - x0) * k / 5;
      node("text", { x: x(ms).toFixed(1), y: H - 8, "text-anchor": k === 0 ? "start" : k === 5 ? "end" : "middle", "class": "sn-axis" }, svg, tick(ms, x1 - x0));
    }
    var shown = points.filter(function (p) { return p.t >= x0; });
    if (shown.length && shown[0].lo !== undefined) {
      var upper = shown.map(function (p) { return x(p.t).toFixed(1) + "," + y(p.hi).toFixed(1); });
      var lower = shown.slice().reverse().map(function (p) { return x(p.t).toFixed(1) + "," + y(p.lo).toFixed(1); });
      node("polygon", { points: upper.concat(lower).join(" "), "class": "sn-band" }, svg);
    }
    node("polyline", { points: shown.map(function (p) { return x(p.t).toFixed(1) + "," + y(p.v).toFixed(1); }).join(" "), "class": "sn-line" }, svg);
    thresholds.forEach(function (t) {
      node("line", { x1: LEFT, x2: W - RIGHT, y1: y(t.value).toFixed(1), y2: y(t.value).toFixed(1), "class": "sn-threshold" }, svg);
      node("text", { x: LEFT + 4, y: (y(t.value) - 4).toFixed(1), "class": "sn-threshold-label" }, svg,
        t.name + ": " + number.format(t.value));
    });
    var last = shown[shown.length - 1];
    if (last) {
      node("circle", { cx: x(last.t).toFixed(1), cy: y(last.v).toFixed(1), r: 3.5, "class": "sn-last" }, svg);
      node("title", {}, svg, dateTime(last.t) + ": " + number.format(last.v) + (info.unit ? " " + info.unit : ""));
    }
    svg.setAttribute("data-points", String(shown.length));
    svg.setAttribute("data-last", last ? String(last.v) : "");
  }

  function add(items, from) {
    var fresh = {};
    items.forEach(function (it) {
      if (!series[it.quantity]) { return; }
      var t = Date.parse(it.ts);
      if (isNaN(t)) { return; }
      var p = step === "raw" ? { t: t, v: it.value } : { t: t, v: it.avg, lo: it.min, hi: it.max };
      (fresh[it.quantity] = fresh[it.quantity] || []).push(p);
    });
    var horizon = Date.now() - spanMs;
    names.forEach(function (q) {
      // points from `from` on came again (a rollup's last bucket changes as readings arrive)
      var kept = series[q].filter(function (p) { return p.t < from && p.t >= horizon; });
      series[q] = kept.concat(fresh[q] || []);
    });
  }

  function fetchAll(since) {
    var items = [];
    function page(cursor, left) {
      var url = config.readings + "?step=" + encodeURIComponent(step) + "&since=" +
        encodeURIComponent(new Date(since).toISOString()) + "&limit=10000" +
        (cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
      return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
        .then(function (body) {
          items = items.concat(body.items || []);
          if (body.next_cursor && left > 1) { return page(body.next_cursor, left - 1); }
          return items;
        });
    }
    return page(null, MAX_PAGES);
  }

  function newest() {
    var max = null;
    names.forEach(function (q) {
      var s = series[q];
      if (s.length && (max === null || s[s.length - 1].t > max)) { max = s[s.length - 1].t; }
    });
    return max;
  }

  function latestValues() {
    return fetch(config.device, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (d) {
        var seen = document.getElementById("sn-last-seen");
        if (seen && d.last_seen_at) { seen.textContent = dateTime(Date.parse(d.last_seen_at)); }
        Object.keys(d.latest || {}).forEach(function (q) {
          var row = document.querySelector('#sn-latest tr[data-quantity="' + q.replace(/[^A-Za-z0-9_]/g, "") + '"]');
          if (!row) { return; }
          var v = d.latest[q];
          row.querySelector("[data-latest-value]").textContent = number.format(v.value);
          row.querySelector("[data-latest-at]").textContent = dateTime(Date.parse(v.ts));
          row.querySelector("[data-latest-oor]").textContent = v.out_of_range ? " (" + el.getAttribute("data-out-of-range") + ")" : "";
          row.classList.toggle("sn-oor", !!v.out_of_range);
        });
      });
  }

  function status(ok) {
    if (!live) { return; }
    live.textContent = live.getAttribute(ok ? "data-live" : "data-paused");
    live.classList.toggle("sn-paused", !ok);
  }

  function load() {
    var last = newest();
    var since = last === null ? Date.now() - spanMs : last;
    return fetchAll(since)
      .then(function (items) {
        add(items, since);
        names.forEach(draw);
        el.setAttribute("data-loaded", "1");
        status(true);
      })
      .then(latestValues)
      .catch(function () { status(false); });
  }

  load();
  window.setInterval(function () { if (!document.hidden) { load(); } }, config.refresh_ms || 5000);
})();
