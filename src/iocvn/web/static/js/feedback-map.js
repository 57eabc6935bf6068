// Public maps of citizen feedback: the map of cases (/phan-anh/ban-do, GeoJSON from
// /phan-anh/ban-do.geojson, clustered with Leaflet.markercluster when it is loaded) and the
// small map of one case's place (/phan-anh/{code}). Popups are built as DOM nodes, never as
// HTML strings, so no text from a case can run as markup.
(function () {
  "use strict";
  if (!window.L) { return; }

  function baseMap(el) {
    var map = L.map(el, { maxZoom: 19 }); // the clusters need a maximum even without tiles
    var tiles = el.getAttribute("data-tiles");
    if (tiles) { L.tileLayer(tiles, { maxZoom: 19 }).addTo(map); }
    return map;
  }

  function fitProvince(map, el) {
    var b = (el.getAttribute("data-bounds") || "").split(",").map(Number);
    if (b.length === 4 && b.every(isFinite)) {
      map.fitBounds([[b[0], b[1]], [b[2], b[3]]]);
    } else {
      map.setView([16.0, 106.0], 5); // Việt Nam
    }
  }

  function popup(p, detail) {
    var box = document.createElement("div");
    box.className = "pa-popup";
    var code = document.createElement("a");
    code.href = p.url;
    code.className = "mono";
    code.textContent = p.code;
    box.appendChild(code);
    [p.status_label, p.category, p.received].forEach(function (text) {
      var line = document.createElement("div");
      line.textContent = text;
      box.appendChild(line);
    });
    var more = document.createElement("a");
    more.href = p.url;
    more.textContent = detail;
    box.appendChild(more);
    return box;
  }

  // One case's place.
  var one = document.getElementById("pa-case-map");
  if (one) {
    var lat = parseFloat(one.getAttribute("data-lat"));
    var lon = parseFloat(one.getAttribute("data-lon"));
    if (isFinite(lat) && isFinite(lon)) {
      var small = baseMap(one);
      small.setView([lat, lon], 16);
      L.circleMarker([lat, lon], { radius: 9, color: "#b3261e", weight: 3, fillOpacity: 0.5 }).addTo(small);
    }
  }

  // The map of cases.
  var el = document.getElementById("pa-public-map");
  if (!el) { return; }
  var map = baseMap(el);
  fitProvince(map, el);
  var note = document.getElementById("pa-map-note");
  var detail = el.getAttribute("data-detail");
  var colours = { open: "#b3261e", closed: "#1f7a3d" };
  var group = L.markerClusterGroup
    ? L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50 })
    : L.layerGroup();
  group.addTo(map);

  fetch(el.getAttribute("data-geojson"), { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
    .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
    .then(function (fc) {
      var markers = fc.features.map(function (f) {
        var c = f.geometry.coordinates; // RFC 7946: [lon, lat]
        var p = f.properties || {};
        var colour = p.open ? colours.open : colours.closed;
        return L.circleMarker([c[1], c[0]], { radius: 7, color: colour, weight: 2, fillColor: colour, fillOpacity: 0.6 })
          .bindPopup(popup(p, detail));
      });
      if (group.addLayers) { group.addLayers(markers); } else { markers.forEach(function (m) { group.addLayer(m); }); }
      el.setAttribute("data-features", String(markers.length));
      if (fc.truncated && note) { note.textContent = el.getAttribute("data-truncated"); }
    })
    .catch(function () { el.setAttribute("data-error", "1"); });
})();
