// Stands in for sanitize-html (about 230 KB with its HTML and CSS parsers), which the widget manager uses
// only for descriptions a page marks as HTML (description_allow_html). Linli's pages never do: such a
// description is shown as plain text here, never as markup.
export default function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}
