// The ALTCHA widget (vendored, MIT, see altcha/README.md), served by this site.
// Without JavaScript the form still works: a submission without proof of work
// is then checked by a person before it becomes a complaint.
import "./altcha/i18n/nl.js";
import "./altcha/i18n/en.js";
import "./altcha/altcha.min.js";

// The one proof-of-work algorithm this site issues, solved in a worker from our origin.
const pbkdf2Worker = new URL("./altcha/workers/pbkdf2.js", import.meta.url);
globalThis.$altcha.algorithms.set("PBKDF2/SHA-256", () => new Worker(pbkdf2Worker));


// The note for browsers without JavaScript is not needed here.
for (const note of document.querySelectorAll("[data-no-script]")) {
  note.hidden = true;
}
for (const note of document.querySelectorAll("[data-with-script]")) {
  note.hidden = false;
}

// "Send complaint" works once: a second press while the browser is still doing the
// proof of work would send the form without it (and park a real complaint for a
// colleague to check). The widget sends the form itself when the work is done.
const form = document.querySelector("form[data-send-once]");
if (form) {
  const status = form.querySelector("[data-send-status]");
  let sending = false;
  form.addEventListener(
    "submit",
    (event) => {
      const action = event.submitter ? event.submitter.value : "submit";
      if (action !== "submit") return; // adding or removing a file is not sending
      if (sending) {
        const proof = form.elements.namedItem("altcha");
        // The widget's own submit, once solved, carries the proof; any other press waits.
        if (!(proof && proof.value) || form.dataset.sent === "true") {
          event.preventDefault();
          event.stopImmediatePropagation();
          return;
        }
        form.dataset.sent = "true";
        return;
      }
      sending = true;
      for (const button of form.querySelectorAll("button[value='submit']")) {
        button.setAttribute("aria-disabled", "true");
      }
      if (status) {
        status.hidden = false;
        status.textContent = status.dataset.sendStatus;
      }
      const proof = form.elements.namedItem("altcha");
      if (proof && proof.value) form.dataset.sent = "true";
    },
    true,
  );
}
