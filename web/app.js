// snitch-web's page. Every name from the log reaches the page through
// textContent only (never markup), as the label the API escaped.
'use strict';

const $ = (id) => document.getElementById(id);
const state = { view: 'overview', range: '7d', period: 0, chart: 'line',
	screen: 'exe', filters: [], sort: 'sent', search: '' };
const charts = {};
let meta = null, liveTimer = null, liveHistory = [], generation = 0;

function human(n) {
	const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
	let i = 0, v = n;
	while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
	return (i === 0 ? String(v) : v.toFixed(1)) + ' ' + units[i];
}

function el(tag, text, cls) {
	const e = document.createElement(tag);
	if (text !== undefined) e.textContent = String(text);
	if (cls) e.className = cls;
	return e;
}

function status(text, error) {
	$('status').textContent = text;
	$('status').className = error ? 'error' : '';
}

async function api(name, params) {
	const r = await fetch('/api/' + name + '?' + params.toString(), { credentials: 'same-origin' });
	const body = await r.json().catch(() => ({ error: 'HTTP ' + r.status }));
	if (!r.ok) throw new Error(body.error || ('HTTP ' + r.status));
	return body;
}

function viewParams(extra) {
	const p = new URLSearchParams({ range: state.range, period: String(state.period) });
	for (const [k, v] of Object.entries(extra || {})) p.set(k, v);
	return p;
}

function exploreParams(extra) {
	const p = viewParams(Object.assign({ screen: state.screen, sort: state.sort, search: state.search }, extra || {}));
	for (const [s, v] of state.filters) p.append('filter', s + '=' + v);
	return p;
}

// ---------------------------------------------------------------- hash

function saveHash() {
	const p = new URLSearchParams({ range: state.range, period: String(state.period), chart: state.chart });
	if (state.view === 'explore') {
		p.set('screen', state.screen);
		p.set('sort', state.sort);
		if (state.search) p.set('search', state.search);
		for (const [s, v] of state.filters) p.append('filter', s + '=' + v);
	}
	history.replaceState(null, '', location.pathname + '#' + state.view + '?' + p.toString());
}

function loadHash() {
	const h = location.hash.slice(1), q = h.indexOf('?');
	const view = q < 0 ? h : h.slice(0, q);
	const p = new URLSearchParams(q < 0 ? '' : h.slice(q + 1));
	state.view = ['overview', 'explore', 'live'].includes(view) ? view : 'overview';
	state.range = p.get('range') || state.range;
	state.period = Number(p.get('period') || 0);
	state.chart = p.get('chart') || state.chart;
	if (p.has('screen')) state.screen = p.get('screen');
	if (p.has('sort')) state.sort = p.get('sort');
	if (p.has('filter') || p.has('screen')) {
		state.filters = p.getAll('filter').map((f) => { const i = f.indexOf('='); return [f.slice(0, i), f.slice(i + 1)]; });
	}
	state.search = p.get('search') || '';
}

// ---------------------------------------------------------------- charts

function fill(series, points, pick) {
	const byTime = new Map(points.map((p) => [p[0], pick(p)]));
	const out = [];
	const first = Math.floor(series.from / series.step) * series.step;
	for (let t = first; t < series.to; t += series.step) out.push({ x: t * 1000, y: byTime.get(t) || 0 });
	return out;
}

const colors = ['#e6550d', '#3182bd', '#31a354', '#756bb1', '#de2d26', '#636363', '#fd8d3c', '#6baed6'];

function datasets(series) {
	if (state.chart === 'stack' && series.stacks.length) {
		const total = (p) => p[2] + p[3];
		const sets = series.stacks.map((s, i) => ({ label: s.label, data: fill(series, s.points, total),
			backgroundColor: colors[i % colors.length], borderColor: colors[i % colors.length], fill: true }));
		const all = fill(series, series.points, total);
		const other = all.map((pt, i) => ({ x: pt.x, y: Math.max(0, pt.y - sets.reduce((a, s) => a + s.data[i].y, 0)) }));
		sets.push({ label: 'other', data: other, backgroundColor: '#bdbdbd', borderColor: '#9e9e9e', fill: true });
		return sets;
	}
	const area = state.chart !== 'line';
	return [
		{ label: 'sent', data: fill(series, series.points, (p) => p[2]), borderColor: colors[0], backgroundColor: colors[0] + '80', fill: area },
		{ label: 'received', data: fill(series, series.points, (p) => p[3]), borderColor: colors[1], backgroundColor: colors[1] + '80', fill: area },
	];
}

