// Live progress of the upload page: polls the page's status URL (data-poll-url on <main>), updates the
// progress bar and the page title, has screen readers announce only milestones (a quarter, half, three
// quarters), and when the state changes (preview done, run done) swaps in the new page content without
// a reload and moves focus to the result.
(function () {
  "use strict";
  var main = document.getElementById("main");
  var url = main ? main.getAttribute("data-poll-url") : null;
  if (!url) {
    return;
  }
  var state = main.getAttribute("data-state");
  var baseTitle = document.title;
  var announced = 0;

  function show(run) {
    if (!run) {
      return;
    }
    var total = Math.max(run.payments_total, 1);
    var bar = document.getElementById("progress");
    if (bar) {
      bar.max = total;
      bar.value = run.payments_done;
      bar.textContent = run.payments_done + " av " + run.payments_total;
    }
    var text = document.getElementById("progress-text");
    if (text) {
      text.textContent = run.payments_done + " av " + run.payments_total + " utbetalningar klara";
    }
    var waiting = document.getElementById("progress-waiting");
    if (waiting) {
      waiting.hidden = !run.waiting;
    }
    var decisions = document.getElementById("progress-decisions");
    if (decisions) {
      decisions.textContent = run.decisions_done + " av " + run.decisions_total + " beslut hanterade";
    }
    var percent = Math.floor((100 * run.payments_done) / total);
    document.title = percent + " % klart – " + baseTitle;
    var milestone = percent >= 75 ? 75 : percent >= 50 ? 50 : percent >= 25 ? 25 : 0;
    var live = document.getElementById("progress-announce");
    if (live && milestone > announced) {
      announced = milestone;
      live.textContent = milestone + " procent klart: " + run.payments_done + " av " + run.payments_total + " utbetalningar";
    }
  }

  function replacePage(html) {
    var page = new DOMParser().parseFromString(html, "text/html");
    var fresh = page.getElementById("main");
    if (!fresh) {
      window.location.reload();
      return;
    }
    main.innerHTML = fresh.innerHTML;
    ["data-state", "data-poll-url"].forEach(function (name) {
      if (fresh.hasAttribute(name)) {
        main.setAttribute(name, fresh.getAttribute(name));
      } else {
        main.removeAttribute(name);
      }
    });
    document.title = page.title;
    baseTitle = page.title;
    state = main.getAttribute("data-state");
    url = main.getAttribute("data-poll-url");
    announced = 0;
    var target = main.querySelector("[data-focus-on-update]");
    if (target) {
      target.setAttribute("tabindex", "-1");
      target.focus();
    }
    if (url) {
      window.setTimeout(poll, 1000);
    }
  }

  function refresh() {
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (response.redirected || !response.ok) {
          window.location.reload();
          return null;
        }
        return response.text();
      })
      .then(function (html) {
        if (html) {
          replacePage(html);
        }
      })
      .catch(function () {
        window.location.reload();
      });
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
          refresh();
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
