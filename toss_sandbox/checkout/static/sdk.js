// Toss Payments' browser SDK, as the sandbox serves it at Toss's script paths (/v2/standard,
// /v1/payment, /v1, /v1/payment-widget): the payment window's part. toss_sandbox/checkout/sdk.py
// serves it with widget.js, the payment widget's part, in one scope with SETTINGS. The same
// global, TossPayments, and the same calls:
//
//   v2: TossPayments(clientKey).payment({ customerKey }).requestPayment({ method,
//         amount: { currency: "KRW", value }, orderId, orderName, successUrl, failUrl, ... })
//   v1: TossPayments(clientKey).requestPayment("카드", { amount, orderId, orderName,
//         successUrl, failUrl, ... })
//
// Arguments are checked as Toss's SDK checks them, with its error codes and messages; a
// valid request opens the sandbox's hosted checkout, which redirects to successUrl or failUrl.
// Only the redirect flow is offered: without successUrl and failUrl the request is refused
// with NOT_SUPPORTED_PROMISE, as Toss refuses it where its window cannot return a Promise.
// docs/sandbox.md ("The browser SDK") lists what is supported, with sources.

  var ANONYMOUS = "@@ANONYMOUS";
  var CUSTOMER_KEY = /^[A-Za-z0-9\-_=.@]{2,50}$/;
  var ORDER_ID = new RegExp("^(?:" + SETTINGS.orderIdPattern + ")$");
  // The methods the sandbox's window can pay with; Toss's SDK knows more.
  var SUPPORTED_METHODS = {
    CARD: true, VIRTUAL_ACCOUNT: true, TRANSFER: true, MOBILE_PHONE: true
  };
  var KNOWN_METHODS = {
    CARD: true, VIRTUAL_ACCOUNT: true, TRANSFER: true, MOBILE_PHONE: true,
    CULTURE_GIFT_CERTIFICATE: true, BOOK_GIFT_CERTIFICATE: true,
    GAME_GIFT_CERTIFICATE: true, FOREIGN_EASY_PAY: true
  };
  // v1 takes the method as Korean or English words.
  var V1_METHODS = {
    "카드": "CARD", "가상계좌": "VIRTUAL_ACCOUNT", "계좌이체": "TRANSFER",
    "휴대폰": "MOBILE_PHONE", "문화상품권": "CULTURE_GIFT_CERTIFICATE",
    "도서문화상품권": "BOOK_GIFT_CERTIFICATE", "게임문화상품권": "GAME_GIFT_CERTIFICATE",
    "해외간편결제": "FOREIGN_EASY_PAY"
  };

  // `variant` picks one of the messages Toss gives a code in several situations.
  function TossPaymentsError(code, variant) {
    var messages = SETTINGS.errors;
    var error = new Error(messages[code + ":" + variant] || messages[code] || code);
    error.name = "TossPaymentsError";
    error.code = code;
    return error;
  }

  function checkClientKey(clientKey) {
    if (typeof clientKey !== "string" || clientKey === "") {
      throw TossPaymentsError("INVALID_CLIENT_KEY");
    }
    if (SETTINGS.clientKey !== null) {
      if (clientKey !== SETTINGS.clientKey) throw TossPaymentsError("INVALID_CLIENT_KEY");
      return;
    }
    var accepted = SETTINGS.clientKeyPrefixes.some(function (prefix) {
      return clientKey.indexOf(prefix) === 0 && clientKey.length > prefix.length;
    });
    if (!accepted) throw TossPaymentsError("INVALID_CLIENT_KEY");
  }

  function checkCustomerKey(customerKey) {
    if (customerKey === ANONYMOUS) return;
    if (typeof customerKey === "string" && /^(test|live)_gsk_/.test(customerKey)) {
      // A widget secret key pasted where the buyer's key belongs: Toss refuses to carry it.
      throw TossPaymentsError("INSECURE_KEY_USAGE");
    }
    if (typeof customerKey !== "string" || !CUSTOMER_KEY.test(customerKey)) {
      throw TossPaymentsError("INVALID_CUSTOMER_KEY");
    }
  }

  function isWebUrl(url) {
    if (typeof url !== "string" || url.length > SETTINGS.maxUrlLength) return false;
    try {
      var parsed = new URL(url);
      return (parsed.protocol === "http:" || parsed.protocol === "https:") && parsed.host !== "";
    } catch (_) {
      return false;
    }
  }

  // The checks the window applies, in its order; returns the first code that fails.
  function refusal(method, amount, request) {
    if (typeof method !== "string" || !KNOWN_METHODS[method]) return "INVALID_PARAMETERS";
    if (!SUPPORTED_METHODS[method]) return "NOT_SUPPORTED_METHOD";
    return requestRefusal(amount, request);
  }

  // The checks of the order and the way back, shared with the widget.
  function requestRefusal(amount, request) {
    if (request.successUrl === undefined && request.failUrl === undefined) {
      return "NOT_SUPPORTED_PROMISE";
    }
    if (typeof request.orderId !== "string" || !ORDER_ID.test(request.orderId)) {
      return "INVALID_ORDER_ID";
    }
    var name = request.orderName;
    if (typeof name !== "string" || name.trim() === "" ||
        name.length > SETTINGS.maxOrderNameLength) {
      return "INVALID_ORDER_NAME";
    }
    if (!isWholeNumber(amount)) return "INVALID_AMOUNT_VALUE";
    if (amount <= 0) return "BELOW_ZERO_AMOUNT";
    if (amount < SETTINGS.minimumAmount) return "BELOW_MINIMUM_AMOUNT";
    if (!isWebUrl(request.successUrl)) return "INCORRECT_SUCCESS_URL_FORMAT";
    if (!isWebUrl(request.failUrl)) return "INCORRECT_FAIL_URL_FORMAT";
    return null;
  }

  function isWholeNumber(value) {
    return typeof value === "number" && isFinite(value) && Math.floor(value) === value;
  }

  function openWindow(clientKey, method, amount, request) {
    var code = refusal(method, amount, request);
    if (code !== null) return Promise.reject(TossPaymentsError(code));
    return goToWindow(clientKey, method, amount, request);
  }

  // The page leaves for the window, as with Toss; the Promise never settles here.
  function goToWindow(clientKey, method, amount, request) {
    var query = new URLSearchParams({
      clientKey: clientKey,
      orderId: request.orderId,
      orderName: request.orderName,
      amount: String(amount),
      successUrl: request.successUrl,
      failUrl: request.failUrl,
      method: method
    });
    if (typeof request.customerName === "string") query.set("customerName", request.customerName);
    if (typeof request.customerMobilePhone === "string") {
      query.set("customerMobilePhone", request.customerMobilePhone);
    }
    window.location.assign(SETTINGS.checkoutUrl + "?" + query.toString());
    return new Promise(function () {});
  }

  function paymentV2(clientKey, options) {
    // v2 throws a bad key at payment(), before any window (Toss's PaymentInitParams).
    if (typeof clientKey === "string" && clientKey.indexOf("_gck_") !== -1) {
      throw TossPaymentsError("NOT_SUPPORTED_WIDGET_KEY");
    }
    checkClientKey(clientKey);
    checkCustomerKey(options && options.customerKey);
    var pending = false;
    return {
      requestPayment: function (request) {
        if (pending) return Promise.reject(TossPaymentsError("INVALID_METHOD_TRANSACTION"));
        if (!request || typeof request !== "object") {
          return Promise.reject(TossPaymentsError("INVALID_PARAMETERS"));
        }
        var amount = request.amount;
        if (!amount || typeof amount !== "object") {
          return Promise.reject(TossPaymentsError("INVALID_PARAMETERS"));
        }
        if (amount.currency !== "KRW") {
          return Promise.reject(TossPaymentsError("INVALID_AMOUNT_CURRENCY"));
        }
        var opened = openWindow(clientKey, request.method, amount.value, request);
        pending = true;
        opened.catch(function () { pending = false; });
        return opened;
      },
      destroy: function () { pending = false; }
    };
  }

  function requestPaymentV1(clientKey, method, request) {
    try {
      checkClientKey(clientKey);
    } catch (error) {
      return Promise.reject(error);
    }
    if (request === undefined && typeof method === "object") {
      return Promise.reject(TossPaymentsError("NOT_SUPPORTED_METHOD"));
    }
    if (!request || typeof request !== "object") {
      return Promise.reject(TossPaymentsError("INVALID_PARAMETERS"));
    }
    var code = V1_METHODS[method] || method;
    return openWindow(clientKey, code, request.amount, request);
  }

  function TossPayments(clientKey) {
    if (SETTINGS.version === 1) {
      return {
        requestPayment: function (method, request) {
          return requestPaymentV1(clientKey, method, request);
        }
      };
    }
    return {
      payment: function (options) { return paymentV2(clientKey, options); },
      widgets: function (options) { return widgetsV2(clientKey, options); }
    };
  }

  TossPayments.ANONYMOUS = ANONYMOUS;
  TossPayments.sandbox = true;
