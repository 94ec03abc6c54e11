// Typesets pymdownx.arithmatex's generic output (<span|div class="arithmatex">\( \) / \[ \]) with
// the KaTeX the site serves itself (Debian's libjs-katex, copied by docs/guide/gen.py).
function bertcTypeset() {
  document.querySelectorAll(".arithmatex").forEach(function (el) {
    if (el.dataset.typeset) return;
    var tex = el.textContent.trim(), display = el.tagName === "DIV";
    tex = tex.replace(/^\\[\(\[]/, "").replace(/\\[\)\]]$/, "");
    katex.render(tex, el, { displayMode: display, throwOnError: true });
    el.dataset.typeset = "1";
  });
}
if (typeof document$ !== "undefined") { document$.subscribe(bertcTypeset); }
else { document.addEventListener("DOMContentLoaded", bertcTypeset); }
