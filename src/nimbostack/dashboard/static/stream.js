// The tab's one event stream: each "patch" replaces an element by its new HTML
// (rendered and escaped by the server), "remove" drops one, "expired" goes to login.
export function openStream(url) {
  const source = new EventSource(url);
  source.addEventListener("patch", (event) => {
    const { id, html } = JSON.parse(event.data);
    const el = document.getElementById(id);
    if (el) el.outerHTML = html;
  });
  source.addEventListener("remove", (event) => {
    document.getElementById(JSON.parse(event.data).id)?.remove();
  });
  source.addEventListener("gone", () => source.close());
  source.addEventListener("expired", () => {
    source.close();
    const next = encodeURIComponent(location.pathname + location.search);
    location.assign(`/auth/login?why=expired&next=${next}`);
  });
  window.addEventListener("pagehide", () => source.close());
  return source;
}
