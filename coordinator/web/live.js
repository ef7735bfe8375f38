// swarmshape live page: polls /state.json (the coordinator's ss_view) and
// draws the target density with the agents moving on it, J over the
// rounds, and the agents most behind. Plain script, no library.
'use strict';

const POLL_MS = 1000;           // between two fetches
const TRAIL = 24;               // positions of each agent kept for its trail
const TABLE_ROWS = 12;          // agents listed (lost first, then the laggards)

const VIRIDIS = [[68, 1, 84], [72, 40, 120], [62, 73, 137], [49, 104, 142],
                 [38, 130, 142], [31, 158, 137], [53, 183, 121], [110, 206, 88],
                 [181, 222, 43], [253, 231, 37]];

const trails = new Map();       // agent id -> [[x...], ...]
let trailsRound = -1;
let gridKey = '';
let gridImage = null;

function $(id) { return document.getElementById(id); }

function colour(t) {
  t = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(t));
  const f = t - i;
  return VIRIDIS[i].map((c, k) => Math.round(c + f * (VIRIDIS[i + 1][k] - c)));
}

function fmt(v, digits) {
  if (v === null || v === undefined) return '-';
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5)) return v.toExponential(2);
  return v.toFixed(digits);
}

// The target density as an image, rebuilt when the target changes
function densityImage(grid) {
  const key = grid.index + ':' + grid.values.length;
  if (key === gridKey && gridImage) return gridImage;
  const n = grid.nq;
  const image = document.createElement('canvas');
  image.width = n;
  image.height = n;
  const ctx = image.getContext('2d');
  const data = ctx.createImageData(n, n);
  const vmax = Math.max(...grid.values.map((v) => v || 0)) || 1;
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      const c = colour((grid.values[j * n + i] || 0) / vmax);
      const at = ((n - 1 - j) * n + i) * 4;       // x2 grows upwards
      data.data.set([c[0], c[1], c[2], 255], at);
    }
  }
  ctx.putImageData(data, 0, 0);
  gridKey = key;
  gridImage = image;
  return image;
}

function remember(state) {
  const pos = state.positions;
  if (pos.round === trailsRound) return;
  trailsRound = pos.round;
  pos.ids.forEach((id, a) => {
    const trail = trails.get(id) || [];
    trail.push(pos.x[a]);
    if (trail.length > TRAIL) trail.shift();
    trails.set(id, trail);
  });
}

function axisLabels(ctx, state, box, two) {
  const [lo, hi] = state.box;
  ctx.fillStyle = '#333';
  ctx.font = '12px sans-serif';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const f of [0, 0.5, 1]) {
    ctx.fillText(fmt(lo + f * (hi - lo), 2), box.x + f * box.w, box.y + box.h + 4);
  }
  ctx.fillText('x1', box.x + box.w / 2, box.y + box.h + 18);
  if (!two) return;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const f of [0, 0.5, 1]) {
    ctx.fillText(fmt(lo + f * (hi - lo), 2), box.x - 4, box.y + box.h - f * box.h);
  }
  ctx.save();
  ctx.translate(box.x - 42, box.y + box.h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.fillText('x2', 0, 0);
  ctx.restore();
}

