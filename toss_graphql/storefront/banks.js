// Toss's bank codes (docs.tosspayments.com/codes/org-codes, 은행 코드): the two characters a
// virtual account and a refund account name a bank by. Not Korean banking's three-digit codes,
// and not the card companies' (where 11 is KB국민, not NH농협).
export const BANKS = [
  ["06", "KB국민"], ["88", "신한"], ["20", "우리"], ["81", "하나"], ["11", "NH농협"],
  ["03", "IBK기업"], ["90", "카카오뱅크"], ["92", "토스뱅크"], ["89", "케이뱅크"],
  ["02", "KDB산업"], ["23", "SC제일"], ["27", "씨티"], ["07", "Sh수협"], ["71", "우체국"],
  ["31", "iM뱅크(대구)"], ["32", "부산"], ["39", "경남"], ["34", "광주"], ["37", "전북"],
  ["35", "제주"], ["12", "단위농협"], ["45", "새마을"], ["48", "신협"], ["50", "저축은행"],
  ["64", "산림조합"], ["54", "HSBC"],
];

const NAMES = new Map(BANKS);

export function bankName(code) {
  return code ? NAMES.get(code) || code : "";
}
