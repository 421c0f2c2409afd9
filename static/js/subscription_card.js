// The buyer's card-update page: Stripe's Payment Element confirms a SetupIntent on the
// seller's connected account (this file never sees card data), then the form posts the
// SetupIntent id so the hub saves the card and retries the overdue payment.
(function () {
  "use strict";
  var form = document.getElementById("card-form");
  if (!form) return;
  var button = document.getElementById("card-button");
  var message = document.getElementById("card-message");
  var loading = document.getElementById("card-loading");
  var label = button.textContent;
  var d = form.dataset;

  // Buyers read sentences written for them (payments/stripe/buyer_messages.py, rendered
  // into the page as JSON), never Stripe's own message, which can be developer text.
  var buyerMessages = (function () {
    var data = document.getElementById("buyer-messages");
    try { return data ? JSON.parse(data.textContent) : null; } catch (e) { return null; }
  })();
  function pick(table, key) {
    return key && Object.prototype.hasOwnProperty.call(table, key) ? table[key] : "";
  }
  function buyerMessage(error, fallback) {
    var t = buyerMessages;
    if (!t) return fallback;
    error = error || {};
    return pick(t.codes, error.decline_code) || pick(t.codes, error.code) ||
      pick(t.types, error.type) || t.generic;
  }

  function showError(text) {
    message.textContent = text || "Your card could not be saved. Please try again.";
    message.hidden = false;
    // Below the fold on a phone: bring it into view and focus it (as on checkout).
    message.setAttribute("tabindex", "-1");
    message.scrollIntoView({ block: "center" });
    message.focus({ preventScroll: true });
  }

  if (typeof window.Stripe !== "function") {
    if (loading) loading.remove();
    showError("The secure card form could not load. Check your connection and reload the page.");
    return;
  }

  var stripe = window.Stripe(d.publishableKey, { stripeAccount: d.account });
  var elements = stripe.elements({
    clientSecret: d.clientSecret,
    appearance: { theme: "stripe", variables: { colorPrimary: d.accent || "#4f46e5", borderRadius: "6px" } },
  });
  var element = elements.create("payment", { layout: "tabs" });
  element.on("ready", function () {
    if (loading) loading.remove();
    button.disabled = false;
  });
  element.mount("#card-element");

  var busy = false;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) return;
    busy = true;
    button.disabled = true;
    button.textContent = d.mode === "payment" ? "Processing…" : "Saving…";
    message.hidden = true;
    // "payment": the bank asked the buyer to authenticate the overdue PaymentIntent, so
    // it is confirmed on-session; otherwise a SetupIntent saves a new card.
    var paying = d.mode === "payment";
    var confirm = paying ? stripe.confirmPayment : stripe.confirmSetup;
    confirm.call(stripe, {
      elements: elements,
      confirmParams: { return_url: d.returnUrl },
      redirect: "if_required",
    }).then(function (result) {
      if (result.error) {
        showError(buyerMessage(result.error, "Your card could not be saved. Please try again."));
        busy = false;
        button.disabled = false;
        button.textContent = label;
        return;
      }
      if (paying) {
        form.querySelector("[name=payment_intent]").value = (result.paymentIntent || {}).id || "";
      } else {
        form.querySelector("[name=setup_intent]").value = (result.setupIntent || {}).id || "";
      }
      form.submit();
    }, function () {
      showError("We could not reach the payment processor. Please try again.");
      busy = false;
      button.disabled = false;
      button.textContent = label;
    });
  });
})();
