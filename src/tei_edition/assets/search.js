/* The search page. Normally it asks Pagefind (pagefind/pagefind.js, with the further parts
   of a large index merged in), which downloads only the index chunks and result fragments a
   query needs. When the build had no Pagefind,
   the page carries a small index of titles and names (#te-search-index) and searches that.
   Register entries whose names match the query come first (e.g. "Port Arthur" finds the
   place Lushun before the letters that mention it). */
(function () {
  "use strict";
  var input = document.getElementById("te-q");
  var list = document.getElementById("te-search-results");
  var status = document.getElementById("te-search-status");
  if (!input || !list || !status) { return; }
  var hint = status.textContent;  // the page names what its registers hold
  var SHOWN = 20;                 // results whose fragments are fetched and shown
  var inline = document.getElementById("te-search-index");

  function fold(s) {
    return (s || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/\s+/g, " ").trim();
  }
  function say(text) { status.textContent = text; }
  function counted(n, query) {
    return n + (n === 1 ? " result" : " results") + " for “" + query.trim() + "”.";
  }
  function nameScore(names, title, phrase) {
    var best = 0;
    names.concat([title]).forEach(function (n) {
      var f = fold(n);
      var s = f === phrase ? 3 : f.indexOf(phrase) === 0 ? 2 : f.indexOf(phrase) >= 0 ? 1 : 0;
      if (s > best) { best = s; }
    });
    return best;
  }
  // Pagefind's excerpt is escaped text with <mark> around the hits: rebuild it as nodes
  var decoder = document.createElement("textarea");
  function excerptNodes(p, excerpt) {
    excerpt.split(/(<mark>.*?<\/mark>)/).forEach(function (part) {
      var marked = part.indexOf("<mark>") === 0;
      decoder.innerHTML = marked ? part.slice(6, -7) : part;  // RCDATA: decoded, never run
      var node = document.createTextNode(decoder.value);
      if (marked) { var m = document.createElement("mark"); m.appendChild(node); p.appendChild(m); }
      else { p.appendChild(node); }
    });
  }
  function show(hits) {
    list.textContent = "";
    hits.forEach(function (h) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = h.url;
      a.textContent = h.title;
      li.appendChild(a);
      var kind = document.createElement("span");
      kind.className = "result-kind";
      kind.textContent = " " + h.kind;
      li.appendChild(kind);
      var p = document.createElement("p");
      p.className = "result-text";
      if (h.excerpt) { excerptNodes(p, h.excerpt); } else { p.textContent = h.text || ""; }
      li.appendChild(p);
      list.appendChild(li);
    });
  }

  // --- without Pagefind: titles and names carried by the page ---
  function inlineSearch(query) {
    var index;
    try { index = JSON.parse(inline.textContent); } catch (e) { index = []; }
    var phrase = fold(query);
    if (!phrase) { list.textContent = ""; say(hint); return; }
    var terms = phrase.split(" ");
    var hits = [];
    index.forEach(function (e) {
      var all = fold((e.n || []).join(" | ") + " | " + e.t);
      if (!terms.every(function (t) { return all.indexOf(t) >= 0; })) { return; }
      var score = nameScore(e.n || [], e.t, phrase) * 10 + (e.k !== "Letter" && e.k !== "Document" ? 1 : 0);
      hits.push({ url: e.u, title: e.t, kind: e.k, text: (e.n || []).join(", "), s: score });
    });
    hits.sort(function (a, b) { return b.s - a.s; });
    say(counted(hits.length, query));
    show(hits.slice(0, 60));
  }

  // --- with Pagefind ---
  var pagefind = null;
  function relative(url) {  // Pagefind's URLs start at the site root; the site may live in a subfolder
    return url.replace(/^\//, "");  // every page sits beside search.html
  }
  function pagefindSearch(query) {
    if (!fold(query)) { list.textContent = ""; say(hint); return Promise.resolve(); }
    return ready().then(function () {
      return pagefind.debouncedSearch(query, {}, 200);
    }).then(function (search) {
      // a newer query superseded this one, or the field was cleared meanwhile
      if (search === null || fold(input.value) !== fold(query)) { return; }
      var first = search.results.slice(0, SHOWN);
      return Promise.all(first.map(function (r) { return r.data(); })).then(function (datas) {
        var phrase = fold(query);
        if (fold(input.value) !== phrase) { return; }
        var hits = datas.map(function (d, i) {
          var names = d.meta.names ? d.meta.names.split(" | ") : [];
          var kind = d.meta.kind || ((d.filters.kind || [""])[0].replace(/^./, function (c) { return c.toUpperCase(); }));
          return { url: relative(d.meta.url || d.url), title: d.meta.title || d.url, kind: kind, excerpt: d.excerpt,
                   s: nameScore(names, d.meta.title || "", phrase), i: i };
        });
        hits.sort(function (a, b) { return b.s - a.s || a.i - b.i; });
        say(counted(search.results.length, query));
        show(hits);
      });
    }).catch(function () {
      say("The search index could not be loaded.");
    });
  }

  var q = new URLSearchParams(window.location.search).get("q") || "";
  input.value = q;
  var top = document.getElementById("te-site-q");
  if (top) { top.value = q; }

  if (inline) {
    var timer = null;
    inlineSearch(q);
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { inlineSearch(input.value); }, 150);
    });
    return;
  }
  if (window.location.protocol === "file:") {
    hint = "Search works when the site is served over HTTP (for example with python -m http.server), " +
      "not when its pages are opened as files: the browser refuses to load the search index from disk.";
    say(hint);
    return;
  }
  // a large edition's index comes in parts (pagefind/shards.json names the others): Pagefind
  // merges them on the first query, loading its WebAssembly once and each part's metadata
  var base = new URL("pagefind/", document.baseURI);
  var merged = null;
  function ready() {
    if (!merged) {
      merged = fetch(new URL("shards.json", base).href)
        .then(function (r) { return r.ok ? r.json() : []; }, function () { return []; })
        .then(function (folders) {
          return Promise.all((Array.isArray(folders) ? folders : []).map(function (folder) {
            return pagefind.mergeIndex(new URL(folder, base).pathname, { baseUrl: "/" });
          }));
        });
    }
    return merged;
  }
  import(new URL("pagefind.js", base).href).then(function (module) {
    pagefind = module;
    // baseUrl "/": every result's URL is then "/page.html", which relative() makes a sibling
    // of this page wherever the site is served (its default would repeat a subfolder)
    return pagefind.options({ excerptLength: 24, baseUrl: "/" }).then(function () {
      input.addEventListener("input", function () { pagefindSearch(input.value); });
      return pagefindSearch(q);
    });
  }).catch(function () {
    say("The search index could not be loaded.");
  });
}());
