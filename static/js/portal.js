// Small enhancements; every page works without them.
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const target = document.querySelector(button.getAttribute("data-copy"));
  if (target && navigator.clipboard) {
    navigator.clipboard.writeText(target.textContent.trim()).then(function () {
      button.textContent = button.getAttribute("data-copied") || "Copied";
    });
  }
});
// Confirmation before a POST. With data-confirm-count="NAME" the message names how many NAME checkboxes of
// the form (inside it, or outside with form="its id") are ticked: data-confirm-one for one, else data-confirm
// with {count}. With none ticked the form goes without asking, and the page says what is missing.
// Validation comes first: with a field of data-confirm-requires="a,b" empty, or more than data-confirm-max
// ticked, the form goes without asking too, and the page says what is wrong: only what can happen is confirmed.
document.addEventListener("submit", function (event) {
  const form = event.target;
  let message = form.getAttribute("data-confirm");
  const required = (form.getAttribute("data-confirm-requires") || "").split(",").filter(Boolean);
  if (required.some(function (name) {
    const field = form.elements.namedItem(name);
    return field && !String(field.value || "").trim();
  })) return;
  const countName = form.getAttribute("data-confirm-count");
  if (countName) {
    const count = Array.from(document.querySelectorAll("input[type=checkbox]:checked"))
      .filter(function (box) { return box.name === countName && box.form === form; }).length;
    if (count === 0) return;
    const max = parseInt(form.getAttribute("data-confirm-max") || "0", 10);
    if (max && count > max) return;
    if (count === 1 && form.hasAttribute("data-confirm-one")) message = form.getAttribute("data-confirm-one");
    message = message && message.replace("{count}", String(count));
  }
  if (message && !window.confirm(message)) event.preventDefault();
});
// Progress bars: width from data-percent (no inline styles under the Content Security Policy).
function applyPercents(root) {
  root.querySelectorAll("[data-percent]").forEach(function (bar) {
    bar.style.width = bar.getAttribute("data-percent") + "%";
  });
}
document.addEventListener("DOMContentLoaded", function () { applyPercents(document); });
document.addEventListener("htmx:afterSwap", function (event) { applyPercents(event.target); });
// Progress on slow submits: a form with data-busy="Signing in…" shows that text with a spinner on its submit
// button once it is sent, and refuses a second submit. (The button is not disabled: a disabled submitter's
// name and value would not be sent.) Coming back with the browser's Back button restores the form.
document.addEventListener("submit", function (event) {
  const form = event.target;
  if (event.defaultPrevented || !form.hasAttribute("data-busy")) return;
  if (form.getAttribute("aria-busy") === "true") {
    event.preventDefault();
    return;
  }
  form.setAttribute("aria-busy", "true");
  const button = event.submitter || form.querySelector("[type=submit]");
  if (!button) return;
  button.setAttribute("data-busy-label", button.innerHTML);
  button.classList.add("disabled");
  button.setAttribute("aria-disabled", "true");
  const spinner = document.createElement("span");
  spinner.className = "spinner-border spinner-border-sm me-2";
  spinner.setAttribute("aria-hidden", "true");
  button.replaceChildren(spinner, document.createTextNode(form.getAttribute("data-busy") || button.textContent));
});
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[aria-busy=true]").forEach(function (form) {
    form.removeAttribute("aria-busy");
    form.querySelectorAll("[data-busy-label]").forEach(function (button) {
      button.innerHTML = button.getAttribute("data-busy-label");
      button.removeAttribute("data-busy-label");
      button.classList.remove("disabled");
      button.removeAttribute("aria-disabled");
    });
  });
});

// The API token form: the roles are an application credential's only; they are disabled (not sent) while the kind
// chosen is a personal token, which acts with its user's own roles. The server refuses roles on a personal token too.
function syncAppOnly(form) {
  const kind = form.querySelector("select[name=kind]");
  if (!kind) return;
  form.querySelectorAll("[data-app-only] input, input[data-app-only]").forEach(function (input) {
    input.disabled = kind.value !== "app";
  });
}
document.addEventListener("change", function (event) {
  if (event.target.matches("select[name=kind]") && event.target.form) syncAppOnly(event.target.form);
});
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form").forEach(function (form) {
    if (form.querySelector("[data-app-only]")) syncAppOnly(form);
  });
});
