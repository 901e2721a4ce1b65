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

  function stop() {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    panel.hidden = true;
  }

  start.hidden = false;
  start.addEventListener("click", function () {
    navigator.mediaDevices.getUserMedia({ video: true, audio: false })
      .then(function (s) { stream = s; video.srcObject = s; panel.hidden = false; })
      .catch(function () { alert("The webcam could not be opened."); });
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
