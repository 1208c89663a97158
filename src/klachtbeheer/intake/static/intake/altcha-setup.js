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
