// Live progress of the upload page: polls the page's status URL (data-poll-url on <main>) and
// updates the progress bar; reloads the page when the state changes (preview done, run done).
(function () {
  "use strict";
  var main = document.getElementById("main");
  var url = main ? main.getAttribute("data-poll-url") : null;
  if (!url) {
    return;
  }
  var state = main.getAttribute("data-state");

  function show(run) {
    if (!run) {
      return;
    }
    var bar = document.getElementById("progress");
    if (bar) {
      bar.max = Math.max(run.payments_total, 1);
      bar.value = run.payments_done;
      bar.textContent = run.payments_done + " av " + run.payments_total;
    }
    var text = document.getElementById("progress-text");
    if (text) {
      text.textContent = run.payments_done + " av " + run.payments_total + " utbetalningar klara";
    }
    var decisions = document.getElementById("progress-decisions");
    if (decisions) {
      decisions.textContent = run.decisions_done + " av " + run.decisions_total + " beslut hanterade";
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.redirected || !response.ok) {
          window.location.reload();  // e.g. the session expired: the page shows the login
          return null;
        }
        return response.json();
      })
      .then(function (data) {
        if (!data) {
          return;
        }
        if (data.state !== state) {
          window.location.reload();
          return;
        }
        show(data.real);
        window.setTimeout(poll, 1000);
      })
      .catch(function () {
        window.setTimeout(poll, 3000);
      });
  }

  window.setTimeout(poll, 1000);
})();
