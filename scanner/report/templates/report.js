(function () {
  "use strict";
  var table = document.getElementById("blobs");
  var filter = document.getElementById("filter");
  var priority = document.getElementById("priority");
  var shown = document.getElementById("shown");
  var bodies = Array.prototype.slice.call(table.querySelectorAll("tbody.blob"));
  var texts = bodies.map(function (body) { return body.textContent.toLowerCase(); });

  function applyFilter() {
    var needle = filter.value.trim().toLowerCase();
    var wanted = priority.value;
    var count = 0;
    bodies.forEach(function (body, index) {
      var visible = (needle === "" || texts[index].indexOf(needle) !== -1) &&
        (wanted === "all" || body.getAttribute("data-priority") === wanted);
      if (body.hidden === visible) { body.hidden = !visible; }
      if (visible) { count += 1; }
    });
    shown.textContent = String(count);
  }

  function sortBy(button) {
    var key = "data-sort-" + button.getAttribute("data-key");
    var numeric = button.getAttribute("data-type") === "number";
    var ascending = button.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("button.sort").forEach(function (other) { other.removeAttribute("aria-sort"); });
    button.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var order = bodies.map(function (body, index) { return index; });
    order.sort(function (a, b) {
      var x = bodies[a].getAttribute(key);
      var y = bodies[b].getAttribute(key);
      var result = numeric ? Number(x) - Number(y) : x.localeCompare(y);
      return (ascending ? result : -result) || a - b;
    });
    bodies = order.map(function (index) { return bodies[index]; });
    texts = order.map(function (index) { return texts[index]; });
    bodies.forEach(function (body) { table.appendChild(body); });
  }

  function toggleThumbnail(button) {
    var wasRevealed = button.classList.contains("revealed");
    table.querySelectorAll("button.thumb.revealed").forEach(function (other) {
      other.classList.remove("revealed");
      other.setAttribute("aria-pressed", "false");
    });
    if (!wasRevealed) {
      button.classList.add("revealed");
      button.setAttribute("aria-pressed", "true");
    }
  }

  filter.addEventListener("input", applyFilter);
  priority.addEventListener("change", applyFilter);
  table.querySelectorAll("button.sort").forEach(function (button) {
    button.addEventListener("click", function () { sortBy(button); });
  });
  table.querySelectorAll("button.thumb").forEach(function (button) {
    button.addEventListener("click", function () { toggleThumbnail(button); });
  });
  applyFilter();
}());
