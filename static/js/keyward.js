// Progressive enhancement only: every page works without this file.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  const text = source.value !== undefined ? source.value : source.textContent;
  navigator.clipboard?.writeText(text.trim()).then(() => {
    const label = button.textContent;
    button.textContent = "Copied";
    setTimeout(() => (button.textContent = label), 1500);
  });
});

// <form data-confirm="..."> asks in a dialog before destroying things. Without JavaScript the
// server shows a confirmation page instead; answering the dialog marks the form confirmed=yes.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const message = form.dataset?.confirm;
  if (!message) return;
  if (!window.confirm(message)) {
    event.preventDefault();
    return;
  }
  if (!form.querySelector("input[name=confirmed]")) {
    const confirmed = document.createElement("input");
    Object.assign(confirmed, { type: "hidden", name: "confirmed", value: "yes" });
    form.append(confirmed);
  }
});
