// Public warnings: the area on a map. On the drafting form (#warn-map) a click sets the
// circle's centre (and a radius of 5 km when none is given yet); the circle follows the
// centre and radius fields, and a GeoJSON polygon pasted in its field is drawn too. On a
// warning's page (#warn-area-map) the stored area is drawn. The server checks everything;
// without this script the fields still work.
(function () {
  "use strict";
  if (!window.L) { return; }
  var DEFAULT_RADIUS_KM = "5";

  function baseMap(el) {
    var map = L.map(el, { maxZoom: 18 });
    var tiles = el.getAttribute("data-tiles");
    if (tiles) { L.tileLayer(tiles, { maxZoom: 18 }).addTo(map); }
    var b = (el.getAttribute("data-bounds") || "").split(",").map(Number);
    if (b.length === 4 && b.every(isFinite)) {
      map.fitBounds([[b[0], b[1]], [b[2], b[3]]]);
    } else {
      map.setView([16.0, 106.0], 5); // Việt Nam
    }
    return map;
  }

  function num(input) {
    var v = parseFloat((input.value || "").replace(",", "."));
    return isFinite(v) ? v : null;
  }

  // --- the drafting form -------------------------------------------------------------------
  var formMap = document.getElementById("warn-map");
  if (formMap) {
    var map = baseMap(formMap);
    var lat = document.getElementById("warn-lat");
    var lon = document.getElementById("warn-lon");
    var radius = document.getElementById("warn-radius");
    var polygonInput = document.getElementById("warn-polygon");
    var circle = null;
    var polygon = null;

    var drawCircle = function (fit) {
      var la = num(lat), lo = num(lon), r = num(radius);
      if (circle) { map.removeLayer(circle); circle = null; }
      if (la === null || lo === null || r === null || r <= 0) { return; }
      circle = L.circle([la, lo], { radius: r * 1000, color: "#b3261e" }).addTo(map);
      if (fit) { map.fitBounds(circle.getBounds(), { maxZoom: 13 }); }
    };
    var drawPolygon = function (fit) {
      if (polygon) { map.removeLayer(polygon); polygon = null; }
      var text = (polygonInput.value || "").trim();
      if (!text) { return; }
      try {
        polygon = L.geoJSON(JSON.parse(text), { style: { color: "#a15c00" } }).addTo(map);
        if (fit) { map.fitBounds(polygon.getBounds(), { maxZoom: 13 }); }
      } catch (e) {
        polygon = null; // not (yet) valid GeoJSON: the server says why on saving
      }
    };

    map.on("click", function (e) {
      lat.value = String(Math.round(e.latlng.lat * 1e6) / 1e6);
      lon.value = String(Math.round(e.latlng.lng * 1e6) / 1e6);
      if (!radius.value) { radius.value = DEFAULT_RADIUS_KM; }
      drawCircle(false);
    });
    [lat, lon, radius].forEach(function (input) {
      input.addEventListener("input", function () { drawCircle(false); });
    });
    polygonInput.addEventListener("input", function () { drawPolygon(false); });
    drawPolygon(true);
    drawCircle(true);
  }

  // --- a warning's page --------------------------------------------------------------------
  var areaMap = document.getElementById("warn-area-map");
  if (areaMap) {
    var area;
    try { area = JSON.parse(areaMap.getAttribute("data-area") || "{}"); } catch (e) { area = null; }
    if (!area || !area.features || !area.features.length) { areaMap.hidden = true; return; }
    var view = baseMap(areaMap);
    var layer = L.geoJSON(area, {
      style: { color: "#b3261e" },
      pointToLayer: function (feature, latlng) {
        return L.circle(latlng, { radius: feature.properties.radius_km * 1000, color: "#b3261e" });
      }
    }).addTo(view);
    view.fitBounds(layer.getBounds(), { maxZoom: 13 });
  }
})();
