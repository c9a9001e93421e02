/* Client-side search over the index built into search.html at build time.
   Accents and case are ignored, so "Lushun" also finds "Lüshun"; register entries
   whose name forms match come first (e.g. "Port Arthur" finds the place Lushun). */
(function () {
  "use strict";
  var source = document.getElementById("te-search-index");
  var input = document.getElementById("te-q");
  var list = document.getElementById("te-search-results");
  var status = document.getElementById("te-search-status");
  if (!source || !input || !list) { return; }
  var hint = status ? status.textContent : "";  // the page names what its registers hold
  var index;
  try { index = JSON.parse(source.textContent); } catch (e) { index = []; }

  function fold(s) {
    return (s || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/\s+/g, " ");
  }
  index.forEach(function (entry) {
    entry.fn = (entry.n || []).map(fold);
    entry.ft = fold(entry.t);
    entry.fx = fold(entry.x);
    entry.all = entry.fn.join(" | ") + " | " + entry.ft + " | " + entry.fx;
  });

  function snippet(text, phrase, terms) {
    var f = fold(text);
    var at = f.indexOf(phrase);
    if (at < 0) { at = f.indexOf(terms[0]); }
    if (at < 0) { return text.slice(0, 160); }
    var start = Math.max(0, at - 70);
    return (start > 0 ? "…" : "") + text.slice(start, start + 180) + (start + 180 < text.length ? "…" : "");
  }

  function run(query) {
    var phrase = fold(query).trim();
    list.textContent = "";
    if (!phrase) { status.textContent = hint; return; }
    var terms = phrase.split(" ");
    var hits = [];
    index.forEach(function (entry) {
      if (!terms.every(function (t) { return entry.all.indexOf(t) >= 0; })) { return; }
      // exact name > name starting with the query > name containing it > title > text
      var score = 0;
      var matchedName = null;
      entry.fn.forEach(function (n, i) {
        var s = n === phrase ? 300 : n.indexOf(phrase) === 0 ? 200 : n.indexOf(phrase) >= 0 ? 100 : 0;
        if (s > score) { score = s; matchedName = entry.n[i]; }
      });
      if (entry.ft === phrase) { score = Math.max(score, 250); }
      else if (entry.ft.indexOf(phrase) >= 0) { score = Math.max(score, 40); }
      if (entry.fx.indexOf(phrase) >= 0) { score += 10; }
      if (entry.k !== "Text" && entry.k !== "Document") { score += 5; }
      hits.push({ e: entry, s: score, name: matchedName });
    });
    hits.sort(function (a, b) { return b.s - a.s; });
    status.textContent = hits.length + (hits.length === 1 ? " result" : " results") + " for “" + query.trim() + "”.";
    hits.slice(0, 60).forEach(function (h) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = h.e.u;
      a.textContent = h.e.t;
      li.appendChild(a);
      var kind = document.createElement("span");
      kind.className = "result-kind";
      kind.textContent = " " + h.e.k;
      li.appendChild(kind);
      var p = document.createElement("p");
      p.className = "result-text";
      if (h.name && fold(h.name) !== h.e.ft) { p.textContent = "Also known as: " + h.name + ". " + (h.e.x || ""); }
      else { p.textContent = snippet(h.e.x || (h.e.n || []).join(", "), phrase, terms); }
      li.appendChild(p);
      list.appendChild(li);
    });
  }

  var params = new URLSearchParams(window.location.search);
  var q = params.get("q") || "";
  input.value = q;
  var top = document.getElementById("te-site-q");
  if (top) { top.value = q; }
  run(q);
  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { run(input.value); }, 150);
  });
}());
