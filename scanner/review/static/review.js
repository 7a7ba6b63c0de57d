(function () {
  "use strict";
  var csrf = document.querySelector("meta[name=csrf]").content;
  var categories = JSON.parse(document.querySelector("meta[name=categories]").content);
  var tiles = Array.prototype.slice.call(document.querySelectorAll("article.tile"));
  var status = document.getElementById("status");
  var noteForm = document.getElementById("note-form");
  var noteText = document.getElementById("note-text");
  var noteFor = null;
  var verbs = { "confirm": "confirmed", "reject": "rejected", "second-look": "second look" };

  function current() {
    var index = tiles.indexOf(document.activeElement);
    return index >= 0 ? tiles[index] : (tiles.length === 1 ? tiles[0] : null);
  }

  function move(step) {
    if (tiles.length === 0) { return; }
    var index = tiles.indexOf(document.activeElement);
    index = index < 0 ? 0 : Math.max(0, Math.min(tiles.length - 1, index + step));
    tiles[index].focus();
  }

  function toggle(button) {
    var wasRevealed = button.classList.contains("revealed");
    document.querySelectorAll("button.thumb.revealed").forEach(function (other) {
      other.classList.remove("revealed");
      other.setAttribute("aria-pressed", "false");
    });
    if (!wasRevealed) {
      button.classList.add("revealed");
      button.setAttribute("aria-pressed", "true");
    }
  }

  function showMarks(tile, marks) {
    var box = tile.querySelector(".marks");
    if (!box) { return; }
    box.textContent = "";
    marks.forEach(function (text) {
      var span = document.createElement("span");
      span.className = "mark";
      span.textContent = text;
      box.appendChild(span);
      box.appendChild(document.createTextNode(" "));
    });
  }

  function decide(tile, decision, value, note) {
    var body = { kind: tile.dataset.kind, key: tile.dataset.key, decision: decision,
      value: value || "", note: note || "" };
    status.textContent = "saving…";
    fetch("/decide", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF": csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (answer) {
      showMarks(tile, answer.marks);
      tile.dataset.decided = decision;
      status.textContent = "decision " + answer.id + ": " + (verbs[decision] || decision + " " + body.value);
    }).catch(function (error) {
      status.textContent = "not saved: " + error.message;
    });
  }

  function askNote(tile) {
    noteFor = tile;
    noteForm.hidden = false;
    noteText.value = "";
    noteText.focus();
  }

  noteForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var tile = noteFor;
    noteForm.hidden = true;
    if (tile && noteText.value.trim() !== "") { decide(tile, "note", "", noteText.value); }
    if (tile) { tile.focus(); }
  });
  document.getElementById("note-cancel").addEventListener("click", function () {
    noteForm.hidden = true;
    if (noteFor) { noteFor.focus(); }
  });

  document.addEventListener("keydown", function (event) {
    var field = event.target.closest && event.target.closest("input, select, textarea, button");
    if (event.key === "Escape" && !noteForm.hidden) {
      noteForm.hidden = true;
      if (noteFor) { noteFor.focus(); }
      return;
    }
    if (field || event.ctrlKey || event.metaKey || event.altKey) { return; }
    var tile = current();
    var key = event.key;
    if (key === "ArrowRight" || key === "j") { move(1); }
    else if (key === "ArrowLeft" || key === "k") { move(-1); }
    else if (!tile) { return; }
    else if (key === " ") { var b = tile.querySelector("button.thumb"); if (b) { toggle(b); } }
    else if (key === "Enter" && tile.dataset.href) { window.location.assign(tile.dataset.href); }
    else if (key === "c") { decide(tile, "confirm"); }
    else if (key === "x") { decide(tile, "reject"); }
    else if (key === "s") { decide(tile, "second-look"); }
    else if (key === "n") { askNote(tile); }
    else if (/^[0-9]$/.test(key) && Number(key) < categories.length) {
      decide(tile, "category", categories[Number(key)]);
    } else { return; }
    event.preventDefault();
  });

  document.querySelectorAll("button.thumb").forEach(function (button) {
    button.addEventListener("click", function () { toggle(button); });
  });
  tiles.forEach(function (tile) {
    tile.addEventListener("click", function () { tile.focus(); });
  });
  if (tiles.length > 0) { tiles[0].focus(); }
}());
