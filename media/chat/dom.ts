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
