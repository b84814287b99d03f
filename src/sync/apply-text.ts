/**
 * Plain text of an Atlassian Document Format value (Cloud's v3 description). Paragraphs and
 * other blocks become lines, so text from v2 (wiki text) and v3 (ADF) of the same issue agree.
 */
export function adfToText(doc: unknown): string {
  const inline = (node: unknown): string => {
    if (!node || typeof node !== 'object') return '';
    const n = node as { type?: unknown; text?: unknown; content?: unknown };
    if (typeof n.text === 'string') return n.text;
    if (n.type === 'hardBreak') return '\n';
    return Array.isArray(n.content) ? n.content.map(inline).join('') : '';
  };
  const content = (doc as { content?: unknown } | null)?.content;
  if (!Array.isArray(content)) return typeof doc === 'string' ? doc : '';
  return content.map(inline).join('\n');
}
