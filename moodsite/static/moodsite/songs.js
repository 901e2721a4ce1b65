// Song lists (result, More songs and live camera pages): players that load on
// "Play", and "More songs" swapping the list
// in place (focus moves to the first new song, the live region says what
// changed). Without JavaScript the form is a plain GET of the next page.
// reading.js calls moodsite.bindSongs() on the song section it swaps in.
(function () {
  "use strict";
  var moodsite = (window.moodsite = window.moodsite || {});

  moodsite.announce = function (text) {
    var region = document.getElementById("announcer");
    if (!region) return;
    // Emptied first, so the same words said twice are announced twice.
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  };

  // "Play" on any song list, also one swapped in later (More songs, the live
  // camera): the Spotify player loads only when asked for, since six iframes
  // up front would slow the page for songs nobody plays.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.play");
    if (!button) return;
    var player = button.closest(".song").querySelector(".player");
    var frame = document.createElement("iframe");
    frame.src = button.dataset.embed;
    frame.width = "100%";
    frame.height = "80";
    frame.loading = "lazy";
    frame.allow = "encrypted-media; clipboard-write";
    frame.title = "Spotify player";
    player.replaceChildren(frame);
    button.remove();
  });

  function showNewSongs(fresh, mood) {
    document.getElementById("songs").replaceWith(fresh);
    var first = fresh.querySelector(".song");
    var notice = fresh.querySelector(".notice");
    var count = fresh.querySelectorAll(".song").length;
    var message = count + " new " + mood + " song" + (count === 1 ? "" : "s") + ".";
    moodsite.announce((notice ? notice.textContent.trim() + " " : "") + message);
    if (first) {
      first.setAttribute("tabindex", "-1");
      first.focus();
    }
  }

  function bindMoreForm(root) {
    var form = root.querySelector("#more-form");
    if (!form) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button");
      var mood = document.getElementById("songs").dataset.mood;
      button.disabled = true;
      fetch(form.dataset.fragment, { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status);
          return response.text();
        })
        .then(function (html) {
          var holder = document.createElement("div");
          holder.innerHTML = html;
          showNewSongs(holder.querySelector("#songs"), mood);
        })
        .catch(function () { form.submit(); })
        .finally(function () { button.disabled = false; });
    });
  }

  moodsite.bindSongs = function (root) {
    bindMoreForm(root);
  };
  moodsite.bindSongs(document);
})();
