// Linli's widget client for resident pages (tablets).
//
// Voila's own front end is a JupyterLab application: about 6 MB of scripts in four rounds of requests
// before the first widget draws (3.1 s for a page with one button on a 2-core laptop, preheated). A
// resident page needs much less: a kernel connection, the widget manager, the standard controls and
// the map. This file is that, and nothing else (an eighth of the bytes, loaded from the page's
// <head> while the kernel still runs the page). Staff pages keep Voila's front end.
//
// What it does, in order: as soon as the page config names the page's kernel (Voila writes it before the
// kernel runs the page), connect to it and build each widget's model from the kernel's own announcement
// (comm_open) while the page is still being built; once the page has arrived, fetch whatever was built
// before the connection (all of it for a preheated kernel: every state in one message over ipywidgets'
// control comm), and draw each output of the page where Voila left it. It keeps what Voila's front end did for a page: the same websocket (the server's
// kernel cap, idle culler and "connection lost" notice see no difference), the shutdown beacon when the
// page closes, reconnection after a short network blip (the server keeps the kernel's messages for the
// same session meanwhile).

import { ManagerBase } from '@jupyter-widgets/base-manager';
import * as base from '@jupyter-widgets/base';
import * as controls from '@jupyter-widgets/controls';
import * as leaflet from './leaflet-models.js';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import '@jupyter-widgets/controls/css/widgets-base.css';

const MODULES = {
  '@jupyter-widgets/base': base,
  '@jupyter-widgets/controls': controls,
  'jupyter-leaflet': leaflet,
};
const WIDGET_VIEW = 'application/vnd.jupyter.widget-view+json';
const CONTROL_TARGET = 'jupyter.widget.control';  // ipywidgets' channel for every state at once
const CONTROL_VERSION = '1.0.0';
const PROTOCOL = '5.3';
const RETRY_MS = [250, 500, 1000, 2000, 4000, 8000, 8000, 8000];  // then the page says the connection is lost

function uuid() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function english() {
  return new URLSearchParams(window.location.search).get('lang') === 'en';
}

// Jupyter's websocket framing for a message with binary buffers: a count, offsets, the JSON, the buffers.
function pack(msg, buffers) {
  const parts = [new TextEncoder().encode(JSON.stringify(msg))].concat(buffers.map((b) =>
    b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
  const head = 4 * (parts.length + 1);
  const out = new Uint8Array(head + parts.reduce((n, p) => n + p.byteLength, 0));
  const view = new DataView(out.buffer);
  view.setUint32(0, parts.length);
  let at = head;
  parts.forEach((p, i) => { view.setUint32(4 * (i + 1), at); out.set(p, at); at += p.byteLength; });
  return out.buffer;
}

function unpack(buf) {
  const view = new DataView(buf);
  const n = view.getUint32(0);
  const offsets = [];
  for (let i = 0; i < n; i++) { offsets.push(view.getUint32(4 * (i + 1))); }
  offsets.push(buf.byteLength);
  const msg = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, offsets[0], offsets[1] - offsets[0])));
  msg.buffers = [];
  for (let i = 1; i < n; i++) { msg.buffers.push(new DataView(buf.slice(offsets[i], offsets[i + 1]))); }
  return msg;
}

class Kernel {
  constructor(url) {
    this.url = url;
    this.session = uuid();
    this.replies = new Map();  // msg_id -> callbacks of the message it answers
    this.comms = new Map();
    this.onCommOpen = () => {};
    this.queue = [];
    this.tries = 0;
    this.closing = false;
    this.opened = new Promise((resolve) => { this._opened = resolve; });
    this.connect();
  }

