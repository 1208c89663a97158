// Public pages of Klachtbeheer. Everything here is served by this site itself:
// small helpers. The pages work without them.
// The error summary takes the focus, so screen readers announce it (GOV.UK pattern).
const summary = document.querySelector(".kb-error-summary");
if (summary) {
  summary.focus();
}

// A character counter under long texts; the limit itself is stated in the hint.
for (const area of document.querySelectorAll("textarea[data-counter-text]")) {
  const max = Number(area.getAttribute("maxlength"));
  if (!max) continue;
  const counter = document.createElement("p");
  counter.className = "kb-hint kb-counter";
  counter.setAttribute("aria-live", "polite");
  const update = () => {
    const left = max - area.value.length;
    const number = left.toLocaleString(document.documentElement.lang || "nl");
    counter.textContent = area.dataset.counterText.replace("%(n)s", number);
  };
  area.insertAdjacentElement("afterend", counter);
  area.addEventListener("input", update);
  update();
}

// Print buttons exist only where printing can work.
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