function drawChart(id, sets, stacked) {
	if (charts[id]) charts[id].destroy();
	const fmtTime = (v) => new Date(v).toLocaleString();
	charts[id] = new Chart($(id), {
		type: 'line',
		data: { datasets: sets },
		options: {
			animation: false, maintainAspectRatio: false, parsing: true, normalized: true,
			elements: { point: { radius: 0 }, line: { borderWidth: 1.5, tension: 0 } },
			interaction: { mode: 'index', intersect: false },
			scales: {
				x: { type: 'linear', ticks: { callback: fmtTime, maxTicksLimit: 8 } },
				y: { stacked: stacked, beginAtZero: true, ticks: { callback: (v) => human(v) } },
			},
			plugins: { tooltip: { callbacks: { title: (items) => items.length ? fmtTime(items[0].parsed.x) : '',
				label: (c) => c.dataset.label + ': ' + human(c.parsed.y) } } },
		},
	});
	$(id).dataset.drawn = String(sets.reduce((a, s) => a + s.data.length, 0));
}

// ---------------------------------------------------------------- tables

function rowsTable(table, data, onClick, withDetail) {
	table.replaceChildren();
	const head = el('tr');
	for (const h of ['EVENTS', 'SENT', 'RECEIVED', 'LAST_SEEN']) head.append(el('th', h));
	head.append(el('th', data.title, 'key'));
	if (withDetail) head.append(el('th', ''));
	const thead = el('thead'), tbody = el('tbody');
	thead.append(head);
	for (const r of data.rows) {
		const tr = el('tr');
		tr.append(el('td', r.events), el('td', r.sent), el('td', r.recv), el('td', r.last_text), el('td', r.label, 'key'));
		tr.children[1].title = human(r.sent);
		tr.children[2].title = human(r.recv);
		if (onClick) tr.addEventListener('click', () => onClick(r));
		if (withDetail) {
			const b = el('button', 'details');
			b.addEventListener('click', (ev) => { ev.stopPropagation(); showDetail(r.key); });
			const td = el('td');
			td.append(b);
			tr.append(td);
		}
		tbody.append(tr);
	}
	table.append(thead, tbody);
}

// ---------------------------------------------------------------- views

async function overview(gen) {
	// A range of days draws first from whole days (the rollup: fast on any
	// log), then in finer steps.
	const span = (meta.ranges.find((r) => r.id === state.range) || {}).seconds || 0;
	const stack = state.chart === 'stack' ? { screen: 'exe', top: '5' } : {};
	if (span >= 2 * 86400 && span <= 8 * 86400 && state.chart !== 'stack') {
		const days = await api('series', viewParams({ step: '86400' }));
		if (gen !== generation) return;
		drawChart('overview-chart', datasets(days), false);
	}
	const [exe, domain] = await Promise.all([api('rows', viewParams({ screen: 'exe', limit: '10' })),
		api('rows', viewParams({ screen: 'domain', limit: '10' }))]);
	if (gen !== generation) return;
	const t = exe.totals;
	$('kpi-sent').textContent = human(t.sent);
	$('kpi-sent-bytes').textContent = t.sent + ' bytes';
	$('kpi-recv').textContent = human(t.recv);
	$('kpi-recv-bytes').textContent = t.recv + ' bytes';
	$('kpi-total').textContent = human(t.sent + t.recv);
	$('kpi-total-bytes').textContent = (t.sent + t.recv) + ' bytes';
	$('kpi-events').textContent = t.events;
	$('kpi-exes').textContent = exe.count;
	$('kpi-domains').textContent = domain.count;
	rowsTable($('top-exe'), exe, (r) => { state.view = 'explore'; state.filters = [['exe', r.key]]; state.screen = exe.drill; go(); });
	rowsTable($('top-domain'), domain, (r) => { state.view = 'explore'; state.filters = [['domain', r.key]]; state.screen = domain.drill; go(); });
	const series = await api('series', viewParams(stack));
	if (gen !== generation) return;
	drawChart('overview-chart', datasets(series), state.chart === 'stack');
	status(exe.range_label);
}

async function explore(gen) {
	const rows = await api('rows', exploreParams());
	if (gen !== generation) return;
	const nav = $('screens');
	nav.replaceChildren();
	for (const id of rows.screens) {
		const s = meta.screens.find((x) => x.id === id);
		const b = el('button', s ? s.title : id, id === rows.screen ? 'active' : '');
		b.dataset.screen = id;
		b.addEventListener('click', () => { state.screen = id; go(); });
		nav.append(b);
	}
	const chips = $('filters');
	chips.replaceChildren();
	rows.filters.forEach((f, i) => {
		const s = meta.screens.find((x) => x.id === f.screen);
		const chip = el('span', (s ? s.title : f.screen) + ': ' + f.label + ' \u2715');
		chip.title = 'remove this filter and those after it';
		chip.addEventListener('click', () => { state.screen = f.screen; state.filters = state.filters.slice(0, i); go(); });
		chips.append(chip);
	});
	$('explore-summary').textContent = rows.count + ' rows, ' + rows.range_label + ': ' + human(rows.totals.sent) +
		' sent, ' + human(rows.totals.recv) + ' received, ' + rows.totals.events + ' events';
	rowsTable($('explore-rows'), rows, (r) => { state.filters.push([rows.screen, r.key]); state.screen = rows.drill; state.search = ''; go(); },
		rows.screen === 'exe');
	$('detail').hidden = true;
	status(rows.range_label);
	if (rows.screen === 'time') {
		const series = await api('series', exploreParams());
		if (gen === generation) drawChart('explore-chart', datasets(series), false);
		return;
	}
	const series = await api('series', exploreParams(state.chart === 'stack' ? { top: '5' } : {}));
	if (gen === generation) drawChart('explore-chart', datasets(series), state.chart === 'stack');
}

