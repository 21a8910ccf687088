// Before/after sliders (the result page, the landing page): the range input moves the split
// between the "before" picture (left) and the "after" one (right); dragging on the picture
// does too; "Full size", where offered, shows the after's pixels one to one in a scrolling
// frame. Vanilla, no inline code (the site's Content-Security-Policy forbids it).
(function () {
  "use strict";

  function init(panel) {
    const pair = panel.querySelector("[data-before-after]");
    const split = panel.querySelector("[data-split]");
    const zoom = panel.querySelector("[data-zoom]");
    const after = panel.querySelector("[data-after]");

    function setSplit(percent) {
      pair.style.setProperty("--split", `${percent}%`);
      split.setAttribute("aria-valuetext", `${percent}% before`);
    }

    function setZoom(on) {
      zoom.setAttribute("aria-pressed", String(on));
      zoom.textContent = on ? "Fit to page" : "Full size";
      panel.classList.toggle("zoomed", on);
      // One to one: the pair takes the after picture's own width in pixels, the frame scrolls.
      pair.style.width = on && after.naturalWidth ? `${after.naturalWidth}px` : "";
    }

    split.hidden = false;
    split.addEventListener("input", () => setSplit(Number(split.value)));
    if (zoom) {
      zoom.hidden = false;
      zoom.addEventListener("click", () => setZoom(zoom.getAttribute("aria-pressed") !== "true"));
    }
    // Pointer events: mouse, pen and touch alike.
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
  }

  document.querySelectorAll("[data-before-after-panel]").forEach(init);
})();
