// Keeps a small preview of the chosen photo in this tab's sessionStorage, so
// the result page (reading.js) can draw it under the face boxes. The server
// never stores the photo; without JavaScript the result shows no photo.
(function () {
  "use strict";
  var PENDING = "moodsite:pending-photo";
  var MAX_SIDE = 640;

  // A form page: a preview kept for an upload that did not become a result
  // (no face, a bad file) must not be taken by a later result.
  try { sessionStorage.removeItem(PENDING); } catch (e) { /* storage off */ }

  var form = document.getElementById("upload-form");
  if (!form || typeof createImageBitmap !== "function") return;
  var input = form.querySelector("input[type=file]");
  var sending = false;
  window.addEventListener("pageshow", function () { sending = false; });

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
    if (sending || !file) return;
    event.preventDefault();
    sending = true;
    preview(file)
      .then(function (kept) {
        sessionStorage.setItem(PENDING, JSON.stringify(kept));
      })
      .catch(function () { /* not decodable here, or storage full: no preview */ })
      .finally(function () { form.submit(); });
  });
})();
