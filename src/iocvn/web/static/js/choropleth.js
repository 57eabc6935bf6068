// Choropleth of one indicator by commune: boundaries from iocvn's API, values from the page's
// JSON block, five quantile classes, darker = better (or worse for lower-is-better ones).
(function () {
  "use strict";
  var el = document.getElementById("choropleth");
  var dataEl = document.getElementById("choropleth-data");
  if (!el || !dataEl || !window.L) { return; }
  var data = JSON.parse(dataEl.textContent);
  var decimals = parseInt(el.getAttribute("data-decimals") || "1", 10);
  var unit = el.getAttribute("data-unit") || "";
  var colours = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"];
  if (el.getAttribute("data-reverse") === "1") { colours = colours.slice().reverse(); }
  var values = Object.keys(data).map(function (k) { return data[k].value; })
    .filter(function (v) { return v !== null && v !== undefined; }).sort(function (a, b) { return a - b; });
  var breaks = [1, 2, 3, 4].map(function (q) { return values.length ? values[Math.floor(q * values.length / 5)] : 0; });
  var fmt = new Intl.NumberFormat("vi-VN", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
  function colour(v) {
    if (v === null || v === undefined) { return "#d9d9d9"; }
    var i = 0;
    while (i < breaks.length && v >= breaks[i]) { i++; }
    return colours[i];
  }
  var map = L.map(el);
  var tiles = el.getAttribute("data-tiles");
  if (tiles) { L.tileLayer(tiles, { maxZoom: 18 }).addTo(map); }
  fetch(el.getAttribute("data-geojson"), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { return r.json(); })
    .then(function (fc) {
      var layer = L.geoJSON(fc, {
        style: function (f) {
          var d = data[f.properties.code] || {};
          return { color: "#555", weight: 0.8, fillOpacity: 0.85, fillColor: colour(d.value) };
        },
        onEachFeature: function (f, lyr) {
          var d = data[f.properties.code] || {};
          var text = (f.properties.name || "") + ": " + (d.value === null || d.value === undefined ? "—" : fmt.format(d.value) + " " + unit);
          lyr.bindTooltip(text, { sticky: true });
        }
      }).addTo(map);
      el.setAttribute("data-features", String(fc.features.length));
      var b = layer.getBounds();
      if (b.isValid()) { map.fitBounds(b); }
      var legend = document.getElementById("choropleth-legend");
      if (legend && values.length) {
        var edges = [values[0]].concat(breaks).concat([values[values.length - 1]]);
        legend.innerHTML = "";
        for (var i = 0; i < 5; i++) {
          var row = document.createElement("span");
          var swatch = document.createElement("i");
          swatch.className = "swatch";
          swatch.setAttribute("data-colour", colours[i]);
          swatch.style.background = colours[i];
          row.appendChild(swatch);
          row.appendChild(document.createTextNode(fmt.format(edges[i]) + " – " + fmt.format(edges[i + 1])));
          legend.appendChild(row);
        }
      }
    });
})();
