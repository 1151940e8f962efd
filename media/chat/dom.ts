// Building DOM nodes. Text goes in as text nodes, never as HTML.

type Attributes = Record<string, string | number | boolean | undefined>;

/** An element with attributes (false and undefined leave one out, true sets it empty) and children. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== false) element.setAttribute(name, value === true ? "" : String(value));
  }
  element.append(...children);
  return element;
}

export function button(label: string, attributes: Attributes = {}): HTMLButtonElement {
  return el("button", { type: "button", ...attributes }, label);
}

/** A codicon, as VS Code draws its own toolbars' icons; decoration only, the button names itself. */
export function codicon(name: string): HTMLSpanElement {
  return el("span", { class: `codicon codicon-${name}`, "aria-hidden": "true" });
}

/** A toolbar button showing a codicon alone: `label` is its accessible name and its tooltip. */
export function iconButton(icon: string, label: string, attributes: Attributes = {}): HTMLButtonElement {
  const { class: extra, ...rest } = attributes;
  return el("button", { type: "button", class: `icon-button${extra ? ` ${extra}` : ""}`, "aria-label": label, title: label, ...rest }, codicon(icon));
}
