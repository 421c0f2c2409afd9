/*
 * fakestripe's stand-in for the part of Stripe.js v3 a checkout page uses
 * (docs.stripe.com/js): Stripe(pk, {stripeAccount}), elements({clientSecret, appearance}),
 * the Payment Element, confirmPayment / confirmSetup, retrievePaymentIntent /
 * retrieveSetupIntent, elements.submit(), element.on('ready' | 'change' | 'focus' | 'blur').
 *
 * As with the real one, card fields live in an iframe served by fakestripe: the page
 * never sees card data. The API base is the origin this script was loaded from.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var BASE = new URL(script ? script.src : "/", window.location.href).origin;
  var frameSeq = 0;

  function apiError(message, extra) {
    var error = { type: "invalid_request_error", message: message };
    for (var k in extra || {}) error[k] = extra[k];
    return { error: error };
  }

  function api(instance, method, path, params) {
    var headers = { Authorization: "Bearer " + instance._key };
    if (instance._account) headers["Stripe-Account"] = instance._account;
    var url = BASE + path;
    var body = null;
    if (method === "GET") {
      url += "?" + encode(params || {});
    } else {
      headers["Content-Type"] = "application/x-www-form-urlencoded";
      body = encode(params || {});
    }
    return fetch(url, { method: method, headers: headers, body: body }).then(function (r) {
      return r.json().then(function (data) {
        return r.ok ? { data: data } : { error: data.error || { type: "api_error", message: "Request failed" } };
      });
    }, function () {
      return { error: { type: "api_connection_error", message: "Could not reach the payment server." } };
    });
  }

  function encode(params, prefix) {
    var parts = [];
    Object.keys(params).forEach(function (key) {
      var value = params[key];
      var name = prefix ? prefix + "[" + key + "]" : key;
      if (value === undefined || value === null) return;
      if (typeof value === "object") {
        parts.push(encode(value, name));
      } else {
        parts.push(encodeURIComponent(name) + "=" + encodeURIComponent(value));
      }
    });
    return parts.filter(Boolean).join("&");
  }

  function intentId(clientSecret) {
    return String(clientSecret || "").split("_secret_")[0];
  }

  function withQuery(url, params) {
    var u = new URL(url, window.location.href);
    Object.keys(params).forEach(function (k) { u.searchParams.set(k, params[k]); });
    return u.toString();
  }

  // --- Elements --------------------------------------------------------------------

  function Element(elements, type, options) {
    this._elements = elements;
    this._type = type;
    this._options = options || {};
    this._handlers = {};
    this._frame = null;
    this._id = "fs-element-" + (++frameSeq);
    this._pending = {};
    this._seq = 0;
    this._state = { complete: false, empty: true };
    var self = this;
    this._listener = function (event) {
      if (event.origin !== BASE || !self._frame || event.source !== self._frame.contentWindow) return;
      var msg = event.data || {};
      if (msg.frame !== self._id) return;
      if (msg.type === "ready") self._emit("ready", { elementType: self._type });
      else if (msg.type === "change") {
        self._state = msg.state;
        self._emit("change", Object.assign({ elementType: self._type, value: { type: "card" } }, msg.state));
      } else if (msg.type === "focus" || msg.type === "blur") self._emit(msg.type, { elementType: self._type });
      else if (msg.type === "resize") self._frame.style.height = msg.height + "px";
      else if (msg.type === "result" && self._pending[msg.seq]) {
        self._pending[msg.seq](msg.result);
        delete self._pending[msg.seq];
      }
    };
    window.addEventListener("message", this._listener);
  }

  Element.prototype.mount = function (target) {
    var node = typeof target === "string" ? document.querySelector(target) : target;
    if (!node) throw new Error("fakestripe: mount target " + target + " not found");
    var frame = document.createElement("iframe");
    var query = new URLSearchParams({
      frame: this._id,
      origin: window.location.origin,
      appearance: JSON.stringify(this._elements._options.appearance || {}),
      layout: JSON.stringify(this._options.layout || "tabs"),
    });
    frame.src = BASE + "/elements/payment?" + query.toString();
    frame.title = "Secure payment input frame";
    frame.name = this._id;
    frame.setAttribute("allow", "payment");
    frame.style.cssText = "border:0;width:100%;height:190px;display:block;overflow:hidden;color-scheme:normal";
    node.innerHTML = "";
    node.appendChild(frame);
    this._frame = frame;
    return this;
  };

  Element.prototype._call = function (message) {
    var self = this;
    if (!this._frame) return Promise.resolve(apiError("The Payment Element is not mounted."));
    var seq = ++this._seq;
    message.frame = this._id;
    message.seq = seq;
    return new Promise(function (resolve) {
      self._pending[seq] = resolve;
      self._frame.contentWindow.postMessage(message, BASE);
    });
  };

  Element.prototype.on = function (event, handler) {
    (this._handlers[event] = this._handlers[event] || []).push(handler);
    return this;
  };
  Element.prototype.off = function (event, handler) {
    this._handlers[event] = (this._handlers[event] || []).filter(function (h) { return h !== handler; });
    return this;
  };
  Element.prototype._emit = function (event, payload) {
    (this._handlers[event] || []).forEach(function (h) { h(payload); });
  };
  Element.prototype.update = function (options) { Object.assign(this._options, options || {}); };
  Element.prototype.focus = function () { this._call({ type: "focus" }); };
  Element.prototype.blur = function () { this._call({ type: "blur" }); };
  Element.prototype.clear = function () { this._call({ type: "clear" }); };
  Element.prototype.unmount = function () {
    if (this._frame) this._frame.remove();
    this._frame = null;
  };
  Element.prototype.destroy = function () {
    this.unmount();
    window.removeEventListener("message", this._listener);
    this._elements._element = null;
  };

  function Elements(stripe, options) {
    this._stripe = stripe;
    this._options = options || {};
    this._element = null;
  }
  Elements.prototype.create = function (type, options) {
    if (type !== "payment" && type !== "card") throw new Error("fakestripe supports the payment element only, not " + type);
    if (this._element) throw new Error("Can only create one Element of type " + type + ".");
    this._element = new Element(this, type, options);
    return this._element;
  };
  Elements.prototype.getElement = function () { return this._element; };
  Elements.prototype.update = function (options) { Object.assign(this._options, options || {}); };
  Elements.prototype.fetchUpdates = function () { return Promise.resolve({}); };
  // docs.stripe.com/js/elements/submit: validate the fields before confirming
  Elements.prototype.submit = function () {
    if (!this._element) return Promise.resolve(apiError("No Payment Element is mounted."));
    return this._element._call({ type: "validate" });
  };

  // --- Stripe --------------------------------------------------------------------

  function StripeInstance(key, options) {
    if (!/^pk_test_/.test(key || "")) throw new Error("fakestripe: Stripe() needs a pk_test_ publishable key");
    this._key = key;
    this._account = (options || {}).stripeAccount || null;
  }

  StripeInstance.prototype.elements = function (options) { return new Elements(this, options); };

  StripeInstance.prototype.retrievePaymentIntent = function (clientSecret) {
    return api(this, "GET", "/v1/payment_intents/" + intentId(clientSecret), { client_secret: clientSecret })
      .then(function (r) { return r.error ? { error: r.error } : { paymentIntent: r.data }; });
  };
  StripeInstance.prototype.retrieveSetupIntent = function (clientSecret) {
    return api(this, "GET", "/v1/setup_intents/" + intentId(clientSecret), { client_secret: clientSecret })
      .then(function (r) { return r.error ? { error: r.error } : { setupIntent: r.data }; });
  };

  StripeInstance.prototype.confirmPayment = function (options) {
    return this._confirm("payment", options || {});
  };
  StripeInstance.prototype.confirmSetup = function (options) {
    return this._confirm("setup", options || {});
  };

  StripeInstance.prototype._confirm = function (kind, options) {
    var self = this;
    var elements = options.elements;
    var params = options.confirmParams || {};
    var clientSecret = options.clientSecret || (elements && elements._options.clientSecret);
    var redirect = options.redirect || "always";
    var noun = kind === "payment" ? "paymentIntent" : "setupIntent";
    var path = kind === "payment" ? "/v1/payment_intents/" : "/v1/setup_intents/";
    if (!elements || !elements._element) return Promise.resolve(apiError("Missing elements: pass the Elements instance that created the Payment Element."));
    if (!clientSecret) return Promise.resolve(apiError("Missing clientSecret."));
    if (!params.return_url && redirect !== "if_required") {
      return Promise.resolve(apiError("stripe.confirm" + (kind === "payment" ? "Payment" : "Setup") + "(): the `confirmParams.return_url` argument is required unless passing `redirect: 'if_required'`"));
    }
    return elements._element._call({
      type: "confirm", kind: kind, key: self._key, account: self._account,
      clientSecret: clientSecret, returnUrl: params.return_url || null,
      billingDetails: (params.payment_method_data || {}).billing_details || null,
      receiptEmail: params.receipt_email || null,
    }).then(function (result) {
      if (result.error) return { error: result.error };
      var intent = result.intent;
      if (intent.status === "requires_action") {
        return challenge(intent).then(function () {
          return api(self, "GET", path + intent.id, { client_secret: clientSecret });
        }).then(function (r) { return r.error ? { error: r.error } : finish(r.data); });
      }
      return finish(intent);
    });

    function finish(intent) {
      var failure = intent.last_payment_error || intent.last_setup_error;
      if (intent.status === "requires_payment_method" && failure) {
        var error = Object.assign({}, failure);
        error[kind === "payment" ? "payment_intent" : "setup_intent"] = intent;
        return { error: error };
      }
      var ok = ["succeeded", "processing", "requires_capture"].indexOf(intent.status) >= 0;
      if (redirect === "always" && params.return_url) {
        var q = {};
        q[kind === "payment" ? "payment_intent" : "setup_intent"] = intent.id;
        q[kind === "payment" ? "payment_intent_client_secret" : "setup_intent_client_secret"] = clientSecret;
        q.redirect_status = ok ? "succeeded" : "failed";
        window.location.assign(withQuery(params.return_url, q));
        return new Promise(function () {});  // the page navigates away
      }
      var out = {};
      out[noun] = intent;
      return out;
    }
  };

  // 3D Secure: an overlay with fakestripe's challenge page (docs.stripe.com/testing#regulatory-cards)
  function challenge(intent) {
    var action = intent.next_action || {};
    var url = (action.use_stripe_sdk && action.use_stripe_sdk.stripe_js) ||
      (action.redirect_to_url && action.redirect_to_url.url);
    return new Promise(function (resolve) {
      var overlay = document.createElement("div");
      overlay.setAttribute("data-fakestripe", "3ds-overlay");
      overlay.style.cssText = "position:fixed;inset:0;z-index:2147483647;background:rgba(15,23,42,.55);" +
        "display:flex;align-items:center;justify-content:center";
      var frame = document.createElement("iframe");
      frame.src = url;
      frame.title = "3D Secure authentication";
      frame.style.cssText = "border:0;border-radius:12px;width:420px;max-width:94vw;height:480px;background:#fff;" +
        "box-shadow:0 20px 60px rgba(0,0,0,.35)";
      overlay.appendChild(frame);
      document.body.appendChild(overlay);
      function done(event) {
        if (event.origin !== BASE || event.source !== frame.contentWindow) return;
        if (!event.data || event.data.type !== "fakestripe-3ds-done") return;
        window.removeEventListener("message", done);
        overlay.remove();
        resolve(event.data.outcome);
      }
      window.addEventListener("message", done);
    });
  }

  function Stripe(key, options) { return new StripeInstance(key, options); }
  Stripe.version = 3;
  Stripe.fakestripe = true;
  window.Stripe = Stripe;
})();