  connect() {
    const ws = new WebSocket(`${this.url}?session_id=${this.session}`);
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      this.tries = 0;
      const waiting = this.queue;
      this.queue = [];
      waiting.forEach((frame) => ws.send(frame));
      this._opened();
    };
    ws.onmessage = (e) => this.receive(typeof e.data === 'string' ? JSON.parse(e.data) : unpack(e.data));
    ws.onclose = () => {
      if (this.closing || this.tries >= RETRY_MS.length) { return; }
      window.setTimeout(() => this.connect(), RETRY_MS[this.tries++]);
    };
    this.ws = ws;
  }

  send(channel, msgType, content, metadata, buffers, callbacks) {
    const msg = {
      header: { msg_id: uuid(), username: '', session: this.session, msg_type: msgType, version: PROTOCOL,
                date: new Date().toISOString() },
      parent_header: {}, metadata: metadata || {}, content, channel,
    };
    if (callbacks) { this.replies.set(msg.header.msg_id, { ...callbacks }); }
    let frame;
    if (buffers && buffers.length) { frame = pack(msg, buffers); } else { msg.buffers = []; frame = JSON.stringify(msg); }
    if (this.ws.readyState === WebSocket.OPEN) { this.ws.send(frame); } else { this.queue.push(frame); }
    return msg.header.msg_id;
  }

  receive(msg) {
    const type = msg.header.msg_type;
    const content = msg.content || {};
    if (type === 'comm_open') { this.onCommOpen(msg); }
    if (type === 'comm_msg' || type === 'comm_close') {
      const comm = this.comms.get(content.comm_id);
      if (comm) { comm.receive(type, msg); }
    }
    const parent = (msg.parent_header || {}).msg_id;
    const cb = parent && this.replies.get(parent);
    if (!cb) { return; }
    // The reply (shell) and the kernel's "idle" (iopub) come on two sockets, in either order: the
    // callbacks are dropped only once both have come.
    if (msg.channel === 'shell') {
      cb.replied = true;
      if (cb.idle) { this.replies.delete(parent); }
      if (cb.shell && cb.shell.reply) { cb.shell.reply(msg); }
    } else if (msg.channel === 'iopub') {
      if (type === 'status') {
        if (cb.iopub && cb.iopub.status) { cb.iopub.status(msg); }
        if (content.execution_state === 'idle') {
          cb.idle = true;
          if (cb.replied) { this.replies.delete(parent); }
        }
      } else if (cb.iopub && cb.iopub.output) {
        cb.iopub.output(msg);
      }
    }
  }

  request(msgType, content) {
    return new Promise((resolve) => this.send('shell', msgType, content, {}, [], { shell: { reply: resolve } }));
  }
}

// The comm interface ipywidgets' models talk to (IClassicComm).
class Comm {
  constructor(kernel, targetName, commId) {
    this.kernel = kernel;
    this.target_name = targetName;
    this.comm_id = commId;
    this._onMsg = null;
    this._onClose = null;
    this._early = [];  // messages that came before the model attached its handler (it is built asynchronously)
    kernel.comms.set(commId, this);
  }

  open(data, callbacks, metadata, buffers) {
    return this.kernel.send('shell', 'comm_open', { comm_id: this.comm_id, target_name: this.target_name, data: data || {} },
      metadata, buffers, callbacks);
  }

  send(data, callbacks, metadata, buffers) {
    return this.kernel.send('shell', 'comm_msg', { comm_id: this.comm_id, data }, metadata, buffers, callbacks);
  }

  close(data, callbacks, metadata, buffers) {
    this.kernel.comms.delete(this.comm_id);
    return this.kernel.send('shell', 'comm_close', { comm_id: this.comm_id, data: data || {} }, metadata, buffers, callbacks);
  }

  on_msg(callback) {
    this._onMsg = callback;
    this._flush();
  }

  on_close(callback) {
    this._onClose = callback;
    this._flush();
  }

  _flush() {
    const early = this._early;
    this._early = [];
    early.forEach(([type, msg]) => this.receive(type, msg));
  }

  receive(type, msg) {
    if (type === 'comm_close') {
      if (!this._onClose) { this._early.push([type, msg]); return; }
      this.kernel.comms.delete(this.comm_id);
      this._onClose(msg);
    } else if (this._onMsg) {
      this._onMsg(msg);
    } else {
      this._early.push([type, msg]);
    }
  }
}

