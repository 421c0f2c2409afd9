/* The Payment Element's iframe: holds the card fields, creates the PaymentMethod and
 * confirms the intent with the publishable key, so the merchant page never sees card data. */
(function () {
  "use strict";
  var query = new URLSearchParams(window.location.search);
  var FRAME = query.get("frame");
  var PARENT = query.get("origin");
  var fields = {
    number: document.getElementById("cardnumber"),
    exp: document.getElementById("exp-date"),
    cvc: document.getElementById("cvc"),
    postal: document.getElementById("postal"),
  };
  var errorBox = document.getElementById("error");
  var touched = {};

  try {
    var appearance = JSON.parse(query.get("appearance") || "{}");
    var vars = appearance.variables || {};
    var map = { colorPrimary: "--primary", colorText: "--text", colorDanger: "--danger",
      colorBackground: "--bg", borderRadius: "--radius", fontFamily: "--font" };
    Object.keys(map).forEach(function (k) {
      if (vars[k]) document.documentElement.style.setProperty(map[k], vars[k]);
    });
    if (appearance.theme === "night") {
      document.documentElement.style.setProperty("--bg", vars.colorBackground || "#30313d");
      document.documentElement.style.setProperty("--text", vars.colorText || "#ffffff");
    }
  } catch (e) { /* ignore a malformed appearance, as Stripe.js falls back to defaults */ }

  function post(message) {
    message.frame = FRAME;
    window.parent.postMessage(message, PARENT || "*");
  }

  function digits(s) { return String(s || "").replace(/\D/g, ""); }

  function luhn(number) {
    var sum = 0;
    for (var i = 0; i < number.length; i++) {
      var d = +number[number.length - 1 - i];
      if (i % 2) { d *= 2; if (d > 9) d -= 9; }
      sum += d;
    }
    return sum % 10 === 0;
  }

  function parseExp() {
    var d = digits(fields.exp.value);
    return { month: +d.slice(0, 2), year: d.length >= 4 ? 2000 + +d.slice(2, 4) : 0, len: d.length };
  }

  // Stripe.js wording of client-side validation errors (docs.stripe.com/js/element/events)
  function validate() {
    var number = digits(fields.number.value);
    var exp = parseExp();
    var cvc = digits(fields.cvc.value);
    var now = new Date();
    if (!number) return { code: "incomplete_number", message: "Your card number is incomplete.", field: "number" };
    if (number.length < 13) return { code: "incomplete_number", message: "Your card number is incomplete.", field: "number" };
    if (!luhn(number)) return { code: "invalid_number", message: "Your card number is invalid.", field: "number" };
    if (exp.len < 4) return { code: "incomplete_expiry", message: "Your card's expiration date is incomplete.", field: "exp" };
    if (exp.month < 1 || exp.month > 12) return { code: "invalid_expiry_month", message: "Your card's expiration date is invalid.", field: "exp" };
    if (exp.year < now.getFullYear() || (exp.year === now.getFullYear() && exp.month < now.getMonth() + 1)) {
      return { code: "invalid_expiry_year_past", message: "Your card's expiration year is in the past.", field: "exp" };
    }
    if (cvc.length < 3) return { code: "incomplete_cvc", message: "Your card's security code is incomplete.", field: "cvc" };
    if (!fields.postal.value.trim()) return { code: "incomplete_zip", message: "Your postal code is incomplete.", field: "postal" };
    return null;
  }

  function show(error, all) {
    Object.keys(fields).forEach(function (k) { fields[k].classList.remove("invalid"); });
    if (error && (all || touched[error.field])) {
      fields[error.field].classList.add("invalid");
      errorBox.textContent = error.message;
    } else {
      errorBox.textContent = "";
    }
  }

  function state() {
    var error = validate();
    var empty = !Object.keys(fields).some(function (k) { return fields[k].value; });
    var out = { complete: !error, empty: empty };
    if (error && touched[error.field] && error.code.indexOf("incomplete") !== 0) {
      out.error = { type: "validation_error", code: error.code, message: error.message };
    }
    return out;
  }

  fields.number.addEventListener("input", function () {
    var d = digits(fields.number.value).slice(0, 19);
    fields.number.value = d.replace(/(\d{4})(?=\d)/g, "$1 ");
  });
  fields.exp.addEventListener("input", function () {
    var d = digits(fields.exp.value).slice(0, 4);
    fields.exp.value = d.length > 2 ? d.slice(0, 2) + " / " + d.slice(2) : d;
  });
  fields.cvc.addEventListener("input", function () { fields.cvc.value = digits(fields.cvc.value).slice(0, 4); });
  Object.keys(fields).forEach(function (k) {
    fields[k].addEventListener("input", function () { show(validate(), false); post({ type: "change", state: state() }); });
    fields[k].addEventListener("blur", function () { touched[k] = true; show(validate(), false); post({ type: "blur" }); });
    fields[k].addEventListener("focus", function () { post({ type: "focus" }); });
  });

  function api(key, account, method, path, params) {
    var headers = { Authorization: "Bearer " + key, "Content-Type": "application/x-www-form-urlencoded" };
    if (account) headers["Stripe-Account"] = account;
    var body = Object.keys(params).filter(function (k) { return params[k] !== null && params[k] !== undefined; })
      .map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]); }).join("&");
    return fetch(path, { method: method, headers: headers, body: body }).then(function (r) {
      return r.json().then(function (data) { return r.ok ? { data: data } : { error: data.error }; });
    }, function () {
      return { error: { type: "api_connection_error", message: "Could not reach the payment server." } };
    });
  }

  function confirm(msg) {
    var error = validate();
    if (error) {
      show(error, true);
      return Promise.resolve({ error: { type: "validation_error", code: error.code, message: error.message } });
    }
    var exp = parseExp();
    var billing = msg.billingDetails || {};
    var pm = {
      type: "card",
      "card[number]": digits(fields.number.value),
      "card[exp_month]": exp.month,
      "card[exp_year]": exp.year,
      "card[cvc]": digits(fields.cvc.value),
      "billing_details[address][postal_code]": fields.postal.value.trim(),
      "billing_details[name]": billing.name || null,
      "billing_details[email]": billing.email || null,
    };
    var intentId = msg.clientSecret.split("_secret_")[0];
    var path = (msg.kind === "payment" ? "/v1/payment_intents/" : "/v1/setup_intents/") + intentId + "/confirm";
    return api(msg.key, msg.account, "POST", "/v1/payment_methods", pm).then(function (r) {
      if (r.error) return { error: r.error };
      return api(msg.key, msg.account, "POST", path, {
        client_secret: msg.clientSecret,
        payment_method: r.data.id,
        return_url: msg.returnUrl,
        receipt_email: msg.kind === "payment" ? msg.receiptEmail : null,
        use_stripe_sdk: "true",
      }).then(function (c) {
        if (c.error) return { error: c.error };
        return { intent: c.data };
      });
    });
  }

  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || (PARENT && event.origin !== PARENT)) return;
    var msg = event.data || {};
    if (msg.frame !== FRAME) return;
    var reply = function (result) { post({ type: "result", seq: msg.seq, result: result }); };
    if (msg.type === "validate") {
      var error = validate();
      show(error, true);
      reply(error ? { error: { type: "validation_error", code: error.code, message: error.message } } : {});
    } else if (msg.type === "confirm") {
      confirm(msg).then(reply);
    } else if (msg.type === "focus") {
      fields.number.focus();
    } else if (msg.type === "blur") {
      document.activeElement && document.activeElement.blur();
    } else if (msg.type === "clear") {
      Object.keys(fields).forEach(function (k) { fields[k].value = ""; });
      post({ type: "change", state: state() });
    }
  });

  document.getElementById("form").addEventListener("submit", function (e) { e.preventDefault(); });
  post({ type: "resize", height: document.documentElement.scrollHeight + 4 });
  post({ type: "ready" });
})();
