// Saves quiz answers as the learner goes. Without this script the page still
// works: answers are saved with the "Save answers" button.
//
// The form has buttons named "action", which shadow the form's own `action`
// property, so the URL is read with getAttribute, never `form.action`.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch || !window.FormData) return;
  var url = form.getAttribute("action");
  var status = document.getElementById("save-status");
  var counter = document.getElementById("answered-count");
  var dirty = false;      // changes not yet stored on the server
  var sending = false;    // a save is on its way
  var leaving = false;    // the learner's own button posts the whole form
  var timer = null;
  var retry = null;

  function say(text) {
    status.textContent = text;
  }

  function countAnswered() {
    if (!counter) return;
    var total = Number(counter.getAttribute("data-total"));
    var answered = form.querySelectorAll("fieldset.question.is-checked").length;
    form.querySelectorAll("fieldset.question").forEach(function (fieldset) {
      if (fieldset.querySelector("input[name^='r']:checked")) answered += 1;
    });
    counter.textContent = answered + " of " + total + " answered.";
  }

  function scheduleRetry() {
    window.clearTimeout(retry);
    retry = window.setTimeout(save, 5000);
  }

  function save() {
    window.clearTimeout(timer);
    if (sending || !dirty) return;
    sending = true;
    dirty = false;
    var data = new FormData(form);
    data.set("action", "save");
    data.delete("check");
    fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        sending = false;
        var saved = response.ok && body.saved === true;
        if (saved && dirty) {
          save();  // changed while this save was on its way: not all saved yet
        } else if (saved) {
          var time = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
          say("Saved at " + time + ".");
        } else if (response.ok || response.redirected) {
          // A page instead of the answer: the login page, the session has
          // ended. (This page's form is for that session: after a new login
          // its posts are refused, so the learner reopens the attempt.)
          dirty = true;
          say("Not saved: you are logged out. Log in again and reopen this attempt; " +
              "the answers saved before are kept.");
        } else if (response.status === 409) {
          say("Not saved: " + (body.detail || "this attempt is closed.") + " Reload the page.");
        } else {
          dirty = true;
          say("Not saved: " + (body.detail || "please try again or press Save answers."));
        }
      });
    }).catch(function () {
      sending = false;
      dirty = true;
      say("Not saved: no connection. Your answers will be sent when the connection is back.");
      scheduleRetry();
    });
  }

  form.addEventListener("change", function (event) {
    if (!event.target.name || event.target.name.charAt(0) !== "r") return;
    dirty = true;
    countAnswered();
    say("Saving…");
    window.clearTimeout(timer);
    timer = window.setTimeout(save, 300);
  });

  // The learner's own buttons post the form as usual: nothing is pending then.
  form.addEventListener("submit", function () {
    leaving = true;
  });

  window.addEventListener("online", function () {
    if (dirty) save();
  });

  window.addEventListener("beforeunload", function (event) {
    if (!leaving && (dirty || sending)) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