class Manager extends ManagerBase {
  constructor(kernel) {
    super();
    this.kernel = kernel;
    this.announced = 0;  // models built from the kernel's comm_open while the page was being built
    this.registered = new Promise((resolve) => { this._registered = resolve; });  // every model the kernel had
    kernel.onCommOpen = (msg) => {
      const c = msg.content;
      if (c.target_name === this.comm_target_name) {
        this.announced += 1;
        this.handle_comm_open(new Comm(kernel, c.target_name, c.comm_id), msg);
      }
    };
  }

  // Once the page has arrived: build the models the kernel made before this client connected. Some
  // came announced (on demand): ask which models the kernel has; usually none is missing. None came
  // (a preheated kernel), or some are missing: every state in one message over ipywidgets' control comm.
  async catchUp() {
    try {
      if (this.announced) {
        const listed = Object.keys(await this._get_comm_info());
        if (listed.every((id) => this.has_model(id))) { return; }
      }
      const states = await this._states();
      // new_model registers each model at once, before any of them reads its state (which names others).
      const building = Object.keys(states).filter((id) => !this.has_model(id)).map((id) => this.new_model({
        model_name: states[id].model_name, model_module: states[id].model_module,
        model_module_version: states[id].model_module_version, model_id: id,
        comm: new Comm(this.kernel, this.comm_target_name, id),
      }, states[id].state).catch((err) => console.error('Linli: a widget model could not be built', err)));
      this._registered();  // announced models waiting for one of these go on now, not when all are built:
      await Promise.all(building);  // a fetched container may hold an announced child that waits
    } finally {
      this._registered();
    }
  }

  // Every widget's state, with its binary buffers put back in place, by model id.
  async _states() {
    const comm = await this._create_comm(CONTROL_TARGET, uuid(), {}, { version: CONTROL_VERSION });
    const msg = await new Promise((resolve, reject) => {
      comm.on_msg((reply) => { if (reply.content.data.method === 'update_states') { resolve(reply); } });
      comm.on_close(() => reject(new Error('the kernel closed the widget control channel')));
      comm.send({ method: 'request_states' }, {});
    });
    comm.close();
    const { states, buffer_paths: paths = [] } = msg.content.data;
    const byModel = {};
    paths.forEach(([id, ...path], i) => {
      byModel[id] = byModel[id] || { paths: [], buffers: [] };
      byModel[id].paths.push(path);
      byModel[id].buffers.push(msg.buffers[i]);
    });
    Object.entries(byModel).forEach(([id, b]) => { if (states[id]) { base.put_buffers(states[id].state, b.paths, b.buffers); } });
    return states;
  }

  // An announced model may name a model built before the connection: it is registered once catchUp()
  // has the kernel's states (ManagerBase would give up at once). After that, unknown means gone (closed).
  async get_model(modelId) {
    if (!this.has_model(modelId)) { await this.registered; }
    return super.get_model(modelId);
  }

  async loadClass(className, moduleName, moduleVersion) {
    const module = MODULES[moduleName];
    if (!module || !module[className]) {
      throw new Error(`widget class ${moduleName}@${moduleVersion} ${className} is not in Linli's resident bundle`);
    }
    return module[className];
  }

  async _create_comm(targetName, modelId, data, metadata, buffers) {
    const comm = new Comm(this.kernel, targetName, modelId || uuid());
    if (data || metadata) { comm.open(data, {}, metadata, buffers); }
    return comm;
  }

  async _get_comm_info() {
    const reply = await this.kernel.request('comm_info_request', { target_name: this.comm_target_name });
    return reply.content.comms;
  }
}

function failed(where) {
  const box = document.createElement('div');
  box.className = 'linli-hint linli-render-failed';
  box.setAttribute('role', 'alert');
  box.textContent = english()
    ? 'Part of this page could not be shown. Reload the page.'
    : '页面的一部分无法显示，请刷新页面。';
  where.appendChild(box);
}

const attached = new Set();
window.addEventListener('resize', () => {  // a map redraws its tiles for a rotated tablet
  attached.forEach((w) => MessageLoop.postMessage(w, Widget.ResizeMessage.UnknownSize));
});

