// Webcam snapshot: the captured frame is put into the same file input and sent
// by the same form, so the server sees an ordinary upload.
(function () {
  "use strict";
  var start = document.getElementById("webcam-start");
  if (!start || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia ||
      typeof DataTransfer === "undefined") {
    return;
  }
  var form = document.getElementById("upload-form");
  var panel = document.getElementById("webcam");
  var video = document.getElementById("webcam-video");
  var input = form.querySelector("input[type=file]");
  var stream = null;
  var problem = document.getElementById("webcam-problem");

  // Says why the camera did not open and what to do, in the page.
  function cameraProblem(error) {
    var name = error && error.name;
    problem.textContent =
      name === "NotAllowedError" || name === "SecurityError"
        ? "The camera is blocked for this site. Allow it in your browser's " +
          "site settings (the icon by the address), then try again — or upload a photo."
        : name === "NotFoundError" || name === "OverconstrainedError"
          ? "No camera was found. Connect one and try again, or upload a photo."
          : name === "NotReadableError"
            ? "The camera is in use by another app. Close it and try again, or upload a photo."
            : "The camera could not be opened. Try again, or upload a photo.";
    problem.hidden = false;
  }
  window.moodsite = window.moodsite || {};
  window.moodsite.cameraProblem = cameraProblem;

  function stop() {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    panel.hidden = true;
  }

  start.hidden = false;
  start.addEventListener("click", function () {
    navigator.mediaDevices.getUserMedia({ video: true, audio: false })
      .then(function (s) {
        stream = s;
        video.srcObject = s;
        problem.hidden = true;
        panel.hidden = false;
        // The snapshot and Go live buttons under the video: in view.
        panel.scrollIntoView({ block: "nearest" });
      })
      .catch(cameraProblem);
  });
  document.getElementById("webcam-stop").addEventListener("click", stop);
  document.getElementById("webcam-snap").addEventListener("click", function () {
    var canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    canvas.toBlob(function (blob) {
      var files = new DataTransfer();
      files.items.add(new File([blob], "webcam.jpg", { type: "image/jpeg" }));
      input.files = files.files;
      stop();
      form.requestSubmit();
    }, "image/jpeg", 0.92);
  });
})();
