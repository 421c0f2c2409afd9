// The hosted checkout: the details form's one-click guard, and the card step.
// Card entry is Stripe's Payment Element in Stripe's iframe, created for the seller's
// connected account (direct charges); this file never sees card data. It works the same
// with the real Stripe.js and fakestripe's stand-in: only the script URL differs.
(function () {
  "use strict";

  // A double-click on "Continue" sends one request; the server also reuses the
  // session's checkout, so a second one would change nothing.
  document.querySelectorAll("form").forEach(function (form) {
    var once = form.querySelector("[data-once]");
    if (!once) return;
    form.addEventListener("submit", function () {
      window.setTimeout(function () { once.disabled = true; }, 0);
    });
  });

  var form = document.getElementById("payment-form");
  if (!form) return;
  var button = document.getElementById("pay-button");
  var message = document.getElementById("payment-message");
  var loading = document.getElementById("payment-loading");
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
    message.textContent = text || "Your payment could not be completed. Please try again.";
    message.hidden = false;
    // On a phone the message can sit below the fold: bring it into view and focus it,
    // so it is seen, and read out by a screen reader.
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
  var paymentElement = elements.create("payment", {
    layout: "tabs",
    defaultValues: { billingDetails: { name: d.name, email: d.email } },
  });
  paymentElement.on("ready", function () {
    if (loading) loading.remove();
    button.disabled = false;
  });
  paymentElement.mount("#payment-element");

  var busy = false;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) return;  // a double-click confirms once
    busy = true;
    button.disabled = true;
    button.textContent = "Processing…";
    message.hidden = true;
    stripe.confirmPayment({
      elements: elements,
      confirmParams: {
        return_url: d.returnUrl,
        payment_method_data: { billing_details: { name: d.name, email: d.email } },
      },
      redirect: "if_required",
    }).then(function (result) {
      if (result.error) {
        showError(buyerMessage(result.error, "Your payment could not be completed. Please try again."));
        busy = false;
        button.disabled = false;
        button.textContent = label;
        return;
      }
      // Paid (or processing): the server re-fetches the PaymentIntent and completes.
      var intent = result.paymentIntent || {};
      var url = new URL(d.returnUrl, window.location.href);
      if (intent.id) url.searchParams.set("payment_intent", intent.id);
      window.location.assign(url.toString());
    }, function () {
      showError("We could not reach the payment processor. Nothing was charged; please try again.");
      busy = false;
      button.disabled = false;
      button.textContent = label;
    });
  });
})();
