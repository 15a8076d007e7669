// Keyboard review: j/k move, c/r/u record a verdict (one request each), n focuses the note, o opens
// the source. Loaded from our own origin only (the Content-Security-Policy forbids inline scripts).
(function () {
  "use strict";
  var token = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var items = Array.prototype.slice.call(document.querySelectorAll("#queue .item"));
  var status = document.getElementById("status");
  var index = 0;
  var keys = { c: "confirmed", r: "rejected", u: "unsure" };

  function select(i) {
    if (!items.length) return;
    index = Math.max(0, Math.min(items.length - 1, i));
    items.forEach(function (el, j) { el.classList.toggle("current", j === index); });
    items[index].scrollIntoView({ block: "nearest" });
  }

  function say(text) { status.textContent = text; }

  function record(item, verdict) {
    var note = item.querySelector(".note").value;
    var id = item.getAttribute("data-id");
    say("Saving " + verdict + " for article " + id + "…");
    return fetch("/api/articles/" + id + "/review", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
      body: JSON.stringify({ verdict: verdict, note: note })
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error(body.error || ("HTTP " + response.status));
        var label = item.querySelector(".verdict");
        label.textContent = verdict;
        label.setAttribute("data-verdict", verdict);
        item.classList.add("done");
        say("Saved: article " + id + " " + verdict + ".");
      });
    }).catch(function (err) { say("Not saved: " + err.message); throw err; });
  }

  function act(item, verdict) {
    record(item, verdict).then(function () {
      var i = items.indexOf(item);
      if (i === index) select(index + 1);
    }, function () {});
  }

  items.forEach(function (item, i) {
    item.addEventListener("click", function () { select(i); });
    Array.prototype.forEach.call(item.querySelectorAll("button.act"), function (button) {
      button.addEventListener("click", function (ev) { ev.stopPropagation(); select(i); act(item, button.getAttribute("data-verdict")); });
    });
  });

  document.addEventListener("keydown", function (ev) {
    var target = ev.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "SELECT" || target.tagName === "TEXTAREA")) {
      if (ev.key === "Escape") { target.blur(); }
      if (ev.key === "Enter" && target.classList.contains("note")) { target.blur(); }
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey || !items.length) return;
    var item = items[index];
    if (ev.key === "j") { select(index + 1); ev.preventDefault(); }
    else if (ev.key === "k") { select(index - 1); ev.preventDefault(); }
    else if (keys[ev.key]) { act(item, keys[ev.key]); ev.preventDefault(); }
    else if (ev.key === "n") { item.querySelector(".note").focus(); ev.preventDefault(); }
    else if (ev.key === "o") { var a = item.querySelector("a.title"); if (a) window.open(a.href, "_blank", "noopener,noreferrer"); }
  });
  select(0);
})();
