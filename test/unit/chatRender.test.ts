// The chat view's markdown: the model's text is untrusted, and the view's CSP admits no inline style.
import assert from "node:assert/strict";
import { renderMarkdown } from "../../media/chat/render";

const fenced = (info: string, code: string) => `\`\`\`${info}\n${code}\n\`\`\``;

/** The opening tags in some HTML, e.g. `<a href="...">`. */
const tags = (html: string) => html.match(/<[a-z][^>]*>/gi) ?? [];

describe("chat view markdown", function () {
  it("highlights a code block once the answer is finished, and only escapes it while it streams", function () {
    const text = fenced("ts", "const answer: number = 42;");
    const finished = renderMarkdown(text, { highlight: true }).html;
    assert.match(finished, /<span class="hljs-keyword">const<\/span>/);
    assert.match(finished, /<span class="hljs-number">42<\/span>/);

    const streaming = renderMarkdown(text, { highlight: false }).html;
    assert.doesNotMatch(streaming, /<span class="hljs-/);
    assert.match(streaming, /<code class="hljs">const answer: number = 42;\n<\/code>/);
  });

  it("highlights the common languages by their usual names", function () {
    const samples: Record<string, string> = {
      py: "def f():\n    return 1",
      sh: "echo hi # greet",
      js: "let x = 1",
      html: "<p>hi</p>",
      rust: "fn main() {}",
      yml: "a: 1 # one",
    };
    for (const [language, code] of Object.entries(samples)) {
      assert.match(renderMarkdown(fenced(language, code), { highlight: true }).html, /<span class="hljs-/, language);
    }
  });

  it("keeps each code block's exact text in `code`, out of the HTML's attributes", function () {
    const first = 'if (a < b && c > "d") {\n  return `${x}`;  \n}';
    const second = "x = {'<img src=x>': 1}";
    const { html, code } = renderMarkdown(`Two blocks:\n\n${fenced("js", first)}\n\nand\n\n${fenced("py", second)}`, { highlight: true });
    assert.deepEqual(code, [`${first}\n`, `${second}\n`]);
    const buttons = tags(html).filter((tag) => tag.startsWith("<button"));
    assert.deepEqual(
      buttons.map((tag) => /data-action="(\w+)" data-code="(\d+)"/.exec(tag)?.slice(1).join(" ")),
      ["copy 0", "insert 0", "apply 0", "copy 1", "insert 1", "apply 1"],
    );
    assert.ok(!tags(html).some((tag) => /return|src=/.test(tag)), html);
  });

  it("escapes HTML in the text", function () {
    const { html } = renderMarkdown("Look: <script>alert(1)</script> and <img src=x onerror=alert(1)>", { highlight: true });
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
    assert.deepEqual(tags(html), ["<p>"]);
  });

  it("makes links of web addresses only: no javascript:, vbscript:, file:, data:, command: or vscode: URL", function () {
    const urls = ["javascript:alert(1)", "vbscript:msgbox(1)", "file:///etc/passwd", "data:text/html,<b>x</b>", "command:workbench.action.terminal.new", "vscode://vscode.git/clone?url=x", "vscode-insiders://a/b"];
    for (const url of urls) {
      const { html } = renderMarkdown(`[x](${url}) and <${url}>`, { highlight: true });
      assert.ok(!tags(html).some((tag) => tag.startsWith("<a")), html);
    }
    assert.match(renderMarkdown("[docs](https://example.com)", { highlight: true }).html, /<a href="https:\/\/example.com">docs<\/a>/);
  });

  it("loads no image", function () {
    const { html } = renderMarkdown("![a](http://x/y.png)", { highlight: true });
    assert.doesNotMatch(html, /<img/i);
  });

  it("aligns table cells with classes, not inline styles", function () {
    const { html } = renderMarkdown("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |", { highlight: true });
    assert.doesNotMatch(html, /style=/);
    assert.match(html, /<th class="align-left">a<\/th>/);
    assert.match(html, /<th class="align-center">b<\/th>/);
    assert.match(html, /<td class="align-right">3<\/td>/);
  });

  it("draws a fence still open (an answer still streaming) as a code block", function () {
    const { html, code } = renderMarkdown("Here:\n\n```python\nprint('hi')\nfor i in", { highlight: false });
    assert.match(html, /<div class="code-block">.*<pre><code class="hljs">print\('hi'\)\nfor i in<\/code><\/pre><\/div>/s);
    assert.deepEqual(code, ["print('hi')\nfor i in"]);
  });

  it("escapes HTML in a code block's info string and content, whatever the language", function () {
    for (const highlight of [true, false]) {
      for (const info of ['"><img src=x onerror=alert(1)>', "nosuchlanguage", ""]) {
        const { html } = renderMarkdown(fenced(info, "</code><script>alert(1)</script>"), { highlight });
        assert.ok(!tags(html).some((tag) => /^<(img|script)|onerror/i.test(tag)), html);
        assert.match(html, /&lt;\/code&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
      }
    }
  });
});
