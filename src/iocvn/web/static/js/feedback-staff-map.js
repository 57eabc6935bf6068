// The staff map of cases (/feedback/ban-do): clustered markers and a density grid ("heat"),
// from /feedback/ban-do.geojson. Popups are DOM nodes, never HTML strings.
(function () {
  "use strict";
  var el = document.getElementById("fb-staff-map");
  if (!el || !window.L) { return; }
  var map = L.map(el, { maxZoom: 19 });
  var tiles = el.getAttribute("data-tiles");
  if (tiles) { L.tileLayer(tiles, { maxZoom: 19 }).addTo(map); }
  map.setView([16.0, 106.0], 5);
  var markers = L.markerClusterGroup ? L.markerClusterGroup({ maxClusterRadius: 50 }) : L.layerGroup();
  var heat = L.layerGroup();
  markers.addTo(map);
  heat.addTo(map);
  var overlays = {};
  overlays[el.getAttribute("data-markers")] = markers;
  overlays[el.getAttribute("data-heat")] = heat;
  L.control.layers(null, overlays, { collapsed: false }).addTo(map);

  function popup(p) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = p.url;
    link.className = "mono";
    link.textContent = p.code;
    box.appendChild(link);
    [p.status, p.category].forEach(function (text) {
      var line = document.createElement("div");
      line.textContent = text;
      box.appendChild(line);
    });
    return box;
  }

  fetch(el.getAttribute("data-geojson"), { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
    .then(function (fc) {
      var bounds = [];
      fc.features.forEach(function (f) {
        var c = f.geometry.coordinates; // [lon, lat]
        var colour = f.properties.open ? "#b3261e" : "#1f7a3d";
        markers.addLayer(L.circleMarker([c[1], c[0]], { radius: 7, color: colour, fillColor: colour, fillOpacity: 0.6 })
          .bindPopup(popup(f.properties)));
        bounds.push([c[1], c[0]]);
      });
      var max = fc.heat.reduce(function (m, h) { return Math.max(m, h.count); }, 1);
      fc.heat.forEach(function (h) {
        var share = h.count / max;
        L.rectangle([[h.south, h.west], [h.north, h.east]], {
          stroke: false, fillColor: share > 0.66 ? "#b3261e" : share > 0.33 ? "#e08a00" : "#f2c94c",
          fillOpacity: 0.25 + 0.5 * share
        }).addTo(heat);
      });
      if (bounds.length) { map.fitBounds(bounds, { maxZoom: 14 }); }
      el.setAttribute("data-features", String(fc.features.length));
    })
    .catch(function () { el.setAttribute("data-error", "1"); });
})();
