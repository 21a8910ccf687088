// The create form: show a style's share slider once it is chosen, and print slider values.
(function () {
  "use strict";
  const form = document.querySelector("[data-create-form]");
  if (!form) return;

  form.querySelectorAll("[data-style-pick]").forEach((pick) => {
    const box = pick.querySelector('input[type="checkbox"]');
    const sync = () => pick.classList.toggle("is-checked", box.checked);
    box.addEventListener("change", sync);
    sync();
  });

  form.querySelectorAll('input[type="range"]').forEach((range) => {
    const output =
      range.parentElement.querySelector("output") || form.querySelector(`output[data-for="${range.id}"]`);
    if (!output) return;
    const sync = () => { output.textContent = Number(range.value).toFixed(range.step && range.step < 0.1 ? 2 : 1); };
    range.addEventListener("input", sync);
    sync();
  });

  // One click starts one stylization: the button waits once the form is sent (the server
  // also answers a repeated submission of this form with the first one's result).
  const submit = form.querySelector("[data-submit]");
  if (submit) {
    const label = submit.textContent;
    form.addEventListener("submit", () => {
      submit.disabled = true;
      submit.textContent = "Starting…";
    });
    // Coming back to this page (history, bfcache) finds the button ready again.
    window.addEventListener("pageshow", () => {
      submit.disabled = false;
      submit.textContent = label;
    });
  }

  // Choosing a file for the photo clears the radio choice, and the other way round.
  const photoFile = form.querySelector('input[name="photo_file"]');
  const radios = form.querySelectorAll('input[name="photo"]');
  if (photoFile) {
    photoFile.addEventListener("change", () => { if (photoFile.files.length) radios.forEach((r) => { r.checked = false; }); });
    radios.forEach((r) => r.addEventListener("change", () => { photoFile.value = ""; }));
  }
})();
