import type { Unit, UnitStore } from "@factory/core";

/** The dashboard's data: the seed's sections, without secrets. */
export async function dashboardSnapshot(store: UnitStore, signal: AbortSignal, now: Date) {
  const units = await store.listUnits(
    { status: ["building", "ready", "failed", "stuck"], limit: 2000 },
    { signal },
  );
  const labeled = await store.listUnits({ status: "labeled", limit: 10 }, { signal });
  const view = (u: Unit) => ({
    mac: u.mac,
    port: u.port ?? null,
    stage: u.stage ?? null,
    serial: u.serial ?? null,
    started: u.createdAt.toISOString(),
    last_heartbeat: u.lastHeartbeat?.toISOString() ?? null,
    failed_tests: u.failedTests ?? [],
    reason: u.failedTests?.length
      ? `${u.failedTests.join(", ")} failed`
      : (u.errorLog?.split("\n")[0]?.slice(0, 200) ?? null),
    labeled_at: u.labeledAt?.toISOString() ?? null,
  });
  const byPort = (a: Unit, b: Unit) =>
    (a.port ?? "").localeCompare(b.port ?? "", undefined, { numeric: true }) || a.mac.localeCompare(b.mac);
  const pick = (s: Unit["status"]) =>
    units
      .filter((u) => u.status === s)
      .sort(byPort)
      .map(view);
  return {
    now: now.toISOString(),
    building: pick("building"),
    ready: pick("ready"),
    failed: pick("failed"),
    stuck: pick("stuck"),
    labeled: labeled.map(view),
  };
}

/** The dashboard page: static HTML + script; data comes from /api/dashboard and /api/events with the operator's token. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Factory dashboard</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1b1d21}
header{background:#1b1d21;color:#fff;padding:.6rem 1rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
header h1{font-size:1.1rem;margin:0;flex:1}
#live{font-size:.85rem}#live.on{color:#7ee787}#live.off{color:#ff7b72}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,22rem),1fr));gap:.8rem;padding:.8rem}
section{background:#fff;border-radius:8px;padding:.6rem .8rem;box-shadow:0 1px 2px #0002}
h2{font-size:1rem;margin:.2rem 0 .5rem}h2 .n{float:right;font-weight:normal}
ul{list-style:none;margin:0;padding:0}li{padding:.45rem 0;border-top:1px solid #eee;font-size:.95rem;line-height:1.35}
.mac{font-family:ui-monospace,monospace}.muted{color:#666;font-size:.85rem}
#stuck h2{color:#b42318}#failed h2{color:#b54708}#ready h2{color:#067647}
[hidden]{display:none!important}
form{display:flex;gap:.5rem;padding:1rem;flex-wrap:wrap}input{flex:1;min-width:12rem;font-size:1rem;padding:.5rem}button{font-size:1rem;padding:.5rem 1rem}
</style></head>
<body>
<header><h1>Factory dashboard</h1><span id="live" class="off">connecting…</span></header>
<form id="login" hidden><input id="token" type="password" placeholder="Operator token" autocomplete="current-password"><button>Open</button></form>
<main id="board">
<section id="building"><h2>Active builds <span class="n"></span></h2><ul></ul></section>
<section id="ready"><h2>Ready for labeling <span class="n"></span></h2><ul></ul></section>
<section id="failed"><h2>Failed <span class="n"></span></h2><ul></ul></section>
<section id="stuck"><h2>Stuck <span class="n"></span></h2><ul></ul></section>
<section id="labeled"><h2>Last labeled <span class="n"></span></h2><ul></ul></section>
</main>
<script>
(function(){
var token=localStorage.getItem("factoryToken")||"";var snap=null;var skew=0;var pending=false;
function esc(s){return String(s==null?"":s).replace(/[&<>"']/g,function(c){return"&#"+c.charCodeAt(0)+";"})}
function dur(ms){var s=Math.max(0,Math.floor(ms/1000));var m=Math.floor(s/60);return m>0?m+"m "+(s%60)+"s":s+"s"}
function port(u){return u.port?"Port "+esc(u.port):"<span class=mac>"+esc(u.mac)+"</span>"}
var rows={
 building:function(u,now){return port(u)+": Building… (Stage: "+esc(u.stage||"starting")+") <b class=elapsed data-since='"+esc(u.started)+"'>["+dur(now-Date.parse(u.started))+"]</b><div class='muted mac'>"+esc(u.mac)+"</div>"},
 ready:function(u){return port(u)+": Ready ✓ (awaiting labeling)<div class='muted mac'>"+esc(u.mac)+" · "+esc(u.serial)+"</div>"},
 failed:function(u){return port(u)+": "+esc(u.reason||"failed")+"<div class='muted mac'>"+esc(u.mac)+"</div>"},
 stuck:function(u,now){return port(u)+": no heartbeat for "+dur(now-Date.parse(u.last_heartbeat||u.started))+" (Stage: "+esc(u.stage||"?")+")<div class='muted mac'>"+esc(u.mac)+"</div>"},
 labeled:function(u){return "<span class=mac>"+esc(u.mac)+"</span> → Labeled at "+esc(new Date(u.labeled_at).toLocaleTimeString())+" ✓"}
};
function render(){if(!snap)return;var now=Date.now()-skew;
 Object.keys(rows).forEach(function(k){var sec=document.getElementById(k);var list=snap[k]||[];
  sec.querySelector(".n").textContent=list.length+(list.length===1?" unit":" units");
  sec.querySelector("ul").innerHTML=list.map(function(u){return"<li data-mac='"+esc(u.mac)+"'>"+rows[k](u,now)+"</li>"}).join("")||"<li class=muted>none</li>";});}
function tick(){if(!snap)return;var now=Date.now()-skew;document.querySelectorAll(".elapsed").forEach(function(e){e.textContent="["+dur(now-Date.parse(e.dataset.since))+"]"})}
function auth(){return{headers:{authorization:"Bearer "+token}}}
function load(){return fetch("/api/dashboard",auth()).then(function(r){if(r.status===401||r.status===403){ask();throw new Error("auth")}return r.json()}).then(function(s){snap=s;skew=Date.now()-Date.parse(s.now);render()})}
function later(){if(pending)return;pending=true;setTimeout(function(){pending=false;load().catch(function(){})},150)}
function listen(){var live=document.getElementById("live");
 fetch("/api/events",auth()).then(function(r){if(!r.ok||!r.body)throw new Error("events "+r.status);live.textContent="live";live.className="on";
  var reader=r.body.getReader();var dec=new TextDecoder();var buf="";
  function pump(){return reader.read().then(function(x){if(x.done)throw new Error("closed");buf+=dec.decode(x.value,{stream:true});var i;
   while((i=buf.indexOf("\\n\\n"))>=0){var block=buf.slice(0,i);buf=buf.slice(i+2);if(/^data:/m.test(block))later()}return pump()})}
  return pump()}).catch(function(){live.textContent="reconnecting…";live.className="off";setTimeout(function(){load().catch(function(){});listen()},2000)})}
function ask(){document.getElementById("login").hidden=false}
document.getElementById("login").addEventListener("submit",function(e){e.preventDefault();token=document.getElementById("token").value;localStorage.setItem("factoryToken",token);document.getElementById("login").hidden=true;start()});
function start(){load().then(listen).catch(function(){})}
setInterval(tick,1000);if(token)start();else ask();
})();
</script></body></html>`;
