// Sends a reply without reloading the page; without JavaScript the form posts as usual.
(function () {
  "use strict";
  const form = document.getElementById("reply-form");
  if (!form || !window.fetch) return;
  const textarea = form.querySelector("textarea");
  const send = document.getElementById("send");
  const sending = document.getElementById("sending");
  const error = document.getElementById("reply-error");
  const conversation = document.getElementById("conversation");

  function busy(on) {
    send.disabled = on;
    textarea.readOnly = on;
    sending.hidden = !on;
  }

  function setMood(mood, word) {
    document.getElementById("mood-meter").value = mood;
    document.getElementById("mood-value").textContent = mood + "/10";
    document.getElementById("mood-word").textContent = word;
    document.getElementById("mood").dataset.mood = mood;
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    if (send.disabled) return; // a second click while the first is in flight
    error.textContent = "";
    busy(true);
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
    } catch (e) {
      // The reply stays in the box; the same key is sent again, so a retry cannot double it.
      error.textContent = form.dataset.offline;
      busy(false);
      return;
    }
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (!response.ok || !body || body.error) {
      const message = body && body.error ? body.error.message : form.dataset.failed;
      if (response.status === 503) { window.location.reload(); return; }
      error.textContent = message;
      form.querySelector("input[name=key]").value = crypto.randomUUID ? crypto.randomUUID().replace(/-/g, "") : String(Date.now());
      busy(false);
      return;
    }
    const anchor = document.getElementById("latest");
    if (anchor) anchor.remove();
    conversation.insertAdjacentHTML("beforeend", body.html);
    conversation.querySelectorAll("details.feedback[open]").forEach(function (d, i, all) {
      if (i < all.length - 1) d.open = false;
    });
    setMood(body.mood, body.mood_word);
    textarea.value = "";
    form.querySelector("input[name=key]").value = body.key;
    if (body.done) {
      document.getElementById("summary").innerHTML = body.summary;
      form.remove();
      const abandon = document.querySelector("form.abandon");
      if (abandon) abandon.remove();
      document.getElementById("summary").scrollIntoView({ behavior: "smooth" });
    } else {
      busy(false);
      textarea.focus();
      const last = conversation.querySelector("li.turn:last-of-type");
      if (last) last.scrollIntoView({ behavior: "smooth", block: "end" });
    }
  });

  textarea.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });
})();
