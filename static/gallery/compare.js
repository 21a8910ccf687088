// The result page's before/after slider: the range input moves the split between the photo
// (left) and the result (right); "Full size" shows the result's pixels one to one in a
// scrolling frame. Vanilla, no inline code (the site's Content-Security-Policy forbids it).
(function () {
  "use strict";
  const panel = document.querySelector("[data-before-after-panel]");
  if (!panel) return;
  const pair = panel.querySelector("[data-before-after]");
  const split = panel.querySelector("[data-split]");
  const zoom = panel.querySelector("[data-zoom]");
  const after = panel.querySelector("[data-after]");

  function setSplit(percent) {
    pair.style.setProperty("--split", `${percent}%`);
    split.setAttribute("aria-valuetext", `${percent}% photo`);
  }

  function setZoom(on) {
    zoom.setAttribute("aria-pressed", String(on));
    zoom.textContent = on ? "Fit to page" : "Full size";
    panel.classList.toggle("zoomed", on);
    // One to one: the pair takes the result's own width in pixels, the frame scrolls.
    pair.style.width = on && after.naturalWidth ? `${after.naturalWidth}px` : "";
  }

  split.hidden = false;
  zoom.hidden = false;
  split.addEventListener("input", () => setSplit(Number(split.value)));
  zoom.addEventListener("click", () => setZoom(zoom.getAttribute("aria-pressed") !== "true"));
  // Dragging on the picture moves the split too (pointer events: mouse, pen and touch).
  pair.addEventListener("pointerdown", (event) => {
    const move = (e) => {
      const box = pair.getBoundingClientRect();
      const percent = Math.round(Math.min(100, Math.max(0, ((e.clientX - box.left) / box.width) * 100)));
      split.value = String(percent);
      setSplit(percent);
    };
    move(event);
    pair.setPointerCapture(event.pointerId);
    pair.addEventListener("pointermove", move);
    pair.addEventListener("pointerup", () => pair.removeEventListener("pointermove", move), { once: true });
  });
  setSplit(Number(split.value));
})();