async function showDetail(exe) {
	const d = await api('detail', new URLSearchParams({ exe }));
	const box = $('detail');
	box.replaceChildren(el('h2', d.label));
	for (const h of d.hashes) box.append(el('div', 'sha256: ' + (h.sha256 ? h.label : '(none)') + '  ' + h.verdict));
	for (const p of d.parents) box.append(el('div', 'parent: ' + p.label));
	box.append(el('div', 'first seen: ' + d.first_text), el('div', 'last seen: ' + d.last_text));
	box.hidden = false;
}

async function live(gen) {
	const d = await api('live', new URLSearchParams());
	if (gen !== generation) return;
	if (!d.enabled) {
		$('live-summary').textContent = 'No event stream: start snitch-web with --live and events on its input ' +
			'(sudo snitch-trace | sudo snitch-hash | snitch-web --live).';
		return;
	}
	$('live-summary').textContent = d.processes.length + ' processes, ' + d.lines + ' lines' +
		(d.unreadable ? ', ' + d.unreadable + ' unreadable' : '') + ', rates over ' + d.window + ' s' + (d.ended ? ', input ended' : '');
	const table = $('live-rows');
	table.replaceChildren();
	const head = el('tr');
	for (const h of ['PID', 'NAME', 'SENT/S', 'RECV/S', 'SENT', 'RECEIVED', 'EXECUTABLE']) head.append(el('th', h, h === 'NAME' || h === 'EXECUTABLE' ? 'key' : ''));
	const thead = el('thead'), tbody = el('tbody');
	thead.append(head);
	let s = 0, r = 0;
	for (const p of d.processes) {
		const tr = el('tr');
		tr.append(el('td', p.pid), el('td', p.comm_label, 'key'), el('td', human(Math.round(p.sent_rate)) + '/s'),
			el('td', human(Math.round(p.recv_rate)) + '/s'), el('td', p.sent), el('td', p.recv), el('td', p.exe_label, 'key'));
		tbody.append(tr);
		s += p.sent_rate;
		r += p.recv_rate;
	}
	table.append(thead, tbody);
	liveHistory.push({ x: Date.now(), s, r });
	if (liveHistory.length > 150) liveHistory.shift();
	drawChart('live-chart', [
		{ label: 'sent/s', data: liveHistory.map((h) => ({ x: h.x, y: h.s })), borderColor: colors[0], fill: false },
		{ label: 'received/s', data: liveHistory.map((h) => ({ x: h.x, y: h.r })), borderColor: colors[1], fill: false },
	], false);
	status('live');
}

async function go() {
	const gen = ++generation;
	saveHash();
	for (const v of ['overview', 'explore', 'live']) {
		$(v).hidden = v !== state.view;
		$('tab-' + v).className = v === state.view ? 'active' : '';
	}
	$('range').value = state.range;
	$('period').value = String(state.period);
	$('chart-type').value = state.chart;
	$('sort').value = state.sort;
	$('search').value = state.search;
	clearInterval(liveTimer);
	document.body.dataset.ready = '';
	try {
		if (state.view === 'overview') await overview(gen);
		else if (state.view === 'explore') await explore(gen);
		else {
			await live(gen);
			liveTimer = setInterval(() => live(gen).catch((e) => status(e.message, true)), 2000);
		}
		if (gen === generation) document.body.dataset.ready = state.view;
	} catch (e) {
		status(e.message, true);
	}
}

async function start() {
	// The token is in the cookie now: keep it out of the address bar and history.
	if (location.search) history.replaceState(null, '', location.pathname + location.hash);
	meta = await api('meta', new URLSearchParams());
	for (const r of meta.ranges) $('range').append(el('option', r.id));
	for (const s of meta.sorts) $('sort').append(el('option', s));
	loadHash();
	window.addEventListener('hashchange', () => { loadHash(); go(); });
	$('range').addEventListener('change', (e) => { state.range = e.target.value; state.period = 0; go(); });
	$('period').addEventListener('change', (e) => { state.period = Math.max(0, Number(e.target.value) || 0); go(); });
	$('chart-type').addEventListener('change', (e) => { state.chart = e.target.value; go(); });
	$('sort').addEventListener('change', (e) => { state.sort = e.target.value; go(); });
	$('search').addEventListener('change', (e) => { state.search = e.target.value; go(); });
	await go();
}

document.addEventListener('DOMContentLoaded', () => start().catch((e) => status(e.message, true)));
