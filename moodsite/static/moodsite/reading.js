// The result page: draws the photo preview kept by upload.js under the face
// boxes, and swaps the analysis and songs in place when another face (or the
// whole group) is chosen or a correction is sent. Without JavaScript the same
// links and forms load the page again.
(function () {
  "use strict";
  var PENDING = "moodsite:pending-photo";
  // An upload's preview is taken only by a result made just now, of a photo
  // of the same shape: never by a result opened later from a link.
  var PENDING_FRESH_MS = 10 * 60 * 1000;
  var frame = document.getElementById("photo-frame");
  if (!frame) return;
  var photoKey = "moodsite:photo:" + frame.dataset.reading;

  function stored(read) {
    try { return read(); } catch (e) { return null; }
  }

  function sameShape(kept) {
    var ratio = kept.width / kept.height;
    var expected = Number(frame.dataset.width) / Number(frame.dataset.height);
    return Math.abs(ratio - expected) < 0.02 * expected;
  }

  function showPhoto() {
    var url = stored(function () { return sessionStorage.getItem(photoKey); });
    if (!url) {
      var kept = stored(function () { return JSON.parse(sessionStorage.getItem(PENDING)); });
      stored(function () { sessionStorage.removeItem(PENDING); });
      if (kept && Date.now() - kept.at < PENDING_FRESH_MS && sameShape(kept)) {
        url = kept.url;
        stored(function () { sessionStorage.setItem(photoKey, url); });
      }
    }
    if (!url) return;
    var photo = document.getElementById("photo-preview");
    photo.src = url;
    photo.hidden = false;
    frame.classList.add("has-photo");
    document.getElementById("photo-note").hidden = true;
  }

  function markChoice(key) {
    document.querySelectorAll("[data-choice]").forEach(function (link) {
      if (link.dataset.choice === key) link.setAttribute("aria-current", "true");
      else link.removeAttribute("aria-current");
    });
  }

  // Load `url` (a GET, or the POST `options` describe) and swap in its
  // analysis and songs; any failure falls back to loading the page itself.
  function swapFrom(url, options, fallback) {
    return fetch(url, Object.assign({ credentials: "same-origin" }, options))
      .then(function (response) {
        if (!response.ok && response.status !== 400) throw new Error(response.status);
        return response.text().then(function (html) {
          return { html: html, response: response };
        });
      })
      .then(function (result) {
        var page = new DOMParser().parseFromString(result.html, "text/html");
        ["analysis", "songs-section", "details"].forEach(function (id) {
          var fresh = page.getElementById(id);
          document.getElementById(id).replaceWith(document.adoptNode(fresh));
        });
        document.title = page.title;
        var current = page.querySelector(".choices [aria-current]");
        if (current) markChoice(current.dataset.choice);
        if (result.response.ok) history.replaceState(null, "", result.response.url);
        bindCorrection();
        window.moodsite.bindSongs(document.getElementById("songs-section"));
        var headline = document.getElementById("headline").textContent.trim();
        var songs = document.getElementById("songs-heading").textContent.trim();
        window.moodsite.announce(headline + ". " + songs + ".");
        return result;
      })
      .catch(fallback);
  }

  function bindChoices() {
    document.querySelectorAll("a[data-choice]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        swapFrom(link.href, {}, function () { window.location.href = link.href; });
      });
    });
  }

  // "Not quite?" and, when the reading is unsure, its two one-tap answers
  // (the button pressed is the emotion: FormData's submitter).
  function bindCorrection() {
    document.querySelectorAll("form.js-correct").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var body = new FormData(form, event.submitter || undefined);
        form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
        var submitter = event.submitter;
        swapFrom(form.action, { method: "POST", body: body }, function () {
          // A plain submit() sends no button: carry the one pressed.
          if (submitter && submitter.name) {
            var pressed = document.createElement("input");
            pressed.type = "hidden";
            pressed.name = submitter.name;
            pressed.value = submitter.value;
            form.appendChild(pressed);
          }
          form.submit();
        }).then(function () {
          var headline = document.getElementById("headline");
          if (headline) headline.focus();
        });
      });
    });
  }

  showPhoto();
  bindChoices();
  bindCorrection();
})();
