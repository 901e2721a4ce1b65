// "More songs" swaps the song list in place (the photo stays on the page);
// without JavaScript the form still works as a plain GET to the next page.
(function () {
  "use strict";

  function bindPlayers(root) {
    root.querySelectorAll("button.play").forEach(function (button) {
      button.addEventListener("click", function () {
        // The Spotify player loads only when asked for: six iframes up front
        // would slow the page for songs nobody plays.
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
    });
  }

  var form = document.getElementById("more-form");
  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button");
      button.disabled = true;
      fetch(form.action + "?fragment=1", { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status);
          return response.text();
        })
        .then(function (html) {
          var holder = document.createElement("div");
          holder.innerHTML = html;
          var fresh = holder.querySelector("#songs");
          document.getElementById("songs").replaceWith(fresh);
          bindPlayers(fresh);
        })
        .catch(function () { form.submit(); })
        .finally(function () { button.disabled = false; });
    });
  }
  bindPlayers(document);
})();
