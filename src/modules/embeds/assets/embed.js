/*! Hawker embed loader: turns placeholders into card iframes and sizes each iframe to its card.
 *   <div data-hawker-embed="product:ID"></div>   (also live:ID, video:ID; data-lang="en" or "zh-CN")
 *   <a data-hawker-embed href="https://hawker.example/p/ID">…</a>   (a product, /room/ or /v/ page, or an /embed/ URL)
 *   <script async src="https://hawker.example/embed.js"></script>
 * Only height messages from the Hawker origin that served this script, from one of the iframes it inserted, are obeyed.
 * Plain ES5, no dependencies: it runs in whatever page frames it. window.HawkerEmbed.scan() mounts placeholders added later. */
(function () {
  var script = document.currentScript;
  if (!script || !script.src) return;
  var origin = new URL(script.src, location.href).origin;
  var PATHS = { product: 'products', live: 'live', video: 'videos' };
  var FROM_PATH = { p: 'product', room: 'live', v: 'video', products: 'product', live: 'live', videos: 'video' };
  var ID = /^[A-Za-z0-9_-]{1,64}$/;
  var frames = [];

  function target(el) {
    var spec = el.getAttribute('data-hawker-embed') || '';
    var m = /^(product|live|video):(.+)$/.exec(spec);
    if (m) return ID.test(m[2]) ? { kind: m[1], id: m[2] } : null;
    if (el.tagName !== 'A' || !el.href) return null;
    var url = new URL(el.href, location.href);
    if (url.origin !== origin) return null;
    var p = /^\/(?:embed\/)?(p|room|v|products|live|videos)\/([^/]+)\/?$/.exec(url.pathname);
    if (!p) return null;
    var id = decodeURIComponent(p[2]);
    return ID.test(id) ? { kind: FROM_PATH[p[1]], id: id } : null;
  }

  function mount(el) {
    if (el.getAttribute('data-hawker-mounted')) return;
    var t = target(el);
    if (!t) return;
    el.setAttribute('data-hawker-mounted', '1');
    var lang = el.getAttribute('data-lang');
    var frame = document.createElement('iframe');
    frame.src = origin + '/embed/' + PATHS[t.kind] + '/' + encodeURIComponent(t.id) + (lang ? '?lang=' + encodeURIComponent(lang) : '');
    frame.title = el.getAttribute('data-title') || el.textContent.replace(/\s+/g, ' ').trim() || 'Hawker';
    frame.setAttribute('loading', 'lazy');
    frame.setAttribute('scrolling', 'no');
    frame.setAttribute('data-hawker-frame', t.kind + ':' + t.id);
    frame.style.cssText = 'display:block;width:100%;max-width:' + (el.getAttribute('data-width') || '480') + 'px;height:150px;border:0;overflow:hidden';
    frames.push(frame);
    if (el.tagName === 'A') el.parentNode.replaceChild(frame, el);
    else {
      el.textContent = '';
      el.appendChild(frame);
    }
  }

  function scan() {
    var found = document.querySelectorAll('[data-hawker-embed]');
    for (var i = 0; i < found.length; i++) mount(found[i]);
  }

  window.addEventListener('message', function (event) {
    if (event.origin !== origin) return;
    var data = event.data;
    if (!data || data.type !== 'hawker:embed-size' || typeof data.height !== 'number' || !isFinite(data.height)) return;
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === event.source) {
        frames[i].style.height = Math.max(40, Math.min(2000, Math.ceil(data.height))) + 'px';
        return;
      }
    }
  });

  window.HawkerEmbed = window.HawkerEmbed || {};
  var scans = window.HawkerEmbed.scans || [];
  scans.push(scan);
  window.HawkerEmbed.scans = scans;
  window.HawkerEmbed.scan = function () {
    for (var i = 0; i < scans.length; i++) scans[i]();
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', scan);
  else scan();
})();
