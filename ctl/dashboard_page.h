/*
 * dashboard_page.h — the dashboard's one page: the tree as a table that
 * redraws from /api/status whenever /events (server-sent events) says
 * something happened, and the last events below it. An upgrade under way
 * shows in a banner and in its row (status' `upgrading`), a release
 * upgrade in the banner from its started event until its done or failed.
 */
#ifndef NINES_CTL_DASHBOARD_PAGE_H
#define NINES_CTL_DASHBOARD_PAGE_H

static const char dashboard_page[] =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Nines</title>\n"
    "<style>body{font:14px system-ui,sans-serif;margin:1.5em;background:#fafafa}"
    "table{border-collapse:collapse}td,th{padding:.25em .8em;text-align:left;border-bottom:1px solid #ddd}"
    ".running,.ok{color:#17803d}.degraded,.starting,.stopping,.restarting{color:#b26b00}"
    ".failed,.idle{color:#c0262d}.stopped{color:#777}#events{font:12px monospace;white-space:pre}"
    ".upgrading{color:#1d5fb4;font-weight:bold}#upgrade{background:#e3edfb;color:#1d5fb4;padding:.4em .8em;"
    "margin:.5em 0;border-left:4px solid #1d5fb4}#upgrade:empty{display:none}"
    "</style></head><body>\n<h1>Nines <span id=\"summary\"></span></h1>\n<div id=\"upgrade\"></div>\n"
    "<table id=\"tree\"><thead><tr><th>Node</th><th>Kind</th><th>State</th><th>Pid</th><th>Version</th>"
    "<th>Restarts</th><th>Window</th><th>Last exit</th></tr></thead><tbody></tbody></table>\n"
    "<h2>Events</h2><div id=\"events\"></div>\n<script>\n"
    "'use strict';\n"
    "function cell(tr,text,cls){const td=document.createElement('td');td.textContent=(text==null?'-':text);"
    "if(cls)td.className=cls;tr.appendChild(td);return td;}\n"
    "function base(p){return p?p.split('/').pop():'?';}\n"
    "function shown(n){if(n.state==='running'&&n.upgrading)return 'upgrading';return (n.state==='idle'&&n.health&&n.health!=='ok')||"
    "(n.state==='running'&&n.health==='degraded')?n.health:n.state;}\n"
    "async function refresh(){const r=await fetch('/api/status');const s=await r.json();"
    "const body=document.querySelector('#tree tbody');body.replaceChildren();"
    "for(const n of s.nodes){const tr=document.createElement('tr');tr.dataset.path=n.path;"
    "const name=cell(tr,(n.depth?n.path.split('/').pop():n.path));name.style.paddingLeft=(0.8+1.5*n.depth)+'em';"
    "cell(tr,n.kind);const st=shown(n);cell(tr,st,st).className+=' state';cell(tr,n.pid);"
    "cell(tr,n.upgrading?(n.version||'-')+' \u2192 '+base(n.upgrading):n.version);"
    "cell(tr,n.restarts);cell(tr,n.window_restarts!==undefined?n.window_restarts+'/'+n.intensity:'-');"
    "cell(tr,n.last_exit);body.appendChild(tr);}"
    "const root=s.nodes.length?s.nodes[0]:{};"
    "document.getElementById('summary').textContent=!s.healthy?'a permanent child is down':"
    "(root.health&&root.health!=='ok'?root.health:'healthy');"
    "const up=s.nodes.filter((n)=>n.upgrading).map((n)=>n.path+' '+(n.upgrading_from||'?')+' \u2192 '+base(n.upgrading));"
    "if(release)up.unshift('release '+release);"
    "document.getElementById('upgrade').textContent=up.length?'Upgrade in progress: '+up.join(', '):'';"
    "document.body.dataset.refreshes=(+(document.body.dataset.refreshes||0)+1);}\n"
    "let release=null;function release_event(t){const m=/event=release_(up|down)grade_(started|done|failed)/.exec(t);"
    "if(!m)return;if(m[2]!=='started'){release=null;return;}"
    "const f=(k)=>{const x=new RegExp('(?:^| )'+k+'=(\"[^\"]*\"|\\\\S+)').exec(t);return x?x[1].replace(/\"/g,''):'?';};"
    "release=f('release')+' '+f('from')+' \u2192 '+f('to');}\n"
    "let pending=null;function soon(){if(!pending)pending=setTimeout(()=>{pending=null;refresh();},100);}\n"
    "refresh().catch((e)=>{document.getElementById('summary').textContent='error: '+e;}).finally(()=>{"
    "const ev=new EventSource('/events');"
    "ev.onmessage=(m)=>{const log=document.getElementById('events');"
    "release_event(m.data);log.textContent=m.data+'\\n'+log.textContent.split('\\n').slice(0,49).join('\\n');soon();};});\n"
    "</script></body></html>\n";

#endif
