#!/usr/bin/env python3
"""Loads every page of the built guide in headless Chromium and checks it (issue 20):
no console errors or exceptions, every math block typeset (no raw $$ or \\( left), every <details>
opens and closes, every image loads (naturalWidth > 0), every table-of-contents link resolves,
and saves screenshots of three pages under the docs build directory.

  check_site.py SITE_DIR [--chromium PATH] [--shots DIR]

Standard library only: it talks to Chromium over the DevTools protocol on a pipe
(--remote-debugging-pipe), so neither `make test` nor this check needs the docs venv or network.
Exit 0: all pages pass; 1: a check failed; 77: skipped (no Chromium or no site), with the reason.
"""
import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The guide's pages, in mkdocs.yml's order (issue 20's thirteen sections after the index). A page
# missing from the site fails the check; each section page must have at least one math block, one
# collapsible block, one picture and one table-of-contents link (the part 1).
SECTIONS = ["overview", "embeddings", "attention", "heads", "ffn", "layernorm", "stack", "pretraining",
            "heads-tasks", "family", "contextual", "compiling", "performance"]
EXPECTED = ["index"] + SECTIONS

CHECK_JS = r"""
(async () => {
  const r = {errors: []};
  const math = [...document.querySelectorAll('.arithmatex')];
  r.math = math.length;
  r.untypeset = math.filter(e => !e.querySelector('.katex')).length;
  const body = document.querySelector('article') || document.body;
  const txt = body.innerText;
  r.raw = (txt.match(/\$\$|\\\(|\\\[/g) || []).length;
  const det = [...document.querySelectorAll('details')];
  r.details = det.length; r.detailsBad = 0;
  for (const d of det) {
    const s = d.querySelector('summary'); const was = d.open;
    s.click(); await new Promise(f => setTimeout(f, 30)); const a = d.open;
    s.click(); await new Promise(f => setTimeout(f, 30)); const b = d.open;
    if (a === was || b !== was) r.detailsBad++;
  }
  const imgs = [...document.querySelectorAll('article img')];
  for (const i of imgs) { if (!i.complete) await new Promise(f => { i.onload = i.onerror = f; }); }
  r.images = imgs.length;
  r.badImages = imgs.filter(i => !(i.naturalWidth > 0)).map(i => i.getAttribute('src'));
  const toc = [...document.querySelectorAll('nav.md-nav--secondary a.md-nav__link')];
  r.toc = toc.length;
  r.badToc = toc.map(a => a.getAttribute('href')).filter(h => h.startsWith('#') &&
      !document.getElementById(decodeURIComponent(h.slice(1))));
  return JSON.stringify(r);
})()
"""


class Chrome:
    def __init__(self, exe, profile):
        r_ours, w_theirs = os.pipe()
        r_theirs, w_ours = os.pipe()
        os.set_inheritable(r_theirs, True)
        os.set_inheritable(w_theirs, True)

        def fds():  # Chromium reads commands on fd 3 and writes replies on fd 4
            a, b = os.dup(r_theirs), os.dup(w_theirs)
            os.dup2(a, 3)
            os.dup2(b, 4)
        self.p = subprocess.Popen(
            [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
             "--no-first-run", "--disable-extensions", f"--user-data-dir={profile}",
             "--window-size=1280,900", "about:blank"],
            preexec_fn=fds, pass_fds=(3, 4), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(r_theirs)
        os.close(w_theirs)
        self.r = os.fdopen(r_ours, "rb")
        self.w = os.fdopen(w_ours, "wb")
        self.n = 0
        self.events = []
        self.buf = b""

    def _read(self):
        while b"\0" not in self.buf:
            chunk = os.read(self.r.fileno(), 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, session=None, **params):
        self.n += 1
        m = {"id": self.n, "method": method, "params": params}
        if session:
            m["sessionId"] = session
        self.w.write(json.dumps(m).encode() + b"\0")
        self.w.flush()
        while True:
            msg = self._read()
            if msg.get("id") == self.n:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg["result"]
            self.events.append(msg)

    def wait_event(self, name, timeout=30):
        t0 = time.time()
        while time.time() - t0 < timeout:
            for i, e in enumerate(self.events):
                if e.get("method") == name:
                    return self.events.pop(i)
            self.events.append(self._read())
        raise RuntimeError(f"timed out waiting for {name}")

    def close(self):
        try:
            self.call("Browser.close")
        except Exception:
            pass
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("site")
    ap.add_argument("--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser"))
    ap.add_argument("--shots", default=None)
    a = ap.parse_args()
    site = Path(a.site).resolve()
    if not a.chromium:
        print("check_site: SKIP: no Chromium (apt-get install chromium; `make test-docs` does it)")
        return 77
    if not (site / "index.html").exists():
        print(f"check_site: SKIP: no built site at {site} (run `make docs`)")
        return 77
    shots = Path(a.shots or site.parent)
    pages = sorted(p for p in site.glob("*.html") if p.name != "404.html")
    missing = [f"{n}.html" for n in EXPECTED if not (site / f"{n}.html").exists()]
    profile = tempfile.mkdtemp(prefix="bertc-docs-chrome-")
    c = Chrome(a.chromium, profile)
    failures = []
    try:
        tid = c.call("Target.createTarget", url="about:blank")["targetId"]
        sid = c.call("Target.attachToTarget", targetId=tid, flatten=True)["sessionId"]
        for d in ("Page", "Runtime", "Log"):
            c.call(f"{d}.enable", sid)
        for page in pages:
            c.events.clear()
            c.call("Page.navigate", sid, url=page.as_uri())
            c.wait_event("Page.loadEventFired")
            time.sleep(0.3)
            res = c.call("Runtime.evaluate", sid, expression=CHECK_JS, awaitPromise=True, returnByValue=True)
            r = json.loads(res["result"]["value"])
            errs = [e["params"] for e in c.events if e.get("method") in
                    ("Runtime.exceptionThrown",) or
                    (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error") or
                    (e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] == "error")]
            bad = []
            if errs:
                bad.append(f"{len(errs)} console errors: {json.dumps(errs)[:400]}")
            if r["untypeset"] or r["raw"]:
                bad.append(f"math: {r['untypeset']} of {r['math']} untypeset, {r['raw']} raw delimiters")
            if r["detailsBad"]:
                bad.append(f"{r['detailsBad']} of {r['details']} <details> did not open and close")
            if r["badImages"]:
                bad.append(f"images not loaded: {r['badImages']}")
            if r["badToc"]:
                bad.append(f"TOC links without a target: {r['badToc']}")
            if page.stem in SECTIONS:
                bad += [f"no {what} (every section needs one)" for what, key in
                        (("math", "math"), ("<details>", "details"), ("image", "images"),
                         ("table-of-contents link", "toc")) if r[key] == 0]
            print(f"check_site: {page.name}: {r['math']} math, {r['details']} details, {r['images']} images, "
                  f"{r['toc']} toc links: " + ("; ".join(bad) if bad else "ok"))
            if bad:
                failures.append(page.name)
        for name in ("attention.html", "compiling.html", "contextual.html"):
            if (site / name).exists():
                c.call("Page.navigate", sid, url=(site / name).as_uri())
                c.wait_event("Page.loadEventFired")
                time.sleep(0.5)
                png = c.call("Page.captureScreenshot", sid, format="png")["data"]
                out = shots / f"screenshot-{name.replace('.html', '')}.png"
                out.write_bytes(base64.b64decode(png))
                print(f"check_site: screenshot {out}")
    finally:
        c.close()
        shutil.rmtree(profile, ignore_errors=True)
    for m in missing:
        print(f"check_site: {m}: missing from {site} (expected by test/Docs/check_site.py EXPECTED)")
    failures += missing
    if failures:
        print(f"check_site: FAIL: {', '.join(failures)}")
        return 1
    print(f"check_site: all {len(pages)} pages pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
