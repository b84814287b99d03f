import { useState } from 'react';

/**
 * One value the admin must enter in Jira, with its own copy button: retyping a public key
 * or a consumer key by hand is how application links end up with a stray space.
 */
export function CopyValue({
  label,
  value,
  multiline = false,
}: {
  label: string;
  value: string;
  multiline?: boolean;
}) {
  const [copied, setCopied] = useState<'idle' | 'copied' | 'failed'>('idle');
  const id = `copy-${label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('copied');
    } catch {
      // Clipboard access can be refused (http, browser policy): the value stays selectable.
      setCopied('failed');
    }
  };
  return (
    <div className="copy-value">
      <span className="copy-label" id={`${id}-label`}>
        {label}
      </span>
      <code className={multiline ? 'copy-text copy-text-block' : 'copy-text'} id={id}>
        {value}
      </code>
      <button type="button" className="button button-small" onClick={copy} aria-label={`Copy ${label}`}>
        {copied === 'copied' ? 'Copied' : 'Copy'}
      </button>
      <span className="visually-hidden" role="status">
        {copied === 'copied'
          ? `${label} copied`
          : copied === 'failed'
            ? 'Copy failed: select the text and copy it'
            : ''}
      </span>
    </div>
  );
}
