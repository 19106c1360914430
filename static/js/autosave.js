// Saves quiz answers as the learner goes. Without this script the page still
// works: answers are saved with the "Save answers" button.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch || !window.FormData) return;
  var status = document.getElementById("save-status");
  var timer = null;

  function save() {
    var data = new FormData(form);
    data.set("action", "save");
    data.delete("check");
    fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (body) {
        if (response.ok) {
          var time = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
          status.textContent = "Answers saved at " + time + ".";
        } else {
          status.textContent = "Not saved: " + (body.detail || "please try again.");
        }
      });
    }).catch(function () {
      status.textContent = "Not saved: no connection. Your answers will be sent when you press Save answers.";
    });
  }

  form.addEventListener("change", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(save, 400);
  });
})();
