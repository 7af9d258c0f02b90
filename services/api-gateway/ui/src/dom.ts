// The UI's only way to make DOM. Elements are created by tag name and every piece of data becomes a
// text node (or an attribute set with setAttribute), never markup: nothing here parses a string as
// HTML, so a node name like `<img src=x onerror=alert(1)>` is shown as exactly those characters.

/** Anything that can be a child: nodes, text (numbers too), or nothing (skipped). */
export type Child = Node | string | number | null | undefined | false | readonly Child[];

type Listener<K extends keyof HTMLElementEventMap> = (ev: HTMLElementEventMap[K]) => void;

/** Element options: a class, attributes, and event listeners. */
export interface Props {
  class?: string | undefined;
  /** Attributes; `true` sets an empty attribute, `false`/`undefined` leaves it out. */
  attrs?: Record<string, string | number | boolean | undefined>;
  on?: { [K in keyof HTMLElementEventMap]?: Listener<K> };
}

/** Attribute names that would run code or inject styles: refused outright. */
const FORBIDDEN_ATTR = /^(on|style$|srcdoc$|formaction$)/i;

/** Appends children as nodes; strings and numbers become text nodes. */
export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, ...(c as Child[]));
    else if (typeof c === 'string' || typeof c === 'number') parent.appendChild(document.createTextNode(String(c)));
    else parent.appendChild(c as Node);
  }
}

/** Makes an element: `h('button', { class: 'primary', on: { click } }, 'Save')`. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props?.class) el.className = props.class;
  for (const [name, value] of Object.entries(props?.attrs ?? {})) {
    if (FORBIDDEN_ATTR.test(name)) throw new Error(`refusing to set attribute ${name}`);
    if (value === undefined || value === false) continue;
    const text = value === true ? '' : String(value);
    // Only in-page links: a data-driven "javascript:" URL can never reach an href.
    if ((name === 'href' || name === 'src' || name === 'action') && !/^(#|\/(?!\/))/.test(text)) throw new Error(`refusing ${name}="${text}"`);
    el.setAttribute(name, text);
  }
  for (const [type, fn] of Object.entries(props?.on ?? {})) {
    if (fn) el.addEventListener(type, fn as EventListener);
  }
  append(el, ...children);
  return el;
}

/** Replaces everything inside `parent` with `children`. */
export function replace(parent: Node, ...children: Child[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, ...children);
}

let idCounter = 0;
/** A unique id for label/input pairs. */
export function uid(prefix = 'f'): string {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}
