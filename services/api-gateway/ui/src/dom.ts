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

const SVG_NS = 'http://www.w3.org/2000/svg';
/**
 * SVG elements a drawing may use: shapes, groups and text. Nothing that can run script, load a
 * resource or embed HTML (script, a, use, image, foreignObject, animate, set) is on the list.
 */
const SVG_TAGS = new Set(['svg', 'g', 'rect', 'line', 'path', 'circle', 'polyline', 'polygon', 'text', 'tspan', 'title', 'desc']);

/**
 * Makes an SVG element (document.createElementNS), as `h` makes HTML ones: attributes set one by
 * one, data only ever as text nodes. Event handlers, styles and links (any *href) are refused;
 * colours come from classes in styles.css.
 */
export function svg(tag: string, attrs: Record<string, string | number | undefined> = {}, ...children: Child[]): SVGElement {
  if (!SVG_TAGS.has(tag)) throw new Error(`refusing SVG element ${tag}`);
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (FORBIDDEN_ATTR.test(name) || /href$/i.test(name)) throw new Error(`refusing to set attribute ${name}`);
    if (value === undefined) continue;
    el.setAttribute(name, String(value));
  }
  append(el, ...children);
  return el;
}
