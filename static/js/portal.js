// Progressive enhancements only: every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // Tell the server the visitor's time zone so dates are shown in it.
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var cookie = "mooc_tz=" + encodeURIComponent(zone);
    if (zone && ("; " + document.cookie + ";").indexOf("; " + cookie + ";") === -1) {
      document.cookie = cookie + ";path=/;max-age=31536000;samesite=lax";
    }
  } catch (e) { /* older browsers: dates stay in UTC */ }

  // Submit the language switcher as soon as a language is chosen.
  document.addEventListener("DOMContentLoaded", function () {
    var select = document.getElementById("language-select");
    if (select && select.form) {
      select.addEventListener("change", function () { select.form.submit(); });
    }
    // On a narrow screen the catalog's filter panel starts folded, so the results come first;
    // it unfolds again when the window becomes wide (where its summary is hidden).
    var panel = document.querySelector("details.filter-panel");
    if (panel && window.matchMedia) {
      var narrow = window.matchMedia("(max-width: 48rem)");
      if (narrow.matches) { panel.open = false; }
      if (narrow.addEventListener) {
        narrow.addEventListener("change", function (event) { if (!event.matches) { panel.open = true; } });
      }
    }
    // Ask before a form marked data-confirm is sent.
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  });
})();
