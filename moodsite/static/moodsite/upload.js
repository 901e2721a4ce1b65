// Keeps a small preview of the chosen photo in this tab's sessionStorage, so
// the result page (reading.js) can draw it under the face boxes. The server
// never stores the photo; without JavaScript the result shows no photo.
// Also: a photo over the server's limit is refused before it is sent (the
// server checks again), and "Find my music" says it is working once sent.
(function () {
  "use strict";
  var PENDING = "moodsite:pending-photo";
  var MAX_SIDE = 640;

  // A form page: a preview kept for an upload that did not become a result
  // (no face, a bad file) must not be taken by a later result.
  try { sessionStorage.removeItem(PENDING); } catch (e) { /* storage off */ }

  var form = document.getElementById("upload-form");
  if (!form) return;
  var input = form.querySelector("input[type=file]");
  var problem = document.getElementById("upload-problem");
  var button = document.getElementById("upload-submit");
  var buttonText = button.textContent;
  var maxBytes = Number(input.dataset.maxBytes);
  var sending = false;

  function busy(on) {
    sending = on;
    button.disabled = on;
    button.textContent = on ? "Reading your photo…" : buttonText;
    form.setAttribute("aria-busy", String(on));
  }
  // Back from the result (the page comes from the cache): ready again.
  window.addEventListener("pageshow", function () { busy(false); });

  function tooLarge(file) {
    var over = Boolean(file && maxBytes && file.size > maxBytes);
    problem.textContent = over ? input.dataset.tooLarge : "";
    problem.hidden = !over;
    return over;
  }
  input.addEventListener("change", function () { tooLarge(input.files[0]); });

  function send() {
    busy(true);
    form.submit();
  }

  function preview(file) {
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(
      function (bitmap) {
        var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
        var canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(bitmap.width * scale));
        canvas.height = Math.max(1, Math.round(bitmap.height * scale));
        canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        return {
          url: canvas.toDataURL("image/jpeg", 0.8),
          width: bitmap.width,
          height: bitmap.height,
          at: Date.now(),
        };
      }
    );
  }

  // Also catches webcam.js' snapshot, which is sent with form.requestSubmit().
  form.addEventListener("submit", function (event) {
    var file = input.files && input.files[0];
    if (sending) { event.preventDefault(); return; }
    if (!file) return; // the server says a photo is needed
    event.preventDefault();
    if (tooLarge(file)) { input.focus(); return; }
    if (typeof createImageBitmap !== "function") { send(); return; }
    busy(true);
    preview(file)
      .then(function (kept) {
        sessionStorage.setItem(PENDING, JSON.stringify(kept));
      })
      .catch(function () { /* not decodable here, or storage full: no preview */ })
      .finally(send);
  });
})();
