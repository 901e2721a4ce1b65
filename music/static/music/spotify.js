// "Save as playlist" answers in place (the photo stays on the page); without
// JavaScript the form still works as a plain POST answered by a small page.
(function () {
  "use strict";
  var form = document.getElementById("spotify-save-form");
  var status = document.getElementById("spotify-save-status");
  if (!form || !status) return;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button");
    button.disabled = true;
    fetch(form.action + "?fragment=1", {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
    })
      .then(function (response) {
        // Refusals come back as a fragment with a message, whatever the status.
        if (!response.headers.get("Content-Type").startsWith("text/html")) {
          throw new Error(response.status);
        }
        return response.text();
      })
      .then(function (html) { status.innerHTML = html; })
      .catch(function () { form.submit(); })
      .finally(function () { button.disabled = false; });
  });
})();
