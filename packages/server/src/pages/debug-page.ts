/**
 * The debug station page: units seen on the debug port (address, how it was found, status) and
 * the logs collected from each, live over SSE. Logs are shown as text, never as HTML.
 */
export const DEBUG_PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Debug station</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1b1d21}
header{background:#1b1d21;color:#fff;padding:.6rem 1rem;display:flex;gap:1rem;align-items:center}
header h1{font-size:1.1rem;margin:0;flex:1}header a{color:#9ecbff}
#live.on{color:#7ee787}#live.off{color:#ff7b72}
main{padding:.8rem;display:flex;flex-direction:column;gap:.8rem}
.run{background:#fff;border-radius:8px;padding:.6rem .8rem;box-shadow:0 1px 2px #0002;border-left:6px solid #888}
.run.stored{border-color:#1a7f37}.run.failed{border-color:#b42318}.run.collecting,.run.resolving{border-color:#0b57d0}
.mac{font-family:ui-monospace,monospace}.muted{color:#555;font-size:.9rem}
pre{white-space:pre-wrap;word-break:break-all;background:#0d1117;color:#e6edf3;padding:.6rem;border-radius:6px;max-height:24rem;overflow:auto;font-size:.85rem}
summary{cursor:pointer;padding:.3rem 0;font-family:ui-monospace,monospace}
button{font-size:1rem;padding:.4rem .9rem}
[hidden]{display:none!important}
form{display:flex;gap:.5rem;padding:1rem;flex-wrap:wrap}input{flex:1;min-width:12rem;font-size:1rem;padding:.5rem}
</style></head>
<body>
<header><h1>Debug station <span id="where"></span></h1><a href="/">Dashboard</a><span id="live" class="off">connecting…</span></header>
<form id="login" hidden><input id="token" type="password" placeholder="Operator token" autocomplete="current-password"><button>Open</button></form>
<main id="runs"><p class="muted">No unit on the debug port yet.</p></main>
<script>
(function(){
var token=localStorage.getItem("factoryToken")||"";var runs=[];var logs={};
function $(id){return document.getElementById(id)}
function el(tag,cls,text){var e=document.createElement(tag);if(cls)e.className=cls;if(text!=null)e.textContent=text;return e}
function auth(){return{headers:{authorization:"Bearer "+token}}}
function fetchLogs(mac){return fetch("/api/units/"+encodeURIComponent(mac)+"/debug-logs",auth()).then(function(r){return r.json()}).then(function(j){logs[mac]=j.logs||[];render()})}
function render(){var box=$("runs");box.innerHTML="";if(!runs.length){box.appendChild(el("p","muted","No unit on the debug port yet."));return}
 runs.forEach(function(r){var d=el("section","run "+r.status);d.dataset.mac=r.mac;d.dataset.status=r.status;
  var h=el("div");h.appendChild(el("b","mac",r.mac));h.appendChild(document.createTextNode(" · "+(r.serial||"no serial")+" · "+r.status));d.appendChild(h);
  d.appendChild(el("div","muted",(r.address?"address "+r.address+" (from "+(r.via==="arp"?"the switch's ARP table":"its reports")+")":"address unknown")+" · "+new Date(r.at).toLocaleTimeString()));
  if(r.error)d.appendChild(el("div","error",r.error.message));
  var again=el("button",null,"Collect again");again.addEventListener("click",function(){var o=auth();o.method="POST";o.headers["content-type"]="application/json";o.body=JSON.stringify({mac_wan:r.mac});fetch("/api/stations/debug/collect",o)});d.appendChild(again);
  var list=logs[r.mac];if(list&&list.length){var last=list[list.length-1];Object.keys(last.logs).forEach(function(name){var det=el("details","log");det.dataset.name=name;det.appendChild(el("summary",null,name));det.appendChild(el("pre",null,last.logs[name]));d.appendChild(det)})}
  box.appendChild(d)})}
function upsert(r){var i=runs.findIndex(function(x){return x.mac===r.mac});if(i>=0)runs[i]=r;else runs.unshift(r);if(r.status==="stored")fetchLogs(r.mac);render()}
function load(){return fetch("/api/stations/debug",auth()).then(function(r){if(r.status===401||r.status===403){$("login").hidden=false;throw new Error("auth")}return r.json()}).then(function(j){if(j.error){$("runs").textContent=j.error.message;throw new Error("none")}
 $("where").textContent="· port "+j.port;runs=j.runs;render();runs.forEach(function(r){if(r.status==="stored")fetchLogs(r.mac)})})}
function listen(){var live=$("live");fetch("/api/stations/debug/events",auth()).then(function(r){if(!r.ok||!r.body)throw new Error("events");live.textContent="live";live.className="on";
 var reader=r.body.getReader();var dec=new TextDecoder();var buf="";
 function pump(){return reader.read().then(function(x){if(x.done)throw new Error("closed");buf+=dec.decode(x.value,{stream:true});var i;
  while((i=buf.indexOf("\\n\\n"))>=0){var block=buf.slice(0,i);buf=buf.slice(i+2);var m=/^data: (.*)$/m.exec(block);if(m){var v=JSON.parse(m[1]);if(v.mac)upsert(v)}}return pump()})}
 return pump()}).catch(function(){live.textContent="reconnecting…";live.className="off";setTimeout(function(){load().then(listen).catch(function(){})},2000)})}
$("login").addEventListener("submit",function(e){e.preventDefault();token=$("token").value;localStorage.setItem("factoryToken",token);$("login").hidden=true;start()});
function start(){load().then(listen).catch(function(){})}
if(token)start();else $("login").hidden=false;
})();
</script></body></html>`;
