// Small helpers the pages share: text into the page (never HTML), money, statuses.
export function show(id, text, kind = "") {
  const element = document.getElementById(id);
  element.textContent = text;
  element.className = kind;
  element.hidden = text === "";
}

export function won(amount) {
  return `${Number(amount).toLocaleString("ko-KR")}원`;
}

export function element(tag, properties = {}, ...children) {
  const made = Object.assign(document.createElement(tag), properties);
  made.append(...children);
  return made;
}

export function errorText(error) {
  return error.code ? `${error.code}: ${error.message}` : error.message;
}
