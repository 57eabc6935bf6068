// The citizen's feedback form (/phan-anh/gui): pick the place on a map or with the phone's
// location, a character counter, courtesy checks of the photos, and "report anonymously"
// switching the contact fields off. The server checks everything again; without this script
// the form still works (address instead of the map).
(function () {
  "use strict";
  var form = document.getElementById("pa-form");
  if (!form) { return; }

  // --- place ------------------------------------------------------------------------------
  var mapEl = document.getElementById("pa-map");
  var latInput = document.getElementById("pa-lat");
  var lonInput = document.getElementById("pa-lon");
  var picked = document.getElementById("pa-picked");
  var locate = document.getElementById("pa-locate");
  var clear = document.getElementById("pa-clear");
  var map = null;
  var marker = null;

  function round(v) { return Math.round(v * 1e6) / 1e6; }

  function show() {
    var has = latInput.value !== "" && lonInput.value !== "";
    picked.textContent = has
      ? picked.getAttribute("data-picked") + " " + latInput.value + ", " + lonInput.value
      : picked.getAttribute("data-none");
    if (clear) { clear.hidden = !has; }
  }

  function setPlace(lat, lon, zoom) {
    latInput.value = String(round(lat));
    lonInput.value = String(round(lon));
    if (map) {
      if (marker) { marker.setLatLng([lat, lon]); } else { marker = L.marker([lat, lon]).addTo(map); }
      if (zoom) { map.setView([lat, lon], Math.max(map.getZoom(), 16)); }
    }
    show();
  }

  if (mapEl && window.L) {
    map = L.map(mapEl, { maxZoom: 19 });
    var tiles = mapEl.getAttribute("data-tiles");
    if (tiles) { L.tileLayer(tiles, { maxZoom: 19 }).addTo(map); }
    var b = (mapEl.getAttribute("data-bounds") || "").split(",").map(Number);
    if (b.length === 4 && b.every(isFinite)) {
      map.fitBounds([[b[0], b[1]], [b[2], b[3]]]);
    } else {
      map.setView([16.0, 106.0], 5); // Việt Nam
    }
    map.on("click", function (e) { setPlace(e.latlng.lat, e.latlng.lng, false); });
    var lat0 = parseFloat(latInput.value);
    var lon0 = parseFloat(lonInput.value);
    if (isFinite(lat0) && isFinite(lon0)) { setPlace(lat0, lon0, true); }
  } else if (mapEl) {
    mapEl.hidden = true;
  }

  if (locate && navigator.geolocation) {
    locate.hidden = false;
    var label = locate.textContent;
    locate.addEventListener("click", function () {
      locate.disabled = true;
      locate.textContent = locate.getAttribute("data-locating");
      navigator.geolocation.getCurrentPosition(function (pos) {
        locate.disabled = false;
        locate.textContent = label;
        setPlace(pos.coords.latitude, pos.coords.longitude, true);
      }, function () {
        locate.disabled = false;
        locate.textContent = label;
        picked.textContent = locate.getAttribute("data-failed");
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }
  if (clear) {
    clear.addEventListener("click", function () {
      latInput.value = "";
      lonInput.value = "";
      if (marker && map) { map.removeLayer(marker); marker = null; }
      show();
    });
  }
  if (picked && (latInput.value || lonInput.value || mapEl)) { show(); }

  // --- description counter ------------------------------------------------------------------
  var text = document.getElementById("pa-description");
  var count = text && document.getElementById(text.getAttribute("data-counter"));
  if (text && count) {
    var max = text.getAttribute("maxlength");
    var update = function () { count.textContent = text.value.length + " / " + max; };
    text.addEventListener("input", update);
    update();
  }

  // --- photos: the same limits as the server, checked before a long upload -----------------
  var files = document.getElementById("pa-photos");
  var filesError = document.getElementById("pa-photos-error");
  if (files && filesError) {
    var allowed = (files.getAttribute("accept") || "").split(",");
    files.addEventListener("change", function () {
      var problem = "";
      var maxCount = parseInt(files.getAttribute("data-max"), 10);
      var maxBytes = parseInt(files.getAttribute("data-max-bytes"), 10);
      if (files.files.length > maxCount) {
        problem = files.getAttribute("data-msg-count");
      }
      Array.prototype.forEach.call(files.files, function (f) {
        if (problem) { return; }
        if (allowed.indexOf(f.type) < 0) {
          problem = files.getAttribute("data-msg-type").replace("{name}", f.name);
        } else if (f.size > maxBytes) {
          problem = files.getAttribute("data-msg-size").replace("{name}", f.name)
            .replace("{size}", (f.size / 1048576).toFixed(1).replace(".", ","))
            .replace("{limit}", files.getAttribute("data-limit-mb"));
        }
      });
      files.setCustomValidity(problem);
      filesError.textContent = problem;
      filesError.hidden = !problem;
    });
  }

  // --- anonymous: nothing of the contact fields is sent ---------------------------------------
  var anonymous = document.getElementById("pa-anonymous");
  var contact = document.getElementById("pa-contact-fields");
  if (anonymous && contact) {
    var apply = function () {
      contact.querySelectorAll("input").forEach(function (input) { input.disabled = anonymous.checked; });
      contact.classList.toggle("pa-disabled", anonymous.checked);
    };
    anonymous.addEventListener("change", apply);
    apply();
  }
})();
