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

  // The language switcher is sent only by its "Change" button: submitting on "change" would
  // reload the page in another language at the first arrow key, before a keyboard user has
  // reached the language they want.
  document.addEventListener("DOMContentLoaded", function () {
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
    // A long list of checkboxes (languages, subject areas) gets a box that narrows it to the
    // entries containing what is typed, whatever the case and accents; ticked entries stay.
    document.querySelectorAll(".choice-list[data-filter-label]").forEach(enhanceChoiceList);
    // Ask before a form marked data-confirm is sent.
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  });

  function fold(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function enhanceChoiceList(list) {
    var items = Array.prototype.slice.call(list.querySelectorAll("li"));
    var id = list.id + "-filter";
    var box = document.createElement("div");
    box.className = "choice-filter";
    var label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = list.getAttribute("data-filter-label");
    var input = document.createElement("input");
    input.type = "search";
    input.id = id;
    input.autocomplete = "off";
    input.setAttribute("aria-controls", list.id);
    var status = document.createElement("p");
    status.className = "choice-filter-status meta";
    status.id = id + "-status";
    status.setAttribute("aria-live", "polite");
    input.setAttribute("aria-describedby", status.id);
    box.appendChild(label);
    box.appendChild(input);
    box.appendChild(status);
    list.parentNode.insertBefore(box, list);
    var template = list.getAttribute("data-filter-status") || "{shown} / {total}";
    var texts = items.map(function (item) { return fold(item.textContent); });
    function apply() {
      var wanted = fold(input.value.trim());
      var shown = 0;
      items.forEach(function (item, i) {
        var ticked = item.querySelector("input:checked") !== null;
        var visible = !wanted || ticked || texts[i].indexOf(wanted) !== -1;
        item.hidden = !visible;
        if (visible) { shown += 1; }
      });
      status.textContent = wanted ? template.replace("{shown}", shown).replace("{total}", items.length) : "";
    }
    input.addEventListener("input", apply);
    // Enter in the box must not send the form: it only narrows the list.
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }
    });
  }
})();
