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
