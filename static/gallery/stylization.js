// The result page: polls the status endpoint while the job is queued or running and
// updates the badge, progress bar, preview, actions and the loss chart in place.
(function () {
  "use strict";
  const root = document.querySelector("[data-stylization]");
  if (!root) return;
  const statusUrl = root.dataset.statusUrl;
  const ACTIVE = new Set(["queued", "running"]);
  const POLL_MS = 1000;
  const $ = (selector) => root.querySelector(selector);

  function setHidden(element, hidden) {
    if (element) element.hidden = hidden;
  }

  // What the empty chart says: a job still to run fills it in; a finished one will not.
  function emptyChartText(active, count) {
    if (active) return "The chart fills in as the steps run.";
    return count === 0 ? "No steps ran, so there is no loss to show." : "Only one step ran: too few for a curve.";
  }

  function drawLossChart(svg, losses, active) {
    const values = losses.filter((v) => typeof v === "number" && v > 0);
    const NS = "http://www.w3.org/2000/svg";
    svg.replaceChildren();
    const width = 320, height = 140, pad = 8;
    if (values.length < 2) {
      const text = document.createElementNS(NS, "text");
      text.setAttribute("x", width / 2);
      text.setAttribute("y", height / 2);
      text.setAttribute("text-anchor", "middle");
      text.setAttribute("class", "chart-empty");
      text.textContent = emptyChartText(active, values.length);
      svg.appendChild(text);
      return;
    }
    const logs = values.map(Math.log10);
    const lo = Math.min(...logs), hi = Math.max(...logs);
    const span = hi - lo || 1;
    const x = (i) => pad + (i / (logs.length - 1)) * (width - 2 * pad);
    const y = (v) => pad + (1 - (v - lo) / span) * (height - 2 * pad);
    const points = logs.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    const area = document.createElementNS(NS, "polygon");
    area.setAttribute("points", `${x(0)},${height - pad} ${points} ${x(logs.length - 1)},${height - pad}`);
    area.setAttribute("class", "chart-area");
    const line = document.createElementNS(NS, "polyline");
    line.setAttribute("points", points);
    line.setAttribute("class", "chart-line");
    const label = document.createElementNS(NS, "text");
    label.setAttribute("x", width - pad);
    label.setAttribute("y", pad + 10);
    label.setAttribute("text-anchor", "end");
    label.setAttribute("class", "chart-label");
    label.textContent = `${values[values.length - 1].toPrecision(3)}`;
    svg.append(area, line, label);
  }

  function showImage(url, alt) {
    const frame = $("[data-result-frame]");
    let img = $("[data-result]");
    if (!img) {
      frame.replaceChildren();
      img = document.createElement("img");
      img.dataset.result = "";
      frame.appendChild(img);
    }
    if (img.getAttribute("src") !== url) img.src = url;
    img.alt = alt;
  }

  function render(state) {
    root.dataset.status = state.status;
    const badge = $("[data-status-badge]");
    badge.textContent = state.status_display;
    badge.className = `badge badge-${state.status}`;

    const active = ACTIVE.has(state.status);
    setHidden($("[data-progress]"), !active);
    const percent = state.total_steps ? Math.round((100 * state.step) / state.total_steps) : 0;
    const bar = $("[data-progress-bar]");
    bar.setAttribute("aria-valuenow", String(percent));
    bar.querySelector(".progress-fill").style.width = `${percent}%`;
    bar.classList.toggle("progress-waiting", state.status === "queued");
    const text = $("[data-progress-text]");
    if (state.status === "queued") {
      text.textContent = state.queue_position
        ? `Waiting in the queue, position ${state.queue_position}…`
        : "Waiting in the queue…";
    } else if (state.status === "running") {
      text.textContent = state.total_steps
        ? `Painting… step ${state.step} of ${state.total_steps} (${percent}%)`
        : "Starting…";
    }

    // The estimate is the server's (gallery/eta.py): measured step times and the queue ahead.
    const eta = $("[data-eta]");
    eta.textContent = active && state.eta_text ? state.eta_text.charAt(0).toUpperCase() + state.eta_text.slice(1) : "";
    eta.dataset.seconds = active && state.eta_seconds !== null ? String(state.eta_seconds) : "";

    setHidden($('[data-action="cancel"]'), !state.can_cancel);
    setHidden($('[data-action="retry"]'), !state.can_retry);
    setHidden($('[data-action="download"]'), !state.result_url);
    setHidden($("[data-share-panel]"), !state.result_url);
    setHidden($("[data-print-panel]"), !state.result_url);
    setHidden($('[data-action="remix"]'), !state.result_url);
    setHidden($("[data-before-after-section]"), !state.result_url);
    const after = $("[data-after]");
    if (state.result_url && after.getAttribute("src") !== state.result_url) after.src = state.result_url;

    const error = $("[data-error]");
    setHidden(error, !state.error_message);
    $("[data-error-text]").textContent = state.error_message || "";

    if (state.result_url) {
      showImage(state.result_url, "Stylized result");
      $("[data-result-caption]").textContent = "Result";
    } else if (state.preview_url) {
      showImage(state.preview_url, "Latest preview");
    }
    $("[data-steps]").textContent = state.total_steps ? `${state.step} / ${state.total_steps}` : String(state.step);
    if (state.run_seconds) $("[data-run-time]").textContent = `${state.run_seconds.toFixed(1)} s`;
    drawLossChart($("[data-loss-chart]"), state.losses || [], active);
  }

  // A browser notification when the job ends while this page is open, if the user asked
  // for one (the permission prompt comes only from their click, never on load).
  const notify = { wanted: false, was: null };

  function notifySupported() {
    return "Notification" in window && Notification.permission !== "denied";
  }

  function renderNotify(active) {
    const panel = $("[data-notify]");
    setHidden(panel, !active || !notifySupported());
    const granted = "Notification" in window && Notification.permission === "granted";
    setHidden($("[data-notify-ask]"), notify.wanted && granted);
    $("[data-notify-state]").textContent = notify.wanted && granted ? "This browser will tell you when it is done." : "";
  }

  async function askToNotify() {
    const permission = await Notification.requestPermission();
    notify.wanted = permission === "granted";
    renderNotify(true);
  }

  function notifyIfFinished(state) {
    const ended = notify.was !== null && ACTIVE.has(notify.was) && !ACTIVE.has(state.status);
    notify.was = state.status;
    if (!ended || !notify.wanted || Notification.permission !== "granted") return;
    if (state.status !== "succeeded" && state.status !== "failed") return; // a cancel is the user's own doing
    const title = state.status === "succeeded" ? "Your stylization is ready" : "Your stylization failed";
    const body = state.status === "succeeded" ? $("h1").textContent.trim() : state.error_message;
    const shown = new Notification(title, { body, tag: `stylization-${state.id}` });
    shown.onclick = () => {
      window.focus();
      shown.close();
    };
  }

  async function poll() {
    try {
      const response = await fetch(statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) {
        const state = await response.json();
        render(state);
        notifyIfFinished(state);
        renderNotify(ACTIVE.has(state.status));
        if (!ACTIVE.has(state.status)) return;
      }
    } catch (error) {
      // Network hiccup: try again on the next tick.
    }
    window.setTimeout(poll, POLL_MS);
  }

  const initial = JSON.parse(document.getElementById("stylization-status").textContent);
  render(initial);
  notify.was = initial.status;
  renderNotify(ACTIVE.has(initial.status));
  $("[data-notify-ask]").addEventListener("click", askToNotify);
  if (ACTIVE.has(initial.status)) window.setTimeout(poll, POLL_MS);
})();
