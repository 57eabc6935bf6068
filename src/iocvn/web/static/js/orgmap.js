// Boundary maps of org units: Leaflet served by iocvn, GeoJSON from iocvn's API, base tiles
// only when IOCVN_TILE_URL is set (offline networks still see the vector boundaries).
(function () {
  "use strict";
  var el = document.getElementById("org-map");
  if (!el || !window.L) { return; }
  var map = L.map(el, { attributionControl: true });
  var tiles = el.getAttribute("data-tiles");
  if (tiles) { L.tileLayer(tiles, { maxZoom: 18 }).addTo(map); }
  var style = { color: "#b3261e", weight: 1.2, fillColor: "#0b5cad", fillOpacity: 0.12 };
  var link = el.getAttribute("data-link");

  function fetchJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
  }

  function draw(data) {
    var layer = L.geoJSON(data, {
      style: style,
      onEachFeature: function (feature, lyr) {
        var p = feature.properties || {};
        var label = (p.name || "") + (p.code ? " (" + p.code + ")" : "");
        lyr.bindTooltip(label, { sticky: true });
        if (link && p.code) {
          lyr.on("click", function () { window.location.href = link + encodeURIComponent(p.code); });
        }
      }
    }).addTo(map);
    var bounds = layer.getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds, { padding: [8, 8] }); }
    return layer;
  }

  var url = el.getAttribute("data-geojson");
  if (el.getAttribute("data-single")) {
    fetchJson(url).then(function (unit) {
      if (unit.geometry) {
        draw({ type: "Feature", geometry: unit.geometry, properties: { name: unit.name, code: unit.code } });
      }
    });
    return;
  }
  fetchJson(url).then(function (fc) {
    el.setAttribute("data-features", String(fc.features.length));
    if (fc.features.length) { draw(fc); }
    var outline = el.getAttribute("data-outline");
    if (outline) {
      return fetchJson(outline).then(function (prov) {
        L.geoJSON(prov, { style: { color: "#1c2430", weight: 2, fill: false }, interactive: false }).addTo(map);
        if (!fc.features.length) {
          var b = L.geoJSON(prov).getBounds();
          if (b.isValid()) { map.fitBounds(b); }
        }
      });
    }
  }).catch(function () { el.setAttribute("data-error", "1"); });
})();
