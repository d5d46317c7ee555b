// Toss's browser SDK (v2), loaded once from config.json's `sdkUrl`: in development the
// sandbox's copy at Toss's path, in production Toss's own script. Its refusals come with Toss's
// code; the shopper reads them here in plain Korean, the developer in the console.

let sdk = null;

export function loadSdk(url) {
  if (!sdk) {
    sdk = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      script.onload = () => resolve(window.TossPayments);
      script.onerror = () => {
        sdk = null;
        reject(Object.assign(new Error(`Toss's SDK could not be loaded from ${url}`), { code: "SDK_NOT_LOADED" }));
      };
      document.head.append(script);
    });
  }
  return sdk;
}

// What the shopper can act on, by Toss's code (docs.tosspayments.com/reference/error-codes,
// 결제위젯 and 결제창 SDK). Any other refusal is the shop's own mistake (a key, a selector, an
// order field): the shopper is told so, and the console says which.
const SHOPPER_WORDS = {
  NEED_AGREEMENT_WITH_REQUIRED_TERMS: "결제를 진행하려면 필수 약관에 동의해 주세요.",
  NOT_SELECTED_PAYMENT_METHOD: "결제 방법을 선택해 주세요.",
  INVALID_METHOD_TRANSACTION: "결제창을 여는 중이에요. 잠시만 기다려 주세요.",
  INVALID_PARAMETERS: "입력한 구매자 정보를 다시 확인해 주세요.",
  BELOW_MINIMUM_AMOUNT: "100원 미만은 결제할 수 없어요.",
  BELOW_ZERO_AMOUNT: "결제할 금액이 없어요.",
  USER_CANCEL: "결제를 취소했어요.",
  SDK_NOT_LOADED: "결제 모듈을 불러오지 못했어요. 인터넷 연결을 확인하고 다시 시도해 주세요.",
};
const SHOP_MISTAKE = "상점의 결제 설정에 문제가 있어 결제를 시작하지 못했어요. 잠시 후 다시 시도하거나 상점에 문의해 주세요.";

export function sdkErrorWords(error) {
  if (SHOPPER_WORDS[error.code]) return SHOPPER_WORDS[error.code];
  console.warn(`Toss's SDK refused: ${error.code || "(no code)"}: ${error.message}`);
  return SHOP_MISTAKE;
}
