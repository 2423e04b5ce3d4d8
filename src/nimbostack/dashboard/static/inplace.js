// Forms marked data-in-place (server actions) are posted without leaving the page:
// the answer's message is shown, and the live stream brings the new state.
function show(message, kind) {
  const box = document.getElementById("flashes");
  if (!box || !message) return;
  const p = document.createElement("p");
  p.className = `flash ${kind}`;
  p.setAttribute("role", kind === "error" ? "alert" : "status");
  p.textContent = message;
  box.replaceChildren(p);
}

export function wireInPlace(csrf) {
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.closest("[data-in-place]")) return;
    if (event.defaultPrevented) return;
    event.preventDefault();
    const resp = await fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf(), "X-Nimbo-In-Place": "1" },
      body: new URLSearchParams(new FormData(form)),
    });
    if (resp.redirected) { location.assign(resp.url); return; }
    const type = resp.headers.get("content-type") || "";
    if (!type.includes("json")) { show(`${resp.status} ${resp.statusText}`, "error"); return; }
    const body = await resp.json();
    if (body.location && !body.location.startsWith(location.pathname)) location.assign(body.location);
    else show(body.message, body.kind);
  });
}
