// The payment widget (결제위젯) of Toss Payments' browser SDK, as the sandbox serves it with
// sdk.js (toss_sandbox/checkout/sdk.py puts both in one scope):
//
//   v2 (/v2/standard):
//     const widgets = TossPayments(clientKey).widgets({ customerKey });
//     await widgets.setAmount({ currency: "KRW", value });
//     await widgets.renderPaymentMethods({ selector, variantKey });
//     await widgets.renderAgreement({ selector, variantKey });
//     await widgets.requestPayment({ orderId, orderName, successUrl, failUrl, ... });
//   v1 (/v1/payment-widget):
//     const paymentWidget = PaymentWidget(clientKey, customerKey);
//     const methods = paymentWidget.renderPaymentMethods(selector, { value }, { variantKey });
//     paymentWidget.renderAgreement(selector);
//     await paymentWidget.requestPayment({ orderId, orderName, successUrl, failUrl, ... });
//
// The widget draws what the buyer must choose into the merchant's element: the methods as a
// labelled radio group with Toss's Korean names (the first, 카드, chosen), and the required
// terms as a checkbox (agreed). requestPayment opens the sandbox's window for the chosen
// method, which redirects to successUrl or failUrl as Toss does. Only widget client keys
// (test_gck_) are taken, and a widget's payment is confirmed with the widget secret key.

  var WIDGET_METHODS = SETTINGS.widgetMethods;
  var REQUIRED_TERM = {
    id: "sandbox-payment-terms",
    title: "[필수] 결제 서비스 이용 약관, 개인정보 처리 동의"
  };
  var MOBILE_PHONE = /^[0-9]{8,15}$/;
  var widgetsDrawn = 0;

  function checkWidgetClientKey(clientKey) {
    if (typeof clientKey === "string" && clientKey.indexOf("_ck_") !== -1) {
      throw TossPaymentsError("NOT_SUPPORTED_API_INDIVIDUAL_KEY");
    }
    checkClientKey(clientKey);
  }

  function elementOf(selector) {
    if (typeof selector !== "string") throw TossPaymentsError("INVALID_PARAMETERS");
    var element = null;
    try {
      element = document.querySelector(selector);
    } catch (_) {
      element = null;
    }
    if (element === null) throw TossPaymentsError("INVALID_SELECTOR");
    return element;
  }

  // Toss looks a variantKey up in the merchant's admin; the sandbox has one of each widget,
  // which any non-empty key names.
  function checkVariantKey(variantKey) {
    if (variantKey !== undefined && (typeof variantKey !== "string" || variantKey === "")) {
      throw TossPaymentsError("INVALID_VARIANT_KEY");
    }
  }

  function checkAmountValue(value) {
    if (!isWholeNumber(value)) throw TossPaymentsError("INVALID_AMOUNT_VALUE");
  }

  // A v2 call answers with a Promise, even for what it refuses at once.
  function attempt(work) {
    try {
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  // One widget instance: its amount, what it drew, and what the buyer chose there.
  // `events` names the events each drawn widget takes, per SDK version.
  function newCheckout(clientKey, events) {
    var listeners = { methods: {}, agreement: {} };
    ["methods", "agreement"].forEach(function (part) {
      events[part].forEach(function (name) { listeners[part][name] = []; });
    });
    return {
      clientKey: clientKey,
      amount: null,
      methodsBox: null,
      selected: null,
      agreementBox: null,
      agreed: false,
      listeners: listeners,
      requesting: false
    };
  }

  function listen(listeners, eventName, callback) {
    if (!Object.prototype.hasOwnProperty.call(listeners, eventName)) {
      throw TossPaymentsError("INVALID_PARAMETER", "event");
    }
    if (typeof callback !== "function") throw TossPaymentsError("INVALID_PARAMETER", "callback");
    listeners[eventName].push(callback);
  }

  function emit(listeners, eventName, payload) {
    (listeners[eventName] || []).forEach(function (callback) { callback(payload); });
  }

  function drawMethods(checkout, element, onSelect) {
    var box = document.createElement("fieldset");
    box.className = "tosspayments-sandbox-widget tosspayments-sandbox-methods";
    var legend = document.createElement("legend");
    legend.textContent = "결제 방법";
    box.appendChild(legend);
    widgetsDrawn += 1;
    var group = "tosspayments-sandbox-method-" + widgetsDrawn;
    WIDGET_METHODS.forEach(function (choice, index) {
      var label = document.createElement("label");
      var input = document.createElement("input");
      input.type = "radio";
      input.name = group;
      input.value = choice.code;
      input.checked = index === 0;
      input.addEventListener("change", function () {
        if (!input.checked) return;
        checkout.selected = choice;
        onSelect(choice);
      });
      label.appendChild(input);
      label.appendChild(document.createTextNode(" " + choice.label));
      box.appendChild(label);
    });
    element.appendChild(box);
    checkout.methodsBox = box;
    checkout.selected = WIDGET_METHODS[0];
  }

  function drawAgreement(checkout, element, onChange) {
    var box = document.createElement("div");
    box.className = "tosspayments-sandbox-widget tosspayments-sandbox-agreement";
    var label = document.createElement("label");
    var input = document.createElement("input");
    input.type = "checkbox";
    input.checked = true;
    input.addEventListener("change", function () {
      checkout.agreed = input.checked;
      onChange();
    });
    label.appendChild(input);
    label.appendChild(document.createTextNode(" " + REQUIRED_TERM.title));
    box.appendChild(label);
    element.appendChild(box);
    checkout.agreementBox = box;
    checkout.agreed = true;
  }

  function removeMethods(checkout) {
    if (checkout.methodsBox !== null) checkout.methodsBox.remove();
    checkout.methodsBox = null;
    checkout.selected = null;
  }

  function removeAgreement(checkout) {
    if (checkout.agreementBox !== null) checkout.agreementBox.remove();
    checkout.agreementBox = null;
    checkout.agreed = false;
  }

  // What requestPayment checks of the widget before the order: it must have an amount, a
  // method drawn and chosen, and the required terms agreed. Returns the first code that fails.
  function widgetRefusal(checkout, request) {
    if (checkout.requesting) return "INVALID_METHOD_TRANSACTION";
    if (!request || typeof request !== "object") return "INVALID_PARAMETERS";
    if (checkout.amount === null) return "NOT_SETUP_AMOUNT";
    if (checkout.selected === null) return "NOT_SELECTED_PAYMENT_METHOD";
    if (!checkout.agreed) return "NEED_AGREEMENT_WITH_REQUIRED_TERMS";
    var phone = request.customerMobilePhone;
    if (phone !== undefined && phone !== null &&
        (typeof phone !== "string" || !MOBILE_PHONE.test(phone))) {
      return "INVALID_PARAMETERS";
    }
    return requestRefusal(checkout.amount, request);
  }

  function requestWidgetPayment(checkout, request) {
    var code = widgetRefusal(checkout, request);
    if (code !== null) return Promise.reject(TossPaymentsError(code));
    checkout.requesting = true;
    // A buyer coming back from the window (the browser's back button) may ask again.
    window.addEventListener("pageshow", function () { checkout.requesting = false; },
      { once: true });
    return goToWindow(checkout.clientKey, checkout.selected.code, checkout.amount, request);
  }

  // v2 ---------------------------------------------------------------------------------

  function agreementStatusV2(checkout) {
    return {
      agreedRequiredTerms: checkout.agreed,
      agreements: [{ term: { id: REQUIRED_TERM.id, required: true }, agreed: checkout.agreed }]
    };
  }

  function widgetsV2(clientKey, options) {
    checkWidgetClientKey(clientKey);
    checkCustomerKey(options && options.customerKey);
    var checkout = newCheckout(clientKey, {
      methods: ["paymentMethodSelect"],
      agreement: ["agreementStatusChange"]
    });
    var methodListeners = checkout.listeners.methods;
    var agreementListeners = checkout.listeners.agreement;
    return {
      setAmount: function (amount) {
        return attempt(function () {
          if (!amount || typeof amount !== "object") throw TossPaymentsError("INVALID_PARAMETERS");
          if (amount.currency !== "KRW") throw TossPaymentsError("INVALID_AMOUNT_CURRENCY");
          checkAmountValue(amount.value);
          checkout.amount = amount.value;
        });
      },
      renderPaymentMethods: function (params) {
        return attempt(function () {
          if (!params || typeof params !== "object") throw TossPaymentsError("INVALID_PARAMETERS");
          if (checkout.amount === null) throw TossPaymentsError("NOT_SETUP_AMOUNT");
          if (checkout.methodsBox !== null) {
            throw TossPaymentsError("PAYMENT_METHODS_WIDGET_ALREADY_RENDERED");
          }
          checkVariantKey(params.variantKey);
          drawMethods(checkout, elementOf(params.selector), function (choice) {
            emit(methodListeners, "paymentMethodSelect", { code: choice.code });
          });
          return {
            on: function (eventName, callback) { listen(methodListeners, eventName, callback); },
            getSelectedPaymentMethod: function () {
              return Promise.resolve(checkout.selected && { code: checkout.selected.code });
            },
            destroy: function () {
              removeMethods(checkout);
              return Promise.resolve();
            }
          };
        });
      },
      renderAgreement: function (params) {
        return attempt(function () {
          if (!params || typeof params !== "object") throw TossPaymentsError("INVALID_PARAMETERS");
          if (checkout.agreementBox !== null) {
            throw TossPaymentsError("AGREEMENT_WIDGET_ALREADY_RENDERED");
          }
          checkVariantKey(params.variantKey);
          drawAgreement(checkout, elementOf(params.selector), function () {
            emit(agreementListeners, "agreementStatusChange", agreementStatusV2(checkout));
          });
          return {
            on: function (eventName, callback) { listen(agreementListeners, eventName, callback); },
            destroy: function () {
              removeAgreement(checkout);
              return Promise.resolve();
            }
          };
        });
      },
      requestPayment: function (request) { return requestWidgetPayment(checkout, request); }
    };
  }

  // v1 ---------------------------------------------------------------------------------

  function agreementStatusV1(checkout) {
    return {
      agreedRequiredTerms: checkout.agreed,
      terms: [{
        id: REQUIRED_TERM.id,
        agreed: checkout.agreed,
        required: true,
        title: REQUIRED_TERM.title,
        content: ""
      }]
    };
  }

  function selectedV1(choice) {
    if (choice === null) return null;
    var selected = { type: "NORMAL", method: choice.method };
    if (choice.provider !== null) selected.easyPay = { provider: choice.provider };
    return selected;
  }

  // v1 takes the amount at render, as a number or { value, currency, country }.
  function amountV1(amount) {
    if (amount && typeof amount === "object") {
      if (amount.currency !== undefined && amount.currency !== "KRW") {
        throw TossPaymentsError("INVALID_AMOUNT_CURRENCY");
      }
      amount = amount.value;
    }
    checkAmountValue(amount);
    return amount;
  }

  function PaymentWidget(clientKey, customerKey) {
    checkWidgetClientKey(clientKey);
    checkCustomerKey(customerKey);
    var checkout = newCheckout(clientKey, { methods: ["ready"], agreement: ["change"] });
    var methodListeners = checkout.listeners.methods;
    var agreementListeners = checkout.listeners.agreement;
    return {
      renderPaymentMethods: function (selector, amount, options) {
        if (checkout.methodsBox !== null) {
          throw TossPaymentsError("PAYMENT_METHODS_WIDGET_ALREADY_RENDERED");
        }
        var value = amountV1(amount);
        checkVariantKey(options && options.variantKey);
        var element = elementOf(selector);
        checkout.amount = value;
        drawMethods(checkout, element, function () {});
        // After the caller has had its turn to listen, as a widget loaded in a frame would.
        setTimeout(function () { emit(methodListeners, "ready"); }, 0);
        return {
          updateAmount: function (newAmount) {
            checkAmountValue(newAmount);
            checkout.amount = newAmount;
          },
          UPDATE_REASON: { COUPON: "COUPON", POINT: "POINT" },
          on: function (eventName, callback) { listen(methodListeners, eventName, callback); },
          getSelectedPaymentMethod: function () { return selectedV1(checkout.selected); }
        };
      },
      renderAgreement: function (selector, options) {
        if (checkout.agreementBox !== null) {
          throw TossPaymentsError("AGREEMENT_WIDGET_ALREADY_RENDERED");
        }
        checkVariantKey(options && options.variantKey);
        drawAgreement(checkout, elementOf(selector), function () {
          emit(agreementListeners, "change", agreementStatusV1(checkout));
        });
        return {
          on: function (eventName, callback) { listen(agreementListeners, eventName, callback); },
          getAgreementStatus: function () { return agreementStatusV1(checkout); }
        };
      },
      requestPayment: function (request) { return requestWidgetPayment(checkout, request); }
    };
  }

  PaymentWidget.ANONYMOUS = ANONYMOUS;
  PaymentWidget.sandbox = true;
