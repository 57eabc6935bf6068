// The sensors map (/sensors): devices from /sensors/map.json as markers coloured by state,
// clustered with Leaflet.markercluster (a cluster takes the colour of its worst device), a
// popup with the latest values and a link to the device's page; refreshed every 30 s. A
// second layer shows AI camera events from /api/v1/sensors/events when that endpoint
// answers (it is ignored otherwise). Popups are DOM nodes, never HTML strings. The table
// under the map lists the same devices without this script.
(function () {
  "use strict";
  var el = document.getElementById("sn-map");
  if (!el || !window.L) { return; }
  var STATE_COLOURS = {
    firing: "#b3261e", out_of_range: "#e08a00", silent: "#6b4fa0", inactive: "#8a939f",
    normal: "#1f7a3d"
  };
  var WORST_FIRST = ["firing", "out_of_range", "silent", "inactive", "normal"];
  var REFRESH_MS = 30000;
  var EVENTS_SPAN_MS = 24 * 3600 * 1000;

  var map = L.map(el, { maxZoom: 19 }); // the clusters need a maximum even without tiles
  var tiles = el.getAttribute("data-tiles");
  if (tiles) { L.tileLayer(tiles, { maxZoom: 19 }).addTo(map); }
  var b = (el.getAttribute("data-bounds") || "").split(",").map(Number);
  if (b.length === 4 && b.every(isFinite)) {
    map.fitBounds([[b[0], b[1]], [b[2], b[3]]]);
  } else {
    map.setView([16.0, 106.0], 5); // Việt Nam
  }

  function worst(states) {
    for (var i = 0; i < WORST_FIRST.length; i++) {
      if (states.indexOf(WORST_FIRST[i]) >= 0) { return WORST_FIRST[i]; }
    }
    return "normal";
  }

  var devices = L.markerClusterGroup
    ? L.markerClusterGroup({
      showCoverageOnHover: false,
      maxClusterRadius: 45,
      iconCreateFunction: function (cluster) {
        var states = cluster.getAllChildMarkers().map(function (m) { return m.options.snState; });
        var state = worst(states);
        var count = cluster.getChildCount();
        var size = count < 10 ? "small" : count < 100 ? "medium" : "large";
        return L.divIcon({
          html: "<div><span>" + String(count) + "</span></div>",
          className: "marker-cluster marker-cluster-" + size + " sn-cluster sn-cluster-" + state,
          iconSize: L.point(40, 40)
        });
      }
    })
    : L.layerGroup();
  devices.addTo(map);
  var control = L.control.layers(null, null, { collapsed: false });
  control.addOverlay(devices, el.getAttribute("data-devices-layer"));
  control.addTo(map);

  function line(parent, text, className) {
    var div = document.createElement("div");
    if (className) { div.className = className; }
    div.textContent = text;
    parent.appendChild(div);
    return div;
  }

  function popup(p) {
    var box = document.createElement("div");
    box.className = "sn-popup";
    var title = document.createElement("a");
    title.href = p.url;
    title.className = "sn-popup-title";
    title.textContent = p.code + " · " + p.name;
    box.appendChild(title);
    line(box, p.kind_label);
    line(box, p.state_label, "sn-popup-state");
    (p.alerts || []).forEach(function (name) { line(box, "⚠ " + name); });
    if (p.values && p.values.length) {
      var list = document.createElement("ul");
      p.values.forEach(function (v) {
        var item = document.createElement("li");
        var text = v.label + ": " + v.value + (v.unit ? " " + v.unit : "");
        if (v.out_of_range) { text += " (" + el.getAttribute("data-out-of-range") + ")"; }
        item.textContent = text;
        list.appendChild(item);
      });
      box.appendChild(list);
    }
    line(box, el.getAttribute("data-last-seen") + ": " + p.last_seen, "muted");
    var more = document.createElement("a");
    more.href = p.url;
    more.textContent = el.getAttribute("data-detail");
    box.appendChild(more);
    return box;
  }

  var fitted = false;
  function loadDevices() {
    return fetch(el.getAttribute("data-src"), { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (fc) {
        var markers = fc.features.map(function (f) {
          var c = f.geometry.coordinates; // RFC 7946: [lon, lat]
          var p = f.properties || {};
          var colour = STATE_COLOURS[p.state] || STATE_COLOURS.normal;
          var marker = L.circleMarker([c[1], c[0]], {
            radius: p.state === "firing" ? 10 : 8, color: "#ffffff", weight: 2,
            fillColor: colour, fillOpacity: 0.9, snState: p.state, snCode: p.code
          }).bindPopup(popup(p));
          marker.bindTooltip(p.code + " · " + p.state_label);
          return marker;
        });
        devices.clearLayers();
        if (devices.addLayers) { devices.addLayers(markers); } else { markers.forEach(function (m) { devices.addLayer(m); }); }
        if (!fitted && markers.length) {
          map.fitBounds(L.featureGroup(markers).getBounds(), { maxZoom: 14, padding: [20, 20] });
          fitted = true;
        }
        el.setAttribute("data-features", String(markers.length));
        el.setAttribute("data-firing", String(fc.features.filter(function (f) { return f.properties.state === "firing"; }).length));
        el.removeAttribute("data-error");
      })
      .catch(function () { el.setAttribute("data-error", "1"); });
  }

  // AI camera events: a layer of its own, only once the endpoint answers.
  var events = null;
  var timeParts = new Intl.DateTimeFormat("en-GB", {
    timeZone: "Asia/Ho_Chi_Minh", day: "2-digit", month: "2-digit", year: "numeric",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23"
  });
  function eventTime(date) { // dd/mm/yyyy HH:MM in Vietnam's time
    var p = {};
    timeParts.formatToParts(date).forEach(function (part) { p[part.type] = part.value; });
    return p.day + "/" + p.month + "/" + p.year + " " + p.hour + ":" + p.minute;
  }
  var percent = new Intl.NumberFormat("vi-VN", { style: "percent", maximumFractionDigits: 0 });

  function eventPopup(e) {
    var box = document.createElement("div");
    box.className = "sn-popup";
    line(box, e.label || e.kind, "sn-popup-title");
    if (e.device) {
      var link = document.createElement("a");
      link.href = "/sensors/" + encodeURIComponent(e.device);
      link.textContent = e.device;
      box.appendChild(link);
    }
    var when = new Date(e.ts);
    if (!isNaN(when.getTime())) { line(box, eventTime(when)); }
    if (typeof e.confidence === "number") { line(box, percent.format(e.confidence), "muted"); }
    var shot = typeof e.snapshot_url === "string" ? e.snapshot_url : "";
    if (/^https?:\/\//i.test(shot)) { // the camera's own image server: a link, not an image
      var open = document.createElement("a");
      open.href = shot;
      open.target = "_blank";
      open.rel = "noopener noreferrer";
      open.textContent = el.getAttribute("data-snapshot");
      box.appendChild(open);
    } else if (shot.charAt(0) === "/" && shot.charAt(1) !== "/") { // served by iocvn
      var img = document.createElement("img");
      img.src = shot;
      img.alt = e.label || e.kind || "";
      img.width = 200;
      box.appendChild(img);
    }
    return box;
  }

  function loadEvents() {
    var since = new Date(Date.now() - EVENTS_SPAN_MS).toISOString();
    var url = el.getAttribute("data-events") + "?since=" + encodeURIComponent(since);
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (r.status !== 200) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (items) {
        if (!Array.isArray(items)) { return; }
        if (!events) {
          events = L.layerGroup().addTo(map);
          control.addOverlay(events, el.getAttribute("data-events-layer"));
        }
        events.clearLayers();
        items.forEach(function (e) {
          if (!isFinite(e.lat) || !isFinite(e.lon)) { return; }
          L.marker([e.lat, e.lon], {
            icon: L.divIcon({ className: "sn-event-marker", iconSize: L.point(14, 14) }),
            title: e.label || e.kind || ""
          }).bindPopup(eventPopup(e)).addTo(events);
        });
        el.setAttribute("data-events-count", String(items.length));
      })
      .catch(function () { /* no camera events here (yet): the map works without them */ });
  }

  function refresh() {
    if (document.hidden) { return; }
    loadDevices();
    loadEvents();
  }
  loadDevices();
  loadEvents();
  window.setInterval(refresh, REFRESH_MS);
})();
