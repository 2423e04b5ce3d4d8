// Image creation: the record first, then the file streamed in one request whose
// progress the bar shows. The dashboard passes the bytes on to the image service as
// they arrive; nothing holds the whole file.
function post(url, body, csrf) {
  return fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRF-Token": csrf(), "Content-Type": "application/x-www-form-urlencoded" },
    body,
  });
}

function send(url, file, csrf, bar, status) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("X-CSRF-Token", csrf());
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) {
        bar.value = Math.floor((100 * event.loaded) / event.total);
        status.textContent = `${bar.value}%`;
      }
    });
    xhr.addEventListener("load", () => {
      const body = JSON.parse(xhr.responseText || "{}");
      if (xhr.status < 300) resolve(body);
      else reject(new Error(body.error || xhr.statusText));
    });
    xhr.addEventListener("error", () => reject(new Error("network error")));
    xhr.send(file);
  });
}

export function wireUpload(form, csrf) {
  const bar = form.querySelector("progress");
  const status = form.querySelector("#upload-status");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const file = form.querySelector('input[type="file"]').files[0];
    const fromFile = data.get("source") !== "url";
    if (fromFile && !file) { status.textContent = "Choose a file."; return; }
    data.delete("file");
    form.querySelector("button").disabled = true;
    try {
      const created = await post(form.action, new URLSearchParams(data), csrf);
      const record = await created.json();
      if (!created.ok) throw new Error(record.error || created.statusText);
      if (fromFile) {
        bar.hidden = false;
        const done = await send(record.upload, file, csrf, bar, status);
        location.assign(done.location);
      } else {
        location.assign(`/project/images/${record.id}`);
      }
    } catch (error) {
      status.textContent = error.message;
      form.querySelector("button").disabled = false;
    }
  });
}
