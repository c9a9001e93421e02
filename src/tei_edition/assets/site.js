/* Reading-edition behaviour: entity popovers and copy buttons.
   No inline script anywhere (the pages carry a strict CSP); data comes from
   <script type="application/json"> blocks. Without this file every mention is
   still a plain link to its register entry. */
(function () {
  "use strict";

  function readJSON(id) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text) { node.textContent = text; }
    return node;
  }

  /* ---- entity popovers: disclosure buttons (WAI-ARIA disclosure pattern) ---- */
  var data = readJSON("te-entity-data") || {};
  var current = null;          // the open popover: {wrap, button, panel, pinned}
  var count = 0;

  function show(p, pinned) {
    if (current && current !== p) { hide(current, false); }
    clearTimeout(p.timer);
    p.panel.hidden = false;
    p.button.setAttribute("aria-expanded", "true");
    p.pinned = p.pinned || pinned;
    current = p;
    p.panel.classList.remove("align-right");
    var rect = p.panel.getBoundingClientRect();
    if (rect.right > document.documentElement.clientWidth - 8) { p.panel.classList.add("align-right"); }
  }

  function hide(p, returnFocus) {
    clearTimeout(p.timer);
    p.panel.hidden = true;
    p.button.setAttribute("aria-expanded", "false");
    p.pinned = false;
    if (current === p) { current = null; }
    if (returnFocus) { p.button.focus(); }
  }

  function build(link) {
    var refs = (link.getAttribute("data-refs") || "").split(/\s+/).filter(function (r) { return data[r]; });
    if (!refs.length) { return; }
    count += 1;
    var id = "te-popover-" + count;
    var wrap = el("span", "entity-wrap");
    // A span with role=button, not <button>: a button is laid out as one box, so a
    // mention running over two lines would break the paragraph apart.
    var button = el("span", "entity");
    button.setAttribute("role", "button");
    button.tabIndex = 0;
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-controls", id);
    button.setAttribute("data-refs", refs.join(" "));
    if (link.getAttribute("data-kind")) { button.setAttribute("data-kind", link.getAttribute("data-kind")); }
    while (link.firstChild) { button.appendChild(link.firstChild); }
    var panel = el("span", "popover");
    panel.id = id;
    panel.hidden = true;
    panel.setAttribute("role", "group");
    panel.setAttribute("aria-label", "About " + button.textContent.replace(/\s+/g, " ").trim());
    refs.forEach(function (ref) {
      var d = data[ref];
      var item = el("span", "pop-item");
      item.appendChild(el("span", "pop-kind", d.kind));
      item.appendChild(el("strong", "pop-name", d.name));
      if (d.dates) { item.appendChild(el("span", "pop-dates", d.dates)); }
      if (d.role) { item.appendChild(el("span", "pop-role", d.role)); }
      var a = el("a", "pop-link", "Register entry: " + d.name);
      a.href = d.href;
      item.appendChild(a);
      panel.appendChild(item);
    });
    if (link.id) { wrap.id = link.id; }  // keep an anchor the text may carry
    link.parentNode.replaceChild(wrap, link);
    wrap.appendChild(button);
    wrap.appendChild(panel);
    var p = { wrap: wrap, button: button, panel: panel, pinned: false, timer: null };

    function toggle() {
      if (!panel.hidden && p.pinned) { hide(p, false); } else { show(p, true); }
    }
    button.addEventListener("click", toggle);
    button.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" || ev.key === " " || ev.key === "Spacebar") {
        ev.preventDefault();
        toggle();
      }
    });
    // Hover opens too; the panel sits inside the wrapper, so moving the pointer
    // onto it keeps it open (WCAG 1.4.13: hoverable, persistent, dismissable).
    // Each popover has its own timer, so passing over other mentions cannot cancel it.
    wrap.addEventListener("mouseenter", function () {
      clearTimeout(p.timer);
      if (panel.hidden) { p.timer = setTimeout(function () { show(p, false); }, 120); }
    });
    wrap.addEventListener("mouseleave", function () {
      clearTimeout(p.timer);
      if (!p.pinned) { p.timer = setTimeout(function () { if (!p.pinned) { hide(p, false); } }, 400); }
    });
    wrap.addEventListener("focusout", function (ev) {
      if (ev.relatedTarget && !wrap.contains(ev.relatedTarget)) { hide(p, false); }
    });
  }

  Array.prototype.slice.call(document.querySelectorAll("a.entity[data-refs]")).forEach(build);

  document.addEventListener("keydown", function (ev) {
    if ((ev.key === "Escape" || ev.key === "Esc") && current) {
      var p = current;
      hide(p, p.wrap.contains(document.activeElement));
    }
  });
  document.addEventListener("click", function (ev) {
    if (current && !current.wrap.contains(ev.target)) { hide(current, false); }
  });

  /* ---- copy buttons for citations ---- */
  var status = document.querySelector(".copy-status");
  function say(text) { if (status) { status.textContent = text; } }
  Array.prototype.slice.call(document.querySelectorAll("button.copy[data-copy]")).forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source) { return; }
      var text = source.textContent.replace(/\s+/g, " ").trim();
      var label = button.textContent.replace(/^Copy /, "");
      function fallback() {
        var range = document.createRange();
        range.selectNodeContents(source);
        var sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        var ok = false;
        try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
        say(ok ? "Copied the " + label + "." : "Selected the " + label + ": press Ctrl+C to copy.");
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { say("Copied the " + label + "."); }, fallback);
      } else {
        fallback();
      }
    });
  });
}());