function drawSwarm(state) {
  const canvas = $('swarm');
  const ctx = canvas.getContext('2d');
  const box = { x: 52, y: 10, w: canvas.width - 64, h: canvas.height - 50 };
  const [lo, hi] = state.box;
  const sx = (v) => box.x + (v - lo) / (hi - lo) * box.w;
  const sy = (v) => box.y + box.h - (v - lo) / (hi - lo) * box.h;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const grid = state.grid;
  if (grid.dim === 2 && grid.values.length) {
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(densityImage(grid), box.x, box.y, box.w, box.h);
    for (const trail of trails.values()) {
      ctx.strokeStyle = 'rgba(255, 255, 255, 0.45)';
      ctx.lineWidth = 1;
      ctx.beginPath();
      trail.forEach((p, k) => (k ? ctx.lineTo(sx(p[0]), sy(p[1])) : ctx.moveTo(sx(p[0]), sy(p[1]))));
      ctx.stroke();
    }
    const r = state.agents > 200 ? 2 : 3.5;
    ctx.fillStyle = '#fff';
    ctx.strokeStyle = '#111';
    state.positions.x.forEach((p) => {
      ctx.beginPath();
      ctx.arc(sx(p[0]), sy(p[1]), r, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    });
  } else if (grid.values.length) {
    // 1-D: the density as a curve, the agents as ticks on the axis
    const n = grid.nq;
    const vmax = Math.max(...grid.values.map((v) => v || 0)) || 1;
    const py = (v) => box.y + box.h - 12 - (v / vmax) * (box.h - 24);
    ctx.fillStyle = 'rgba(49, 104, 142, 0.25)';
    ctx.strokeStyle = 'rgb(49, 104, 142)';
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(sx(lo), py(0));
    grid.values.forEach((v, i) => ctx.lineTo(sx(lo + (i + 0.5) * (hi - lo) / n), py(v || 0)));
    ctx.lineTo(sx(hi), py(0));
    ctx.closePath();
    ctx.fill();
    ctx.stroke();
    ctx.strokeStyle = '#d33';
    ctx.lineWidth = 1;
    state.positions.x.forEach((p) => {
      ctx.beginPath();
      ctx.moveTo(sx(p[0]), box.y + box.h);
      ctx.lineTo(sx(p[0]), box.y + box.h - 10);
      ctx.stroke();
    });
  }
  ctx.strokeStyle = '#888';
  ctx.lineWidth = 1;
  ctx.strokeRect(box.x, box.y, box.w, box.h);
  axisLabels(ctx, state, box, grid.dim === 2);
  $('swarm-caption').textContent = 'target density ' + (state.target ? '(target ' + state.target + ') ' : '')
    + 'on ' + grid.axes + ' and the ' + state.positions.ids.length + ' agents of round '
    + state.positions.round + (state.dim === 3 ? ' (projected on x1, x2)' : '');
}

function niceStep(span, count) {
  const raw = span / Math.max(1, count);
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

function drawCurve(state) {
  const canvas = $('curve');
  const ctx = canvas.getContext('2d');
  const box = { x: 56, y: 10, w: canvas.width - 70, h: canvas.height - 46 };
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const t = state.trace;
  const floor = 1e-12;
  const logs = [];
  t.J.concat(t.disagreement).forEach((v) => { if (v !== null && v > 0) logs.push(Math.log10(Math.max(v, floor))); });
  if (t.round.length === 0 || logs.length === 0) return;
  const r0 = t.round[0];
  const r1 = Math.max(t.round[t.round.length - 1], r0 + 1);
  const ylo = Math.floor(Math.min(...logs));
  const yhi = Math.max(Math.ceil(Math.max(...logs)), ylo + 1);
  const sx = (r) => box.x + (r - r0) / (r1 - r0) * box.w;
  const sy = (v) => box.y + box.h - (Math.log10(Math.max(v, floor)) - ylo) / (yhi - ylo) * box.h;
  ctx.font = '12px sans-serif';
  ctx.fillStyle = '#333';
  ctx.strokeStyle = '#eee';
  ctx.lineWidth = 1;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  const every = Math.max(1, Math.ceil((yhi - ylo) / 8));
  for (let e = ylo; e <= yhi; e += every) {
    const y = sy(Math.pow(10, e));
    ctx.beginPath(); ctx.moveTo(box.x, y); ctx.lineTo(box.x + box.w, y); ctx.stroke();
    ctx.fillText('1e' + e, box.x - 4, y);
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  const step = niceStep(r1 - r0, 6);
  for (let r = Math.ceil(r0 / step) * step; r <= r1; r += step) {
    ctx.fillText(String(r), sx(r), box.y + box.h + 4);
  }
  ctx.fillText('round', box.x + box.w / 2, box.y + box.h + 20);
  ctx.strokeStyle = '#999';
  ctx.setLineDash([2, 3]);
  for (let i = 1; i < t.round.length; i++) {
    if (t.target[i] > t.target[i - 1]) {
      const x = sx(t.round[i]);
      ctx.beginPath(); ctx.moveTo(x, box.y); ctx.lineTo(x, box.y + box.h); ctx.stroke();
    }
  }
  const line = (values, style, dash) => {
    ctx.strokeStyle = style;
    ctx.lineWidth = 2;
    ctx.setLineDash(dash);
    ctx.beginPath();
    let pen = false;
    values.forEach((v, i) => {
      if (v === null || !(v > 0)) { pen = false; return; }
      const x = sx(t.round[i]);
      const y = sy(v);
      if (pen) ctx.lineTo(x, y); else ctx.moveTo(x, y);
      pen = true;
    });
    ctx.stroke();
  };
  line(t.disagreement, 'rgba(200, 120, 0, 0.8)', [6, 4]);
  line(t.J, 'rgb(49, 104, 142)', []);
  ctx.setLineDash([]);
  ctx.strokeStyle = '#888';
  ctx.lineWidth = 1;
  ctx.strokeRect(box.x, box.y, box.w, box.h);
}

function cell(row, text) {
  const td = document.createElement(row.parentNode && row.parentNode.tagName === 'THEAD' ? 'th' : 'td');
  td.textContent = text;
  row.appendChild(td);
}

function drawAgents(state) {
  const table = $('agents');
  const shown = state.members.slice().sort((a, b) => (a.live - b.live) || (b.lag - a.lag) || (a.id - b.id))
    .slice(0, TABLE_ROWS);
  table.replaceChildren();
  const caption = table.createCaption();
  caption.textContent = state.members.length > TABLE_ROWS
    ? 'the ' + TABLE_ROWS + ' of ' + state.members.length + ' agents most behind' : 'agents';
  const head = table.createTHead().insertRow();
  ['agent', 'state', 'round', 'lag', 'epoch', 'drops', 'subst.', 'silent'].forEach((h) => {
    const th = document.createElement('th');
    th.textContent = h;
    head.appendChild(th);
  });
  const body = table.createTBody();
  shown.forEach((m) => {
    const row = body.insertRow();
    if (!m.live) row.className = 'lost';
    [m.id, m.live ? m.state : 'lost', m.round, m.lag, m.epoch, m.drops, m.substitutions,
     m.silent_ms < 0 ? 'never heard' : (m.silent_ms / 1000).toFixed(1) + ' s'].forEach((v) => cell(row, String(v)));
  });
}

function show(state) {
  $('fleet').textContent = state.fleet + ' (' + state.agents + ' agents, ' + state.dim + '-D)';
  $('round').textContent = String(state.round);
  $('rounds').textContent = state.rounds > 0 ? '/' + state.rounds : '';
  $('J').textContent = fmt(state.J, 6);
  $('kl').textContent = fmt(state.kl, 6);
  $('disagreement').textContent = fmt(state.disagreement, 4);
  $('bias').textContent = fmt(state.bias, 4);
  $('live').textContent = state.live + '/' + state.agents + ' live'
    + (state.lost.length ? ' (lost: ' + state.lost.slice(0, 20).join(', ')
       + (state.lost.length > 20 ? ', ...' : '') + ')' : '');
  $('rate').textContent = state.rounds_per_second.toFixed(1);
  $('targets').textContent = String(state.target);
  document.title = 'swarmshape ' + state.fleet + ': round ' + state.round;
  remember(state);
  drawSwarm(state);
  drawCurve(state);
  drawAgents(state);
}

async function poll() {
  let wait = POLL_MS;
  try {
    const response = await fetch('state.json', { cache: 'no-store' });
    if (!response.ok) throw new Error('state.json: HTTP ' + response.status);
    show(await response.json());
    $('problem').textContent = '';
  } catch (e) {
    $('problem').textContent = 'no answer from the coordinator (' + e.message + '); retrying';
    wait = 2 * POLL_MS;
  }
  setTimeout(poll, wait);
}

poll();
