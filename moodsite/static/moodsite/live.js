// Live camera: a downscaled frame goes to the server a few times a second (the
// next one only after the answer to the last), each answer boxes the faces over
// the video, and when the server says a new mood has held long enough its songs
// replace the list. The server decides when the music changes (recommender/
// live.py); this page only echoes its `state` back and says "frozen".
(function () {
  "use strict";
  var panel = document.getElementById("live");
  var goLive = document.getElementById("webcam-live");
  if (!panel || !goLive || !window.fetch || !window.FormData) return;

  var FRAME_SIDE = 480; // px on the longest side: plenty for the face detector
  var JPEG_QUALITY = 0.8;
  var snapshotPanel = document.getElementById("webcam");
  var snapshotVideo = document.getElementById("webcam-video");
  var video = document.getElementById("live-video");
  var frame = document.getElementById("live-frame");
  var boxes = document.getElementById("live-boxes");
  var emotionText = document.getElementById("live-emotion");
  var statusText = document.getElementById("live-status");
  var errorBox = document.getElementById("live-error");
  var freezeButton = document.getElementById("live-freeze");
  var stopButton = document.getElementById("live-stop");
  var moodHeading = document.getElementById("live-mood");
  var songs = document.getElementById("live-songs");
  var canvas = document.createElement("canvas");

  var running = false;
  var loop = 0; // which start() the frames in flight belong to
  var frozen = false;
  var state = {};
  var minInterval = 200;
  var timer = null;
  var songsSeen = false; // the first songs of this start() were brought into view

  goLive.hidden = false;
  goLive.addEventListener("click", function () {
    // The snapshot panel hands its camera over to the live panel.
    var stream = snapshotVideo.srcObject;
    snapshotVideo.srcObject = null;
    snapshotPanel.hidden = true;
    if (stream) {
      start(stream);
    } else {
      navigator.mediaDevices.getUserMedia({ video: true, audio: false })
        .then(start)
        .catch(function (error) { window.moodsite.cameraProblem(error); });
    }
  });

  function start(stream) {
    video.srcObject = stream;
    frame.hidden = false;
    panel.hidden = false;
    running = true;
    state = {};
    panel.dataset.frames = "0";
    showError("");
    statusText.textContent = "";
    panel.scrollIntoView({ block: "start" });
    songsSeen = false;
    loop += 1;
    sendFrame(loop);
  }

  stopButton.addEventListener("click", stop);
  // Asking for the snapshot camera again ends the live one.
  document.getElementById("webcam-start").addEventListener("click", stop);
  // Match or lift: sent with every frame; the server keeps it for the visit.
  var directionButtons = document.querySelectorAll("#live-directions button");
  directionButtons.forEach(function (button) {
    button.addEventListener("click", function () {
      directionButtons.forEach(function (other) {
        other.setAttribute("aria-pressed", String(other === button));
      });
    });
  });
  function direction() {
    var pressed = document.querySelector("#live-directions button[aria-pressed=true]");
    return pressed ? pressed.dataset.direction : "";
  }

  freezeButton.addEventListener("click", function () {
    frozen = !frozen;
    freezeButton.setAttribute("aria-pressed", String(frozen));
    // The label says what pressing it does now.
    freezeButton.textContent = frozen ? "Let songs change" : "Freeze songs";
  });

  function stop() {
    running = false;
    clearTimeout(timer);
    if (video.srcObject) {
      video.srcObject.getTracks().forEach(function (track) { track.stop(); });
    }
    video.srcObject = null;
    frame.hidden = true;
    boxes.replaceChildren();
    statusText.textContent = "Camera off.";
  }

  function sendFrame(mine) {
    if (!running || mine !== loop) return;
    if (!video.videoWidth) { // no picture yet
      timer = setTimeout(sendFrame, 100, mine);
      return;
    }
    var scale = Math.min(1, FRAME_SIDE / Math.max(video.videoWidth, video.videoHeight));
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    var sentAt = performance.now();
    canvas.toBlob(function (blob) {
      var body = new FormData();
      body.append("frame", blob, "frame.jpg");
      body.append("state", JSON.stringify(state));
      if (frozen) body.append("frozen", "1");
      if (direction()) body.append("music", direction());
      fetch(panel.dataset.frameUrl, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": panel.dataset.csrf },
      })
        .then(function (response) {
          return response.json()
            .catch(function () {
              return { error: { message: "The site answered " + response.status + "." } };
            })
            .then(function (data) { handle(response, data, sentAt, mine); });
        })
        .catch(function () {
          if (mine !== loop) return;
          showError("The live camera lost its connection to the site.");
          stop();
        });
    }, "image/jpeg", JPEG_QUALITY);
  }

  function handle(response, data, sentAt, mine) {
    if (!running || mine !== loop) return; // stopped (or restarted) meanwhile
    var wait = minInterval - (performance.now() - sentAt);
    var retryAfter = Number(response.headers.get("Retry-After"));
    if (response.ok) {
      showError("");
      show(data);
    } else if (response.status === 429 || (response.status === 503 && retryAfter)) {
      // Past the frame budget, or the site busy for a moment (a 503 that says
      // when to come back): say so, wait as long as asked, and go on.
      showError(data.error.message);
      wait = 1000 * (retryAfter || 1);
    } else if (response.status === 400) {
      showError(data.error.message);
      wait = 1000;
    } else {
      showError(data.error.message || "The live camera stopped: the site answered " + response.status + ".");
      stop();
      return;
    }
    timer = setTimeout(sendFrame, Math.max(0, wait), mine);
  }

  function show(data) {
    state = data.state;
    minInterval = data.min_interval_ms;
    panel.dataset.frames = String(Number(panel.dataset.frames) + 1);
    drawBoxes(data.faces, data.image_size);
    var main = data.faces[0];
    emotionText.textContent = main ? "You look " + main.feeling : "No face in view.";
    showMusic(data.music);
    if (data.songs_html) {
      var holder = document.createElement("div");
      holder.innerHTML = data.songs_html;
      songs.replaceChildren(holder.querySelector("#songs"));
      var first = songs.querySelector(".song");
      // The first songs: into view if the page was too short to scroll to them
      // at the start (only once, so later changes never move the page).
      if (!songsSeen && first && first.getBoundingClientRect().top > window.innerHeight - 120) {
        first.scrollIntoView({ block: "nearest" });
      }
      songsSeen = true;
      // The live region: read out when the songs change, not on every frame.
      moodHeading.textContent = (main ? "You look " + main.feeling + ": songs" : "Songs") +
        " for " + data.music.mood_words + " mood";
    }
  }

  function drawBoxes(faces, size) {
    // Percentages of the frame, so the boxes follow the video as it scales.
    boxes.replaceChildren.apply(boxes, faces.map(function (face, index) {
      var box = document.createElement("div");
      box.className = "face-box" + (index === 0 ? " main" : "");
      box.style.left = (100 * face.box[0] / size[0]) + "%";
      box.style.top = (100 * face.box[1] / size[1]) + "%";
      box.style.width = (100 * face.box[2] / size[0]) + "%";
      box.style.height = (100 * face.box[3] / size[1]) + "%";
      var label = document.createElement("span");
      label.textContent = face.label;
      box.appendChild(label);
      return box;
    }));
  }

  function showMusic(music) {
    statusText.dataset.nextMood = music.next_mood || "";
    statusText.dataset.changesIn = music.changes_in === null ? "" : String(music.changes_in);
    if (frozen) {
      statusText.textContent = "Songs frozen" + (music.next_mood
        ? ": the mood now is " + music.next_mood + "; unfreeze to follow it." : ".");
    } else if (music.next_mood) {
      statusText.textContent = "Seeing " + music.next_mood_words + " mood: the songs change in " +
        Math.ceil(music.changes_in) + " s if it lasts.";
    } else {
      statusText.textContent = "";
    }
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = !message;
  }
})();
