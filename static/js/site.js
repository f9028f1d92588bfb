// The few behaviours htmx attributes cannot express without inline script (the Content
// Security Policy allows scripts from this site's files only, never inline or eval'd).

// Controls that only htmx can drive are shown once scripts run (hidden under .no-js).
document.documentElement.classList.remove("no-js");
document.documentElement.classList.add("js");

// A section that loads itself says so when its request fails: the message is in its
// data-load-error (the server answered with an error) or data-send-error (no answer).
function reportLoadFailure(event, key) {
  const section = event.detail.elt.closest("[data-load-error]");
  if (!section) return;
  const status = section.querySelector("[data-status]");
  if (status) status.textContent = section.dataset[key];
  section.removeAttribute("aria-busy");
}
document.addEventListener("htmx:responseError", (event) => reportLoadFailure(event, "loadError"));
document.addEventListener("htmx:sendError", (event) => reportLoadFailure(event, "sendError"));

// The explorer's chosen node is outlined: its id is in data-selected-node, the drawing is
// shared by every visitor and cached, so the mark is added here, on load and after swaps.
function markSelectedNode(root) {
  const sections = [root, ...root.querySelectorAll("[data-selected-node]")];
  for (const section of sections) {
    if (!section.dataset || !section.dataset.selectedNode) continue;
    const node = document.getElementById(section.dataset.selectedNode);
    if (node) node.classList.add("is-selected");
  }
}
document.addEventListener("DOMContentLoaded", () => markSelectedNode(document.body));
document.addEventListener("htmx:load", (event) => markSelectedNode(event.detail.elt));

// The profile page (issue 12): the header menu on phones, focus after swaps, the graph fitted to its box.
/* BZPEER's few behaviours beyond htmx. Every page works without this file. */
(function () {
  "use strict";

  // The narrow-screen Menu button shows and hides the site links.
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest(".site-menu-toggle");
    if (!toggle) return;
    var nav = document.getElementById(toggle.getAttribute("aria-controls"));
    var open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    nav.classList.toggle("is-open", open);
  });

  // "More works": the first new item takes the focus, so keyboard and screen-reader users
  // continue where the new works begin instead of at the top of the page.
  document.addEventListener("htmx:load", function (event) {
    var root = event.target;
    var item = root.matches && root.matches("[data-autofocus]") ? root : root.querySelector && root.querySelector("[data-autofocus]");
    if (!item) return;
    item.removeAttribute("data-autofocus");
    var link = item.querySelector("a") || item;
    link.focus();
  });

  // Graph drawings: on narrow screens the lists come first, open; a drawing shown so small
  // that its names would be under 11px hides them (the lists and "Enlarge" have them).
  var narrow = window.matchMedia("(max-width: 50rem)");
  function fitGraphs(root) {
    (root.querySelectorAll ? root : document).querySelectorAll(".graph-svg").forEach(function (svg) {
      var box = svg.viewBox && svg.viewBox.baseVal;
      if (!box || !box.width) return;
      var scale = svg.getBoundingClientRect().width / box.width;
      var smallest = Infinity;
      svg.querySelectorAll(".graph-svg__labels text").forEach(function (text) {
        smallest = Math.min(smallest, parseFloat(text.getAttribute("font-size")) || 12);
      });
      svg.classList.toggle("graph-svg--unlabelled", scale > 0 && smallest * scale < 11);
    });
  }
  document.addEventListener("htmx:load", function (event) {
    var root = event.target;
    if (narrow.matches && root.querySelectorAll) {
      root.querySelectorAll("details[data-open-narrow]").forEach(function (d) { d.open = true; });
    }
    fitGraphs(root);
  });
  document.addEventListener("change", function (event) {
    if (event.target.closest(".graph-enlarge")) fitGraphs(document);
  });
  window.addEventListener("resize", function () { fitGraphs(document); });
})();
