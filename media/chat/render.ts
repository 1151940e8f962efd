// Markdown to HTML for the chat view. No DOM here: the tests run it in Node.
//
// The model's text is untrusted: raw HTML is escaped (html: false), images are not parsed (nothing
// may load), only http(s) links are links (vscode:, command: and the rest could act in the editor),
// and nothing is written into a style attribute (the view's CSP refuses inline styles).
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import cpp from "highlight.js/lib/languages/cpp";
import csharp from "highlight.js/lib/languages/csharp";
import css from "highlight.js/lib/languages/css";
import diff from "highlight.js/lib/languages/diff";
import go from "highlight.js/lib/languages/go";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import markdown from "highlight.js/lib/languages/markdown";
import plaintext from "highlight.js/lib/languages/plaintext";
import python from "highlight.js/lib/languages/python";
import rust from "highlight.js/lib/languages/rust";
import shell from "highlight.js/lib/languages/shell";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";
import MarkdownIt, { type Env, type RendererRule, type StateCore } from "markdown-it";

// Each language brings its usual aliases (ts, js, py, sh, html, yml, cs, rs, ...).
const LANGUAGES = { bash, c, cpp, csharp, css, diff, go, java, javascript, json, markdown, plaintext, python, rust, shell, sql, typescript, xml, yaml };
for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);

export interface RenderOptions {
  /** Colour code blocks; off while an answer streams, where highlighting every frame costs too much. */
  highlight: boolean;
}

export interface Rendered {
  html: string;
  /** The code blocks' text, in order; a block's buttons refer to it by index (data-code). */
  code: string[];
}

interface RenderEnv extends Env {
  highlight: boolean;
  code: string[];
}

const md = new MarkdownIt({ html: false, linkify: true, typographer: false });
md.disable("image");
md.validateLink = (url) => /^https?:\/\//i.test(url.trim());

const { escapeHtml, unescapeAll } = md.utils;

/** A code block in a box with its language and the Copy, Insert and Apply buttons; the code itself stays in env.code. */
const fence: RendererRule = (tokens, idx, _options, env) => {
  const { highlight, code } = env as RenderEnv;
  const token = tokens[idx]!;
  const language = unescapeAll(token.info).trim().split(/\s+/)[0] ?? "";
  // The lines between the fences, each with its line end, as Insert puts them into a file.
  const text = token.content;
  const index = code.push(text) - 1;
  const known = highlight && language !== "" && hljs.getLanguage(language) !== undefined;
  const body = known ? hljs.highlight(text, { language, ignoreIllegals: true }).value : escapeHtml(text);
  const button = (action: string, icon: string, label: string) =>
    `<button type="button" class="icon-button code-action" data-action="${action}" data-code="${index}" aria-label="${label}" title="${label}"><span class="codicon codicon-${icon}" aria-hidden="true"></span></button>`;
  return (
    `<div class="code-block"><div class="code-toolbar"><span class="code-language">${escapeHtml(language)}</span>` +
    button("copy", "copy", "Copy code") +
    button("insert", "insert", "Insert code at cursor") +
    button("apply", "git-compare", "Apply code to the file, as a diff to review") +
    `</div><pre><code class="hljs">${body}</code></pre></div>\n`
  );
};
md.renderer.rules.fence = fence;

/** Table cells' alignment as a class ("align-right"), in place of the inline style markdown-it writes. */
function alignmentClasses(state: StateCore): void {
  for (const token of state.tokens) {
    if (token.type !== "th_open" && token.type !== "td_open") continue;
    const align = /^text-align:(left|center|right)$/.exec(String(token.attrGet("style")))?.[1];
    token.attrs = token.attrs?.filter(([name]) => name !== "style") ?? null;
    if (align) token.attrSet("class", `align-${align}`);
  }
}
md.core.ruler.push("alignment_classes", alignmentClasses);

export function renderMarkdown(text: string, options: RenderOptions): Rendered {
  const env: RenderEnv = { highlight: options.highlight, code: [] };
  return { html: md.render(text, env), code: env.code };
}
