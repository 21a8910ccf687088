// A batch's page: while any of its stylizations is queued or running, reload every few
// seconds so the cards and the contact sheet show progress (no inline code: the CSP).
(function () {
  "use strict";
  const root = document.querySelector("[data-batch]");
  if (root && root.dataset.active === "true") window.setTimeout(() => window.location.reload(), 4000);
})();
