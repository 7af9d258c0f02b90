import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderTable, terminalSafe } from './output.ts';

/** Any byte a terminal could act on: C0 (newline included), DEL, C1, and the bidi controls. */
const CONTROL = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('terminalSafe', () => {
  it('drops an OSC 52 clipboard write, BEL-terminated, with its payload', () => {
    assert.equal(terminalSafe('H100\x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07 80GB'), 'H100 80GB');
  });

  it('drops a title change terminated by ST (ESC \\), and an unterminated OSC to the end', () => {
    assert.equal(terminalSafe('gpu-01\x1b]0;you are pwned\x1b\\ ok'), 'gpu-01 ok');
    assert.equal(terminalSafe('gpu-01\x1b]0;no end'), 'gpu-01');
  });

  it('drops CSI sequences (clear screen, colours, cursor moves) and other ESC sequences', () => {
    assert.equal(terminalSafe('a\x1b[2Jb\x1b[1;31mc\x1b[0m\x1b[?25ld'), 'abcd');
    assert.equal(terminalSafe('x\x1bcy\x1b(Bz\x1b'), 'xyz');
  });

  it('drops 8-bit C1 sequences: CSI (U+009B) with its parameters, OSC (U+009D) up to ST (U+009C)', () => {
    assert.equal(terminalSafe('ok\x9b2Jdone'), 'okdone');
    assert.equal(terminalSafe('ok\x9d0;title\x9cdone\x85!'), 'okdone⏎!');
  });

  it('shows a CR (that would overwrite the line) and a newline as ⏎, a tab as a space', () => {
    assert.equal(terminalSafe('failed: disk full\rinstalled'), 'failed: disk full⏎installed');
    assert.equal(terminalSafe('line 1\r\nline 2\nline\u20283\ttab'), 'line 1⏎line 2⏎line⏎3 tab');
  });

  it('drops bidi overrides and isolates, DEL, NUL and backspace', () => {
    assert.equal(terminalSafe('gpu-\u202e10-upg\u202c \u2066x\u2069'), 'gpu-10-upg x');
    assert.equal(terminalSafe('a\x00b\x08c\x7fd'), 'abcd');
  });

  it('keeps the line breaks of a multi-line message with keepNewlines, and cleans each line', () => {
    assert.equal(terminalSafe('Problem:\r\n  bad\x1b[2K rule\n  line 2\r', { keepNewlines: true }), 'Problem:\n  bad rule\n  line 2⏎');
  });

  it('leaves ordinary text, wide characters and emoji as they are', () => {
    const text = 'NVIDIA H100 80GB HBM3 – GPU 3: Xid 79 ✕ 日本語 🔥';
    assert.equal(terminalSafe(text), text);
  });
});

describe('renderTable', () => {
  it('cleans every cell itself: hostile node text cannot act on the terminal nor break the box', () => {
    const out = renderTable(['Node', 'GPU', 'Reason'], [
      ['gpu-01\x1b]0;pwned\x07', 'H100\x1b]52;c;ZXZpbA==\x07', 'apt failed\r\x1b[2Kinstalled\nfake row'],
      ['gpu-\u202e20', '\x9b31mA100', 'ok'],
    ]);
    assert.doesNotMatch(out.replace(/\n/g, ''), CONTROL);
    const lines = out.split('\n');
    assert.equal(lines.length, 6, 'header, 2 rows and 3 rules: a value\'s newline made no new line');
    assert.match(lines[3] ?? '', /^│ gpu-01 +│ H100 +│ apt failed⏎installed⏎fake row │$/);
    assert.equal(new Set(lines.map((l) => [...l].length)).size, 1, 'every line as wide as the others');
  });
});
