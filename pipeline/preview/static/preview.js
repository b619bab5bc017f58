// gongwen preview: follows the publication's views (server-sent events) and shows each one.
// A new view's page images are loaded before they replace the old ones, so the page never flickers;
// images whose name (a digest of their pixels) did not change are kept as they are.
"use strict";

(() => {
  const body = document.body;
  const sections = new Map(
    Array.from(document.querySelectorAll("[data-artifact]"), (section) => [section.dataset.artifact, section]),
  );
  const status = document.getElementById("status");
  const problems = document.getElementById("problems");
  const problemLines = document.getElementById("problem-lines");
  const notes = document.getElementById("notes");
  const files = document.getElementById("files");
  const summary = document.querySelector(".summary");
  const summaryStyles = document.getElementById("summary-styles");
  let latest = -1;
  let summaryShown = null;
  let queue = Promise.resolve();

  function load(name, label) {
    const image = new Image();
    image.alt = label;
    image.src = name;
    return image.decode().then(
      () => image,
      () => image,
    );
  }

  async function showPages(artifact, names) {
    const box = sections.get(artifact).querySelector(".pages");
    const shown = Array.from(box.children, (image) => image.getAttribute("src"));
    if (shown.length === names.length && shown.every((name, index) => name === names[index])) return;
    const kept = new Map(Array.from(box.children, (image) => [image.getAttribute("src"), image]));
    const images = await Promise.all(
      names.map((name, index) => kept.get(name) || load(name, `${artifact}, page ${index + 1}`)),
    );
    box.replaceChildren(...images);
  }

  function showSummary(view) {
    if (view.summary_css && summaryStyles.getAttribute("href") !== view.summary_css) {
      summaryStyles.setAttribute("href", view.summary_css);
    }
    if (summaryShown !== view.summary) {
      summary.innerHTML = view.summary; // made by the server from escaped text
      summaryShown = view.summary;
    }
    fitSummary();
  }

  // The summary is laid out at its page's width, then scaled to its column.
  function fitSummary() {
    summary.style.zoom = "1";
    const natural = summary.offsetWidth;
    if (natural > 0) summary.style.zoom = String(summary.parentElement.clientWidth / natural);
  }
  new ResizeObserver(fitSummary).observe(summary.parentElement);

  function showFiles(view) {
    const links = view.files.map((name) => {
      const link = document.createElement("a");
      link.href = name;
      link.textContent = name;
      if (name.endsWith(".pdf")) link.target = "_blank";
      return link;
    });
    files.replaceChildren(...links);
  }

  function showStatus(view) {
    if (view.state === "rendering") {
      status.textContent = `rendering ${view.pending.join(", ")}…`;
    } else if (view.state === "error") {
      status.textContent = `${view.problems.length} problem${view.problems.length === 1 ? "" : "s"}`;
    } else if (view.state === "ok") {
      status.textContent = `up to date · ${new Date().toLocaleTimeString()}`;
    }
    problems.hidden = view.problems.length === 0;
    problemLines.textContent = view.problems.join("\n");
    notes.hidden = view.notes.length === 0;
    notes.textContent = view.notes.join(" · ");
  }

  async function show(view) {
    if (view.version < latest) return; // a newer view is on its way
    await Promise.all(Object.entries(view.pages).map(([artifact, names]) => showPages(artifact, names)));
    showSummary(view);
    for (const [artifact, section] of sections) {
      section.classList.toggle("stale", view.stale.includes(artifact));
      section.classList.toggle("pending", view.pending.includes(artifact));
    }
    showFiles(view);
    showStatus(view);
    document.title = `${view.title} — gongwen preview`;
    document.getElementById("title").textContent = view.title;
    body.dataset.state = view.state;
    body.dataset.version = String(view.version);
  }

  const events = new EventSource("events");
  events.addEventListener("view", (event) => {
    const view = JSON.parse(event.data);
    latest = Math.max(latest, view.version);
    queue = queue.then(() => show(view));
  });
  events.addEventListener("error", () => {
    status.textContent = "disconnected — is gongwen preview still running?";
    body.dataset.state = "disconnected";
  });
})();
