// Every console page: move focus to the element a page marks with data-autofocus (an error summary,
// a result), so that keyboard and screen-reader users start where the news is.
(function () {
  "use strict";
  function focusMarked() {
    var target = document.querySelector("[data-autofocus]");
    if (target) {
      if (!target.hasAttribute("tabindex")) {
        target.setAttribute("tabindex", "-1");
      }
      target.focus();
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusMarked);
  } else {
    focusMarked();
  }
})();
