// The few behaviours htmx attributes cannot express without inline script (the Content
// Security Policy allows scripts from this site's files only, never inline or eval'd).

// Controls that only htmx can drive are shown once scripts run (hidden under .no-js).
document.documentElement.classList.remove("no-js");

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