async function draw(manager, tag) {
  let output;
  try { output = JSON.parse(tag.textContent); } catch (e) { return; }
  const data = output.data || {};
  const el = document.createElement('div');
  el.className = 'lm-Widget lm-Panel jp-OutputArea-output';  // as Voila's front end names an output
  tag.after(el);
  if (data[WIDGET_VIEW]) {
    try {
      const model = await manager.get_model(data[WIDGET_VIEW].model_id);
      const view = await manager.create_view(model);
      Widget.attach(view.luminoWidget, el);
      attached.add(view.luminoWidget);
      view.once('remove', () => attached.delete(view.luminoWidget));
    } catch (err) {
      console.error('Linli: a widget could not be drawn', err);
      failed(el);
    }
  } else if (data['text/html']) {
    el.innerHTML = data['text/html'];  // the page's own output, as Voila's front end shows it
  } else if (output.output_type === 'stream' || data['text/plain']) {
    const pre = document.createElement('pre');
    pre.textContent = output.text || data['text/plain'];
    el.appendChild(pre);
  }
}

function shown() {
  const loading = document.getElementById('loading');
  if (loading) { loading.remove(); }
  const cells = document.getElementById('rendered_cells');
  if (cells) { cells.style.display = ''; }
}

// The page config (with the kernel's id) as soon as it has arrived: this module runs as soon as it is
// loaded (async), usually while the kernel still runs the page and the rest of the page is still coming.
function pageConfig() {
  const read = () => {
    const tag = document.getElementById('jupyter-config-data');
    if (!tag || (!tag.nextSibling && document.readyState === 'loading')) { return null; }  // not there, or not all of it yet
    try { return JSON.parse(tag.textContent); } catch (e) { return null; }
  };
  return new Promise((resolve) => {
    const now = read();
    if (now) { resolve(now); return; }
    const done = (config) => { watcher.disconnect(); document.removeEventListener('DOMContentLoaded', last); resolve(config); };
    const watcher = new MutationObserver(() => { const config = read(); if (config) { done(config); } });
    const last = () => { done(read()); };  // the whole page is here: the config, or none (main() then says so)
    watcher.observe(document.documentElement, { childList: true, subtree: true });
    document.addEventListener('DOMContentLoaded', last);
  });
}

function pageArrived() {
  if (document.readyState !== 'loading') { return Promise.resolve(); }
  return new Promise((resolve) => document.addEventListener('DOMContentLoaded', resolve, { once: true }));
}

async function main() {
  const config = await pageConfig();
  if (!config) { throw new Error('the page names no kernel'); }
  performance.mark('linli:config');
  const baseUrl = config.baseUrl || '/';
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  const kernel = new Kernel(`${scheme}//${window.location.host}${baseUrl}api/kernels/${config.kernelId}/channels`);
  window.addEventListener('beforeunload', () => {  // the server ends the page's kernel at once
    kernel.closing = true;
    const form = new FormData();
    const xsrf = document.cookie.match('\\b_xsrf=([^;]*)\\b');
    form.append('_xsrf', (xsrf && xsrf[1]) || '');
    window.navigator.sendBeacon(`${baseUrl}voila/api/shutdown/${config.kernelId}`, form);
  });
  const manager = new Manager(kernel);  // from the first message on: the kernel announces each model it builds
  kernel.opened.then(() => performance.mark('linli:connected'));
  pageArrived().then(() => performance.mark('linli:arrived'));
  await Promise.all([kernel.opened, pageArrived()]);
  await manager.catchUp();
  performance.mark('linli:caught-up');
  // For the tests and anyone curious (devtools): how many models came announced, how many fetched after.
  document.documentElement.dataset.linliWidgets = `${manager.announced} announced, ${Object.keys(manager._models).length - manager.announced} fetched`;
  const tags = Array.from(document.querySelectorAll('script[type="application/vnd.voila.cell-output+json"]'));
  await Promise.all(tags.map((tag) => draw(manager, tag)));
  shown();
  performance.mark('linli:drawn');
}

main().catch((err) => {
  console.error('Linli: the page could not start', err);
  shown();
  failed(document.getElementById('rendered_cells') || document.body);
});
