// vmsim view: steps through a recorded run. The data holds the first state as a delta from an
// empty machine and one delta per command; states are rebuilt here. Going back starts from the
// nearest cached keyframe, so a long run never replays from the beginning.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('vmsim-data').textContent);
  var M = data.machine, steps = data.steps, N = steps.length;
  var F = { READ: 1, WRITE: 2, EXEC: 4, COW: 8, ORIG_WRITE: 16 };
  // Limits on what one step draws, so that a huge machine still steps smoothly.
  var MAX_PROCS = 48, MAX_ROWS = 96, MAX_CELLS = 1024, SCRIPT_WINDOW = 12, OUTPUT_LINES = 40;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function letters(fl) {
    var s = (fl & F.READ ? 'r' : '') + (fl & F.WRITE ? 'w' : '') + (fl & F.EXEC ? 'x' : '');
    return (s || '-') + (fl & F.COW ? ' cow' : '');
  }
  function colour(pid) { return 'hsl(' + ((pid * 137.508 + 200) % 360).toFixed(1) + ' 70% 78%)'; }

  // ---- states and deltas ----
  function emptyState() {
    return { procs: new Map(), counts: new Map(), cur: -1, tlb: [], stats: data.stats.map(function () { return 0; }) };
  }
  function apply(st, d) {
    if (!d) return 1;
    var work = 1;
    (d.pr || []).forEach(function (pid) { st.procs.delete(pid); });
    (d.tr || []).forEach(function (x) {
      var p = st.procs.get(x[0]), t = p.tables.get(x[1]);
      for (var v = t.first; v < t.first + t.size; v++) p.entries.delete(v);
      p.tables.delete(x[1]);
      work += t.size;
    });
    (d.pa || []).forEach(function (x) { st.procs.set(x[0], { root: x[1], tables: new Map(), entries: new Map() }); });
    (d.ta || []).forEach(function (x) { st.procs.get(x[0]).tables.set(x[1], { frame: x[2], first: x[3], size: x[4] }); });
    (d.er || []).forEach(function (x) { st.procs.get(x[0]).entries.delete(x[1]); });
    (d.e || []).forEach(function (x) { st.procs.get(x[0]).entries.set(x[1], [x[2], x[3]]); });
    (d.m || []).forEach(function (x) { if (x[1]) st.counts.set(x[0], x[1]); else st.counts.delete(x[0]); });
    if (d.cur !== undefined) st.cur = d.cur;
    if (d.tlb) st.tlb = d.tlb;
    (d.s || []).forEach(function (x) { st.stats[x[0]] = x[1]; });
    return work + (d.e ? d.e.length : 0) + (d.er ? d.er.length : 0) + (d.m ? d.m.length : 0);
  }
  function clone(st) {
    var procs = new Map();
    st.procs.forEach(function (p, pid) {
      procs.set(pid, { root: p.root, tables: new Map(p.tables), entries: new Map(p.entries) });
    });
    return { procs: procs, counts: new Map(st.counts), cur: st.cur, tlb: st.tlb, stats: st.stats.slice() };
  }
  function size(st) {
    var n = st.counts.size;
    st.procs.forEach(function (p) { n += p.entries.size + p.tables.size + 1; });
    return n;
  }

  // Keyframes: a copy of the state every so often, when the work replayed since the last one is
  // at least the state's size (so copies cost no more than the replay they save).
  var state = emptyState();
  apply(state, data.initial);
  var keys = [[0, clone(state)]], at = 0, workSinceKey = 0;
  function keyBefore(n) {
    var lo = 0, hi = keys.length - 1;
    while (lo < hi) { var mid = (lo + hi + 1) >> 1; if (keys[mid][0] <= n) lo = mid; else hi = mid - 1; }
    return keys[lo];
  }
  function seek(n) {
    if (n < at) {
      var k = keyBefore(n);
      state = clone(k[1]); at = k[0]; workSinceKey = 0;
    } else if (n > at) {
      var k2 = keyBefore(n);
      if (k2[0] > at) { state = clone(k2[1]); at = k2[0]; workSinceKey = 0; }
    }
    while (at < n) {
      workSinceKey += apply(state, steps[at].d);
      at++;
      if (workSinceKey >= Math.max(256, size(state)) && at > keys[keys.length - 1][0]) {
        keys.push([at, clone(state)]);
        workSinceKey = 0;
      }
    }
  }

  // ---- what changed at this step ----
  function changes(n) {
    var c = { entries: new Set(), removed: [], frames: new Set(), procs: new Set(), tables: new Set(), stats: new Set(), tlb: false, cur: false };
    var d = n > 0 ? steps[n - 1].d : data.initial;
    if (!d) return c;
    (d.e || []).forEach(function (x) { c.entries.add(x[0] + ':' + x[1]); c.frames.add(x[2]); });
    (d.er || []).forEach(function (x) { c.entries.add(x[0] + ':' + x[1]); c.removed.push(x); });
    (d.m || []).forEach(function (x) { c.frames.add(x[0]); });
    (d.pa || []).forEach(function (x) { c.procs.add(x[0]); c.frames.add(x[1]); });
    (d.ta || []).forEach(function (x) { c.tables.add(x[0] + ':' + x[1]); c.frames.add(x[2]); });
    (d.s || []).forEach(function (x) { c.stats.add(x[0]); });
    c.tlb = !!d.tlb;
    c.cur = d.cur !== undefined;
    return c;
  }

  // ---- drawing ----
  var $ = function (id) { return document.getElementById(id); };
  function drawScript(n) {
    var ol = $('script');
    ol.textContent = '';
    var lo = Math.max(1, n - SCRIPT_WINDOW), hi = Math.min(N, n + SCRIPT_WINDOW);
    if (n === 0) ol.appendChild(el('li', 'current', '(before the first line)'));
    for (var i = lo; i <= hi; i++) {
      var li = el('li', i < n ? 'done' : i === n ? 'current' : 'todo');
      li.appendChild(el('span', 'n', String(i)));
      li.appendChild(document.createTextNode(steps[i - 1].c));
      li.dataset.line = i;
      ol.appendChild(li);
    }
    var cur = ol.querySelector('.current');
    if (cur) cur.scrollIntoView({ block: 'nearest' });
  }
  function drawOutput(n) {
    var pre = $('output');
    pre.textContent = '';
    var blocks = [], total = 0;
    for (var i = n; i >= 1 && total < OUTPUT_LINES; i--) {
      var o = steps[i - 1].o || [];
      blocks.push([i, o]);
      total += o.length + 1;
    }
    if (n === 0 || total < OUTPUT_LINES) blocks.push([0, data.preamble]);
    blocks.reverse().forEach(function (b) {
      var box = el('div', b[0] === n ? 'now' : '');
      if (b[0] > 0) box.appendChild(el('div', 'cmd', '> ' + steps[b[0] - 1].c));
      b[1].forEach(function (l) { box.appendChild(el('div', l[0] === 2 ? 'err' : 'out', l[1] === '' ? '\u00a0' : l[1])); });
      box.dataset.line = b[0];
      pre.appendChild(box);
    });
    pre.scrollTop = pre.scrollHeight;
  }
  function owners() {
    var own = new Map();
    state.procs.forEach(function (p, pid) {
      p.entries.forEach(function (e) {
        var o = own.get(e[0]);
        if (!o) { o = { pids: [], cow: false }; own.set(e[0], o); }
        if (o.pids[o.pids.length - 1] !== pid) o.pids.push(pid);
        if (e[1] & F.COW) o.cow = true;
      });
    });
    return own;
  }
  function drawProcesses(c) {
    var box = $('processes');
    box.textContent = '';
    var pids = Array.from(state.procs.keys()).sort(function (a, b) { return a - b; });
    // The current process and those this step changed come first when not all fit.
    var shown = pids;
    if (pids.length > MAX_PROCS) {
      var first = pids.filter(function (p) { return p === state.cur || c.procs.has(p); });
      shown = first.concat(pids.filter(function (p) { return first.indexOf(p) < 0; }).slice(0, MAX_PROCS - first.length));
      shown.sort(function (a, b) { return a - b; });
    }
    shown.forEach(function (pid) {
      var p = state.procs.get(pid);
      var card = el('div', 'proc' + (pid === state.cur ? ' current' : '') + (c.procs.has(pid) ? ' new' : ''));
      card.style.setProperty('--pc', colour(pid));
      card.dataset.pid = pid;
      card.appendChild(el('div', 'title', 'PID ' + pid));
      card.appendChild(el('div', 'root', (M.directory ? 'directory' : 'page table') + ' in frame ' + p.root));
      var dirs = Array.from(p.tables.keys()).sort(function (a, b) { return a - b; });
      dirs.forEach(function (dir) {
        var t = p.tables.get(dir);
        var leaf = el('div', 'leaf' + (c.tables.has(pid + ':' + dir) ? ' changed' : ''));
        leaf.dataset.dir = dir;
        if (M.directory) leaf.appendChild(el('div', 'head', 'directory[' + dir + '] \u2192 table in frame ' + t.frame));
        var tab = el('table', 'entries');
        var rows = 0, hidden = 0;
        for (var v = t.first; v < t.first + t.size; v++) {
          var e = p.entries.get(v), key = pid + ':' + v;
          if (!e) continue;
          if (rows >= MAX_ROWS && !c.entries.has(key)) { hidden++; continue; }
          rows++;
          var count = state.counts.get(e[0]) || 0;
          var tr = el('tr', 'entry' + (e[1] & F.COW ? ' cow' : '') + (count > 1 ? ' shared' : '') + (c.entries.has(key) ? ' changed' : ''));
          tr.dataset.pid = pid; tr.dataset.vpn = v; tr.dataset.frame = e[0]; tr.dataset.flags = letters(e[1]);
          var idx = M.directory ? String(dir).padStart(2, '0') + ':' + String(v - t.first).padStart(2, '0') : String(v - t.first);
          [idx, 'vpn ' + v, '\u2192', String(e[0]), letters(e[1])].forEach(function (s, i) {
            tr.appendChild(el('td', ['idx', 'vpn', 'arrow', 'frame', 'flags'][i], s));
          });
          tab.appendChild(tr);
        }
        c.removed.forEach(function (x) {
          if (x[0] === pid && x[1] >= t.first && x[1] < t.first + t.size) {
            var tr = el('tr', 'removed changed');
            tr.dataset.pid = pid; tr.dataset.vpn = x[1];
            ['', 'vpn ' + x[1], '\u2192', 'freed', ''].forEach(function (s) { tr.appendChild(el('td', '', s)); });
            tab.appendChild(tr);
          }
        });
        if (tab.childNodes.length) leaf.appendChild(tab); else leaf.appendChild(el('div', 'more', 'no valid entries'));
        if (hidden) leaf.appendChild(el('div', 'more', hidden + ' more valid entries'));
        card.appendChild(leaf);
      });
      box.appendChild(card);
    });
    if (shown.length < pids.length) box.appendChild(el('div', 'more', (pids.length - shown.length) + ' more processes not shown'));
  }
  // Cells for a range of frames: every frame when few, else the used ones with gaps collapsed.
  function drawGrid(box, range, used, cell) {
    box.textContent = '';
    var all = range.count <= MAX_CELLS;
    var list = all ? null : Array.from(used).sort(function (a, b) { return a - b; });
    var cells = 0, prev = range.first - 1;
    function gap(from, to) {
      if (to >= from) box.appendChild(el('div', 'cell gap', (to - from + 1) + ' free'));
    }
    if (all) {
      for (var f = range.first; f < range.first + range.count; f++) box.appendChild(cell(f));
      return;
    }
    for (var i = 0; i < list.length && cells < MAX_CELLS; i++, cells++) {
      gap(prev + 1, list[i] - 1);
      box.appendChild(cell(list[i]));
      prev = list[i];
    }
    if (cells < list.length) box.appendChild(el('div', 'cell gap', (list.length - cells) + ' more used'));
    else gap(prev + 1, range.first + range.count - 1);
  }
  function drawFrames(c) {
    var own = owners();
    drawGrid($('frames'), M.user_frames, state.counts.keys(), function (f) {
      var count = state.counts.get(f) || 0, o = own.get(f);
      var d = el('div', 'cell' + (count ? '' : ' free') + (count > 1 ? ' shared' : '') + (o && o.cow ? ' cow' : '') + (c.frames.has(f) ? ' changed' : ''));
      d.dataset.frame = f; d.dataset.count = count;
      d.appendChild(el('div', 'n', String(f)));
      if (count) {
        d.appendChild(el('div', 'c', '\u00d7' + count));
        var pids = o ? o.pids : [];
        d.dataset.owners = pids.join(' ');
        d.title = 'frame ' + f + ': mapped ' + count + ' time(s) by PID ' + pids.join(', ') + (o && o.cow ? ' (copy-on-write)' : '');
        if (pids.length === 1) d.style.background = colour(pids[0]);
        else if (pids.length > 1) {
          var stops = pids.map(function (p, i) { return colour(p) + ' ' + (i * 100 / pids.length) + '% ' + ((i + 1) * 100 / pids.length) + '%'; });
          d.style.background = 'linear-gradient(135deg, ' + stops.join(', ') + ')';
        }
      } else {
        d.title = 'frame ' + f + ': free';
      }
      return d;
    });
    var tables = new Map();
    state.procs.forEach(function (p, pid) {
      tables.set(p.root, [pid, M.directory ? 'dir' : 'table']);
      if (M.directory) p.tables.forEach(function (t, dir) { tables.set(t.frame, [pid, '[' + dir + ']']); });
    });
    drawGrid($('kframes'), M.kernel_frames, tables.keys(), function (f) {
      var t = tables.get(f);
      var d = el('div', 'cell' + (t ? '' : ' free') + (c.frames.has(f) ? ' changed' : ''));
      d.dataset.frame = f;
      d.appendChild(el('div', 'n', String(f)));
      if (t) {
        d.appendChild(el('div', 'c', 'P' + t[0] + ' ' + t[1]));
        d.style.background = colour(t[0]);
        d.title = 'frame ' + f + ': page table of PID ' + t[0];
      }
      return d;
    });
  }
  function drawLegend() {
    var box = $('legend');
    box.textContent = '';
    function item(cls, label, style) {
      var s = el('span', 'item'), c = el('span', 'cell ' + cls);
      if (style) c.style.background = style;
      s.appendChild(c); s.appendChild(document.createTextNode(label));
      box.appendChild(s);
    }
    Array.from(state.procs.keys()).sort(function (a, b) { return a - b; }).slice(0, 12).forEach(function (pid) { item('', 'PID ' + pid, colour(pid)); });
    item('shared', 'shared (map count > 1)');
    item('cow', 'copy-on-write');
    item('free', 'free');
    item('changed', 'changed at this step');
  }
  function drawTlb(c) {
    if (!M.tlb) return;
    $('tlb-box').hidden = false;
    var t = $('tlb');
    t.textContent = '';
    t.className = 'mono' + (c.tlb ? ' changed' : '');
    var h = el('tr');
    ['#', 'VPN', 'frame'].forEach(function (s) { h.appendChild(el('th', '', s)); });
    t.appendChild(h);
    state.tlb.forEach(function (x, i) {
      var tr = el('tr');
      [String(i), String(x[0]), String(x[1])].forEach(function (s) { tr.appendChild(el('td', '', s)); });
      t.appendChild(tr);
    });
    if (!state.tlb.length) { var tr = el('tr'); tr.appendChild(el('td', 'more', 'empty')); t.appendChild(tr); }
  }
  function drawStats(c) {
    var t = $('stats');
    t.textContent = '';
    data.stats.forEach(function (name, i) {
      var tr = el('tr', c.stats.has(i) ? 'changed' : '');
      tr.appendChild(el('td', '', name));
      tr.appendChild(el('td', 'v', String(state.stats[i])));
      t.appendChild(tr);
    });
    var tr = el('tr', c.cur ? 'changed' : '');
    tr.appendChild(el('td', '', 'current process'));
    tr.appendChild(el('td', 'v', state.cur < 0 ? 'none' : String(state.cur)));
    t.appendChild(tr);
  }

  var slider = $('slider');
  function show(n) {
    n = Math.max(0, Math.min(N, n | 0));
    seek(n);
    var c = changes(n);
    drawScript(n); drawOutput(n); drawProcesses(c); drawFrames(c); drawLegend(); drawTlb(c); drawStats(c);
    slider.value = n;
    $('where').textContent = 'step ' + n + ' of ' + N + (n > 0 ? ' (line ' + n + ')' : '');
    document.body.dataset.step = n;
    var hash = '#step=' + n;
    if (location.hash !== hash) history.replaceState(null, '', hash);
  }
  function fromHash() {
    var m = /step=(\d+)/.exec(location.hash);
    return m ? parseInt(m[1], 10) : 0;
  }

  var timer = null;
  function play() {
    if (timer) { clearInterval(timer); timer = null; $('play').textContent = '\u25B6\uFE0E play'; return; }
    if (at >= N) show(0);
    $('play').textContent = '\u275A\u275A pause';
    timer = setInterval(function () { if (at >= N) play(); else show(at + 1); }, 400);
  }
  $('first').addEventListener('click', function () { show(0); });
  $('prev').addEventListener('click', function () { show(at - 1); });
  $('next').addEventListener('click', function () { show(at + 1); });
  $('last').addEventListener('click', function () { show(N); });
  $('play').addEventListener('click', play);
  slider.addEventListener('input', function () { show(parseInt(slider.value, 10)); });
  document.addEventListener('keydown', function (ev) {
    if (ev.target === slider || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    var big = ev.shiftKey ? 10 : 1;
    if (ev.key === 'ArrowLeft') show(at - big);
    else if (ev.key === 'ArrowRight') show(at + big);
    else if (ev.key === 'Home') show(0);
    else if (ev.key === 'End') show(N);
    else if (ev.key === 'PageUp') show(at - 100);
    else if (ev.key === 'PageDown') show(at + 100);
    else if (ev.key === ' ') play();
    else return;
    ev.preventDefault();
  });
  window.addEventListener('hashchange', function () { show(fromHash()); });
  show(fromHash());
})();
