// Image inputs (gallery.forms.ImageFileInput): refuse a file over the per-file limit as soon as
// it is chosen, so nobody waits for a large upload only to have the server refuse it. The
// limit and the message come from the input's data attributes (UPLOAD_MAX_BYTES and
// gallery/errors.py's FILE_TOO_LARGE), so the page says exactly what the server would.
(function () {
  "use strict";
  const SELECTOR = 'input[type="file"][data-max-bytes]';
  const MB = 1024 * 1024;

  // Fill a Python format string's {name} and {name:.Nf} fields, as str.format does.
  function format(template, values) {
    return template.replace(/\{(\w+)(?::\.(\d+)f)?\}/g, (field, key, digits) =>
      digits === undefined ? String(values[key]) : Number(values[key]).toFixed(Number(digits)));
  }

  function tooLarge(input) {
    const limit = Number(input.dataset.maxBytes);
    const file = Array.from(input.files || []).find((candidate) => candidate.size > limit);
    if (!file) return "";
    return format(input.dataset.tooLargeMessage, { name: file.name, size_mb: file.size / MB, limit_mb: limit / MB });
  }

  function show(input, message) {
    const box = input.closest(".field, .form-row") || input.parentElement;
    let note = box.querySelector("[data-upload-error]");
    if (!message) {
      if (note) note.remove();
      return;
    }
    if (!note) {
      note = document.createElement("p");
      note.className = "error";
      note.setAttribute("data-upload-error", "");
      note.setAttribute("role", "alert");
      input.insertAdjacentElement("afterend", note);
    }
    note.textContent = message;
  }

  // Delegated, so inputs in any form (the admin's too) are covered whenever the script loads.
  document.addEventListener("change", (event) => {
    const input = event.target;
    if (!input.matches || !input.matches(SELECTOR)) return;
    const message = tooLarge(input);
    if (message) input.value = ""; // the form cannot send it; the message says why
    show(input, message);
  });
})();
